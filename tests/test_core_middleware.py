"""The WSGI adapter: what reaches the browser, what reaches the app, and PEP 3333 conformance."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any
from wsgiref.validate import validator

import pytest
from webtest import TestApp
from werkzeug.middleware.lint import LintMiddleware

from cors_wsgi import CORSMiddleware, CORSPolicy

LOCAL = "http://localhost:3000"
BODY = b'{"message": "Hello from your API!"}'
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


class RecordingApp:
    """A WSGI app that counts its calls and can set any response headers."""

    def __init__(self, headers: list[tuple[str, str]] | None = None) -> None:
        self.calls: list[str] = []
        self.headers = headers or []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.calls.append(environ["REQUEST_METHOD"] + " " + environ.get("PATH_INFO", ""))
        start_response(
            "200 OK",
            [("Content-Type", "application/json"), ("Content-Length", str(len(BODY))), *self.headers],
        )
        return [BODY]


@pytest.fixture(params=["wsgiref.validate", "werkzeug.lint"], autouse=True)
def conformance_checker(request: pytest.FixtureRequest) -> Any:
    """Every test here runs twice: the middleware between two validators, then between two linters."""
    checker = validator if request.param == "wsgiref.validate" else LintMiddleware
    STACK[:] = [checker]
    return checker


STACK: list[Any] = [validator]


def wrapped(app: Any, policy: CORSPolicy | None = None, **kwargs: Any) -> TestApp:
    """The middleware with the conformance checker on both sides (the app's side and the server's)."""
    check = STACK[0]
    middleware = (
        CORSMiddleware(check(app), policy, **kwargs) if policy else CORSMiddleware(check(app), **kwargs)
    )
    return TestApp(check(middleware))


def header_values(response: Any, name: str) -> list[str]:
    return [v for k, v in response.headerlist if k.lower() == name.lower()]


SEED = CORSPolicy(allow_origins=[LOCAL], allow_headers=["content-type"], allow_credentials=True)


def test_seed_example_1_allowed_get() -> None:
    app = RecordingApp()
    response = wrapped(app, SEED).get("/api/data", headers={"Origin": LOCAL})
    assert response.status_int == 200
    assert response.body == BODY
    assert response.headers["Content-Type"] == "application/json"
    assert header_values(response, "Access-Control-Allow-Origin") == [LOCAL]
    assert response.headers["Vary"] == "Origin"
    assert app.calls == ["GET /api/data"]


def test_seed_example_2_preflight_is_answered_without_the_app() -> None:
    app = RecordingApp()
    response = wrapped(app, SEED).options(
        "/api/data",
        headers={
            "Origin": LOCAL,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_int == 204
    assert response.body == b""
    assert response.headers["Access-Control-Allow-Origin"] == LOCAL
    assert response.headers["Access-Control-Allow-Methods"] == "GET"
    assert response.headers["Access-Control-Allow-Headers"] == "content-type"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Vary"] == PREFLIGHT_VARY
    assert app.calls == []


def test_seed_example_3_refused_origin_still_gets_the_json_without_acao() -> None:
    app = RecordingApp()
    response = wrapped(app, SEED).get("/api/data", headers={"Origin": "http://another-domain.com:8080"})
    assert response.status_int == 200
    assert response.body == BODY
    assert not [k for k, _ in response.headerlist if k.lower().startswith("access-control-")]
    assert response.headers["Vary"] == "Origin"


def test_refused_preflight_is_403_plain_text_without_allow_headers_and_app_not_called() -> None:
    app = RecordingApp()
    response = wrapped(app, SEED).options(
        "/api/data",
        headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "GET"},
        status=403,
    )
    assert response.content_type == "text/plain"
    assert response.body == b"CORS preflight refused\n"
    assert not [k for k, _ in response.headerlist if k.lower().startswith("access-control-allow-")]
    assert response.headers["Vary"] == PREFLIGHT_VARY
    assert app.calls == []


def test_debug_403_body_lists_every_reason() -> None:
    response = wrapped(RecordingApp(), SEED, debug=True).options(
        "/api/data",
        headers={
            "Origin": "http://localhost:3001",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-token",
        },
        status=403,
    )
    text = response.text
    assert "origin 'http://localhost:3001' is not allowed" in text
    assert "closest allowed origin is 'http://localhost:3000' (the port differs)" in text
    assert "method 'PUT' is not allowed" in text
    assert "x-token" in text


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": LOCAL},  # no Access-Control-Request-Method
        {"Access-Control-Request-Method": "GET"},  # no Origin
        {},
    ],
)
def test_options_that_is_not_a_preflight_goes_to_the_app(headers: dict[str, str]) -> None:
    app = RecordingApp()
    response = wrapped(app, SEED).options("/api/data", headers=headers)
    assert app.calls == ["OPTIONS /api/data"]
    assert response.body == BODY
    expected = [LOCAL] if "Origin" in headers else []
    assert header_values(response, "Access-Control-Allow-Origin") == expected


def test_no_origin_gets_vary_origin_and_no_cors_headers() -> None:
    response = wrapped(RecordingApp(), SEED).get("/api/data")
    assert response.headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_star_policy_sends_star_on_every_response_and_no_vary() -> None:
    test_app = wrapped(RecordingApp(), CORSPolicy(allow_origins=["*"]))
    for headers in ({}, {"Origin": "https://any.test"}):
        response = test_app.get("/x", headers=headers)
        assert header_values(response, "Access-Control-Allow-Origin") == ["*"]
        assert "Vary" not in response.headers


@pytest.mark.parametrize("origin", [LOCAL, "http://evil.test", None])
def test_app_set_access_control_headers_are_replaced_never_duplicated(origin: str | None) -> None:
    app = RecordingApp(
        [
            ("Access-Control-Allow-Origin", "*"),
            ("access-control-allow-credentials", "true"),
            ("ACCESS-CONTROL-EXPOSE-HEADERS", "X-Secret"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
        ]
    )
    response = wrapped(app, SEED).get("/api/data", headers={"Origin": origin} if origin else {})
    expected = [LOCAL] if origin == LOCAL else []
    assert header_values(response, "Access-Control-Allow-Origin") == expected
    assert header_values(response, "Access-Control-Expose-Headers") == []
    assert header_values(response, "Access-Control-Allow-Credentials") == (["true"] if expected else [])
    assert header_values(response, "Set-Cookie") == ["a=1", "b=2"]  # repeats survive


@pytest.mark.parametrize(
    ("app_vary", "expected"),
    [
        ([("Vary", "Accept-Encoding")], "Accept-Encoding, Origin"),
        ([("Vary", "Accept-Encoding"), ("vary", "Cookie")], "Accept-Encoding, Cookie, Origin"),
        ([("Vary", "origin")], "origin"),
        ([("Vary", "Accept-Encoding, Origin")], "Accept-Encoding, Origin"),
        ([("Vary", "*")], "*"),
        ([], "Origin"),
    ],
)
def test_vary_is_merged_never_replaced_never_duplicated(
    app_vary: list[tuple[str, str]], expected: str
) -> None:
    response = wrapped(RecordingApp(app_vary), SEED).get("/api/data", headers={"Origin": LOCAL})
    assert header_values(response, "Vary") == [expected]


RULES = [
    ("/api/*", CORSPolicy(allow_origins=[LOCAL], allow_methods=["GET", "PUT"])),
    ("/public/*", CORSPolicy(allow_origins=["*"])),
    ("/*", CORSPolicy(allow_origins=["https://admin.example.com"])),
]


@pytest.mark.parametrize(
    ("path", "origin", "expected_acao"),
    [
        ("/api/data", LOCAL, LOCAL),
        ("/api/data", "https://admin.example.com", None),  # first match wins, not the broadest
        ("/public/logo.png", "https://any.test", "*"),
        ("/PUBLIC/logo.png", "https://any.test", None),  # CVE-2024-6866: case-sensitive
        ("/other", "https://admin.example.com", "https://admin.example.com"),
    ],
)
def test_rules_first_match_in_declared_order(path: str, origin: str, expected_acao: str | None) -> None:
    response = wrapped(RecordingApp(), rules=RULES).get(path, headers={"Origin": origin})
    assert header_values(response, "Access-Control-Allow-Origin") == (
        [expected_acao] if expected_acao else []
    )


def test_path_no_rule_matches_is_untouched() -> None:
    app = RecordingApp([("Access-Control-Allow-Origin", "https://app-choice.test")])
    test_app = wrapped(app, rules=[("/api/*", SEED)])
    response = test_app.get("/static/x.js", headers={"Origin": LOCAL})
    assert header_values(response, "Access-Control-Allow-Origin") == ["https://app-choice.test"]
    assert "Vary" not in response.headers
    test_app.options("/static/x.js", headers={"Origin": LOCAL, "Access-Control-Request-Method": "GET"})
    assert app.calls == ["GET /static/x.js", "OPTIONS /static/x.js"]


def test_rules_match_script_name_plus_path_info_without_unquoting_again() -> None:
    # CVE-2024-6844: the server already decoded the path once; "+" and "%2B" must not be decoded again.
    app = RecordingApp()
    middleware = CORSMiddleware(app, rules=[("/mount/api/a+b", SEED)])
    seen: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen.append(dict(headers).get("Access-Control-Allow-Origin", ""))
        return lambda data: None

    base = {"REQUEST_METHOD": "GET", "HTTP_ORIGIN": LOCAL, "SCRIPT_NAME": "/mount"}
    for path_info in ["/api/a+b", "/api/a b", "/api/a%2Bb"]:
        list(middleware({**base, "PATH_INFO": path_info}, start_response))
    assert seen == [LOCAL, "", ""]


def test_non_ascii_rule_matches_the_wsgi_latin1_path() -> None:
    middleware = CORSMiddleware(RecordingApp(), rules=[("/café/*", SEED)])
    headers: list[list[tuple[str, str]]] = []
    environ = {
        "REQUEST_METHOD": "GET",
        "HTTP_ORIGIN": LOCAL,
        "PATH_INFO": "/café/x".encode().decode("latin-1"),
    }
    list(middleware(environ, lambda s, h, e=None: headers.append(h)))
    assert ("Access-Control-Allow-Origin", LOCAL) in headers[0]


def test_exc_info_is_forwarded_positionally_and_write_is_returned() -> None:
    calls: list[tuple[Any, ...]] = []

    def write(data: bytes) -> None:
        calls.append(("write", data))

    def start_response(*args: Any) -> Any:
        calls.append(args)
        return write

    def app(environ: Any, sr: Any) -> list[bytes]:
        sr("200 OK", [("Content-Type", "text/plain")])
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            w = sr("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
        w(b"legacy write")
        return []

    middleware = CORSMiddleware(app, SEED)
    list(middleware({"REQUEST_METHOD": "GET", "HTTP_ORIGIN": LOCAL, "PATH_INFO": "/"}, start_response))
    assert len(calls[0]) == 2  # no exc_info: called with two arguments
    assert len(calls[1]) == 3
    assert calls[1][2][0] is RuntimeError
    # the error response keeps its status and gets the same CORS headers as the first one
    assert calls[1][0] == "500 Internal Server Error"
    assert calls[1][1] == calls[0][1]
    assert ("Access-Control-Allow-Origin", LOCAL) in calls[1][1]
    assert calls[2] == ("write", b"legacy write")


def test_app_iterable_is_returned_as_is_so_streaming_and_close_work() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            yield b"a"
            yield b"b"

        def close(self) -> None:
            closed.append(True)

    body = Body()

    def app(environ: Any, sr: Any) -> Body:
        sr("200 OK", [("Content-Type", "text/plain")])
        return body

    middleware = CORSMiddleware(app, SEED)
    result = middleware({"REQUEST_METHOD": "GET", "HTTP_ORIGIN": LOCAL}, lambda s, h, e=None: None)
    assert result is body


def test_generator_app_calling_start_response_lazily() -> None:
    def app(environ: Any, start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Accept")])
        yield b"chunk1"
        yield b"chunk2"

    response = wrapped(app, SEED).get("/", headers={"Origin": LOCAL})
    assert response.body == b"chunk1chunk2"
    assert response.headers["Access-Control-Allow-Origin"] == LOCAL
    assert response.headers["Vary"] == "Accept, Origin"


def test_flask_app_behind_the_middleware() -> None:
    flask = pytest.importorskip("flask")
    app = flask.Flask(__name__)

    @app.get("/api/data")
    def data() -> dict[str, str]:
        return {"message": "Hello from your API!"}

    app.wsgi_app = CORSMiddleware(app.wsgi_app, allow_origins=[LOCAL])  # type: ignore[method-assign]
    test_app = TestApp(validator(app))
    response = test_app.get("/api/data", headers={"Origin": LOCAL})
    assert response.json == {"message": "Hello from your API!"}
    assert response.headers["Access-Control-Allow-Origin"] == LOCAL
    preflight = test_app.options(
        "/api/data", headers={"Origin": LOCAL, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_int == 204


@pytest.mark.parametrize(
    "environ_extra",
    [
        {"HTTP_ORIGIN": "http://a.test\r\nSet-Cookie: x=1"},
        {"HTTP_ORIGIN": "x" * 100_000},
        {"HTTP_ORIGIN": "\x00"},
        {"HTTP_ORIGIN": "http://ü.test"},
        {"HTTP_ORIGIN": LOCAL + ", http://evil.test"},
        {"HTTP_ORIGIN": LOCAL, "REQUEST_METHOD": "OPTIONS", "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "G\r\nET"},
        {"HTTP_ORIGIN": LOCAL, "REQUEST_METHOD": "OPTIONS", "HTTP_ACCESS_CONTROL_REQUEST_METHOD": ""},
        {
            "HTTP_ORIGIN": LOCAL,
            "REQUEST_METHOD": "OPTIONS",
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET",
            "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "," * 65536,
        },
    ],
)
def test_hostile_requests_never_raise_and_never_reflect(environ_extra: dict[str, str]) -> None:
    responses: list[tuple[str, list[tuple[str, str]]]] = []
    middleware = CORSMiddleware(RecordingApp(), CORSPolicy(allow_origins=[LOCAL, "https://*.example.com"]))
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", **environ_extra}
    list(middleware(environ, lambda s, h, e=None: responses.append((s, h))))
    status, headers = responses[0]
    assert status.split()[0] in {"200", "204", "403"}
    acao = [v for k, v in headers if k == "Access-Control-Allow-Origin"]
    assert acao in ([], [LOCAL])
    if environ_extra["HTTP_ORIGIN"] != LOCAL:
        assert acao == []


def test_reconfigure_swaps_policy_and_keeps_old_one_on_error() -> None:
    from cors_wsgi import ConfigError

    middleware = CORSMiddleware(RecordingApp(), SEED)
    test_app = TestApp(middleware)
    assert (
        test_app.get("/", headers={"Origin": "https://new.test"}).headers.get("Access-Control-Allow-Origin")
        is None
    )
    middleware.reconfigure(CORSPolicy(allow_origins=["https://new.test"]))
    assert test_app.get("/", headers={"Origin": "https://new.test"}).headers[
        "Access-Control-Allow-Origin"
    ] == ("https://new.test")
    with pytest.raises(ConfigError):
        middleware.reconfigure([("no-slash", SEED)])
    assert test_app.get("/", headers={"Origin": "https://new.test"}).headers[
        "Access-Control-Allow-Origin"
    ] == ("https://new.test")
    middleware.reconfigure([("/api/*", SEED)])
    assert "Access-Control-Allow-Origin" not in test_app.get("/", headers={"Origin": LOCAL}).headers


@pytest.mark.parametrize("path", ["/public/../api/secret", "/public/./x", "/public/x/.."])
def test_paths_with_dot_segments_get_no_grant(path: str) -> None:
    # /public/..%2Fapi/secret arrives decoded as /public/../api/secret: as written it matches /public/*,
    # resolved (by a proxy or router) it is /api/secret. Neither reading is trusted.
    app = RecordingApp([("Access-Control-Allow-Origin", "*")])
    middleware = CORSMiddleware(
        app, rules=[("/public/*", CORSPolicy(allow_origins=["*"])), ("/*", SEED)], debug=True
    )
    test_app = TestApp(middleware)
    environ = {"PATH_INFO": path}
    response = test_app.get("/", headers={"Origin": LOCAL}, extra_environ=environ)
    assert not [k for k, _ in response.headerlist if k.lower().startswith("access-control-")]
    preflight = test_app.options(
        "/",
        headers={"Origin": LOCAL, "Access-Control-Request-Method": "GET"},
        extra_environ=environ,
        status=403,
    )
    assert "'.' or '..' segment" in preflight.text
    assert app.calls == [f"GET {path}"]


def test_dot_in_a_name_is_not_a_dot_segment() -> None:
    test_app = TestApp(CORSMiddleware(RecordingApp(), rules=[("/public/*", CORSPolicy(allow_origins=["*"]))]))
    for path in ["/public/.well-known/x", "/public/..x", "/public/x.."]:
        assert test_app.get(path).headers["Access-Control-Allow-Origin"] == "*"


def _raw_get(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]]]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"], seen["headers"] = status, headers

    b"".join(app({"REQUEST_METHOD": "GET", "HTTP_ORIGIN": LOCAL, **environ}, start_response))
    return seen["status"], seen["headers"]


@pytest.mark.parametrize(
    ("environ", "covered"),
    [
        ({"SCRIPT_NAME": "", "PATH_INFO": "/api/data"}, True),
        ({"SCRIPT_NAME": "/api", "PATH_INFO": "/data"}, True),  # mounted: the whole path is matched
        ({"PATH_INFO": "/api/data"}, True),  # PEP 3333: an empty SCRIPT_NAME may be left out
        ({"SCRIPT_NAME": "/api/data"}, True),  # ... and an empty PATH_INFO
        ({}, False),
        ({"SCRIPT_NAME": "", "PATH_INFO": "/apidata"}, False),
        ({"SCRIPT_NAME": "", "PATH_INFO": "/api"}, False),
        ({"SCRIPT_NAME": "/x", "PATH_INFO": "/api/data"}, False),
    ],
)
def test_the_rule_is_found_from_script_name_and_path_info(environ: dict[str, str], covered: bool) -> None:
    app = CORSMiddleware(RecordingApp(), rules=[("/api/*", SEED)])
    _, headers = _raw_get(app, environ)
    assert (("Access-Control-Allow-Origin", LOCAL) in headers) is covered
    assert (("Vary", "Origin") in headers) is covered  # an uncovered path is not touched at all


def test_a_stream_of_new_paths_gets_what_the_rules_say_every_time() -> None:
    recording = RecordingApp()
    app = CORSMiddleware(recording, rules=[("/api/*", SEED)])
    for i in range(2000):
        _, covered = _raw_get(app, {"PATH_INFO": f"/api/items/{i}"})
        assert ("Access-Control-Allow-Origin", LOCAL) in covered, i
        _, uncovered = _raw_get(app, {"PATH_INFO": f"/static/{i}"})
        assert not any(name.startswith("Access-Control-") or name == "Vary" for name, _ in uncovered), i
        _, dotted = _raw_get(app, {"PATH_INFO": f"/static/../api/items/{i}"})
        assert not any(name.startswith("Access-Control-") for name, _ in dotted), i
    assert len(recording.calls) == 6000
