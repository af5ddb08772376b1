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
from collections.abc import Collection, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from .answers import ConstantActuals, constant_actuals
from .errors import Collector, ConfigError, did_you_mean
from .frozen import Frozen
from .grammar import NORMALIZED_METHODS, is_insecure_origin, is_token
from .headers import PREFLIGHT_VARY, PRIVATE_NETWORK_VARY, vary_header
from .origin_probes import CREDENTIALS, Stakes, policy_admits, refusal, regex_admits
from .origins import OriginFunc, OriginMatcher, normalize_config_origin, parse_wildcard
from .regexes import backtracking_construct, combine, compile_pattern


@dataclass(frozen=True)
class CORSPolicy:
    """Who may read a resource from another origin, and how. Validated when built (every mistake reported
    at once in one ``ConfigError``), immutable afterwards (``replace()`` gives a new, re-validated policy).

    ``allow_origins``: the origins that may read, as browsers send them: exact (``"http://localhost:3000"``),
    subdomain patterns (``"https://*.example.com"``: any depth, never the apex), port patterns
    (``"http://localhost:*"``: that scheme and host on any port; ``"https://*.example.com:*"``), the literal
    ``"null"``, or ``"*"`` alone. No default: a policy that allows nothing is refused, not opened up.
    ``allow_origin_regex``: a regular expression, or a list of them, each matched against the whole origin;
    shapes that can backtrack are refused, and with credentials any that admits someone else's origin
    (``https://.*example\\.com`` admits ``https://evilexample.com``; see ``cors_wsgi.origin_probes``).
    ``allow_origin_func``: ``f(origin, environ) -> bool`` for the origins no list names (only well-formed
    origins reach it; an exception it raises refuses the origin).
    ``allow_origin_func_vary``: the request headers that function reads besides Origin (Host, a tenant
    header); they join ``Vary`` so that no cache serves one tenant's answer to another.
    ``allow_methods``: methods a preflight may ask for (default ``GET``; ``"*"`` for any: a literal ``*``
    without credentials, echoed with them). ``allow_headers``: request headers a preflight may ask for
    (default none: a JSON body needs ``"content-type"``; ``"*"`` for any but Authorization, which must be
    named). ``expose_headers``: response headers the page's script may read beyond the safelisted ones.
    ``allow_credentials``: cookies and HTTP authentication (never with ``"*"``; plain ``http://`` origins
    other than loopback need ``tolerate_insecure_origins``). ``max_age``: seconds a browser may cache a
    preflight's answer (default 600; ``None`` sends no Access-Control-Max-Age). ``allow_private_network``:
    answer Private Network Access preflights (off by default). ``tolerate_insecure_origins``: accept
    ``http://`` origins that are not loopback together with credentials, knowingly.
    """

    allow_origins: Collection[str] = ()
    allow_origin_regex: str | Collection[str] | None = None
    allow_origin_func: OriginFunc | None = None
    allow_origin_func_vary: Collection[str] = ()
    allow_methods: Collection[str] = ("GET",)
    allow_headers: Collection[str] = ()
    expose_headers: Collection[str] = ()
    allow_credentials: bool = False
    max_age: int | None = 600
    allow_private_network: bool = False
    tolerate_insecure_origins: bool = False
    compiled: CompiledPolicy = field(init=False, repr=False, compare=False)

    def __new__(cls, *args: Any, **fields: Any) -> CORSPolicy:
        # Runs before the generated __init__, so a misspelt keyword is a ConfigError, not a TypeError.
        unknown = [name for name in fields if name not in POLICY_FIELDS]
        if unknown:
            raise ConfigError.collect([unknown_field(name, "CORSPolicy argument") for name in unknown])
        return super().__new__(cls)

    def __post_init__(self) -> None:
        setattr_ = object.__setattr__  # the dataclass is frozen; these run before anyone sees it
        errors = Collector()
        with errors.check():
            setattr_(self, "allow_origins", _origins(self.allow_origins))
        with errors.check():
            setattr_(self, "allow_methods", _methods(self.allow_methods))
        with errors.check():
            setattr_(self, "allow_headers", _names("allow_headers", self.allow_headers, lower=True))
        with errors.check():
            setattr_(self, "expose_headers", _names("expose_headers", self.expose_headers, lower=False))
        with errors.check():
            setattr_(
                self,
                "allow_origin_func_vary",
                _names("allow_origin_func_vary", self.allow_origin_func_vary, lower=False),
            )
        for name in ("allow_credentials", "allow_private_network", "tolerate_insecure_origins"):
            value = getattr(self, name)
            if not isinstance(value, bool):
                errors.add(ConfigError(name, f"{value!r} is not a boolean (true or false)", value=value))
        with errors.check():
            _check_max_age(self.max_age)
        regex = None
        with errors.check():
            regex = _compile_regex(self.allow_origin_regex)
            if not isinstance(self.allow_origin_regex, str | None):
                setattr_(self, "allow_origin_regex", tuple(self.allow_origin_regex))
        if self.allow_origin_func is not None and not callable(self.allow_origin_func):
            errors.add(
                ConfigError(
                    "allow_origin_func",
                    f"{self.allow_origin_func!r} is not callable",
                    value=self.allow_origin_func,
                )
            )
        errors.raise_if_any()  # the combinations below need each field sound on its own
        for problem in _combinations(self, regex):
            errors.add(problem)
        errors.raise_if_any()
        setattr_(self, "compiled", CompiledPolicy(self, regex))

    def replace(self, **changes: Any) -> CORSPolicy:
        """A new policy with some fields changed (validated like any other)."""
        return dataclasses.replace(self, **changes)


POLICY_FIELDS = tuple(f.name for f in dataclasses.fields(CORSPolicy) if f.init)
# Names other CORS libraries use for the same settings: a "did you mean" that difflib cannot find.
PEER_NAMES = {
    "origins": "allow_origins",
    "allowed_origins": "allow_origins",
    "cors_allowed_origins": "allow_origins",
    "supports_credentials": "allow_credentials",
    "methods": "allow_methods",
    "headers": "allow_headers",
    "exposed_headers": "expose_headers",
    # flask-cors and django-cors-headers
    "resources": "rules",
    "cors_urls_regex": "rules",
    "cors_allowed_origin_regexes": "allow_origin_regex",
    "cors_allow_credentials": "allow_credentials",
    "cors_allow_methods": "allow_methods",
    "cors_allow_headers": "allow_headers",
    "cors_expose_headers": "expose_headers",
    "cors_preflight_max_age": "max_age",
    "cors_allow_private_network": "allow_private_network",
    "intercept_exceptions": "catch_exceptions",
}


def unknown_field(name: str, what: str, choices: Sequence[str] = POLICY_FIELDS) -> ConfigError:
    """The error for a setting name that does not exist, with the closest real one."""
    return ConfigError(
        name, f"unknown {what} {name!r}", value=name, hint=did_you_mean(name, choices, PEER_NAMES)
    )


def _combinations(policy: CORSPolicy, regex: re.Pattern[str] | None) -> list[ConfigError]:
    """Mistakes in how sound fields are put together."""
    out = origin_refusals(policy) if policy.allow_credentials else []
    if policy.allow_credentials and not policy.tolerate_insecure_origins:
        for origin in policy.allow_origins:
            if is_insecure_origin(origin):
                out.append(
                    ConfigError(
                        "allow_origins",
                        f"{origin!r} is plain http:// with allow_credentials=True: anyone who can tamper "
                        "with that page's traffic can read credentialed responses; use https://, or set "
                        "tolerate_insecure_origins=True to accept the risk",
                        value=origin,
                    )
                )
    origins = policy.allow_origins
    # An empty list of regexes compiles to no regex: it allows nobody, like no regex at all.
    has_regex, has_func = regex is not None, policy.allow_origin_func is not None
    if policy.allow_origin_func_vary and not has_func:
        out.append(
            ConfigError(
                "allow_origin_func_vary",
                "names the request headers allow_origin_func reads (for Vary), but no allow_origin_func "
                "is set",
                value=policy.allow_origin_func_vary,
            )
        )
    if not origins and not has_regex and not has_func:
        out.append(
            ConfigError(
                "allow_origins",
                "no origin is allowed: list the origins that may read this resource "
                "(e.g. allow_origins=['http://localhost:3000']); there is no allow-all default",
                value=origins,
            )
        )
    if "*" in origins and (len(origins) > 1 or has_regex or has_func):
        # One error naming everything '*' meets: the other sources would mean nothing, and credentials
        # would make '*' itself refused.
        others = [repr(origin) for origin in origins if origin != "*"]
        if has_regex:
            others.append(f"allow_origin_regex {policy.allow_origin_regex!r}")
        if has_func:
            others.append("allow_origin_func")
        advice = (
            "; with allow_credentials=True '*' would also let every site read responses with the user's "
            "cookies: list the trusted origins instead"
            if policy.allow_credentials
            else ": keep '*' alone, or drop it"
        )
        out.append(
            ConfigError(
                "allow_origins",
                f"'*' allows every origin and cannot be combined with {', '.join(others)}{advice}",
                value=origins,
            )
        )
    elif "*" in origins and policy.allow_credentials:
        out.append(
            ConfigError(
                "allow_origins",
                "'*' together with allow_credentials=True would let every site read responses "
                "with the user's cookies; list the trusted origins instead",
                value=origins,
            )
        )
    if policy.allow_credentials and "null" in origins:
        out.append(
            ConfigError(
                "allow_origins",
                "'null' together with allow_credentials=True: any site can get the origin 'null' "
                "(a sandboxed iframe, a data: URL), so this is as open as '*' with credentials",
                value="null",
            )
        )
    if policy.allow_credentials and "*" in policy.expose_headers:
        out.append(
            ConfigError(
                "expose_headers",
                "'*' is a literal header name, not a wildcard, when allow_credentials=True; name the headers",
                value="*",
            )
        )
    return out


def origin_refusals(policy: CORSPolicy, stakes: Stakes = CREDENTIALS) -> list[ConfigError]:
    """The wildcard patterns and regexes of ``policy`` that admit someone else's origin (or, unless
    tolerated, a plain-http one), as errors. ``allow_credentials=True`` refuses them; a setting that trusts
    the allowed origins in another way (a guard against cross-origin writes) refuses the same, passing its
    own ``stakes`` for the message."""
    regexes = policy.allow_origin_regex
    patterns = [regexes] if isinstance(regexes, str) else list(regexes or ())
    return [
        refusal(found, stakes)
        for found in policy_admits(policy.allow_origins, patterns)
        if not (found.insecure and policy.tolerate_insecure_origins)
    ]


def _as_list(field_name: str, value: object) -> list[Any]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Collection):
        hint = f"; did you mean [{value!r}]?" if isinstance(value, str) else ""
        raise ConfigError(field_name, f"{value!r} must be a list of strings", value=value, hint=hint)
    if isinstance(value, Set):
        # A set has no order; the header values built from it must not change from run to run.
        return sorted(value, key=str)
    return list(value)


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _origins(value: object) -> tuple[str, ...]:
    errors = Collector()
    out = []
    for item in _as_list("allow_origins", value):
        with errors.check():
            if item == "*":
                out.append(item)
            elif isinstance(item, str) and "*" in item:
                # Validated here so every bad origin is reported with the others; kept normalised, like
                # exact origins, so that no check downstream can be dodged by an upper-case scheme.
                out.append(str(parse_wildcard(item)))
            else:
                out.append(normalize_config_origin(item))
    errors.raise_if_any()
    return _unique(out)


def _methods(value: object) -> tuple[str, ...]:
    errors = Collector()
    out = []
    for item in _as_list("allow_methods", value):
        if not isinstance(item, str) or not is_token(item):
            errors.add(ConfigError("allow_methods", f"{item!r} is not a valid HTTP method name", value=item))
            continue
        upper = item.upper()
        out.append(upper if upper in NORMALIZED_METHODS else item)
    if "*" in out and len(out) > 1:
        errors.add(
            ConfigError(
                "allow_methods", f"'*' allows every method and cannot be combined: {out!r}", value=out
            )
        )
    errors.raise_if_any()
    return _unique(out)


def _names(field_name: str, value: object, *, lower: bool) -> tuple[str, ...]:
    errors = Collector()
    out = []
    for item in _as_list(field_name, value):
        if not isinstance(item, str) or not is_token(item):
            errors.add(ConfigError(field_name, f"{item!r} is not a valid header name", value=item))
            continue
        out.append(item.lower() if lower else item)
    errors.raise_if_any()
    return _unique(out)


def _check_max_age(value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError("max_age", f"{value!r} is not a whole number of seconds (or None)", value=value)
    if value < 0:
        raise ConfigError("max_age", f"{value!r} is negative", value=value)


def _compile_regex(value: object) -> re.Pattern[str] | None:
    """One pattern, or several (each a full match), as one compiled regex; shapes that backtrack refused."""
    if value is None:
        return None
    if not isinstance(value, str | list | tuple):
        raise ConfigError(
            "allow_origin_regex", f"{value!r} is not a string (or a list of strings)", value=value
        )
    patterns = [value] if isinstance(value, str) else list(value)
    errors = Collector()
    for pattern in patterns:
        if not isinstance(pattern, str):
            errors.add(ConfigError("allow_origin_regex", f"{pattern!r} is not a string", value=pattern))
            continue
        try:
            compile_pattern(pattern)
        except (re.error, RecursionError, OverflowError) as exc:
            errors.add(
                ConfigError(
                    "allow_origin_regex",
                    f"{pattern!r} is not a valid regular expression: {exc}",
                    value=pattern,
                )
            )
            continue
        construct = backtracking_construct(pattern)
        if construct is not None:
            # What it admits comes first: rewritten without the backtracking, it would still let them in.
            leak = next((found for found in regex_admits(pattern) if not found.insecure), None)
            admits = f"admits {leak.origin!r} ({leak.reason}): {leak.fix}; it also " if leak else ""
            errors.add(
                ConfigError(
                    "allow_origin_regex",
                    f"{pattern!r} {admits}has {construct}, which can make one crafted Origin cost seconds "
                    "and freeze the worker; write it without nested or overlapping repeats, or use a "
                    "wildcard pattern in allow_origins such as 'https://*.example.com'",
                    value=pattern,
                )
            )
    errors.raise_if_any()
    if not patterns:
        return None
    return combine(patterns)


_PREFLIGHT_VARY_LOWER = frozenset(name.lower() for name in PREFLIGHT_VARY)


class CompiledPolicy(Frozen):
    """The request-independent parts of a policy, computed once: sets and ready header values.

    A value like the policy it comes from: no attribute can be assigned or deleted after construction, and
    every attribute is itself immutable (frozensets, tuples, strings, the frozen policy and matcher).
    """

    __slots__ = (
        "actual_grant",
        "actual_vary",
        "actual_vary_header",
        "actuals",
        "any_header",
        "any_method",
        "any_origin",
        "any_origin_grant",
        "header_names",
        "matcher",
        "methods",
        "origin_only_grant",
        "policy",
        "preflight_grant",
        "preflight_vary",
        "private_network",
        "star_headers",
        "star_methods",
    )

    policy: CORSPolicy
    any_origin: bool
    matcher: OriginMatcher
    any_method: bool
    methods: frozenset[str]
    any_header: bool
    header_names: frozenset[str]
    private_network: bool
    actual_vary: tuple[str, ...]
    actual_vary_header: tuple[tuple[str, str], ...]  # the Vary header of actual_vary, built once
    preflight_vary: tuple[str, ...]
    actual_grant: tuple[tuple[str, str], ...]
    any_origin_grant: tuple[tuple[str, str], ...]
    actuals: ConstantActuals
    origin_only_grant: tuple[tuple[str, str], ...]
    star_methods: bool
    star_headers: bool
    preflight_grant: tuple[tuple[str, str], ...]

    def __init__(self, policy: CORSPolicy, regex: re.Pattern[str] | None) -> None:
        set_ = object.__setattr__  # Frozen: this is the only place values are set
        set_(self, "policy", policy)
        any_origin = policy.allow_origins == ("*",)
        set_(self, "any_origin", any_origin)
        set_(
            self,
            "matcher",
            OriginMatcher(() if any_origin else policy.allow_origins, regex, policy.allow_origin_func),
        )
        any_method = policy.allow_methods == ("*",)
        set_(self, "any_method", any_method)
        set_(self, "methods", frozenset(policy.allow_methods))
        any_header = "*" in policy.allow_headers
        set_(self, "any_header", any_header)
        # With "*", Authorization must still be named: Fetch never lets the wildcard cover it.
        header_names = frozenset(policy.allow_headers) - {"*"}
        set_(self, "header_names", header_names)
        set_(self, "private_network", policy.allow_private_network)
        # Vary tokens of an answer that depends on the Origin (a "*" answer does not, and has none:
        # answers.constant_actuals). An origin function that reads other request headers (Host, a tenant
        # header) makes the answer depend on them too: they join Origin in Vary.
        func_vary = tuple(
            name for name in policy.allow_origin_func_vary if name.lower() not in _PREFLIGHT_VARY_LOWER
        )
        actual_vary = ("Origin", *func_vary)
        set_(self, "actual_vary", actual_vary)
        set_(self, "actual_vary_header", vary_header(actual_vary))
        set_(
            self,
            "preflight_vary",
            PREFLIGHT_VARY + func_vary + (PRIVATE_NETWORK_VARY if policy.allow_private_network else ()),
        )

        # What an allowed actual response gets after Access-Control-Allow-Origin.
        grant: list[tuple[str, str]] = []
        if policy.allow_credentials:
            grant.append(("Access-Control-Allow-Credentials", "true"))
        if policy.expose_headers:
            grant.append(("Access-Control-Expose-Headers", ", ".join(policy.expose_headers)))
        set_(self, "actual_grant", tuple(grant))
        set_(self, "any_origin_grant", (("Access-Control-Allow-Origin", "*"), *grant))
        set_(self, "actuals", constant_actuals(self.any_origin_grant, self.actual_vary))

        # What an allowed preflight gets after Access-Control-Allow-Origin (Expose-Headers is for actual
        # responses only); Allow-Methods/-Headers that echo the request are added per request.
        # The same start serves a preflight refused for its method or headers in debug mode: the grant of
        # the origin alone, so the browser's console names the method or header at fault (decision).
        origin_only_grant = tuple(h for h in grant if h[0] != "Access-Control-Expose-Headers")
        set_(self, "origin_only_grant", origin_only_grant)
        preflight = list(origin_only_grant)
        # Without credentials a literal "*" means "any", and the browser's preflight cache then covers
        # later requests with other methods or headers too. With credentials browsers read "*" as a
        # name, so the grant echoes what was asked (see decision.preflight).
        star_methods = any_method and not policy.allow_credentials
        star_headers = any_header and not policy.allow_credentials
        set_(self, "star_methods", star_methods)
        set_(self, "star_headers", star_headers)
        if not any_method:
            preflight.append(("Access-Control-Allow-Methods", ", ".join(policy.allow_methods)))
        elif star_methods:
            preflight.append(("Access-Control-Allow-Methods", "*"))
        if star_headers:
            # The wildcard never covers Authorization: it is named beside it when the policy lists it.
            named = ", authorization" if "authorization" in header_names else ""
            preflight.append(("Access-Control-Allow-Headers", "*" + named))
        if policy.max_age is not None:
            preflight.append(("Access-Control-Max-Age", str(policy.max_age)))
        set_(self, "preflight_grant", tuple(preflight))
