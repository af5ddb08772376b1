"""The browser's verdict on one response: Fetch's CORS check and CORS-preflight check, phrased as Chromium.

    >>> from cors_wsgi.checker.plan import CheckRequest, prepare
    >>> plan = prepare(CheckRequest("http://api.test/", "http://localhost:3000"))
    >>> cors_check(plan, Response(200, (("Access-Control-Allow-Origin", "http://localhost:3000/"),))).code
    'AllowOriginMismatch'
    >>> preflight_check(plan, Response(204, (("Access-Control-Allow-Origin", "*"),))) is None
    True

Every function here is pure: (plan, response) -> Failure or None. The order of the checks is
Chromium's (services/network/cors): origin and credentials first, then the preflight's status, then
Private Network Access, then parsing Allow-Methods / Allow-Headers, then the method, then each header.
The messages are the console text of current Chromium (checked word for word against Debian's Chromium
156 by tests/test_check_browser.py); each failure carries a fix that names the header value the server
actually sent.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from . import fetch
from .model import Failure, Response
from .plan import Plan, address_space

PREFLIGHT_PREFIX = "Response to preflight request doesn't pass access control check: "
# Older Chromium releases went on with "..., or, if an opaque response serves your needs, set the
# request's mode to 'no-cors'"; current ones stop here.
_NO_CORS_HINT = " Have the server send the header with a valid value."
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# What each engine caps Access-Control-Max-Age at (measured: docs/browsers.md). The checker keeps its own
# copy of the browsers' facts on purpose (see fetch.py); grammar.MAX_AGE_CAPS is the library's.
MAX_AGE_CAPS = {"chromium": 7200, "firefox": 86400, "webkit": 600}
ENGINE_NAMES = {"chromium": "Chromium", "firefox": "Firefox", "webkit": "WebKit"}

__all__ = ["cors_check", "preflight_check", "readable_headers", "warnings_for"]


def _failure(code: str, message: str, fix: str, *, preflight: bool) -> Failure:
    if preflight:
        return Failure("Preflight" + code, PREFLIGHT_PREFIX + message, fix)
    return Failure(code, message, fix)


def _looks_like_url(value: str) -> bool:
    """Close to Chromium's GURL(value).is_valid(): a scheme, and a host for the special schemes.

    GURL is lenient: ``https://*.example.com`` is a valid URL to it (so a mismatch, not an invalid value).
    """
    parts = urlsplit(value)
    if not parts.scheme or not parts.scheme[0].isalpha():
        return False
    if parts.scheme.lower() in ("http", "https", "ws", "wss", "ftp"):
        host = parts.hostname or ""
        return bool(host) and not any(c in host for c in " <>^|")
    return True


def allow_origin_advice(origin: str) -> str:
    """How to get ``origin`` allowed; never advice to allow ``null`` (every sandboxed page would be)."""
    if origin == "null":
        return (
            "do not allow `null` on the server: it is the origin of every sandboxed iframe and data: or "
            "file: page of any site. Serve the page from a real origin (https://...) and allow that origin"
        )
    return f"add `{origin}` to the server's allowed origins"


def _mismatch_fix(value: str, origin: str) -> str:
    sent = f"the server sent `Access-Control-Allow-Origin: {value}`"
    if value == "null":
        return (
            f"{sent}. `null` is not a way to refuse: it admits sandboxed iframes and data: pages of any "
            f"site. To refuse an origin send no Access-Control-Allow-Origin at all; to allow this page send "
            f"`Access-Control-Allow-Origin: {origin}`."
        )
    if "*" in value:
        return (
            f"{sent}: a pattern is not a header value. Keep patterns like https://*.example.com in the "
            f"server's configuration and have it echo the matching request origin (`{origin}`), with "
            f"`Vary: Origin`."
        )
    if value.rstrip("/") == origin:
        return (
            f"{sent} — remove the trailing slash: an origin is scheme://host[:port] with no path. "
            f"Configure the allowed origin as `{origin}`."
        )
    if value.lower() == origin.lower():
        return f"{sent}; origins are compared byte for byte — send exactly `{origin}` (lower case)."
    try:
        ours, theirs = urlsplit(origin), urlsplit(value)
        same_host = ours.hostname == theirs.hostname
        if same_host and ours.scheme != theirs.scheme:
            return (
                f"{sent}, but the page is served over {ours.scheme}://: allow `{origin}` (the scheme is "
                f"part of the origin)."
            )
        if same_host and ours.port != theirs.port:
            if theirs.port is not None and origin_with_default_port(origin) == value:
                return f"{sent}; browsers omit the default port — send `{origin}`."
            return (
                f"{sent}, but the page runs on another port: allow `{origin}` "
                f"(the port is part of the origin)."
            )
    except ValueError:
        pass
    advice = allow_origin_advice(origin)
    return (
        f"{sent}, a different origin. {advice[0].upper()}{advice[1:]}; if the server always sends one fixed "
        f"origin, make it echo the request's Origin when that origin is allowed (with `Vary: Origin`)."
    )


def origin_with_default_port(origin: str) -> str:
    parts = urlsplit(origin)
    port = {"http": 80, "https": 443}.get(parts.scheme)
    return f"{origin}:{port}" if port and parts.port is None else origin


def cors_trace(response: Response) -> bool:
    """Whether a CORS layer looked at this request: any Access-Control-* header, or a Vary on Origin.

    A CORS layer that refuses an origin still varies its answer on the Origin (cors_wsgi, rs/cors, jub0bs);
    a path that no CORS rule covers gets the application's own answer, with neither.
    """
    vary = {token.strip().lower() for token in (response.get("Vary") or "").split(",")}
    if vary & {"origin", "access-control-request-method", "access-control-request-headers", "*"}:
        return True
    return any(name.lower().startswith("access-control-") for name, _ in response.headers)


def uncovered_path_fix(plan: Plan, status: int, *, preflight: bool) -> str:
    """No grant and no trace of a CORS layer: the path may be one no CORS rule covers."""
    path = urlsplit(plan.url).path or "/"
    what = "preflight" if preflight else "response"
    return (
        f"the {what} ({status}) carries no trace of a CORS layer (no Access-Control-* header, no "
        f"`Vary: Origin`): nothing handled CORS for `{path}`. If the CORS layer has per-path rules, none "
        f"covers `{path}` (a path no rule matches is passed to the application untouched): add a rule for "
        f"it; if it covers every path, it is not in front of this route. (A CORS layer that neither grants "
        f"nor varies could also be refusing `{plan.origin}`: if so, {allow_origin_advice(plan.origin)}.)"
    )


def error_status_fix(status: int, *, preflight: bool) -> str:
    """What a 5xx without CORS headers says, by what the status itself says."""
    what = "the preflight got" if preflight else "the response is an error"
    seen = f"the page sees a CORS error instead of the {status}"
    if status == 500:
        return (
            f"{what} (500) without CORS headers, so {seen}. A 500 written past the CORS layer is usually "
            f"an unhandled exception that escaped the application to the server. With cors_wsgi, "
            f"`CORSMiddleware(app, ..., catch_exceptions=True)` (or `catch_exceptions = true` under "
            f"`[middleware]` in the file) answers such errors with a 500 that carries the CORS headers; "
            f"then fix the error itself (the traceback is logged on the `cors_wsgi` logger)."
        )
    if status in (502, 504):
        kind = "could not reach the application" if status == 502 else "gave up waiting for the application"
        return (
            f"{what} ({status}) from a gateway: the proxy or load balancer in front of the application "
            f"{kind}, and its own error page has no CORS headers, so {seen}. Look at the application (down, "
            f"crashed, too slow) and the proxy's upstream settings; to let the page read such errors, have "
            f"the proxy add the CORS headers to its error pages."
        )
    if status == 503:
        return (
            f"{what} (503 Service Unavailable: maintenance, overload or a deliberate shutdown, often "
            f"answered by a proxy) without CORS headers, so {seen}. Whatever answers the 503 must add the "
            f"CORS headers if the page is to read it (and its Retry-After); otherwise wait for the service."
        )
    return (
        f"{what} ({status}) without CORS headers, so {seen}. Whatever answered it (the "
        f"application or a proxy) answered outside the CORS layer: find out why it answered {status}."
    )


def _missing_fix(plan: Plan, response: Response, *, preflight: bool) -> str:
    status, origin = response.status, plan.origin
    allow = allow_origin_advice(origin)
    if preflight and status in (404, 405, 501):
        return (
            f"the preflight (OPTIONS) got {status}: nothing answers OPTIONS on this path. Put the CORS "
            f"middleware in front of the router so it answers preflights itself (with per-path rules: "
            f"one must cover this path)."
        )
    if status >= 500:
        return error_status_fix(status, preflight=preflight)
    if preflight:
        if status in (401, 403):
            return (
                f"the preflight got {status} with no CORS headers: either the CORS layer refused "
                f"`{origin}` ({allow}), or an authentication layer rejected the OPTIONS request — browsers "
                f"never send cookies or Authorization on a preflight, so preflights must pass before auth."
            )
        if 200 <= status < 300:
            return (
                f"the server answered the preflight ({status}) but did not allow `{origin}` — some CORS "
                f"libraries refuse a preflight this way (rs/cors answers 204, django-cors-headers and "
                f"flask-cors 200, all without Access-Control-Allow-Origin). If `{origin}` should be allowed, "
                f"{allow}."
            )
        return f"{allow}, and answer its preflights with 204 and the Access-Control-Allow-* headers."
    if status >= 400:
        return (
            f"the response is an error ({status}) without CORS headers, so the page sees a CORS error "
            f"instead of the {status}. Make the CORS layer wrap error responses too (outermost middleware), "
            f"and look at why the server answered {status}."
        )
    if plan.needs_preflight:
        return (
            "the preflight passed but this response has no Access-Control-Allow-Origin: something after "
            "the CORS layer (the handler, a proxy) strips it, or only OPTIONS is routed through CORS."
        )
    if not cors_trace(response):
        return uncovered_path_fix(plan, status, preflight=False)
    return (
        f"the server answered {status} without CORS headers for this origin: {allow} (scheme, host and "
        f"port must all match; http://localhost:3000 and http://127.0.0.1:3000 are different origins)."
    )


def cors_check(plan: Plan, response: Response, *, preflight: bool = False) -> Failure | None:
    """Fetch "CORS check" (Chromium's CheckAccess): Allow-Origin, then Allow-Credentials."""
    origin, credentials = plan.origin, plan.credentials
    acao = response.get("Access-Control-Allow-Origin")
    if acao == "*":
        if credentials:
            return _failure(
                "WildcardOriginNotAllowed",
                "The value of the 'Access-Control-Allow-Origin' header in the response must not be the "
                "wildcard '*' when the request's credentials mode is 'include'.",
                f"the request includes credentials (cookies), so `*` is refused: have the server echo the "
                f"allowed origin (`Access-Control-Allow-Origin: {origin}` with `Vary: Origin`) and send "
                f"`Access-Control-Allow-Credentials: true` — or drop credentials: 'include' if the request "
                f"needs no cookies.",
                preflight=preflight,
            )
        return None
    if acao is None:
        return _failure(
            "MissingAllowOriginHeader",
            "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
            _missing_fix(plan, response, preflight=preflight),
            preflight=preflight,
        )
    if acao != origin:
        if any(c in acao for c in " ,"):
            lines = response.get_all("Access-Control-Allow-Origin")
            if len(lines) > 1:
                fix = (
                    f"the response carries {len(lines)} Access-Control-Allow-Origin headers "
                    f"({' | '.join(lines)}): two layers add it (the app and a middleware, or a middleware "
                    f"and a proxy). Keep exactly one."
                )
            elif "," in acao:
                fix = (
                    "Access-Control-Allow-Origin holds one origin, not a list: the server must echo the "
                    f"request's Origin when it is allowed (`{origin}`) and send `Vary: Origin`."
                )
            else:
                fix = f"the value contains a space: send exactly `{origin}`."
            return _failure(
                "MultipleAllowOriginValues",
                f"The 'Access-Control-Allow-Origin' header contains multiple values '{acao}', but only one "
                f"is allowed." + _NO_CORS_HINT,
                fix,
                preflight=preflight,
            )
        if acao != "null" and not _looks_like_url(acao):
            return _failure(
                "InvalidAllowOriginValue",
                f"The 'Access-Control-Allow-Origin' header contains the invalid value '{acao}'."
                + _NO_CORS_HINT,
                f"Access-Control-Allow-Origin must be `*` or one exact origin with its scheme, such as "
                f"`{origin}`; `{acao}` is neither.",
                preflight=preflight,
            )
        return _failure(
            "AllowOriginMismatch",
            f"The 'Access-Control-Allow-Origin' header has a value '{acao}' that is not equal to the "
            f"supplied origin." + _NO_CORS_HINT,
            _mismatch_fix(acao, origin),
            preflight=preflight,
        )
    if credentials:
        acac = response.get("Access-Control-Allow-Credentials")
        if acac != "true":
            shown = acac or ""
            if not shown:
                fix = (
                    "add `Access-Control-Allow-Credentials: true` (the server must allow credentials "
                    "for this origin)."
                )
            elif shown.lower() == "true":
                fix = f"the value is `{shown}`; it must be exactly `true`, in lower case."
            elif len(response.get_all("Access-Control-Allow-Credentials")) > 1:
                fix = f"the header is sent more than once (combined: `{shown}`): keep exactly one `true`."
            else:
                fix = f"the value is `{shown}`; send `Access-Control-Allow-Credentials: true`."
            return _failure(
                "InvalidAllowCredentials",
                f"The value of the 'Access-Control-Allow-Credentials' header in the response is '{shown}' "
                f"which must be 'true' when the request's credentials mode is 'include'.",
                fix,
                preflight=preflight,
            )
    return None


def _status_fix(status: int) -> str:
    if status in (401, 403):
        return (
            f"the preflight passed the origin check but got {status}: an authentication layer rejects "
            f"OPTIONS. Browsers never send cookies or Authorization on a preflight; let the CORS middleware "
            f"answer preflights (204) before authentication."
        )
    if status in (404, 405, 501):
        return (
            f"the preflight got {status}: the router has no OPTIONS handler here. Let the CORS middleware "
            f"answer preflights (204) before routing."
        )
    if status >= 500:
        return error_status_fix(status, preflight=True)
    return f"answer the preflight with 204 (or 200) instead of {status}."


def preflight_check(plan: Plan, response: Response) -> Failure | None:
    """Fetch "CORS-preflight fetch" steps 6-7, in Chromium's order (see the module docstring)."""
    if response.status in REDIRECT_STATUSES:
        location = response.get("Location") or "(no Location)"
        return _failure(
            "DisallowedRedirect",
            "Redirect is not allowed for a preflight request.",
            f"the preflight was redirected ({response.status} to {location}). Browsers never follow a "
            f"redirect for a preflight: call the final URL directly (often a trailing slash, or http:// "
            f"to https://).",
            preflight=True,
        )
    failure = cors_check(plan, response, preflight=True)
    if failure is not None:
        return failure
    if not 200 <= response.status <= 299:
        return _failure(
            "InvalidStatus", "It does not have HTTP ok status.", _status_fix(response.status), preflight=True
        )
    if plan.request.private_network:
        failure = _private_network_check(plan, response)
        if failure is not None:
            return failure
    methods = fetch.parse_header_list(response.get_all("Access-Control-Allow-Methods"))
    if methods is None:
        return Failure(
            "InvalidAllowMethodsPreflightResponse",
            "Cannot parse Access-Control-Allow-Methods response header field in preflight response.",
            f"`Access-Control-Allow-Methods: {response.get('Access-Control-Allow-Methods')}` is not a "
            f"comma-separated list of method names (no quotes, slashes or semicolons).",
        )
    header_names = fetch.parse_header_list(response.get_all("Access-Control-Allow-Headers"))
    if header_names is None:
        return Failure(
            "InvalidAllowHeadersPreflightResponse",
            "Cannot parse Access-Control-Allow-Headers response header field in preflight response.",
            f"`Access-Control-Allow-Headers: {response.get('Access-Control-Allow-Headers')}` is not a "
            f"comma-separated list of header names.",
        )
    failure = _method_check(plan, methods, response)
    if failure is not None:
        return failure
    return _headers_check(plan, header_names, response)


def _private_network_check(plan: Plan, response: Response) -> Failure | None:
    space = address_space(plan.url)
    value = response.get("Access-Control-Allow-Private-Network")
    enable = (
        f"if pages on public sites may reach this private service, send "
        f"`Access-Control-Allow-Private-Network: true` on the preflight response to `{plan.origin}`."
    )
    if value is None:
        return _failure(
            "MissingAllowPrivateNetwork",
            f"No 'Access-Control-Allow-Private-Network' header was present in the preflight response for "
            f"this private network request targeting the `{space}` address space.",
            enable,
            preflight=True,
        )
    if value != "true":
        return _failure(
            "InvalidAllowPrivateNetwork",
            f"The 'Access-Control-Allow-Private-Network' header in the preflight response for this private "
            f"network request targeting the `{space}` address space had a value of '{value}',  not 'true'.",
            f"the value must be exactly `true`; {enable}",
            preflight=True,
        )
    return None


def _method_check(plan: Plan, methods: list[str], response: Response) -> Failure | None:
    method = plan.method
    if method in methods or method in fetch.SAFELISTED_METHODS:
        return None
    if "*" in methods and not plan.credentials:
        return None
    sent = response.get("Access-Control-Allow-Methods")
    if sent is None:
        fix = (
            f"the preflight response has no Access-Control-Allow-Methods: send "
            f"`Access-Control-Allow-Methods: {method}`."
        )
    elif method.upper() in methods and method != method.upper():
        fix = (
            f"the script's method is `{method}`: fetch() upper-cases only DELETE, GET, HEAD, OPTIONS, POST "
            f"and PUT, and methods compare case-sensitively — write `{method.upper()}` in the script."
        )
    elif any(m.upper() == method for m in methods):
        fix = f"methods compare case-sensitively: list `{method}`, not `{sent}`."
    elif "*" in methods:
        fix = (
            f"`*` in Access-Control-Allow-Methods is a literal method name when credentials are included: "
            f"list `{method}` explicitly."
        )
    else:
        fix = (
            f"add `{method}` to the server's allowed methods "
            f"(it sent `Access-Control-Allow-Methods: {sent}`)."
        )
    return Failure(
        "MethodDisallowedByPreflightResponse",
        f"Method {method} is not allowed by Access-Control-Allow-Methods in preflight response.",
        fix,
    )


def _headers_check(plan: Plan, header_names: list[str], response: Response) -> Failure | None:
    allowed = {name.lower() for name in header_names}
    wildcard = "*" in allowed and not plan.credentials
    sent = response.get("Access-Control-Allow-Headers")
    # Fetch step 7.6 (non-wildcard names) comes before 7.7; Chromium reports the first name in order.
    for name in sorted(fetch.NON_WILDCARD_HEADER_NAMES & set(plan.unsafe_names)):
        if name not in allowed and not wildcard:
            # '*' can only be here with credentials: without them it counts as a wildcard (`wildcard`).
            fix = (
                f"with credentials, `*` in Access-Control-Allow-Headers is a literal name, and it never "
                f"covers {name} in any case: every engine refuses this. List `{name}` explicitly (or echo "
                f"Access-Control-Request-Headers)."
                if "*" in allowed
                else f"add `{name}` to the server's allowed headers "
                f"(it sent `Access-Control-Allow-Headers: {sent}`)."
            )
            return _header_failure(name, fix)
    for name in plan.unsafe_names:
        if name in allowed or wildcard:
            # Authorization under "*": the standard refuses it, every engine measured reads it
            # (docs/browsers.md); the verdict follows the engines and warnings_for says why it is fragile.
            continue
        if sent is None:
            fix = (
                f"the preflight response has no Access-Control-Allow-Headers: send "
                f"`Access-Control-Allow-Headers: {name}`."
            )
        elif "*" in allowed:
            fix = (
                f"`*` in Access-Control-Allow-Headers is a literal name when credentials are included: list "
                f"`{name}` explicitly (or echo Access-Control-Request-Headers)."
            )
        else:
            fix = (
                f"add `{name}` to the server's allowed headers "
                f"(it sent `Access-Control-Allow-Headers: {sent}`)."
            )
        if name == "content-type":
            fix += (
                " (Content-Type needs a preflight unless it is application/x-www-form-urlencoded, "
                "multipart/form-data or text/plain.)"
            )
        return _header_failure(name, fix)
    return None


def _header_failure(name: str, fix: str) -> Failure:
    return Failure(
        "HeaderDisallowedByPreflightResponse",
        f"Request header field {name} is not allowed by Access-Control-Allow-Headers in preflight response.",
        fix,
    )


def readable_headers(plan: Plan, response: Response) -> tuple[str, ...]:
    """Which response header names the script can read (Fetch "CORS-filtered response")."""
    exposed = {
        name.lower()
        for name in fetch.parse_header_list(response.get_all("Access-Control-Expose-Headers")) or []
    }
    present = sorted({name.lower() for name, _ in response.headers} - {"set-cookie", "set-cookie2"})
    if "*" in exposed and not plan.credentials:
        return tuple(present)
    return tuple(n for n in present if n in fetch.SAFELISTED_RESPONSE_HEADERS or n in exposed)


def warnings_for(plan: Plan, response: Response, *, preflight: bool) -> list[str]:
    """Risky-but-working answers: these do not change the verdict."""
    warnings: list[str] = []
    acao = response.get("Access-Control-Allow-Origin")
    vary = {token.strip().lower() for token in (response.get("Vary") or "").split(",")}
    where = "preflight response" if preflight else "response"
    if acao is not None and acao != "*" and "origin" not in vary and "*" not in vary:
        warnings.append(
            f"the {where} echoes the origin in Access-Control-Allow-Origin without `Vary: Origin`: a shared "
            f"cache can serve this answer to another origin. Add `Vary: Origin`."
        )
    if acao == "null" and plan.origin == "null":
        warnings.append(
            "the server allows the `null` origin: that admits sandboxed iframes and data: pages of any site."
        )
    if acao == "*" and response.get("Access-Control-Allow-Credentials") == "true" and not plan.credentials:
        warnings.append(
            "`Access-Control-Allow-Credentials: true` together with `*` is useless: browsers refuse that "
            "pair for credentialed requests."
        )
    if preflight:
        max_age = response.get("Access-Control-Max-Age")
        if max_age is not None and max_age.isdigit():
            seconds = int(max_age)
            capped = [(ENGINE_NAMES[e], cap) for e, cap in MAX_AGE_CAPS.items() if seconds > cap]
            if capped:
                (first, first_cap), *rest = capped
                caps = ", ".join([f"{first} caps it at {first_cap} s", *(f"{n} at {c} s" for n, c in rest)])
                warnings.append(f"`Access-Control-Max-Age: {max_age}`: {caps}.")
        names = {n.strip().lower() for n in (response.get("Access-Control-Allow-Headers") or "").split(",")}
        uncovered = sorted(fetch.NON_WILDCARD_HEADER_NAMES & set(plan.unsafe_names) - names)
        if "*" in names and uncovered and not plan.credentials:
            warnings.append(
                f"`Access-Control-Allow-Headers: *` lets {', '.join(uncovered)} through in Chromium, "
                f"Firefox and WebKit today, but the Fetch standard says the wildcard never covers it and "
                f"browsers are moving to enforce that: list `{uncovered[0]}` explicitly."
            )
    return warnings


def preflight_cache_note(plan: Plan, response: Response) -> str:
    """How long the chosen engine keeps this preflight's answer (Max-Age, capped; 5 s without one)."""
    engine = plan.request.browser
    cap = MAX_AGE_CAPS[engine]
    value = response.get("Access-Control-Max-Age")
    if value is None or not value.isdigit():
        name = ENGINE_NAMES[engine]
        return f"{name} caches this preflight's answer for 5 s (no valid Access-Control-Max-Age)."
    seconds = min(int(value), cap)
    capped = f", capped at {cap} s" if int(value) > cap else ""
    return (
        f"{ENGINE_NAMES[engine]} caches this preflight's answer for {seconds} s "
        f"(Access-Control-Max-Age: {value}{capped})."
    )
