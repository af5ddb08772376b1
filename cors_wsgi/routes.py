"""What the middleware serves each request from: per compiled policy, the answers it remembers.

    route = Route(policy.compiled, debug=False)
    route.no_origin_tail              # appended to a response to a request without Origin
    route.actual_tails.get(origin)    # an actual response's tail, once decided for this origin
    route.preflights.get(key)         # a preflight's whole answer, once decided for these header values
    routes = Rules(rule_list).map(lambda compiled: Route(compiled, debug=False))  # per-path rules
    RefusingRoute(debug=False)        # what a path with a dot segment gets

Policies and decisions hold no state: remembering answers belongs to the WSGI adapter, and these objects
are where it keeps them, each memo bounded (``memo.Memo``). Debug mode and policies with an
``allow_origin_func`` remember no answer (``Route.memoises``); a route is never shared between middlewares.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .debug import safe_repr
from .decision import Decision, actual, preflight, refuse_path
from .memo import ACTUAL_MEMO_SIZE, PREFLIGHT_MEMO_SIZE, Memo
from .observe import Outcome
from .policy import CompiledPolicy

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

# What an actual response gets appended (shared between requests: read, never changed). A list, so that
# appending it to the application's list (PEP 3333: a list) is one ``+``.
Tail = list[tuple[str, str]]
# A preflight's whole answer, ready to write: status line, headers, body.
Written = tuple[str, tuple[tuple[str, str], ...], tuple[bytes, ...]]


logger = logging.getLogger("cors_wsgi")

_STATUS_LINES = {204: "204 No Content", 403: "403 Forbidden"}


def _written(decision: Decision) -> Written:
    status = _STATUS_LINES[decision.status or 403]
    return status, tuple(decision.response_headers()), (decision.body,) if decision.body else ()


def _tail(decision: Decision) -> Tail:
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

    # A Route serves every path; per-path rules are a ``rules.Rules`` of Routes, whose ``rules`` are its
    # (glob, Route) pairs. CORSMiddleware.__call__ tells the two apart by this slot, cheaper than a class
    # test.
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
