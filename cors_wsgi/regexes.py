"""Configured origin regexes: only shapes that match in linear time, and never one that admits any origin.

    >>> backtracking_construct(r"https://(a|a)+\\.example\\.com")
    "a repeated group whose alternatives overlap: '(a|a)+'"
    >>> backtracking_construct(r"https://(a+)+\\.example\\.com")
    "a repeat inside a repeated group: 'a+' inside '(a+)+'"
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
- three or more unbounded repeats that can all match one same character (``.*.*.*``: polynomial), or
  three or more variable ones (``[a-z]?[a-z]?[a-z]?``: a run of them fails in exponential time);
- a back-reference (not a regular language at all).

The refusal quotes the repeats at fault as the user wrote them (the parser keeps no positions, so
``repeat_texts`` finds each repeat's text with a small scanner and pairs them up in order).
What is left matches in time linear in the Origin's length, bounded by ``MAX_ORIGIN_LENGTH`` before the
regex runs. A wildcard pattern (``https://*.example.com``) covers the common need without any regex.
"""

from __future__ import annotations

import importlib
import re
import sys
import warnings
from typing import Any, NamedTuple

# The parser re.compile itself uses; it moved in Python 3.11 (the old names still work there, deprecated).
_c: Any = importlib.import_module("re._constants" if sys.version_info >= (3, 11) else "sre_constants")
_p: Any = importlib.import_module("re._parser" if sys.version_info >= (3, 11) else "sre_parse")

Chars = frozenset[str] | None  # a first-character set; None: any character
REPEATS = frozenset({_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)})
_UNBOUNDED = _c.MAXREPEAT
_SCOPED_FLAGS = (
    (re.ASCII, "a"),
    (re.IGNORECASE, "i"),
    (re.MULTILINE, "m"),
    (re.DOTALL, "s"),
    (re.VERBOSE, "x"),
)
_LEADING_FLAGS = re.compile(r"(?:\(\?[aiLmsux]+\))+")
# In a verbose pattern, whitespace and comments may stand between its leading flag groups.
_LEADING_FLAGS_VERBOSE = re.compile(r"(?:\(\?[aiLmsux]+\)(?:\s+|#[^\n]*)*)+")

# Origins no policy lists: if a pattern matches these, it matches anything (reflect-all in disguise).
PROBE_ORIGINS = (
    "https://cors-wsgi-probe-q7x.invalid",
    "http://cors-wsgi-probe-q7x.invalid",
    "https://q7x.cors-wsgi-probe.invalid:8443",
    "https://a.b.c.probe-k2.invalid",
)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """``re.compile``, with flags placed anywhere but the start refused on every Python version (3.10 only
    warns, and then applies them to the whole expression); raises ``re.error`` like ``re.compile``."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
            return re.compile(pattern)
        except DeprecationWarning as exc:
            raise re.error(str(exc)) from None


def combine(patterns: list[str]) -> re.Pattern[str]:
    """One compiled regex that fully matches what any of ``patterns`` fully matches.

    Each pattern keeps its own inline flags: ``(?i)`` at the start of one (global there, and an error
    anywhere else) becomes ``(?i:...)`` around it, so it neither breaks the union nor leaks into the others.
    """
    if len(patterns) == 1:
        return compile_pattern(patterns[0])
    parts = []
    for pattern in patterns:
        flags = compile_pattern(pattern).flags
        letters = "".join(letter for flag, letter in _SCOPED_FLAGS if flags & flag)
        leading = (_LEADING_FLAGS_VERBOSE if flags & re.VERBOSE else _LEADING_FLAGS).match(pattern)
        body = pattern[leading.end() :] if leading else pattern
        # A verbose pattern may end in a comment, which would swallow the closing parenthesis.
        parts.append(f"(?{letters}:{body}\n)" if flags & re.VERBOSE else f"(?{letters}:{body})")
    return re.compile("|".join(parts))


def admits_arbitrary_origins(regex: re.Pattern[str]) -> bool:
    """Whether the pattern fully matches origins under ``.invalid``, which no real policy lists."""
    return any(regex.fullmatch(origin) for origin in PROBE_ORIGINS)


class Backtracking(NamedTuple):
    """A construct that can make matching super-linear, with the repeats at fault as the user wrote them."""

    kind: str  # "nested", "alternatives", "polynomial" or "back-reference"
    description: str
    overlapping: int  # the most variable repeats (``?``, ``*``, ``{1,3}``) that can match one same character

    @property
    def exponential(self) -> bool:
        return self.kind != "polynomial"


def backtracking_construct(pattern: str) -> str | None:
    """The first construct of ``pattern`` that can backtrack super-linearly, described; or ``None``."""
    found = backtracking(pattern)
    return found.description if found else None


def backtracking(pattern: str) -> Backtracking | None:
    """The first construct of ``pattern`` that can backtrack super-linearly; or ``None``."""
    try:
        parsed = _p.parse(pattern)
    except (re.error, RecursionError, OverflowError, DeprecationWarning):
        return None  # re.compile reports it
    items = list(parsed)
    texts = repeat_texts(pattern, items)
    broad = _variable_repeats(items)
    firsts = [chars for _, chars in broad]
    sharing = max(
        (sum(1 for chars in firsts if chars is None or char in chars) for char in _known(firsts)),
        default=0,
    )
    sharing = max(sharing, sum(1 for chars in firsts if chars is None))
    found = _scan(items, pattern, texts)
    if found:
        return Backtracking(found[0], found[1], sharing)
    for i, (_, first) in enumerate(broad):
        for j in range(i + 1, len(broad)):
            for k in range(j + 1, len(broad)):
                if _overlap(_meet(first, broad[j][1]), broad[k][1]):
                    named = [texts.get(id(broad[n][0])) for n in (i, j, k)]
                    shown = (
                        f"{named[0]!r}, {named[1]!r} and {named[2]!r}"
                        if all(named)
                        else f"in {pattern!r} (e.g. '.*.*.*')"
                    )
                    what = (
                        "unbounded" if all(broad[n][0][1][1] == _UNBOUNDED for n in (i, j, k)) else "variable"
                    )
                    return Backtracking(
                        "polynomial",
                        f"three or more {what} repeats that can match the same character: {shown}",
                        sharing,
                    )
    return None


def _scan(items: list[tuple[Any, Any]], pattern: str, texts: dict[int, str]) -> tuple[str, str] | None:
    for item in items:
        op, arg = item
        if op in REPEATS:
            _, high, body = arg
            repeats = high == _UNBOUNDED or high > 1
            outer = texts.get(id(item))
            inner = _ambiguous_inner_repeat(list(body)) if repeats else None
            if inner is not None:
                inner_text = texts.get(id(inner))
                shown = f"{inner_text!r} inside {outer!r}" if inner_text and outer else f"in {pattern!r}"
                return "nested", f"a repeat inside a repeated group: {shown}"
            if repeats and _has_overlapping_branches(list(body)):
                return "alternatives", f"a repeated group whose alternatives overlap: {outer or pattern!r}"
            found = _scan(list(body), pattern, texts)
            if found:
                return found
        elif op == _c.SUBPATTERN or op == ATOMIC_GROUP:
            found = _scan(group_body(op, arg), pattern, texts)
            if found:
                return found
        elif op == _c.BRANCH:
            for branch in arg[1]:
                found = _scan(list(branch), pattern, texts)
                if found:
                    return found
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            found = _scan(list(arg[1]), pattern, texts)
            if found:
                return found
        elif op in (_c.GROUPREF, _c.GROUPREF_EXISTS):
            ref = re.search(r"\\[1-9][0-9]?|\(\?P=\w+\)|\(\?\(\w+\)", pattern)
            return "back-reference", "a back-reference" + (f" ({ref.group(0)!r})" if ref else "")
    return None


ATOMIC_GROUP = getattr(_c, "ATOMIC_GROUP", None)  # (?>...), Python 3.11 and later


def group_body(op: Any, arg: Any) -> list[tuple[Any, Any]]:
    """A group's items: a capturing or flag group's argument ends with them, an atomic group's is them."""
    return list(arg if op == ATOMIC_GROUP else arg[-1])


def repeat_texts(pattern: str, items: list[tuple[Any, Any]]) -> dict[int, str]:
    """The text of each repeat of the parsed ``items`` (keyed by ``id`` of the parse item), as written.

    Both lists are in the order the repeats' atoms start, outer before inner; when the parser merged or
    split something the counts differ, and nothing is named.
    """
    nodes: list[tuple[Any, Any]] = []
    _collect_repeats(items, nodes)
    # Verbose when any flag group turns it on, global ('(?x)') or scoped ('(?x:...)'): a pattern is text
    # only, so its flags are all written in it.
    spans = _repeat_spans(pattern, verbose=bool(re.search(r"\(\?[aiLmsu]*x", pattern)))
    if len(spans) != len(nodes):
        return {}
    return {id(node): pattern[start:end] for node, (start, end) in zip(nodes, spans, strict=True)}


def _collect_repeats(items: list[tuple[Any, Any]], out: list[tuple[Any, Any]]) -> None:
    for item in items:
        op, arg = item
        if op in REPEATS:
            out.append(item)
            _collect_repeats(list(arg[2]), out)
        elif op == _c.SUBPATTERN or op == ATOMIC_GROUP:
            _collect_repeats(group_body(op, arg), out)
        elif op == _c.BRANCH:
            for branch in arg[1]:
                _collect_repeats(list(branch), out)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            _collect_repeats(list(arg[1]), out)
        elif op == _c.GROUPREF_EXISTS:
            _collect_repeats(list(arg[1]), out)
            if arg[2] is not None:
                _collect_repeats(list(arg[2]), out)


_QUANTIFIER = re.compile(r"[*+?]|\{(?!\})[0-9]*(?:,[0-9]*)?\}")
_SPACE = " \t\n\r\v\f"


def _repeat_spans(pattern: str, verbose: bool) -> list[tuple[int, int]]:
    """(start, end) of every quantified atom of ``pattern``, sorted by start: a lexer just good enough to
    find where atoms begin and end (escapes, classes, groups, comments, verbose white space)."""
    spans: list[tuple[int, int]] = []
    groups: list[int] = []
    i, n = 0, len(pattern)
    while i < n:
        i = _skip_space(pattern, i) if verbose else i
        if i >= n:
            break
        char, start = pattern[i], i
        if char == "\\":
            i = _escape_end(pattern, i)
        elif char == "[":
            i = _class_end(pattern, i)
        elif char == "(":
            if pattern.startswith("(?#", i):
                close = pattern.find(")", i)
                i = n if close < 0 else close + 1
                continue
            groups.append(i)
            i += 1
            continue
        elif char == ")":
            start = groups.pop() if groups else i
            i += 1
        else:
            i += 1
        after = _skip_space(pattern, i) if verbose else i
        quantifier = _QUANTIFIER.match(pattern, after)
        if quantifier:
            end = quantifier.end()
            end += end < n and pattern[end] in "?+"  # lazy or possessive
            spans.append((start, end))
            i = end
    spans.sort()
    return spans


def _skip_space(pattern: str, i: int) -> int:
    while i < len(pattern):
        if pattern[i] in _SPACE:
            i += 1
        elif pattern[i] == "#":
            newline = pattern.find("\n", i)
            i = len(pattern) if newline < 0 else newline + 1
        else:
            break
    return i


def _escape_end(pattern: str, i: int) -> int:
    kind = pattern[i + 1 : i + 2]
    if kind in ("x", "u", "U"):
        return i + 2 + {"x": 2, "u": 4, "U": 8}[kind]
    if kind == "N" and pattern.startswith("{", i + 2):
        close = pattern.find("}", i)
        return len(pattern) if close < 0 else close + 1
    end = i + 2
    while kind.isdigit() and end < min(len(pattern), i + 4) and pattern[end].isdigit():
        end += 1
    return end


def _class_end(pattern: str, i: int) -> int:
    i += 1
    if pattern.startswith("^", i):
        i += 1
    if pattern.startswith("]", i):
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


def _ambiguous_inner_repeat(body: list[tuple[Any, Any]]) -> tuple[Any, Any] | None:
    """The variable repeat in a repeated body whose end the engine cannot tell apart, if any.

    ``([a-z0-9-]+\\.)+`` is safe: each inner run must stop at a ``.`` it cannot match. ``(a+)+`` is not: the
    next iteration starts with what the inner repeat matches, so the input splits in exponentially many ways.
    """
    items = _flatten(body)
    for index, item in enumerate(items):
        op, arg = item
        if op not in REPEATS or arg[0] == arg[1]:
            continue
        inner = _first(list(arg[2]))
        follower = items[index + 1] if index + 1 < len(items) else None
        following = _first([follower]) if follower is not None and _mandatory(follower) else None
        if follower is None:
            following = _first(body)
        if _overlap(inner, following):
            return item
    return None


def _flatten(items: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    out: list[tuple[Any, Any]] = []
    for item in items:
        if item[0] == _c.SUBPATTERN:
            out += _flatten(list(item[1][-1]))
        else:
            out.append(item)  # the parse item itself: repeat_texts knows it by identity
    return out


def _mandatory(item: tuple[Any, Any]) -> bool:
    op, arg = item
    return op in (_c.LITERAL, _c.IN, _c.ANY) or (op in REPEATS and arg[0] >= 1)


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
            return _chars(chr(arg))
        if op == _c.IN:
            return _class_chars(arg)
        if op == _c.SUBPATTERN:
            return _first(list(arg[-1]))
        if op in REPEATS:
            low, _, body = arg
            first = _first(list(body))
            if low == 0:
                return None  # may be skipped: what follows can start too
            return first
        if op in (_c.AT,):
            continue
        return None
    return None


# Every non-ASCII character counts as this one: \w and \d both match some, so they may overlap there.
_NON_ASCII = "\x80"
_CATEGORY_CHARS = {
    _c.CATEGORY_DIGIT: "0123456789",
    _c.CATEGORY_WORD: "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_",
    _c.CATEGORY_SPACE: " \t\n\r\v\f\x1c\x1d\x1e\x1f\x85",
}


def _chars(text: str) -> frozenset[str]:
    return frozenset(char if char.isascii() else _NON_ASCII for char in text)


def _class_chars(arg: Any) -> Chars:
    chars: set[str] = set()
    for op, value in arg:
        if op == _c.LITERAL:
            chars |= _chars(chr(value))
        elif op == _c.RANGE and value[1] - value[0] < 256:
            chars |= _chars("".join(chr(c) for c in range(value[0], value[1] + 1)))
        elif op == _c.CATEGORY and value in _CATEGORY_CHARS:
            chars |= _chars(_CATEGORY_CHARS[value]) | {_NON_ASCII}
        else:
            return None  # negation, negated categories or big ranges: treat as anything
    return frozenset(chars)


def _variable_repeats(items: list[tuple[Any, Any]]) -> list[tuple[tuple[Any, Any], Chars]]:
    out = []
    for item in items:
        op, arg = item
        if op in REPEATS and arg[0] != arg[1]:
            out.append((item, _first(list(arg[2]))))
        elif op == _c.SUBPATTERN:
            out += _variable_repeats(list(arg[-1]))
    return out


def _known(sets: list[Chars]) -> set[str]:
    return {char for chars in sets if chars is not None for char in chars}


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
