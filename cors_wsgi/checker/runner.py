"""Walk the requests a browser makes for one fetch(): preflight, request, redirects; judge each answer.

    verdict = run(CheckRequest(url, origin, method="PUT"), send)

``send(method, url, headers, body) -> Response`` is the only I/O; the network path (http.client) and
the in-process path (a WSGI app) both plug in here, so both get exactly the same checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urljoin, urlsplit

from .checks import (
    REDIRECT_STATUSES,
    cors_check,
    preflight_cache_note,
    preflight_check,
    readable_headers,
    warnings_for,
)
from .model import CheckRequest, Failure, Headers, Response, Step, Verdict
from .plan import Plan, local_network_note, origin_of, prepare

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
    if request.origin != "null" and origin_of(request.url) == request.origin:
        return Verdict(
            request=request,
            steps=(),
            notes=(f"{request.url} is same-origin with {request.origin}: the browser does not apply CORS.",),
        )
    steps: list[Step] = []
    warnings: list[str] = []
    lna = local_network_note(request.origin, request.url)
    notes: list[str] = [lna] if lna else []
    preflight_reasons = plan.preflight_reasons
    redirects = 0

    def finish(failure: Failure | None, readable: tuple[str, ...] = ()) -> Verdict:
        console = None
        if failure is not None:
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

    while True:
        if plan.needs_preflight:
            headers = plan.preflight_headers()
            response = send("OPTIONS", plan.url, headers, None)
            failure = preflight_check(plan, response)
            steps.append(Step("preflight", "OPTIONS", plan.url, headers, response, failure))
            if failure is not None:
                # How CORS libraries refuse (2xx, 400, 403 without headers): worth finding out what.
                refusal = 200 <= response.status < 300 or response.status in (400, 403)
                if failure.code == "PreflightMissingAllowOriginHeader" and refusal:
                    failure, probes = diagnose_refused_preflight(plan, send, failure)
                    steps += probes
                return finish(failure)
            warnings += warnings_for(plan, response, preflight=True)
            notes.append(preflight_cache_note(plan, response))

        headers = plan.actual_headers(cookie)
        response = send(plan.method, plan.url, headers, plan.body)
        failure = cors_check(plan, response)
        location = response.get("Location")
        is_redirect = response.status in REDIRECT_STATUSES and location is not None
        steps.append(
            Step("redirect" if is_redirect else "actual", plan.method, plan.url, headers, response, failure)
        )
        if failure is not None:
            return finish(failure)
        warnings += warnings_for(plan, response, preflight=False)
        if not is_redirect or location is None:
            return finish(None, readable_headers(plan, response))

        redirects += 1
        target = urljoin(plan.url, location)
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
        plan = plan.redirected(target, response.status, tainted)
        preflight_reasons = preflight_reasons or plan.preflight_reasons


def diagnose_refused_preflight(plan: Plan, send: Send, failure: Failure) -> tuple[Failure, list[Step]]:
    """Find out what a preflight refused without saying why: the origin, the method or which header.

    A refused preflight carries no CORS headers at all, so the browser (and its console) cannot tell
    an unknown origin from a missing method or header. A few extra preflights, each varying one
    thing, can; they are shown as "probe" steps because a browser never sends them.
    """
    probes: list[Step] = []

    def probe(method: str, names: tuple[str, ...]) -> bool:
        trial = replace(plan, method=method, unsafe_names=names)
        headers = trial.preflight_headers()
        response = send("OPTIONS", plan.url, headers, None)
        result = preflight_check(trial, response)
        probes.append(Step("probe", "OPTIONS", plan.url, headers, response, result))
        return result is None

    origin = plan.origin
    if not probe("GET", ()):
        fix = (
            f"the server refuses the origin `{origin}` itself (a preflight for a plain GET is refused too): "
            f"add `{origin}` to its allowed origins."
        )
        answer = probes[-1].response
        if answer.status == 401 or (answer.status == 403 and b"cors" not in answer.body.lower()):
            fix += (
                " If it is already listed, an authentication layer rejects OPTIONS: browsers never send "
                "credentials on a preflight, so preflights must pass before auth."
            )
        return replace(failure, fix=fix), probes
    refused: list[str] = []
    method_ok = plan.method in ("GET", "HEAD", "POST") or probe(plan.method, ())
    if not method_ok:
        refused.append(f"the method `{plan.method}` (add it to the allowed methods)")
    probe_method = plan.method if method_ok else "GET"
    names = [n for n in plan.unsafe_names][:MAX_PROBED_HEADERS]
    bad_headers = [name for name in names if not probe(probe_method, (name,))]
    if bad_headers:
        listed = ", ".join(f"`{name}`" for name in bad_headers)
        refused.append(f"the request header(s) {listed} (add them to the allowed headers)")
    if plan.request.private_network:
        refused.append("possibly Private Network Access (allow_private_network)")
    if not refused:
        return failure, probes  # each part passes alone: the combination is refused; keep the general fix
    fix = (
        f"the server allows the origin `{origin}` but refuses "
        + " and ".join(refused)
        + ". A refused preflight has no CORS headers, which is why the browser only reports the missing "
        "Access-Control-Allow-Origin."
    )
    return replace(failure, fix=fix), probes
