"""`python -m cors_wsgi lint` as a user runs it: exit status, one finding per line, --strict, --json."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, demo_env

from cors_wsgi.config import read_toml

RISKY = """\
[[rule]]
path = "/api/*"
allow_origins = ["http://app.example.com"]
allow_credentials = true
tolerate_insecure_origins = true
max_age = 86400
"""

BROKEN = """\
[[rule]]
path = "/api/*"
allow_origins = ["http://localhost:3000/"]
allow_methods = ["GET", "P UT"]

[[rule]]
path = "/public/*"
allow_origins = ["*"]
allow_credentials = true
"""


def lint(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cors_wsgi", "lint", *args],
        cwd=ROOT,
        env=demo_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str], str]:
    def _write(text: str) -> str:
        path = tmp_path / "cors.toml"
        path.write_text(text)
        return str(path)

    return _write


def test_demo_config_is_clean() -> None:
    run = lint("demo_app/cors.toml", "--strict")
    if "csrf_protection" in read_toml(ROOT / "demo_app" / "cors.toml").get("middleware", {}):
        assert run.returncode == 0, run.stdout + run.stderr
        assert run.stdout.strip() == "demo_app/cors.toml: 0 errors, 0 warnings"
    else:  # its credentialed rule gets the cross-origin write guard suggested (#20)
        assert run.returncode == 1, run.stdout + run.stderr
        assert "warning: allow_credentials: CORS decides who may read responses" in run.stdout
        assert run.stdout.splitlines()[-1] == "demo_app/cors.toml: 0 errors, 1 warning"


def test_warnings_pass_unless_strict(write: Callable[[str], str]) -> None:
    path = write(RISKY)
    run = lint(path)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith(
        "rule[0] /api/*: warning: allow_origins: 'http://app.example.com' is plain http://"
    )
    assert lines[1].startswith("rule[0] /api/*: warning: max_age: 86400 s")
    # Credentials without [middleware] csrf_protection: the guard is suggested (#20).
    assert lines[2].startswith("rule[0] /api/*: warning: allow_credentials: CORS decides who may read")
    assert lines[-1] == f"{path}: 0 errors, 3 warnings"
    assert lint(path, "--strict").returncode == 1


def test_errors_fail_and_every_one_is_listed(write: Callable[[str], str]) -> None:
    path = write(BROKEN)
    run = lint(path)
    assert run.returncode == 1
    assert "rule[0] /api/*: error: allow_origins: 'http://localhost:3000/' has a path" in run.stdout
    assert "rule[0] /api/*: error: allow_methods: 'P UT' is not a valid HTTP method name" in run.stdout
    assert "rule[1] /public/*: error: allow_origins: '*' together with allow_credentials" in run.stdout
    assert run.stdout.splitlines()[-1] == f"{path}: 3 errors, 0 warnings"


def test_json(write: Callable[[str], str]) -> None:
    run = lint(write(BROKEN), "--json")
    assert run.returncode == 1
    findings = json.loads(run.stdout)
    assert {(f["rule"], f["path"], f["severity"]) for f in findings} == {
        (0, "/api/*", "error"),
        (1, "/public/*", "error"),
    }


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    run = lint(str(tmp_path / "nope.toml"))
    assert run.returncode == 2
    assert (
        run.stderr.strip()
        == f"python -m cors_wsgi lint: cannot read {tmp_path / 'nope.toml'}: No such file or directory"
    )


def test_use_env_applies_the_override(write: Callable[[str], str]) -> None:
    path = write(
        "[middleware]\ncsrf_protection = true\n\n"
        '[[rule]]\npath = "/api/*"\nallow_origins = ["http://localhost:3000"]\nallow_credentials = true\n'
    )
    assert lint(path, "--strict").returncode == 0
    moved = subprocess.run(
        [sys.executable, "-m", "cors_wsgi", "lint", path, "--strict", "--use-env"],
        cwd=ROOT,
        env=demo_env({"CORS_ALLOW_ORIGINS": "http://staging.example.com"}),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert moved.returncode == 1
    assert "'http://staging.example.com' is plain http://" in moved.stdout
