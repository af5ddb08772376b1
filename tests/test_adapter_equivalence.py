"""The middleware sends exactly what the pure core decides: random policies, rules and requests, in normal
and debug mode, with the adapter's memos cold and warm."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cors_wsgi import ConfigError, CORSMiddleware, CORSPolicy
from cors_wsgi.decision import decide_compiled
from cors_wsgi.explain import explained
from cors_wsgi.rules import DOT_SEGMENT, Rules

ORIGINS = [
    "http://localhost:3000",
    "https://app.example.com",
    "https://a.b.example.com",
    "https://example.com",
    "http://app.example.com",
    "https://evil.test",
    "null",
    "https://app.example.com/",
    "HTTPS://APP.EXAMPLE.COM",
    "https://x.example.com\r\nX: y",
    "https://" + "a" * 400 + ".example.com",
]
CONFIGURED = ["http://localhost:3000", "https://app.example.com", "https://*.example.com", "null"]
METHODS = ["GET", "POST", "PUT", "DELETE", "patch", "PATCH"]
HEADERS = ["content-type", "x-token", "authorization"]
REQUEST_HEADERS = [
    None,
    "content-type",
    "content-type,x-token",
    "X-Token, Content-Type",
    "authorization",
    "x-other",
    ",,,",
    "x" + ",x" * 150,
    "x-\u212aey",
]
PATHS = ["/api/data", "/public/logo.png", "/other", "/api/../secret", "/api/./x", "/"]
GLOBS = ["/api/*", "/public/*", "/other", "/*", "/*.png"]
APP_HEADERS = [
    [("Content-Type", "application/json")],
    [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding"), ("Access-Control-Allow-Origin", "*")],
    [("vary", "origin"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
    [("Vary", "*")],
]


@st.composite
def policies(draw: st.DrawFn) -> CORSPolicy:
    star = draw(st.booleans()) and draw(st.booleans())
    fields: dict[str, Any] = {
        "allow_origins": ["*"]
        if star
        else draw(st.lists(st.sampled_from(CONFIGURED), min_size=1, max_size=3)),
        "allow_methods": draw(st.one_of(st.just(["*"]), st.lists(st.sampled_from(METHODS), max_size=3))),
        "allow_headers": draw(
            st.one_of(
                st.just(["*"]),
                st.just(["*", "authorization"]),
                st.lists(st.sampled_from(HEADERS), max_size=3),
            )
        ),
        "expose_headers": draw(st.lists(st.sampled_from(["X-Request-Id", "ETag"]), max_size=2)),
        "allow_credentials": draw(st.booleans()),
        "max_age": draw(st.sampled_from([None, 0, 600])),
        "allow_private_network": draw(st.booleans()),
    }
    if draw(st.booleans()) and not star:
        fields["allow_origin_regex"] = r"https://pr-[0-9]+\.preview\.example\.com"
    try:
        return CORSPolicy(**fields)
    except ConfigError:
        assume(False)
        raise


configs = st.one_of(
    policies(),
    st.lists(st.tuples(st.sampled_from(GLOBS), policies()), min_size=1, max_size=3),
)


@st.composite
def environs(draw: st.DrawFn) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": draw(st.sampled_from(["GET", "OPTIONS", "POST", "PUT"])),
        "SCRIPT_NAME": "",
        "PATH_INFO": draw(st.sampled_from(PATHS)),
    }
    origin = draw(st.one_of(st.none(), st.sampled_from(ORIGINS)))
    if origin is not None:
        environ["HTTP_ORIGIN"] = origin
    if draw(st.booleans()):
        environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"] = draw(st.sampled_from(METHODS))
    acrh = draw(st.sampled_from(REQUEST_HEADERS))
    if acrh is not None:
        environ["HTTP_ACCESS_CONTROL_REQUEST_HEADERS"] = acrh
    if draw(st.booleans()):
        environ["HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"] = draw(st.sampled_from(["true", "false"]))
    return environ


Answer = tuple[str | None, list[tuple[str, str]], bytes]


def app_with(headers: list[tuple[str, str]]) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", list(headers))
        return [b"app"]

    return app


def call(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> Answer:
    seen: dict[str, Any] = {"status": None, "headers": []}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"], seen["headers"] = status, list(headers)

    body = b"".join(app(dict(environ), start_response))
    return seen["status"], seen["headers"], body


def expected(config: Any, environ: dict[str, Any], app_headers: list[tuple[str, str]], debug: bool) -> Answer:
    """What the core says, computed without the middleware: rule lookup, then decide()."""
    method = environ["REQUEST_METHOD"]
    origin = environ.get("HTTP_ORIGIN")
    acrm = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")
    if isinstance(config, CORSPolicy):
        target: Any = config.compiled
    else:
        target = Rules(config).lookup(environ["SCRIPT_NAME"] + environ["PATH_INFO"])
        if target is None:
            return "200 OK", list(app_headers), b"app"
    compiled = None if target is DOT_SEGMENT else target
    decision = decide_compiled(
        compiled,
        method,
        origin,
        acrm,
        environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
        environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
        environ,
        debug=debug,
    )
    if debug:
        decision = explained(decision, () if compiled is None else compiled.policy.allow_origins)
    if decision.kind == "preflight":
        status = {204: "204 No Content", 403: "403 Forbidden"}[decision.status or 0]
        return status, decision.response_headers(), decision.body
    return "200 OK", decision.response_headers(app_headers), b"app"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    config=configs,
    requests=st.lists(environs(), min_size=1, max_size=6),
    app_headers=st.sampled_from(APP_HEADERS),
    debug=st.booleans(),
)
def test_the_middleware_writes_exactly_the_decision(
    config: Any, requests: list[dict[str, Any]], app_headers: list[tuple[str, str]], debug: bool
) -> None:
    if isinstance(config, CORSPolicy):
        middleware = CORSMiddleware(app_with(app_headers), config, debug=debug)
    else:
        middleware = CORSMiddleware(app_with(app_headers), rules=config, debug=debug)
    # Each request twice: the first may fill a memo, the second may be answered from it.
    for environ in requests + requests:
        assert call(middleware, environ) == expected(config, environ, app_headers, debug), environ
