"""Print a verdict the way curl -v prints an exchange: `>` for what was sent, `<` for what came back.

print(render_text(verdict))            # relevant headers only
print(render_text(verdict, verbose=True))
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .model import Headers, Response, Step, Verdict

_RELEVANT_REQUEST = ("origin", "access-control-request-", "cookie")
_RELEVANT_RESPONSE = ("access-control-", "vary", "location")
_BODY_SHOWN = 300


def _request_lines(step: Step, script_headers: set[str], verbose: bool) -> list[str]:
    parts = urlsplit(step.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"> {step.method} {target} HTTP/1.1", f"> Host: {parts.netloc}"]
    for name, value in step.request_headers:
        lower = name.lower()
        if verbose or lower in script_headers or lower.startswith(_RELEVANT_REQUEST):
            lines.append(f"> {name}: {value}")
    return lines


def _response_lines(response: Response, verbose: bool, show_body: bool) -> list[str]:
    lines = [f"< HTTP/1.1 {response.status} {response.reason}".rstrip()]
    lines += [f"< {n}: {v}" for n, v in _relevant(response.headers, verbose)]
    if response.body and (verbose or show_body):
        text = response.body.decode("utf-8", "replace").strip()
        if len(text) > _BODY_SHOWN:
            text = text[:_BODY_SHOWN] + "..."
        lines.append("< (body) " + repr(text)[1:-1])
    return lines


def _relevant(headers: Headers, verbose: bool) -> Headers:
    return tuple((n, v) for n, v in headers if verbose or n.lower().startswith(_RELEVANT_RESPONSE))


def _call(verdict: Verdict) -> str:
    req = verdict.request
    options = []
    if req.method != "GET":
        options.append(f"method: {req.method!r}")
    if req.headers:
        inner = ", ".join(f"{n!r}: {v!r}" for n, v in req.headers)
        options.append("headers: {" + inner + "}")
    if req.credentials:
        options.append("credentials: 'include'")
    if req.body is not None:
        options.append("body: ...")
    init = ", {" + ", ".join(options) + "}" if options else ""
    engine = "" if req.browser == "chromium" else f" (judged as {req.browser})"
    return f"* fetch({req.url!r}{init}) from a page on {req.origin}{engine}"


def render_text(verdict: Verdict, *, verbose: bool = False) -> str:
    """The human report: each step, then PASS or FAIL with Chromium's message and the fix."""
    out = [_call(verdict)]
    out += [f"* {note}" for note in verdict.notes]
    if verdict.preflight_reasons:
        out.append("* preflight required: " + "; ".join(verdict.preflight_reasons))
    elif verdict.steps:
        out.append("* no preflight: a simple request (safelisted method and headers)")
    script_headers = {name.lower() for name, _ in verdict.request.headers}
    probing = False
    for step in verdict.steps:
        if step.kind == "probe" and not probing:
            probing = True
            out.append(
                "* diagnosis: extra preflights, each varying one thing (a browser does not send these)"
            )
        if step.kind == "probe":
            sent = dict(step.request_headers)
            what = sent.get("Access-Control-Request-Method", "")
            if "Access-Control-Request-Headers" in sent:
                what += " + " + sent["Access-Control-Request-Headers"]
            verdict_word = "allowed" if step.failure is None else "refused"
            out.append(f"*   probe OPTIONS ({what}): {step.response.status} -> {verdict_word}")
            continue
        out += _request_lines(step, script_headers, verbose)
        out += _response_lines(step.response, verbose, show_body=step.failure is not None)
        label = {"preflight": "preflight", "actual": "response", "redirect": "redirect"}[step.kind]
        out.append(f"* {label}: {'FAILED' if step.failure else 'ok'}")
    if verdict.failure is None:
        final = (
            verdict.steps[-1].response if verdict.steps else None
        )  # never a probe: probes only follow failures
        if final is None:
            out.append("PASS")
        else:
            out.append(
                f"PASS: a script on {verdict.request.origin} can read this response "
                f"({final.status} {final.reason})".rstrip()
            )
            out.append("  readable response headers: " + (", ".join(verdict.readable_headers) or "(none)"))
    else:
        out.append(f"FAIL: {verdict.console}")
        out.append(f"fix: {verdict.failure.fix}")
    out += [f"warning: {w}" for w in verdict.warnings]
    return "\n".join(out)
