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

This module is only the WSGI adapter: it classifies the request, looks up the answer its route remembers
or asks ``decision`` (``actual_tail``, or ``preflight``/``actual`` through the route), and writes exactly
the answer it got. What it remembers, and when not (debug mode, an ``allow_origin_func``), is in
``routes.py``.
Only ``start_response`` is wrapped: the application's iterable is returned as it is, so streaming and
``close()`` keep working. With ``catch_exceptions=True`` an exception that escapes the application on a
covered path becomes a 500 carrying this request's CORS headers (``unhandled.py``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias

from .config import load_middleware_config
from .decision import actual_tail
from .errors import ConfigError
from .headers import OWNED_INITIALS, PLAIN_NAMES, merge_headers
from .observe import (
    NO_RULE,
    DecisionEvent,
    OnDecision,
    ReportLimiter,
    deliver,
    outcome_of,
    report,
)
from .policy import POLICY_FIELDS, CompiledPolicy, CORSPolicy, unknown_field
from .routes import RefusingRoute, Route, Tail
from .rules import DOT_SEGMENT, RuleList, Rules
from .unhandled import guarded

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

ExcInfo: TypeAlias = "tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]"
Headers = list[tuple[str, str]]
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

    def _route(self, policy_or_rules: CORSPolicy | RuleList | None) -> Route | Rules[Route]:
        debug = self.debug
        if isinstance(policy_or_rules, CORSPolicy):
            return Route(policy_or_rules.compiled, debug)
        rules: Rules[CompiledPolicy] = Rules(policy_or_rules or ())
        return rules.map(lambda compiled: Route(compiled, debug))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        routing = self._routing
        if routing.rules is None:  # one policy for every path
            route: Route = routing
        else:
            try:  # two subscripts cost less than two calls of environ.get
                path = environ["SCRIPT_NAME"] + environ["PATH_INFO"]
            except KeyError:  # PEP 3333 lets a server leave out an empty one
                path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
            found = routing.lookup(path)
            if found is None:
                return self._app(environ, start_response)
            route = self._dot_segment if found is DOT_SEGMENT else found  # type: ignore[assignment]
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


def _policy_from_keywords(fields: dict[str, Any]) -> CORSPolicy:
    unknown = [name for name in fields if name not in POLICY_FIELDS]
    if unknown:
        raise ConfigError.collect(
            [unknown_field(name, "CORSMiddleware argument", MIDDLEWARE_ARGUMENTS) for name in unknown]
        )
    return CORSPolicy(**fields)
