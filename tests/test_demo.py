"""The demo: its API through CORS (in-process), its frontend, the launcher and gunicorn (real processes)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, demo_env, get_free_port, http_get, port_is_free, stop, wait_until_serving
from werkzeug.test import Client

from cors_wsgi import CORSPolicy
from cors_wsgi.config import load_middleware_config
from demo_app.__main__ import browser_url, parse_args
from demo_app.app import CONFIG_PATH, create_app
from demo_app.frontend import config_js, frontend_app

FRONTEND = "http://localhost:3000"
NOT_ALLOWED = "http://127.0.0.1:3000"  # same machine, different origin


@pytest.fixture
def client() -> Client:
    # The demo's real cors.toml, without whatever CORS_ALLOW_ORIGINS the test runner happens to have.
    return Client(create_app(environ={}))


def preflight(client: Client, path: str, method: str, headers: str = "", origin: str = FRONTEND) -> Any:
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        request_headers["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=request_headers)


def test_default_policy_allows_exactly_the_demo_frontend_and_guards_writes() -> None:
    [(path, policy)], switches = load_middleware_config(CONFIG_PATH, environ={})
    assert switches == {"csrf_protection": True}
    assert path == "/api/*"
    assert policy == CORSPolicy(
        allow_origins=["http://localhost:3000"],
        allow_methods=["GET", "POST", "PUT"],
        allow_headers=["content-type", "x-demo-token"],
        expose_headers=["X-Request-Id"],
        allow_credentials=True,
        max_age=600,
        allow_private_network=False,
    )


def test_environment_moves_the_demo_to_another_frontend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", "http://localhost:3001")
    client = Client(create_app())  # reads cors.toml and the environment, as python -m demo_app does
    moved = client.get("/api/data", headers={"Origin": "http://localhost:3001"})
    assert moved.headers["Access-Control-Allow-Origin"] == "http://localhost:3001"
    assert "Access-Control-Allow-Origin" not in client.get("/api/data", headers={"Origin": FRONTEND}).headers


def test_data_endpoint_answers_the_frontend(client: Client) -> None:
    response = client.get("/api/data", headers={"Origin": FRONTEND})
    assert response.status_code == 200
    assert response.get_json() == {"message": "Hello from your API!"}
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Access-Control-Expose-Headers"] == "X-Request-Id"
    assert "Origin" in response.headers["Vary"]


def test_data_endpoint_gives_another_origin_no_grant(client: Client) -> None:
    response = client.get("/api/data", headers={"Origin": NOT_ALLOWED})
    assert response.status_code == 200  # the app answers; the browser is what withholds the body
    assert not [h for h, _ in response.headers if h.lower().startswith("access-control-")]
    assert "Origin" in response.headers["Vary"]


def test_preflight_for_the_echo_endpoint_is_granted(client: Client) -> None:
    response = preflight(client, "/api/echo", "PUT", "content-type,x-demo-token")
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    assert set(response.headers["Access-Control-Allow-Headers"].split(", ")) == {
        "content-type",
        "x-demo-token",
    }
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


@pytest.mark.parametrize(
    ("path", "method", "headers", "origin"),
    [
        ("/api/data", "DELETE", "", FRONTEND),  # method not allowed
        ("/api/echo", "PUT", "content-type,x-not-allowed", FRONTEND),  # header not allowed
        ("/api/echo", "PUT", "content-type,x-demo-token", NOT_ALLOWED),  # origin not allowed
    ],
)
def test_refused_preflights_never_reach_the_app(
    client: Client, path: str, method: str, headers: str, origin: str
) -> None:
    response = preflight(client, path, method, headers, origin)
    assert response.status_code == 403
    assert not [h for h, _ in response.headers if h.lower().startswith("access-control-allow-")]
    assert client.get("/api/hits").get_json() == {"GET /api/hits": 1}


def test_echo_returns_body_and_custom_header(client: Client) -> None:
    response = client.put(
        "/api/echo", json={"hello": "world"}, headers={"Origin": FRONTEND, "X-Demo-Token": "t-1"}
    )
    assert response.get_json() == {"method": "PUT", "json": {"hello": "world"}, "x_demo_token": "t-1"}
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND


def test_session_cookie_is_set_lax_and_read_back(client: Client) -> None:
    started = client.post("/api/session", headers={"Origin": FRONTEND})
    token = started.get_json()["token"]
    cookie = started.headers["Set-Cookie"]
    assert cookie.startswith(f"demo_session={token};")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/api" in cookie
    assert started.headers["Access-Control-Allow-Credentials"] == "true"
    read = client.get("/api/session", headers={"Origin": FRONTEND})  # the test client keeps the cookie
    assert read.get_json() == {"token": token}


# A browser's write from each kind of page: (Origin, Sec-Fetch-Site); the demo API is localhost:5000.
FROM_THE_FRONTEND = {"Origin": FRONTEND, "Sec-Fetch-Site": "same-site"}
FROM_ANOTHER_SITE = {"Origin": NOT_ALLOWED, "Sec-Fetch-Site": "cross-site"}
FROM_ANOTHER_PORT = {"Origin": "http://localhost:3001", "Sec-Fetch-Site": "same-site"}


def write(client: Client, headers: dict[str, str]) -> Any:
    return client.post(
        "/api/notes",
        base_url="http://localhost:5000",
        data="a note",
        headers={"Content-Type": "text/plain", **headers},
    )


def test_the_frontend_writes_a_note_and_reads_the_count(client: Client) -> None:
    response = write(client, FROM_THE_FRONTEND)
    assert response.status_code == 201
    assert response.get_json() == {"notes": 1}
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    counted = client.get("/api/notes", headers={"Origin": FRONTEND})
    assert counted.get_json() == {"notes": 1}


@pytest.mark.parametrize(
    "headers",
    [
        FROM_ANOTHER_SITE,
        FROM_ANOTHER_PORT,  # same site (ports do not count), so a Lax cookie would go along: still refused
        {"Origin": NOT_ALLOWED},  # a browser without Sec-Fetch-Site: Origin is not the API's Host
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},  # a sandboxed iframe
    ],
    ids=["cross-site", "same-site", "origin-only", "null"],
)
def test_a_write_from_an_unlisted_origin_is_refused_before_the_app(
    client: Client, headers: dict[str, str]
) -> None:
    response = write(client, headers)
    assert response.status_code == 403
    assert response.mimetype == "text/plain"
    assert not [h for h, _ in response.headers if h.lower().startswith("access-control-")]
    assert client.get("/api/notes").get_json() == {"notes": 0}
    assert "POST /api/notes" not in client.get("/api/hits").get_json()


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl, a server: not a browser, no Origin
        {"Origin": "http://localhost:5000", "Sec-Fetch-Site": "same-origin"},  # a page of the API itself
        {"Origin": "http://localhost:5000"},  # the same without Sec-Fetch-Site: Origin equals Host
    ],
    ids=["no-origin", "same-origin", "origin-equals-host"],
)
def test_a_write_that_is_not_cross_origin_passes(client: Client, headers: dict[str, str]) -> None:
    assert write(client, headers).status_code == 201
    assert client.get("/api/notes").get_json() == {"notes": 1}


def test_the_guard_leaves_reading_and_preflights_to_cors(client: Client) -> None:
    # GET, HEAD and OPTIONS always pass the guard: an unlisted origin's GET reaches the app (no grant).
    response = client.get("/api/notes", headers=FROM_ANOTHER_SITE)
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert preflight(client, "/api/notes", "POST", "content-type").status_code == 204


def test_frontend_serves_page_script_and_api_location() -> None:
    client = Client(frontend_app("http://localhost:5123"))
    page = client.get("/")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert b'<script src="/config.js"></script>' in page.data
    config = client.get("/config.js")
    assert config.data == b'window.DEMO_CONFIG = {"apiBase": "http://localhost:5123"};\n'
    assert config.headers["Cache-Control"] == "no-store"
    assert b"window.DEMO_CONFIG.apiBase" in client.get("/app.js").data
    assert client.get("/nope").status_code == 404
    assert client.post("/").status_code == 404


def test_config_js_escapes_the_url() -> None:
    assert (
        config_js('http://x/"; alert(1); "')
        == b'window.DEMO_CONFIG = {"apiBase": "http://x/\\"; alert(1); \\""};\n'
    )


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://localhost:5000"),
        ("0.0.0.0", "http://localhost:5000"),
        ("10.1.2.3", "http://10.1.2.3:5000"),
    ],
)
def test_browser_url_uses_localhost_for_local_binds(host: str, url: str) -> None:
    assert browser_url(host, 5000) == url


@pytest.mark.parametrize(
    "argv",
    [["--api-port", "0"], ["--frontend-port", "65536"], ["--api-port", "x"], ["--api-port", "3000"]],
)
def test_bad_ports_are_refused_by_the_argument_parser(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        parse_args(argv)
    assert info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_default_ports_are_the_seeds() -> None:
    args = parse_args([])
    assert (args.host, args.api_port, args.frontend_port) == ("127.0.0.1", 5000, 3000)


# --- the real command ---------------------------------------------------------------------------------


def run_demo(
    *args: str, env: dict[str, str] | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "demo_app", *args],
        cwd=ROOT,
        env=demo_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize("flag", ["--api-port", "--frontend-port"])
def test_port_in_use_is_one_clear_line(flag: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        other = get_free_port(frozenset({port}))
        ports = {"--api-port": other, "--frontend-port": other, flag: port}
        result = run_demo(*(str(x) for kv in ports.items() for x in kv))
    assert result.returncode == 1
    assert result.stdout == ""
    assert (
        result.stderr
        == f"error: port {port} on 127.0.0.1 is already in use; stop what uses it or pass {flag} N\n"
    )


def test_bad_environment_override_is_one_clear_line() -> None:
    api, frontend = get_free_port(), get_free_port()
    result = run_demo(
        "--api-port", str(api), "--frontend-port", str(frontend), env={"CORS_ALLOW_ORIGINS": "localhost:3000"}
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "CORS_ALLOW_ORIGINS" in result.stderr
    assert "did you mean 'http://localhost:3000'?" in result.stderr


@pytest.mark.parametrize(
    ("sig", "sigint_ignored"),
    [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGINT, True)],
    ids=["ctrl-c", "sigterm", "ctrl-c-started-as-a-background-job"],
)
def test_one_command_starts_both_servers_and_stops_both_cleanly(
    demo_server: Any, sig: int, sigint_ignored: bool
) -> None:
    # A background job starts with SIGINT ignored; the demo must still stop on it, cleanly and at once.
    server = demo_server(sigint_ignored=sigint_ignored)
    status, headers, body = http_get(
        f"http://127.0.0.1:{server.api_port}/api/data", {"Origin": server.frontend_url}
    )
    assert (status, json.loads(body)) == (200, {"message": "Hello from your API!"})
    assert headers["Access-Control-Allow-Origin"] == server.frontend_url
    status, _, body = http_get(f"http://127.0.0.1:{server.frontend_port}/config.js")
    assert json.dumps({"apiBase": server.api_url}).encode() in body

    assert stop(server.proc, sig) == 0
    out = server.output()
    assert f"frontend: {server.frontend_url}" in out
    assert f"API:      {server.api_url}/api/data" in out
    assert out.rstrip().endswith("stopped.")
    assert "warning" not in out
    assert "Traceback" not in out
    assert port_is_free(server.api_port)
    assert port_is_free(server.frontend_port)


def test_launcher_warns_when_the_frontend_origin_is_not_allowed(demo_server: Any) -> None:
    server = demo_server(env={"CORS_ALLOW_ORIGINS": "http://localhost:3000"})  # but the page is elsewhere
    expected = (
        f"warning: the CORS policy does not allow {server.frontend_url}, so the browser will block the page's "
        f"requests; start with CORS_ALLOW_ORIGINS={server.frontend_url}"
    )
    assert expected in server.output()
    # The check was a preflight, answered by the middleware: the app's counters saw nothing.
    seen = json.loads(http_get(f"http://127.0.0.1:{server.api_port}/api/hits")[2])
    assert set(seen) == {"GET /api/hits"}  # only the fixture's readiness polls and this request


def post_note(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=b"a note", method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_the_running_demo_refuses_a_forged_write_and_says_so_in_the_terminal(demo_server: Any) -> None:
    server = demo_server()
    url = f"http://127.0.0.1:{server.api_port}/api/notes"
    forged = {"Origin": NOT_ALLOWED, "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"}
    assert post_note(url, forged) == (403, b"Cross-origin request refused\n")
    listed = {"Origin": server.frontend_url, "Sec-Fetch-Site": "same-site", "Content-Type": "text/plain"}
    assert post_note(url, listed) == (201, b'{"notes":1}\n')
    assert stop(server.proc) == 0
    out = server.output()
    assert '"POST /api/notes HTTP/1.1" 403' in out
    assert '"POST /api/notes HTTP/1.1" 201' in out
    expected = (
        f"cors_wsgi: cross-origin 'POST' '/api/notes' refused: origin='{NOT_ALLOWED}' "
        "sec-fetch-site='cross-site' csrf-sec-fetch-site rule='/api/*'"
    )
    assert expected in out, out
    assert out.count("cors_wsgi: ") == 1  # the allowed write is not logged


def test_gunicorn_serves_the_api_with_cors_headers(tmp_path: Path) -> None:
    pytest.importorskip("gunicorn", reason="gunicorn is the optional 'demo' extra")
    port = get_free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "demo_app.wsgi:app"],
            cwd=ROOT,
            env=demo_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{base}/api/hits", proc, log)
        status, headers, body = http_get(f"{base}/api/data", {"Origin": FRONTEND})
        assert (status, json.loads(body)) == (200, {"message": "Hello from your API!"})
        assert headers["Access-Control-Allow-Origin"] == FRONTEND
        assert headers["Access-Control-Allow-Credentials"] == "true"
        assert "Origin" in headers["Vary"]
        status, headers, _ = http_get(f"{base}/api/data", {"Origin": NOT_ALLOWED})
        assert status == 200
        assert headers["Access-Control-Allow-Origin"] is None
    finally:
        assert stop(proc, signal.SIGTERM) == 0, log.read_text()
