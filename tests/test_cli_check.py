"""`python -m cors_wsgi check` as a user runs it: a subprocess against the demo served on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, DemoServer, demo_env, get_free_port, launch_demo, stop
from werkzeug.serving import make_server

from cors_wsgi import CORSMiddleware

TIMEOUT = 30  # seconds for one CLI run; each request inside has its own --max-time


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The demo started with its real command, on free ports; its frontend origin is the allowed one."""
    server = launch_demo(tmp_path_factory.mktemp("demo"))
    try:
        yield server
    finally:
        stop(server.proc)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cors_wsgi", *args],
        cwd=ROOT,
        env=demo_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def api(demo: DemoServer, path: str) -> str:
    return f"http://127.0.0.1:{demo.api_port}{path}"


def test_allowed_simple_request_passes(demo: DemoServer) -> None:
    run = cli("check", api(demo, "/api/data"), "--origin", demo.frontend_url)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"> Origin: {demo.frontend_url}" in run.stdout
    assert f"< Access-Control-Allow-Origin: {demo.frontend_url}" in run.stdout
    assert "\nPASS: " in run.stdout
    assert "x-request-id" in run.stdout  # exposed by the demo's policy
    assert run.stderr == ""
    assert "Sec-Fetch-Mode" not in run.stdout  # only the CORS-relevant headers by default
    verbose = cli("check", api(demo, "/api/data"), "--origin", demo.frontend_url, "-v")
    assert verbose.returncode == 0
    assert "> Sec-Fetch-Mode: cors" in verbose.stdout
    assert "< Content-Type: application/json" in verbose.stdout
    assert '< (body) {"message":"Hello from your API!"}' in verbose.stdout


def test_allowed_preflighted_credentialed_request_passes(demo: DemoServer) -> None:
    run = cli(
        "check",
        api(demo, "/api/echo"),
        "--origin",
        demo.frontend_url,
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/json",
        "-H",
        "X-Demo-Token: t",
        "-d",
        '{"n": 1}',
        "--credentials",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "> OPTIONS /api/echo HTTP/1.1" in run.stdout
    assert "> Access-Control-Request-Headers: content-type,x-demo-token" in run.stdout
    assert "< HTTP/1.1 204 No Content" in run.stdout
    assert "> PUT /api/echo HTTP/1.1" in run.stdout
    assert "< Access-Control-Allow-Credentials: true" in run.stdout


def test_refused_origin_fails_with_chromium_message_and_fix(demo: DemoServer) -> None:
    url = api(demo, "/api/echo")
    run = cli(
        "check", url, "--origin", "https://evil.example", "-X", "PUT", "-H", "Content-Type: application/json"
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert (
        f"FAIL: Access to fetch at '{url}' from origin 'https://evil.example' has been blocked by CORS policy: "
        "Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' "
        "header is present on the requested resource."
    ) in run.stdout
    assert "fix: the server refuses the origin `https://evil.example` itself" in run.stdout
    assert "> PUT" not in run.stdout  # the browser never sends the request itself


def test_refused_method_is_named(demo: DemoServer) -> None:
    run = cli("check", api(demo, "/api/data"), "--origin", demo.frontend_url, "-X", "DELETE")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "refuses the method `DELETE`" in run.stdout
    assert "probe OPTIONS (DELETE): 403 -> refused" in run.stdout


def test_refused_simple_request(demo: DemoServer) -> None:
    run = cli("check", api(demo, "/api/data"), "--origin", "http://127.0.0.1:3000")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "No 'Access-Control-Allow-Origin' header is present on the requested resource." in run.stdout


def test_json_output(demo: DemoServer) -> None:
    run = cli("check", api(demo, "/api/data"), "--origin", demo.frontend_url, "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["verdict"] == "PASS"
    assert data["steps"][0]["status"] == 200
    assert [demo_name.lower() for demo_name, _ in data["steps"][0]["response_headers"]].count(
        "access-control-allow-origin"
    ) == 1
    refused = cli("check", api(demo, "/api/data"), "--origin", "https://evil.example", "--json")
    assert refused.returncode == 1
    failure = json.loads(refused.stdout)["failure"]
    assert failure["code"] == "MissingAllowOriginHeader"
    assert failure["console"].startswith("Access to fetch at")


def test_unreachable_server_is_one_line_exit_2() -> None:
    with socket.socket() as s:  # a port nothing listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        run = cli("check", f"http://127.0.0.1:{port}/", "--origin", "http://localhost:3000")
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1
    assert "cannot reach the server" in run.stderr
    assert "Traceback" not in run.stderr


def test_silent_server_times_out() -> None:
    with socket.socket() as s:  # listens (the kernel completes the handshake) but never answers
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        run = cli(
            "check", f"http://127.0.0.1:{port}/", "--origin", "http://localhost:3000", "--max-time", "0.5"
        )
    assert run.returncode == 2
    assert "no answer within 0.5 s" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "http://127.0.0.1:9/"], "the following arguments are required: --origin"),
        (
            ["check", "http://127.0.0.1:9/", "--origin", "http://localhost:3000/"],
            "did you mean 'http://localhost:3000'",
        ),
        (
            ["check", "http://127.0.0.1:9/", "--origin", "http://a.test", "-H", "X-Token"],
            "write a header as 'Name: value'",
        ),
        (["check", "http://127.0.0.1:9/", "--origin", "http://a.test", "-H", "Cookie: a=b"], "use --cookie"),
        (["check", "http://127.0.0.1:9/", "--origin", "http://a.test", "-X", "TRACE"], "forbidden method"),
        (["check", "ftp://127.0.0.1/", "--origin", "http://a.test"], "http:// or https://"),
        (["check", "http://127.0.0.1:9/", "--origin", "http://a.test", "--cookie", "a=b"], "--credentials"),
        (["check", "http://127.0.0.1:9/", "--origin", "http://a.test", "--max-time", "0"], "--max-time"),
        (["nope"], "invalid choice"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args: list[str], message: str) -> None:
    run = cli(*args)
    assert run.returncode == 2
    assert message in run.stderr
    assert run.stderr.count("\n") == 1
    assert "Traceback" not in run.stderr


def test_help_reads_like_curl() -> None:
    run = cli("check", "--help")
    assert run.returncode == 0
    for text in (
        "-H, --header <header>",
        "-X, --request",
        "--credentials",
        "--json",
        "exit status:",
        "examples:",
    ):
        assert text in run.stdout
    top = cli("--help")
    assert "check" in top.stdout
    assert "lint" in top.stdout


def test_readme_documents_the_commands() -> None:
    readme = (Path(ROOT) / "README.md").read_text()
    assert "python -m cors_wsgi check http://localhost:5000/api/data --origin http://localhost:3000" in readme
    assert "python -m cors_wsgi lint" in readme


def test_https_certificate_is_verified_unless_insecure() -> None:
    port = get_free_port()
    app = CORSMiddleware(hello_app, allow_origins=["http://localhost:3000"])
    server = make_server("127.0.0.1", port, app, threaded=True, ssl_context="adhoc")  # self-signed
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.1:{port}/"
        refused = cli("check", url, "--origin", "http://localhost:3000")
        assert refused.returncode == 2
        assert "TLS error" in refused.stderr
        assert "--insecure" in refused.stderr
        assert "Traceback" not in refused.stderr
        insecure = cli("check", url, "--origin", "http://localhost:3000", "-k")
        assert insecure.returncode == 0, insecure.stdout + insecure.stderr
        assert "PASS" in insecure.stdout
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def hello_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


@pytest.mark.parametrize("browser", ["chromium", "firefox", "webkit"])
def test_browser_option_reports_that_engines_preflight_cache_time(demo: DemoServer, browser: str) -> None:
    args = ["check", api(demo, "/api/echo"), "--origin", demo.frontend_url, "-X", "PUT", "--credentials"]
    args += [
        "-H",
        "Content-Type: application/json",
        "-H",
        "X-Demo-Token: t",
        "-d",
        "{}",
        "--browser",
        browser,
    ]
    run = cli(*args)
    assert run.returncode == 0, run.stdout + run.stderr
    name = {"chromium": "Chromium", "firefox": "Firefox", "webkit": "WebKit"}[browser]
    # the demo's max_age is 600 s: under every engine's cap (WebKit's is exactly 600)
    assert f"* {name} caches this preflight's answer for 600 s (Access-Control-Max-Age: 600)." in run.stdout
    assert json.loads(cli(*args, "--json").stdout)["request"]["browser"] == browser
    assert (
        cli("check", api(demo, "/api/data"), "--origin", demo.frontend_url, "--browser", "lynx").returncode
        == 2
    )
