"""Drive a WSGI app with a hand-built environ: any str value, none of a test client's checks.

status, headers, body = call_raw(app, "OPTIONS", "/api/x", {"HTTP_ORIGIN": "http://a.test\r\n"})
"""

from __future__ import annotations

import wsgiref.util
from collections.abc import Callable
from typing import Any


def raw_environ(method: str, path: str, extra: dict[str, str], **wsgi: Any) -> dict[str, Any]:
    """A complete PEP 3333 environ (wsgiref's testing defaults) for ``method path`` plus ``extra``."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        **wsgi,
        **extra,
    }
    wsgiref.util.setup_testing_defaults(environ)
    return environ


def call_raw(
    app: Callable[..., Any], method: str, path: str, extra: dict[str, str]
) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call ``app`` once; return the status, the headers and the whole body (closed afterwards)."""
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"] = status
        captured["headers"] = list(headers)
        return lambda data: None

    result = app(raw_environ(method, path, extra), start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], body
