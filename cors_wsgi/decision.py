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
from dataclasses import dataclass
from typing import Any, Literal

from .debug import origin_hint, safe_repr
from .policy import CompiledPolicy, CORSPolicy, is_token

# Browsers send a short, sorted list; anything longer is a flood (rs/cors GHSA-mh55-gqvf-xfwm spent
# 100+ ms on one ACRH full of commas), refused before any per-name work.
MAX_REQUEST_HEADERS_LENGTH = 4096
MAX_REQUEST_HEADER_NAMES = 100
MAX_METHOD_LENGTH = 64

PREFLIGHT_VARY = ("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers")
ORIGIN_VARY = ("Origin",)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the middleware does with one request."""

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
        name = part.strip(" \t").lower()
        if not name:
            continue
        if not is_token(name) or len(names) >= MAX_REQUEST_HEADER_NAMES:
            return None
        names[name] = None
    return tuple(names)


def origin_allowed(compiled: CompiledPolicy, origin: str, environ: Mapping[str, Any] | None) -> bool:
    return origin in compiled.matcher.exact or compiled.matcher.matches(origin, environ)


def actual_headers(
    compiled: CompiledPolicy, origin: str | None, environ: Mapping[str, Any] | None = None
) -> tuple[tuple[str, str], ...]:
    """The Access-Control-* headers an actual (non-preflight) response gets; empty when refused."""
    if compiled.any_origin:
        return compiled.any_origin_headers
    if origin is None:
        return ()
    if origin in compiled.matcher.exact or compiled.matcher.matches(origin, environ):
        return (("Access-Control-Allow-Origin", origin), *compiled.actual_headers)
    return ()


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
    reasons: list[str] = []
    if compiled.any_origin:
        allow_origin = "*"
    elif origin_allowed(compiled, origin, environ):
        allow_origin = origin
    else:
        reason = f"origin {safe_repr(origin)} is not allowed"
        hint = origin_hint(origin, compiled.policy.allow_origins) if explain else None
        reasons.append(f"{reason}; {hint}" if hint else reason)

    if compiled.any_method:
        if len(request_method) > MAX_METHOD_LENGTH or not is_token(request_method):
            reasons.append(f"requested method {safe_repr(request_method)} is not a valid method name")
    elif request_method not in compiled.allowed_methods:
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
    else:
        refused = [
            name
            for name in names
            if name not in compiled.allowed_headers and (not compiled.any_header or name == "authorization")
        ]
        if refused:
            reasons.append(f"request header(s) not allowed: {', '.join(refused)}")

    private_network = request_private_network == "true"
    if private_network and not compiled.private_network:
        reasons.append("private network access was requested but allow_private_network is off")

    if reasons:
        return Decision("preflight", False, 403, (), PREFLIGHT_VARY, tuple(reasons))
    headers = [("Access-Control-Allow-Origin", allow_origin), *compiled.preflight_headers]
    if compiled.any_method:
        # Echo rather than "*": with credentials a browser takes "*" literally.
        headers.append(("Access-Control-Allow-Methods", request_method))
    if names:
        headers.append(("Access-Control-Allow-Headers", ", ".join(names)))
    if private_network:
        headers.append(("Access-Control-Allow-Private-Network", "true"))
    return Decision("preflight", True, 204, tuple(headers), PREFLIGHT_VARY)


def is_preflight(method: str, origin: str | None, request_method: str | None) -> bool:
    return method == "OPTIONS" and origin is not None and request_method is not None


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
