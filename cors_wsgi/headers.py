"""Rewriting an application's response headers: the middleware owns Access-Control-*, and merges Vary.

    >>> merge_headers([("Content-Type", "application/json"), ("Vary", "Accept-Encoding"),
    ...                ("Access-Control-Allow-Origin", "*")],
    ...               [("Access-Control-Allow-Origin", "http://localhost:3000"), ("Vary", "Origin")])
    [('Content-Type', 'application/json'), ('Access-Control-Allow-Origin', 'http://localhost:3000'), \
('Vary', 'Accept-Encoding, Origin')]

Headers stay a list of pairs: names repeat (two Set-Cookie) and compare case-insensitively, so they are
never turned into a dict.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# A preflight answer depends on these request headers, so a cache must key on them.
PREFLIGHT_VARY = ("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers")
PRIVATE_NETWORK_VARY = ("Access-Control-Request-Private-Network",)


def vary_header(tokens: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """The ``Vary`` header of these tokens, as a tail of header pairs: none for no tokens."""
    return (("Vary", ", ".join(tokens)),) if tokens else ()


# First letters of the names the middleware owns (Access-Control-*) or merges (Vary). A string, not a set:
# ``name[0] in "AaVv"`` is the cheapest test CPython has for the one-character case.
OWNED_INITIALS = "AaVv"
# Names most responses carry, spelled as frameworks send them, none Access-Control-* or Vary. One set
# lookup clears such a name (its hash is cached in the string the app passes), cheaper than looking at
# its first letter; any other name still gets that test, so the set only has to be right, not complete.
PLAIN_NAMES = frozenset(
    {
        "Accept-Ranges",
        "Allow",
        "Cache-Control",
        "Content-Disposition",
        "Content-Encoding",
        "Content-Language",
        "Content-Length",
        "Content-Security-Policy",
        "Content-Type",
        "Cross-Origin-Opener-Policy",
        "Cross-Origin-Resource-Policy",
        "Date",
        "ETag",
        "Expires",
        "Last-Modified",
        "Link",
        "Location",
        "Referrer-Policy",
        "Retry-After",
        "Server",
        "Set-Cookie",
        "Strict-Transport-Security",
        "WWW-Authenticate",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "content-length",
        "content-type",
        "set-cookie",
    }
)


def merge_vary(existing: str | None, tokens: str) -> str:
    """Add each of ``tokens`` (comma-separated) to a Vary value unless it, or ``*``, is already there."""
    if not existing:
        return tokens
    present = {part.strip().lower() for part in existing.split(",")}
    if "*" in present:
        return existing
    return ", ".join([existing, *(t for t in tokens.split(", ") if t.lower() not in present)])


def needs_merge(app_headers: Iterable[tuple[str, str]]) -> bool:
    """Whether any name may be Access-Control-* or Vary: most names are ruled out by the set of plain
    names, most of the rest by their first letter."""
    return any(name not in PLAIN_NAMES and (not name or name[0] in OWNED_INITIALS) for name, _ in app_headers)


def merge_headers(
    app_headers: Iterable[tuple[str, str]], tail: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The app's headers without any Access-Control-*, then ``tail``, its Vary merged with the app's.

    ``tail`` is what the middleware adds: Access-Control-* headers and at most one Vary, last.
    """
    if not isinstance(app_headers, list | tuple):
        app_headers = list(app_headers)  # read twice below: the first pass would use up an iterator
    if not needs_merge(app_headers):
        return [*app_headers, *tail]
    vary_token = tail[-1][1] if tail and tail[-1][0] == "Vary" else None
    out: list[tuple[str, str]] = []
    vary: str | None = None
    for item in app_headers:
        name = item[0].lower()
        if name.startswith("access-control-"):
            continue  # a browser must never see the app's value next to ours
        if name == "vary" and vary_token is not None:
            vary = item[1] if vary is None else f"{vary}, {item[1]}"
            continue
        out.append(item)
    if vary_token is None:
        out.extend(tail)
    else:
        out.extend(tail[:-1])
        out.append(("Vary", merge_vary(vary, vary_token)))
    return out
