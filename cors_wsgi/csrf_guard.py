"""``csrf_protection``: the cross-origin write guard as the middleware runs it.

    app = CORSMiddleware(app, rules=rules, csrf_protection=True, csrf_exempt=["/webhooks/*"])

CORS decides who may *read* a response; it never stops a browser from *sending* a form POST or a
``no-cors`` fetch with the user's cookies. With ``csrf_protection=True`` a request with a method other
than GET, HEAD and OPTIONS that the browser marks as cross-origin (``cors_wsgi.csrf``, the rules of Go's
``net/http.CrossOriginProtection``) is answered 403 before the application is called, unless the CORS rule
covering its path allows its origin (the origins a rule lets read are the ones it trusts to write; a rule
allowing ``"*"`` trusts every origin, and a path no rule covers trusts none but its own) or the path is
in ``csrf_exempt``. ``csrf_protection="report"`` lets every request through and logs each one it would
refuse on ``cors_wsgi.report``, rate-limited like report-only records.

Trusting the allowed origins for writes makes the list matter as much as with credentials: with the guard
set, a wildcard pattern or regex that admits someone else's origin, ``"null"`` and plain ``http://``
origins (loopback aside, unless ``tolerate_insecure_origins``) are refused as they are with
``allow_credentials`` (``trust_refusals``).

A refusal is logged on ``cors_wsgi`` (WARNING, rate-limited: a flood of forged requests cannot fill a
disk), handed to ``on_decision`` as a ``DecisionEvent`` whose ``reason`` is a code of
``refusals.CSRF_CODES`` (``origin`` is ``""`` when the request had none), and in debug mode the 403 body
says which check refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from .csrf import ExemptPaths, refusal
from .decision import Decision
from .errors import Collector, ConfigError, did_you_mean
from .explain import describe
from .frozen import Frozen
from .grammar import DEFAULT_PORTS, is_insecure_origin
from .logsafe import safe_repr
from .observe import DecisionEvent, Observer, ReportLimiter, deliver, report_logger
from .origin_probes import Stakes
from .policy import CompiledPolicy, CORSPolicy, origin_refusals
from .refusals import CSRF_SEC_FETCH_SITE, Refusal
from .remembered import Route
from .rules import Rules, request_path

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse

Protection: TypeAlias = "bool | Literal['report']"
logger = logging.getLogger("cors_wsgi")

REFUSED_BODY = b"Cross-origin request refused\n"
_NO_RULE = "-"

STAKES = Stakes(
    "csrf_protection set",
    "the guard would trust every site to send requests with the user's cookies",
    "the guard would let that site send requests with the user's cookies",
    "could send requests with the user's cookies",
)


def check_protection(value: object) -> Protection:
    """``csrf_protection`` as given: True, False or ``"report"``; anything else is a ConfigError."""
    if isinstance(value, bool) or value == "report":
        return value
    hint = ""
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "yes", "on", "1"):
            hint = "; did you mean True (in TOML: true, without quotes)?"
        elif lowered in ("false", "no", "off", "0"):
            hint = "; did you mean False (in TOML: false, without quotes)?"
        else:
            hint = did_you_mean(lowered, ["report"])
    raise ConfigError(
        "csrf_protection", f"{value!r} is not one of True, False or 'report'", value=value, hint=hint
    )


def check_exempt(value: object) -> tuple[str, ...]:
    """``csrf_exempt``: a list of path globs (the rules' syntax); every bad one reported at once."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        hint = f"; did you mean [{value!r}]?" if isinstance(value, str) else ""
        raise ConfigError(
            "csrf_exempt",
            f"{value!r} must be a list of path patterns such as '/webhooks/*'",
            value=value,
            hint=hint,
        )
    errors = Collector()
    for pattern in value:
        with errors.check():
            paths = ExemptPaths([pattern])
            if all(paths.covers(path) for path in _ANY_PATHS):
                raise ConfigError(
                    "csrf_exempt",
                    f"{pattern!r} exempts every path: the guard would refuse nothing",
                    value=pattern,
                    hint="; list the paths that take cross-site writes (webhooks, OAuth or SAML callbacks), "
                    "or leave csrf_protection off",
                )
            if "/./" in f"{pattern}/" or "/../" in f"{pattern}/":
                raise ConfigError(
                    "csrf_exempt",
                    f"{pattern!r} has a '.' or '..' segment: such a path is never exempt",
                    value=pattern,
                )
    errors.raise_if_any()
    return tuple(value)


# Paths unlike each other: a pattern that covers them all covers every path.
_ANY_PATHS = ("/", "/a", "/api/items/1", "/webhooks/x", "/zz/yy/xx/ww.html")


class Guard(Frozen):
    """The guard's settings in a middleware's snapshot, with the limiters its records go through."""

    __slots__ = ("exempt", "patterns", "refusals", "report_only", "reports")

    report_only: bool
    exempt: ExemptPaths
    patterns: tuple[str, ...]
    reports: ReportLimiter  # the budget of report mode's records of would-be refusals
    refusals: ReportLimiter  # the WARNING records of refusals

    def __init__(
        self,
        protection: Protection,
        patterns: tuple[str, ...],
        reports: ReportLimiter,
        refusals: ReportLimiter,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "report_only", protection == "report")
        set_(self, "exempt", ExemptPaths(patterns))
        set_(self, "patterns", patterns)
        set_(self, "reports", reports)
        set_(self, "refusals", refusals)

    @property
    def protection(self) -> Protection:
        return "report" if self.report_only else True

    def screen(
        self,
        environ: Mapping[str, Any],
        method: str,
        origin: str | None,
        decision: Decision | None,
        route: Route | None,
    ) -> str | None:
        """The refusal code of a request with an unsafe ``method`` (None: it goes on). ``decision`` is what
        ``route`` answered for ``origin``: allowed means trusted. In report mode, logs and lets it go."""
        code = refusal(
            method,
            environ.get("HTTP_SEC_FETCH_SITE"),
            origin,
            environ.get("HTTP_HOST") or server_host(environ),
            decision is not None and decision.allowed,
            request_path(environ) if self.exempt.globs else "",  # no path to find when none is exempt
            self.exempt,
        )
        if code is None or not self.report_only:
            return code
        self._record(environ, method, origin, route, code, report=True)
        return None

    def refuse(
        self,
        environ: Mapping[str, Any],
        start_response: StartResponse,
        code: str,
        decision: Decision | None,
        route: Route | None,
        observer: Observer | None,
        debug: bool,
    ) -> list[bytes]:
        """Answer a refused request 403 (the application is never called), log it and tell on_decision."""
        method = environ.get("REQUEST_METHOD", "")
        origin = environ.get("HTTP_ORIGIN")
        self._record(environ, method, origin, route, code, report=False)
        if observer is not None:
            if origin is not None:
                observer.observe(environ, False, decision, route, refused=code)
            elif observer.on_decision is not None:
                rule = _NO_RULE if route is None else route.rule
                event = DecisionEvent("actual", "", method, request_path(environ), False, code, rule)
                deliver(observer.on_decision, event)
        body = REFUSED_BODY
        if debug:
            why = describe(_refusal(environ, origin, route, code), _allowed_origins(route))
            body = f"Cross-origin request refused:\n- {why}\n".encode()
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
        start_response("403 Forbidden", headers)
        return [body]

    def _record(
        self,
        environ: Mapping[str, Any],
        method: str,
        origin: str | None,
        route: Route | None,
        code: str,
        *,
        report: bool,
    ) -> None:
        rule = _NO_RULE if route is None else route.rule
        held = (self.reports if report else self.refusals).allow((origin or "", f"{rule} {code}", False))
        if held is None:
            return
        fields = (
            safe_repr(method),
            safe_repr(request_path(environ)),
            safe_repr(origin),
            safe_repr(environ.get("HTTP_SEC_FETCH_SITE")),
            code,
            safe_repr(rule),
            f" ({held} similar records held back)" if held else "",
        )
        if report:
            report_logger.info(
                "csrf report-only: %s %s origin=%s sec-fetch-site=%s would be refused: %s rule=%s%s", *fields
            )
        else:
            logger.warning("cross-origin %s %s refused: origin=%s sec-fetch-site=%s %s rule=%s%s", *fields)


def guard(
    protection: Protection, patterns: tuple[str, ...], reports: ReportLimiter, refusals: ReportLimiter
) -> Guard | None:
    """The snapshot's guard: None when ``csrf_protection`` is off, so that the request path pays nothing."""
    return None if protection is False else Guard(protection, patterns, reports, refusals)


def server_host(environ: Mapping[str, Any]) -> str:
    """The Host of a request that sent none (HTTP/1.0): SERVER_NAME, with SERVER_PORT unless it is the
    scheme's default (PEP 3333's URL reconstruction)."""
    name = str(environ.get("SERVER_NAME", ""))
    port = str(environ.get("SERVER_PORT", ""))
    if not port or DEFAULT_PORTS.get(str(environ.get("wsgi.url_scheme", "http"))) == port:
        return name
    return f"{name}:{port}"


def trust_refusals(config: CompiledPolicy | Rules[CompiledPolicy]) -> list[ConfigError]:
    """What a configuration lets in that the guard must not trust: in every policy without credentials
    (``CORSPolicy`` already refuses these with them), the patterns and regexes that admit someone else's
    origin, ``"null"`` and plain-http origins (each placed in its rule)."""
    if isinstance(config, CompiledPolicy):
        return policy_trust_refusals(config.policy)
    out: list[ConfigError] = []
    for index, (glob, compiled) in enumerate(config.rules):
        for error in policy_trust_refusals(compiled.policy):
            out += error.located(f"rules[{index}] (path {glob.pattern!r})").errors
    return out


def policy_trust_refusals(policy: CORSPolicy) -> list[ConfigError]:
    """``trust_refusals`` for one policy (lint places them in its rule)."""
    if policy.allow_credentials:
        return []
    out = origin_refusals(policy, STAKES)
    for origin in policy.allow_origins:
        if origin == "null":
            message = (
                "'null' with csrf_protection set: any site can send requests with the origin 'null' (a "
                "sandboxed iframe, a data: URL), so the guard would trust writes from every site; remove it"
            )
        elif is_insecure_origin(origin) and not policy.tolerate_insecure_origins:
            message = (
                f"{origin!r} is plain http:// with csrf_protection set: anyone who can tamper with that "
                f"page's traffic {STAKES.insecure}; use https://, or set tolerate_insecure_origins=True to "
                "accept the risk"
            )
        else:
            continue
        out.append(ConfigError("allow_origins", message, value=origin))
    return out


def _refusal(environ: Mapping[str, Any], origin: str | None, route: Route | None, code: str) -> Refusal:
    if code == CSRF_SEC_FETCH_SITE:
        seen = str(environ.get("HTTP_SEC_FETCH_SITE", ""))
    else:
        seen = environ.get("HTTP_HOST") or server_host(environ)
    return Refusal(code, origin, (seen, _NO_RULE if route is None else route.rule))


def _allowed_origins(route: Route | None) -> Iterable[str]:
    return () if route is None or route.compiled is None else route.compiled.policy.allow_origins


__all__ = [
    "REFUSED_BODY",
    "STAKES",
    "Guard",
    "check_exempt",
    "check_protection",
    "guard",
    "policy_trust_refusals",
    "trust_refusals",
]
