"""The answers the middleware remembers: per compiled policy, what it wrote for given request header values.

    route = Route(policy.compiled, "/api/*", debug=False)
    route.no_origin_tail                                          # appended to a response without Origin
    route.actuals.get(origin) or route.actual(origin, environ)    # an actual response's Answer
    route.preflights.get(key) or route.preflight(key, environ)    # key = preflight_key(environ)
    Route(None, DOT_SEGMENT_RULE, debug=False)     # a path no rule may grant (a dot segment: rules.py)

An ``Answer`` is made from a ``decision.Decision`` and nothing else: the pure core decides, this module only
keeps what it decided, each memo bounded (``memo.Memo``). Debug mode and policies with an
``allow_origin_func`` remember nothing (``Route.memoises``): their answers depend on more than the header
values. Answers are immutable values; a ``Route`` belongs to one snapshot of one middleware.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, Union

from .decision import Decision, decide_compiled
from .explain import explained, log_decision
from .memo import ACTUAL_MEMO_SIZE, PREFLIGHT_MEMO_SIZE, Memo
from .policy import CompiledPolicy
from .rules import DOT_SEGMENT, Rules, _DotSegment, request_path

PreflightKey = tuple[str, str, "str | None", "str | None"]

_STATUS_LINES = {204: "204 No Content", 403: "403 Forbidden"}


class Answer(NamedTuple):
    """What the middleware writes for one request, and what was decided (for reports and events)."""

    status: str  # a preflight's status line; "" for an actual request (the application answers)
    headers: tuple[tuple[str, str], ...]  # a preflight's every header; else what the app's response gets
    body: tuple[bytes, ...]  # a preflight's body
    allowed: bool
    reason: str | None  # None when allowed, else the first refusal's code


def answer_of(decision: Decision) -> Answer:
    status = "" if decision.status is None else _STATUS_LINES[decision.status]
    return Answer(
        status,
        decision.added_headers,
        (decision.body,) if decision.body else (),
        decision.allowed,
        decision.refusals[0].code if decision.refusals else None,
    )


def preflight_key(environ: Mapping[str, Any]) -> PreflightKey:
    """Every request value a preflight's answer depends on (an ``allow_origin_func`` aside): what its
    memo is keyed by. Only for a preflight (``grammar.is_preflight``): Origin and the method are there."""
    return (
        environ["HTTP_ORIGIN"],
        environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"],
        environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
        environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
    )


class Route:
    """One compiled policy (``None``: a path that no rule may grant) as the adapter serves it, with the
    answers it remembers. Its attributes cannot be reassigned; only its memos fill."""

    __slots__ = (
        "actuals",
        "compiled",
        "debug",
        "memoises",
        "no_origin_tail",
        "preflights",
        "rule",
        "rules",
    )

    compiled: CompiledPolicy | None
    rule: str
    debug: bool
    memoises: bool
    actuals: Memo[str, Answer]
    preflights: Memo[PreflightKey, Answer]
    no_origin_tail: tuple[tuple[str, str], ...]
    # A Route serves every path; per-path rules are a ``rules.Rules`` of Routes, whose ``rules`` are its
    # (glob, Route) pairs. The adapter tells the two apart by this slot, cheaper than a class test.
    rules: None

    def __init__(self, compiled: CompiledPolicy | None, rule: str, debug: bool) -> None:
        set_ = object.__setattr__  # __setattr__ refuses: this is the only place values are set
        set_(self, "rules", None)
        set_(self, "compiled", compiled)
        set_(self, "rule", rule)
        set_(self, "debug", debug)
        # Debug mode logs and explains each request; a user function's answer depends on the environ.
        # Either way the memos stay empty and every request is decided afresh.
        memoises = not debug and compiled is not None and compiled.policy.allow_origin_func is None
        set_(self, "memoises", memoises)
        set_(self, "actuals", Memo(ACTUAL_MEMO_SIZE if memoises else 0))
        set_(self, "preflights", Memo(PREFLIGHT_MEMO_SIZE if memoises else 0))
        set_(self, "no_origin_tail", decide_compiled(compiled, "GET", None).added_headers)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Route cannot be changed (tried to set {name!r})")

    def actual(self, origin: str, environ: Mapping[str, Any]) -> Answer:
        """The answer to an actual request from ``origin``: remembered, or decided now (and remembered
        when it may be)."""
        answer = self.actuals.get(origin)
        if answer is not None:
            return answer
        decision = decide_compiled(self.compiled, environ.get("REQUEST_METHOD", ""), origin, environ=environ)
        answer = self._answer(decision, environ)
        return self.actuals.remember(origin, answer) if self.memoises else answer

    def preflight(self, key: PreflightKey, environ: Mapping[str, Any]) -> Answer:
        """The answer to a preflight with these header values: remembered, or decided now (and remembered
        when it may be)."""
        answer = self.preflights.get(key)
        if answer is not None:
            return answer
        decision = decide_compiled(self.compiled, "OPTIONS", *key, environ, debug=self.debug)
        answer = self._answer(decision, environ)
        return self.preflights.remember(key, answer) if self.memoises else answer

    def _answer(self, decision: Decision, environ: Mapping[str, Any]) -> Answer:
        if self.debug:
            origins = () if self.compiled is None else self.compiled.policy.allow_origins
            decision = explained(decision, origins)
            log_decision(environ, decision, origins)
        return answer_of(decision)


# What a middleware routes by: one Route for every path, or per-path rules of Routes.
Routing = Union[Route, "Rules[Route]"]


def route_for(routing: Routing, environ: Mapping[str, Any]) -> Route | None:
    """The Route that answers this request; None on a path no rule covers (the application answers)."""
    if routing.rules is None:  # one policy for every path: no path to look at
        return routing
    return routing.lookup(request_path(environ))  # type: ignore[return-value]


def build_routing(config: CompiledPolicy | Rules[CompiledPolicy], debug: bool) -> Routing:
    """Fresh Routes, with empty memos, for a policy or rules."""
    if isinstance(config, Rules):
        return config.map(lambda rule, compiled: Route(_policy_of(compiled), rule, debug))
    return Route(config, "*", debug)


def _policy_of(target: CompiledPolicy | _DotSegment) -> CompiledPolicy | None:
    return None if target is DOT_SEGMENT else target  # type: ignore[return-value]
