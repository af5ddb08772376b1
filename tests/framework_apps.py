"""The recipes of docs/frameworks.md as code: one small app per framework behind CORSMiddleware.

Each app answers ``GET /api/data`` with ``{"message": "Hello from your API!"}`` and raises on
``GET /api/boom``. ``build(name, catch_exceptions)`` gives the wrapped app and a list that records every
request the framework itself saw (so a test can prove a preflight never reached it).
``tests/framework_server.py`` serves one of them under gunicorn or waitress.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from cors_wsgi import CORSMiddleware, CORSPolicy

FRONTEND = "http://localhost:3000"
POLICY = CORSPolicy(
    allow_origins=[FRONTEND],
    allow_methods=["GET", "POST", "PUT"],
    allow_headers=["content-type"],
    allow_credentials=True,
)
DATA = {"message": "Hello from your API!"}
FRAMEWORKS = ("flask", "django", "falcon", "bottle", "pyramid", "bare")
WSGIApp = Callable[..., Iterable[bytes]]


class Boom(Exception):
    """What /api/boom raises."""


def _flask() -> WSGIApp:
    from flask import Flask

    app = Flask("framework_apps_flask")

    @app.get("/api/data")
    def data() -> dict[str, str]:
        return DATA

    @app.get("/api/boom")
    def boom() -> None:
        raise Boom("flask")

    return app  # the recipe wraps app.wsgi_app: see build()


def _django() -> WSGIApp:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="framework-apps-only",
            ALLOWED_HOSTS=["*"],
            ROOT_URLCONF=__name__,  # the URL patterns below
            MIDDLEWARE=[],
            INSTALLED_APPS=[],
            LOGGING_CONFIG=None,
        )
        django.setup()
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def _django_data(request: Any) -> Any:
    from django.http import JsonResponse

    return JsonResponse(DATA)


def _django_boom(request: Any) -> Any:
    raise Boom("django")


def __getattr__(name: str) -> Any:
    # ROOT_URLCONF points here; the URL patterns are built only when Django asks for them.
    if name == "urlpatterns":
        from django.urls import path

        return [path("api/data", _django_data), path("api/boom", _django_boom)]
    raise AttributeError(name)


def _falcon() -> WSGIApp:
    import falcon

    class Data:
        def on_get(self, req: Any, resp: Any) -> None:
            resp.media = DATA

    class BoomResource:
        def on_get(self, req: Any, resp: Any) -> None:
            raise Boom("falcon")

    app = falcon.App()
    app.add_route("/api/data", Data())
    app.add_route("/api/boom", BoomResource())
    return app


def _bottle() -> WSGIApp:
    import bottle

    app = bottle.Bottle()

    @app.get("/api/data")
    def data() -> dict[str, str]:
        return DATA

    @app.get("/api/boom")
    def boom() -> None:
        raise Boom("bottle")

    return app


def _pyramid() -> WSGIApp:
    from pyramid.config import Configurator

    def data(request: Any) -> Any:
        return DATA

    def boom(request: Any) -> Any:
        raise Boom("pyramid")

    with Configurator() as config:
        config.add_route("data", "/api/data")
        config.add_view(data, route_name="data", renderer="json")
        config.add_route("boom", "/api/boom")
        config.add_view(boom, route_name="boom")
        return config.make_wsgi_app()


def _bare() -> WSGIApp:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/api/boom":
            raise Boom("bare")
        if path != "/api/data":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        body = json.dumps(DATA).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


_FACTORIES: dict[str, Callable[[], WSGIApp]] = {
    "flask": _flask,
    "django": _django,
    "falcon": _falcon,
    "bottle": _bottle,
    "pyramid": _pyramid,
    "bare": _bare,
}


def build(name: str, catch_exceptions: bool = False) -> tuple[WSGIApp, list[str]]:
    """The framework's app wrapped as its recipe says, and the requests the framework saw."""
    seen: list[str] = []
    inner = _FACTORIES[name]()

    def recording(app: WSGIApp) -> WSGIApp:
        def record(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            seen.append(f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}")
            return app(environ, start_response)

        return record

    if name == "flask":
        # Flask's recipe: wrap app.wsgi_app, so the Flask object stays the app servers and tests import.
        inner.wsgi_app = CORSMiddleware(  # type: ignore[attr-defined]
            recording(inner.wsgi_app),  # type: ignore[attr-defined]
            POLICY,
            catch_exceptions=catch_exceptions,
        )
        return inner, seen
    return CORSMiddleware(recording(inner), POLICY, catch_exceptions=catch_exceptions), seen
