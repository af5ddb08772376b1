"""`check` names every real fault and only real ones (issue #21): a test per misleading verdict or fix that
new users met, then a grid of cors_wsgi policies x requests in which each fix is held against the policy's
own answer to "what is wrong with this request".

Scripted servers (no network) where the answer is one a framework or proxy gives; the real middleware
through ``check_wsgi`` where the policy decides.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from cors_wsgi import CORSMiddleware, CORSPolicy, check_wsgi
from cors_wsgi.checker import CheckRequest, Response, Verdict, run
from cors_wsgi.checker.model import Headers

PAGE = "https://app.example.com"
LOCAL = "http://localhost:3000"
Send = Callable[[str, str, Headers, bytes | None], Response]


def routed(routes: dict[tuple[str, str], Response]) -> tuple[Send, list[tuple[str, str, Headers]]]:
    """A scripted set of servers: one answer per (method, URL); records what was sent."""
    sent: list[tuple[str, str, Headers]] = []

    def send(method: str, url: str, headers: Headers, body: bytes | None) -> Response:
        sent.append((method, url, headers))
        return routes[(method, url)]

    return send, sent


def hello(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def grant(origin: str, *extra: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return (("Access-Control-Allow-Origin", origin), ("Vary", "Origin"), *extra)


def failed(verdict: Verdict) -> tuple[str, str]:
    assert verdict.failure is not None, "expected a failure"
    return verdict.failure.code, verdict.failure.fix


# --- 1. mixed content -------------------------------------------------------------------------------


def test_case01_https_page_fetching_plain_http_is_blocked_as_mixed_content() -> None:
    url = "http://api.example.com/data"
    send, sent = routed({("GET", url): Response(200, grant(PAGE))})
    verdict = run(CheckRequest(url, PAGE), send)
    code, fix = failed(verdict)
    assert code == "MixedContent"
    assert not sent  # the browser blocks it before it leaves
    assert verdict.console == (
        "Mixed Content: The page at 'https://app.example.com/' was loaded over HTTPS, but requested an "
        "insecure resource 'http://api.example.com/data'. This request has been blocked; the content must be "
        "served over HTTPS."
    )
    assert "`https://api.example.com/data`" in fix


def test_case01_a_redirect_to_plain_http_is_mixed_content_too_and_loopback_is_not() -> None:
    url, insecure = "https://api.example.com/data", "http://api.example.com/data"
    send, sent = routed({("GET", url): Response(301, (("Location", insecure), *grant(PAGE)))})
    assert failed(run(CheckRequest(url, PAGE), send))[0] == "MixedContent"
    assert [s[1] for s in sent] == [url]
    local = "http://127.0.0.1:5000/data"  # loopback is potentially trustworthy: no mixed content
    send, _ = routed({("GET", local): Response(200, grant(PAGE))})
    assert run(CheckRequest(local, PAGE), send).passed


# --- 2. a same-origin URL that redirects to another origin ------------------------------------------------


def test_case02_same_origin_redirect_to_a_cross_origin_api_is_checked_in_cors_mode() -> None:
    start, api = "http://localhost:3000/data", "http://localhost:5000/data"
    send, sent = routed(
        {
            ("GET", start): Response(302, (("Location", api),)),
            ("GET", api): Response(200, (("Content-Type", "application/json"),)),
        }
    )
    verdict = run(CheckRequest(start, LOCAL), send)
    code, _ = failed(verdict)
    assert code == "MissingAllowOriginHeader"
    assert [(s.kind, s.url) for s in verdict.steps] == [("redirect", start), ("actual", api)]
    assert dict(sent[1][2])["Origin"] == LOCAL  # no taint: the hop left the page's own origin
    assert verdict.console is not None
    assert verdict.console.startswith(f"Access to fetch at '{api}' (redirected from '{start}')")


def test_case02_the_redirected_request_is_preflighted_at_the_other_origin() -> None:
    start, api = "http://localhost:3000/data", "http://localhost:5000/data"
    ok = Response(204, grant(LOCAL, ("Access-Control-Allow-Methods", "PUT")))
    send, sent = routed(
        {
            ("PUT", start): Response(307, (("Location", api),)),
            ("OPTIONS", api): ok,
            ("PUT", api): Response(200, grant(LOCAL)),
        }
    )
    verdict = run(CheckRequest(start, LOCAL, "PUT"), send)
    assert verdict.passed, verdict.console
    assert [s[0] for s in sent] == ["PUT", "OPTIONS", "PUT"]


# --- 3. `null` after a cross-origin redirect ----------------------------------------------------------


def test_case03_after_a_cross_origin_redirect_the_fix_is_the_redirect_never_allowing_null() -> None:
    url, other = "http://api.test/items", "http://cdn.test/items"
    send, _ = routed(
        {
            ("GET", url): Response(302, (("Location", other), *grant(LOCAL))),
            ("GET", other): Response(200, grant(LOCAL)),  # echoes the page: the browser sent `null`
        }
    )
    code, fix = failed(run(CheckRequest(url, LOCAL), send))
    assert code == "AllowOriginMismatch"
    assert "`Origin: null`" in fix
    assert f"Call `{other}` directly" in fix
    assert "add `null`" not in fix
    assert "Do not allow `null`" in fix


def test_case03_preflighted_put_redirected_to_another_host() -> None:
    url, other = "http://api.test/items", "http://cdn.test/items"
    ok = Response(204, grant(LOCAL, ("Access-Control-Allow-Methods", "PUT")))
    for answer in (ok, Response(403, (("Vary", "Origin"),))):  # echoes the page's origin, or refuses `null`
        send, sent = routed(
            {
                ("OPTIONS", url): ok,
                ("PUT", url): Response(307, (("Location", other), *grant(LOCAL))),
                ("OPTIONS", other): answer,
            }
        )
        verdict = run(CheckRequest(url, LOCAL, "PUT"), send)
        _, fix = failed(verdict)
        assert dict(sent[2][2])["Origin"] == "null"
        assert "add `null`" not in fix
        assert "redirected" in fix


# --- 4. credentials refused, with a preflight: the origin is allowed -----------------------------------


def test_case04_the_readme_example_names_credentials_method_and_header_not_the_origin() -> None:
    # The README's quick start server, and the README's second `check` example against it.
    app = CORSMiddleware(hello, allow_origins=[LOCAL])
    verdict = check_wsgi(
        app,
        "http://localhost:5000/api/data",
        LOCAL,
        method="PUT",
        headers={"Content-Type": "application/json"},
        credentials=True,
    )
    _, fix = failed(verdict)
    assert "refuses the origin" not in fix
    assert f"allows the origin `{LOCAL}`" in fix
    assert "credentials" in fix
    assert "the method `PUT`" in fix
    assert "`content-type`" in fix


def test_case04_credentials_alone() -> None:
    app = CORSMiddleware(hello, allow_origins=[LOCAL], allow_methods=["GET", "PUT"])
    _, fix = failed(check_wsgi(app, "http://localhost:5000/x", LOCAL, method="PUT", credentials=True))
    assert "refuses the origin" not in fix
    assert "credentials" in fix
    assert "method" not in fix


def test_case04_a_preflight_refused_for_credentials_also_names_what_else_it_lacks() -> None:
    url = "http://api.test/items"
    send, _ = routed(
        {("OPTIONS", url): Response(204, grant(LOCAL))}
    )  # no Allow-Credentials, no Allow-Methods
    code, fix = failed(run(CheckRequest(url, LOCAL, "PUT", credentials=True), send))
    assert code == "PreflightInvalidAllowCredentials"
    assert "Access-Control-Allow-Credentials: true" in fix
    assert "Then also" in fix
    assert "Access-Control-Allow-Methods: PUT" in fix


# --- 5. a redirect without CORS headers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "url", "target", "why"),
    [
        (308, "https://api.example.com/items", "https://api.example.com/items/", "trailing slash"),
        (301, "http://localhost:5000/items", "https://localhost:5000/items", "http:// to https://"),
    ],
)
def test_case05_a_redirect_without_cors_headers_is_the_fault_not_the_origin(
    status: int, url: str, target: str, why: str
) -> None:
    send, _ = routed({("GET", url): Response(status, (("Location", target),))})
    code, fix = failed(run(CheckRequest(url, LOCAL), send))
    assert code == "MissingAllowOriginHeader"
    assert "allowed origins" not in fix
    assert f"Call `{target}` directly" in fix
    assert why in fix


# --- 6. Private Network Access refused -----------------------------------------------------------------


def test_case06_private_network_access_refused_is_named_not_the_origin() -> None:
    app = CORSMiddleware(hello, allow_origins=[PAGE])
    verdict = check_wsgi(app, "http://127.0.0.1:5000/x", PAGE, private_network=True)
    _, fix = failed(verdict)
    assert "refuses the origin" not in fix
    assert "Private Network Access" in fix
    assert "allow_private_network" in fix
    # the probe for the origin leaves the Private Network Access header out: one thing at a time
    origin_probe = next(s for s in verdict.steps if s.kind == "probe")
    assert "Access-Control-Request-Private-Network" not in dict(origin_probe.request_headers)


# --- 7. a path no rule covers -----------------------------------------------------------------------------


def test_case07_a_path_no_rule_covers_is_named_not_the_origin() -> None:
    policy = CORSPolicy(allow_origins=[LOCAL], allow_methods=["GET", "PUT"])
    app = CORSMiddleware(hello, rules=[("/api/*", policy)])
    for method in ("PUT", "GET"):  # a refused preflight, and a simple request
        _, fix = failed(check_wsgi(app, "http://localhost:5000/other/x", LOCAL, method=method))
        assert "refuses the origin" not in fix
        assert "none covers `/other/x`" in fix
    # on a covered path, a refused origin is still named as such
    _, fix = failed(check_wsgi(app, "http://localhost:5000/api/x", "https://evil.example", method="PUT"))
    assert "refuses the origin `https://evil.example`" in fix


# --- 8. 5xx by what the status says ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "said", "not_said"),
    [
        (500, "unhandled exception", "gateway"),
        (502, "gateway", "catch_exceptions"),
        (504, "gave up waiting", "catch_exceptions"),
        (503, "Service Unavailable", "catch_exceptions"),
        (507, "(507)", "catch_exceptions"),
    ],
)
def test_case08_server_errors_are_described_by_their_status(status: int, said: str, not_said: str) -> None:
    url = "http://api.test/items"
    send, _ = routed({("GET", url): Response(status, ()), ("OPTIONS", url): Response(status, ())})
    for method in ("GET", "PUT"):  # the response itself, and the preflight
        _, fix = failed(run(CheckRequest(url, LOCAL, method), send))
        assert said in fix
        assert not_said not in fix
        if status != 500:
            assert "unhandled exception" not in fix


# --- 9. Authorization under `*` with credentials ----------------------------------------------------------


def test_case09_authorization_under_star_with_credentials_is_refused_by_every_engine() -> None:
    url = "http://api.test/items"
    preflight = Response(
        204,
        grant(LOCAL, ("Access-Control-Allow-Credentials", "true"), ("Access-Control-Allow-Headers", "*")),
    )
    send, _ = routed({("OPTIONS", url): preflight})
    request = CheckRequest(url, LOCAL, "GET", (("Authorization", "Bearer t"),), credentials=True)
    code, fix = failed(run(request, send))
    assert code == "HeaderDisallowedByPreflightResponse"
    assert "lets it through" not in fix
    assert "Chromium" not in fix
    assert "every engine refuses" in fix
    assert "List `authorization` explicitly" in fix


# --- 10. `patch` in the script against a server listing PATCH ---------------------------------------------


def test_case10_lower_case_patch_is_fixed_in_the_script() -> None:
    app = CORSMiddleware(hello, allow_origins=[LOCAL], allow_methods=["GET", "PATCH"])
    _, fix = failed(check_wsgi(app, "http://localhost:5000/x", LOCAL, method="patch"))
    assert "write `PATCH` in the script" in fix
    assert "add it to the allowed methods" not in fix
    assert "refuses the origin" not in fix


# --- the grid: every fix against what the policy itself refuses ------------------------------------------

OTHER = "https://other.example"
POLICIES = {
    "origin-only": CORSPolicy(allow_origins=[LOCAL]),
    "json-api-cookies": CORSPolicy(
        allow_origins=[LOCAL],
        allow_methods=["GET", "PUT", "PATCH"],
        allow_headers=["content-type"],
        allow_credentials=True,
    ),
    "private-network": CORSPolicy(
        allow_origins=[LOCAL],
        allow_methods=["GET", "PUT"],
        allow_headers=["x-token"],
        allow_private_network=True,
    ),
}
REQUESTS = list(
    itertools.product(
        [LOCAL, OTHER],
        ["GET", "PUT", "patch", "DELETE"],
        [(), (("Content-Type", "application/json"),), (("X-Token", "1"),)],
        [False, True],
        [False, True],
        ["/api/x", "/other/x"],
    )
)


ORIGIN_BLAMED = "the origin itself"


def expected_faults(
    policy: CORSPolicy, origin: str, method: str, headers: Headers, credentials: bool, pna: bool, path: str
) -> list[str]:
    """What is wrong with the request under ``policy`` (mounted on /api/*), as text the fix must hold."""
    if not path.startswith("/api/"):
        return ["none covers"]
    if origin not in policy.allow_origins:
        return [ORIGIN_BLAMED]
    faults = []
    if credentials and not policy.allow_credentials:
        faults.append("credentials")
    if method == "patch" and "PATCH" in policy.allow_methods:
        faults.append("write `PATCH` in the script")
    elif method not in ("GET", "HEAD", "POST") and method not in policy.allow_methods:
        faults.append(f"the method `{method}`")
    faults += [f"`{name.lower()}`" for name, _ in headers if name.lower() not in policy.allow_headers]
    if pna and not policy.allow_private_network:
        faults.append("Private Network Access")
    return faults


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_grid_every_fix_names_the_real_faults_and_only_those(name: str) -> None:
    policy = POLICIES[name]
    app = CORSMiddleware(hello, rules=[("/api/*", policy)])
    wrong: list[str] = []
    for origin, method, headers, credentials, pna, path in REQUESTS:
        verdict = check_wsgi(
            app,
            "http://127.0.0.1:5000" + path,
            origin,
            method=method,
            headers=dict(headers),
            credentials=credentials,
            private_network=pna,
        )
        faults = expected_faults(policy, origin, method, headers, credentials, pna, path)
        case = f"{name} {origin} {method} {headers} credentials={credentials} pna={pna} {path}"
        if verdict.passed != (not faults):
            wrong.append(f"{case}: passed={verdict.passed}, expected faults {faults}")
            continue
        if verdict.failure is None:
            continue
        fix = verdict.failure.fix
        blamed = f"add `{origin}` to" in fix or "refuses the origin" in fix
        missing = [fault for fault in faults if fault not in fix and not (fault is ORIGIN_BLAMED and blamed)]
        blamed = blamed and ORIGIN_BLAMED not in faults and "none covers" not in faults
        if missing or blamed or "allow `null`" in fix.replace("not allow `null`", ""):
            wrong.append(f"{case}: fix {fix!r} misses {missing}, blames the origin: {blamed}")
    assert not wrong, "\n".join(wrong[:10]) + f"\n({len(wrong)} in all)"
