"""CORSMiddleware: CORS for any WSGI application.

    from cors_wsgi import CORSMiddleware, CORSPolicy

    app = CORSMiddleware(app, allow_origins=["http://localhost:3000"], allow_credentials=True)
    # or one policy per path, first match wins:
    app = CORSMiddleware(app, rules=[
        ("/api/*", CORSPolicy(allow_origins=["http://localhost:3000"], allow_methods=["GET", "PUT"])),
        ("/public/*", CORSPolicy(allow_origins=["*"])),
    ])

Preflights (OPTIONS with Origin and Access-Control-Request-Method) on a path a policy covers are answered
here and never reach the application: 204 with the grant, or 403 with a short text/plain reason and no
Access-Control-Allow-* header.
On every other request on a covered path the application's response passes through with its
Access-Control-* headers replaced by the policy's and the policy's Vary tokens merged in.

This module is only the WSGI adapter. ``__call__`` reads the snapshot once, finds the request's route,
asks it for the decision (``remembered.Route``: remembered, or decided by ``decision``; in debug mode with
``explain``'s reasons in a refused preflight's body), hands the decision to the observer when there is one,
and writes exactly its ``added_headers``. Only ``start_response`` is wrapped: the
application's iterable is returned as it is, so streaming and ``close()`` keep working. With
``catch_exceptions=True`` an exception that escapes the application on a covered path becomes a 500
carrying this request's CORS headers (``unhandled.py``). With ``csrf_protection`` a write the browser
marks cross-origin, from an origin the covering rule does not allow, is refused 403 before the application
is called (``csrf_guard.py``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias

from .config import load_middleware_config
from .csrf import SAFE_METHODS
from .csrf_guard import Guard, Protection, check_exempt, check_protection, guard, trust_refusals
from .decision import Decision
from .errors import Collector, ConfigError
from .frozen import Frozen
from .grammar import is_preflight
from .headers import OWNED_INITIALS, PLAIN_NAMES, merge_headers
from .observe import Observer, OnDecision, ReportLimiter
from .policy import POLICY_FIELDS, CompiledPolicy, CORSPolicy, unknown_field
from .remembered import Reply, Routing, build_routing, preflight_key, route_for
from .rules import RuleList, Rules
from .unhandled import guarded

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

ExcInfo: TypeAlias = "tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]"
Headers = list[tuple[str, str]]
Config = CompiledPolicy | Rules[CompiledPolicy]
logger = logging.getLogger("cors_wsgi")
MIDDLEWARE_ARGUMENTS = (
    "policy",
    "rules",
    "debug",
    "catch_exceptions",
    "report_only",
    "on_decision",
    "csrf_protection",
    "csrf_exempt",
    *POLICY_FIELDS,
)


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


# ``reconfigure(..., report_only=KEEP)``: the candidate stays as it is.
KEEP: Any = _Keep()


class Snapshot(Frozen):
    """Everything a request reads, in one immutable value.

    ``CORSMiddleware._now`` holds the one in force. A request reads that attribute once and finishes with
    what it read; ``reconfigure``, ``reload_config`` and the ``debug``/``on_decision`` setters build a
    whole new Snapshot (new routes, empty memos) and replace the attribute in one store, under a lock that
    only writers take. So a request never meets half of a change, the next request sees all of it, and no
    request reads a value that another can change half-way: the memos a request fills belong to its own
    snapshot, and a memo only ever gains whole answers or is emptied (``memo.Memo``: two requests racing at
    its bound may both empty it, which costs a recomputation, never a wrong answer). This holds on
    free-threaded CPython too, where a single attribute store and single dict operations stay atomic.

    A class with slots rather than a named tuple: the interpreter reads a slot in a few instructions, a
    named tuple's field through a descriptor it does not specialise (about 100 more for each of the
    request's reads).
    """

    __slots__ = ("candidate", "config", "csrf_exempt", "debug", "guard", "observer", "routing")

    config: Config
    routing: Routing
    candidate: Config | None
    observer: Observer | None
    debug: bool
    guard: Guard | None  # csrf_protection: None when off, so that the request path pays one test
    csrf_exempt: tuple[str, ...]  # kept while the guard is off, for the next reconfigure to turn it on

    def __init__(
        self,
        config: Config,
        routing: Routing,
        candidate: Config | None,
        observer: Observer | None,
        debug: bool,
        guard: Guard | None,
        csrf_exempt: tuple[str, ...],
    ) -> None:
        set_ = object.__setattr__  # Frozen: this is the only place values are set
        set_(self, "config", config)
        set_(self, "routing", routing)
        set_(self, "candidate", candidate)
        set_(self, "observer", observer)
        set_(self, "debug", debug)
        set_(self, "guard", guard)
        set_(self, "csrf_exempt", csrf_exempt)


def _snapshot(
    config: Config,
    candidate: Config | None,
    on_decision: OnDecision | None,
    debug: bool,
    limiter: ReportLimiter,
    guard: Guard | None,
    csrf_exempt: tuple[str, ...],
) -> Snapshot:
    observer = None
    if candidate is not None or on_decision is not None:
        # The candidate is only compared, never explained: its routes are built without debug.
        routing = None if candidate is None else build_routing(candidate, debug=False)
        observer = Observer(routing, on_decision, limiter)
    return Snapshot(config, build_routing(config, debug), candidate, observer, debug, guard, csrf_exempt)


class CORSMiddleware:
    """Wrap ``app`` so that it answers CORS as ``policy`` (or per-path ``rules``) says.

    ``debug`` logs and explains every decision (not for production: it tells a refused page why);
    ``catch_exceptions`` answers an exception escaping ``app`` with a 500 that keeps the CORS headers;
    ``report_only`` (a CORSPolicy or rules) and ``on_decision`` (a callable) observe decisions
    (``observe.py``). ``debug`` and ``on_decision`` may be set later: the next request follows them.
    ``csrf_protection`` (True, or ``"report"`` to log only) refuses cross-origin writes from origins the
    covering rule does not allow, except on the paths of ``csrf_exempt`` (``csrf_guard.py``).
    """

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
        csrf_protection: Protection = False,
        csrf_exempt: Sequence[str] = (),
        **policy_fields: Any,
    ) -> None:
        # Every mistake at once: the arguments', the policies', the candidate's, the callback's, the guard's.
        errors = Collector()
        for name in policy_fields:
            if name not in POLICY_FIELDS:
                errors.add(unknown_field(name, "CORSMiddleware argument", MIDDLEWARE_ARGUMENTS))
        fields = {name: value for name, value in policy_fields.items() if name in POLICY_FIELDS}
        given = [name for name, value in (("policy", policy), ("rules", rules)) if value is not None]
        if fields:
            given.append("policy keywords")
        config = candidate = None
        if len(given) != 1:
            if given or not errors.errors:  # a misspelt keyword alone is said by its own error
                errors.add(
                    ConfigError(
                        "policy",
                        "give exactly one of: a CORSPolicy, rules=[(path, CORSPolicy), ...], or policy "
                        f"keywords such as allow_origins=[...] (got {', '.join(given) or 'none'})",
                    )
                )
        elif policy is not None and not isinstance(policy, CORSPolicy):
            errors.add(ConfigError("policy", f"{policy!r} is not a CORSPolicy", value=policy))
        else:
            with errors.check():
                config = _config(CORSPolicy(**fields) if fields else policy or rules)
        with errors.check():
            candidate = None if report_only is None else _config(report_only)
        with errors.check():
            _check_callback(on_decision)
        protection, exempt = _check_guard(errors, config, csrf_protection, csrf_exempt)
        errors.raise_if_any()
        assert config is not None
        self._app = app
        self._catch_exceptions = bool(catch_exceptions)
        # What a covered request is handed to, chosen once: the application, or it guarded.
        self._serve = guarded(app) if catch_exceptions else app
        self._limiter = ReportLimiter()
        # The guard's records, each kind with its own budget: forged requests cannot crowd out the
        # candidate's records, nor would-be refusals the refusals.
        self._guard_report_limiter = ReportLimiter()
        self._refusal_limiter = ReportLimiter()
        # Writers only; reentrant, so that a reload can hold it while it reads the file and swaps.
        self._writing = threading.RLock()
        self._now = _snapshot(
            config,
            candidate,
            on_decision,
            bool(debug),
            self._limiter,
            self._guard(protection, exempt),
            exempt,
        )

    @classmethod
    def from_config(
        cls,
        app: WSGIApplication,
        path: str | os.PathLike[str],
        *,
        environ: Mapping[str, str] | None = None,
        **options: Any,
    ) -> CORSMiddleware:
        """Wrap ``app`` with the rules, the ``[middleware]`` switches and the ``[report_only]`` candidate
        of a TOML file; ``options`` (``debug``, ``catch_exceptions``, ...) override the file's."""
        rules, switches = load_middleware_config(path, environ=environ)
        return cls(app, rules=rules, **{**switches, **options})

    def reconfigure(
        self,
        policy_or_rules: CORSPolicy | RuleList,
        *,
        report_only: CORSPolicy | RuleList | None = KEEP,
        csrf_protection: Protection = KEEP,
        csrf_exempt: Sequence[str] = KEEP,
    ) -> None:
        """Swap in a new policy or rule list, for the next request on. Everything is validated first; on
        error the configuration in force stays.

        ``report_only``: a new candidate, ``None`` for none, or left out to keep the candidate in force.
        ``csrf_protection``, ``csrf_exempt``: new guard settings, or left out to keep those in force; the
        origins the guard trusts are always the new rules'.
        """
        errors = Collector()
        config = candidate = None
        with errors.check():
            config = _config(policy_or_rules)
        with errors.check():
            candidate = report_only if report_only is KEEP or report_only is None else _config(report_only)
        with self._writing:  # the settings kept are those in force when the new snapshot replaces them
            now = self._now
            protection, exempt = _check_guard(
                errors,
                config,
                self.csrf_protection if csrf_protection is KEEP else csrf_protection,
                self.csrf_exempt if csrf_exempt is KEEP else csrf_exempt,
            )
            errors.raise_if_any()
            assert config is not None
            self._now = _snapshot(
                config,
                now.candidate if candidate is KEEP else candidate,
                self.on_decision,
                now.debug,
                self._limiter,
                self._guard(protection, exempt),
                exempt,
            )

    def reload_config(
        self, path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None
    ) -> bool:
        """Read ``path`` again and swap in its rules and its ``[report_only]`` candidate (none when the
        file has none: what the file says, whatever ``from_config`` was given); True when it took effect.

        The ``[middleware]`` table's ``csrf_protection`` and ``csrf_exempt`` take effect too, each when the
        file sets it: a key the file leaves out keeps the value in force, so a guard turned on in code
        is never turned off by a reload (write ``csrf_protection = false`` to turn it off).
        ``catch_exceptions`` is fixed at construction: a file whose value differs is reloaded, with a
        warning that the file's value is not the one in force.

        A file with mistakes, or one that cannot be read, changes nothing: the error is logged on
        ``cors_wsgi`` and the configuration in force stays (for reloading on a signal:
        docs/rolling-out.md). Reloads never overlap: the file is read under the writers' lock, so of two
        reloads the one that reads last is the one in force.
        """
        with self._writing:
            before = (self.csrf_protection, self.csrf_exempt)
            try:
                rules, switches = load_middleware_config(path, environ=environ)
                self.reconfigure(
                    rules,
                    report_only=switches.get("report_only"),
                    csrf_protection=switches.get("csrf_protection", KEEP),
                    csrf_exempt=switches.get("csrf_exempt", KEEP),
                )
            except (ConfigError, OSError) as exc:
                logger.error(
                    "CORS configuration %s not reloaded; the previous policy stays in force:\n%s", path, exc
                )
                return False
        _warn_if_weakened(path, before, (self.csrf_protection, self.csrf_exempt))
        if bool(switches.get("catch_exceptions", self._catch_exceptions)) != self._catch_exceptions:
            logger.warning(
                "CORS configuration %s sets catch_exceptions = %s, but the middleware in force has %s: it is "
                "fixed when the middleware is built",
                path,
                switches["catch_exceptions"],
                self._catch_exceptions,
            )
        logger.info("CORS configuration reloaded from %s", path)
        return True

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        now = self._now  # read once: this request is answered by this snapshot to its end
        routing = now.routing
        # None: no rule covers the path. (One policy for every path has no path to look at.)
        route = routing if routing.rules is None else route_for(routing, environ)
        origin: str | None = environ.get("HTTP_ORIGIN")
        if origin is None:  # not a CORS request
            # csrf_protection: without an Origin only a Sec-Fetch-Site other than same-origin can mark a
            # write as cross-origin (csrf.refusal).
            if (
                now.guard is not None
                and "HTTP_SEC_FETCH_SITE" in environ  # a test costs less than a lookup, on every request
                and (method := environ.get("REQUEST_METHOD", "")) != "GET"  # the commonest, and no hash
                and method not in SAFE_METHODS
                and environ["HTTP_SEC_FETCH_SITE"] != "same-origin"
            ):
                code = now.guard.screen(environ, method, None, None, route)
                if code is not None:
                    return now.guard.refuse(
                        environ, start_response, code, None, route, now.observer, now.debug
                    )
            if route is None:
                return self._app(environ, start_response)
            tail = route.no_origin_tail
        # Most requests are not OPTIONS: only those pay for the call.
        elif (method := environ.get("REQUEST_METHOD", "")) == "OPTIONS" and is_preflight(
            method, origin, environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")
        ):
            reply: Reply | None = None
            if route is not None:  # remembered: one dict lookup; else decided (Route.decide_preflight)
                key = preflight_key(environ)
                reply = route.preflights.get(key) or route.decide_preflight(key, environ)
            if now.observer is not None:
                now.observer.observe(environ, True, None if reply is None else reply[3], route)
            if reply is None:  # no rule covers the path: the application answers, even a preflight
                return self._app(environ, start_response)
            # Answered here: the application never sees a preflight on a covered path.
            status, headers, body, _ = reply
            start_response(status, list(headers))
            return body
        else:
            decision: Decision | None = None
            if route is not None:  # remembered: one dict lookup; else decided (Route.decide_actual)
                decision = route.actuals.get(origin) or route.decide_actual(origin, environ)
            # csrf_protection: a write the browser marks cross-origin, from an origin this rule did not
            # allow, is refused here. The commonest ways through (a safe method, Sec-Fetch-Site:
            # same-origin, an origin the rule allows) are tested before the call: csrf.refusal lets each of
            # them by. GET and POST are compared before the set is looked in: a comparison costs less than
            # hashing the method.
            if (
                now.guard is not None
                and method != "GET"
                and (method == "POST" or method not in SAFE_METHODS)
                and environ.get("HTTP_SEC_FETCH_SITE") != "same-origin"
                and (decision is None or not decision.allowed)
            ):
                code = now.guard.screen(environ, method, origin, decision, route)
                if code is not None:
                    return now.guard.refuse(
                        environ, start_response, code, decision, route, now.observer, now.debug
                    )
            if now.observer is not None:
                now.observer.observe(environ, False, decision, route)
            if decision is None:  # no rule covers the path: the application answers
                return self._app(environ, start_response)
            tail = decision.added_headers

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
                headers = [*headers, *tail]
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        return self._serve(environ, cors_start_response)

    @property
    def debug(self) -> bool:
        """Debug mode: every decision logged and explained. Setting it takes effect on the next request."""
        return self._now.debug

    @debug.setter
    def debug(self, value: bool) -> None:
        with self._writing:
            now = self._now
            self._now = _snapshot(
                now.config,
                now.candidate,
                self.on_decision,
                bool(value),
                self._limiter,
                now.guard,
                now.csrf_exempt,
            )

    @property
    def on_decision(self) -> OnDecision | None:
        """The callable given each DecisionEvent. Setting it takes effect on the next request."""
        observer = self._now.observer
        return None if observer is None else observer.on_decision

    @on_decision.setter
    def on_decision(self, value: OnDecision | None) -> None:
        _check_callback(value)
        with self._writing:
            now = self._now
            self._now = _snapshot(
                now.config, now.candidate, value, now.debug, self._limiter, now.guard, now.csrf_exempt
            )

    @property
    def csrf_protection(self) -> Protection:
        """The cross-origin write guard: False (off), True, or ``"report"`` (log what it would refuse).
        ``reconfigure`` and ``reload_config`` may change it."""
        guard = self._now.guard
        return False if guard is None else guard.protection

    @property
    def csrf_exempt(self) -> tuple[str, ...]:
        """The path globs the guard lets through whatever their origin."""
        return self._now.csrf_exempt

    def _guard(self, protection: Protection, exempt: tuple[str, ...]) -> Guard | None:
        return guard(protection, exempt, self._guard_report_limiter, self._refusal_limiter)

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
            f"<{type(self).__name__} app={self.app!r} debug={self.debug} "
            f"catch_exceptions={self.catch_exceptions}>"
        )


def _config(policy_or_rules: CORSPolicy | RuleList | None) -> Config:
    if isinstance(policy_or_rules, CORSPolicy):
        return policy_or_rules.compiled
    return Rules(policy_or_rules or ())


def _check_callback(on_decision: object) -> None:
    if on_decision is not None and not callable(on_decision):
        raise ConfigError("on_decision", f"{on_decision!r} is not callable", value=on_decision)


_STRENGTH = {False: 0, "report": 1, True: 2}


def _warn_if_weakened(
    path: str | os.PathLike[str],
    before: tuple[Protection, tuple[str, ...]],
    after: tuple[Protection, tuple[str, ...]],
) -> None:
    """A reload that turns the guard off, down to report mode, or exempts more paths says so loudly."""
    (was, exempt_before), (now, exempt_after) = before, after
    if _STRENGTH[now] < _STRENGTH[was]:
        logger.warning("CORS configuration %s turned csrf_protection from %r to %r", path, was, now)
    added = [pattern for pattern in exempt_after if pattern not in exempt_before]
    if now is not False and added:
        logger.warning("CORS configuration %s exempts more paths from csrf_protection: %s", path, added)


def _check_guard(
    errors: Collector, config: Config | None, csrf_protection: object, csrf_exempt: object
) -> tuple[Protection, tuple[str, ...]]:
    """The guard's settings, validated; with the guard set, what the rules let in must be fit to trust."""
    protection: Protection = False
    exempt: tuple[str, ...] = ()
    with errors.check():
        protection = check_protection(csrf_protection)
    with errors.check():
        exempt = check_exempt(csrf_exempt)
    if protection is not False and config is not None:
        for error in trust_refusals(config):
            errors.add(error)
    return protection, exempt
