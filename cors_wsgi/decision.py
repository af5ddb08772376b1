"""The CORS decision as a pure function: request values in, the complete answer out. No WSGI here.

    >>> from cors_wsgi import CORSPolicy, decide
    >>> policy = CORSPolicy(allow_origins=["http://localhost:3000"], allow_headers=["content-type"])
    >>> d = decide(policy, "OPTIONS", "http://localhost:3000", request_method="GET",
    ...            request_headers="content-type")
    >>> d.status, d.headers[0]
    (204, ('Access-Control-Allow-Origin', 'http://localhost:3000'))
    >>> refused = decide(policy, "OPTIONS", "http://evil.test", request_method="GET")
    >>> refused.status, refused.refusals[0].code, refused.body
    (403, 'origin-not-allowed', b'CORS preflight refused\\n')
    >>> decide(policy, "GET", "http://evil.test").response_headers([("Content-Type", "text/plain")])
    [('Content-Type', 'text/plain'), ('Vary', 'Origin')]

A preflight's answer is whole: status, every header (``added_headers``) and body; the application never sees
the request. An actual request's answer is the Access-Control-* headers and the Vary tokens that go onto
whatever the application responds (``response_headers(app_headers)``). Refusals are codes
(``cors_wsgi.refusals``); their English is ``cors_wsgi.explain``'s. The WSGI adapter (``middleware.py``)
sends exactly ``added_headers``, and remembers decisions that depend on request header values alone
(``remembered.py``).

The actual-request answers that are the same for every request of a policy (any origin allowed; no Origin;
an origin refused) are built once, when the policy is compiled (``answers.constant_actuals``), so a stream
of new refused origins costs the origin test and nothing else. ``Decision`` itself lives in ``answers``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import refusals as codes
from .answers import ORIGIN_REFUSED, Decision, make_decision
from .grammar import (
    MAX_METHOD_LENGTH,
    MAX_REQUEST_HEADER_NAMES,
    MAX_REQUEST_HEADERS_LENGTH,
    is_preflight,
    is_token,
)
from .headers import PREFLIGHT_VARY
from .policy import CompiledPolicy, CORSPolicy
from .refusals import Refusal

REFUSED_BODY = b"CORS preflight refused\n"


def parse_request_headers(value: str) -> tuple[str, ...] | None:
    """Access-Control-Request-Headers as lower-case names in first-seen order; ``None`` if malformed.

    Linear and bounded: the length is checked before anything is split, and every element, repeated or
    empty, counts toward ``MAX_REQUEST_HEADER_NAMES``. What browsers send (``a,b,c``: lower case, no
    spaces) takes a path made of a few C-level string operations; proxies may re-case, space or split the
    list, so the general path trims and skips empty elements.
    """
    parsed = _request_header_names(value, frozenset())
    return None if parsed is None else parsed[0]


def _request_header_names(
    value: str, allowed: frozenset[str], every: bool = True
) -> tuple[tuple[str, ...], bool] | None:
    """``parse_request_headers``, and whether every name is in ``allowed`` (then known to be a token).

    Not ``every``: when a name is not allowed, only the names up to the first such one are returned, that
    one last; a hostile list then costs its split and those names, not a check of every one.
    """
    if len(value) > MAX_REQUEST_HEADERS_LENGTH or (
        # Fewer characters cannot hold that many elements: skip the count for every common value.
        len(value) >= MAX_REQUEST_HEADER_NAMES and value.count(",") >= MAX_REQUEST_HEADER_NAMES
    ):
        return None
    if not value.isascii():
        return None  # never a token; and str.lower() folds some non-ASCII letters (U+212A) into ASCII
    lowered = value.lower()
    parts = lowered.split(",")
    unique = set(parts)
    if allowed.issuperset(unique):
        # Configured names are validated tokens, so nothing is left to check.
        return (tuple(parts) if len(unique) == len(parts) else tuple(dict.fromkeys(parts))), True
    if not every:
        names: dict[str, None] = {}
        for part in parts:
            name = part.strip(" \t")
            if not name:
                continue
            if name not in allowed:
                return ((*names, name), False) if is_token(name) else None
            names[name] = None
    # Names of letters, digits and '-' (all that browsers send) pass with C-level string checks alone.
    if "" not in unique and lowered.replace(",", "").replace("-", "").isalnum():
        return tuple(dict.fromkeys(parts)), False
    names = {}
    for part in parts:
        name = part.strip(" \t")
        if not name:
            continue
        if not is_token(name):
            return None
        names[name] = None
    return tuple(names), allowed.issuperset(names)


def _refused_headers(compiled: CompiledPolicy, names: tuple[str, ...], every: bool) -> tuple[str, ...]:
    """The names the policy does not allow: ``every`` one (debug mode names them all), else the first."""
    if compiled.any_header:
        # Fetch: the wildcard never covers Authorization; it must be named.
        return (
            ("authorization",)
            if "authorization" in names and "authorization" not in compiled.header_names
            else ()
        )
    allowed = compiled.header_names
    if every:
        return tuple(name for name in names if name not in allowed)
    for name in names:
        if name not in allowed:
            return (name,)
    return ()


def preflight(
    compiled: CompiledPolicy,
    origin: str,
    request_method: str,
    request_headers: str | None = None,
    request_private_network: str | None = None,
    environ: Mapping[str, Any] | None = None,
    *,
    debug: bool = False,
) -> Decision:
    """Answer a CORS preflight: 204 with the grant, or 403 with no Access-Control-Allow-* at all.

    ``debug``: every refused header is named (else the decision stops at the first), and a preflight
    refused only for its method or headers gets the partial grant of ``_partial_grant``.
    """
    refused: list[Refusal] = []
    if compiled.any_origin:
        allow_origin = "*"
    elif compiled.matcher.allows(origin, environ):
        allow_origin = origin
    else:
        refused.append(ORIGIN_REFUSED)
    if compiled.any_method:
        if len(request_method) > MAX_METHOD_LENGTH or not is_token(request_method):
            refused.append(Refusal(codes.METHOD_SYNTAX, request_method))
    elif request_method not in compiled.methods:
        refused.append(Refusal(codes.METHOD, request_method, compiled.policy.allow_methods))  # type: ignore[arg-type]
    names: tuple[str, ...] = ()
    if request_headers:
        # Under "*" every name must be seen: Authorization anywhere in the list is refused.
        every = debug or compiled.any_header
        parsed = _request_header_names(request_headers, compiled.header_names, every)
        if parsed is None:
            refused.append(Refusal(codes.HEADERS_SYNTAX, request_headers))
        else:
            names, all_allowed = parsed
            if not all_allowed and (not_allowed := _refused_headers(compiled, names, every=debug)):
                refused.append(Refusal(codes.HEADERS, request_headers, not_allowed))
    private_network = request_private_network == "true"
    if private_network and not compiled.private_network:
        refused.append(Refusal(codes.PRIVATE_NETWORK, request_private_network))
    if refused:
        if debug and all(r.code in _NAMED_BY_THE_BROWSER for r in refused):
            return _partial_grant(compiled, allow_origin, request_method, names, tuple(refused))
        return refuse_preflight(compiled.preflight_vary, tuple(refused))
    headers = [("Access-Control-Allow-Origin", allow_origin), *compiled.preflight_grant]
    if compiled.any_method and not compiled.star_methods:
        # Echo rather than "*": with credentials a browser takes "*" literally.
        headers.append(("Access-Control-Allow-Methods", request_method))
    if names and not compiled.star_headers:
        headers.append(("Access-Control-Allow-Headers", ", ".join(names)))
    if private_network:
        headers.append(("Access-Control-Allow-Private-Network", "true"))
    return make_decision("preflight", True, 204, tuple(headers), compiled.preflight_vary)


# Refusals the browser's console names exactly when the preflight grants the origin but not them.
_NAMED_BY_THE_BROWSER = frozenset({codes.METHOD, codes.HEADERS})


def _partial_grant(
    compiled: CompiledPolicy,
    allow_origin: str,
    request_method: str,
    names: tuple[str, ...],
    refusals: tuple[Refusal, ...],
) -> Decision:
    """Debug mode only: an ok preflight that grants the origin but not the method or header at fault.

    The browser then reports "Method PUT is not allowed by Access-Control-Allow-Methods" or "Request header
    field x-token is not allowed by Access-Control-Allow-Headers" instead of a generic preflight failure.
    Still a refusal (``allowed`` is False, no Max-Age: nothing is cached), and the reason is logged.
    """
    headers = [("Access-Control-Allow-Origin", allow_origin), *compiled.origin_only_grant]
    # The configured list, where there is one (a refused method is never in it); with "*" the method was
    # fine (only its syntax can be refused, which is never answered this way): grant it.
    if not compiled.any_method:
        headers.append(("Access-Control-Allow-Methods", ", ".join(compiled.policy.allow_methods)))
    else:
        headers.append(("Access-Control-Allow-Methods", request_method))
    not_allowed = {name for r in refusals if r.code == codes.HEADERS for name in r.detail}
    granted = [name for name in names if name not in not_allowed]
    if granted:
        headers.append(("Access-Control-Allow-Headers", ", ".join(granted)))
    return make_decision("preflight", False, 204, tuple(headers), compiled.preflight_vary, b"", refusals)


def refuse_preflight(
    vary: tuple[str, ...], refusals: tuple[Refusal, ...], body: bytes = REFUSED_BODY
) -> Decision:
    """403 with no Access-Control-* header and a short text body (debug mode's says why: ``explain``)."""
    return make_decision("preflight", False, 403, (), vary, body, refusals)


def actual(
    compiled: CompiledPolicy, origin: str | None, environ: Mapping[str, Any] | None = None
) -> Decision:
    """The Access-Control-* headers an actual (non-preflight) response gets; none when refused."""
    constants = compiled.actuals
    if compiled.any_origin:
        return constants.any_origin
    if origin is None:
        return constants.no_origin
    if compiled.matcher.allows(origin, environ):
        headers = (("Access-Control-Allow-Origin", origin), *compiled.actual_grant)
        return make_decision(
            "actual", True, None, headers, compiled.actual_vary, vary_header=compiled.actual_vary_header
        )
    return constants.refused


def decide(
    policy: CORSPolicy,
    method: str,
    origin: str | None,
    request_method: str | None = None,
    request_headers: str | None = None,
    request_private_network: str | None = None,
    environ: Mapping[str, Any] | None = None,
    *,
    debug: bool = False,
) -> Decision:
    """Everything the middleware decides for one request, from the request's plain values.

    ``environ`` is handed to an ``allow_origin_func``; ``debug`` is the middleware's debug mode (see
    ``preflight``). ``cors_wsgi.explain`` puts the refusals into words.
    """
    return decide_compiled(
        policy.compiled,
        method,
        origin,
        request_method,
        request_headers,
        request_private_network,
        environ,
        debug=debug,
    )


def decide_compiled(
    compiled: CompiledPolicy | None,
    method: str,
    origin: str | None,
    request_method: str | None = None,
    request_headers: str | None = None,
    request_private_network: str | None = None,
    environ: Mapping[str, Any] | None = None,
    *,
    debug: bool = False,
) -> Decision:
    """``decide`` for a compiled policy, or for ``None``: a path that no rule may grant (``refuse_path``)."""
    if compiled is None:
        return refuse_path(method, origin, request_method)
    # Most requests are not OPTIONS: only those pay for the call.
    if method == "OPTIONS" and is_preflight(method, origin, request_method):
        return preflight(
            compiled,
            origin,  # type: ignore[arg-type]
            request_method,  # type: ignore[arg-type]
            request_headers,
            request_private_network,
            environ,
            debug=debug,
        )
    return actual(compiled, origin, environ)


# What a path with '.' or '..' segments gets (see rules.py): every preflight refused, and actual responses
# carry no Access-Control-* but vary on Origin like any answer that depends on it.
DOT_SEGMENT_VARY = ("Origin",)


def refuse_path(method: str, origin: str | None, request_method: str | None) -> Decision:
    """The answer on a path no rule may grant (a dot segment): refusal whatever the request."""
    if is_preflight(method, origin, request_method):
        return refuse_preflight(PREFLIGHT_VARY, (Refusal(codes.DOT_SEGMENT, None),))
    refusals = () if origin is None else (Refusal(codes.DOT_SEGMENT, None),)
    return make_decision("actual", False, None, (), DOT_SEGMENT_VARY, refusals=refusals)


__all__ = [
    "REFUSED_BODY",
    "Decision",
    "actual",
    "decide",
    "decide_compiled",
    "parse_request_headers",
    "preflight",
    "refuse_path",
    "refuse_preflight",
]
