"""The floor for instruction counts: a minimal CORS layer as a careful person writes it by hand.

    app = MinimalCORS(app, exact=["http://localhost:3000"], wildcards=["https://*.example.com"],
                      methods=["GET", "POST"], headers=["content-type"], credentials=True, max_age=600)

Exact origins in a set, ``*.domain`` patterns as one ``startswith``/``endswith`` over tuples, Allow-Origin
and Vary on actual responses, precomputed preflight headers, 403 on refusal. It validates nothing and
trusts browsers to send lower-case, comma-joined request headers: the least work a correct answer to a
well-behaved browser takes, and so the yardstick for what cors_wsgi's checks and safety cost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

VARY_PREFLIGHT = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


class MinimalCORS:
    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        *,
        exact: Sequence[str],
        wildcards: Sequence[str],
        methods: Sequence[str],
        headers: Sequence[str],
        credentials: bool,
        max_age: int,
    ) -> None:
        self.app = app
        self.exact = frozenset(exact)
        self.prefixes = tuple({w.split("*", 1)[0] for w in wildcards})  # "https://"
        self.suffixes = tuple(w.split("*", 1)[1] for w in wildcards)  # ".example.com"
        self.methods = frozenset(methods)
        self.headers = frozenset(headers)
        self.extra = [("Access-Control-Allow-Credentials", "true")] if credentials else []
        self.preflight_extra = [
            *self.extra,
            ("Access-Control-Allow-Methods", ", ".join(methods)),
            ("Access-Control-Max-Age", str(max_age)),
        ]

    def allowed(self, origin: str) -> bool:
        return origin in self.exact or (
            bool(self.suffixes) and origin.startswith(self.prefixes) and origin.endswith(self.suffixes)
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and environ["REQUEST_METHOD"] == "OPTIONS":
            method = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")
            if method is not None:
                requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "")
                if (
                    self.allowed(origin)
                    and method in self.methods
                    and (not requested or self.headers.issuperset(requested.lower().split(",")))
                ):
                    grant = [("Access-Control-Allow-Origin", origin), *self.preflight_extra]
                    if requested:
                        grant.append(("Access-Control-Allow-Headers", requested))
                    start_response("204 No Content", [*grant, ("Vary", VARY_PREFLIGHT)])
                    return []
                start_response("403 Forbidden", [("Content-Length", "0"), ("Vary", VARY_PREFLIGHT)])
                return []
        if origin is not None and self.allowed(origin):
            cors = [("Access-Control-Allow-Origin", origin), *self.extra, ("Vary", "Origin")]
        else:
            cors = [("Vary", "Origin")]

        def cors_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, headers + cors, exc_info)

        return self.app(environ, cors_start_response)
