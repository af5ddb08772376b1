"""Why a CORS request was refused: stable codes in the decision, English only where it is shown.

    >>> refusal = Refusal(METHOD, "DELETE", ("GET", "PUT"))
    >>> refusal.code
    'method-not-allowed'
    >>> describe(refusal)
    "method 'DELETE' is not allowed (allowed: GET, PUT; methods are case-sensitive)"

The codes are part of the public API (decision events, metrics labels, ``check``); the wording is not.
"""

from __future__ import annotations

from typing import NamedTuple

from .debug import safe_repr
from .grammar import MAX_REQUEST_HEADER_NAMES, MAX_REQUEST_HEADERS_LENGTH

ORIGIN = "origin-not-allowed"
METHOD = "method-not-allowed"
METHOD_SYNTAX = "method-invalid"
HEADERS = "headers-not-allowed"
HEADERS_SYNTAX = "headers-invalid"
PRIVATE_NETWORK = "private-network-not-allowed"
DOT_SEGMENT = "path-dot-segment"

CODES = (ORIGIN, METHOD, METHOD_SYNTAX, HEADERS, HEADERS_SYNTAX, PRIVATE_NETWORK, DOT_SEGMENT)


class Refusal(NamedTuple):
    """One reason: its ``code``, the request ``value`` at fault, and what the policy had instead.

    ``detail`` holds the allowed methods (``method-not-allowed``) or the refused header names
    (``headers-not-allowed``); ``hint`` the near-miss explanation of a refused origin, in debug mode.
    """

    code: str
    value: str | None = None
    detail: tuple[str, ...] = ()
    hint: str | None = None


def describe(refusal: Refusal) -> str:
    """One line of English for a log or a debug 403 body; request values go through ``safe_repr``."""
    code, value = refusal.code, refusal.value
    if code == ORIGIN:
        text = f"origin {safe_repr(value)} is not allowed"
        return f"{text}; {refusal.hint}" if refusal.hint else text
    if code == METHOD:
        return (
            f"method {safe_repr(value)} is not allowed "
            f"(allowed: {', '.join(refusal.detail)}; methods are case-sensitive)"
        )
    if code == METHOD_SYNTAX:
        return f"requested method {safe_repr(value)} is not a valid method name"
    if code == HEADERS:
        return f"request header(s) not allowed: {', '.join(refusal.detail)}"
    if code == HEADERS_SYNTAX:
        return (
            f"Access-Control-Request-Headers is malformed or longer than {MAX_REQUEST_HEADERS_LENGTH} "
            f"characters / {MAX_REQUEST_HEADER_NAMES} names: {safe_repr(value)}"
        )
    if code == PRIVATE_NETWORK:
        return "private network access was requested but allow_private_network is off"
    if code == DOT_SEGMENT:
        return "the path has a '.' or '..' segment: no rule grants CORS to such a path"
    return code  # pragma: no cover - every code is rendered above


def refused_body(refusals: tuple[Refusal, ...]) -> bytes:
    """The debug-mode 403 body: every reason, a line each."""
    return ("CORS preflight refused:\n" + "".join(f"- {describe(r)}\n" for r in refusals)).encode()
