"""Walk the requests a browser makes for one fetch(): preflight, request, redirects; judge each answer.

    verdict = run(CheckRequest(url, origin, method="PUT"), send)

``send(method, url, headers, body) -> Response`` is the only I/O; the network path (http.client) and
the in-process path (a WSGI app) both plug in here, so both get exactly the same checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urljoin, urlsplit, urlunsplit

from .checks import (
    REDIRECT_STATUSES,
    allow_origin_advice,
    cors_check,
    cors_trace,
    preflight_cache_note,
    preflight_check,
    readable_headers,
    uncovered_path_fix,
    warnings_for,
)
from .model import CheckRequest, Failure, Headers, Response, Step, Verdict
from .plan import Plan, address_space, local_network_note, origin_of, prepare

Send = Callable[[str, str, Headers, bytes | None], Response]
MAX_REDIRECTS = 20  # Fetch "HTTP-redirect fetch": more than 20 is a network error
MAX_PROBED_HEADERS = 8  # bounds the diagnosis below: at most 2 + 8 extra requests


def console_line(initial_url: str, last_url: str, origin: str, message: str) -> str:
    """The line Chromium's console prints for a fetch() blocked by CORS."""
    redirected = f"(redirected from '{initial_url}') " if initial_url != last_url else ""
    return (
        f"Access to fetch at '{last_url}' {redirected}from origin '{origin}' "
        f"has been blocked by CORS policy: {message}"
    )


def _display_url(url: str) -> str:
    """URLs the way the browser prints them: an empty path becomes "/"."""
    parts = urlsplit(url)
    return url if parts.path else parts._replace(path="/").geturl()


def mixed_content(origin: str, url: str) -> Failure | None:
    """Mixed Content: a page served over https:// may not fetch plain http:// (loopback excepted).

    The browser blocks the request before it leaves, CORS or not. Loopback hosts are "potentially
    trustworthy" (W3C Secure Contexts), so http://localhost and http://127.0.0.1 stay reachable; a private
    address literal is a Local Network Access request, which the browser lets through once the user allows
    it (the Local Network Access note says so).
    """
    if not origin.startswith("https://") or urlsplit(url).scheme.lower() != "http":
        return None
    if address_space(url) in ("local", "private"):
        return None
    page = origin + "/"
    return Failure(
        "MixedContent",
        f"Mixed Content: The page at '{page}' was loaded over HTTPS, but requested an insecure resource "
        f"'{_display_url(url)}'. This request has been blocked; the content must be served over HTTPS.",
        f"the page is https:// and the URL is plain http://: browsers block the request before it is sent, "
        f"whatever the server's CORS headers say. Serve the API over https:// and fetch "
        f"`{urlunsplit(urlsplit(url)._replace(scheme='https'))}`.",
    )


def _redirect_fix(response: Response, url: str, target: str) -> str:
    """A redirect answered without CORS headers: the redirect is the fault, not the origin."""
    here, there = urlsplit(url), urlsplit(target)
    why = ""
    if here._replace(path=here.path.rstrip("/")) == there._replace(path=there.path.rstrip("/")):
        why = " (the route wants the path with a different trailing slash)"
    elif here.scheme == "http" and there.scheme == "https":
        why = " (the server moves http:// to https://)"
    return (
        f"the answer is a redirect ({response.status} to `{target}`){why} without CORS headers, and the "
        f"browser applies the CORS check to the redirect itself before following it. Such redirects usually "
        f"come from the framework or a proxy, outside the CORS layer. Call `{target}` directly in the script "
        f"(then check that URL again)."
    )


def _tainted_fix(failure: Failure, hop: tuple[str, str], origin: str, url: str) -> Failure:
    """After a cross-origin redirect the browser sends ``Origin: null``: the redirect is the fault."""
    before, after = hop
    text = (
        f"the request was redirected from `{before}` to another origin (`{after}`), so the browser sent "
        f"`Origin: null` instead of `{origin}` from there on (Fetch hides the page's origin after a "
        f"cross-origin redirect). Do not allow `null` on the server to make it pass: that admits every "
        f"sandboxed iframe and data: page of any site. Call `{url}` directly from the page instead, or keep "
        f"the redirect within one origin."
    )
    if failure.code.removeprefix("Preflight") in ORIGIN_FAILURES:
        return replace(failure, fix=text)
    return replace(failure, fix=f"{text} Then: {failure.fix}")


# Failures about the origin itself: after a taint to `null`, the redirect explains them entirely.
ORIGIN_FAILURES = frozenset({"MissingAllowOriginHeader", "AllowOriginMismatch"})


def run(
    request: CheckRequest,
    send: Send,
    *,
    cookie: str | None = None,
    max_redirects: int = MAX_REDIRECTS,
) -> Verdict:
    """Check ``request`` the way a browser would, sending through ``send``. Raises BadRequest on bad input."""
    plan = prepare(request)
    initial_url = _display_url(request.url)
    steps: list[Step] = []
    warnings: list[str] = []
    lna = local_network_note(request.origin, request.url)
    notes: list[str] = [lna] if lna else []
    # Fetch "main fetch": a same-origin request has "basic" response tainting and no CORS at all; the first
    # cross-origin URL (a redirect target included) makes it "cors", for good.
    cors = request.origin == "null" or origin_of(request.url) != request.origin
    preflight_reasons = plan.preflight_reasons if cors else ()
    redirects = 0
    tainted_at: tuple[str, str] | None = None  # (from, to) of the redirect that made the origin "null"

    def finish(failure: Failure | None, readable: tuple[str, ...] = ()) -> Verdict:
        console = None
        if failure is not None and tainted_at is not None:
            failure = _tainted_fix(failure, tainted_at, request.origin, plan.url)
        if failure is not None:
            if failure.code == "MixedContent":
                console = failure.message  # not a CORS error: the browser's own line
            else:
                console = console_line(initial_url, _display_url(plan.url), request.origin, failure.message)
        return Verdict(
            request=request,
            steps=tuple(steps),
            failure=failure,
            console=console,
            preflight_reasons=preflight_reasons,
            warnings=tuple(dict.fromkeys(warnings)),
            readable_headers=readable,
            notes=tuple(notes),
        )

    if not cors:
        notes.append(
            f"{request.url} is same-origin with {request.origin}: the browser applies no CORS check unless "
            f"a redirect leads to another origin."
        )
    while True:
        blocked = mixed_content(request.origin, plan.url)
        if blocked is not None:
            return finish(blocked)
        if cors and plan.needs_preflight:
            headers = plan.preflight_headers()
            response = send("OPTIONS", plan.url, headers, None)
            failure = preflight_check(plan, response)
            steps.append(Step("preflight", "OPTIONS", plan.url, headers, response, failure))
            if failure is not None:
                # How CORS libraries refuse (2xx, 400, 403 without headers): worth finding out what.
                refusal = 200 <= response.status < 300 or response.status in (400, 403)
                if failure.code == "PreflightMissingAllowOriginHeader" and refusal:
                    failure, probes = diagnose_refused_preflight(plan, send, failure, response)
                    steps += probes
                elif failure.code in CREDENTIAL_FAILURES:
                    failure = _with_other_faults(plan, response, failure)
                return finish(failure)
            warnings += warnings_for(plan, response, preflight=True)
            notes.append(preflight_cache_note(plan, response))

        headers = plan.actual_headers(cookie) if cors else plan.same_origin_headers(cookie)
        response = send(plan.method, plan.url, headers, plan.body)
        failure = cors_check(plan, response) if cors else None
        location = response.get("Location")
        is_redirect = response.status in REDIRECT_STATUSES and location is not None
        target = urljoin(plan.url, location) if location is not None else plan.url
        if failure is not None and is_redirect and failure.code == "MissingAllowOriginHeader":
            failure = replace(failure, fix=_redirect_fix(response, plan.url, target))
        step_notes = () if cors else ("same-origin: no CORS check",)
        steps.append(
            Step(
                "redirect" if is_redirect else "actual",
                plan.method,
                plan.url,
                headers,
                response,
                failure,
                step_notes,
            )
        )
        if failure is not None:
            return finish(failure)
        if cors:
            warnings += warnings_for(plan, response, preflight=False)
        if not is_redirect:
            return finish(None, readable_headers(plan, response) if cors else basic_headers(response))

        redirects += 1
        if redirects > max_redirects:
            return finish(
                Failure(
                    "TooManyRedirects",
                    f"net::ERR_TOO_MANY_REDIRECTS (more than {max_redirects} redirects)",
                    "the server redirects in a loop; fix the Location it sends.",
                )
            )
        target_parts = urlsplit(target)
        if target_parts.scheme not in ("http", "https"):
            return finish(
                Failure(
                    "CorsDisabledScheme",
                    "Cross origin requests are only supported for protocol schemes: http, https.",
                    f"the server redirects to {target!r}; redirect to an http(s) URL.",
                )
            )
        if target_parts.username is not None or target_parts.password is not None:
            return finish(
                Failure(
                    "RedirectContainsCredentials",
                    f"Redirect location '{target}' contains a username and password, which is disallowed "
                    f"for cross-origin requests.",
                    "remove the user:password@ part from the Location the server sends.",
                )
            )
        # Fetch: a redirect to another origin, once the request is cross-origin, taints the origin to "null".
        tainted = plan.origin == "null" or (
            origin_of(plan.url) != origin_of(target) and plan.origin != origin_of(plan.url)
        )
        if tainted and plan.origin != "null":
            tainted_at = (plan.url, target)
        plan = plan.redirected(target, response.status, tainted)
        if not cors and (plan.origin == "null" or origin_of(target) != plan.origin):
            cors = True
            notes.append(f"the redirect to {target} leaves the page's origin: from there on CORS applies.")
        if cors:
            preflight_reasons = preflight_reasons or plan.preflight_reasons


CREDENTIAL_FAILURES = frozenset({"PreflightInvalidAllowCredentials", "PreflightWildcardOriginNotAllowed"})


def basic_headers(response: Response) -> tuple[str, ...]:
    """A same-origin response: the script reads every header but Set-Cookie."""
    return tuple(sorted({name.lower() for name, _ in response.headers} - {"set-cookie", "set-cookie2"}))


def _with_other_faults(plan: Plan, response: Response, failure: Failure) -> Failure:
    """A preflight refused for credentials may be short of more: judge it again without them."""
    other = preflight_check(_without_credentials(plan), response)
    if other is None:
        return failure
    return replace(failure, fix=f"{failure.fix} Then also: {other.fix}")


def _without_credentials(plan: Plan, *, private_network: bool = False) -> Plan:
    return replace(plan, request=replace(plan.request, credentials=False, private_network=private_network))


def diagnose_refused_preflight(
    plan: Plan, send: Send, failure: Failure, answer: Response
) -> tuple[Failure, list[Step]]:
    """Find out what a preflight refused without saying why: the origin, credentials, the method, which
    header, Private Network Access, or a path no CORS rule covers.

    A refused preflight carries no CORS headers at all, so the browser (and its console) cannot tell
    these apart. A few extra preflights, each varying one thing, can; they are shown as "probe" steps
    because a browser never sends them. A preflight never carries credentials, so each probe's answer is
    judged without them, and the first one also with them: one answer tells both.
    """
    probes: list[Step] = []

    def probe(method: str, names: tuple[str, ...], *, private_network: bool = False) -> Response | None:
        """The probe's answer when it grants what was asked (judged without credentials), else None."""
        trial = replace(
            _without_credentials(plan, private_network=private_network), method=method, unsafe_names=names
        )
        headers = trial.preflight_headers()
        response = send("OPTIONS", plan.url, headers, None)
        result = preflight_check(trial, response)
        probes.append(Step("probe", "OPTIONS", plan.url, headers, response, result))
        return response if result is None else None

    origin = plan.origin
    granted = probe("GET", ())
    if granted is None:
        refusal = probes[-1].response
        if 200 <= refusal.status < 300 and not cors_trace(refusal) and not cors_trace(answer):
            return replace(failure, fix=uncovered_path_fix(plan, refusal.status, preflight=True)), probes
        fix = (
            f"the server refuses the origin `{origin}` itself (a preflight for a plain GET is refused too): "
            f"{allow_origin_advice(origin)}."
        )
        if refusal.status == 401 or (refusal.status == 403 and b"cors" not in refusal.body.lower()):
            fix += (
                " If it is already listed, an authentication layer rejects OPTIONS: browsers never send "
                "credentials on a preflight, so preflights must pass before auth."
            )
        return replace(failure, fix=fix), probes
    refused: list[str] = []
    if plan.credentials:
        plain_get = replace(plan, request=replace(plan.request, private_network=False), method="GET")
        judged = preflight_check(replace(plain_get, unsafe_names=()), granted)
        if judged is not None and judged.code in CREDENTIAL_FAILURES:
            refused.append(
                "credentials (the grant has no `Access-Control-Allow-Credentials: true`: allow credentials "
                "for this origin, with cors_wsgi `allow_credentials`, or drop `credentials: 'include'` if "
                "the request needs no cookies)"
            )
    method = plan.method
    method_ok = method in ("GET", "HEAD", "POST") or probe(method, ()) is not None
    if not method_ok:
        upper = method.upper()
        if upper != method and probe(upper, ()) is not None:
            refused.append(
                f"the method `{method}` as the script writes it: the server allows `{upper}`, but fetch() "
                f"upper-cases only DELETE, GET, HEAD, OPTIONS, POST and PUT and methods compare "
                f"case-sensitively — write `{upper}` in the script"
            )
        else:
            refused.append(f"the method `{method}` (add it to the allowed methods)")
    probe_method = method if method_ok else "GET"
    names = list(plan.unsafe_names)[:MAX_PROBED_HEADERS]
    bad_headers = [name for name in names if probe(probe_method, (name,)) is None]
    if bad_headers:
        listed = ", ".join(f"`{name}`" for name in bad_headers)
        refused.append(f"the request header(s) {listed} (add them to the allowed headers)")
    if plan.request.private_network and probe("GET", (), private_network=True) is None:
        refused.append(
            "Private Network Access (no `Access-Control-Allow-Private-Network: true` for this origin; with "
            "cors_wsgi, `allow_private_network`)"
        )
    if not refused:
        return failure, probes  # each part passes alone: the combination is refused; keep the general fix
    fix = (
        f"the server allows the origin `{origin}` but refuses "
        + " and ".join(refused)
        + ". A refused preflight has no CORS headers, which is why the browser only reports the missing "
        "Access-Control-Allow-Origin."
    )
    return replace(failure, fix=fix), probes
