"""Rewriting an application's response headers: the middleware owns Access-Control-*, and merges Vary.

    >>> merge_headers([("Content-Type", "application/json"), ("Vary", "Accept-Encoding"),
    ...                ("Access-Control-Allow-Origin", "*")],
    ...               (("Access-Control-Allow-Origin", "http://localhost:3000"),), "Origin")
    [('Content-Type', 'application/json'), ('Access-Control-Allow-Origin', 'http://localhost:3000'), \
('Vary', 'Accept-Encoding, Origin')]

Headers stay a list of pairs: names repeat (two Set-Cookie) and compare case-insensitively, so they are
never turned into a dict.
"""

from __future__ import annotations

from collections.abc import Iterable


def merge_vary(existing: str | None, token: str) -> str:
    """Add ``token`` to a Vary value unless it (or ``*``) is already there; never duplicate."""
    if not existing:
        return token
    present = {part.strip().lower() for part in existing.split(",")}
    if token.lower() in present or "*" in present:
        return existing
    return f"{existing}, {token}"


def merge_headers(
    app_headers: Iterable[tuple[str, str]],
    cors_headers: tuple[tuple[str, str], ...],
    vary_token: str | None,
) -> list[tuple[str, str]]:
    """The app's headers without any Access-Control-*, plus ``cors_headers``, with ``vary_token`` in Vary."""
    out: list[tuple[str, str]] = []
    vary: str | None = None
    for item in app_headers:
        # Most names (Content-Type, Content-Length, ...) are ruled out by their first letter, without a
        # lower-case copy; "" is "in" any string, so an empty name takes the full check.
        if item[0][:1] in "AaVv":
            name = item[0].lower()
            if name.startswith("access-control-"):
                continue  # a browser must never see the app's value next to ours
            if name == "vary" and vary_token is not None:
                vary = item[1] if vary is None else f"{vary}, {item[1]}"
                continue
        out.append(item)
    out.extend(cors_headers)
    if vary_token is not None:
        out.append(("Vary", vary_token if vary is None else merge_vary(vary, vary_token)))
    return out
