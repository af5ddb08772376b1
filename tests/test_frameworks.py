"""The framework recipes of docs/frameworks.md, run with the real frameworks (issue #11).

Through WebTest: an allowed GET, a preflight (which never reaches the framework), a refused origin, and an
unhandled exception with and without catch_exceptions. Then each app once under real gunicorn and
waitress processes on 127.0.0.1. A framework that is not installed skips locally and fails under CI=true.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import get_free_port, http_get, require_module, stop, wait_until_serving
from framework_apps import DATA, FRAMEWORKS, FRONTEND, Boom, build
from webtest import TestApp

ROOT = Path(__file__).resolve().parent.parent
MODULES = {"flask": "flask", "django": "django", "falcon": "falcon", "bottle": "bottle", "pyramid": "pyramid"}
# Which frameworks turn an exception into their own 500 (so CORS headers come from the outermost
# middleware even without catch_exceptions), and which let it escape to the server.
ESCAPES = {"flask": False, "django": False, "falcon": False, "bottle": False, "pyramid": True, "bare": True}


def require(name: str) -> None:
    if name in MODULES:
        require_module(MODULES[name], "the framework matrix")


@pytest.fixture(params=FRAMEWORKS)
def framework(request: pytest.FixtureRequest) -> str:
    require(request.param)
    return str(request.param)


def test_allowed_get(framework: str) -> None:
    app, seen = build(framework)
    res = TestApp(app).get("/api/data", headers={"Origin": FRONTEND})
    assert res.status_int == 200
    assert json.loads(res.body) == DATA
    assert res.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert res.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in res.headers["Vary"]
    assert seen == ["GET /api/data"]


def test_preflight_never_reaches_the_framework(framework: str) -> None:
    app, seen = build(framework)
    res = TestApp(app).options(
        "/api/data",
        headers={
            "Origin": FRONTEND,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
        status=204,
    )
    assert res.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert res.headers["Access-Control-Allow-Headers"] == "content-type"
    assert seen == []


def test_refused_origin_gets_no_grant(framework: str) -> None:
    app, seen = build(framework)
    res = TestApp(app).get("/api/data", headers={"Origin": "https://evil.example"})
    assert res.status_int == 200  # the browser, not the server, withholds the body
    assert "Access-Control-Allow-Origin" not in res.headers
    assert "Origin" in res.headers["Vary"]
    refused = TestApp(app).options(
        "/api/data",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        status=403,
    )
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert seen == ["GET /api/data"]


def test_unhandled_exception_without_catch_exceptions(framework: str) -> None:
    app, _ = build(framework)
    client = TestApp(app)
    if ESCAPES[framework]:
        with pytest.raises(Boom):  # the server writes a 500 of its own, without CORS headers
            client.get("/api/boom", headers={"Origin": FRONTEND})
    else:
        # expect_errors: the framework writes its traceback to wsgi.errors, which WebTest otherwise refuses
        res = client.get("/api/boom", headers={"Origin": FRONTEND}, status=500, expect_errors=True)
        assert res.headers["Access-Control-Allow-Origin"] == FRONTEND  # the framework's own 500


def test_unhandled_exception_with_catch_exceptions(framework: str) -> None:
    app, _ = build(framework, catch_exceptions=True)
    res = TestApp(app).get("/api/boom", headers={"Origin": FRONTEND}, status=500, expect_errors=True)
    assert res.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert res.headers["Access-Control-Allow-Credentials"] == "true"


def _server_command(server: str, port: int) -> list[str]:
    if server == "gunicorn":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "tests.framework_server:application",
        ]
    return [
        sys.executable,
        "-m",
        "waitress",
        "--listen",
        f"127.0.0.1:{port}",
        "tests.framework_server:application",
    ]


@pytest.mark.parametrize("server", ["gunicorn", "waitress"])
def test_under_a_real_server(framework: str, server: str, tmp_path: Path) -> None:
    require_module(server, "the framework matrix")
    port = get_free_port()
    log = tmp_path / f"{server}.log"
    env = {**os.environ, "CORS_TEST_FRAMEWORK": framework, "PYTHONPATH": str(ROOT)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            _server_command(server, port), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{base}/api/data", proc, log)
        status, headers, body = http_get(f"{base}/api/data", {"Origin": FRONTEND})
        assert (status, json.loads(body)) == (200, DATA)
        assert headers["Access-Control-Allow-Origin"] == FRONTEND
        status, headers, _ = http_get(f"{base}/api/boom", {"Origin": FRONTEND})
        assert status == 500
        assert headers["Access-Control-Allow-Origin"] == FRONTEND, log.read_text()
        preflight = _options(port, "/api/data", {"Origin": FRONTEND, "Access-Control-Request-Method": "PUT"})
        assert preflight[0] == 204
        assert preflight[1]["Access-Control-Allow-Origin"] == FRONTEND
    finally:
        assert stop(proc, signal.SIGTERM) in (0, -signal.SIGTERM), log.read_text()


def _options(port: int, path: str, headers: dict[str, str]) -> tuple[int, Any]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("OPTIONS", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, response.headers
    finally:
        conn.close()
