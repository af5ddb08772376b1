"""The two ways the checker sends a request: over the network, or straight into a WSGI app.

    send = http_sender(timeout=5.0)             # http.client; one connection per request, no retries
    send = wsgi_sender(app)                     # builds a PEP 3333 environ, calls the app in-process
    response = send("OPTIONS", "http://127.0.0.1:5000/api/items", headers, None)

Both return a ``Response`` with the header lines exactly as received (repeats kept, order kept) and at
most ``BODY_PREVIEW`` bytes of the body, which is all the checker shows.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from .model import Headers, Response

BODY_PREVIEW = 2048

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class TransportError(Exception):
    """The request could not be sent or answered (connection refused, timeout, bad TLS...)."""


def http_sender(
    timeout: float = 10.0, insecure: bool = False
) -> Callable[[str, str, Headers, bytes | None], Response]:
    """A ``send`` over HTTP/1.1 with the standard library. Errors raise TransportError, never retried."""
    # Imported here: the middleware imports this package (for check_wsgi) and needs none of them.
    import http.client
    import ssl

    def send(method: str, url: str, headers: Headers, body: bytes | None) -> Response:
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            port = parts.port
        except ValueError as exc:
            raise TransportError(f"bad port in {url}") from exc
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            context = ssl.create_default_context()
            if insecure:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request(method, target, body=body, headers=dict(_join_repeats(headers)))
            raw = conn.getresponse()
            preview = raw.read(BODY_PREVIEW) if method != "HEAD" else b""
            return Response(raw.status, tuple(raw.getheaders()), raw.reason, preview)
        except TimeoutError as exc:
            raise TransportError(f"{method} {url}: no answer within {timeout:g} s") from exc
        except ssl.SSLError as exc:
            raise TransportError(
                f"{method} {url}: TLS error: {exc.reason or exc} (use --insecure to skip verification)"
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            reason = (
                exc.strerror
                if isinstance(exc, OSError) and exc.strerror
                else (str(exc) or type(exc).__name__)
            )
            raise TransportError(f"{method} {url}: {reason}") from exc
        finally:
            conn.close()

    return send


def _join_repeats(headers: Headers) -> list[tuple[str, str]]:
    """Request header lines with a repeated name become one line joined by ", " (what fetch() sends)."""
    joined: dict[str, tuple[str, list[str]]] = {}
    for name, value in headers:
        joined.setdefault(name.lower(), (name, []))[1].append(value)
    return [(name, ", ".join(values)) for name, values in joined.values()]


def build_environ(method: str, url: str, headers: Headers, body: bytes | None) -> dict[str, Any]:
    """A PEP 3333 environ for the request, as a WSGI server on the URL's host and port would build it."""
    parts = urlsplit(url)
    scheme = parts.scheme or "http"
    port = parts.port or (443 if scheme == "https" else 80)
    payload = body or b""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        # Servers hand over the percent-decoded path as latin-1 "bytes in a str" (PEP 3333).
        "PATH_INFO": unquote_to_bytes(parts.path or "/").decode("latin-1"),
        "QUERY_STRING": parts.query,
        "SERVER_NAME": parts.hostname or "localhost",
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": parts.netloc or "localhost",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(payload),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if body is not None:
        environ["CONTENT_LENGTH"] = str(len(payload))
    for name, value in _join_repeats(headers):
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        else:
            environ["HTTP_" + key] = value
    return environ


def wsgi_sender(app: WSGIApp) -> Callable[[str, str, Headers, bytes | None], Response]:
    """A ``send`` that calls ``app`` in-process. Exceptions raised by the app propagate unchanged."""

    def send(method: str, url: str, headers: Headers, body: bytes | None) -> Response:
        captured: dict[str, Any] = {}

        def start_response(
            status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            if exc_info is not None and captured:
                raise exc_info[1].with_traceback(exc_info[2])
            captured["status"] = status
            captured["headers"] = list(response_headers)
            return lambda data: None

        result = app(build_environ(method, url, headers, body), start_response)
        preview = b""
        try:
            for chunk in result:  # generator apps call start_response on the first next()
                preview += chunk
                if len(preview) >= BODY_PREVIEW:
                    break
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if "status" not in captured:
            raise TransportError(f"{method} {url}: the WSGI app never called start_response")
        code, _, reason = str(captured["status"]).partition(" ")
        return Response(int(code), tuple(captured["headers"]), reason, preview[:BODY_PREVIEW])

    return send
