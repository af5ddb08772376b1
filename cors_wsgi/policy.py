"""CORSPolicy: the declarative, validated, immutable description of who may read a resource.

    >>> from cors_wsgi import CORSPolicy
    >>> policy = CORSPolicy(
    ...     allow_origins=["http://localhost:3000", "https://*.example.com"],
    ...     allow_methods=["GET", "PUT"],
    ...     allow_headers=["content-type", "x-token"],
    ...     allow_credentials=True,
    ... )
    >>> policy.allow_methods
    ('GET', 'PUT')

Everything is checked when the policy is built and a mistake raises ``ConfigError`` naming the field and
the value. Everything that does not depend on a request (sets, header strings) is computed here, once,
so answering a request is a few dict and set lookups.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError
from .memo import ACTUAL_MEMO_SIZE, PREFLIGHT_MEMO_SIZE, Memo
from .origins import OriginFunc, OriginMatcher, normalize_config_origin

# RFC 9110 "token": what a method or a header field name may be made of.
TCHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
# Fetch upper-cases these six, and only these, when a page passes them in another case.
NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
# Chromium caps Access-Control-Max-Age at 7200 s, Firefox at 86400 s.
BROWSER_MAX_AGE_CAP = 86400


def is_token(value: str) -> bool:
    return bool(value) and TCHARS.issuperset(value)


@dataclass(frozen=True)
class CORSPolicy:
    """Who may read a resource from another origin, and how.

    ``allow_origins`` holds exact origins (``"http://localhost:3000"``), wildcard-subdomain patterns
    (``"https://*.example.com"``: any depth, never the apex), the literal ``"null"``, or ``"*"`` alone.
    There is no default origin: a policy that allows nothing is refused rather than opened up.
    """

    allow_origins: Sequence[str] = ()
    allow_origin_regex: str | None = None
    allow_origin_func: OriginFunc | None = None
    allow_methods: Sequence[str] = ("GET",)
    allow_headers: Sequence[str] = ()
    expose_headers: Sequence[str] = ()
    allow_credentials: bool = False
    max_age: int | None = 600
    allow_private_network: bool = False
    compiled: CompiledPolicy = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        setattr_ = object.__setattr__  # the dataclass is frozen; these run before anyone sees it
        setattr_(self, "allow_origins", _origins(self.allow_origins))
        setattr_(self, "allow_methods", _methods(self.allow_methods))
        setattr_(self, "allow_headers", _names("allow_headers", self.allow_headers, lower=True))
        setattr_(self, "expose_headers", _names("expose_headers", self.expose_headers, lower=False))
        for name in ("allow_credentials", "allow_private_network"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(name, f"{getattr(self, name)!r} is not a boolean (true or false)")
        _check_max_age(self.max_age)
        regex = _compile_regex(self.allow_origin_regex)
        if self.allow_origin_func is not None and not callable(self.allow_origin_func):
            raise ConfigError("allow_origin_func", f"{self.allow_origin_func!r} is not callable")
        if not self.allow_origins and regex is None and self.allow_origin_func is None:
            raise ConfigError(
                "allow_origins",
                "no origin is allowed: list the origins that may read this resource "
                "(e.g. allow_origins=['http://localhost:3000']); there is no allow-all default",
            )
        if "*" in self.allow_origins:
            if len(self.allow_origins) > 1 or regex is not None or self.allow_origin_func is not None:
                raise ConfigError(
                    "allow_origins",
                    f"'*' allows every origin and cannot be combined with others: {self.allow_origins!r}",
                )
            if self.allow_credentials:
                raise ConfigError(
                    "allow_origins",
                    "'*' together with allow_credentials=True would let every site read responses "
                    "with the user's cookies; list the trusted origins instead",
                )
        if self.allow_credentials and "null" in self.allow_origins:
            raise ConfigError(
                "allow_origins",
                "'null' together with allow_credentials=True: any site can get the origin 'null' "
                "(a sandboxed iframe, a data: URL), so this is as open as '*' with credentials",
            )
        if self.allow_credentials and "*" in self.expose_headers:
            raise ConfigError(
                "expose_headers",
                "'*' is a literal header name, not a wildcard, when allow_credentials=True; name the headers",
            )
        setattr_(self, "compiled", CompiledPolicy(self, regex))

    def replace(self, **changes: Any) -> CORSPolicy:
        """A new policy with some fields changed (validated like any other)."""
        return dataclasses.replace(self, **changes)


def _as_list(field_name: str, value: object) -> list[Any]:
    if isinstance(value, str) or not isinstance(value, Sequence | frozenset | set):
        hint = f"; did you mean [{value!r}]?" if isinstance(value, str) else ""
        raise ConfigError(field_name, f"{value!r} must be a list of strings{hint}")
    return list(value)


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _origins(value: object) -> tuple[str, ...]:
    out = []
    for item in _as_list("allow_origins", value):
        if item == "*" or (isinstance(item, str) and "*" in item):
            out.append(item)  # "*" and wildcard patterns are checked where they are compiled
        else:
            out.append(normalize_config_origin(item))
    return _unique(out)


def _methods(value: object) -> tuple[str, ...]:
    out = []
    for item in _as_list("allow_methods", value):
        if not isinstance(item, str) or not is_token(item):
            raise ConfigError("allow_methods", f"{item!r} is not a valid HTTP method name")
        upper = item.upper()
        out.append(upper if upper in NORMALIZED_METHODS else item)
    if "*" in out and len(out) > 1:
        raise ConfigError("allow_methods", f"'*' allows every method and cannot be combined: {out!r}")
    return _unique(out)


def _names(field_name: str, value: object, *, lower: bool) -> tuple[str, ...]:
    out = []
    for item in _as_list(field_name, value):
        if not isinstance(item, str) or not is_token(item):
            raise ConfigError(field_name, f"{item!r} is not a valid header name")
        out.append(item.lower() if lower else item)
    return _unique(out)


def _check_max_age(value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError("max_age", f"{value!r} is not a whole number of seconds (or None)")
    if value < 0:
        raise ConfigError("max_age", f"{value!r} is negative")


def _compile_regex(value: object) -> re.Pattern[str] | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError("allow_origin_regex", f"{value!r} is not a string")
    try:
        return re.compile(value)
    except re.error as exc:
        raise ConfigError(
            "allow_origin_regex", f"{value!r} is not a valid regular expression: {exc}"
        ) from None


# A preflight answer depends on these request headers, so a cache must key on them.
PREFLIGHT_VARY = ("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers")


class CompiledPolicy:
    """The request-independent parts of a policy, computed once: sets and ready header values."""

    __slots__ = (
        "actual_headers",
        "actual_memo",
        "allowed_headers",
        "allowed_methods",
        "any_header",
        "any_method",
        "any_origin",
        "any_origin_headers",
        "matcher",
        "policy",
        "preflight_headers",
        "preflight_memo",
        "preflight_vary",
        "preflight_vary_header",
        "private_network",
        "refusal_note",
        "vary_actual",
    )

    def __init__(self, policy: CORSPolicy, regex: re.Pattern[str] | None) -> None:
        self.policy = policy
        self.any_origin = policy.allow_origins == ("*",)
        self.matcher = OriginMatcher(
            () if self.any_origin else policy.allow_origins, regex, policy.allow_origin_func
        )
        self.any_method = policy.allow_methods == ("*",)
        self.allowed_methods = frozenset(policy.allow_methods)
        self.any_header = "*" in policy.allow_headers
        # With "*", Authorization must still be named: Fetch never lets the wildcard cover it.
        self.allowed_headers = frozenset(policy.allow_headers) - {"*"}
        self.private_network = policy.allow_private_network
        self.refusal_note: str | None = None  # set on internal policies that refuse for another reason
        self.preflight_vary = PREFLIGHT_VARY + (
            ("Access-Control-Request-Private-Network",) if policy.allow_private_network else ()
        )
        self.preflight_vary_header = ", ".join(self.preflight_vary)
        # When the answer does not depend on the Origin there is nothing for a cache to vary on.
        self.vary_actual = None if self.any_origin else "Origin"
        # Answers the middleware reuses (see middleware.py). They depend on request header values alone,
        # never on the environ, unless a user function decides about origins: then nothing is memoised.
        memoise = policy.allow_origin_func is None
        self.actual_memo: Memo[str, tuple[tuple[str, str], ...]] | None = (
            Memo(ACTUAL_MEMO_SIZE) if memoise else None
        )
        self.preflight_memo: Memo[tuple[str, str, str | None, str | None], Any] | None = (
            Memo(PREFLIGHT_MEMO_SIZE) if memoise else None
        )

        actual: list[tuple[str, str]] = []
        if policy.allow_credentials:
            actual.append(("Access-Control-Allow-Credentials", "true"))
        if policy.expose_headers:
            actual.append(("Access-Control-Expose-Headers", ", ".join(policy.expose_headers)))
        self.actual_headers = tuple(actual)
        self.any_origin_headers = (("Access-Control-Allow-Origin", "*"), *actual)

        # Expose-Headers belongs on actual responses only.
        preflight = [h for h in actual if h[0] != "Access-Control-Expose-Headers"]
        if not self.any_method:
            preflight.append(("Access-Control-Allow-Methods", ", ".join(policy.allow_methods)))
        if policy.max_age is not None:
            preflight.append(("Access-Control-Max-Age", str(policy.max_age)))
        self.preflight_headers = tuple(preflight)
