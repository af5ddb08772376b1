"""Cross-origin write protection as a pure function: request values in, a refusal code or None out.

    >>> exempt = ExemptPaths(["/webhooks/*"])
    >>> refusal("POST", "cross-site", "https://evil.test", "api.example.com", False, "/api/items", exempt)
    'csrf-sec-fetch-site'
    >>> refusal("POST", "cross-site", "https://evil.test", "api.example.com", False, "/webhooks/x", exempt)
    >>> refusal("POST", None, "https://api.example.com", "api.example.com", False, "/api/items", exempt)
    >>> refusal("POST", None, "null", "api.example.com", False, "/api/items", exempt)
    'csrf-origin-not-host'

The rules of Go 1.25's ``net/http.CrossOriginProtection``, in the same order:

1. GET, HEAD and OPTIONS always pass: they must not change anything (and a preflight is CORS's business).
2. ``Sec-Fetch-Site: same-origin`` or ``none`` (typed in the address bar, a bookmark) passes; any other
   value (``cross-site``, ``same-site``) is a cross-origin request.
3. Without ``Sec-Fetch-Site`` (a browser from before 2023, or not a browser): no ``Origin`` passes
   (same-origin, or not a browser); an ``Origin`` whose ``host[:port]`` equals the request's Host passes;
   anything else, ``null`` included, is a cross-origin request. The comparison is Go's: the two strings
   exactly, no case folding and no default port dropped. Browsers send ``scheme://host[:port]`` and nothing
   else; a value with a path or user information (which Go's URL parser would cut off) never equals a
   Host, and is refused.
4. A cross-origin request still passes when its origin is ``trusted`` (the CORS rule covering the path
   allows it: the caller decides that with the same test as the CORS decision) or its path is exempt.

The Host comparison cannot tell ``http://`` from ``https://``; like Go, this fails open for old browsers,
which HSTS covers. Paths are exempt by the rules' globs (``rules.PathGlob``); a path with a ``.`` or ``..``
segment never is, because a proxy that resolves it serves another path than the one matched here.
"""

from __future__ import annotations

from collections.abc import Iterable

from .refusals import CSRF_ORIGIN, CSRF_SEC_FETCH_SITE
from .rules import PathGlob, _has_dot_segment

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ExemptPaths:
    """The paths that ``csrf_exempt`` lets through whatever their origin, as validated globs."""

    __slots__ = ("globs",)

    def __init__(self, patterns: Iterable[str], field: str = "csrf_exempt") -> None:
        self.globs = tuple(PathGlob(pattern, field) for pattern in patterns)

    def covers(self, path: str) -> bool:
        if not self.globs or ("/." in path and _has_dot_segment(path)):
            return False
        return any(glob.matches(path) for glob in self.globs)

    def __repr__(self) -> str:
        return f"ExemptPaths({[glob.pattern for glob in self.globs]!r})"


def refusal(
    method: str,
    fetch_site: str | None,
    origin: str | None,
    host: str,
    trusted: bool,
    path: str,
    exempt: ExemptPaths,
) -> str | None:
    """Why this request is refused as a cross-origin write (a code of ``cors_wsgi.refusals``), or None.

    ``fetch_site`` and ``origin``: the request's Sec-Fetch-Site and Origin (None when absent); ``host``: its
    Host; ``trusted``: whether the CORS rule covering ``path`` allows ``origin`` (False without one).
    """
    if method in SAFE_METHODS:
        return None
    if fetch_site:
        if fetch_site == "same-origin" or fetch_site == "none":
            return None
        code = CSRF_SEC_FETCH_SITE
    else:
        if not origin:
            return None  # same-origin, or not a browser
        if origin_host(origin) == host:
            return None
        code = CSRF_ORIGIN
    if trusted or exempt.covers(path):
        return None
    return code


def origin_host(origin: str) -> str | None:
    """What follows ``scheme://`` in an Origin, as written (a browser's is ``host[:port]``); None without a
    scheme."""
    scheme, sep, host = origin.partition("://")
    return host if sep and scheme else None


__all__ = ["SAFE_METHODS", "ExemptPaths", "origin_host", "refusal"]
