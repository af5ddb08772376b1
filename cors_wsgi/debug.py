r"""Helpers for debug mode: log-safe values and hints about near-miss origins.

    >>> safe_repr("http://evil.test\r\nX-Injected: 1")
    "'http://evil.test\\r\\nX-Injected: 1'"
    >>> safe_repr("x" * 1000, limit=30)
    "'xxxxxxxxxxxxxx...[1000 chars]"
    >>> origin_hint("https://localhost:3000", ["http://localhost:3000"])
    "closest allowed origin is 'http://localhost:3000' (the scheme differs)"
    >>> origin_hint("http://localhost:3000/", ["https://app.example.com", "http://localhost:3000"])
    "closest allowed origin is 'http://localhost:3000' (remove the trailing slash)"
    >>> origin_hint("https://evil.test", ["https://app.example.com"]) is None
    True

Request values are only ever written through ``safe_repr``, so CR/LF cannot forge log lines (CVE-2024-1681
in flask-cors), nor can NEL, U+2028, NUL or terminal escapes, and a 100 KB header cannot flood a log.
``origin_hint`` explains the usual near misses (scheme, port, trailing slash, case, subdomain depth) and
never repeats the request's value: only the configured origin is quoted.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from .grammar import DEFAULT_PORTS, OriginParts, split_origin

# A hint is only worth computing for something shaped like an origin; this also bounds difflib's cost.
MAX_HINT_INPUT = 512
# Below this similarity two hosts are unrelated, not a typo of each other.
TYPO_RATIO = 0.8


def safe_repr(value: object, limit: int = 120) -> str:
    """``repr(value)`` with every non-printable character escaped, at most ``limit`` characters long.

    Strings and bytes are cut *before* ``repr`` so a huge header costs no more than ``limit``; a custom
    ``__repr__`` that returns raw CR/LF, or raises, cannot break a log line either.
    """
    limit = max(limit, 0)
    total: int | None = None
    if isinstance(value, str | bytes | bytearray) and len(value) > limit:
        total = len(value)
        value = value[:limit]
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not turn a log call into a 500
        text = f"<{type(value).__name__} object: repr() raised {type(exc).__name__}>"
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else _escape(ch) for ch in text)
    if total is None and len(text) <= limit:
        return text
    return _truncate(text, limit, total if total is not None else len(text))


def _escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _truncate(text: str, limit: int, total: int) -> str:
    marker = f"...[{total} chars]"
    if limit < len(marker) + 8:  # too short to say how long it was: just mark the cut
        marker = "..."
    if limit <= len(marker):
        return text[:limit]
    return text[: limit - len(marker)] + marker


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
