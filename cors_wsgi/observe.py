"""Seeing decisions: report-only candidate policies and decision events, for rolling out a stricter policy.

    app = CORSMiddleware(app, rules=current, report_only=candidate_rules, on_decision=count)

``report_only`` (a CORSPolicy or a rule list) decides every CORS request a second time; responses follow
the enforced policy alone. Where the candidate would decide differently, one INFO record goes to the logger
``cors_wsgi.report`` naming the origin, method, path, both outcomes and the candidate's reason, with every
request value escaped (``debug.safe_repr``) and the records rate-limited (``ReportLimiter``) so that a flood
of requests cannot fill a disk. ``on_decision`` receives one ``DecisionEvent`` per CORS request (a request
with an Origin on a path either policy covers); an exception it raises is logged and never reaches the
response. Neither option costs anything when unset: ``CORSMiddleware`` then never builds this class.
Outcomes are remembered like the answers themselves (``memo.Memo`` per route, nothing remembered in debug
mode or for an ``allow_origin_func``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol

from .debug import safe_repr
from .decision import Decision, decide, refuse_path
from .memo import Memo
from .policy import CompiledPolicy
from .rules import DOT_SEGMENT, Rules

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

report_logger = logging.getLogger("cors_wsgi.report")
logger = logging.getLogger("cors_wsgi")

# The reason of a request on a path that no rule of that policy covers (the policy does not answer it).
NO_RULE = "no-matching-rule"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one policy decided for one request: allowed or not, and the first refusal's code."""

    allowed: bool
    reason: str | None  # None when allowed; a code from ``cors_wsgi.refusals`` (or ``NO_RULE``)
    rule: str  # the path pattern of the rule that decided ("*" for a single policy)


# What the report-only candidate would have decided, when that differs from the enforced policy.
ReportOnlyDifference = Outcome


class DecisionEvent(NamedTuple):
    """One CORS request as decided: for counters (Prometheus, statsd) and audits. Immutable."""

    kind: Literal["preflight", "actual"]
    origin: str
    method: str  # the request's method; for a preflight, the method it asks for
    path: str
    allowed: bool
    reason: str | None  # None when allowed, else a stable code such as "origin-not-allowed"
    rule: str
    report_only: ReportOnlyDifference | None = None


class ReportLimiter:
    """At most one record per (origin, rule, outcome) per ``window`` seconds, and ``budget`` records per
    window in all; what is held back is counted and said in the next record. Bounded memory: the keys are
    forgotten at each new window."""

    def __init__(self, window: float = 60.0, budget: int = 100) -> None:
        self.window, self.budget = window, budget
        self._lock = threading.Lock()
        self._start = time.monotonic()
        self._seen: set[tuple[str, str, bool]] = set()
        self._count = 0
        self.suppressed = 0

    def allow(self, key: tuple[str, str, bool]) -> int | None:
        """None: hold this record back. Else the number of records held back since the last one sent."""
        with self._lock:
            now = time.monotonic()
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


OnDecision = Callable[[DecisionEvent], object]


class RouteLike(Protocol):
    """What the adapter's ``routes.Route`` offers here (a Protocol: routes imports this module)."""

    compiled: CompiledPolicy
    memoises: bool
    outcomes: Memo[Any, Outcome]


def outcome_of(
    routing: RouteLike | Rules[Any],
    dot_segment: RouteLike,
    environ: WSGIEnvironment,
    path: str,
    key: str | tuple[str | None, ...],
) -> Outcome:
    """How ``routing`` decides the CORS request in ``environ`` (which has an Origin); ``key`` is what the
    middleware's memos key it by (the origin, or the preflight's four header values)."""
    if isinstance(routing, Rules):
        found = routing.lookup(path)
        if found is None:
            return _NO_RULE_OUTCOME
        route: RouteLike = dot_segment if found is DOT_SEGMENT else found  # type: ignore[assignment]
    else:
        route, found = routing, None
    remembered = route.outcomes.get(key)
    if remembered is not None:
        return remembered
    origin = environ["HTTP_ORIGIN"]
    method = environ.get("REQUEST_METHOD", "")
    if route is dot_segment:
        decision: Decision = refuse_path(method, origin, environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"))
    else:
        decision = decide(
            route.compiled,
            method,
            origin,
            environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
            environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
            environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
            environ,
        )
    rule = "*" if found is None else _rule_pattern(routing, found)  # type: ignore[arg-type]
    outcome = Outcome(decision.allowed, decision.refusals[0].code if decision.refusals else None, rule)
    if route.memoises:
        route.outcomes.remember(key, outcome)
    return outcome


_NO_RULE_OUTCOME = Outcome(False, NO_RULE, "-")


def _rule_pattern(rules: Rules[Any], found: object) -> str:
    if found is DOT_SEGMENT:
        return "(dot segment)"
    return next((glob.pattern for glob, target in rules.rules if target is found), "?")


def report(environ: WSGIEnvironment, enforced: Outcome, candidate: Outcome, limiter: ReportLimiter) -> None:
    """One record on ``cors_wsgi.report`` for a request the candidate decides differently."""
    origin = environ["HTTP_ORIGIN"]
    held = limiter.allow((origin, candidate.rule, candidate.allowed))
    if held is None:
        return
    report_logger.info(
        "report-only: %s %s origin=%s enforced=%s candidate=%s reason=%s rule=%s%s",
        safe_repr(environ.get("REQUEST_METHOD", "")),
        safe_repr(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")),
        safe_repr(origin),
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
