"""Turn what a script asks for into what the browser will send: normalised request, preflight or not.

    >>> plan = prepare(CheckRequest("http://api.test/items", "http://localhost:3000", method="put"))
    >>> plan.method, plan.needs_preflight, plan.preflight_headers()[1]
    ('PUT', True, ('Access-Control-Request-Method', 'PUT'))

Input a browser would reject (a forbidden method, a header scripts cannot set, an origin that is not
a serialized origin) raises ``BadRequest`` with a one-line explanation: that is a usage error, not a
CORS verdict.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from . import fetch
from .model import CheckRequest, Headers

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
USER_AGENT = "cors_wsgi-check (like a browser's fetch)"


class BadRequest(ValueError):
    """The described request is not one a browser would send (usage error, exit status 2)."""


def origin_of(url: str) -> str:
    """The serialized origin of an http(s) URL: lower-case scheme and host, default port omitted."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError as exc:
        raise BadRequest(f"bad port in URL {url!r}") from exc
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def check_origin(origin: str) -> None:
    """Refuse what a browser would never put in an Origin header, with the likely intended value."""
    if origin == "null":
        return
    parts = urlsplit(origin)
    if not parts.scheme or not _SCHEME.fullmatch(parts.scheme) or not parts.netloc:
        raise BadRequest(f"--origin {origin!r} is not an origin: write it as scheme://host[:port]")
    if parts.username is not None or parts.password is not None:
        raise BadRequest(f"--origin {origin!r} contains credentials; an origin is scheme://host[:port]")
    suggestion = origin_of(origin)
    if origin != suggestion:
        raise BadRequest(
            f"--origin {origin!r} is not how a browser serializes an origin (no path, lower case, "
            f"no default port): did you mean {suggestion!r}?"
        )


def address_space(url: str) -> str:
    """Private Network Access address space of the URL's host: local, private, public or unknown."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return "local"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return "unknown"  # a name: the space depends on what it resolves to
    if ip.is_loopback:
        return "local"
    if ip.is_private or ip.is_link_local:
        return "private"
    return "public"


_SPACE_RANK = {"public": 0, "private": 1, "local": 2}


def local_network_note(origin: str, url: str) -> str | None:
    """Local Network Access (Chrome 142+, Firefox 147+): a page reaching a more private address space.

    The browser asks the user for permission before such a fetch leaves it; no response header can grant
    that, so it is a note about the page, whatever the server answers. Names whose address is unknown
    (they depend on DNS) and ``null`` origins are left alone: only literal addresses and localhost tell.
    """
    if origin == "null":
        return None
    source, target = address_space(origin), address_space(url)
    if target not in ("private", "local") or _SPACE_RANK.get(source, 0) >= _SPACE_RANK[target]:
        return None
    return (
        f"Local Network Access: a page on {origin} ({source} address space) fetching a {target} address. "
        f"Chrome 142+ and Firefox 147+ ask the user for permission first, and no response header can grant "
        f"it (Private Network Access preflights and Access-Control-Allow-Private-Network are being retired). "
        f'The page should declare the target, `fetch(url, {{targetAddressSpace: "{target}"}})`, and the '
        f"user must allow local network access for {origin}; this check judges only the CORS answer."
    )


@dataclass(frozen=True)
class Plan:
    """The request as the browser will send it, and whether (and why) a preflight comes first."""

    request: CheckRequest
    url: str
    origin: str  # what goes into the Origin header ("null" after a cross-origin redirect)
    method: str
    headers: Headers
    unsafe_names: tuple[str, ...]
    preflight_reasons: tuple[str, ...]
    body: bytes | None

    @property
    def needs_preflight(self) -> bool:
        return bool(self.preflight_reasons)

    @property
    def credentials(self) -> bool:
        return self.request.credentials

    def preflight_headers(self) -> Headers:
        """The headers of the CORS-preflight request (Fetch "CORS-preflight request", as Chromium sends)."""
        headers: list[tuple[str, str]] = [
            ("Origin", self.origin),
            ("Access-Control-Request-Method", self.method),
        ]
        if self.unsafe_names:
            headers.append(("Access-Control-Request-Headers", ",".join(self.unsafe_names)))
        if self.request.private_network:
            headers.append(("Access-Control-Request-Private-Network", "true"))
        headers += [("Accept", "*/*"), ("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Dest", "empty")]
        headers.append(("User-Agent", self._user_agent()))
        return tuple(headers)

    def _user_agent(self) -> str:
        # Browsers send theirs on the preflight too; some firewalls refuse requests without one.
        return next((v for n, v in self.headers if n.lower() == "user-agent"), USER_AGENT)

    def actual_headers(self, cookie: str | None = None) -> Headers:
        """The headers of the request itself: the script's, plus what the browser adds."""
        headers = list(self.headers)
        if not any(name.lower() == "accept" for name, _ in headers):
            headers.append(("Accept", "*/*"))
        headers += [("Origin", self.origin), ("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Dest", "empty")]
        if not any(name.lower() == "user-agent" for name, _ in headers):
            headers.append(("User-Agent", USER_AGENT))
        if cookie and self.credentials:
            headers.append(("Cookie", cookie))
        return tuple(headers)

    def same_origin_headers(self, cookie: str | None = None) -> Headers:
        """A same-origin request's headers: Origin only on methods other than GET and HEAD (Fetch), and the
        cookies, which fetch()'s default credentials mode ("same-origin") sends there."""
        headers = list(self.headers)
        if not any(name.lower() == "accept" for name, _ in headers):
            headers.append(("Accept", "*/*"))
        if self.method not in ("GET", "HEAD"):
            headers.append(("Origin", self.origin))
        headers += [("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Site", "same-origin")]
        headers.append(("Sec-Fetch-Dest", "empty"))
        if not any(name.lower() == "user-agent" for name, _ in headers):
            headers.append(("User-Agent", USER_AGENT))
        if cookie:
            headers.append(("Cookie", cookie))
        return tuple(headers)

    def redirected(self, url: str, status: int, tainted: bool) -> Plan:
        """The plan after following a redirect (Fetch "HTTP-redirect fetch")."""
        method, headers, body = self.method, self.headers, self.body
        if (status in (301, 302) and method == "POST") or (status == 303 and method not in ("GET", "HEAD")):
            method, body = "GET", None
            body_headers = {"content-encoding", "content-language", "content-location", "content-type"}
            headers = tuple((n, v) for n, v in headers if n.lower() not in body_headers)
        return _with_reasons(
            replace(
                self,
                url=url,
                origin="null" if tainted else self.origin,
                method=method,
                headers=headers,
                body=body,
            )
        )


def _with_reasons(plan: Plan) -> Plan:
    unsafe = tuple(fetch.unsafe_header_names(plan.headers))
    reasons: list[str] = []
    if plan.method not in fetch.SAFELISTED_METHODS:
        reasons.append(f"method {plan.method} is not CORS-safelisted (only GET, HEAD, POST are)")
    for name in unsafe:
        value = next((v for n, v in plan.headers if n.lower() == name), "")
        reasons.append(f"header {name}: {value!r} is not CORS-safelisted{_why_unsafe(name, value)}")
    if plan.request.private_network:
        reasons.append("Private Network Access: the target is in a more private address space")
    return replace(plan, unsafe_names=unsafe, preflight_reasons=tuple(reasons))


def _why_unsafe(name: str, value: str) -> str:
    if name == "content-type":
        return " (only application/x-www-form-urlencoded, multipart/form-data and text/plain are)"
    if name in ("accept", "accept-language", "content-language", "range"):
        if len(value.encode("latin-1", "replace")) > fetch.SAFELISTED_VALUE_MAX:
            return f" (value longer than {fetch.SAFELISTED_VALUE_MAX} bytes)"
        if fetch.is_safelisted_request_header(name, value):
            return f" (safelisted values together exceed {fetch.SAFELISTED_TOTAL_MAX} bytes)"
        return " (value has bytes the safelist forbids)"
    return ""


def prepare(request: CheckRequest) -> Plan:
    """Validate and normalise the script's request the way fetch() does; decide about the preflight."""
    check_origin(request.origin)
    scheme = urlsplit(request.url).scheme.lower()
    if scheme not in ("http", "https"):
        raise BadRequest(f"URL {request.url!r} must start with http:// or https://")
    if not urlsplit(request.url).hostname:
        raise BadRequest(f"URL {request.url!r} has no host")
    if not fetch.is_token(request.method):
        raise BadRequest(f"method {request.method!r} is not a valid HTTP method name")
    if fetch.is_forbidden_method(request.method):
        raise BadRequest(f"browsers refuse the method {request.method!r} (a forbidden method in Fetch)")
    method = fetch.normalize_method(request.method)
    headers: list[tuple[str, str]] = []
    for name, raw_value in request.headers:
        value = fetch.normalize_header_value(raw_value)
        if not fetch.is_token(name):
            raise BadRequest(f"header name {name!r} is not a valid HTTP header name")
        if any(c in value for c in "\r\n\0") or any(ord(c) > 0xFF for c in value):
            raise BadRequest(
                f"header {name!r} has a value a browser cannot send (CR, LF, NUL or non-latin-1)"
            )
        if fetch.is_forbidden_request_header(name, value):
            hint = " (use --cookie; it is sent only with --credentials)" if name.lower() == "cookie" else ""
            raise BadRequest(f"scripts cannot set the header {name!r}: the browser drops it{hint}")
        headers.append((name, value))
    if request.body is not None and method in ("GET", "HEAD"):
        raise BadRequest(f"fetch() refuses a body with {method}")
    if request.body is not None and not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "text/plain;charset=UTF-8"))  # what fetch() adds for a string body
    plan = Plan(
        request=request,
        url=request.url,
        origin=request.origin,
        method=method,
        headers=tuple(headers),
        unsafe_names=(),
        preflight_reasons=(),
        body=request.body,
    )
    return _with_reasons(plan)
