"""The syntax CORS is made of, and the limits on it: origins, tokens, methods, Max-Age caps.

    >>> parse_serialized_origin("https://app.example.com:8443")
    Origin(scheme='https', host='app.example.com', port='8443')
    >>> parse_serialized_origin("https://app.example.com/") is None
    True
    >>> split_origin("HTTPS://App.example.com:443/x")
    OriginParts(scheme='HTTPS', host='App.example.com', port='443', rest='/x')
    >>> is_token("x-token"), is_token("x token")
    (True, False)

Every other module asks this one: ``parse_serialized_origin`` is the strict grammar of what a browser sends
(only a value of exactly that shape is ever matched by a pattern, a regex or a function), ``split_origin``
the lenient split used to explain near misses, ``is_token`` RFC 9110's token rule. The checker package
keeps its own model of the browser's side on purpose (see ``cors_wsgi.checker.fetch``).
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple

# RFC 9110 "token": what a method or a header field name may be made of.
TCHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
# Fetch upper-cases these six, and only these, when a page passes them in another case.
NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}

# --- limits: request values beyond these are refused before any per-part work ------------------------
# scheme (10) + "://" + a 253-character host + ":65535", with room for long custom schemes.
MAX_ORIGIN_LENGTH = 320
# Browsers send a short, sorted list; anything longer is a flood (rs/cors GHSA-mh55-gqvf-xfwm spent
# 100+ ms on one Access-Control-Request-Headers full of commas).
MAX_REQUEST_HEADERS_LENGTH = 4096
MAX_REQUEST_HEADER_NAMES = 100  # every element counts, repeats and empty ones included
MAX_METHOD_LENGTH = 64

# How long each engine keeps a preflight answer at most, whatever Access-Control-Max-Age says.
MAX_AGE_CAPS = {"chromium": 7200, "firefox": 86400, "webkit": 600}

_SCHEME_START = frozenset("abcdefghijklmnopqrstuvwxyz")
_SCHEME_CHARS = _SCHEME_START | frozenset("0123456789+-.")
HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")
DIGITS = frozenset("0123456789")
_IPV6_CHARS = frozenset("0123456789abcdef:.")


def is_token(value: str) -> bool:
    return bool(value) and TCHARS.issuperset(value)


def is_scheme(value: str) -> bool:
    return bool(value) and value[0] in _SCHEME_START and _SCHEME_CHARS.issuperset(value)


class Origin(NamedTuple):
    scheme: str
    host: str
    port: str  # "" for the scheme's default port


def parse_serialized_origin(value: str) -> Origin | None:
    """Split a request's Origin into its parts, or ``None`` when it is not a serialized origin.

    Linear in ``len(value)`` and bounded: anything longer than ``MAX_ORIGIN_LENGTH`` is refused first.
    ``null`` is not parsed here (it is only ever matched literally).
    """
    if len(value) > MAX_ORIGIN_LENGTH:
        return None
    scheme, sep, hostport = value.partition("://")  # pragma: no mutate - rpartition: a 2nd '://' fails too
    if not sep or not is_scheme(scheme):
        return None
    if hostport.startswith("["):
        end = hostport.find("]")  # pragma: no mutate - rfind: a second ']' fails the IPv6 check too
        # Without a ']' the host is empty, which is no IPv6 literal.
        host, rest = hostport[: end + 1], hostport[end + 1 :]
        if not is_ipv6_literal(host):
            return None
        if not rest:
            return Origin(scheme, host, "")
        if rest[0] != ":" or rest == ":":
            return None
        port = rest[1:]
    else:
        host, colon, port = hostport.partition(":")
        if not is_hostname(host) or (colon and not port):
            return None
    if port and not is_serialized_port(port, scheme):
        return None
    return Origin(scheme, host, port)


def is_hostname(host: str) -> bool:
    """Lower-case LDH labels (RFC 5890): 1-63 characters each, no hyphen at either end, 253 at most."""
    if not host or len(host) > 253 or not HOST_CHARS.issuperset(host):
        return False
    # Substring tests (each one pass in C): this runs on every request a pattern or regex has to judge.
    dotted = f".{host}."
    if ".." in dotted or ".-" in dotted or "-." in dotted:
        return False
    return len(host) <= 63 or max(map(len, host.split("."))) <= 63  # pragma: no mutate - only a shortcut


def is_ipv6_literal(host: str) -> bool:
    """``[...]`` around an IPv6 address in the compressed form browsers serialize."""
    inner = host[1:-1]
    if not inner or not _IPV6_CHARS.issuperset(inner):
        return False
    try:
        return ipaddress.IPv6Address(inner).compressed == inner
    except ValueError:
        return False


def is_serialized_port(port: str, scheme: str) -> bool:
    # Browsers never serialize a default port or a leading zero.
    # No length bound: a sixth digit makes the port zero-led or > 65535, and int() of an origin's length
    # of digits is cheap.
    return (
        port != ""
        and DIGITS.issuperset(port)
        and port[0] != "0"
        and int(port) <= 65535
        and DEFAULT_PORTS.get(scheme) != port
    )


def is_port_number(port: str) -> bool:
    """A port as a person may write it in a configuration: 1-65535, leading zeros tolerated."""
    return 0 < len(port) <= 5 and DIGITS.issuperset(port) and 0 < int(port) <= 65535


class OriginParts(NamedTuple):
    """An origin-like value split leniently, as typed (case kept): for messages about near misses."""

    scheme: str
    host: str
    port: str
    rest: str  # path, query or fragment: an origin has none


def split_origin(value: str) -> OriginParts | None:
    """``scheme://host[:port][rest]`` split without judging it, or ``None`` when there is no ``://``."""
    scheme, sep, after = value.partition("://")
    if not sep:
        return None
    cut = min((i for i in (after.find(c) for c in "/?#") if i >= 0), default=len(after))
    hostport, rest = after[:cut], after[cut:]
    if hostport.startswith("["):
        end = hostport.find("]")
        host, port = (hostport[: end + 1], hostport[end + 2 :]) if end != -1 else (hostport, "")
    else:
        host, _, port = hostport.partition(":")
    return OriginParts(scheme, host, port, rest)


def pattern_host(origin: str) -> str:
    """The host a configured origin or pattern names, ``*.`` left off (``""`` for ``*`` or ``null``)."""
    parts = split_origin(origin)
    return parts.host.removeprefix("*.") if parts else ""


def is_preflight(method: str | None, origin: str | None, request_method: str | None) -> bool:
    """Fetch's definition: OPTIONS with both Origin and Access-Control-Request-Method. Anything else with
    OPTIONS is an ordinary request for the application."""
    return method == "OPTIONS" and origin is not None and request_method is not None


def is_insecure_origin(origin: str) -> bool:
    """A configured plain ``http://`` origin or pattern whose host is not loopback: anyone who can tamper
    with that page's traffic acts as it, so with credentials it needs ``tolerate_insecure_origins``."""
    return origin.lower().startswith("http://") and not is_loopback_host(pattern_host(origin))


def is_loopback_host(host: str) -> bool:
    """``localhost``, ``*.localhost``, 127.0.0.0/8 or ``[::1]``: potentially trustworthy (Secure Contexts)."""
    host = host.lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False
