"""The demo frontend: a static page and script, plus ``/config.js`` telling the script where the API is.

    from demo_app.frontend import frontend_app
    app = frontend_app("http://localhost:5000")   # any WSGI server; python -m demo_app runs it on :3000

It is a separate origin from the API on purpose: that is what makes every request the page sends a
cross-origin request that the browser checks against the API's CORS answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

STATIC_DIR = Path(__file__).with_name("static")
FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}


def config_js(api_base: str) -> bytes:
    # json.dumps escapes quotes, so the URL cannot break out of the string; "</" cannot occur in a URL
    # we build, and this file is served as a script, not inlined in HTML.
    return f"window.DEMO_CONFIG = {json.dumps({'apiBase': api_base})};\n".encode()


def frontend_app(api_base: str) -> WSGIApplication:
    """A WSGI app serving the page; ``api_base`` is the API's origin as the browser must reach it."""
    # Read once: the files are tiny and this keeps the request path free of file I/O.
    bodies = {path: ((STATIC_DIR / name).read_bytes(), ctype) for path, (name, ctype) in FILES.items()}
    bodies["/config.js"] = (config_js(api_base), "text/javascript; charset=utf-8")

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        found = bodies.get(environ.get("PATH_INFO", "") or "/")
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD") or found is None:
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"not found\n"]
        body, ctype = found
        start_response(
            "200 OK",
            [
                ("Content-Type", ctype),
                ("Content-Length", str(len(body))),
                # The API port can change between runs; never let a cached config.js point at the old one.
                ("Cache-Control", "no-store"),
            ],
        )
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    return app
