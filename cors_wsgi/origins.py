"""Origins: validating what a policy lists, and recognising what a browser sends.

    >>> normalize_config_origin("HTTPS://App.Example.com:443")
    'https://app.example.com'
    >>> matcher = OriginMatcher(["http://localhost:3000", "https://*.example.com"])
    >>> matcher.allows("https://a.b.example.com"), matcher.allows("https://example.com")
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
from typing import Any, NamedTuple, cast

from .errors import ConfigError
from .frozen import Frozen
from .grammar import (
    DEFAULT_PORTS,
    MAX_ORIGIN_LENGTH,
    is_hostname,
    is_port_number,
    is_scheme,
    is_serialized_port,
    parse_serialized_origin,
)
from .logsafe import safe_repr

logger = logging.getLogger("cors_wsgi")

# The WSGI environ is a dict (PEP 3333): typed so, a function declared with ``dict[str, Any]``, typeshed's
# ``WSGIEnvironment`` or ``Mapping[str, Any]`` all fit.
OriginFunc = Callable[[str, dict[str, Any]], bool]


def normalize_config_origin(value: object, field: str = "allow_origins") -> str:
    """Validate one configured exact origin and return it in the form browsers send it."""
    if not isinstance(value, str):
        raise ConfigError(field, f"{value!r} is not a string", value=value)
    if value == "null":
        return value

    def error(message: str, suggestion: str | None = None) -> ConfigError:
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        return ConfigError(field, f"{value!r} {message}", value=value, hint=hint)

    text = value.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        guess = "http" if text.startswith(("localhost", "127.", "[::1]")) else "https"
        raise error("has no scheme", guess + "://" + text.rstrip("/"))
    if not text.isascii():
        # Checked before lower-casing: str.lower() folds some non-ASCII letters (U+212A) into ASCII ones.
        raise _non_ascii(value, scheme, rest, field)
    scheme = scheme.lower()
    if not is_scheme(scheme):
        raise error(f"has an invalid scheme {scheme!r}")
    for mark, what in (("/", "a path"), ("?", "a query"), ("#", "a fragment")):
        if mark in rest:
            head = rest.split("/")[0].split("?")[0].split("#")[0]
            raise error(f"has {what} (an Origin never has one)", scheme + "://" + head)
    if "@" in rest:
        raise error("has user information (an Origin never has any)")
    host, port = _split_config_host(rest, value, field)
    if port:
        if not is_port_number(port):
            raise error(f"has an invalid port {port!r} (1-65535)")
        port = str(int(port))
        if DEFAULT_PORTS.get(scheme) == port:
            port = ""  # browsers omit the default port
    origin = f"{scheme}://{host}" + (f":{port}" if port else "")
    if text != value:
        raise error("has surrounding white space", origin)
    return origin


def _non_ascii(value: str, scheme: str, rest: str, field: str) -> ConfigError:
    host = rest.split("/")[0].split(":")[0]
    if scheme.isascii() and not host.isascii():
        try:
            suggestion = f"; did you mean {host.encode('idna').decode('ascii').lower()!r} for the host?"
        except UnicodeError:
            suggestion = ""
        return ConfigError(
            field,
            f"{value!r} has a non-ASCII host (browsers send the xn-- form)",
            value=value,
            hint=suggestion,
        )
    return ConfigError(field, f"{value!r} has non-ASCII characters (an Origin is ASCII)", value=value)


def _split_config_host(rest: str, value: str, field: str) -> tuple[str, str]:
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            raise ConfigError(field, f"{value!r} has an unterminated IPv6 address", value=value)
        try:
            host = "[" + ipaddress.IPv6Address(rest[1:end]).compressed + "]"
        except ValueError:
            raise ConfigError(field, f"{value!r} has an invalid IPv6 address", value=value) from None
        after = rest[end + 1 :]
        if after and not after.startswith(":"):
            raise ConfigError(field, f"{value!r} has text after the IPv6 address", value=value)
        return host, after[1:]
    host, _, port = rest.partition(":")
    host = host.lower()
    if not is_hostname(host):
        raise ConfigError(field, f"{value!r} has an invalid host {host!r}", value=value)
    return host, port


class WildcardPattern(NamedTuple):
    """A configured origin with a ``*``: ``scheme://*.base[:port]`` (every subdomain of ``base``, at any
    depth, never ``base`` itself), ``scheme://host:*`` (that host on any port) or ``scheme://*.base:*``."""

    scheme: str
    base: str
    port: str  # "" for the default port, "*" for any port
    subdomains: bool = True

    def __str__(self) -> str:
        """The pattern as the policy keeps it: lower case, no default port (``HTTP://*.Example.com:80`` ->
        ``http://*.example.com``), so every later check reads one spelling."""
        host = f"*.{self.base}" if self.subdomains else self.base
        return f"{self.scheme}://{host}" + (f":{self.port}" if self.port else "")


PORT_WILDCARD = ":*"


def parse_wildcard(value: str, field: str = "allow_origins") -> WildcardPattern:
    scheme, sep, rest = value.partition("://")
    any_port = rest.endswith(PORT_WILDCARD)
    if any_port:
        rest = rest[: -len(PORT_WILDCARD)]
    subdomains = rest.startswith("*.")
    host = rest[2:] if subdomains else rest
    if not sep or "*" in scheme or "*" in host or not (subdomains or any_port):
        raise ConfigError(
            field,
            f"{value!r} is not a valid wildcard pattern: the forms are 'scheme://*.domain[:port]' "
            "(subdomains), 'scheme://host:*' (any port) and 'scheme://*.domain:*'; only a whole label or "
            "a whole port may be '*' (use allow_origin_regex for anything else)",
            value=value,
        )
    stripped = f"{scheme}://{host}"
    try:
        normalized = normalize_config_origin(stripped)
    except ConfigError as exc:
        # Said of the pattern as written; a suggestion without its wildcard would allow something else.
        message = exc.message.replace(repr(stripped), repr(value))
        hint = _wildcard_hint(exc.hint, subdomains, any_port)
        raise ConfigError(field, message, value=value, hint=hint) from None
    scheme, _, hostport = normalized.partition("://")
    base, port = (hostport, "") if hostport.startswith("[") else hostport.partition(":")[::2]
    if any_port:
        if port:
            raise ConfigError(field, f"{value!r} has a port and ':*': write one or the other", value=value)
        port = "*"
    if not subdomains:
        return WildcardPattern(scheme, base, port, subdomains=False)
    if base.startswith("[") or base.replace(".", "").isdigit():
        raise ConfigError(field, f"{value!r}: an IP address has no subdomains", value=value)
    if public_suffix_list().is_public(base):
        raise ConfigError(
            field,
            f"{value!r} covers the whole public suffix {base!r}: anyone can register a domain under it",
            value=value,
        )
    return WildcardPattern(scheme, base, port)


_SUGGESTED_ORIGIN = re.compile(r"; did you mean '([^':]+)://([^']*)'\?")


def _wildcard_hint(hint: str, subdomains: bool, any_port: bool) -> str:
    """A "did you mean" of ``normalize_config_origin`` (an origin), with the pattern's wildcards put back."""
    suggested = _SUGGESTED_ORIGIN.fullmatch(hint)
    if suggested is None:
        return hint  # none, or one that names the host alone
    scheme, hostport = suggested.groups()
    pattern = f"{scheme}://" + ("*." if subdomains else "") + hostport + (PORT_WILDCARD if any_port else "")
    return f"; did you mean {pattern!r}?"


@lru_cache(maxsize=1)
def public_suffix_list() -> Any:
    from publicsuffixlist import PublicSuffixList  # loaded only when a wildcard is configured

    return PublicSuffixList()


class OriginMatcher(Frozen):
    """Decides whether a request's Origin is allowed, from exact origins, wildcards, a regex and a function.

    Exact origins are a set lookup whatever their number; wildcards are one set lookup per label of the
    request's host, so neither depends on how many origins are configured. Build it from values that
    ``CORSPolicy`` has validated.
    """

    __slots__ = ("any_port", "exact", "exact_only", "func", "regex", "wildcards")

    exact: frozenset[str]
    exact_only: bool  # only exact origins: refusing one is a single set lookup
    wildcards: frozenset[tuple[str, str, str]]
    any_port: frozenset[tuple[str, str]]
    regex: re.Pattern[str] | None
    func: OriginFunc | None

    def __init__(
        self,
        origins: Iterable[str],
        regex: re.Pattern[str] | None = None,
        func: OriginFunc | None = None,
    ) -> None:
        exact: set[str] = set()
        wildcards: set[tuple[str, str, str]] = set()
        any_port: set[tuple[str, str]] = set()
        for origin in origins:
            if "*" in origin:
                pattern = parse_wildcard(origin)
                if pattern.subdomains:
                    wildcards.add((pattern.scheme, pattern.base, pattern.port))
                else:
                    any_port.add((pattern.scheme, pattern.base))
            else:
                exact.add(origin)
        set_ = object.__setattr__  # Frozen: this is the only place values are set
        set_(self, "exact", frozenset(exact))
        set_(self, "wildcards", frozenset(wildcards))
        set_(self, "any_port", frozenset(any_port))
        set_(self, "regex", regex)
        set_(self, "func", func)
        set_(self, "exact_only", not (wildcards or any_port or regex or func))

    def allows(self, origin: str, environ: Mapping[str, Any] | None = None) -> bool:
        if origin in self.exact:
            return True
        if self.exact_only or len(origin) > MAX_ORIGIN_LENGTH:
            return False
        if self.wildcards and self._in_wildcard(origin):
            return True
        if self.regex is None and self.func is None and not self.any_port:
            return False
        parsed = parse_serialized_origin(origin)
        if parsed is None:
            return False
        if (parsed.scheme, parsed.host) in self.any_port:
            return True
        if self.regex is not None and self.regex.fullmatch(origin):
            return True
        if self.func is None:
            return False
        try:
            return bool(self.func(origin, cast("dict[str, Any]", environ) if environ is not None else {}))
        except Exception:
            # A bug in the user's function must not turn a hostile request into a 500: refuse instead.
            logger.exception("allow_origin_func raised for origin %s; refusing it", safe_repr(origin))
            return False

    def _in_wildcard(self, origin: str) -> bool:
        # A cheap split finds a candidate pattern (one set lookup per label of the host); only a candidate
        # pays for the full syntax check, so a refused origin costs a few lookups.
        scheme, _, hostport = origin.partition("://")
        host, colon, port = hostport.partition(":")
        dot = host.find(".")
        while dot >= 0:
            base = host[dot + 1 :]
            if (scheme, base, port) in self.wildcards:
                # Scheme and port equal a validated pattern's; the host (and a bare ':') is left to check.
                return is_hostname(host) and (bool(port) or not colon)
            if (scheme, base, "*") in self.wildcards:
                return is_hostname(host) and (not colon or is_serialized_port(port, scheme))
            dot = host.find(".", dot + 1)
        return False
