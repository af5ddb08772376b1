"""The middleware sends exactly what the pure core decides: random policies (origin functions that read the
environ included), rules and requests, in normal and debug mode, with a report-only candidate and an
``on_decision`` callback or without, with ``catch_exceptions`` and an application that raises or without,
and with the adapter's memos cold and warm. The events delivered are the ones the core's decisions imply."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fnmatch import fnmatchcase
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from raw_wsgi import call_raw

from cors_wsgi import ConfigError, CORSMiddleware, CORSPolicy, Decision, DecisionEvent
from cors_wsgi.decision import decide_compiled
from cors_wsgi.explain import explained
from cors_wsgi.observe import NO_RULE, Outcome
from cors_wsgi.rules import DOT_SEGMENT, DOT_SEGMENT_RULE, Rules
from cors_wsgi.unhandled import ERROR_BODY, ERROR_STATUS

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
PATHS = ["/api/data", "/public/logo.png", "/other", "/api/../secret", "/api/./x", "/", "/api/boom"]
ORIGINS.append("https://a.partner.example")


def partner(origin: str, environ: dict[str, Any]) -> bool:
    """An origin function whose answer depends on another request header, so nothing may be remembered."""
    return origin.endswith(".partner.example") and environ.get("HTTP_X_TENANT") == "yes"


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
    if draw(st.booleans()) and not star:
        fields["allow_origin_func"] = partner
        fields["allow_origin_func_vary"] = draw(st.sampled_from([(), ("X-Tenant",)]))
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
    if draw(st.booleans()):
        environ["HTTP_X_TENANT"] = draw(st.sampled_from(["yes", "no"]))
    return environ


Answer = tuple[str | None, list[tuple[str, str]], bytes]


class Boom(Exception):
    pass


def app_with(headers: list[tuple[str, str]]) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ["PATH_INFO"] == "/api/boom":
            raise Boom
        start_response("200 OK", list(headers))
        return [b"app"]

    return app


def call(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> Answer | type[Exception]:
    try:
        status, headers, body = call_raw(app, environ["REQUEST_METHOD"], environ["PATH_INFO"], environ)
    except Boom:
        return Boom
    return status, headers, body


def _decision(config: Any, environ: dict[str, Any], debug: bool) -> tuple[Decision | None, str]:
    """The core's decision for ``environ`` (None: no rule covers the path), and the rule that made it."""
    path = environ["SCRIPT_NAME"] + environ["PATH_INFO"]
    if isinstance(config, CORSPolicy):
        target: Any = config.compiled
        rule = "*"
    else:
        target = Rules(config).lookup(path)
        if target is None:
            return None, "-"
        rule = (
            DOT_SEGMENT_RULE if target is DOT_SEGMENT else next(p for p, _ in config if fnmatchcase(path, p))
        )
    compiled = None if target is DOT_SEGMENT else target
    decision = decide_compiled(
        compiled,
        environ["REQUEST_METHOD"],
        environ.get("HTTP_ORIGIN"),
        environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
        environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
        environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
        environ,
        debug=debug,
    )
    if debug:
        origins = () if compiled is None else compiled.policy.allow_origins
        decision = explained(decision, origins, environ.get("HTTP_ORIGIN"))
    return decision, rule


def expected(
    config: Any, environ: dict[str, Any], app_headers: list[tuple[str, str]], debug: bool, catch: bool
) -> Answer | type[Exception]:
    """What the core says, computed without the middleware: rule lookup, then the decision."""
    decision, _ = _decision(config, environ, debug)
    boom = environ["PATH_INFO"] == "/api/boom"
    if decision is None:
        return Boom if boom else ("200 OK", list(app_headers), b"app")
    if decision.kind == "preflight":
        status = {204: "204 No Content", 403: "403 Forbidden"}[decision.status or 0]
        return status, decision.response_headers(), decision.body
    if boom:
        if not catch:
            return Boom
        error_headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(ERROR_BODY))),
        ]
        return ERROR_STATUS, decision.response_headers(error_headers), ERROR_BODY
    return "200 OK", decision.response_headers(app_headers), b"app"


def expected_event(config: Any, candidate: Any, environ: dict[str, Any], debug: bool) -> DecisionEvent | None:
    """The event ``on_decision`` gets for ``environ``: enforced outcome, and the candidate's where it differs."""
    origin = environ.get("HTTP_ORIGIN")
    if origin is None:
        return None
    enforced, rule = _decision(config, environ, debug)
    outcome = Outcome(False, NO_RULE, "-") if enforced is None else _outcome(enforced, rule)
    theirs = None
    if candidate is not None:
        decided, candidate_rule = _decision(candidate, environ, debug=False)
        theirs = Outcome(False, NO_RULE, "-") if decided is None else _outcome(decided, candidate_rule)
    if enforced is None and (theirs is None or theirs.reason == NO_RULE):
        return None  # neither policy covers the path
    difference = theirs if theirs is not None and theirs.allowed != outcome.allowed else None
    preflight = environ["REQUEST_METHOD"] == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
    return DecisionEvent(
        "preflight" if preflight else "actual",
        origin,
        environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"] if preflight else environ["REQUEST_METHOD"],
        environ["PATH_INFO"],
        outcome.allowed,
        outcome.reason,
        outcome.rule,
        difference,
    )


def _outcome(decision: Decision, rule: str) -> Outcome:
    return Outcome(decision.allowed, decision.refusals[0].code if decision.refusals else None, rule)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    config=configs,
    candidate=st.one_of(st.none(), configs),
    observed=st.booleans(),
    requests=st.lists(environs(), min_size=1, max_size=6),
    app_headers=st.sampled_from(APP_HEADERS),
    debug=st.booleans(),
    catch=st.booleans(),
)
def test_the_middleware_writes_exactly_the_decision(
    config: Any,
    candidate: Any,
    observed: bool,
    requests: list[dict[str, Any]],
    app_headers: list[tuple[str, str]],
    debug: bool,
    catch: bool,
) -> None:
    events: list[DecisionEvent] = []
    policy_or_rules: dict[str, Any] = (
        {"policy": config} if isinstance(config, CORSPolicy) else {"rules": config}
    )
    middleware = CORSMiddleware(
        app_with(app_headers),
        **policy_or_rules,
        debug=debug,
        catch_exceptions=catch,
        report_only=candidate,
        on_decision=events.append if observed else None,
    )
    # Each request twice: the first may fill a memo, the second may be answered from it.
    for environ in requests + requests:
        events.clear()
        assert call(middleware, environ) == expected(config, environ, app_headers, debug, catch), environ
        event = expected_event(config, candidate, environ, debug)
        assert events == ([event] if observed and event is not None else []), environ
