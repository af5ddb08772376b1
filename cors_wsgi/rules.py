"""Per-path rules: which policy covers which request path.

    >>> from cors_wsgi import CORSPolicy
    >>> rules = Rules([("/api/*", CORSPolicy(allow_origins=["http://localhost:3000"])),
    ...                ("/public/*", CORSPolicy(allow_origins=["*"]))])
    >>> rules.lookup("/public/logo.png").any_origin
    True
    >>> rules.lookup("/PUBLIC/logo.png") is None
    True
    >>> rules.lookup("/public/../api/secret") is DOT_SEGMENT
    True

A pattern is a path glob in which ``*`` matches any run of characters (``/`` included) and nothing else is
special. It is matched, case-sensitively, against the whole request path, ``SCRIPT_NAME + PATH_INFO``, as the
server already decoded it: nothing is unquoted a second time (CVE-2024-6844, CVE-2024-6866 in flask-cors).
The first rule that matches, in the order given, wins (CVE-2024-6839: no reordering by "specificity").
A path no rule matches is not touched: no CORS headers, and OPTIONS goes to the application.

A path with a ``.`` or ``..`` segment is its own outcome, ``DOT_SEGMENT``, and gets no grant at all.
Browsers resolve dot segments before sending, so such a path comes from an encoded slash
(``/public/..%2Fapi/secret`` arrives as ``/public/../api/secret``) or from a non-browser client; matched as
it stands it would take ``/public/*``'s policy, while a proxy or router that resolves it serves
``/api/secret``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Generic, TypeVar

from .errors import Collector, ConfigError
from .frozen import Frozen
from .policy import CORSPolicy

T = TypeVar("T")
U = TypeVar("U")

# What CORSMiddleware(app, rules=...) and load_config() take: (path glob, policy) pairs, tried in order.
RuleList = Sequence[tuple[str, CORSPolicy]]


def request_path(environ: Mapping[str, Any]) -> str:
    """The path rules match and logs name: ``SCRIPT_NAME + PATH_INFO``, as the server decoded it (PEP 3333
    lets a server leave out an empty one)."""
    try:  # two subscripts cost less than two calls of environ.get, and this runs on every request
        path: str = environ["SCRIPT_NAME"] + environ["PATH_INFO"]  # pragma: no mutate - as the fallback
    except KeyError:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return path


class _DotSegment:
    __slots__ = ()

    def __repr__(self) -> str:
        return "DOT_SEGMENT"


DOT_SEGMENT: Final = _DotSegment()
# The rule name that reports, decision events and logs give a path with a '.' or '..' segment.
DOT_SEGMENT_RULE = "(dot segment)"


class PathGlob(Frozen):
    """A ``*`` glob matched without regular expressions, so no path can make it backtrack. Immutable."""

    __slots__ = ("_parts", "exact", "pattern", "prefix", "prefix_end")

    pattern: str
    _parts: tuple[str, ...]
    prefix: str | None
    prefix_end: str
    exact: str | None

    def __init__(self, pattern: object, field: str = "rules") -> None:
        if not isinstance(pattern, str) or not pattern.startswith("/"):
            raise ConfigError(
                field,
                f"path pattern {pattern!r} must be a string starting with '/' (e.g. '/api/*')",
                value=pattern,
            )
        # PEP 3333 hands paths over as bytes decoded as latin-1; compare like with like.
        served = pattern.encode("utf-8").decode("latin-1")  # pragma: no mutate - codec names ignore case
        parts = tuple(served.split("*"))
        # "/api/*", the common shape, is a plain prefix test.
        prefix = parts[0] if len(parts) == 2 and not parts[1] else None
        # The paths that start with ``prefix`` are exactly those with prefix <= path < prefix_end (the
        # prefix with its last character raised by one): two string comparisons, cheaper than a call of
        # str.startswith. Paths and patterns are latin-1 text, so the raised character always exists.
        prefix_end = "" if prefix is None else prefix[:-1] + chr(ord(prefix[-1]) + 1)
        set_ = object.__setattr__
        set_(self, "pattern", pattern)
        set_(self, "_parts", parts)
        set_(self, "prefix", prefix)
        set_(self, "prefix_end", prefix_end)
        # A pattern without '*' matches one path only.
        set_(self, "exact", parts[0] if len(parts) == 1 else None)

    def matches(self, path: str) -> bool:
        parts = self._parts
        if len(parts) == 1:
            return path == parts[0]
        first, last = parts[0], parts[-1]
        end = len(path) - len(last)
        if end < len(first) or not path.startswith(first) or not path.endswith(last):
            return False
        # Leftmost placement of each middle piece is always a correct choice for '*'-only globs.
        pos = len(first)
        for middle in parts[1:-1]:
            found = path.find(middle, pos, end)
            if found == -1:
                return False
            pos = found + len(middle)
        return True

    def __repr__(self) -> str:
        return f"PathGlob({self.pattern!r})"


class Rules(Frozen, Generic[T]):
    """An ordered list of (path glob, target); the first match wins. Built from a ``RuleList``, the
    targets are compiled policies, and a path with a dot segment gets ``DOT_SEGMENT``; ``map`` gives the
    same globs other targets (the middleware's routes, one of them for the dot segment). Immutable."""

    __slots__ = ("dot_segment", "rules")

    rules: tuple[tuple[PathGlob, T], ...]
    dot_segment: T | _DotSegment

    def __init__(self, rules: RuleList) -> None:
        if isinstance(rules, str | bytes) or not isinstance(rules, Sequence) or not rules:
            raise ConfigError(
                "rules",
                f"{rules!r} must be a non-empty list of (path pattern, CORSPolicy) pairs",
                value=rules,
            )
        errors = Collector()
        compiled: list[tuple[PathGlob, Any]] = []
        for index, rule in enumerate(rules):
            if not (isinstance(rule, tuple | list) and len(rule) == 2 and isinstance(rule[1], CORSPolicy)):
                errors.add(
                    ConfigError(
                        f"rules[{index}]", f"{rule!r} is not a (path pattern, CORSPolicy) pair", value=rule
                    )
                )
                continue
            with errors.check():
                compiled.append((PathGlob(rule[0], f"rules[{index}]"), rule[1].compiled))
        errors.raise_if_any()
        object.__setattr__(self, "rules", tuple(compiled))
        object.__setattr__(self, "dot_segment", DOT_SEGMENT)

    def map(self, function: Callable[[str, T | _DotSegment], U]) -> Rules[U]:
        """The same globs, in the same order, each target replaced by ``function(pattern, target)``; the
        dot segment's by ``function(DOT_SEGMENT_RULE, self.dot_segment)``."""
        mapped: Rules[U] = Rules.__new__(Rules)
        object.__setattr__(
            mapped, "rules", tuple((glob, function(glob.pattern, target)) for glob, target in self.rules)
        )
        object.__setattr__(mapped, "dot_segment", function(DOT_SEGMENT_RULE, self.dot_segment))
        return mapped

    def lookup(self, path: str) -> T | _DotSegment | None:
        """The target of the first rule matching ``path``; the dot segment's target (``DOT_SEGMENT`` unless
        mapped); or ``None`` (no rule)."""
        if "/." in path and _has_dot_segment(path):
            return self.dot_segment
        for glob, target in self.rules:  # pragma: no mutate block - the prefix test only spares matches()
            prefix = glob.prefix
            if prefix <= path < glob.prefix_end if prefix is not None else glob.matches(path):
                return target
        return None


def _has_dot_segment(path: str) -> bool:
    return any(segment in (".", "..") for segment in path.split("/"))
