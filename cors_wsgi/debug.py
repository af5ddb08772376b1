"""Helpers for debug mode: log-safe values and hints about near-miss origins.

    >>> safe_repr("http://evil.test\r\nX-Injected: 1")
    "'http://evil.test\\r\\nX-Injected: 1'"
    >>> origin_hint("https://localhost:3000", ["http://localhost:3000"])
    "closest allowed origin is 'http://localhost:3000' (the scheme differs)"

Request values are only ever written through ``safe_repr`` so CR/LF cannot forge log lines
(CVE-2024-1681 in flask-cors) and a 100 KB header cannot flood a log.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def safe_repr(value: object, limit: int = 120) -> str:
    """``repr(value)``, truncated to about ``limit`` characters."""
    text = repr(value)
    if len(text) > limit:
        return f"{text[:limit]}...[{len(text) - limit} more chars]"
    return text


def origin_hint(origin: str, configured: Iterable[str]) -> str | None:
    """Name the configured origin closest to ``origin`` and say what differs, if one is close."""
    candidates = [c for c in configured if c not in ("*", "null")]
    if not candidates or len(origin) > 512:
        return None
    best = max(candidates, key=lambda c: difflib.SequenceMatcher(None, origin, c).ratio())
    if difflib.SequenceMatcher(None, origin, best).ratio() < 0.6:
        return None
    what = _difference(origin, best)
    return f"closest allowed origin is {best!r}" + (f" ({what})" if what else "")


def _difference(origin: str, configured: str) -> str:
    scheme, _, rest = origin.partition("://")
    c_scheme, _, c_rest = configured.partition("://")
    if origin.rstrip("/") == configured:
        return "remove the trailing slash"
    if origin.lower() == configured:
        return "browsers send origins in lower case"
    if rest == c_rest and scheme != c_scheme:
        return "the scheme differs"
    host, _, port = rest.partition(":")
    c_host, _, c_port = c_rest.partition(":")
    if host == c_host and port != c_port:
        return "the port differs"
    return ""
