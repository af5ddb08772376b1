"""Server answers -> the browser's verdict: tables, including how the peer libraries answer.

Each row is a scripted server (no network); the checker runs exactly as against a live one. Codes are
Chromium's CorsError names, messages are its console text.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cors_wsgi.checker import CheckRequest, Response, Verdict, run
from cors_wsgi.checker.checks import PREFLIGHT_PREFIX
from cors_wsgi.checker.model import Headers
from cors_wsgi.checker.render import render_text

URL = "http://api.test/items"
ORIGIN = "http://localhost:3000"
NO_CORS_HINT = " Have the server send the header with a valid value."
ALLOWED = (("Access-Control-Allow-Origin", ORIGIN), ("Vary", "Origin"))


def scripted(
    preflight: Response | None = None, actual: Response | None = None
) -> tuple[Callable[[str, str, Headers, bytes | None], Response], list[tuple[str, str, Headers]]]:
    """A fake server: one answer for OPTIONS, one for everything else; records what it was sent."""
    sent: list[tuple[str, str, Headers]] = []

    def send(method: str, url: str, headers: Headers, body: bytes | None) -> Response:
        sent.append((method, url, headers))
        answer = preflight if method == "OPTIONS" else actual
        assert answer is not None, f"unexpected {method} {url}"
        return answer

    return send, sent


def check(
    actual: Response | None = None,
    preflight: Response | None = None,
    *,
    method: str = "GET",
    headers: Headers = (),
    credentials: bool = False,
    origin: str = ORIGIN,
    private_network: bool = False,
    browser: str = "chromium",
) -> Verdict:
    send, _ = scripted(preflight, actual)
    request = CheckRequest(
        URL,
        origin,
        method,
        headers,
        credentials,
        private_network=private_network,
        browser=browser,  # type: ignore[arg-type]
    )
    return run(request, send)


# --- simple requests: only the CORS check -----------------------------------------------------------

SIMPLE = [
    # (id, response headers, status, credentials, code or None, text in message, text in fix)
    ("exact origin", ALLOWED, 200, False, None, "", ""),
    ("star", (("Access-Control-Allow-Origin", "*"),), 200, False, None, "", ""),
    (
        "no ACAO",
        (),
        200,
        False,
        "MissingAllowOriginHeader",
        "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
        f"add `{ORIGIN}` to the server's allowed origins",
    ),
    (
        "error without CORS headers",
        (),
        500,
        False,
        "MissingAllowOriginHeader",
        "No 'Access-Control-Allow-Origin'",
        "the response is an error (500)",
    ),
    (
        "trailing slash",
        (("Access-Control-Allow-Origin", ORIGIN + "/"),),
        200,
        False,
        "AllowOriginMismatch",
        f"The 'Access-Control-Allow-Origin' header has a value '{ORIGIN}/' that is not equal to the supplied "
        f"origin.{NO_CORS_HINT}",
        "remove the trailing slash",
    ),
    (
        "different case",
        (("Access-Control-Allow-Origin", "HTTP://LOCALHOST:3000"),),
        200,
        False,
        "AllowOriginMismatch",
        "'HTTP://LOCALHOST:3000'",
        "byte for byte",
    ),
    (
        "other port",
        (("Access-Control-Allow-Origin", "http://localhost:3001"),),
        200,
        False,
        "AllowOriginMismatch",
        "'http://localhost:3001'",
        "another port",
    ),
    (
        "other scheme",
        (("Access-Control-Allow-Origin", "https://localhost:3000"),),
        200,
        False,
        "AllowOriginMismatch",
        "'https://localhost:3000'",
        "served over http://",
    ),
    (
        "fixed other origin",
        (("Access-Control-Allow-Origin", "https://app.example.com"),),
        200,
        False,
        "AllowOriginMismatch",
        "'https://app.example.com'",
        "echo the request's Origin",
    ),
    (
        "ACAO null used as a deny",
        (("Access-Control-Allow-Origin", "null"),),
        200,
        False,
        "AllowOriginMismatch",
        "has a value 'null' that is not equal",
        "`null` is not a way to refuse",
    ),
    (
        "duplicated ACAO lines",
        (("Access-Control-Allow-Origin", ORIGIN), ("Access-Control-Allow-Origin", ORIGIN)),
        200,
        False,
        "MultipleAllowOriginValues",
        f"The 'Access-Control-Allow-Origin' header contains multiple values '{ORIGIN}, {ORIGIN}', but only one is "
        f"allowed.{NO_CORS_HINT}",
        "2 Access-Control-Allow-Origin headers",
    ),
    (
        "duplicated star (middleware + proxy)",
        (("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Origin", "*")),
        200,
        False,
        "MultipleAllowOriginValues",
        "multiple values '*, *'",
        "two layers add it",
    ),
    (
        "a list in one line",
        (("Access-Control-Allow-Origin", f"{ORIGIN},https://b.example"),),
        200,
        False,
        "MultipleAllowOriginValues",
        "multiple values",
        "one origin, not a list",
    ),
    (
        "glob sent as a header value",
        (("Access-Control-Allow-Origin", "https://*.example.com"),),
        200,
        False,
        "AllowOriginMismatch",  # a valid URL to Chromium, so a mismatch rather than an invalid value
        "has a value 'https://*.example.com' that is not equal",
        "a pattern is not a header value",
    ),
    (
        "no scheme",
        (("Access-Control-Allow-Origin", "app.example.com"),),
        200,
        False,
        "InvalidAllowOriginValue",
        f"The 'Access-Control-Allow-Origin' header contains the invalid value 'app.example.com'.{NO_CORS_HINT}",
        "one exact origin with its scheme",
    ),
    (
        "star with credentials",
        (("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")),
        200,
        True,
        "WildcardOriginNotAllowed",
        "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard "
        "'*' when the request's credentials mode is 'include'.",
        f"`Access-Control-Allow-Origin: {ORIGIN}`",
    ),
    (
        "credentials without ACAC",
        ALLOWED,
        200,
        True,
        "InvalidAllowCredentials",
        "The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be "
        "'true' when the request's credentials mode is 'include'.",
        "add `Access-Control-Allow-Credentials: true`",
    ),
    (
        "ACAC True",
        (*ALLOWED, ("Access-Control-Allow-Credentials", "True")),
        200,
        True,
        "InvalidAllowCredentials",
        "is 'True' which must be 'true'",
        "in lower case",
    ),
    (
        "ACAC twice",
        (
            *ALLOWED,
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Allow-Credentials", "true"),
        ),
        200,
        True,
        "InvalidAllowCredentials",
        "is 'true, true'",
        "more than once",
    ),
    (
        "credentials allowed",
        (*ALLOWED, ("Access-Control-Allow-Credentials", "true")),
        200,
        True,
        None,
        "",
        "",
    ),
    (
        "ACAC ignored without credentials",
        (*ALLOWED, ("Access-Control-Allow-Credentials", "no")),
        200,
        False,
        None,
        "",
        "",
    ),
]


@pytest.mark.parametrize(
    ("headers", "status", "credentials", "code", "message", "fix"),
    [row[1:] for row in SIMPLE],
    ids=[row[0] for row in SIMPLE],
)
def test_simple_request_verdicts(
    headers: Headers, status: int, credentials: bool, code: str | None, message: str, fix: str
) -> None:
    verdict = check(Response(status, headers), credentials=credentials)
    assert [step.kind for step in verdict.steps] == ["actual"]  # no preflight for a simple GET
    if code is None:
        assert verdict.passed, verdict.console
        assert verdict.failure is None
        assert verdict.console is None
        return
    assert verdict.failure is not None
    assert verdict.failure.code == code
    assert message in verdict.failure.message
    assert fix in verdict.failure.fix
    assert verdict.console == (
        f"Access to fetch at '{URL}' from origin '{ORIGIN}' has been blocked by CORS policy: {verdict.failure.message}"
    )


# --- preflighted requests: the peers' answers and the preflight check --------------------------------

PREFLIGHT_OK = (
    *ALLOWED,
    ("Access-Control-Allow-Methods", "GET, PUT"),
    ("Access-Control-Allow-Headers", "x-token"),
)

PEERS = [
    # How each library answers a preflight from an origin it does not allow (CORS-NOTES.md), and what the
    # fix can tell from it. An answer with a trace of a CORS layer (Vary: Origin, an Access-Control-*
    # header, a 400/403 refusal) is an origin refused; a bare 2xx is also what a path no CORS rule covers
    # gets from the application, so the fix names that first (#21).
    ("flask-cors: 200, no headers", Response(200, ()), "none covers `/items`"),
    ("django-cors-headers: 200", Response(200, (("Content-Length", "0"),)), "none covers `/items`"),
    ("rs/cors: 204 with only Vary", Response(204, (("Vary", "Origin"),)), "refuses the origin"),
    (
        "starlette: 400 text body",
        Response(400, (("Content-Type", "text/plain"),), "", b"Disallowed CORS origin"),
        "refuses the origin",
    ),
    ("jub0bs/cors: 403", Response(403, ()), "refuses the origin"),
    (
        "Spring: 403 Invalid CORS request",
        Response(403, (), "", b"Invalid CORS request"),
        "refuses the origin",
    ),
    (
        "wsgicors: 204 leaking Allow-Methods",
        Response(
            204, (("Access-Control-Allow-Methods", "GET, PUT"), ("Access-Control-Allow-Headers", "x-token"))
        ),
        "refuses the origin",
    ),
]


@pytest.mark.parametrize(("answer", "fix"), [row[1:] for row in PEERS], ids=[row[0] for row in PEERS])
def test_every_peer_refusal_is_a_missing_allow_origin_on_the_preflight(answer: Response, fix: str) -> None:
    verdict = check(Response(200, ALLOWED), answer, method="PUT", headers=(("X-Token", "1"),))
    assert verdict.failure is not None
    assert verdict.failure.code == "PreflightMissingAllowOriginHeader"
    assert verdict.failure.message == (
        PREFLIGHT_PREFIX + "No 'Access-Control-Allow-Origin' header is present on the requested resource."
    )
    assert verdict.steps[0].kind == "preflight"
    assert "actual" not in [s.kind for s in verdict.steps]  # the browser stops at the preflight
    # The scripted server refuses every preflight, so the diagnosis stops after the plain GET probe.
    assert [s.kind for s in verdict.steps[1:]] == ["probe"]
    assert fix in verdict.failure.fix


PREFLIGHTS = [
    # (id, preflight answer, method, request headers, credentials, code or None, message part, fix part)
    ("allowed", Response(204, PREFLIGHT_OK), "PUT", (("X-Token", "1"),), False, None, "", ""),
    (
        "auth layer 401s the preflight",
        Response(401, ALLOWED),
        "PUT",
        (),
        False,
        "PreflightInvalidStatus",
        PREFLIGHT_PREFIX + "It does not have HTTP ok status.",
        "never send cookies or Authorization on a preflight",
    ),
    (
        "router has no OPTIONS",
        Response(405, ALLOWED),
        "PUT",
        (),
        False,
        "PreflightInvalidStatus",
        "It does not have HTTP ok status.",
        "no OPTIONS handler",
    ),
    (
        "404 without CORS headers",
        Response(404, ()),
        "PUT",
        (),
        False,
        "PreflightMissingAllowOriginHeader",
        "No 'Access-Control-Allow-Origin'",
        "nothing answers OPTIONS",
    ),
    (
        "redirected preflight",
        Response(301, (("Location", URL + "/"), *ALLOWED)),
        "PUT",
        (),
        False,
        "PreflightDisallowedRedirect",
        PREFLIGHT_PREFIX + "Redirect is not allowed for a preflight request.",
        f"301 to {URL}/",
    ),
    (
        "duplicated ACAO on the preflight",
        Response(204, (*PREFLIGHT_OK, ("Access-Control-Allow-Origin", ORIGIN))),
        "PUT",
        (),
        False,
        "PreflightMultipleAllowOriginValues",
        PREFLIGHT_PREFIX + "The 'Access-Control-Allow-Origin' header contains multiple values",
        "Keep exactly one",
    ),
    (
        "star preflight with credentials",
        Response(204, (("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "PUT"))),
        "PUT",
        (),
        True,
        "PreflightWildcardOriginNotAllowed",
        PREFLIGHT_PREFIX + "The value of the 'Access-Control-Allow-Origin' header in the response must not",
        "echo the allowed origin",
    ),
    (
        "preflight without ACAC, credentials",
        Response(204, PREFLIGHT_OK),
        "PUT",
        (),
        True,
        "PreflightInvalidAllowCredentials",
        PREFLIGHT_PREFIX + "The value of the 'Access-Control-Allow-Credentials' header",
        "Access-Control-Allow-Credentials: true",
    ),
    (
        "method not listed",
        Response(204, (*ALLOWED, ("Access-Control-Allow-Methods", "GET, POST"))),
        "PUT",
        (),
        False,
        "MethodDisallowedByPreflightResponse",
        "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response.",
        "add `PUT` to the server's allowed methods (it sent `Access-Control-Allow-Methods: GET, POST`)",
    ),
    (
        "no Allow-Methods at all",
        Response(204, ALLOWED),
        "DELETE",
        (),
        False,
        "MethodDisallowedByPreflightResponse",
        "Method DELETE is not allowed",
        "has no Access-Control-Allow-Methods",
    ),
    (
        "star methods",
        Response(204, (*ALLOWED, ("Access-Control-Allow-Methods", "*"))),
        "PUT",
        (),
        False,
        None,
        "",
        "",
    ),
    (
        "star methods is literal with credentials",
        Response(
            204,
            (*ALLOWED, ("Access-Control-Allow-Credentials", "true"), ("Access-Control-Allow-Methods", "*")),
        ),
        "PUT",
        (),
        True,
        "MethodDisallowedByPreflightResponse",
        "Method PUT is not allowed",
        "literal method name when credentials are included",
    ),
    (
        "lower-case patch is not PATCH",
        Response(204, (*ALLOWED, ("Access-Control-Allow-Methods", "PATCH"))),
        "patch",
        (),
        False,
        "MethodDisallowedByPreflightResponse",
        "Method patch is not allowed",
        "write `PATCH` in the script",
    ),
    (
        "methods compare case-sensitively",
        Response(204, (*ALLOWED, ("Access-Control-Allow-Methods", "patch"))),
        "PATCH",
        (),
        False,
        "MethodDisallowedByPreflightResponse",
        "Method PATCH is not allowed",
        "compare case-sensitively",
    ),
    (
        "header not listed",
        Response(
            204, (*ALLOWED, ("Access-Control-Allow-Methods", "PUT"), ("Access-Control-Allow-Headers", "a, b"))
        ),
        "PUT",
        (("X-Token", "1"),),
        False,
        "HeaderDisallowedByPreflightResponse",
        "Request header field x-token is not allowed by Access-Control-Allow-Headers in preflight response.",
        "add `x-token` to the server's allowed headers",
    ),
    (
        "header names compare case-insensitively",
        Response(204, (*ALLOWED, ("Access-Control-Allow-Headers", "X-TOKEN"))),
        "GET",
        (("x-token", "1"),),
        False,
        None,
        "",
        "",
    ),
    (
        "star headers",
        Response(204, (*ALLOWED, ("Access-Control-Allow-Headers", "*"))),
        "GET",
        (("X-Token", "1"),),
        False,
        None,
        "",
        "",
    ),
    (
        # The standard says '*' never covers Authorization; Chromium 156, Firefox 153 and WebKitGTK 2.50
        # all read it (docs/browsers.md), so the verdict is "read" with a warning (next test).
        "star headers cover authorization in today's engines",
        Response(204, (*ALLOWED, ("Access-Control-Allow-Headers", "*"))),
        "GET",
        (("Authorization", "Bearer t"), ("X-Token", "1")),
        False,
        None,
        "",
        "",
    ),
    (
        "star headers with credentials never cover authorization",
        Response(
            204,
            (*ALLOWED, ("Access-Control-Allow-Credentials", "true"), ("Access-Control-Allow-Headers", "*")),
        ),
        "GET",
        (("Authorization", "Bearer t"),),
        True,
        "HeaderDisallowedByPreflightResponse",
        "Request header field authorization is not allowed",
        "never covers authorization",
    ),
    (
        "star headers are literal with credentials",
        Response(
            204,
            (*ALLOWED, ("Access-Control-Allow-Credentials", "true"), ("Access-Control-Allow-Headers", "*")),
        ),
        "GET",
        (("X-Token", "1"),),
        True,
        "HeaderDisallowedByPreflightResponse",
        "Request header field x-token is not allowed",
        "literal name when credentials are included",
    ),
    (
        "json content-type needs listing",
        Response(204, (*ALLOWED, ("Access-Control-Allow-Methods", "POST"))),
        "POST",
        (("Content-Type", "application/json"),),
        False,
        "HeaderDisallowedByPreflightResponse",
        "Request header field content-type is not allowed",
        "has no Access-Control-Allow-Headers",
    ),
    (
        "unparsable Allow-Methods",
        Response(204, (*ALLOWED, ("Access-Control-Allow-Methods", "GET PUT"))),
        "PUT",
        (),
        False,
        "InvalidAllowMethodsPreflightResponse",
        "Cannot parse Access-Control-Allow-Methods response header field in preflight response.",
        "`Access-Control-Allow-Methods: GET PUT`",
    ),
    (
        "unparsable Allow-Headers",
        Response(204, (*ALLOWED, ("Access-Control-Allow-Headers", "x-token;"))),
        "GET",
        (("X-Token", "1"),),
        False,
        "InvalidAllowHeadersPreflightResponse",
        "Cannot parse Access-Control-Allow-Headers response header field in preflight response.",
        "not a comma-separated list",
    ),
]


@pytest.mark.parametrize(
    ("preflight", "method", "headers", "credentials", "code", "message", "fix"),
    [row[1:] for row in PREFLIGHTS],
    ids=[row[0] for row in PREFLIGHTS],
)
def test_preflight_verdicts(
    preflight: Response,
    method: str,
    headers: Headers,
    credentials: bool,
    code: str | None,
    message: str,
    fix: str,
) -> None:
    actual = Response(200, (*ALLOWED, ("Access-Control-Allow-Credentials", "true")))
    verdict = check(actual, preflight, method=method, headers=headers, credentials=credentials)
    assert verdict.steps[0].kind == "preflight"
    if code is None:
        assert verdict.passed, verdict.console
        assert [s.kind for s in verdict.steps] == ["preflight", "actual"]
        return
    assert verdict.failure is not None, "expected a failure"
    assert verdict.failure.code == code
    assert message in verdict.failure.message
    assert fix in verdict.failure.fix
    assert verdict.steps[-1].kind in ("preflight", "probe")  # the actual request is never sent


@pytest.mark.parametrize("browser", ["chromium", "firefox", "webkit"])
def test_star_covering_authorization_reads_with_a_warning_about_the_standard(browser: str) -> None:
    preflight = Response(204, (*ALLOWED, ("Access-Control-Allow-Headers", "*")))
    verdict = check(
        Response(200, ALLOWED),
        preflight,
        method="GET",
        headers=(("Authorization", "Bearer t"),),
        browser=browser,
    )
    assert verdict.passed, verdict.console
    (warning,) = [w for w in verdict.warnings if "Authorization" in w or "authorization" in w]
    assert "Fetch standard" in warning
    assert "list `authorization` explicitly" in warning


@pytest.mark.parametrize(
    ("browser", "max_age", "cached"),
    [
        ("chromium", "86400", "for 7200 s (Access-Control-Max-Age: 86400, capped at 7200 s)"),
        ("firefox", "86400", "for 86400 s (Access-Control-Max-Age: 86400)"),
        ("webkit", "86400", "for 600 s (Access-Control-Max-Age: 86400, capped at 600 s)"),
        ("webkit", "300", "for 300 s (Access-Control-Max-Age: 300)"),
        ("firefox", None, "for 5 s (no valid Access-Control-Max-Age)"),
    ],
)
def test_effective_preflight_cache_time_per_engine(browser: str, max_age: str | None, cached: str) -> None:
    extra = (("Access-Control-Max-Age", max_age),) if max_age else ()
    preflight = Response(204, (*ALLOWED, ("Access-Control-Allow-Methods", "PUT"), *extra))
    verdict = check(Response(200, ALLOWED), preflight, method="PUT", browser=browser)
    assert verdict.passed
    assert any(cached in note for note in verdict.notes), verdict.notes


def test_preflight_passes_but_the_actual_response_lacks_cors_headers() -> None:
    verdict = check(Response(200, ()), Response(204, PREFLIGHT_OK), method="PUT")
    assert verdict.failure is not None
    assert verdict.failure.code == "MissingAllowOriginHeader"
    assert [s.kind for s in verdict.steps] == ["preflight", "actual"]
    assert "the preflight passed" in verdict.failure.fix
    assert "strips it" in verdict.failure.fix


def test_the_wire_carries_what_a_browser_sends() -> None:
    send, sent = scripted(Response(204, PREFLIGHT_OK), Response(200, ALLOWED))
    request = CheckRequest(URL, ORIGIN, "put", (("X-Token", "1"), ("Accept", "application/json")))
    assert run(request, send).passed
    (pre_method, _, pre_headers), (method, _, headers) = sent
    assert pre_method == "OPTIONS"
    assert method == "PUT"
    pre = dict(pre_headers)
    assert pre["Access-Control-Request-Method"] == "PUT"
    assert pre["Access-Control-Request-Headers"] == "x-token"
    assert "X-Token" not in pre
    assert "Cookie" not in pre
    assert dict(headers)["X-Token"] == "1"
    assert dict(headers)["Origin"] == ORIGIN


# --- Private Network Access ------------------------------------------------------------------------


def test_private_network_preflight_needs_the_allow_header() -> None:
    verdict = check(Response(200, ALLOWED), Response(204, ALLOWED), private_network=True)
    assert verdict.failure is not None
    assert verdict.failure.code == "PreflightMissingAllowPrivateNetwork"
    assert "targeting the `unknown` address space" in verdict.failure.message  # api.test is a name
    allowed = Response(204, (*ALLOWED, ("Access-Control-Allow-Private-Network", "true")))
    assert check(Response(200, ALLOWED), allowed, private_network=True).passed
    wrong = Response(204, (*ALLOWED, ("Access-Control-Allow-Private-Network", "TRUE")))
    failure = check(Response(200, ALLOWED), wrong, private_network=True).failure
    assert failure is not None
    assert failure.code == "PreflightInvalidAllowPrivateNetwork"


# --- warnings: the request works, but something is off -----------------------------------------------


def test_warnings_do_not_change_the_verdict() -> None:
    echoed_without_vary = Response(200, (("Access-Control-Allow-Origin", ORIGIN),))
    verdict = check(echoed_without_vary)
    assert verdict.passed
    assert any("Vary: Origin" in w for w in verdict.warnings)
    assert not check(Response(200, ALLOWED)).warnings

    long_cache = Response(204, (*PREFLIGHT_OK, ("Access-Control-Max-Age", "86401")))
    verdict = check(Response(200, ALLOWED), long_cache, method="PUT")
    assert verdict.passed
    assert any("Chromium caps it at 7200 s, Firefox at 86400 s" in w for w in verdict.warnings)

    null = Response(200, (("Access-Control-Allow-Origin", "null"), ("Vary", "Origin")))
    verdict = check(null, origin="null")
    assert verdict.passed
    assert any("sandboxed iframes" in w for w in verdict.warnings)


def test_readable_headers_follow_expose_headers() -> None:
    response = Response(
        200,
        (
            *ALLOWED,
            ("Content-Type", "application/json"),
            ("X-Request-Id", "1"),
            ("X-Secret", "2"),
            ("Set-Cookie", "a=b"),
            ("Access-Control-Expose-Headers", "X-Request-Id"),
        ),
    )
    assert check(response).readable_headers == ("content-type", "x-request-id")
    star = Response(
        200, (*ALLOWED, ("X-Secret", "2"), ("Set-Cookie", "a=b"), ("Access-Control-Expose-Headers", "*"))
    )
    assert "x-secret" in check(star).readable_headers
    assert "set-cookie" not in check(star).readable_headers
    with_cookies = Response(200, (*star.headers, ("Access-Control-Allow-Credentials", "true")))
    assert "x-secret" not in check(with_cookies, credentials=True).readable_headers  # '*' is literal then


# --- redirects ---------------------------------------------------------------------------------------


def routed(routes: dict[tuple[str, str], Response]) -> Callable[[str, str, Headers, bytes | None], Response]:
    def send(method: str, url: str, headers: Headers, body: bytes | None) -> Response:
        return routes[(method, url)]

    return send


def test_cross_origin_redirect_taints_the_origin_to_null() -> None:
    other = "http://cdn.test/items"
    send = routed(
        {
            ("GET", URL): Response(302, (("Location", other), *ALLOWED)),
            ("GET", other): Response(200, ALLOWED),  # echoes the page's origin: but the browser sent "null"
        }
    )
    verdict = run(CheckRequest(URL, ORIGIN), send)
    assert verdict.failure is not None
    assert verdict.failure.code == "AllowOriginMismatch"
    assert dict(verdict.steps[-1].request_headers)["Origin"] == "null"
    assert verdict.console is not None
    assert verdict.console.startswith(
        f"Access to fetch at '{other}' (redirected from '{URL}') from origin '{ORIGIN}'"
    )
    star = routed(
        {
            ("GET", URL): Response(302, (("Location", other), *ALLOWED)),
            ("GET", other): Response(200, (("Access-Control-Allow-Origin", "*"),)),
        }
    )
    assert run(CheckRequest(URL, ORIGIN), star).passed


def test_redirect_response_itself_must_pass_the_cors_check() -> None:
    send = routed({("GET", URL): Response(307, (("Location", "/elsewhere"),))})
    verdict = run(CheckRequest(URL, ORIGIN), send)
    assert verdict.failure is not None
    assert verdict.failure.code == "MissingAllowOriginHeader"
    assert [s.kind for s in verdict.steps] == ["redirect"]


def test_same_origin_redirect_keeps_the_origin_and_303_becomes_get() -> None:
    target = "http://api.test/result"
    send = routed(
        {
            ("PUT", URL): Response(303, (("Location", "/result"), *ALLOWED)),
            ("OPTIONS", URL): Response(204, PREFLIGHT_OK),
            ("GET", target): Response(200, ALLOWED),
        }
    )
    verdict = run(CheckRequest(URL, ORIGIN, "PUT"), send)
    assert verdict.passed, verdict.console
    assert [(s.kind, s.method) for s in verdict.steps] == [
        ("preflight", "OPTIONS"),
        ("redirect", "PUT"),
        ("actual", "GET"),
    ]
    assert dict(verdict.steps[-1].request_headers)["Origin"] == ORIGIN


def test_redirect_loops_end() -> None:
    send = routed({("GET", URL): Response(302, (("Location", URL), *ALLOWED))})
    verdict = run(CheckRequest(URL, ORIGIN), send, max_redirects=3)
    assert verdict.failure is not None
    assert verdict.failure.code == "TooManyRedirects"
    assert len(verdict.steps) == 4


def test_same_origin_requests_are_not_cors() -> None:
    # Sent, because only the answer tells whether a redirect leads to another origin (#21 case 2); a
    # same-origin answer is read whatever its headers, Origin goes only with methods other than GET/HEAD.
    send, sent = scripted(actual=Response(200, (("X-Private", "1"),)))
    verdict = run(CheckRequest("http://localhost:3000/api", ORIGIN), send)
    assert verdict.passed
    assert [s.kind for s in verdict.steps] == ["actual"]
    assert "Origin" not in dict(sent[0][2])
    assert "same-origin" in verdict.notes[0]
    assert verdict.readable_headers == ("x-private",)


def test_json_view_is_complete() -> None:
    verdict = check(Response(200, ()), Response(204, PREFLIGHT_OK), method="PUT")
    data = verdict.to_dict()
    assert data["verdict"] == "FAIL"
    assert data["failure"]["code"] == "MissingAllowOriginHeader"
    assert data["failure"]["console"] == verdict.console
    assert [s["kind"] for s in data["steps"]] == ["preflight", "actual"]
    assert data["steps"][0]["status"] == 204
    assert ["Access-Control-Request-Method", "PUT"] in data["steps"][0]["request_headers"]


# --- robustness: any answer at all gets a verdict, never an exception ------------------------------

HEADER_NAMES = st.sampled_from(
    [
        "Access-Control-Allow-Origin",
        "access-control-allow-origin",
        "Access-Control-Allow-Credentials",
        "Access-Control-Allow-Methods",
        "Access-Control-Allow-Headers",
        "Access-Control-Expose-Headers",
        "Access-Control-Allow-Private-Network",
        "Access-Control-Max-Age",
        "Vary",
        "Location",
    ]
)
HEADER_VALUES = st.one_of(
    st.sampled_from([ORIGIN, ORIGIN + "/", "*", "null", "true", "PUT", "x-token", "", " , ,", "GET, *"]),
    st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=40),
)


@settings(max_examples=300, deadline=None)
@given(
    status=st.integers(min_value=100, max_value=599),
    headers=st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=6),
    credentials=st.booleans(),
    method=st.sampled_from(["GET", "PUT", "patch"]),
)
def test_any_answer_gets_a_verdict(
    status: int, headers: list[tuple[str, str]], credentials: bool, method: str
) -> None:
    answer = Response(status, tuple(headers))
    verdict = check(answer, answer, method=method, headers=(("X-Token", "1"),), credentials=credentials)
    assert verdict.passed == (verdict.failure is None)
    if verdict.failure is not None:
        assert verdict.console is not None
        assert verdict.console.endswith(verdict.failure.message)
        assert verdict.failure.fix
    text = render_text(verdict)
    assert any(line.startswith("PASS") for line in text.splitlines()) == verdict.passed
