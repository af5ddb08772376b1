"""The checker against the real thing: headless Chromium and ``check_url`` face the same scripted servers,
and must reach the same verdict with the same console line, word for word.

Skipped locally without Chromium or Playwright; a failure when CI=true (see the ``browser`` fixture).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from conftest import get_free_port
from engines import open_engine
from werkzeug.serving import make_server

from cors_wsgi.checker import check_url

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Case:
    """One scripted server answer and the fetch() the page makes against it."""

    name: str
    actual: tuple[int, list[tuple[str, str]]]
    preflight: tuple[int, list[tuple[str, str]]] | None = None
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    credentials: bool = False
    # Where every engine measured departs from the Fetch standard: why. The checker then says "read" (what
    # the engines do) with a warning naming the standard, and the test asserts both, so an engine that
    # starts to conform shows up here.
    standard_refuses: str | None = None
    # Fetched at the page's own origin, which redirects to the API: CORS starts at the redirect (#21).
    start_on_page: bool = False

    def url(self, page_origin: str, api: str) -> str:
        return f"{page_origin}/to/{self.name}" if self.start_on_page else f"{api}/{self.name}"

    def fetch_init(self) -> dict[str, Any]:
        """The page's ``fetch(url, init)`` options."""
        return {
            "method": self.method,
            "headers": self.headers,
            "credentials": "include" if self.credentials else "same-origin",
        }


PAGE = "PAGE"  # replaced by the page's origin when the server answers
ACAO = ("Access-Control-Allow-Origin", PAGE)
OK = (200, [ACAO, ("Vary", "Origin")])
PREFLIGHT_OK = (
    204,
    [ACAO, ("Access-Control-Allow-Methods", "PUT, patch"), ("Access-Control-Allow-Headers", "x-token")],
)

CASES = [
    Case("allowed", OK),
    Case("no-acao", (200, [])),
    Case("trailing-slash", (200, [("Access-Control-Allow-Origin", PAGE + "/")])),
    Case("duplicated", (200, [ACAO, ACAO])),
    Case("null", (200, [("Access-Control-Allow-Origin", "null")])),
    Case("glob-value", (200, [("Access-Control-Allow-Origin", "https://*.example.com")])),
    Case("list-value", (200, [("Access-Control-Allow-Origin", "https://a.example, https://b.example")])),
    Case("star-credentials", (200, [("Access-Control-Allow-Origin", "*")]), credentials=True),
    Case("no-acac", OK, credentials=True),
    Case("acac-True", (200, [ACAO, ("Access-Control-Allow-Credentials", "True")]), credentials=True),
    Case("credentials-ok", (200, [ACAO, ("Access-Control-Allow-Credentials", "true")]), credentials=True),
    Case("preflight-ok", OK, PREFLIGHT_OK, "PUT", {"X-Token": "1"}),
    Case("rs-cors-refusal", OK, (204, [("Vary", "Origin")]), "PUT"),
    Case("preflight-401", OK, (401, [ACAO]), "PUT"),
    Case("method-not-allowed", OK, (204, [ACAO, ("Access-Control-Allow-Methods", "GET, POST")]), "PUT"),
    Case("header-not-allowed", OK, PREFLIGHT_OK, "PUT", {"X-Other": "1"}),
    Case(
        "star-not-authorization",
        OK,
        (204, [ACAO, ("Access-Control-Allow-Headers", "*")]),
        "GET",
        {"Authorization": "Bearer t"},
        standard_refuses="Fetch: '*' never covers Authorization; Chromium, Firefox and WebKit read it",
    ),
    Case("preflight-trailing-slash", OK, (204, [("Access-Control-Allow-Origin", PAGE + "/")]), "PUT"),
    Case("preflight-duplicated", OK, (204, [ACAO, ACAO, ("Access-Control-Allow-Methods", "PUT")]), "PUT"),
    Case(
        "preflight-star-credentials",
        OK,
        (204, [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "PUT")]),
        "PUT",
        credentials=True,
    ),
    Case(
        "preflight-no-acac",
        OK,
        (204, [ACAO, ("Access-Control-Allow-Methods", "PUT")]),
        "PUT",
        credentials=True,
    ),
    Case(
        "star-methods-credentials",
        (200, [ACAO, ("Access-Control-Allow-Credentials", "true")]),
        (204, [ACAO, ("Access-Control-Allow-Credentials", "true"), ("Access-Control-Allow-Methods", "*")]),
        "PUT",
        credentials=True,
    ),
    Case("star-methods", OK, (204, [ACAO, ("Access-Control-Allow-Methods", "*")]), "PUT"),
    Case("preflight-ok-actual-missing", (200, []), PREFLIGHT_OK, "PUT"),
    Case("redirect-without-cors", (302, [("Location", "/case/allowed")])),
    Case("cross-origin-redirect", (302, [ACAO, ("Location", "CROSS/case/allowed")])),
    Case("cross-origin-redirect-star", (302, [ACAO, ("Location", "CROSS/case/star")])),
    Case("star", (200, [("Access-Control-Allow-Origin", "*")])),
    Case("unparsable-methods", OK, (204, [ACAO, ("Access-Control-Allow-Methods", "GET PUT")]), "PUT"),
    Case("patch-case", OK, (204, [ACAO, ("Access-Control-Allow-Methods", "PATCH")]), "patch"),
    Case("preflight-redirect", OK, (307, [ACAO, ("Location", "/elsewhere")]), "PUT"),
    Case(
        "json-content-type",
        OK,
        (204, [ACAO, ("Access-Control-Allow-Methods", "POST")]),
        "POST",
        {"Content-Type": "application/json"},
    ),
    Case("upper-case-acao", (200, [("Access-Control-Allow-Origin", "UPPER")])),
    Case("preflight-403", OK, (403, [ACAO, ("Access-Control-Allow-Methods", "PUT")]), "PUT"),
    Case("preflight-200", OK, (200, [ACAO, ("Access-Control-Allow-Methods", "PUT")]), "PUT"),
    Case(
        "star-headers",
        OK,
        (204, [ACAO, ("Access-Control-Allow-Methods", "PUT"), ("Access-Control-Allow-Headers", "*")]),
        "PUT",
        {"X-Token": "1"},
    ),
    Case(
        "star-headers-credentials",
        (200, [ACAO, ("Access-Control-Allow-Credentials", "true")]),
        (
            204,
            [
                ACAO,
                ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Allow-Methods", "PUT"),
                ("Access-Control-Allow-Headers", "*"),
            ],
        ),
        "PUT",
        {"X-Token": "1"},
        credentials=True,
    ),
    Case("same-origin-redirect-without-cors", (200, []), start_on_page=True),
    Case("same-origin-redirect-allowed", OK, start_on_page=True),
    Case(
        "max-age-over-caps",
        OK,
        (204, [ACAO, ("Access-Control-Allow-Methods", "PUT"), ("Access-Control-Max-Age", "86400")]),
        "PUT",
    ),
]


def scripted_api(cases: dict[str, Case], page_origin: str, cross_origin: str) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        name = environ["PATH_INFO"].rsplit("/", 1)[-1]
        case = cases.get(name)
        if case is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no such case"]
        is_preflight = environ["REQUEST_METHOD"] == "OPTIONS" and case.preflight is not None
        status, headers = case.preflight if is_preflight and case.preflight else case.actual
        reasons = {
            200: "OK",
            204: "No Content",
            302: "Found",
            307: "Temporary Redirect",
            401: "Unauthorized",
            403: "Forbidden",
        }
        start_response(
            f"{status} {reasons[status]}",
            [
                (
                    n,
                    v.replace(PAGE, page_origin)
                    .replace("CROSS", cross_origin)
                    .replace("UPPER", page_origin.upper()),
                )
                for n, v in headers
            ]
            + [("Content-Type", "text/plain")],
        )
        return [b"" if status == 204 else b"body"]

    return app


def page_server(api: str) -> Any:
    """The page's own origin: the page, and /to/<case> redirecting to the API (a same-origin start)."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        if path.startswith("/to/"):
            query = environ.get("QUERY_STRING")
            location = f"{api}/{path[len('/to/') :]}" + (f"?{query}" if query else "")
            start_response("302 Found", [("Location", location), ("Content-Type", "text/plain")])
            return [b""]
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b"<!doctype html><title>cors check</title>"]

    return app


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str]]:
    """(page origin, API base URL): two threaded servers on free ports, stopped at the end."""
    page_port = get_free_port()
    api_port = get_free_port(frozenset({page_port}))
    page_origin = f"http://localhost:{page_port}"
    started = [
        make_server("127.0.0.1", page_port, page_server(f"http://localhost:{api_port}/case"), threaded=True),
        make_server(
            "127.0.0.1",
            api_port,
            # The same server under another name is another origin: http://127.0.0.1:port.
            scripted_api({c.name: c for c in CASES}, page_origin, f"http://127.0.0.1:{api_port}"),
            threaded=True,
        ),
    ]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in started]
    for thread in threads:
        thread.start()
    try:
        yield page_origin, f"http://localhost:{api_port}/case"
    finally:
        for server in started:
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join(timeout=5)


@pytest.fixture(scope="module")
def chromium_console(browser: Any, servers: tuple[str, str]) -> dict[str, tuple[bool, str | None]]:
    """Each case fetched by Chromium: (allowed?, its 'blocked by CORS policy' console line or None)."""
    page_origin, api = servers
    context = browser.new_context()
    outcomes: dict[str, tuple[bool, str | None]] = {}
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        console: list[str] = []
        page.on("console", lambda msg: console.append(msg.text))
        page.goto(page_origin + "/")
        for case in CASES:
            url = case.url(page_origin, api)
            init = case.fetch_init()
            allowed = page.evaluate(
                """async ([url, init]) => {
                    try { await (await fetch(url, init)).text(); return true; } catch (e) { return false; }
                }""",
                [url, init],
            )
            line = None
            if not allowed:
                deadline = time.monotonic() + 3  # the console line arrives asynchronously
                while line is None and time.monotonic() < deadline:
                    line = next(
                        (m for m in console if f"'{url}'" in m and "blocked by CORS policy" in m), None
                    )
                    if line is None:
                        page.wait_for_timeout(50)
            outcomes[case.name] = (allowed, line)
    finally:
        context.close()
    return outcomes


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_checker_agrees_with_chromium(
    case: Case, servers: tuple[str, str], chromium_console: dict[str, tuple[bool, str | None]]
) -> None:
    page_origin, api = servers
    allowed, line = chromium_console[case.name]
    verdict = check_url(
        case.url(page_origin, api),
        page_origin,
        method=case.method,
        headers=case.headers,
        credentials=case.credentials,
        timeout=5,
    )
    if case.standard_refuses is not None:
        assert allowed, (
            f"Chromium now refuses {case.name}: revisit standard_refuses ({case.standard_refuses})"
        )
        assert verdict.passed
        assert any("Fetch standard" in w for w in verdict.warnings), verdict.warnings
        return
    assert verdict.passed == allowed, (case.name, verdict.console, line)
    if not allowed:
        assert line is not None, f"Chromium blocked {case.name} but printed no CORS console line"
        assert verdict.console == line


# --- Firefox and WebKit -----------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["firefox", "webkit"])
def engine_outcomes(
    request: pytest.FixtureRequest, servers: tuple[str, str]
) -> tuple[str, dict[str, tuple[str, bool]]]:
    """Each case fetched by the engine, at a URL of its own (no preflight-cache entry can decide it)."""
    page_origin, api = servers
    outcomes: dict[str, tuple[str, bool]] = {}
    with open_engine(str(request.param)) as engine:
        engine.goto(page_origin + "/")
        for case in CASES:
            url = f"{case.url(page_origin, api)}?attempt={request.param}-{uuid.uuid4().hex}"
            outcomes[case.name] = (url, engine.fetch(url, case.fetch_init()))
    return str(request.param), outcomes


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_checker_agrees_with_firefox_and_webkit(
    case: Case, servers: tuple[str, str], engine_outcomes: tuple[str, dict[str, tuple[str, bool]]]
) -> None:
    page_origin, _ = servers
    engine, outcomes = engine_outcomes
    url, allowed = outcomes[case.name]
    verdict = check_url(
        url,
        page_origin,
        method=case.method,
        headers=case.headers,
        credentials=case.credentials,
        timeout=5,
        browser=engine,
    )
    assert verdict.passed == allowed, (engine, case.name, verdict.console)
    if case.standard_refuses is not None:
        assert any("Fetch standard" in w for w in verdict.warnings), verdict.warnings
    if not allowed:
        assert verdict.failure is not None
        assert verdict.failure.fix  # the explanation names the cause and the change
