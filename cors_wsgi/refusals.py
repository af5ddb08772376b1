"""Why a CORS request was refused, as stable codes: what the pure core returns, and nothing more.

    >>> refusal = Refusal(METHOD, "DELETE", ("GET", "PUT"))
    >>> refusal.code
    'method-not-allowed'

The codes are part of the public API (decision events, metrics labels, ``check``); the English that people
read is written by ``cors_wsgi.explain`` and is not.
"""

from __future__ import annotations

from typing import NamedTuple

ORIGIN = "origin-not-allowed"
METHOD = "method-not-allowed"
METHOD_SYNTAX = "method-invalid"
HEADERS = "headers-not-allowed"
HEADERS_SYNTAX = "headers-invalid"
PRIVATE_NETWORK = "private-network-not-allowed"
DOT_SEGMENT = "path-dot-segment"

CODES = (ORIGIN, METHOD, METHOD_SYNTAX, HEADERS, HEADERS_SYNTAX, PRIVATE_NETWORK, DOT_SEGMENT)

# A cross-origin write refused by ``csrf_protection`` (``cors_wsgi.csrf``), not a CORS decision: the
# browser said so in Sec-Fetch-Site, or (without that header) the Origin does not match the Host. The
# Refusal's ``value`` is the Origin, ``detail`` the Sec-Fetch-Site value or the Host, then the path rule.
CSRF_SEC_FETCH_SITE = "csrf-sec-fetch-site"
CSRF_ORIGIN = "csrf-origin-not-host"

CSRF_CODES = (CSRF_SEC_FETCH_SITE, CSRF_ORIGIN)


class Refusal(NamedTuple):
    """One reason: its ``code``, the request ``value`` at fault, and what the policy had instead.

    ``detail`` holds the allowed methods (``method-not-allowed``) or the refused header names
    (``headers-not-allowed``: every one in debug mode, else the first, where the decision stopped).
    """

    code: str
    value: str | None = None
    detail: tuple[str, ...] = ()


__all__ = [
    "CODES",
    "CSRF_CODES",
    "CSRF_ORIGIN",
    "CSRF_SEC_FETCH_SITE",
    "DOT_SEGMENT",
    "HEADERS",
    "HEADERS_SYNTAX",
    "METHOD",
    "METHOD_SYNTAX",
    "ORIGIN",
    "PRIVATE_NETWORK",
    "Refusal",
]
