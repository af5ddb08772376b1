"""A browser-equivalent CORS checker: would a page on ORIGIN be allowed to read this response?

    from cors_wsgi import check_wsgi
    verdict = check_wsgi(app, "/api/items", origin="http://localhost:3000", method="PUT",
                         headers={"Content-Type": "application/json"}, credentials=True)
    assert verdict.passed, verdict.console

    from cors_wsgi.checker import check_url
    verdict = check_url("http://127.0.0.1:5000/api/items", origin="https://evil.example")
    verdict.failure.code     # "MissingAllowOriginHeader"
    verdict.console          # Chromium's console line
    verdict.failure.fix      # what to change on the server

It works for any server, not only cors_wsgi ones. The steps follow the Fetch standard (preflight when
the method or a header is not CORS-safelisted, the CORS-preflight check, the CORS check, redirects);
the wording of failures is Chromium's. Modules: ``fetch`` (request rules), ``plan`` (what the browser
sends), ``checks`` (the pure verdict functions), ``runner`` (the steps), ``transport`` (network or
WSGI), ``render`` (text output). Command line: ``python -m cors_wsgi check --help``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from .model import BROWSERS, CheckRequest, Failure, Headers, Response, Step, Verdict
from .plan import BadRequest
from .runner import MAX_REDIRECTS, run
from .transport import TransportError, WSGIApp, http_sender, wsgi_sender

__all__ = [
    "BadRequest",
    "CheckRequest",
    "Failure",
    "Response",
    "Step",
    "TransportError",
    "Verdict",
    "check_url",
    "check_wsgi",
    "run",
]

HeadersArg = Mapping[str, str] | Iterable[tuple[str, str]]
Browser = Literal["chromium", "firefox", "webkit"]


def _browser(name: str) -> Browser:
    if name not in BROWSERS:
        raise BadRequest(f"browser {name!r} is not one of {', '.join(BROWSERS)}")
    return name  # type: ignore[return-value]


def _headers(headers: HeadersArg | None) -> Headers:
    if headers is None:
        return ()
    if isinstance(headers, Mapping):
        return tuple((str(k), str(v)) for k, v in headers.items())
    return tuple((str(k), str(v)) for k, v in headers)


def check_url(
    url: str,
    origin: str,
    *,
    method: str = "GET",
    headers: HeadersArg | None = None,
    credentials: bool = False,
    body: bytes | None = None,
    private_network: bool = False,
    cookie: str | None = None,
    timeout: float = 10.0,
    insecure: bool = False,
    max_redirects: int = MAX_REDIRECTS,
    browser: Browser = "chromium",
) -> Verdict:
    """Check a live server over HTTP(S). Raises BadRequest (bad input) or TransportError (network).

    ``browser`` ("chromium", "firefox" or "webkit") picks the engine whose verdict is given where
    engines differ (docs/browsers.md).
    """
    request = CheckRequest(
        url, origin, method, _headers(headers), credentials, body, private_network, _browser(browser)
    )
    send = http_sender(timeout=timeout, insecure=insecure)
    return run(request, send, cookie=cookie, max_redirects=max_redirects)


def check_wsgi(
    app: WSGIApp,
    url: str,
    origin: str,
    *,
    method: str = "GET",
    headers: HeadersArg | None = None,
    credentials: bool = False,
    body: bytes | None = None,
    private_network: bool = False,
    cookie: str | None = None,
    max_redirects: int = MAX_REDIRECTS,
    browser: Browser = "chromium",
) -> Verdict:
    """Check a WSGI app in-process, through the same code as ``check_url``.

    ``url`` may be a bare path ("/api/items"); it is then served as http://localhost. Redirects to
    other hosts are sent to the same app (it plays every server).
    """
    if url.startswith("/"):
        url = "http://localhost" + url
    request = CheckRequest(
        url, origin, method, _headers(headers), credentials, body, private_network, _browser(browser)
    )
    return run(request, wsgi_sender(app), cookie=cookie, max_redirects=max_redirects)
