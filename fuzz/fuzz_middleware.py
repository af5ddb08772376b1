"""Coverage-guided fuzzing of ``CORSMiddleware`` with hostile WSGI environs (atheris).

    python fuzz/fuzz_middleware.py -max_total_time=60 -dict=fuzz/cors.dict  # corpus: fuzz/corpus/middleware
    tox -e fuzz

Each input becomes a PEP 3333 environ (any latin-1 method, path, Origin, ACRM, ACRH, ACRPN) sent through
a middleware with per-path rules to an application that sets its own Access-Control-Allow-Origin and Vary.
``invariants.check_response`` asserts: never 5xx, never an exception, headers safe on the wire, at most one
ACAO and only for an allowed origin, the app's CORS headers replaced, Vary merged, 403 bare of grants.
"""

from __future__ import annotations

import os
import sys
import wsgiref.util
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from invariants import POLICIES, check_response, fields_from_bytes, run_fuzzer

from cors_wsgi import CORSMiddleware

APP_ACAO = "https://app-set.invalid"
# One rule per policy case, declared order; paths outside them reach the app untouched.
RULES = [(f"/p{i}/*", case.policy) for i, case in enumerate(POLICIES)]


class App:
    """Sets its own CORS header and a Vary, so stripping and merging are visible."""

    def __init__(self) -> None:
        self.called = False

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        self.called = True
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/plain"),
                ("Access-Control-Allow-Origin", APP_ACAO),
                ("Vary", "Accept-Encoding"),
            ],
        )
        return [b"app"]


def test_one_input(data: bytes) -> None:
    flags, method, origin, acrm, acrh, pna, path = fields_from_bytes(data, "latin-1")
    # Bit 6 of the flag byte steers the input onto a covered path (which one: by the path's length).
    if flags & 0x40:
        path = f"/p{len(path) % len(POLICIES)}/{path}"
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path}
    wsgiref.util.setup_testing_defaults(environ)
    for key, value in (
        ("HTTP_ORIGIN", origin),
        ("HTTP_ACCESS_CONTROL_REQUEST_METHOD", acrm),
        ("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", acrh),
        ("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK", pna),
    ):
        if value is not None:
            environ[key] = value
    app = App()
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen["status"], seen["headers"] = status, list(headers)
        return lambda chunk: None

    result = CORSMiddleware(app, rules=RULES, debug=bool(flags & 0x20))(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    assert isinstance(body, bytes)
    # The oracle for "/pN/*": a plain prefix test, case-sensitive, first rule in declared order.
    case = next((c for i, c in enumerate(POLICIES) if path.startswith(f"/p{i}/")), None)
    check_response(case, method, origin, acrm, seen["status"], seen["headers"], app.called, APP_ACAO)


if __name__ == "__main__":
    run_fuzzer(test_one_input, "middleware")
