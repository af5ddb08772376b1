"""CORSMiddleware: CORS for any WSGI application.

    from cors_wsgi import CORSMiddleware, CORSPolicy

    app = CORSMiddleware(app, allow_origins=["http://localhost:3000"], allow_credentials=True)
    # or one policy per path, first match wins:
    app = CORSMiddleware(app, rules=[
        ("/api/*", CORSPolicy(allow_origins=["http://localhost:3000"], allow_methods=["GET", "PUT"])),
        ("/public/*", CORSPolicy(allow_origins=["*"])),
    ])

Preflights (OPTIONS with Origin and Access-Control-Request-Method) are answered here and never reach the
application: 204 with the grant, or 403 with a short text/plain reason and no Access-Control-Allow-* header.
On every other request on a covered path the application's response passes through with its
Access-Control-* headers replaced by the policy's and the policy's Vary tokens merged in.

This module is only the WSGI adapter: it classifies the request, asks ``decision.decide`` (through
``preflight``/``actual``), and writes exactly the answer it got. It remembers answers that depend on request
header values alone (``memo.Memo``, per policy), and with rules the route each path takes; it remembers no
answer in debug mode, which logs and explains every decision, nor for a policy with ``allow_origin_func``,
whose answer depends on the environ.
Only ``start_response`` is wrapped: the application's iterable is returned as it is, so streaming and
``close()`` keep working. With ``catch_exceptions=True`` an exception that escapes the application on a
covered path becomes a 500 carrying this request's CORS headers (``unhandled.py``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from .config import load_middleware_config
from .debug import safe_repr
from .decision import Decision, actual, actual_tail, preflight, refuse_path
from .errors import ConfigError
from .headers import OWNED_INITIALS, PLAIN_NAMES, merge_headers
from .memo import ACTUAL_MEMO_SIZE, PATH_MEMO_SIZE, PREFLIGHT_MEMO_SIZE, Memo
from .observe import (
    NO_RULE,
    DecisionEvent,
    OnDecision,
    Outcome,
    ReportLimiter,
    deliver,
    outcome_of,
    report,
)
from .policy import POLICY_FIELDS, CompiledPolicy, CORSPolicy, unknown_field
from .rules import DOT_SEGMENT, RuleList, Rules
from .unhandled import guarded

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

ExcInfo: TypeAlias = "tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]"
Headers = list[tuple[str, str]]
# What an actual response gets appended (shared between requests: read, never changed). A list, so that
# appending it to the application's list (PEP 3333: a list) is one ``+``.
Tail = list[tuple[str, str]]
# A preflight's whole answer, ready to write: status line, headers, body.
Written = tuple[str, tuple[tuple[str, str], ...], tuple[bytes, ...]]

logger = logging.getLogger("cors_wsgi")
MIDDLEWARE_ARGUMENTS = (
    "policy",
    "rules",
    "debug",
    "catch_exceptions",
    "report_only",
    "on_decision",
    *POLICY_FIELDS,
)

_STATUS_LINES = {204: "204 No Content", 403: "403 Forbidden"}


def _written(decision: Decision) -> Written:
    status = _STATUS_LINES[decision.status or 403]
    return status, tuple(decision.response_headers()), (decision.body,) if decision.body else ()


def _tail(decision: Decision) -> Headers:
    """What an actual response gets appended: the Access-Control-* headers, then Vary."""
    return decision.response_headers(())


class Route:
    """One compiled policy as the adapter serves it: the policy and the answers it remembers."""

    __slots__ = (
        "actual_tails",
        "compiled",
        "debug",
        "memoises",
        "no_origin_tail",
        "outcomes",
        "preflights",
        "refused_tail",
        "remembers_refusals",
        "rules",
    )

    # A Route serves every path; per-path rules are PathRoutes, whose ``rules`` are its (glob, Route)
    # pairs. __call__ tells the two apart by this slot, cheaper than a class test.
    rules: None

    def __init__(self, compiled: CompiledPolicy, debug: bool) -> None:
        self.rules = None
        self.compiled = compiled
        self.debug = debug
        # Debug mode logs and explains each request; a user function's answer depends on the environ.
        # Either way these memos stay empty and every request is decided afresh.
        self.memoises = not debug and compiled.policy.allow_origin_func is None
        self.actual_tails: Memo[str, Tail] = Memo(ACTUAL_MEMO_SIZE)
        self.preflights: Memo[tuple[str | None, ...], Written] = Memo(PREFLIGHT_MEMO_SIZE)
        # Only filled when decisions are observed (report_only, on_decision: observe.py).
        self.outcomes: Memo[Any, Outcome] = Memo(ACTUAL_MEMO_SIZE)
        self.no_origin_tail = _tail(actual(compiled, None))
        self.refused_tail = list(compiled.actual_refused_tail)
        # Refusing an origin costs one set lookup when only exact origins are listed: cheaper than
        # remembering it, and a stream of unknown origins then never churns the memo of the allowed ones.
        self.remembers_refusals = not compiled.matcher.exact_only

    def actual_tail(self, origin: str, environ: WSGIEnvironment) -> Tail:
        """An actual response's tail decided afresh and not remembered (debug mode, an origin function);
        the memoising path is inline in ``CORSMiddleware.__call__``."""
        decision = actual(self.compiled, origin, environ, explain=self.debug)
        if self.debug:
            _log_actual(environ, decision)
        return _tail(decision)

    def preflight(self, key: tuple[str, str, str | None, str | None], environ: WSGIEnvironment) -> Written:
        decision = preflight(self.compiled, *key, environ, explain=self.debug)
        if self.debug:
            _log_preflight(environ, decision)
            return _written(decision)
        written = _written(decision)
        return self.preflights.remember(key, written) if self.memoises else written


class RefusingRoute(Route):
    """What a path with a dot segment gets (``rules.DOT_SEGMENT``): refusal, whatever the request."""

    __slots__ = ()

    def __init__(self, debug: bool) -> None:
        self.rules = None
        self.debug = debug
        self.actual_tails = Memo(0)  # never filled: the answer is the same for every origin
        self.preflights = Memo(0)
        self.outcomes = Memo(0)
        self.memoises = False
        self.no_origin_tail = _tail(refuse_path("GET", None, None))

    def actual_tail(self, origin: str, environ: WSGIEnvironment) -> Tail:
        decision = refuse_path(environ.get("REQUEST_METHOD", ""), origin, None, explain=self.debug)
        if self.debug:
            _log_actual(environ, decision)
        return _tail(decision)

    def preflight(self, key: tuple[str, str, str | None, str | None], environ: WSGIEnvironment) -> Written:
        decision = refuse_path("OPTIONS", key[0], key[1], explain=self.debug)
        if self.debug:
            _log_preflight(environ, decision)
        return _written(decision)


class _Uncovered:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNCOVERED"


# What PathRoutes remembers for a path that no rule covers: the application answers it untouched.
UNCOVERED: Final = _Uncovered()


class PathRoutes(Rules[Route]):
    """Per-path rules as the adapter serves them: the route each path got is remembered, because a
    site's paths repeat far more often than its rules change (a lookup tests each glob in turn)."""

    __slots__ = ("by_path", "dot_segment")

    def __init__(self, routes: Rules[Route], dot_segment: RefusingRoute) -> None:
        self.rules = routes.rules
        self.dot_segment = dot_segment
        self.by_path: Memo[str, Route | _Uncovered] = Memo(PATH_MEMO_SIZE)

    def route(self, path: str) -> Route | _Uncovered:
        """The route for ``path``, looked up and remembered."""
        found = self.lookup(path)
        route = UNCOVERED if found is None else self.dot_segment if found is DOT_SEGMENT else found
        return self.by_path.remember(path, route)  # type: ignore[arg-type]


class CORSMiddleware:
    """Wrap ``app`` so that it answers CORS as ``policy`` (or per-path ``rules``) says.

    ``debug`` logs and explains every decision (not for production: it tells a refused page why);
    ``catch_exceptions`` answers an exception escaping ``app`` with a 500 that keeps the CORS headers;
    ``report_only`` (a CORSPolicy or rules) and ``on_decision`` (a callable) observe decisions
    (``observe.py``); without them no observing code runs at all.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> CORSMiddleware:
        observed = kwargs.get("report_only") is not None or kwargs.get("on_decision") is not None
        return super().__new__(ObservedCORSMiddleware if observed and cls is CORSMiddleware else cls)

    def __init__(
        self,
        app: WSGIApplication,
        policy: CORSPolicy | None = None,
        *,
        rules: RuleList | None = None,
        debug: bool = False,
        catch_exceptions: bool = False,
        report_only: CORSPolicy | RuleList | None = None,
        on_decision: OnDecision | None = None,
        **policy_fields: Any,
    ) -> None:
        given = [name for name, value in (("policy", policy), ("rules", rules)) if value is not None]
        if policy_fields:
            given.append("policy keywords")
        if len(given) != 1:
            raise ConfigError(
                "policy",
                "give exactly one of: a CORSPolicy, rules=[(path, CORSPolicy), ...], or policy keywords "
                f"such as allow_origins=[...] (got {', '.join(given) or 'none'})",
            )
        if policy is not None and not isinstance(policy, CORSPolicy):
            raise ConfigError("policy", f"{policy!r} is not a CORSPolicy", value=policy)
        self._app = app
        self.debug = bool(debug)
        self._catch_exceptions = bool(catch_exceptions)
        # What a covered request is handed to, chosen once: the application, or it guarded.
        self._serve = guarded(app) if catch_exceptions else app
        # One attribute holds the whole configuration with its memos, so replacing it is atomic: a request
        # reads it once and finishes with what it read, and never meets an answer of the old policy.
        self._dot_segment = RefusingRoute(self.debug)
        self._routing = self._route(
            _policy_from_keywords(policy_fields) if policy_fields else policy or rules
        )
        self._candidate = None if report_only is None else self._route(report_only)
        if on_decision is not None and not callable(on_decision):
            raise ConfigError("on_decision", f"{on_decision!r} is not callable", value=on_decision)
        self.on_decision = on_decision
        self._limiter = ReportLimiter()

    @classmethod
    def from_config(
        cls,
        app: WSGIApplication,
        path: str | os.PathLike[str],
        *,
        environ: Mapping[str, str] | None = None,
        **options: Any,
    ) -> CORSMiddleware:
        """Wrap ``app`` with the rules and the ``[middleware]`` switches of a TOML file; ``options``
        (``debug``, ``catch_exceptions``) override the file's. See ``cors_wsgi.config``."""
        rules, switches = load_middleware_config(path, environ=environ)
        return cls(app, rules=rules, **{**switches, **options})

    def reconfigure(
        self, policy_or_rules: CORSPolicy | RuleList, *, report_only: CORSPolicy | RuleList | None = None
    ) -> None:
        """Swap in a new policy or rule list. It is validated first; on error the old one stays in force.

        ``report_only`` replaces the candidate too, on a middleware built with one.
        """
        routing = self._route(policy_or_rules)
        candidate = self._candidate if report_only is None else self._route(report_only)
        self._routing, self._candidate = routing, candidate

    def reload_config(
        self, path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None
    ) -> bool:
        """Read ``path`` again and swap in its rules (and ``[report_only]``); True when it took effect.

        A file with mistakes changes nothing: the ConfigError is logged on ``cors_wsgi`` and the policy in
        force stays (for reloading on a signal: docs/rolling-out.md).
        """
        try:
            rules, switches = load_middleware_config(path, environ=environ)
            self.reconfigure(rules, report_only=switches.get("report_only"))
        except ConfigError as exc:
            logger.error(
                "CORS configuration %s not reloaded; the previous policy stays in force:\n%s", path, exc
            )
            return False
        logger.info("CORS configuration reloaded from %s", path)
        return True

    def _route(self, policy_or_rules: CORSPolicy | RuleList | None) -> Route | PathRoutes:
        debug = self.debug
        if isinstance(policy_or_rules, CORSPolicy):
            return Route(policy_or_rules.compiled, debug)
        rules: Rules[CompiledPolicy] = Rules(policy_or_rules or ())
        return PathRoutes(rules.map(lambda compiled: Route(compiled, debug)), self._dot_segment)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        routing = self._routing
        if routing.rules is None:  # one policy for every path
            route: Route = routing
        else:
            path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
            covering = routing.by_path.get(path) or routing.route(path)
            if covering is UNCOVERED:
                return self._app(environ, start_response)
            route = covering  # type: ignore[assignment]
        tail: Tail | None
        if "HTTP_ORIGIN" not in environ:
            tail = route.no_origin_tail
        else:
            origin: str = environ["HTTP_ORIGIN"]
            if environ.get("REQUEST_METHOD") == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
                key = (
                    origin,
                    environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"],
                    environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
                    environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
                )
                written = route.preflights.get(key) or route.preflight(key, environ)
                start_response(written[0], list(written[1]))
                return written[2]
            tail = route.actual_tails.get(origin)
            if tail is None:
                if route.memoises:  # inline: a stream of new origins pays for no extra call
                    tail = actual_tail(route.compiled, origin)
                    if tail is not None:
                        route.actual_tails.remember(origin, tail)
                    else:
                        tail = route.refused_tail
                        if route.remembers_refusals:
                            route.actual_tails.remember(origin, tail)
                else:
                    tail = route.actual_tail(origin, environ)

        def cors_start_response(
            status: str, headers: Headers, exc_info: ExcInfo | None = None
        ) -> Callable[[bytes], object]:
            # The common case inline (no Access-Control-* or Vary from the app: append), else the merge;
            # the test is headers.needs_merge's, unrolled.
            for name, _ in headers:
                if name not in PLAIN_NAMES and (not name or name[0] in OWNED_INITIALS):
                    headers = merge_headers(headers, tail)
                    break
            else:
                try:
                    headers = headers + tail
                except TypeError:  # not a list (PEP 3333 asks for one); a tuple still gets its CORS headers
                    headers = [*headers, *tail]
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        return self._serve(environ, cors_start_response)

    @property
    def app(self) -> WSGIApplication:
        """The wrapped application (fixed at construction)."""
        return self._app

    @property
    def catch_exceptions(self) -> bool:
        """Whether an exception escaping the application is answered 500 (fixed at construction)."""
        return self._catch_exceptions

    def __repr__(self) -> str:
        return (
            f"<CORSMiddleware app={self.app!r} debug={self.debug} catch_exceptions={self.catch_exceptions}>"
        )


class ObservedCORSMiddleware(CORSMiddleware):
    """CORSMiddleware with ``report_only`` and/or ``on_decision``: every CORS request is decided by the
    enforced policy (and the candidate) for the record first, then answered exactly as without them."""

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if "HTTP_ORIGIN" in environ:
            self._observe(environ)
        return super().__call__(environ, start_response)

    def _observe(self, environ: WSGIEnvironment) -> None:
        origin = environ["HTTP_ORIGIN"]
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "")
        asked = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")
        key: str | tuple[str | None, ...] = origin
        preflight = method == "OPTIONS" and asked is not None
        if preflight:
            key = (
                origin,
                asked,
                environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
                environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
            )
        enforced = outcome_of(self._routing, self._dot_segment, environ, path, key)
        difference = None
        if self._candidate is not None:
            candidate = outcome_of(self._candidate, self._dot_segment, environ, path, key)
            if candidate.allowed != enforced.allowed:
                report(environ, enforced, candidate, self._limiter)
                difference = candidate
        if self.on_decision is None or (enforced.reason == NO_RULE and difference is None):
            return  # no callback; or neither policy answers this path: not a request CORS decides here
        if not preflight:
            event = DecisionEvent(
                "actual", origin, method, path, enforced.allowed, enforced.reason, enforced.rule, difference
            )
        else:
            event = DecisionEvent(
                "preflight",
                origin,
                asked or "",
                path,
                enforced.allowed,
                enforced.reason,
                enforced.rule,
                difference,
            )
        deliver(self.on_decision, event)


def _log_preflight(environ: WSGIEnvironment, decision: Decision) -> None:
    logger.debug(
        "preflight %s origin=%s method=%s headers=%s -> %s%s",
        safe_repr(environ.get("PATH_INFO", "")),
        safe_repr(environ.get("HTTP_ORIGIN")),
        safe_repr(environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")),
        safe_repr(environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")),
        "allowed (204)" if decision.allowed else f"refused ({decision.status}): ",
        "; ".join(decision.reasons),
    )


def _log_actual(environ: WSGIEnvironment, decision: Decision) -> None:
    origin = environ.get("HTTP_ORIGIN")
    if origin is None:
        verdict = "no Origin: not a CORS request"
    elif decision.allowed:
        verdict = "allowed"
    else:
        verdict = "refused: " + "; ".join(decision.reasons) + "; no Access-Control-* headers sent"
    logger.debug(
        "%s %s origin=%s -> %s",
        safe_repr(environ.get("REQUEST_METHOD", "")),
        safe_repr(environ.get("PATH_INFO", "")),
        safe_repr(origin),
        verdict,
    )


def _policy_from_keywords(fields: dict[str, Any]) -> CORSPolicy:
    unknown = [name for name in fields if name not in POLICY_FIELDS]
    if unknown:
        raise ConfigError.collect(
            [unknown_field(name, "CORSMiddleware argument", MIDDLEWARE_ARGUMENTS) for name in unknown]
        )
    return CORSPolicy(**fields)
