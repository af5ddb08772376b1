"""The apps under test: the bare floor, Flask, and each CORS layer configured the same way.

    app = SUBJECTS["wsgicors"].build(main_config())

Every CORS layer gets the same origins, methods (GET, POST), request header (content-type), credentials
(on) and Max-Age (600 s), each in its own syntax; ``describe()`` prints the exact configuration used, for
the report. Peers are imported when a subject is built, so a missing one only drops its column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from benchmarks.scenarios import BODY, CREDENTIALS, HEADERS, MAX_AGE, METHODS, PATH, OriginConfig

WSGIApp = Callable[..., Iterable[bytes]]

_JSON_HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def bare_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The floor: the least a WSGI app can do to answer with the 35-byte JSON."""
    start_response("200 OK", list(_JSON_HEADERS))
    return [BODY]


def flask_app() -> Any:
    """A minimal Flask app serving ``/api/data`` and nothing else."""
    from flask import Flask

    app = Flask("bench")

    @app.get(PATH)
    def data() -> Any:
        return app.response_class(BODY, content_type="application/json")

    return app


# --- each layer's own spelling of the shared configuration -------------------------------------------


def cors_wsgi_policy(cfg: OriginConfig, headers: tuple[str, ...] = HEADERS) -> Any:
    from cors_wsgi import CORSPolicy

    return CORSPolicy(
        allow_origins=[*cfg.exact, *cfg.wildcards],
        allow_methods=list(METHODS),
        allow_headers=list(headers),
        allow_credentials=CREDENTIALS,
        max_age=MAX_AGE,
    )


def wsgicors_kwargs(cfg: OriginConfig) -> dict[str, str]:
    # wsgicors takes one space-separated string of fnmatch patterns and lower-cases the request origin.
    return {
        "origin": " ".join((*cfg.exact, *cfg.wildcards)),
        "methods": ", ".join(METHODS),
        "headers": ", ".join(HEADERS),
        "credentials": "true" if CREDENTIALS else "false",
        "maxage": str(MAX_AGE),
    }


def wildcard_regex(pattern: str) -> str:
    """``https://*.example.com`` as the anchored regex flask-cors needs (one or more labels, no apex)."""
    scheme_host, suffix = pattern.split("*", 1)
    return re.escape(scheme_host) + r"(?:[a-z0-9-]+\.)+" + re.escape(suffix.lstrip(".")) + r"\Z"


def flask_cors_resources(cfg: OriginConfig) -> dict[str, dict[str, Any]]:
    return {
        r"/api/*": {
            "origins": [*cfg.exact, *(wildcard_regex(w) for w in cfg.wildcards)],
            "methods": list(METHODS),
            "allow_headers": list(HEADERS),
            "supports_credentials": CREDENTIALS,
            "max_age": MAX_AGE,
        }
    }


# --- builders -------------------------------------------------------------------------------------------


def _build_bare(cfg: OriginConfig) -> WSGIApp:
    return bare_app


def _build_cors_wsgi(cfg: OriginConfig) -> WSGIApp:
    from cors_wsgi import CORSMiddleware

    return CORSMiddleware(bare_app, cors_wsgi_policy(cfg))


def _build_wsgicors(cfg: OriginConfig) -> WSGIApp:
    from wsgicors import CORS  # type: ignore[import-untyped]

    return CORS(bare_app, **wsgicors_kwargs(cfg))  # type: ignore[no-any-return]


def _build_flask(cfg: OriginConfig) -> WSGIApp:
    return flask_app()  # type: ignore[no-any-return]


def _build_flask_cors(cfg: OriginConfig) -> WSGIApp:
    from flask_cors import CORS  # type: ignore[import-untyped]

    app = flask_app()
    CORS(app, resources=flask_cors_resources(cfg))
    return app  # type: ignore[no-any-return]


def _build_flask_cors_wsgi(cfg: OriginConfig) -> WSGIApp:
    from cors_wsgi import CORSMiddleware

    app = flask_app()
    # The idiomatic Flask wiring; the rule mirrors flask-cors' resources={"/api/*": ...}.
    app.wsgi_app = CORSMiddleware(app.wsgi_app, rules=[("/api/*", cors_wsgi_policy(cfg))])
    return app  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Subject:
    key: str
    label: str
    build: Callable[[OriginConfig], WSGIApp]
    #: The subject that is the same app without any CORS layer.
    floor: str
    #: Whether it applies CORS at all (the floors do not).
    cors: bool
    #: Distribution names whose versions the report prints.
    dists: tuple[str, ...] = ()


SUBJECTS: dict[str, Subject] = {
    s.key: s
    for s in (
        Subject("bare", "bare WSGI app", _build_bare, "bare", cors=False),
        Subject("cors_wsgi", "cors_wsgi", _build_cors_wsgi, "bare", cors=True, dists=("cors_wsgi",)),
        Subject("wsgicors", "wsgicors", _build_wsgicors, "bare", cors=True, dists=("wsgicors",)),
        Subject("flask", "Flask", _build_flask, "flask", cors=False, dists=("flask", "werkzeug")),
        Subject(
            "flask_cors", "Flask + flask-cors", _build_flask_cors, "flask", cors=True, dists=("flask-cors",)
        ),
        Subject("flask_cors_wsgi", "Flask + cors_wsgi", _build_flask_cors_wsgi, "flask", cors=True),
    )
}
CORS_SUBJECTS = tuple(k for k, s in SUBJECTS.items() if s.cors)


def describe() -> list[str]:
    """How each layer is configured for the main list, as Markdown bullet lines."""
    from benchmarks.scenarios import main_config

    cfg = main_config()
    origins = [*cfg.exact, *cfg.wildcards]
    return [
        f"- **cors_wsgi**: `CORSMiddleware(app, CORSPolicy(allow_origins={origins!r}, "
        f"allow_methods={list(METHODS)!r}, allow_headers={list(HEADERS)!r}, allow_credentials=True, "
        f"max_age={MAX_AGE}))`; under Flask `app.wsgi_app = CORSMiddleware(app.wsgi_app, "
        'rules=[("/api/*", policy)])`.',
        f"- **wsgicors** 0.7: `CORS(app, **{wsgicors_kwargs(cfg)!r})` (fnmatch patterns; its decisions "
        "are kept in an `lru_cache` of 200 entries).",
        f"- **flask-cors**: `CORS(app, resources={flask_cors_resources(cfg)!r})`; a wildcard becomes an "
        "anchored regex because flask-cors has no subdomain-pattern syntax.",
        "- Wildcard scaling uses `https://*.subN.example.com` in each layer's syntax in the same way.",
    ]
