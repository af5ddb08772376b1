"""Code as users write it, checked by ``mypy --strict`` in tox's ``type`` env (and run by
tests/test_release.py): the types of cors_wsgi must accept what people naturally pass."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from cors_wsgi import CORSMiddleware, CORSPolicy

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def partner_from_dict(origin: str, environ: dict[str, Any]) -> bool:
    return origin.endswith(".partner.example") and environ.get("HTTP_X_TENANT") == "acme"


def partner_from_wsgi_environ(origin: str, environ: WSGIEnvironment) -> bool:
    return origin == "https://a.partner.example" and "HTTP_HOST" in environ


def partner_from_mapping(origin: str, environ: Mapping[str, Any]) -> bool:
    return origin == "https://b.partner.example"


POLICIES = [
    CORSPolicy(allow_origin_func=partner_from_dict, allow_origin_func_vary=["X-Tenant"]),
    CORSPolicy(allow_origin_func=partner_from_wsgi_environ),
    CORSPolicy(allow_origin_func=partner_from_mapping),
    # any collection of strings: sets and tuples as well as lists
    CORSPolicy(
        allow_origins={"https://app.example.com", "http://localhost:3000"},
        allow_methods=("GET", "POST"),
        allow_headers=frozenset({"content-type", "x-token"}),
        expose_headers={"X-Request-Id"},
    ),
]
WRAPPED = [CORSMiddleware(app, policy) for policy in POLICIES]
