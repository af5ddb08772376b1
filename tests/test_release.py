"""What a new user meets first (issue #13): the README as a front page whose Python runs as pasted, the
public API as pydoc shows it, types that accept what users write, the logger's NullHandler, the metadata.
The wheel itself is built, checked and installed into a fresh venv by ``tox -e package``."""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import cors_wsgi
from cors_wsgi import CORSPolicy

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(README) if lang == language]


def test_the_readme_is_a_front_page() -> None:
    assert len(README.splitlines()) <= 250
    assert not re.search(r"!\[[^\]]*\]\((?!https?://)", README), "a relative image does not render on PyPI"
    for word in ("seed", "farm", "issue #"):
        assert word not in README.lower(), word


def test_every_relative_link_of_the_readme_exists() -> None:
    links = re.findall(r"\]\((?!https?://|#|mailto:)([^)#]+)", README)
    assert links
    missing = [link for link in links if not (ROOT / link).exists()]
    assert not missing, missing


def test_every_python_block_of_the_readme_runs_as_pasted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A block of another language whose first line is "# <file name>" is that file, as a reader saves it.
    for lang, body in BLOCK.findall(README):
        first = body.splitlines()[0] if body else ""
        if lang != "python" and re.fullmatch(r"# [\w.-]+\.\w+", first):
            (tmp_path / first[2:]).write_text(body)
    monkeypatch.chdir(tmp_path)
    python = blocks("python")
    assert len(python) >= 4
    for number, body in enumerate(python):
        namespace: dict[str, object] = {"__name__": f"readme_block_{number}"}
        exec(compile(body, f"README.md python block {number}", "exec"), namespace)


def test_the_quick_start_answers_as_it_says() -> None:
    from webtest import TestApp

    namespace: dict[str, object] = {"__name__": "app"}
    exec(compile(blocks("python")[0], "README quick start", "exec"), namespace)
    flask_app = namespace["app"]
    client = TestApp(flask_app)
    res = client.get("/api/data", headers={"Origin": "http://localhost:3000"})
    assert res.json == {"message": "Hello from your API!"}
    assert res.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert (
        "Access-Control-Allow-Origin"
        not in client.get("/api/data", headers={"Origin": "https://evil.example"}).headers
    )


def test_the_readme_shows_the_true_defaults() -> None:
    import ast

    tree = ast.parse(blocks("python")[2])
    (call,) = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    shown = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}
    defaults = {f.name: f.default for f in dataclasses.fields(CORSPolicy) if f.init}
    assert set(shown) == set(defaults)  # every setting is shown
    for name, default in defaults.items():
        if name != "allow_origins":  # the one field without a usable default: the block shows an example
            assert shown[name] == default, (name, shown[name], default)


def test_pydoc_shows_the_public_api() -> None:
    assert "__getattr__" not in vars(cors_wsgi)
    assert set(cors_wsgi.__all__) >= {
        "CORSMiddleware",
        "CORSPolicy",
        "ConfigError",
        "check_wsgi",
        "load_config",
    }
    for name in cors_wsgi.__all__:
        assert getattr(cors_wsgi, name) is not None
    text = subprocess.run(
        [sys.executable, "-m", "pydoc", "cors_wsgi"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PAGER": "cat", "PYTHONPATH": str(ROOT)},
    ).stdout
    for name in ("check_wsgi", "CORSMiddleware", "CORSPolicy", "load_config"):
        assert name in text, name


def test_every_policy_field_is_documented_in_its_docstring() -> None:
    doc = CORSPolicy.__doc__ or ""
    for field in dataclasses.fields(CORSPolicy):
        if field.init:
            assert f"``{field.name}``" in doc, field.name


def test_the_library_logger_has_a_null_handler() -> None:
    handlers = logging.getLogger("cors_wsgi").handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)


def test_typed_user_code_runs() -> None:
    import typed_user_code
    from webtest import TestApp

    for wrapped in typed_user_code.WRAPPED:
        assert TestApp(wrapped).get("/").body == b"ok"
    sets = typed_user_code.POLICIES[-1]
    assert sets.allow_methods == ("GET", "POST")
    assert sets.allow_headers == ("content-type", "x-token")  # a set is taken in a stable (sorted) order


def test_a_bare_string_is_still_refused_where_a_collection_is_expected() -> None:
    with pytest.raises(cors_wsgi.ConfigError, match="did you mean"):
        CORSPolicy(allow_origins="https://app.example.com")  # type: ignore[arg-type]


def test_the_console_script_and_the_metadata() -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"] == {"cors-wsgi": "cors_wsgi.cli:main"}
    classifiers = set(project["classifiers"])
    for version in ("3.10", "3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
    assert "Topic :: Internet :: WWW/HTTP :: WSGI :: Middleware" in classifiers
    assert "Typing :: Typed" in classifiers
    assert not [c for c in classifiers if c.startswith("Framework ::")]
    assert set(project["optional-dependencies"]) == {"demo"}  # extras are for users; tools live in groups
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    from cors_wsgi.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
