"""The cross-origin write guard in the middleware (#20): whom each rule trusts, exempt paths, the refusal
itself (403, log, debug text, decision event), report mode, and the Host a request is compared with."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from raw_wsgi import raw_environ

from cors_wsgi import ConfigError, CORSMiddleware, CORSPolicy, DecisionEvent, decide, refusals
from cors_wsgi.csrf import ExemptPaths, refusal
from cors_wsgi.csrf_guard import REFUSED_BODY, server_host
from cors_wsgi.rules import PathGlob

APP_ORIGIN = "https://app.example.com"
EVIL = "https://evil.test"
HOST = "api.example.com"


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    environ["test.app_called"] = True
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"written"]


class Response:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes, called: bool) -> None:
        self.status, self.headers, self.body, self.called = int(status[:3]), headers, body, called

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def send(
    middleware: CORSMiddleware,
    method: str = "POST",
    path: str = "/api/items",
    *,
    origin: str | None = None,
    site: str | None = None,
    host: str | None = HOST,
    **extra: Any,
) -> Response:
    headers: dict[str, Any] = {"wsgi.url_scheme": "https", **extra}
    if origin is not None:
        headers["HTTP_ORIGIN"] = origin
    if site is not None:
        headers["HTTP_SEC_FETCH_SITE"] = site
    if host is not None:
        headers["HTTP_HOST"] = host
    environ = raw_environ(method, path, headers)
    if host is None:
        environ.pop("HTTP_HOST", None)
    captured: list[Any] = []

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured[:] = [status, list(response_headers)]
        return lambda data: None

    body = b"".join(middleware(environ, start_response))
    return Response(captured[0], captured[1], body, environ.get("test.app_called", False))


def guard(rules: list[tuple[str, CORSPolicy]] | None = None, **options: Any) -> CORSMiddleware:
    rules = rules or [
        ("/api/*", CORSPolicy(allow_origins=[APP_ORIGIN], allow_methods=["GET", "POST", "PUT"]))
    ]
    return CORSMiddleware(app, rules=rules, **{"csrf_protection": True, **options})


# --- whom a rule trusts -----------------------------------------------------------------------------------


def test_without_the_guard_cors_never_stops_a_cross_site_write() -> None:
    # Why the guard exists: the form POST reaches the application, only its response is unreadable.
    unguarded = CORSMiddleware(app, rules=[("/api/*", CORSPolicy(allow_origins=[APP_ORIGIN]))])
    response = send(unguarded, origin=EVIL, site="cross-site")
    assert (response.status, response.called) == (200, True)
    assert unguarded.csrf_protection is False


def test_each_path_trusts_the_origins_of_the_rule_covering_it() -> None:
    middleware = guard(
        [
            ("/a/*", CORSPolicy(allow_origins=["https://a.example"])),
            ("/b/*", CORSPolicy(allow_origins=["https://b.example"])),
        ]
    )
    for path, origin, status in [
        ("/a/x", "https://a.example", 200),
        ("/a/x", "https://b.example", 403),
        ("/b/x", "https://b.example", 200),
        ("/b/x", "https://a.example", 403),
        ("/c/x", "https://a.example", 403),  # no rule covers /c: no other origin is trusted
    ]:
        response = send(middleware, path=path, origin=origin, site="cross-site")
        assert (response.status, response.called) == (status, status == 200), (path, origin)


def test_a_path_no_rule_covers_still_takes_same_origin_writes() -> None:
    middleware = guard()
    assert send(middleware, path="/login", origin=f"https://{HOST}", site="same-origin").called
    assert send(middleware, path="/login", origin=f"https://{HOST}").called  # Origin equals Host
    assert send(middleware, path="/login").called  # not a browser
    assert not send(middleware, path="/login", origin=f"https://{HOST}", site="same-site").called


def test_a_star_rule_trusts_every_origin_even_null() -> None:
    middleware = guard([("/public/*", CORSPolicy(allow_origins=["*"]))])
    for origin in (EVIL, "null", "https://anyone.example"):
        assert send(middleware, path="/public/x", origin=origin, site="cross-site").called, origin
    assert not send(middleware, path="/private", origin=EVIL, site="cross-site").called


def partner(origin: str, environ: dict[str, Any]) -> bool:
    return origin == "https://partner.example" and environ.get("HTTP_X_TENANT") == "acme"


@pytest.mark.parametrize(
    ("policy", "trusted", "untrusted"),
    [
        (
            CORSPolicy(allow_origins=["https://*.example.com"]),
            "https://a.b.example.com",
            "https://example.com",
        ),
        (
            CORSPolicy(allow_origin_regex=r"https://pr-[0-9]+\.preview\.example\.com"),
            "https://pr-12.preview.example.com",
            "https://pr-x.preview.example.com",
        ),
        (CORSPolicy(allow_origins=["http://localhost:*"]), "http://localhost:5173", "http://127.0.0.1:5173"),
        (CORSPolicy(allow_origin_func=partner), "https://partner.example", "https://other.example"),
    ],
    ids=["wildcard", "regex", "port-wildcard", "origin-function"],
)
def test_trust_is_the_cors_decision_of_every_kind_of_origin_rule(
    policy: CORSPolicy, trusted: str, untrusted: str
) -> None:
    middleware = guard([("/api/*", policy)])
    response = send(middleware, origin=trusted, site="cross-site", HTTP_X_TENANT="acme")
    assert (response.status, response.called) == (200, True)
    response = send(middleware, origin=untrusted, site="cross-site", HTTP_X_TENANT="acme")
    assert (response.status, response.called) == (403, False)


def test_an_origin_function_decides_with_the_request_it_is_asked_about() -> None:
    middleware = guard([("/api/*", CORSPolicy(allow_origin_func=partner))])
    assert send(middleware, origin="https://partner.example", site="cross-site", HTTP_X_TENANT="acme").called
    assert not send(middleware, origin="https://partner.example", site="cross-site", HTTP_X_TENANT="x").called


def test_an_origin_function_that_raises_trusts_nobody(caplog: pytest.LogCaptureFixture) -> None:
    def broken(origin: str, environ: dict[str, Any]) -> bool:
        raise RuntimeError("database down")

    middleware = guard([("/api/*", CORSPolicy(allow_origin_func=broken))])
    with caplog.at_level(logging.ERROR, logger="cors_wsgi"):
        assert send(middleware, origin=APP_ORIGIN, site="cross-site").status == 403


def test_safe_methods_pass_and_preflights_stay_with_cors() -> None:
    middleware = guard()
    for method in ("GET", "HEAD"):
        assert send(middleware, method, origin=EVIL, site="cross-site").called, method
    preflight = send(
        middleware, "OPTIONS", origin=APP_ORIGIN, site="cross-site", HTTP_ACCESS_CONTROL_REQUEST_METHOD="PUT"
    )
    assert preflight.status == 204
    assert preflight.header("Access-Control-Allow-Origin") == APP_ORIGIN
    refused = send(
        middleware, "OPTIONS", origin=EVIL, site="cross-site", HTTP_ACCESS_CONTROL_REQUEST_METHOD="PUT"
    )
    assert refused.status == 403
    assert refused.body == b"CORS preflight refused\n"  # CORS's own refusal, not the guard's
    # An OPTIONS that is not a preflight goes to the application on an uncovered path, guard or not.
    assert send(middleware, "OPTIONS", path="/other", origin=EVIL, site="cross-site").called


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "post", "PROPFIND"])
def test_every_other_method_is_a_write(method: str) -> None:
    response = send(guard(), method, origin=EVIL, site="cross-site")
    assert (response.status, response.called) == (403, False)


def test_an_allowed_cross_origin_write_gets_its_cors_grant() -> None:
    response = send(guard(), origin=APP_ORIGIN, site="same-site")
    assert response.called
    assert response.header("Access-Control-Allow-Origin") == APP_ORIGIN


# --- exempt paths --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "exempt"),
    [
        ("/webhooks/stripe", True),
        ("/webhooks/", True),
        ("/webhooks", False),  # the glob is literal: '/webhooks/*' needs the slash
        ("/api/items", False),
        ("/webhooks/../api/items", False),  # a dot segment is never exempt
        ("/webhooks/./stripe", False),
        ("/webhooks/.well-known", True),  # '.well-known' is a name, not a dot segment
        ("/WEBHOOKS/stripe", False),  # case-sensitive, like the rules
    ],
)
def test_exempt_paths_use_the_rules_globs(path: str, exempt: bool) -> None:
    middleware = guard(csrf_exempt=["/webhooks/*"])
    response = send(middleware, path=path, origin="https://stripe.example", site="cross-site")
    assert (response.status, response.called) == ((200, True) if exempt else (403, False))
    assert ExemptPaths(["/webhooks/*"]).covers(path) is exempt


def test_exempt_paths_count_the_script_name() -> None:
    middleware = guard(csrf_exempt=["/app/hooks/*"])
    assert send(middleware, path="/hooks/x", origin=EVIL, site="cross-site", SCRIPT_NAME="/app").called
    assert not send(middleware, path="/hooks/x", origin=EVIL, site="cross-site").called


# --- the refusal ---------------------------------------------------------------------------------------


def test_a_refusal_is_a_short_plain_403_without_any_grant(caplog: pytest.LogCaptureFixture) -> None:
    middleware = guard([("/api/*", CORSPolicy(allow_origins=[APP_ORIGIN], expose_headers=["X-Id"]))])
    with caplog.at_level(logging.WARNING, logger="cors_wsgi"):
        response = send(middleware, origin=EVIL, site="cross-site")
    assert (response.status, response.called) == (403, False)
    assert response.body == REFUSED_BODY == b"Cross-origin request refused\n"
    assert response.headers == [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(REFUSED_BODY))),
    ]
    [record] = [r for r in caplog.records if r.name == "cors_wsgi"]
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert "cross-origin 'POST' '/api/items' refused" in message
    assert f"origin={EVIL!r}" in message
    assert "sec-fetch-site='cross-site'" in message
    assert refusals.CSRF_SEC_FETCH_SITE in message
    assert "rule='/api/*'" in message


def test_refusal_records_escape_request_values_and_are_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    middleware = guard()
    with caplog.at_level(logging.WARNING, logger="cors_wsgi"):
        send(middleware, origin="https://evil.test\r\nX-Forged: 1", site="cross-site")
        for _ in range(5):  # the same origin, rule and reason: one record per window
            send(middleware, origin=EVIL, site="cross-site")
        send(middleware, origin="https://other.test", site="cross-site")
    messages = [r.getMessage() for r in caplog.records if r.name == "cors_wsgi"]
    assert len(messages) == 3
    assert "\r" not in messages[0]
    assert "\n" not in messages[0]
    assert "\\r\\n" in messages[0]
    assert messages[2].endswith("(4 similar records held back)")


def test_debug_mode_says_which_check_refused() -> None:
    middleware = guard(debug=True)
    by_site = send(middleware, origin="https://app.example.co", site="cross-site")
    assert by_site.status == 403
    text = by_site.body.decode()
    assert text.startswith("Cross-origin request refused:\n- ")
    assert "the browser sent Sec-Fetch-Site: 'cross-site'" in text
    assert "origin 'https://app.example.co' is not allowed by the rule '/api/*'" in text
    assert "closest allowed origin is 'https://app.example.com'" in text  # the near miss, named

    by_host = send(middleware, origin=EVIL)
    assert (
        "there is no Sec-Fetch-Site and the Origin does not match the Host 'api.example.com'"
        in by_host.body.decode()
    )

    uncovered = send(middleware, path="/elsewhere", origin=EVIL, site="same-site")
    assert "no rule covers this path, so origin 'https://evil.test' is not trusted" in uncovered.body.decode()

    no_origin = send(middleware, site="cross-site")
    assert "the request has no Origin to trust" in no_origin.body.decode()
    assert int(by_site.header("Content-Length") or 0) == len(by_site.body)


def test_on_decision_gets_one_event_for_a_refused_write() -> None:
    events: list[DecisionEvent] = []
    middleware = guard(on_decision=events.append)
    send(middleware, origin=EVIL, site="cross-site")
    send(middleware, origin=EVIL)
    send(middleware, path="/uncovered", origin=EVIL, site="same-site")
    send(middleware, path="/uncovered", site="cross-site")
    send(middleware, origin=APP_ORIGIN, site="same-site")  # allowed: the usual CORS event
    send(middleware, path="/uncovered", origin=f"https://{HOST}", site="same-origin")  # neither: no event
    assert [(e.origin, e.path, e.allowed, e.reason, e.rule) for e in events] == [
        (EVIL, "/api/items", False, refusals.CSRF_SEC_FETCH_SITE, "/api/*"),
        (EVIL, "/api/items", False, refusals.CSRF_ORIGIN, "/api/*"),
        (EVIL, "/uncovered", False, refusals.CSRF_SEC_FETCH_SITE, "-"),
        ("", "/uncovered", False, refusals.CSRF_SEC_FETCH_SITE, "-"),
        (APP_ORIGIN, "/api/items", True, None, "/api/*"),
    ]
    assert all(e.kind == "actual" and e.method == "POST" for e in events)


def test_a_report_only_candidate_is_compared_on_a_refused_write_too(caplog: pytest.LogCaptureFixture) -> None:
    events: list[DecisionEvent] = []
    candidate = [("/api/*", CORSPolicy(allow_origins=[APP_ORIGIN, EVIL]))]
    middleware = guard(on_decision=events.append, report_only=candidate)
    with caplog.at_level(logging.INFO, logger="cors_wsgi.report"):
        assert send(middleware, origin=EVIL, site="cross-site").status == 403
    [event] = events
    assert event.reason == refusals.CSRF_SEC_FETCH_SITE
    assert event.report_only is not None
    assert event.report_only.allowed
    assert any("report-only:" in r.getMessage() for r in caplog.records)


# --- report mode ---------------------------------------------------------------------------------------


def test_report_mode_lets_writes_through_and_logs_each_would_be_refusal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events: list[DecisionEvent] = []
    middleware = guard(csrf_protection="report", on_decision=events.append)
    assert middleware.csrf_protection == "report"
    with caplog.at_level(logging.INFO, logger="cors_wsgi"):
        refused_later = send(middleware, origin="https://evil.test\nX: 1", site="cross-site")
        no_origin = send(middleware, path="/other", site="same-site")
        fine = send(middleware, origin=APP_ORIGIN, site="same-site")
    assert refused_later.called
    assert no_origin.called
    assert fine.called
    assert refused_later.status == 200
    records = [r for r in caplog.records if r.name == "cors_wsgi.report"]
    assert len(records) == 2
    first, second = (r.getMessage() for r in records)
    assert first.startswith("csrf report-only: 'POST' '/api/items' origin='https://evil.test\\nX: 1'")
    assert "sec-fetch-site='cross-site' would be refused: csrf-sec-fetch-site rule='/api/*'" in first
    assert second.startswith("csrf report-only: 'POST' '/other' origin=None sec-fetch-site='same-site'")
    assert not [r for r in caplog.records if r.name == "cors_wsgi" and r.levelno >= logging.WARNING]
    # Nothing is refused, so on_decision sees only the CORS decision of the request with an Origin.
    assert [(e.allowed, e.reason) for e in events] == [(False, "origin-not-allowed"), (True, None)]


def test_report_mode_has_its_own_budget(caplog: pytest.LogCaptureFixture) -> None:
    # Forged requests in report mode cannot crowd out the report-only candidate's records: each kind of
    # record has its own budget of 100 a window. (They once shared one, and 150 forged origins hid it.)
    candidate = [("/api/*", CORSPolicy(allow_origins=[APP_ORIGIN, "https://candidate.example"]))]
    middleware = guard(csrf_protection="report", report_only=candidate)
    with caplog.at_level(logging.INFO, logger="cors_wsgi.report"):
        for n in range(150):  # distinct origins: the budget of 100 records a window, not the key, limits
            send(middleware, origin=f"https://e{n}.test", site="cross-site")
        send(middleware, "GET", origin="https://candidate.example")  # a report-only difference
    messages = [r.getMessage() for r in caplog.records if r.name == "cors_wsgi.report"]
    assert len([m for m in messages if m.startswith("csrf report-only:")]) == 100
    [candidate_record] = [m for m in messages if m.startswith("report-only:")]
    assert "origin='https://candidate.example'" in candidate_record


# --- the Host the Origin is compared with ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "host", "passes"),
    [
        ("https://api.example.com", "api.example.com", True),
        ("http://api.example.com", "api.example.com", True),  # the scheme is not compared (as in Go)
        ("https://api.example.com:8443", "api.example.com:8443", True),
        ("https://api.example.com", "api.example.com:443", False),  # strings compared exactly, as in Go
        ("https://API.example.com", "api.example.com", False),
        ("https://api.example.com/", "api.example.com", False),  # not a serialized origin
        ("api.example.com", "api.example.com", False),
        ("https://", "", False),
    ],
)
def test_origin_is_compared_with_the_host_as_go_does(origin: str, host: str, passes: bool) -> None:
    assert send(guard(), path="/x", origin=origin, host=host).called is passes
    assert (refusal("POST", None, origin, host, False, "/x", ExemptPaths(())) is None) is passes


@pytest.mark.parametrize(
    ("environ", "host"),
    [
        (
            {"SERVER_NAME": "api.example.com", "SERVER_PORT": "443", "wsgi.url_scheme": "https"},
            "api.example.com",
        ),
        (
            {"SERVER_NAME": "api.example.com", "SERVER_PORT": "80", "wsgi.url_scheme": "http"},
            "api.example.com",
        ),
        (
            {"SERVER_NAME": "api.example.com", "SERVER_PORT": "8080", "wsgi.url_scheme": "http"},
            "api.example.com:8080",
        ),
        (
            {"SERVER_NAME": "api.example.com", "SERVER_PORT": "80", "wsgi.url_scheme": "https"},
            "api.example.com:80",
        ),
    ],
)
def test_without_a_host_header_the_server_name_stands_in(environ: dict[str, str], host: str) -> None:
    assert server_host(environ) == host
    middleware = guard()
    origin = f"{environ['wsgi.url_scheme']}://{host}"
    assert send(middleware, path="/x", origin=origin, host=None, **environ).called
    assert not send(middleware, path="/x", origin="https://other.example.com", host=None, **environ).called


# --- the adapter's shortcuts agree with the check -------------------------------------------------------

METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "get"]
SITES = [None, "", "same-origin", "none", "same-site", "cross-site", "SAME-ORIGIN"]
ORIGINS = [None, "", f"https://{HOST}", APP_ORIGIN, EVIL, "null"]
PATHS = ["/api/items", "/hooks/x", "/hooks/../api", "/other", "/public/x", "/public/../api/items"]
AGREEMENT_RULES = [
    ("/api/*", CORSPolicy(allow_origins=[APP_ORIGIN], allow_methods=["GET", "POST", "PUT"])),
    ("/public/*", CORSPolicy(allow_origins=["*"], allow_methods=["GET", "POST"])),  # trusts every origin
]


def _trusted(origin: str | None, path: str) -> bool:
    """Whether the rule covering ``path`` allows ``origin`` (none does on a dot-segment path)."""
    if origin is None or "/../" in path:
        return False
    for pattern, policy in AGREEMENT_RULES:
        if PathGlob(pattern).matches(path):
            return decide(policy, "GET", origin).allowed
    return False


def test_the_middleware_answers_every_combination_as_the_pure_check() -> None:
    # The adapter skips the call for safe methods, a trusted origin and Sec-Fetch-Site: same-origin; every
    # combination must still get what csrf.refusal says, on a "*" rule and on dot-segment paths too.
    middleware = guard(AGREEMENT_RULES, csrf_exempt=["/hooks/*"])
    exempt = ExemptPaths(["/hooks/*"])
    checked = 0
    for method, site, origin, path in itertools.product(METHODS, SITES, ORIGINS, PATHS):
        if method == "OPTIONS":
            continue  # a preflight is CORS's; the table above covers OPTIONS
        code = refusal(method, site, origin, HOST, _trusted(origin, path), path, exempt)
        response = send(middleware, method, path, origin=origin, site=site)
        assert response.called is (code is None), (method, site, origin, path, code)
        checked += 1
    assert checked == 5 * len(SITES) * len(ORIGINS) * len(PATHS)


def test_exempting_every_path_or_a_dot_segment_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        guard(csrf_exempt=["/*", "/hooks/../admin/*", "/webhooks/*"])
    messages = [str(e) for e in caught.value.errors]
    assert len(messages) == 2
    assert "exempts every path" in messages[0]
    assert "'.' or '..' segment" in messages[1]


def test_a_reload_that_weakens_the_guard_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = tmp_path / "cors.toml"
    rule = f'[[rule]]\npath = "/api/*"\nallow_origins = ["{APP_ORIGIN}"]\n'
    config.write_text(rule)
    middleware = CORSMiddleware.from_config(app, config, environ={}, csrf_protection=True)
    config.write_text('[middleware]\ncsrf_protection = "report"\ncsrf_exempt = ["/api/hooks/*"]\n\n' + rule)
    with caplog.at_level(logging.WARNING, logger="cors_wsgi"):
        assert middleware.reload_config(config, environ={})
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("turned csrf_protection from True to 'report'" in w for w in warnings), warnings
    assert any("exempts more paths from csrf_protection: ['/api/hooks/*']" in w for w in warnings), warnings


def test_a_write_without_origin_is_refused_and_reported_under_the_rule_covering_its_path(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # No Origin, but Sec-Fetch-Site says cross-site: the record and the event still name the rule whose
    # path it is, as for a write with an Origin.
    events: list[DecisionEvent] = []
    enforcing = guard(on_decision=events.append)
    reporting = guard(csrf_protection="report")
    with caplog.at_level(logging.INFO, logger="cors_wsgi"):
        refused = send(enforcing, site="cross-site")
        reported = send(reporting, site="cross-site")
    assert (refused.status, refused.called) == (403, False)
    assert (reported.status, reported.called) == (200, True)
    [warning] = [
        r.getMessage() for r in caplog.records if r.name == "cors_wsgi" and r.levelno == logging.WARNING
    ]
    [report] = [r.getMessage() for r in caplog.records if r.name == "cors_wsgi.report"]
    assert warning == (
        "cross-origin 'POST' '/api/items' refused: origin=None sec-fetch-site='cross-site' "
        f"{refusals.CSRF_SEC_FETCH_SITE} rule='/api/*'"
    )
    assert report == (
        "csrf report-only: 'POST' '/api/items' origin=None sec-fetch-site='cross-site' would be refused: "
        f"{refusals.CSRF_SEC_FETCH_SITE} rule='/api/*'"
    )
    assert [(e.origin, e.path, e.allowed, e.reason, e.rule) for e in events] == [
        ("", "/api/items", False, refusals.CSRF_SEC_FETCH_SITE, "/api/*")
    ]
