"""The decisions the middleware remembers: per compiled policy, what was decided for given request values.

    routing = build_routing(policy.compiled, debug=False)   # or per-path rules
    route = route_for(routing, environ)                     # None: no rule covers the path
    route.no_origin_tail                                    # appended to a response without Origin
    decision = route.actual(origin, environ)                # .added_headers: what the app's response gets
    status, headers, body, decision = route.reply(preflight_key(environ), environ)  # a preflight's Reply

What is kept is the ``decision.Decision`` (for a preflight, with exactly what is written: a ``Reply``),
and nothing else: the pure core decides (``decision.actual``, ``decision.preflight``, ``refuse_path``),
this module only keeps what it decided, each memo bounded (``memo.Memo``). Debug mode and policies with an
``allow_origin_func`` remember nothing (``Route.memoises``): their answers depend on more than the request
values in the key, and debug mode logs every request. An actual request refused by a policy of exact
origins only is decided afresh each time (``Route.remembers_refusals``). In debug mode what is sent is
``explain.explained(decision)``: a refused preflight's body says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Union

from .decision import Decision, actual, decide_compiled, preflight, refuse_path
from .explain import explained, log_decision
from .frozen import Frozen
from .memo import ACTUAL_MEMO_SIZE, PREFLIGHT_MEMO_SIZE, Memo
from .policy import CompiledPolicy
from .rules import DOT_SEGMENT, Rules, _DotSegment, request_path

Headers = tuple[tuple[str, str], ...]
# What a route keeps for a preflight: exactly what is written (status line, headers, body chunks) and the
# Decision it comes from (for reports and events). A plain tuple, unpacked by the adapter: answering a
# remembered preflight then reads no field of the Decision.
Reply = tuple[str, Headers, tuple[bytes, ...], Decision]
STATUS_LINES = {204: "204 No Content", 403: "403 Forbidden"}
# Every request value a preflight's answer depends on (an ``allow_origin_func`` aside), in the order of
# ``decide_compiled``'s parameters after the method: Origin, Access-Control-Request-Method, -Headers,
# -Private-Network.
PreflightKey = tuple[str, str, "str | None", "str | None"]


def preflight_key(environ: Mapping[str, Any]) -> PreflightKey:
    """What a preflight's memo is keyed by. Only for a preflight (``grammar.is_preflight``)."""
    return (
        environ["HTTP_ORIGIN"],
        environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"],
        environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
        environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
    )


class Route(Frozen):
    """One compiled policy (``None``: a path that no rule may grant) as the adapter serves it, with the
    answers it remembers. Nothing can be assigned or deleted; only its memos fill."""

    __slots__ = (
        "actuals",
        "compiled",
        "debug",
        "memoises",
        "no_origin_tail",
        "preflights",
        "remembers_refusals",
        "rule",
        "rules",
    )

    compiled: CompiledPolicy | None
    rule: str  # the path pattern this route answers for ("*" for a single policy)
    debug: bool
    memoises: bool
    remembers_refusals: bool
    actuals: Memo[str, Decision]
    preflights: Memo[PreflightKey, Reply]
    no_origin_tail: Headers
    # Always None: per-path rules are a ``rules.Rules`` of Routes, whose ``rules`` are (glob, Route) pairs;
    # ``route_for`` tells the two apart by this slot, cheaper than a class test.
    rules: None

    def __init__(self, compiled: CompiledPolicy | None, rule: str, debug: bool) -> None:
        set_ = object.__setattr__  # Frozen: this is the only place values are set
        set_(self, "rules", None)
        set_(self, "compiled", compiled)
        set_(self, "rule", rule)
        set_(self, "debug", debug)
        memoises = not debug and compiled is not None and compiled.policy.allow_origin_func is None
        set_(self, "memoises", memoises)
        # Refusing an actual request's origin of a policy that lists only exact origins is one set lookup,
        # cheaper than remembering it; and a stream of unknown origins then never empties the memo of the
        # allowed ones (refused preflights are still remembered: their answer depends on more).
        set_(self, "remembers_refusals", memoises and not compiled.matcher.exact_only)  # type: ignore[union-attr]
        # Empty on a route that does not memoise: only decide_actual and decide_preflight write to them,
        # and only when self.memoises.
        set_(self, "actuals", Memo(ACTUAL_MEMO_SIZE))
        set_(self, "preflights", Memo(PREFLIGHT_MEMO_SIZE))
        set_(self, "no_origin_tail", decide_compiled(compiled, "GET", None).added_headers)

    def actual(self, origin: str, environ: Mapping[str, Any]) -> Decision:
        """The decision for an actual request from ``origin``: remembered, or decided now."""
        return self.actuals.get(origin) or self.decide_actual(origin, environ)

    def reply(self, key: PreflightKey, environ: Mapping[str, Any]) -> Reply:
        """The reply to a preflight with these header values: remembered, or decided now."""
        return self.preflights.get(key) or self.decide_preflight(key, environ)

    def decide_actual(self, origin: str, environ: Mapping[str, Any]) -> Decision:
        """Decide an actual request from ``origin`` now, and remember it when it may be. For a caller that
        has already looked in ``actuals``."""
        if self.compiled is None:
            decision = refuse_path(environ.get("REQUEST_METHOD", ""), origin, None)
        else:
            decision = actual(self.compiled, origin, environ)
        if self.debug:
            decision = self._explained(decision, environ)
        elif self.memoises and (self.remembers_refusals or decision.allowed):
            self.actuals.remember(origin, decision)
        return decision

    def decide_preflight(self, key: PreflightKey, environ: Mapping[str, Any]) -> Reply:
        """Decide a preflight with these header values now, and remember the reply when it may be. For a
        caller that has already looked in ``preflights``."""
        if self.compiled is None:
            decision = refuse_path("OPTIONS", key[0], key[1])
        else:
            decision = preflight(self.compiled, *key, environ, debug=self.debug)
        if self.debug:
            decision = self._explained(decision, environ)
        body = (decision.body,) if decision.body else ()
        reply = (STATUS_LINES[decision.status], decision.added_headers, body, decision)  # type: ignore[index]
        if self.memoises:
            self.preflights.remember(key, reply)
        return reply

    def _explained(self, decision: Decision, environ: Mapping[str, Any]) -> Decision:
        """Debug mode: ``decision`` as it is sent, explained; and logged."""
        origins = () if self.compiled is None else self.compiled.policy.allow_origins
        decision = explained(decision, origins, environ.get("HTTP_ORIGIN"))
        log_decision(environ, decision, origins)
        return decision


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
