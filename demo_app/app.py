"""The demo API: a small Flask app behind ``cors_wsgi.CORSMiddleware``, its policy read from ``cors.toml``.

    from demo_app.app import create_app
    app = create_app()                      # cors.toml next to this file, CORS_ALLOW_ORIGINS honoured
    app = create_app(rules=[("/api/*", CORSPolicy(allow_origins=["http://localhost:3000"]))])

Endpoints (all under /api, all covered by the one rule in cors.toml):

- ``GET  /api/data``     the simple request: ``{"message": "Hello from your API!"}``
- ``PUT  /api/echo``     JSON body + ``X-Demo-Token`` header, so the browser preflights it; echoes both
- ``POST /api/session``  sets the ``demo_session`` cookie; ``GET /api/session`` reads it back
- ``DELETE /api/data``   a method the policy does not allow: a browser never gets this far
- ``GET  /api/hits``     how many requests of each kind reached the Flask app (the middleware answers
  preflights itself, so a refused preflight's actual request never shows up here)

The middleware wraps ``app.wsgi_app``, so the object stays a Flask app (``app.test_client()`` goes
through CORS too).
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections import Counter
from pathlib import Path

from flask import Flask, Response, jsonify, request

from cors_wsgi import CORSMiddleware, CORSPolicy, load_config

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


def create_app(rules: list[tuple[str, CORSPolicy]] | None = None) -> Flask:
    """The demo API. ``rules`` defaults to ``load_config(cors.toml)`` (with the environment override)."""
    app = Flask(__name__)
    hits = HitCounter()

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

    @app.get("/api/hits")
    def get_hits() -> Response:
        return jsonify(hits.snapshot())

    policy_rules = load_config(CONFIG_PATH) if rules is None else rules
    app.wsgi_app = CORSMiddleware(app.wsgi_app, rules=policy_rules)  # type: ignore[method-assign]
    return app
