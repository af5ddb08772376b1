"""Origins: validating what a policy lists, and recognising what a browser sends.

    >>> normalize_config_origin("HTTPS://App.Example.com:443")
    'https://app.example.com'
    >>> matcher = OriginMatcher(["http://localhost:3000", "https://*.example.com"])
    >>> matcher.matches("https://a.b.example.com"), matcher.matches("https://example.com")
    (True, False)

A browser sends the *serialized* origin of the page: ``scheme://host[:port]``, lower case, no default port,
no path, or the literal ``null``. Only a value of exactly that shape is ever matched by a pattern, a regex or
a user function, so nothing else (CR/LF, commas, paths, non-ASCII, huge values) can be reflected.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from .debug import safe_repr
from .errors import ConfigError

logger = logging.getLogger("cors_wsgi")

OriginFunc = Callable[[str, Mapping[str, Any]], bool]

# scheme (10) + "://" + a 253-character host + ":65535", with room for long custom schemes.
MAX_ORIGIN_LENGTH = 320
DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}

_SCHEME_START = frozenset("abcdefghijklmnopqrstuvwxyz")
_SCHEME_CHARS = _SCHEME_START | frozenset("0123456789+-.")
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")
_DIGITS = frozenset("0123456789")
_IPV6_CHARS = frozenset("0123456789abcdef:.")


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
    scheme, sep, hostport = value.partition("://")
    if not sep or not scheme or scheme[0] not in _SCHEME_START or not _SCHEME_CHARS.issuperset(scheme):
        return None
    if hostport.startswith("["):
        end = hostport.find("]")
        host, rest = hostport[: end + 1], hostport[end + 1 :]
        if end < 0 or not _is_ipv6_literal(host):
            return None
        if not rest:
            return Origin(scheme, host, "")
        if rest[0] != ":":
            return None
        port = rest[1:]
    else:
        host, colon, port = hostport.partition(":")
        if not _is_hostname(host) or (colon and not port):
            return None
    if port and not _is_port(port, scheme):
        return None
    return Origin(scheme, host, port)


def _is_hostname(host: str) -> bool:
    if not host or len(host) > 253 or not _HOST_CHARS.issuperset(host):
        return False
    # LDH labels (RFC 5890): 1-63 characters, no hyphen at either end. Written as substring tests (each
    # one pass in C) because this runs on every request a wildcard, regex or function has to judge.
    dotted = f".{host}."
    if ".." in dotted or ".-" in dotted or "-." in dotted:
        return False
    return len(host) <= 63 or max(map(len, host.split("."))) <= 63


def _is_ipv6_literal(host: str) -> bool:
    inner = host[1:-1]
    if not inner or not _IPV6_CHARS.issuperset(inner):
        return False
    try:
        # A browser serializes IPv6 hosts in their compressed canonical form.
        return ipaddress.IPv6Address(inner).compressed == inner
    except ValueError:
        return False


def _is_port(port: str, scheme: str) -> bool:
    # Browsers never serialize a default port or a leading zero.
    return (
        len(port) <= 5
        and _DIGITS.issuperset(port)
        and port[0] != "0"
        and int(port) <= 65535
        and DEFAULT_PORTS.get(scheme) != port
    )


def normalize_config_origin(value: object, field: str = "allow_origins") -> str:
    """Validate one configured exact origin and return it in the form browsers send it."""
    if not isinstance(value, str):
        raise ConfigError(field, f"{value!r} is not a string")
    if value == "null":
        return value
    text = value.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        guess = "http" if text.startswith(("localhost", "127.", "[::1]")) else "https"
        raise ConfigError(
            field, f"{value!r} has no scheme; did you mean {guess + '://' + text.rstrip('/')!r}?"
        )
    if not text.isascii():
        # Checked before lower-casing: str.lower() folds some non-ASCII letters (U+212A) into ASCII ones.
        _reject_non_ascii(value, scheme, rest, field)
    scheme = scheme.lower()
    if not scheme or scheme[0] not in _SCHEME_START or not _SCHEME_CHARS.issuperset(scheme):
        raise ConfigError(field, f"{value!r} has an invalid scheme {scheme!r}")
    for mark, what in (("/", "a path"), ("?", "a query"), ("#", "a fragment")):
        if mark in rest:
            head = rest.split("/")[0].split("?")[0].split("#")[0]
            raise ConfigError(
                field,
                f"{value!r} has {what} (an Origin never has one); did you mean {scheme + '://' + head!r}?",
            )
    if "@" in rest:
        raise ConfigError(field, f"{value!r} has user information (an Origin never has any)")
    host, port = _split_config_host(rest, value, field)
    if port:
        if not _DIGITS.issuperset(port) or len(port) > 5 or not 0 < int(port) <= 65535:
            raise ConfigError(field, f"{value!r} has an invalid port {port!r} (1-65535)")
        port = str(int(port))
        if DEFAULT_PORTS.get(scheme) == port:
            port = ""  # browsers omit the default port
    origin = f"{scheme}://{host}" + (f":{port}" if port else "")
    if text != value:
        raise ConfigError(field, f"{value!r} has surrounding white space; did you mean {origin!r}?")
    return origin


def _reject_non_ascii(value: str, scheme: str, rest: str, field: str) -> None:
    host = rest.split("/")[0].split(":")[0]
    if scheme.isascii() and not host.isascii():
        try:
            suggestion = f"; did you mean {host.encode('idna').decode('ascii').lower()!r} for the host?"
        except UnicodeError:
            suggestion = ""
        raise ConfigError(field, f"{value!r} has a non-ASCII host (browsers send the xn-- form){suggestion}")
    raise ConfigError(field, f"{value!r} has non-ASCII characters (an Origin is ASCII)")


def _split_config_host(rest: str, value: str, field: str) -> tuple[str, str]:
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            raise ConfigError(field, f"{value!r} has an unterminated IPv6 address")
        try:
            host = "[" + ipaddress.IPv6Address(rest[1:end]).compressed + "]"
        except ValueError:
            raise ConfigError(field, f"{value!r} has an invalid IPv6 address") from None
        after = rest[end + 1 :]
        if after and not after.startswith(":"):
            raise ConfigError(field, f"{value!r} has text after the IPv6 address")
        return host, after[1:]
    host, _, port = rest.partition(":")
    host = host.lower()
    if not _is_hostname(host):
        raise ConfigError(field, f"{value!r} has an invalid host {host!r}")
    return host, port


class WildcardPattern(NamedTuple):
    """``scheme://*.base[:port]``: every subdomain of ``base``, at any depth, never ``base`` itself."""

    scheme: str
    base: str
    port: str


def parse_wildcard(value: str, field: str = "allow_origins") -> WildcardPattern:
    scheme, sep, rest = value.partition("://")
    if not sep or not rest.startswith("*.") or "*" in rest[1:] or "*" in scheme:
        raise ConfigError(
            field,
            f"{value!r} is not a valid wildcard pattern: the only form is 'scheme://*.domain[:port]' "
            "(use allow_origin_regex for anything else)",
        )
    normalized = normalize_config_origin(f"{scheme}://{rest[2:]}", field)
    scheme, _, hostport = normalized.partition("://")
    base, _, port = hostport.partition(":")
    if base.startswith("[") or base.replace(".", "").isdigit():
        raise ConfigError(field, f"{value!r}: an IP address has no subdomains")
    if public_suffix_list().is_public(base):
        raise ConfigError(
            field,
            f"{value!r} covers the whole public suffix {base!r}: anyone can register a domain under it",
        )
    return WildcardPattern(scheme, base, port)


@lru_cache(maxsize=1)
def public_suffix_list() -> Any:
    from publicsuffixlist import PublicSuffixList  # loaded only when a wildcard is configured

    return PublicSuffixList()


class OriginMatcher:
    """Decides whether a request's Origin is allowed, from exact origins, wildcards, a regex and a function.

    Exact origins are a set lookup whatever their number; wildcards are one set lookup per label of the
    request's host, so neither depends on how many origins are configured.
    """

    __slots__ = ("exact", "func", "regex", "wildcards")

    def __init__(
        self,
        origins: Iterable[str],
        regex: re.Pattern[str] | None = None,
        func: OriginFunc | None = None,
    ) -> None:
        exact: set[str] = set()
        wildcards: set[tuple[str, str, str]] = set()
        for origin in origins:
            if "*" in origin:
                scheme, base, port = parse_wildcard(origin)
                wildcards.add((scheme, base, port))
            else:
                exact.add(origin)
        self.exact = frozenset(exact)
        self.wildcards = frozenset(wildcards)
        self.regex = regex
        self.func = func

    def matches(self, origin: str, environ: Mapping[str, Any] | None = None) -> bool:
        if origin in self.exact:
            return True
        if len(origin) > MAX_ORIGIN_LENGTH:
            return False
        if self.wildcards and self._matches_wildcard(origin):
            return True
        if (self.regex is None and self.func is None) or parse_serialized_origin(origin) is None:
            return False
        if self.regex is not None and self.regex.fullmatch(origin):
            return True
        if self.func is None:
            return False
        try:
            return bool(self.func(origin, environ if environ is not None else {}))
        except Exception:
            # A bug in the user's function must not turn a hostile request into a 500: refuse instead.
            logger.exception("allow_origin_func raised for origin %s; refusing it", safe_repr(origin))
            return False

    def _matches_wildcard(self, origin: str) -> bool:
        # A cheap split finds a candidate pattern (one set lookup per label of the host); only a candidate
        # pays for the full syntax check, so a refused origin costs a few lookups.
        scheme, _, hostport = origin.partition("://")
        host, _, port = hostport.partition(":")
        dot = host.find(".")
        while dot >= 0:
            if (scheme, host[dot + 1 :], port) in self.wildcards:
                return parse_serialized_origin(origin) is not None
            dot = host.find(".", dot + 1)
        return False
