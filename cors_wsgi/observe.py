"""Seeing decisions: report-only candidate policies and decision events, for rolling out a stricter policy.

    app = CORSMiddleware(app, rules=current, report_only=candidate_rules, on_decision=count)

``report_only`` (a CORSPolicy or a rule list) decides every CORS request a second time; responses follow
the enforced policy alone. Where the candidate would decide differently, one INFO record goes to the logger
``cors_wsgi.report`` naming the method, path, origin (and for a preflight the method and headers it asks
for), both outcomes and the candidate's reason, with every request value escaped (``logsafe.safe_repr``)
and the records rate-limited (``ReportLimiter``) so that a flood of requests cannot fill a disk.
``on_decision`` receives one ``DecisionEvent`` per CORS request (a request with an Origin on a path the
enforced policy or the candidate covers); an exception it raises is logged and never reaches the response.

The enforced outcome is the answer the middleware already has for the request; the candidate's answers are
remembered like the enforced ones (``remembered.Route``). Without either option the middleware holds no
``Observer`` and runs none of this.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal, NamedTuple

from .logsafe import safe_repr
from .remembered import Answer, Route, Routing, preflight_key, route_for
from .rules import request_path

report_logger = logging.getLogger("cors_wsgi.report")
logger = logging.getLogger("cors_wsgi")

# The reason of a request on a path that no rule of that policy covers (the policy does not answer it).
NO_RULE = "no-matching-rule"


class Outcome(NamedTuple):
    """What one policy decided for one request: allowed or not, and the first refusal's code."""

    allowed: bool
    reason: str | None  # None when allowed; a code from ``cors_wsgi.refusals`` (or ``NO_RULE``)
    rule: str  # the path pattern of the rule that decided ("*" for a single policy)


# What the report-only candidate would have decided, when that differs from the enforced policy.
ReportOnlyDifference = Outcome

_NO_RULE_OUTCOME = Outcome(False, NO_RULE, "-")


class DecisionEvent(NamedTuple):
    """One CORS request as decided: what ``on_decision`` receives, for counters and audits. Immutable.

    A write refused by ``csrf_protection`` is an event too, on any path: ``allowed`` False, ``reason`` a
    code of ``refusals.CSRF_CODES``, ``origin`` ``""`` when the request had none.
    """

    kind: Literal["preflight", "actual"]
    origin: str
    method: str  # the request's method; for a preflight, the method it asks for
    path: str  # SCRIPT_NAME + PATH_INFO
    allowed: bool
    reason: str | None  # None when allowed, else a stable code such as "origin-not-allowed" or "csrf-..."
    rule: str  # the path pattern of the enforced rule ("*" for a single policy, "-" for none)
    report_only: ReportOnlyDifference | None = None  # the candidate's outcome, where it differs


OnDecision = Callable[[DecisionEvent], object]


class ReportLimiter:
    """At most one record per (origin, rule, outcome) per ``window`` seconds, and ``budget`` records per
    window in all; what is held back is counted and said in the next record. Bounded memory: the keys are
    forgotten at each new window. Thread-safe: every step runs under one lock."""

    def __init__(
        self, window: float = 60.0, budget: int = 100, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window, self.budget, self._clock = window, budget, clock
        self._lock = threading.Lock()
        self._start = clock()
        self._seen: set[tuple[str, str, bool]] = set()
        self._count = 0
        self.suppressed = 0

    def allow(self, key: tuple[str, str, bool]) -> int | None:
        """None: hold this record back. Else the number of records held back since the last one sent."""
        with self._lock:
            now = self._clock()
            if now - self._start >= self.window:
                self._start, self._count = now, 0
                self._seen.clear()
            if key in self._seen or self._count >= self.budget:
                self.suppressed += 1
                return None
            self._seen.add(key)
            self._count += 1
            held, self.suppressed = self.suppressed, 0
            return held


class Observer(NamedTuple):
    """The observing part of a middleware's snapshot: the candidate's routes, the callback, the limiter."""

    candidate: Routing | None
    on_decision: OnDecision | None
    limiter: ReportLimiter

    def observe(
        self,
        environ: Mapping[str, Any],
        preflight: bool,
        answer: Answer | None,
        route: Route | None,
        refused: str | None = None,
    ) -> None:
        """Report and deliver one CORS request: ``answer`` is what the middleware sends, from ``route``
        (both None when no enforced rule covers the path). ``refused``: the code of a cross-origin write
        that ``csrf_protection`` refused; the event then gives it as the reason (CORS had not allowed that
        origin either), and the candidate is compared as for any request."""
        enforced = _NO_RULE_OUTCOME if answer is None or route is None else _outcome(answer, route)
        candidate = None
        if self.candidate is not None:
            candidate = _candidate_outcome(self.candidate, environ, preflight)
            if candidate.allowed != enforced.allowed:
                report(environ, preflight, enforced, candidate, self.limiter)
        if self.on_decision is None:
            return
        if refused is None and answer is None and (candidate is None or candidate.reason == NO_RULE):
            return  # neither policy covers this path: not a request CORS decides here
        event = DecisionEvent(
            "preflight" if preflight else "actual",
            environ["HTTP_ORIGIN"],
            environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"] if preflight else environ.get("REQUEST_METHOD", ""),
            request_path(environ),
            enforced.allowed,
            enforced.reason if refused is None else refused,
            enforced.rule,
            candidate if candidate is not None and candidate.allowed != enforced.allowed else None,
        )
        deliver(self.on_decision, event)


def _outcome(answer: Answer, route: Route) -> Outcome:
    decision = answer[1]
    return Outcome(decision.allowed, decision.refusals[0].code if decision.refusals else None, route.rule)


def _candidate_outcome(routing: Routing, environ: Mapping[str, Any], preflight: bool) -> Outcome:
    route = route_for(routing, environ)
    if route is None:
        return _NO_RULE_OUTCOME
    if preflight:
        answer = route.preflight(preflight_key(environ), environ)
    else:
        answer = route.actual(environ["HTTP_ORIGIN"], environ)
    return _outcome(answer, route)


def report(
    environ: Mapping[str, Any], preflight: bool, enforced: Outcome, candidate: Outcome, limiter: ReportLimiter
) -> None:
    """One record on ``cors_wsgi.report`` for a request the candidate decides differently."""
    origin = environ["HTTP_ORIGIN"]
    held = limiter.allow((origin, candidate.rule, candidate.allowed))
    if held is None:
        return
    asked = ""
    if preflight:
        asked = (
            f" asks method={safe_repr(environ['HTTP_ACCESS_CONTROL_REQUEST_METHOD'])}"
            f" headers={safe_repr(environ.get('HTTP_ACCESS_CONTROL_REQUEST_HEADERS', ''))}"
        )
    report_logger.info(
        "report-only: %s %s origin=%s%s enforced=%s candidate=%s reason=%s rule=%s%s",
        safe_repr(environ.get("REQUEST_METHOD", "")),
        safe_repr(request_path(environ)),
        safe_repr(origin),
        asked,
        _word(enforced.allowed),
        _word(candidate.allowed),
        candidate.reason or "-",
        safe_repr(candidate.rule),
        f" ({held} similar records held back)" if held else "",
    )


def _word(allowed: bool) -> str:
    return "allowed" if allowed else "refused"


def deliver(callback: OnDecision, event: DecisionEvent) -> None:
    try:
        callback(event)
    except Exception:
        # A metrics bug must never turn a request into a 500.
        logger.exception(
            "on_decision raised for %s %s; the response is unaffected", event.kind, safe_repr(event.path)
        )


__all__ = [
    "NO_RULE",
    "DecisionEvent",
    "OnDecision",
    "Outcome",
    "ReportLimiter",
    "ReportOnlyDifference",
]
