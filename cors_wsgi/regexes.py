"""Configured origin regexes: only shapes that match in linear time, and never one that admits any origin.

    >>> backtracking_construct(r"https://(a|a)+\\.example\\.com")
    "a repeated group whose alternatives overlap: '(a|a)+'"
    >>> backtracking_construct(r"https://pr-[0-9]+\\.preview\\.example\\.com") is None
    True
    >>> admits_arbitrary_origins(re.compile(r"https://.+"))
    True

Python's ``re`` backtracks: a pattern such as ``(a|a)+`` or ``(a+)+`` makes one crafted Origin cost seconds
while holding the interpreter lock, freezing every thread of a worker. The length bound on origins does not
help against exponential time. So a pattern is parsed with the stdlib's own parser (``re._parser``, the
same one ``re.compile`` uses) and refused when it has a construct that can backtrack badly:

- a repeat inside a repeat (``(a+)+``, ``(\\w*\\.)*``);
- a repeat over alternatives that can start with the same character (``(a|ab)+``, ``(.|\\w)+``);
- three or more unbounded repeats that can all match one same character (``.*.*.*``: polynomial);
- a back-reference (not a regular language at all).

What is left matches in time linear in the Origin's length, bounded by ``MAX_ORIGIN_LENGTH`` before the
regex runs. A wildcard pattern (``https://*.example.com``) covers the common need without any regex.
"""

from __future__ import annotations

import importlib
import re
import sys
from typing import Any

# The parser re.compile itself uses; it moved in Python 3.11 (the old names still work there, deprecated).
_c: Any = importlib.import_module("re._constants" if sys.version_info >= (3, 11) else "sre_constants")
_p: Any = importlib.import_module("re._parser" if sys.version_info >= (3, 11) else "sre_parse")

Chars = frozenset[str] | None  # a first-character set; None: any character
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)}
_UNBOUNDED = _c.MAXREPEAT

# Origins no policy lists: if a pattern matches these, it matches anything (reflect-all in disguise).
PROBE_ORIGINS = (
    "https://cors-wsgi-probe-q7x.invalid",
    "http://cors-wsgi-probe-q7x.invalid",
    "https://q7x.cors-wsgi-probe.invalid:8443",
    "https://a.b.c.probe-k2.invalid",
)


def admits_arbitrary_origins(regex: re.Pattern[str]) -> bool:
    """Whether the pattern fully matches origins under ``.invalid``, which no real policy lists."""
    return any(regex.fullmatch(origin) for origin in PROBE_ORIGINS)


def backtracking_construct(pattern: str) -> str | None:
    """The first construct of ``pattern`` that can backtrack super-linearly, described; or ``None``."""
    try:
        parsed = _p.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None  # re.compile reports it
    found = _scan(list(parsed), pattern)
    if found:
        return found
    broad = _unbounded_repeats(list(parsed))
    for i, first in enumerate(broad):
        for j in range(i + 1, len(broad)):
            for k in range(j + 1, len(broad)):
                if _overlap(_meet(first, broad[j]), broad[k]):
                    return "three or more unbounded repeats that can match the same character (e.g. '.*.*.*')"
    return None


def _scan(items: list[tuple[Any, Any]], pattern: str) -> str | None:
    for op, arg in items:
        if op in _REPEATS:
            _, high, body = arg
            repeats = high == _UNBOUNDED or high > 1
            if repeats and _ambiguous_inner_repeat(list(body)):
                return "a repeat inside a repeated group (e.g. '(a+)+')"
            if repeats and _has_overlapping_branches(list(body)):
                return f"a repeated group whose alternatives overlap: {_shown(pattern)}"
            found = _scan(list(body), pattern)
            if found:
                return found
        elif op == _c.SUBPATTERN:
            found = _scan(list(arg[-1]), pattern)
            if found:
                return found
        elif op == _c.BRANCH:
            for branch in arg[1]:
                found = _scan(list(branch), pattern)
                if found:
                    return found
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            found = _scan(list(arg[1]), pattern)
            if found:
                return found
        elif op in (_c.GROUPREF, getattr(_c, "GROUPREF_EXISTS", _c.GROUPREF)):
            return "a back-reference"
    return None


def _shown(pattern: str) -> str:
    match = re.search(r"\([^()]*\|[^()]*\)[+*]|\([^()]*\|[^()]*\)\{", pattern)
    return repr(match.group(0)) if match else repr(pattern)


def _ambiguous_inner_repeat(body: list[tuple[Any, Any]]) -> bool:
    """Whether a repeated body holds a variable repeat whose end the engine cannot tell apart.

    ``([a-z0-9-]+\\.)+`` is safe: each inner run must stop at a ``.`` it cannot match. ``(a+)+`` is not: the
    next iteration starts with what the inner repeat matches, so the input splits in exponentially many ways.
    """
    items = _flatten(body)
    for index, (op, arg) in enumerate(items):
        if op not in _REPEATS or arg[0] == arg[1]:
            continue
        inner = _first(list(arg[2]))
        follower = items[index + 1] if index + 1 < len(items) else None
        following = _first([follower]) if follower is not None and _mandatory(follower) else None
        if follower is None:
            following = _first(body)
        if _overlap(inner, following):
            return True
    return False


def _flatten(items: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    out: list[tuple[Any, Any]] = []
    for op, arg in items:
        if op == _c.SUBPATTERN:
            out += _flatten(list(arg[-1]))
        else:
            out.append((op, arg))
    return out


def _mandatory(item: tuple[Any, Any]) -> bool:
    op, arg = item
    return op in (_c.LITERAL, _c.IN, _c.ANY) or (op in _REPEATS and arg[0] >= 1)


def _has_overlapping_branches(items: list[tuple[Any, Any]]) -> bool:
    """Whether a sequence (a repeat's body) holds alternatives that can start with the same character.

    The parser factors common prefixes out (``(a|a)`` becomes ``a`` then two empty alternatives), so
    empty alternatives count as overlapping everything.
    """
    for op, arg in items:
        if op == _c.SUBPATTERN and _has_overlapping_branches(list(arg[-1])):
            return True
        if op == _c.BRANCH:
            firsts = [_first(list(branch)) for branch in arg[1]]
            if any(
                _overlap(firsts[i], firsts[j]) for i in range(len(firsts)) for j in range(i + 1, len(firsts))
            ):
                return True
    return False


def _first(items: list[tuple[Any, Any]]) -> Chars:
    """The characters the sequence can start with; ``None`` when that is not a small known set."""
    for op, arg in items:
        if op == _c.LITERAL:
            return frozenset(chr(arg))
        if op == _c.IN:
            return _class_chars(arg)
        if op == _c.SUBPATTERN:
            return _first(list(arg[-1]))
        if op in _REPEATS:
            low, _, body = arg
            first = _first(list(body))
            if low == 0:
                return None  # may be skipped: what follows can start too
            return first
        if op in (_c.AT,):
            continue
        return None
    return None


def _class_chars(arg: Any) -> Chars:
    chars: set[str] = set()
    for op, value in arg:
        if op == _c.LITERAL:
            chars.add(chr(value))
        elif op == _c.RANGE and value[1] - value[0] < 256:
            chars.update(chr(c) for c in range(value[0], value[1] + 1))
        else:
            return None  # negation, categories (\w, \d) or big ranges: treat as anything
    return frozenset(chars)


def _unbounded_repeats(items: list[tuple[Any, Any]]) -> list[Chars]:
    out = []
    for op, arg in items:
        if op in _REPEATS and arg[1] == _UNBOUNDED:
            out.append(_first(list(arg[2])))
        elif op == _c.SUBPATTERN:
            out += _unbounded_repeats(list(arg[-1]))
    return out


def _overlap(a: Chars, b: Chars) -> bool:
    if a is None or b is None:
        return a != frozenset() and b != frozenset()
    return not a.isdisjoint(b)


def _meet(a: Chars, b: Chars) -> Chars:
    """The characters in both (None: any)."""
    if a is None:
        return b
    if b is None:
        return a
    return a & b
