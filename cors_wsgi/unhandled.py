"""``catch_exceptions=True``: an exception that escapes the application becomes a 500 the browser can read.

    app = CORSMiddleware(app, allow_origins=["https://app.example.com"], catch_exceptions=True)

Without it, an exception that escapes the application reaches the server, whose own 500 carries no CORS
headers: the browser then reports "blocked by CORS policy" and hides the real status from the page. With
it, an exception raised before the application has started its response is logged with its traceback on
the ``cors_wsgi`` logger and answered ``500 Internal Server Error`` with a short generic text (never the
message or the traceback) and exactly the CORS headers this request would have had: the grant for an
allowed origin, only ``Vary`` for a refused one. Once the application has started its response, PEP 3333
leaves one choice: the exception is re-raised and the server ends the connection (headers are never
sent twice). The application's exceptions are ``Exception``s; ``KeyboardInterrupt``/``SystemExit`` pass.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from .logsafe import safe_repr
from .rules import request_path

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger("cors_wsgi")

ERROR_STATUS = "500 Internal Server Error"
ERROR_BODY = b"Internal Server Error\n"
_ERROR_HEADERS = (("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(ERROR_BODY))))
_END = object()


def guarded(app: WSGIApplication) -> WSGIApplication:
    """``app``, with an exception raised before its response starts answered 500.

    The middleware calls it with its own ``start_response``, which adds the request's CORS headers to the
    500 as to any other response; built once, so a middleware without ``catch_exceptions`` pays nothing.
    """
    return partial(_call_guarded, app)


def _call_guarded(
    app: WSGIApplication, environ: WSGIEnvironment, start_response: StartResponse
) -> Iterable[bytes]:
    """``app(environ, start_response)``, with an exception before the response starts made a 500."""
    started = False

    def tracking_start_response(*args: Any) -> Any:
        nonlocal started
        started = True
        return start_response(*args)

    try:
        body = app(environ, tracking_start_response)
    except Exception:
        if started:
            raise
        return _error_response(environ, start_response)
    if started:
        return body
    # PEP 3333 lets an application call start_response from its first iteration (a generator): the
    # response has not started yet, so the first chunk is taken here, where it can still become a 500.
    try:
        iterator = iter(body)
        first = next(iterator, _END)
    except Exception:
        _close(body)
        if started:
            raise
        return _error_response(environ, start_response)
    if first is _END:
        return _Rest((), iterator, body)
    return _Rest((first,), iterator, body)  # type: ignore[arg-type]


def _error_response(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    logger.error(
        "unhandled exception in the application: %s %s (answered 500 with its CORS headers)",
        safe_repr(environ.get("REQUEST_METHOD", "")),
        safe_repr(request_path(environ)),
        exc_info=True,
    )
    start_response(ERROR_STATUS, list(_ERROR_HEADERS))
    return [ERROR_BODY]


def _close(body: Iterable[bytes]) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()


class _Rest:
    """The application's body after its first chunk was taken: the same chunks, and its ``close()``."""

    __slots__ = ("_body", "_first", "_iterator")

    def __init__(self, first: tuple[bytes, ...], iterator: Iterator[bytes], body: Iterable[bytes]) -> None:
        self._first, self._iterator, self._body = first, iterator, body

    def __iter__(self) -> Iterator[bytes]:
        yield from self._first
        yield from self._iterator

    def close(self) -> None:
        _close(self._body)
