"""The demo API: a small Flask app behind ``cors_wsgi.CORSMiddleware``, configured by ``cors.toml``.

    from demo_app.app import create_app
    app = create_app()                      # cors.toml next to this file, CORS_ALLOW_ORIGINS honoured
    app = create_app("other.toml", environ={})   # another file, without the environment override

The file holds the CORS rule and, in its ``[middleware]`` table, turns the write guard on
(``csrf_protection = true``): a POST, PUT or DELETE that a browser sends from an origin the rule does not
list is answered 403 before the app.

Endpoints (all under /api, all covered by the one rule in cors.toml):

- ``GET  /api/data``     the simple request: ``{"message": "Hello from your API!"}``
- ``PUT  /api/echo``     JSON body + ``X-Demo-Token`` header, so the browser preflights it; echoes both
- ``POST /api/session``  sets the ``demo_session`` cookie; ``GET /api/session`` reads it back
- ``POST /api/notes``    records a note (the body, as text) and says how many writes the app has recorded;
  a simple request (``text/plain``), the shape a forged form or ``no-cors`` fetch has. ``GET /api/notes``
  reads the count
- ``DELETE /api/data``   a method the policy does not allow: a browser never gets this far
- ``GET  /api/hits``     how many requests of each kind reached the Flask app (the middleware answers
  preflights itself, so a refused preflight's actual request never shows up here)

The middleware wraps ``app.wsgi_app``, so the object stays a Flask app (``app.test_client()`` goes
through CORS too).
"""

from __future__ import annotations

import os
import secrets
import threading
import uuid
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, Response, jsonify, request

from cors_wsgi import CORSMiddleware

CONFIG_PATH = Path(__file__).with_name("cors.toml")
SESSION_COOKIE = "demo_session"


class HitCounter:
    """Requests that reached the app, by ``"METHOD /path"``; thread-safe (the dev server is threaded)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


class Notes:
    """The notes written through ``POST /api/notes``; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._notes: list[str] = []

    def add(self, text: str) -> int:
        with self._lock:
            self._notes.append(text)
            return len(self._notes)

    def count(self) -> int:
        with self._lock:
            return len(self._notes)


NOTE_LIMIT = 200  # characters kept of a note: the demo stores what it is sent, a little of it


def create_app(
    config_path: str | os.PathLike[str] = CONFIG_PATH, *, environ: Mapping[str, str] | None = None
) -> Flask:
    """The demo API, configured by ``config_path`` (``environ`` for the CORS_ALLOW_ORIGINS override:
    ``os.environ`` when None)."""
    app = Flask(__name__)
    hits = HitCounter()
    notes = Notes()

    @app.before_request
    def count_hit() -> None:
        hits.add(f"{request.method} {request.path}")

    @app.after_request
    def tag_response(response: Response) -> Response:
        # Exposed through expose_headers in cors.toml, so the page can show it.
        response.headers["X-Request-Id"] = uuid.uuid4().hex
        return response

    @app.get("/api/data")
    def data() -> Response:
        return jsonify(message="Hello from your API!")

    @app.delete("/api/data")
    def delete_data() -> Response:
        return jsonify(deleted=True)

    @app.put("/api/echo")
    def echo() -> Response:
        return jsonify(
            method=request.method,
            json=request.get_json(silent=True),
            x_demo_token=request.headers.get("X-Demo-Token"),
        )

    @app.post("/api/session")
    def start_session() -> Response:
        token = secrets.token_hex(8)
        response = jsonify(token=token)
        # SameSite=Lax: the frontend (http://localhost:3000) and the API (http://localhost:5000) are the
        # same *site* (scheme + host; ports do not count), so a Lax cookie rides along on the page's
        # fetch(..., {credentials: "include"}). SameSite=None would need Secure (HTTPS) and would also
        # send the cookie from other sites; Lax keeps it first-party. HttpOnly: the page never reads it,
        # the server echoes it back to prove the browser sent it.
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax", path="/api")
        return response

    @app.get("/api/session")
    def read_session() -> Response:
        return jsonify(token=request.cookies.get(SESSION_COOKIE))

    @app.post("/api/notes")
    def write_note() -> tuple[Response, int]:
        # Only a request the write guard let through gets here: from this API's own pages, from an
        # origin cors.toml lists, or from a client that is not a browser (no Origin, e.g. curl).
        count = notes.add(request.get_data(as_text=True)[:NOTE_LIMIT])
        return jsonify(notes=count), 201

    @app.get("/api/notes")
    def count_notes() -> Response:
        return jsonify(notes=notes.count())

    @app.get("/api/hits")
    def get_hits() -> Response:
        return jsonify(hits.snapshot())

    # from_config reads the rules and the [middleware] switches (the write guard) of the same file.
    app.wsgi_app = CORSMiddleware.from_config(  # type: ignore[method-assign]
        app.wsgi_app, config_path, environ=environ
    )
    return app
