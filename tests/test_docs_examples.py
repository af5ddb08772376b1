"""The text a reader copies is the text that runs (issue #21): every code block of README.md and docs/*.md,
taken from the Markdown itself.

- A ```python block runs as pasted, in a fresh namespace, in a directory holding the page's file blocks.
- A block whose first line is ``# <path>`` (``# mysite/wsgi.py``, ``# gunicorn.conf.py``, ``# cors.toml``)
  is that whole file: it is written into a small generated project, and the project is served by a real
  gunicorn (Django's ``wsgi.py``; the SIGHUP reload of ``gunicorn.conf.py``).
- Every TOML configuration shown passes ``lint --strict``.
- No Python hides in a ```text fence.
"""

from __future__ import annotations

import configparser
import os
import re
import signal
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import get_free_port, http_get, require_module, stop, wait_until_serving
from webtest import TestApp

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
FILE_NAME = re.compile(r"# ([\w.-]+(?:/[\w.-]+)*\.\w+)")
FRONTEND = "http://localhost:3000"
# The settings module a `django-admin startproject mysite` would hold, reduced to what the recipes need.
DJANGO_SETTINGS = """\
SECRET_KEY = "docs-example-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "mysite.urls"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
# read by cors_wsgi.django_settings (docs/migrating.md), as django-cors-headers would
CORS_ALLOWED_ORIGINS = ["http://localhost:3000"]
CORS_URLS_REGEX = r"^/api/.*$"
"""
DJANGO_URLS = """\
from django.http import JsonResponse
from django.urls import path


def data(request):
    return JsonResponse({"message": "Hello from Django"})


urlpatterns = [path("api/data", data)]
"""


def blocks(page: Path) -> list[tuple[str, str]]:
    """(language, text) of each fenced block of ``page``, in order."""
    return FENCE.findall(page.read_text())


def file_name(text: str) -> str | None:
    """The file a block is, when its first line names one."""
    first = text.split("\n", 1)[0]
    match = FILE_NAME.fullmatch(first)
    return match.group(1) if match else None


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def write_file_blocks(page: Path, project: Path) -> list[str]:
    """The page's file blocks, written where their first line says; returns their names."""
    names = []
    for _, text in blocks(page):
        name = file_name(text)
        if name is not None:
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            (project / name).write_text(text)
            names.append(name)
    return names


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory on sys.path; modules imported from it are forgotten afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        module = sys.modules[name]
        where = getattr(module, "__file__", None) or "".join(getattr(module, "__path__", []) or [])
        if str(tmp_path) in str(where):
            del sys.modules[name]


def test_every_page_is_found() -> None:
    names = {page_id(page) for page in PAGES}
    assert {"README.md", "docs/frameworks.md", "docs/migrating.md", "docs/rolling-out.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_no_python_hides_in_a_text_fence(page: Path) -> None:
    statement = re.compile(r"^(from \w+ import |import \w|def \w+\(|class \w+[(:]|\w+ = \w+\()", re.MULTILINE)
    for language, text in blocks(page):
        if language in ("text", "", "bash", "console"):
            assert not statement.search(text), f"{page_id(page)}: Python in a ```{language} block:\n{text}"


def run_block(text: str, name: str, filename: str) -> dict[str, Any]:
    """Run ``text`` as a module named ``name``, as it would run saved in a file (frameworks such as Pyramid
    look a view's module up in sys.modules); the module is forgotten afterwards."""
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module
    try:
        exec(compile(text, filename, "exec"), module.__dict__)
    finally:
        del sys.modules[name]
    return module.__dict__


def python_blocks(page: Path) -> list[str]:
    return [text for language, text in blocks(page) if language == "python" and file_name(text) is None]


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(p)], ids=page_id)
def test_every_python_block_runs_as_pasted(page: Path, project: Path) -> None:
    write_file_blocks(page, project)
    for number, text in enumerate(python_blocks(page)):
        run_block(text, f"docs_block_{number}", f"{page_id(page)} python block {number}")


def framework_blocks() -> list[str]:
    return python_blocks(ROOT / "docs" / "frameworks.md")


@pytest.mark.parametrize("text", framework_blocks(), ids=lambda t: t.split("\n", 1)[0])
def test_each_framework_recipe_serves_the_frontend_and_no_one_else(text: str, project: Path) -> None:
    for module in ("flask", "falcon", "bottle", "pyramid"):
        if f"import {module}" in text or f"from {module}" in text:
            require_module(module, "the framework recipes of docs/frameworks.md")
    namespace = run_block(text, "recipe", "docs/frameworks.md")
    app = TestApp(namespace.get("application") or namespace["app"])
    allowed = app.get("/api/data", headers={"Origin": FRONTEND})
    assert allowed.json["message"].startswith("Hello from")
    assert allowed.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    refused = app.get("/api/data", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in refused.headers
    preflight = app.options(
        "/api/data",
        headers={
            "Origin": FRONTEND,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_int == 204


def django_pages() -> list[Path]:
    return [p for p in PAGES if any(file_name(t) == "mysite/wsgi.py" for _, t in blocks(p))]


def gunicorn(project: Path, *args: str) -> tuple[subprocess.Popen[bytes], int, Path]:
    """gunicorn on a free port of 127.0.0.1, in ``project``, without DJANGO_SETTINGS_MODULE."""
    require_module("gunicorn", "the server of the docs' file blocks")
    port = get_free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "CORS_ALLOW_ORIGINS")}
    env["PYTHONPATH"] = os.pathsep.join([str(project), str(ROOT)])
    log = project / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", *args]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT)
    return proc, port, log


@pytest.mark.parametrize("page", django_pages(), ids=page_id)
def test_the_django_wsgi_file_serves_under_gunicorn_in_a_generated_project(
    page: Path, tmp_path: Path
) -> None:
    require_module("django", "the Django recipes")
    write_file_blocks(page, tmp_path)
    (tmp_path / "mysite" / "__init__.py").write_text("")
    (tmp_path / "mysite" / "settings.py").write_text(DJANGO_SETTINGS)
    (tmp_path / "mysite" / "urls.py").write_text(DJANGO_URLS)
    proc, port, log = gunicorn(tmp_path, "mysite.wsgi:application")
    try:
        url = f"http://127.0.0.1:{port}/api/data"
        wait_until_serving(url, proc, log)
        status, headers, body = http_get(url, {"Origin": FRONTEND})
        assert status == 200, log.read_text()
        assert b"Hello from Django" in body
        assert headers["Access-Control-Allow-Origin"] == FRONTEND
        assert "Access-Control-Allow-Origin" not in http_get(url, {"Origin": "https://evil.example"})[1]
    finally:
        stop(proc, signal.SIGTERM)


def test_the_gunicorn_reload_recipe_reloads_the_file_on_sighup(tmp_path: Path) -> None:
    page = ROOT / "docs" / "rolling-out.md"
    names = write_file_blocks(page, tmp_path)
    assert {"gunicorn.conf.py", "myapp.py", "cors.toml"} <= set(names)
    proc, port, log = gunicorn(tmp_path, "-c", "gunicorn.conf.py", "--workers", "2", "myapp:application")
    try:
        url = f"http://127.0.0.1:{port}/api/data"
        wait_until_serving(url, proc, log)
        partner = {"Origin": "https://partner.example"}
        assert http_get(url, partner)[1]["Access-Control-Allow-Origin"] == "https://partner.example"
        config = tmp_path / "cors.toml"
        config.write_text(config.read_text().replace(', "https://partner.example"]', "]", 1))
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while "Access-Control-Allow-Origin" in http_get(url, partner)[1]:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        stop(proc, signal.SIGTERM)


def documented_configurations() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for number, (language, text) in enumerate(blocks(page)):
            if language == "toml":
                found.append((f"{page_id(page)} block {number}", text))
    return found


@pytest.mark.parametrize(
    ("where", "text"), documented_configurations(), ids=[w for w, _ in documented_configurations()]
)
def test_lint_strict_passes_on_every_documented_configuration(where: str, text: str, tmp_path: Path) -> None:
    page = ROOT / where.split(" block ")[0]
    write_file_blocks(page, tmp_path)  # the modules a configuration names (allow_origin_func)
    (tmp_path / "shown.toml").write_text(text)
    run = subprocess.run(
        [sys.executable, "-m", "cors_wsgi", "lint", "shown.toml", "--strict"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, f"{where}:\n{run.stdout}{run.stderr}"
    assert run.stdout.strip().endswith("0 errors, 0 warnings")


def test_the_quick_start_says_what_it_needs_and_the_install_line_what_310_adds() -> None:
    readme = (ROOT / "README.md").read_text()
    quick_start = readme[
        readme.index("## Quick start") : readme.index("```python", readme.index("## Quick start"))
    ]
    assert "pip install '.[demo]'" in quick_start
    install = readme[readme.index("## Install") : readme.index("## Quick start")]
    assert re.search(r"pip install \.\s.*tomli.*3\.10", install), install


def test_tox_lint_and_type_envs_install_only_what_they_run() -> None:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    lint, types = tox["testenv:lint"], tox["testenv:type"]
    assert lint.get("skip_install") == "true"
    assert lint.get("dependency_groups", "").strip() == ""  # not the test group of [testenv]
    assert lint.get("extras", "").strip() == ""
    assert [d.split(">")[0] for d in lint["deps"].split()] == ["ruff"]
    assert types.get("dependency_groups", "").strip() == ""
    assert types.get("extras", "").strip() == ""  # no gunicorn: mypy reads demo_app, which imports Flask
    deps = [
        line.split(">")[0].strip() for line in types["deps"].splitlines() if line.strip() and "#" not in line
    ]
    assert sorted(deps) == ["flask", "mypy", "tomli"]
