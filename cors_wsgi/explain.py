r"""The English of a decision: why a request was refused, for debug mode's logs and 403 bodies.

    >>> from cors_wsgi.refusals import ORIGIN, METHOD, Refusal
    >>> describe(Refusal(METHOD, "DELETE", ("GET", "PUT")))
    "method 'DELETE' is not allowed (allowed: GET, PUT; methods are case-sensitive)"
    >>> print(describe(Refusal(ORIGIN, "https://localhost:3000"), ["http://localhost:3000"]))
    origin 'https://localhost:3000' is not allowed; closest allowed origin is 'http://localhost:3000' (the
    scheme differs)
    >>> origin_hint("http://localhost:3000/", ["https://app.example.com", "http://localhost:3000"])
    "closest allowed origin is 'http://localhost:3000' (remove the trailing slash)"
    >>> origin_hint("https://evil.test", ["https://app.example.com"]) is None
    True

The pure core (``decision``) returns refusal codes only; this module turns them into text, and is only
reached in debug mode (``explained``, ``log_decision``) or by tools. ``origin_hint`` explains the usual near
misses (scheme, port, trailing slash, case, subdomain depth) and never repeats the request's value: only the
configured origin is quoted. Request values are written through ``logsafe.safe_repr``.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from .decision import Decision
from .grammar import (
    DEFAULT_PORTS,
    MAX_REQUEST_HEADER_NAMES,
    MAX_REQUEST_HEADERS_LENGTH,
    OriginParts,
    split_origin,
)
from .logsafe import safe_repr
from .refusals import (
    CSRF_CODES,
    CSRF_SEC_FETCH_SITE,
    DOT_SEGMENT,
    HEADERS,
    HEADERS_SYNTAX,
    METHOD,
    METHOD_SYNTAX,
    ORIGIN,
    PRIVATE_NETWORK,
    Refusal,
)
from .rules import request_path

logger = logging.getLogger("cors_wsgi")


def describe(refusal: Refusal, allowed_origins: Iterable[str] = ()) -> str:
    """One line of English for a log or a debug 403 body; a refused origin gets the closest of
    ``allowed_origins`` when one is close. Request values go through ``safe_repr``."""
    code, value = refusal.code, refusal.value
    if code == ORIGIN:
        text = f"origin {safe_repr(value)} is not allowed"
        hint = origin_hint(value or "", allowed_origins)
        return f"{text}; {hint}" if hint else text
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
    if code in CSRF_CODES:
        return _cross_origin_write(refusal, allowed_origins)
    return code  # pragma: no cover - every code is rendered above


def _cross_origin_write(refusal: Refusal, allowed_origins: Iterable[str]) -> str:
    seen, rule = refusal.detail
    if refusal.code == CSRF_SEC_FETCH_SITE:
        why = f"the browser sent Sec-Fetch-Site: {safe_repr(seen)}"
    else:
        why = f"there is no Sec-Fetch-Site and the Origin does not match the Host {safe_repr(seen)}"
    origin = refusal.value
    if origin is None:
        trust = "the request has no Origin to trust"
    elif rule == "-":
        trust = f"no rule covers this path, so origin {safe_repr(origin)} is not trusted"
    else:
        trust = f"origin {safe_repr(origin)} is not allowed by the rule {safe_repr(rule)}"
        hint = origin_hint(origin, allowed_origins)
        trust = f"{trust}; {hint}" if hint else trust
    return f"cross-origin write refused by csrf_protection: {why}, and {trust}"


def reasons(decision: Decision, allowed_origins: Iterable[str] = ()) -> list[str]:
    """Every refusal of ``decision`` in English."""
    return [describe(r, allowed_origins) for r in decision.refusals]


def refused_body(refusals: Iterable[Refusal], allowed_origins: Iterable[str] = ()) -> bytes:
    """The debug-mode 403 body: every reason, a line each."""
    return (
        "CORS preflight refused:\n" + "".join(f"- {describe(r, allowed_origins)}\n" for r in refusals)
    ).encode()


def explained(decision: Decision, allowed_origins: Iterable[str] = ()) -> Decision:
    """``decision`` as debug mode sends it: a refused preflight's 403 body says why."""
    if decision.status != 403:
        return decision
    return decision._replace(body=refused_body(decision.refusals, allowed_origins))


def log_decision(environ: Mapping[str, Any], decision: Decision, allowed_origins: Iterable[str] = ()) -> None:
    """Debug mode's one DEBUG record per CORS request (one with an Origin) on ``cors_wsgi``."""
    origin = environ.get("HTTP_ORIGIN")
    why = "; ".join(reasons(decision, allowed_origins))
    if decision.kind == "preflight":
        logger.debug(
            "preflight %s origin=%s method=%s headers=%s -> %s%s",
            safe_repr(request_path(environ)),
            safe_repr(origin),
            safe_repr(environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")),
            safe_repr(environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")),
            "allowed (204)" if decision.allowed else f"refused ({decision.status}): ",
            why,
        )
        return
    verdict = "allowed" if decision.allowed else f"refused: {why}; no Access-Control-* headers sent"
    logger.debug(
        "%s %s origin=%s -> %s",
        safe_repr(environ.get("REQUEST_METHOD", "")),
        safe_repr(request_path(environ)),
        safe_repr(origin),
        verdict,
    )


# A hint is only worth computing for something shaped like an origin; this also bounds difflib's cost.
MAX_HINT_INPUT = 512
# Below this similarity two hosts are unrelated, not a typo of each other.
TYPO_RATIO = 0.8


def origin_hint(origin: str, configured: Iterable[str]) -> str | None:
    """Name the configured origin closest to ``origin`` and say what differs, if one is close.

    Close means: the same host up to case or a trailing dot, a subdomain or parent of it, the bare domain of
    a ``*.`` pattern, or a likely typo. ``None`` when nothing configured is close.
    """
    candidates = [c for c in configured if c not in ("*", "null")]
    if not candidates or not origin or len(origin) > MAX_HINT_INPUT:
        return None
    parts = split_origin(origin)
    if parts is None:
        return _missing_scheme_hint(origin, candidates)
    best: tuple[int, float, str, list[str]] | None = None
    for candidate in candidates:
        found = _compare(parts, candidate)
        if found is None:
            continue
        diffs, similarity = found
        key = (len(diffs), -similarity)
        if best is None or key < (best[0], best[1]):
            best = (len(diffs), -similarity, candidate, diffs)
    if best is None:
        return None
    _, _, candidate, diffs = best
    hint = f"closest allowed origin is {safe_repr(candidate)}"
    return f"{hint} ({'; '.join(diffs)})" if diffs else hint


def _missing_scheme_hint(origin: str, candidates: list[str]) -> str | None:
    for candidate in candidates:
        if candidate.partition("://")[2] == origin.rstrip("/").lower():
            return f"closest allowed origin is {safe_repr(candidate)} (the scheme is missing)"
    return None


def _compare(req: OriginParts, candidate: str) -> tuple[list[str], float] | None:
    """What differs between a request origin and one configured origin, or ``None`` if unrelated."""
    conf = split_origin(candidate)
    if conf is None:
        return None
    host = req.host.lower().rstrip(".")
    diffs = _host_diffs(req, conf, host)
    if diffs is None:
        return None
    similarity = difflib.SequenceMatcher(None, host, conf.host).ratio()
    if req.scheme.lower() != conf.scheme:
        diffs.append("the scheme differs")
    elif req.scheme != conf.scheme:
        diffs.append("the scheme must be in lower case")
    if req.port and req.port == DEFAULT_PORTS.get(conf.scheme) and not conf.port:
        diffs.append(f"the default port {req.port} is written out, and browsers omit it")
    elif req.port != conf.port:
        diffs.append("the port differs")
    if req.rest == "/":
        diffs.append("remove the trailing slash")
    elif req.rest:
        diffs.append("an origin has no path, query or fragment")
    return diffs, similarity


def _host_diffs(req: OriginParts, conf: OriginParts, host: str) -> list[str] | None:
    diffs: list[str] = []
    if conf.host.startswith("*."):
        base = conf.host[2:]
        scheme_port = f"{conf.scheme}://{base}" + (f":{conf.port}" if conf.port else "")
        if host == base:
            diffs.append(
                "this is the bare domain: a '*.' pattern matches subdomains only; "
                f"list {safe_repr(scheme_port)} too"
            )
        elif not host.endswith("." + base) and not _is_typo(host, base):
            return None
    elif host != conf.host:
        if host.endswith("." + conf.host):
            wildcard = f"{conf.scheme}://*.{conf.host}" + (f":{conf.port}" if conf.port else "")
            diffs.append(f"this is a subdomain of it; allow {safe_repr(wildcard)} for subdomains")
        elif conf.host.endswith("." + host):
            diffs.append("the allowed origin is a subdomain of this one")
        elif _is_typo(host, conf.host):
            diffs.append("the host differs")
        else:
            return None
    if req.host != req.host.lower():
        diffs.append("browsers send the host in lower case")
    if req.host.endswith("."):
        diffs.append("remove the trailing dot of the host")
    return diffs


def _is_typo(host: str, other: str) -> bool:
    # The quick upper bounds rule out most unrelated hosts before the quadratic ratio() runs.
    matcher = difflib.SequenceMatcher(None, host, other)
    return (
        matcher.real_quick_ratio() >= TYPO_RATIO
        and matcher.quick_ratio() >= TYPO_RATIO
        and matcher.ratio() >= TYPO_RATIO
    )
