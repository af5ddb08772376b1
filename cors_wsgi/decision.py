"""The CORS decision as a pure function: request values in, response headers out. No WSGI here.

    >>> from cors_wsgi import CORSPolicy
    >>> from cors_wsgi.decision import decide
    >>> policy = CORSPolicy(allow_origins=["http://localhost:3000"], allow_headers=["content-type"])
    >>> d = decide(policy, "OPTIONS", "http://localhost:3000", request_method="GET",
    ...            request_headers="content-type")
    >>> d.status, d.headers[0]
    (204, ('Access-Control-Allow-Origin', 'http://localhost:3000'))
    >>> decide(policy, "GET", "http://evil.test").headers
    ()

The WSGI adapter (``middleware.py``) calls ``actual_headers`` and ``preflight`` directly; ``decide`` puts
both behind one call for tests, fuzzing and tools.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

from .debug import origin_hint, safe_repr
from .policy import CompiledPolicy, CORSPolicy, is_token

# Browsers send a short, sorted list; anything longer is a flood (rs/cors GHSA-mh55-gqvf-xfwm spent
# 100+ ms on one ACRH full of commas), refused before any per-name work.
MAX_REQUEST_HEADERS_LENGTH = 4096
MAX_REQUEST_HEADER_NAMES = 100
MAX_METHOD_LENGTH = 64

ORIGIN_VARY = ("Origin",)


class Decision(NamedTuple):
    """What the middleware does with one request (a tuple: cheap to build on every preflight)."""

    kind: Literal["preflight", "actual"]
    allowed: bool
    status: int | None  # preflight: 204 or 403; actual: None (the app decides)
    headers: tuple[tuple[str, str], ...]  # the Access-Control-* headers to send
    vary: tuple[str, ...]  # tokens to merge into Vary
    reasons: tuple[str, ...] = ()  # why it was refused


def parse_request_headers(value: str) -> tuple[str, ...] | None:
    """Access-Control-Request-Headers as lower-case names in first-seen order; ``None`` if malformed.

    Proxies may re-case, space or split the list, so names are trimmed and lower-cased and empty
    elements skipped. Linear and bounded: the length is checked before anything is split.
    """
    if len(value) > MAX_REQUEST_HEADERS_LENGTH:
        return None
    names: dict[str, None] = {}
    for part in value.split(","):
        name = part.strip(" \t")
        if not name:
            continue
        # The token check comes first: str.lower() folds some non-ASCII letters (U+212A) into ASCII.
        if not is_token(name) or len(names) >= MAX_REQUEST_HEADER_NAMES:
            return None
        names[name.lower()] = None
    return tuple(names)


def actual_headers(
    compiled: CompiledPolicy, origin: str | None, environ: Mapping[str, Any] | None = None
) -> tuple[tuple[str, str], ...]:
    """The Access-Control-* headers an actual (non-preflight) response gets; empty when refused."""
    if compiled.any_origin:
        return compiled.any_origin_headers
    if origin is None:
        return ()
    if compiled.matcher.matches(origin, environ):
        return (("Access-Control-Allow-Origin", origin), *compiled.actual_headers)
    return ()


def allow_headers_value(compiled: CompiledPolicy, request_headers: str) -> str | None:
    """The Access-Control-Allow-Headers value granting ``request_headers``, or ``None`` to refuse."""
    names = parse_request_headers(request_headers)
    return None if names is None or _refused_headers(compiled, names) else ", ".join(names)


def _refused_headers(compiled: CompiledPolicy, names: tuple[str, ...]) -> list[str]:
    return [
        name
        for name in names
        if name not in compiled.allowed_headers and (not compiled.any_header or name == "authorization")
    ]


def preflight(
    compiled: CompiledPolicy,
    origin: str,
    request_method: str,
    request_headers: str | None = None,
    request_private_network: str | None = None,
    environ: Mapping[str, Any] | None = None,
    *,
    explain: bool = False,
) -> Decision:
    """Answer a CORS preflight: 204 with the grant, or 403 with no Access-Control-Allow-* at all."""
    if compiled.any_origin:
        allow_origin: str | None = "*"
    else:
        allow_origin = origin if compiled.matcher.matches(origin, environ) else None
    if compiled.any_method:
        method_ok = len(request_method) <= MAX_METHOD_LENGTH and is_token(request_method)
    else:
        method_ok = request_method in compiled.allowed_methods
    allow_headers = allow_headers_value(compiled, request_headers) if request_headers else ""
    private_network = request_private_network == "true"
    if (
        allow_origin is None
        or not method_ok
        or allow_headers is None
        or (private_network and not compiled.private_network)
    ):
        reasons = _refusal_reasons(compiled, origin, allow_origin, method_ok, request_method, request_headers)
        if private_network and not compiled.private_network:
            reasons.append("private network access was requested but allow_private_network is off")
        if explain and allow_origin is None:
            hint = origin_hint(origin, compiled.policy.allow_origins)
            if hint:
                reasons[0] = f"{reasons[0]}; {hint}"
        return Decision("preflight", False, 403, (), compiled.preflight_vary, tuple(reasons))
    headers = [("Access-Control-Allow-Origin", allow_origin), *compiled.preflight_headers]
    if compiled.any_method:
        # Echo rather than "*": with credentials a browser takes "*" literally.
        headers.append(("Access-Control-Allow-Methods", request_method))
    if allow_headers:
        headers.append(("Access-Control-Allow-Headers", allow_headers))
    if private_network:
        headers.append(("Access-Control-Allow-Private-Network", "true"))
    return Decision("preflight", True, 204, tuple(headers), compiled.preflight_vary)


def _refusal_reasons(
    compiled: CompiledPolicy,
    origin: str,
    allow_origin: str | None,
    method_ok: bool,
    request_method: str,
    request_headers: str | None,
) -> list[str]:
    """Every reason a preflight is refused (the refused path may be slow; it is never the common one)."""
    if compiled.refusal_note:
        return [compiled.refusal_note]
    reasons = []
    if allow_origin is None:
        reasons.append(f"origin {safe_repr(origin)} is not allowed")
    if not method_ok and compiled.any_method:
        reasons.append(f"requested method {safe_repr(request_method)} is not a valid method name")
    elif not method_ok:
        reasons.append(
            f"method {safe_repr(request_method)} is not allowed "
            f"(allowed: {', '.join(compiled.policy.allow_methods)}; methods are case-sensitive)"
        )
    names = parse_request_headers(request_headers) if request_headers else ()
    if names is None:
        reasons.append(
            f"Access-Control-Request-Headers is malformed or longer than {MAX_REQUEST_HEADERS_LENGTH} "
            f"characters / {MAX_REQUEST_HEADER_NAMES} names: {safe_repr(request_headers)}"
        )
    elif refused := _refused_headers(compiled, names):
        reasons.append(f"request header(s) not allowed: {', '.join(refused)}")
    return reasons


def decide(
    policy: CORSPolicy | CompiledPolicy,
    method: str,
    origin: str | None,
    request_method: str | None = None,
    request_headers: str | None = None,
    request_private_network: str | None = None,
    environ: Mapping[str, Any] | None = None,
    *,
    explain: bool = False,
) -> Decision:
    """Everything the middleware decides for one request, from the request's plain values."""
    compiled = policy.compiled if isinstance(policy, CORSPolicy) else policy
    if origin is not None and request_method is not None and method == "OPTIONS":
        return preflight(
            compiled,
            origin,
            request_method,
            request_headers,
            request_private_network,
            environ,
            explain=explain,
        )
    headers = actual_headers(compiled, origin, environ)
    vary = () if compiled.any_origin else ORIGIN_VARY
    reasons: tuple[str, ...] = ()
    if origin is not None and not headers:
        reason = f"origin {safe_repr(origin)} is not allowed"
        hint = origin_hint(origin, compiled.policy.allow_origins) if explain else None
        reasons = (f"{reason}; {hint}" if hint else reason,)
    return Decision("actual", bool(headers), None, headers, vary, reasons)
