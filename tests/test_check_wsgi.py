"""check_wsgi: the checker run in-process against WSGI apps wrapped in CORSMiddleware (and against bad ones)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from wsgiref.validate import validator

import pytest

from cors_wsgi import CORSMiddleware, CORSPolicy, check_wsgi
from cors_wsgi.checker.render import render_text
from cors_wsgi.checker.transport import build_environ

FRONTEND = "http://localhost:3000"


def hello(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    body = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}".encode()
    start_response(
        "200 OK",
        [("Content-Type", "text/plain"), ("Content-Length", str(len(body))), ("X-Request-Id", "42")],
    )
    return [body]


API = CORSPolicy(
    allow_origins=[FRONTEND, "https://*.example.com"],
    allow_methods=["GET", "POST", "PUT"],
    allow_headers=["content-type", "x-token"],
    expose_headers=["X-Request-Id"],
    allow_credentials=True,
)


@pytest.fixture
def app() -> Any:
    # wsgiref's validator on both sides: the environ the checker builds and the middleware's answers
    # must be valid PEP 3333.
    return validator(
        CORSMiddleware(
            validator(hello),
            rules=[("/api/*", API), ("/public/*", CORSPolicy(allow_origins=["*"]))],
        )
    )


def test_allowed_simple_request(app: Any) -> None:
    verdict = check_wsgi(app, "/api/items", origin=FRONTEND)
    assert verdict.passed, verdict.console
    assert [s.kind for s in verdict.steps] == ["actual"]
    assert "x-request-id" in verdict.readable_headers
    assert not verdict.warnings  # Vary: Origin is there


def test_allowed_preflighted_credentialed_request(app: Any) -> None:
    verdict = check_wsgi(
        app,
        "/api/items",
        origin="https://a.b.example.com",
        method="PUT",
        headers={"Content-Type": "application/json", "X-Token": "t"},
        credentials=True,
        body=b'{"a": 1}',
    )
    assert verdict.passed, verdict.console
    assert [s.kind for s in verdict.steps] == ["preflight", "actual"]
    assert verdict.steps[0].response.status == 204
    assert verdict.steps[1].response.body == b"PUT /api/items"


@pytest.mark.parametrize(
    ("origin", "why"),
    [
        ("https://evil.example", "refuses the origin `https://evil.example` itself"),
        ("https://example.com", "refuses the origin"),  # the apex is not covered by *.example.com
        ("http://a.example.com", "refuses the origin"),  # scheme downgrade
        ("http://localhost:3001", "refuses the origin"),  # other port
        ("null", "refuses the origin `null`"),
    ],
)
def test_refused_origins_are_diagnosed(app: Any, origin: str, why: str) -> None:
    verdict = check_wsgi(app, "/api/items", origin=origin, method="PUT")
    assert verdict.failure is not None
    assert verdict.failure.code == "PreflightMissingAllowOriginHeader"
    assert why in verdict.failure.fix
    assert verdict.steps[0].response.status == 403  # cors_wsgi refuses a preflight with 403


def test_refused_method_and_header_are_named(app: Any) -> None:
    verdict = check_wsgi(
        app, "/api/items", origin=FRONTEND, method="DELETE", headers=[("X-Token", "1"), ("X-Other", "2")]
    )
    assert verdict.failure is not None
    assert verdict.failure.code == "PreflightMissingAllowOriginHeader"
    assert "allows the origin `http://localhost:3000`" in verdict.failure.fix
    assert "the method `DELETE`" in verdict.failure.fix
    assert "`x-other`" in verdict.failure.fix
    assert "`x-token`" not in verdict.failure.fix
    probes = [s for s in verdict.steps if s.kind == "probe"]
    assert len(probes) == 4  # origin alone, method alone, each header alone
    text = render_text(verdict)
    assert "a browser does not send these" in text


def test_refused_simple_request_has_no_allow_origin(app: Any) -> None:
    # https: from an https page a plain http:// API is mixed content, blocked before CORS.
    verdict = check_wsgi(app, "https://api.test/api/items", origin="https://evil.example")
    assert verdict.failure is not None
    assert verdict.failure.code == "MissingAllowOriginHeader"
    assert verdict.steps[0].response.status == 200  # the app answered; the browser hides it


def test_public_star_rule(app: Any) -> None:
    assert check_wsgi(app, "/public/logo.png", origin="https://anyone.example").passed
    # '*' cannot serve a credentialed request: the browser refuses, as the checker says.
    verdict = check_wsgi(app, "/public/logo.png", origin="https://anyone.example", credentials=True)
    assert verdict.failure is not None
    assert verdict.failure.code == "WildcardOriginNotAllowed"


def test_uncovered_path_gets_no_cors(app: Any) -> None:
    verdict = check_wsgi(app, "/admin", origin=FRONTEND)
    assert verdict.failure is not None
    assert verdict.failure.code == "MissingAllowOriginHeader"


def test_star_headers_never_cover_authorization() -> None:
    app = CORSMiddleware(hello, allow_origins=[FRONTEND], allow_headers=["*"], allow_methods=["GET"])
    assert check_wsgi(app, "/x", origin=FRONTEND, headers={"X-Anything": "1"}).passed
    verdict = check_wsgi(app, "/x", origin=FRONTEND, headers={"Authorization": "Bearer t"})
    assert verdict.failure is not None
    assert "authorization" in (verdict.failure.message + verdict.failure.fix).lower()
    named = CORSMiddleware(hello, allow_origins=[FRONTEND], allow_headers=["*", "authorization"])
    assert check_wsgi(named, "/x", origin=FRONTEND, headers={"Authorization": "Bearer t"}).passed


def test_debug_body_is_shown_when_the_preflight_is_refused() -> None:
    app = CORSMiddleware(hello, allow_origins=[FRONTEND], debug=True)
    verdict = check_wsgi(app, "/x", origin="https://evil.example", method="PUT")
    assert verdict.failure is not None
    refused = verdict.steps[0].response
    assert refused.status == 403
    assert refused.body
    assert "< (body)" in render_text(verdict)


def test_a_hand_rolled_app_with_two_cors_layers() -> None:
    def doubled(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        # The app adds its own header and so does a proxy: the classic duplicated ACAO.
        start_response("200 OK", [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Origin", "*")])
        return [b""]

    verdict = check_wsgi(doubled, "/x", origin=FRONTEND)
    assert verdict.failure is not None
    assert verdict.failure.code == "MultipleAllowOriginValues"
    assert "2 Access-Control-Allow-Origin headers" in verdict.failure.fix


def test_generator_app_and_close_are_honoured() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Any:
            yield b"a"

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Access-Control-Allow-Origin", "*")])
        return Body()

    assert check_wsgi(app, "/x", origin=FRONTEND).passed
    assert closed == [True]


def test_environ_is_what_a_server_builds() -> None:
    environ = build_environ(
        "PUT",
        "https://api.test:8443/a%20b/caf%C3%A9?q=1",
        (("Content-Type", "application/json"), ("X-A", "1"), ("x-a", "2")),
        b"{}",
    )
    assert environ["PATH_INFO"] == "/a b/caf\xc3\xa9"  # decoded bytes as latin-1 (PEP 3333)
    assert environ["QUERY_STRING"] == "q=1"
    assert environ["wsgi.url_scheme"] == "https"
    assert environ["SERVER_PORT"] == "8443"
    assert environ["CONTENT_TYPE"] == "application/json"
    assert environ["CONTENT_LENGTH"] == "2"
    assert environ["HTTP_X_A"] == "1, 2"
    assert environ["wsgi.input"].read() == b"{}"
