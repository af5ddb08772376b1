"""Per-path rules: which policy covers which request path.

    >>> from cors_wsgi import CORSPolicy
    >>> rules = Rules([("/api/*", CORSPolicy(allow_origins=["http://localhost:3000"])),
    ...                ("/public/*", CORSPolicy(allow_origins=["*"]))])
    >>> rules.policy_for("/public/logo.png").any_origin
    True
    >>> rules.policy_for("/PUBLIC/logo.png") is None
    True

A pattern is a path glob in which ``*`` matches any run of characters (``/`` included) and nothing else is
special. It is matched, case-sensitively, against the whole request path, ``SCRIPT_NAME + PATH_INFO``, as the
server already decoded it: nothing is unquoted a second time (CVE-2024-6844, CVE-2024-6866 in flask-cors).
The first rule that matches, in the order given, wins (CVE-2024-6839: no reordering by "specificity").
A path no rule matches is not touched: no CORS headers, and OPTIONS goes to the application.

A path with a ``.`` or ``..`` segment gets no grant at all. Browsers resolve dot segments before sending,
so such a path comes from an encoded slash (``/public/..%2Fapi/secret`` arrives as
``/public/../api/secret``) or from a non-browser client; matched as it stands it would take ``/public/*``'s
policy, while a proxy or router that resolves it serves ``/api/secret``.
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import ConfigError
from .policy import CompiledPolicy, CORSPolicy


class PathGlob:
    """A ``*`` glob matched without regular expressions, so no path can make it backtrack."""

    __slots__ = ("_parts", "pattern", "prefix")

    def __init__(self, pattern: object, field: str = "rules") -> None:
        if not isinstance(pattern, str) or not pattern.startswith("/"):
            raise ConfigError(
                field, f"path pattern {pattern!r} must be a string starting with '/' (e.g. '/api/*')"
            )
        self.pattern = pattern
        # PEP 3333 hands paths over as bytes decoded as latin-1; compare like with like.
        self._parts = pattern.encode("utf-8").decode("latin-1").split("*")
        # "/api/*", the common shape, is a plain prefix test.
        self.prefix = self._parts[0] if len(self._parts) == 2 and not self._parts[1] else None

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
            if found < 0:
                return False
            pos = found + len(middle)
        return True

    def __repr__(self) -> str:
        return f"PathGlob({self.pattern!r})"


class Rules:
    """An ordered list of (path glob, policy); the first match wins."""

    __slots__ = ("rules",)

    def __init__(self, rules: Sequence[tuple[str, CORSPolicy]]) -> None:
        if isinstance(rules, str | bytes) or not isinstance(rules, Sequence) or not rules:
            raise ConfigError(
                "rules", f"{rules!r} must be a non-empty list of (path pattern, CORSPolicy) pairs"
            )
        compiled: list[tuple[PathGlob, CompiledPolicy]] = []
        for index, rule in enumerate(rules):
            if not (isinstance(rule, tuple | list) and len(rule) == 2 and isinstance(rule[1], CORSPolicy)):
                raise ConfigError(f"rules[{index}]", f"{rule!r} is not a (path pattern, CORSPolicy) pair")
            compiled.append((PathGlob(rule[0], f"rules[{index}]"), rule[1].compiled))
        self.rules = tuple(compiled)

    def policy_for(self, path: str) -> CompiledPolicy | None:
        if "/." in path and _has_dot_segment(path):
            return REFUSE_ALL
        for glob, policy in self.rules:
            prefix = glob.prefix
            if path.startswith(prefix) if prefix is not None else glob.matches(path):
                return policy
        return None


def _has_dot_segment(path: str) -> bool:
    return any(segment in (".", "..") for segment in path.split("/"))


def _no_origin(origin: str, environ: object) -> bool:
    return False


# What a path with dot segments gets: every preflight refused, no Access-Control-* on any response.
REFUSE_ALL = CORSPolicy(allow_origin_func=_no_origin, allow_methods=(), max_age=None).compiled
REFUSE_ALL.refusal_note = "the path has a '.' or '..' segment: no rule grants CORS to such a path"
