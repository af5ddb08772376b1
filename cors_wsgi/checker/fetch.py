"""What a browser does to a request before CORS even starts, per the Fetch standard.

    >>> normalize_method("patch"), normalize_method("put")
    ('patch', 'PUT')
    >>> unsafe_header_names([("Content-Type", "application/json"), ("Accept", "*/*")])
    ['content-type']
    >>> parse_header_list(["GET, PUT", "DELETE"])
    ['GET', 'PUT', 'DELETE']

Pure functions of plain strings; every rule names the Fetch section it follows, so a reader can hold
the code against https://fetch.spec.whatwg.org/.

The checker models the browser's side and keeps its own token, method and origin rules on purpose, rather
than importing the middleware's (``cors_wsgi.grammar``): it must be able to judge any server, and a bug in
the server's grammar must not hide itself by being shared with the tool that checks it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# "CORS-safelisted method"
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
# "normalize a method": only these six are upper-cased; `patch` stays `patch`.
_NORMALIZED_METHODS = {m.lower(): m for m in ("DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT")}
# "forbidden method": fetch() throws for these.
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})

# "forbidden request-header": scripts cannot set these, the browser does.
_FORBIDDEN_HEADERS = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    }
)
_METHOD_OVERRIDE_HEADERS = frozenset({"x-http-method", "x-http-method-override", "x-method-override"})

# "CORS-unsafe request-header byte"
_UNSAFE_BYTES = frozenset(
    [b for b in range(0x20) if b != 0x09]
    + [0x22, 0x28, 0x29, 0x3A, 0x3C, 0x3E, 0x3F, 0x40, 0x5B, 0x5C, 0x5D, 0x7B, 0x7D, 0x7F]
)
# accept-language / content-language may only hold these bytes.
_LANGUAGE_BYTES = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz *,-.;=")
_SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
SAFELISTED_VALUE_MAX = 128  # per header value
SAFELISTED_TOTAL_MAX = 1024  # sum over the safelisted headers of one request

# "CORS non-wildcard request-header name": `Access-Control-Allow-Headers: *` never covers it.
NON_WILDCARD_HEADER_NAMES = frozenset({"authorization"})

# "CORS-safelisted response-header name": readable by scripts without Access-Control-Expose-Headers.
SAFELISTED_RESPONSE_HEADERS = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    }
)

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HTTP_WHITESPACE = " \t\r\n"
_HTTP_TAB_OR_SPACE = " \t"
_RANGE = re.compile(r"(?i:bytes)=([0-9]*)-([0-9]*)")


def is_token(value: str) -> bool:
    """RFC 9110 token: what a method or a header name must be."""
    return _TOKEN.fullmatch(value) is not None


def normalize_method(method: str) -> str:
    """Fetch "normalize a method": DELETE GET HEAD OPTIONS POST PUT are upper-cased, nothing else."""
    return _NORMALIZED_METHODS.get(method.lower(), method)


def is_forbidden_method(method: str) -> bool:
    return method.upper() in FORBIDDEN_METHODS


def normalize_header_value(value: str) -> str:
    """Fetch "normalize" a byte sequence: strip leading and trailing HTTP whitespace (Headers does it)."""
    return value.strip(_HTTP_WHITESPACE)


def is_forbidden_request_header(name: str, value: str) -> bool:
    """Fetch "forbidden request-header": the browser drops these when a script sets them."""
    lower = name.lower()
    if lower in _FORBIDDEN_HEADERS or lower.startswith(("proxy-", "sec-")):
        return True
    if lower in _METHOD_OVERRIDE_HEADERS:
        return any(is_forbidden_method(part.strip(_HTTP_TAB_OR_SPACE)) for part in value.split(","))
    return False


def _essence(value: str) -> str | None:
    """Fetch "parse a MIME type", reduced to what the safelist needs: the essence, or None on failure."""
    text = value.strip(_HTTP_WHITESPACE)
    type_, slash, rest = text.partition("/")
    if not slash or not is_token(type_):
        return None
    subtype = rest.split(";", 1)[0].rstrip(_HTTP_WHITESPACE)
    if not is_token(subtype):
        return None
    return f"{type_}/{subtype}".lower()


def _is_safelisted_range(value: str) -> bool:
    """Fetch "parse a single range header value" (whitespace not allowed); suffix ranges are not safe."""
    match = _RANGE.fullmatch(value)
    if match is None:
        return False
    start, end = match.group(1), match.group(2)
    if not start:
        return False  # `bytes=-500` (a suffix range) or `bytes=-`
    return not end or int(start) <= int(end)


def is_safelisted_request_header(name: str, value: str) -> bool:
    """Fetch "CORS-safelisted request-header" for one (name, value); the value is latin-1 text."""
    raw = value.encode("latin-1", "replace")
    if len(raw) > SAFELISTED_VALUE_MAX:
        return False
    lower = name.lower()
    if lower == "accept":
        return not any(b in _UNSAFE_BYTES for b in raw)
    if lower in ("accept-language", "content-language"):
        return all(b in _LANGUAGE_BYTES for b in raw)
    if lower == "content-type":
        if any(b in _UNSAFE_BYTES for b in raw):
            return False
        return _essence(value) in _SAFELISTED_CONTENT_TYPES
    if lower == "range":
        return _is_safelisted_range(value)
    return False


def unsafe_header_names(headers: Iterable[tuple[str, str]]) -> list[str]:
    """Fetch "CORS-unsafe request-header names": sorted, lower-cased, unique.

    Safelisted headers become unsafe together once their values add up to more than 1024 bytes.
    """
    unsafe: set[str] = set()
    potentially_unsafe: list[str] = []
    safelisted_size = 0
    for name, value in headers:
        if is_safelisted_request_header(name, value):
            potentially_unsafe.append(name)
            safelisted_size += len(value.encode("latin-1", "replace"))
        else:
            unsafe.add(name.lower())
    if safelisted_size > SAFELISTED_TOTAL_MAX:
        unsafe.update(name.lower() for name in potentially_unsafe)
    return sorted(unsafe)


def request_headers_value(names: Sequence[str]) -> str:
    """The Access-Control-Request-Headers value a browser sends: lower-cased, sorted, unique, ","-joined."""
    return ",".join(sorted({name.lower() for name in names}))


def parse_header_list(values: Sequence[str]) -> list[str] | None:
    """Fetch "extract header list values" for `#token` headers (Allow-Methods, Allow-Headers...).

    ``values`` are the header's lines in order (repeated lines behave as if combined with ", ").
    Empty members are ignored, as the RFC 9110 list rule requires; any member that is not a token
    makes the whole header a failure (None), which the browser treats as a failed preflight.
    """
    members: list[str] = []
    for value in values:
        for part in value.split(","):
            item = part.strip(_HTTP_TAB_OR_SPACE)
            if not item:
                continue
            if not is_token(item):
                return None
            members.append(item)
    return members
