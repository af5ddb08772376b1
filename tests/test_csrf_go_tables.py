"""The cross-origin write guard against the tables of Go 1.25's own tests (#20).

Ported from Go's ``src/net/http/csrf_test.go`` (TestCrossOriginProtectionSecFetchSite, ...TrustedOriginBypass,
...PatternBypass, ...AddingBypassesConcurrently, ...Server): each row is run through the pure check
(``cors_wsgi.csrf.refusal``) and through the middleware, where it gives a status and whether the
application was called. Go trusts origins added with ``AddTrustedOrigin``; here a rule covering the path
allows them. Go's bypass patterns are ``ServeMux`` patterns; here they are the rules' globs, and the rows
where the two syntaxes differ say so and expect what our globs do.
"""

from __future__ import annotations

import http.client
import sys
import threading
import wsgiref.simple_server
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import get_free_port
from raw_wsgi import raw_environ

from cors_wsgi import CORSMiddleware, CORSPolicy
from cors_wsgi.csrf import ExemptPaths, refusal

HOST = "example.com"  # Go's requests go to https://example.com/...
TRUSTED = "https://trusted.example"
ATTACKER = "https://attacker.example"


class Recorder:
    """The application: marks the request's environ as served (thread by thread), counts, answers 200."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        environ["test.app_called"] = True
        self.calls += 1
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def serve(
    app: Callable[..., Any], method: str, path: str, site: str, origin: str, host: str = HOST
) -> tuple[int, bool]:
    """(status, application called) for one request; '' leaves a header out, as Go's tables do."""
    extra = {"HTTP_HOST": host, "wsgi.url_scheme": "https"}
    if site:
        extra["HTTP_SEC_FETCH_SITE"] = site
    if origin:
        extra["HTTP_ORIGIN"] = origin
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        statuses.append(status)
        return lambda data: None

    environ = raw_environ(method, path, extra)
    b"".join(app(environ, start_response))
    return int(statuses[0][:3]), environ.get("test.app_called", False)


def guarded(**options: Any) -> CORSMiddleware:
    """The guard on, with no CORS rule trusting anyone: Go's NewCrossOriginProtection()."""
    return CORSMiddleware(
        Recorder(),
        rules=[("/nothing-here", CORSPolicy(allow_origins=[TRUSTED]))],
        csrf_protection=True,
        **options,
    )


def pure_status(
    method: str, site: str, origin: str, trusted: frozenset[str], path: str, exempt: list[str]
) -> int:
    code = refusal(method, site or None, origin or None, HOST, origin in trusted, path, ExemptPaths(exempt))
    return 403 if code else 200


# --- TestCrossOriginProtectionSecFetchSite --------------------------------------------------------------

SEC_FETCH_SITE = [
    # (name, method, Sec-Fetch-Site, Origin, status)
    ("same-origin allowed", "POST", "same-origin", "", 200),
    ("none allowed", "POST", "none", "", 200),
    ("cross-site blocked", "POST", "cross-site", "", 403),
    ("same-site blocked", "POST", "same-site", "", 403),
    ("no header with no origin", "POST", "", "", 200),
    ("no header with matching origin", "POST", "", "https://example.com", 200),
    ("no header with mismatched origin", "POST", "", "https://attacker.example", 403),
    ("no header with null origin", "POST", "", "null", 403),
    ("GET allowed", "GET", "cross-site", "", 200),
    ("HEAD allowed", "HEAD", "cross-site", "", 200),
    ("OPTIONS allowed", "OPTIONS", "cross-site", "", 200),
    ("PUT blocked", "PUT", "cross-site", "", 403),
]


@pytest.mark.parametrize(
    ("name", "method", "site", "origin", "status"), SEC_FETCH_SITE, ids=[r[0] for r in SEC_FETCH_SITE]
)
def test_sec_fetch_site_table(name: str, method: str, site: str, origin: str, status: int) -> None:
    assert pure_status(method, site, origin, frozenset(), "/", []) == status
    assert serve(guarded(), method, "/", site, origin) == (status, status == 200)


# --- TestCrossOriginProtectionTrustedOriginBypass -------------------------------------------------------

TRUSTED_ORIGINS = [
    ("trusted origin without sec-fetch-site", TRUSTED, "", 200),
    ("trusted origin with cross-site", TRUSTED, "cross-site", 200),
    ("untrusted origin without sec-fetch-site", ATTACKER, "", 403),
    ("untrusted origin with cross-site", ATTACKER, "cross-site", 403),
]


@pytest.mark.parametrize(
    ("name", "origin", "site", "status"), TRUSTED_ORIGINS, ids=[r[0] for r in TRUSTED_ORIGINS]
)
def test_trusted_origin_table(name: str, origin: str, site: str, status: int) -> None:
    # AddTrustedOrigin("https://trusted.example") is a rule covering the path that allows it.
    app = CORSMiddleware(
        Recorder(), rules=[("/*", CORSPolicy(allow_origins=[TRUSTED]))], csrf_protection=True
    )
    assert pure_status("POST", site, origin, frozenset({TRUSTED}), "/", []) == status
    assert serve(app, "POST", "/", site, origin) == (status, status == 200)


# --- TestCrossOriginProtectionPatternBypass -------------------------------------------------------------

# Go: AddInsecureBypassPattern("/bypass/") (a subtree) and ("/only/{foo}") (one segment). In globs: '*'.
EXEMPT = ["/bypass/*", "/only/*"]
PATTERN_BYPASS = [
    ("bypass path without sec-fetch-site", "/bypass/", "", 200),
    ("bypass path with cross-site", "/bypass/", "cross-site", 200),
    ("non-bypass path without sec-fetch-site", "/api/", "", 403),
    ("non-bypass path with cross-site", "/api/", "cross-site", 403),
    # Go's ServeMux cleans the path and counts the redirect to /bypass/bar as the bypass; a path with a
    # '..' segment is never exempt here, since a proxy that resolves it serves another path (rules.py).
    ("redirect to bypass path without ..", "/foo/../bypass/bar", "", 403),
    # Go redirects /bypass to /bypass/ and counts that as the bypass; a glob matches the path as written.
    ("redirect to bypass path with trailing slash", "/bypass", "", 403),
    ("redirect to non-bypass path with ..", "/foo/../api/bar", "", 403),
    ("redirect to non-bypass path with trailing slash", "/api", "", 403),
    ("wildcard bypass", "/only/123", "", 200),
    # Go's {foo} is one segment; a glob's '*' matches '/' too (rules.py), so /only/* covers this path.
    ("non-wildcard", "/only/123/foo", "", 200),
]


@pytest.mark.parametrize(
    ("name", "path", "site", "status"), PATTERN_BYPASS, ids=[r[0] for r in PATTERN_BYPASS]
)
def test_pattern_bypass_table(name: str, path: str, site: str, status: int) -> None:
    assert pure_status("POST", site, ATTACKER, frozenset(), path, EXEMPT) == status
    assert serve(guarded(csrf_exempt=EXEMPT), "POST", path, site, ATTACKER) == (status, status == 200)


def test_the_bypass_rows_where_globs_differ_are_met_by_listing_the_path() -> None:
    # What a user writes to get Go's answers for the two trailing-slash rows: the glob for the path itself.
    app = guarded(csrf_exempt=["/bypass", "/bypass/*"])
    assert serve(app, "POST", "/bypass", "", ATTACKER) == (200, True)
    assert serve(app, "POST", "/bypassed", "", ATTACKER) == (403, False)


# --- TestCrossOriginProtectionAddingBypassesConcurrently ------------------------------------------------


@pytest.fixture
def fast_switching() -> Iterator[None]:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def test_trust_and_exemptions_change_while_requests_are_in_flight(fast_switching: None) -> None:
    concurrent = "https://concurrent.example"
    untrusting = [("/*", CORSPolicy(allow_origins=[TRUSTED]))]
    trusting = [("/*", CORSPolicy(allow_origins=[concurrent]))]
    app = CORSMiddleware(Recorder(), rules=untrusting, csrf_protection=True)
    assert serve(app, "POST", "/", "cross-site", concurrent) == (403, False)

    outcomes: list[tuple[int, bool]] = []
    started = threading.Event()

    def requests() -> None:
        started.set()
        for _ in range(200):
            outcomes.append(serve(app, "POST", "/", "cross-site", concurrent))

    thread = threading.Thread(target=requests)
    thread.start()
    assert started.wait(10)
    # Go adds the trusted origin and a bypass pattern while the requests run: here, one reconfigure().
    app.reconfigure(trusting, csrf_exempt=["/foo/*"])
    thread.join(timeout=30)
    assert not thread.is_alive()
    # Every request was answered whole by one configuration or the other: refused before the
    # application, or let through to it.
    assert len(outcomes) == 200
    assert set(outcomes) <= {(403, False), (200, True)}
    assert serve(app, "POST", "/", "cross-site", concurrent) == (200, True)
    assert app.csrf_exempt == ("/foo/*",)
    assert serve(app, "POST", "/foo/x", "cross-site", ATTACKER) == (200, True)


def test_many_threads_never_see_a_rule_from_one_configuration_and_exemptions_from_another(
    fast_switching: None,
) -> None:
    # Two configurations that each let the request through, one by trusting its origin, the other by
    # exempting its path. A request that read the rules of one and the exemptions of the other would be
    # refused: the guard's settings are in the same snapshot as the rules.
    origin = "https://partner.example"
    by_trust: dict[str, Any] = {"csrf_exempt": []}
    by_exemption: dict[str, Any] = {"csrf_exempt": ["/hooks/*"]}
    trusting = [("/*", CORSPolicy(allow_origins=[origin]))]
    not_trusting = [("/*", CORSPolicy(allow_origins=[TRUSTED]))]
    app = CORSMiddleware(Recorder(), rules=trusting, csrf_protection=True)
    stop = threading.Event()
    failures: list[tuple[int, bool]] = []
    served = [0]

    def switcher() -> None:
        while not stop.is_set():
            app.reconfigure(not_trusting, **by_exemption)
            app.reconfigure(trusting, **by_trust)

    def reader() -> None:
        while not stop.is_set() and served[0] < 3000:
            got = serve(app, "POST", "/hooks/x", "cross-site", origin)
            served[0] += 1
            if got != (200, True):
                failures.append(got)
                return

    threads = [threading.Thread(target=switcher)] + [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads[1:]:
        thread.join(timeout=60)
    stop.set()
    threads[0].join(timeout=30)
    assert not failures
    assert served[0] >= 3000


# --- TestCrossOriginProtectionServer --------------------------------------------------------------------


class _QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, Recorder]]:
    """The guarded app on a real server at 127.0.0.1: the Host is what the client sends."""
    recorder = Recorder()
    app = CORSMiddleware(
        recorder,
        rules=[("/*", CORSPolicy(allow_origins=[TRUSTED]))],
        csrf_protection=True,
        csrf_exempt=["/bypass/*"],
    )
    port = get_free_port()
    httpd = wsgiref.simple_server.make_server("127.0.0.1", port, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{port}", recorder
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


SERVER = [
    # (name, path, Origin (HOST: the server's own), Sec-Fetch-Site, status)
    ("cross-site", "/", ATTACKER, "cross-site", 403),
    ("same-origin", "/", "", "same-origin", 200),
    ("origin matches host", "/", "HOST", "", 200),
    ("trusted origin", "/", TRUSTED, "", 200),
    ("untrusted origin", "/", ATTACKER, "", 403),
    ("bypass path", "/bypass/", ATTACKER, "", 200),
]


@pytest.mark.parametrize(("name", "path", "origin", "site", "status"), SERVER, ids=[r[0] for r in SERVER])
def test_server_table(
    server: tuple[str, Recorder], name: str, path: str, origin: str, site: str, status: int
) -> None:
    host, recorder = server
    headers = {}
    if origin:
        headers["Origin"] = f"http://{host}" if origin == "HOST" else origin
    if site:
        headers["Sec-Fetch-Site"] = site
    connection = http.client.HTTPConnection(host, timeout=10)
    try:
        connection.request("POST", path, body=b"", headers=headers)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == status, body
    assert recorder.calls == (1 if status == 200 else 0)
