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
Access-Control-* headers replaced by the policy's and ``Origin`` merged into Vary. Only ``start_response``
is wrapped: the application's iterable is returned as it is, so streaming and ``close()`` keep working.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias

from .debug import safe_repr
from .decision import Decision, actual_headers, preflight
from .errors import ConfigError, did_you_mean
from .headers import merge_headers
from .memo import MAX_KEY_LENGTH
from .policy import CompiledPolicy, CORSPolicy
from .rules import Rules

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

ExcInfo: TypeAlias = "tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]"
RuleList: TypeAlias = "Sequence[tuple[str, CORSPolicy]]"

logger = logging.getLogger("cors_wsgi")

REFUSED_BODY = b"CORS preflight refused\n"
# Browsers repeat a handful of (origin, method, headers) combinations, so answers are memoised per policy.
# Only short values are keys and a full memo starts afresh (as the ACRH memo does): a stream of unique or
# huge values costs the full decision, which is bounded on its own, and never memory.


def _compile(policy_or_rules: CORSPolicy | RuleList) -> CompiledPolicy | Rules:
    if isinstance(policy_or_rules, CORSPolicy):
        return policy_or_rules.compiled
    return Rules(policy_or_rules)


class CORSMiddleware:
    """Wrap ``app`` so that it answers CORS as ``policy`` (or per-path ``rules``) says."""

    def __init__(
        self,
        app: WSGIApplication,
        policy: CORSPolicy | None = None,
        *,
        rules: RuleList | None = None,
        debug: bool = False,
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
            raise ConfigError("policy", f"{policy!r} is not a CORSPolicy")
        self.app = app
        self.debug = bool(debug)
        # One attribute holds the whole compiled configuration, so replacing it is atomic: a request reads
        # it once and finishes with what it read.
        self._config: CompiledPolicy | Rules = _compile(
            _policy_from_keywords(policy_fields) if policy_fields else policy or rules or ()
        )

    def reconfigure(self, policy_or_rules: CORSPolicy | RuleList) -> None:
        """Swap in a new policy or rule list. It is validated first; on error the old one stays in force."""
        self._config = _compile(policy_or_rules)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        config = self._config
        if isinstance(config, Rules):
            compiled = config.policy_for(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
            if compiled is None:
                return self.app(environ, start_response)
        else:
            compiled = config
        origin = environ.get("HTTP_ORIGIN")
        if origin is None:
            cors = compiled.any_origin_headers if compiled.any_origin else ()
        else:
            if environ.get("REQUEST_METHOD") == "OPTIONS":
                request_method = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")
                if request_method is not None:
                    return self._preflight(compiled, environ, origin, request_method, start_response)
            memo = compiled.actual_memo
            cached = None if memo is None else memo.get(origin)
            if cached is None:
                cors = actual_headers(compiled, origin, environ)
                if memo is not None and len(origin) <= MAX_KEY_LENGTH:
                    memo.remember(origin, cors)
            else:
                cors = cached
        vary = compiled.vary_actual
        if self.debug:
            self._log_actual(environ, origin, cors)

        def cors_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
        ) -> Callable[[bytes], object]:
            merged = merge_headers(headers, cors, vary)
            if exc_info is None:
                return start_response(status, merged)
            return start_response(status, merged, exc_info)

        return self.app(environ, cors_start_response)

    def _preflight(
        self,
        compiled: CompiledPolicy,
        environ: WSGIEnvironment,
        origin: str,
        request_method: str,
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        request_headers = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
        private_network = environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK")
        # Debug mode logs and explains every decision, so it never answers from the memo.
        memo = None if self.debug else compiled.preflight_memo
        key = (origin, request_method, request_headers, private_network)
        if memo is not None:
            cached = memo.get(key)
            if cached is not None:
                status, cached_headers, cached_body = cached
                start_response(status, list(cached_headers))
                return [cached_body] if cached_body else []
        decision = preflight(
            compiled,
            origin,
            request_method,
            request_headers,
            private_network,
            environ,
            explain=self.debug,
        )
        headers = [*decision.headers, ("Vary", compiled.preflight_vary_header)]
        if self.debug:
            self._log_preflight(environ, origin, request_method, decision)
        if decision.allowed:
            status, body = "204 No Content", b""
        else:
            status, body = "403 Forbidden", REFUSED_BODY
            if self.debug:
                body = ("CORS preflight refused:\n" + "".join(f"- {r}\n" for r in decision.reasons)).encode()
            headers += [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
        if memo is not None and all(len(value or "") <= MAX_KEY_LENGTH for value in key):
            memo.remember(key, (status, tuple(headers), body))
        start_response(status, headers)
        return [body] if body else []

    @staticmethod
    def _log_preflight(environ: WSGIEnvironment, origin: str, method: str, decision: Decision) -> None:
        logger.debug(
            "preflight %s origin=%s method=%s headers=%s -> %s%s",
            safe_repr(environ.get("PATH_INFO", "")),
            safe_repr(origin),
            safe_repr(method),
            safe_repr(environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")),
            "allowed (204)" if decision.allowed else "refused (403): ",
            "; ".join(decision.reasons),
        )

    @staticmethod
    def _log_actual(environ: WSGIEnvironment, origin: str | None, cors: tuple[tuple[str, str], ...]) -> None:
        if origin is None:
            verdict = "no Origin: not a CORS request"
        elif cors:
            verdict = "allowed"
        else:
            verdict = "refused: origin not allowed, no Access-Control-* headers sent"
        logger.debug(
            "%s %s origin=%s -> %s",
            safe_repr(environ.get("REQUEST_METHOD", "")),
            safe_repr(environ.get("PATH_INFO", "")),
            safe_repr(origin),
            verdict,
        )

    def __repr__(self) -> str:
        return f"<CORSMiddleware app={self.app!r} debug={self.debug}>"


_POLICY_FIELDS = tuple(f.name for f in dataclasses.fields(CORSPolicy) if f.init)


def _policy_from_keywords(fields: dict[str, Any]) -> CORSPolicy:
    for name in fields:
        if name not in _POLICY_FIELDS:
            raise ConfigError(
                name, f"unknown CORSMiddleware argument {name!r}{did_you_mean(name, _POLICY_FIELDS)}"
            )
    return CORSPolicy(**fields)
