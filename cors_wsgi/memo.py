"""A bounded memo for answers that depend on request header values alone.

    >>> memo: Memo[str, int] = Memo(size=2)
    >>> memo.remember("a", 1), memo.remember("b", 2), memo.remember("c", 3)
    (1, 2, 3)
    >>> sorted(memo)
    ['c']
    >>> memo.remember("x" * 1000, 4), "x" * 1000 in memo
    (4, False)

When full it forgets everything and starts again: a stream of unique (hostile) values then costs the
bounded computation each time, never memory, while the few values real browsers send come back at once.
A key (a string, or a tuple of strings and ``None``) with a part longer than any origin a browser sends
(``grammar.MAX_ORIGIN_LENGTH``) is never stored. Only the WSGI adapter remembers answers (``remembered``);
policies and decisions hold no state.
"""

from __future__ import annotations

from typing import TypeVar

from .frozen import Frozen
from .grammar import MAX_ORIGIN_LENGTH

K = TypeVar("K", bound="str | tuple[str | None, ...]")
V = TypeVar("V")

MAX_KEY_LENGTH = MAX_ORIGIN_LENGTH
ACTUAL_MEMO_SIZE = 1024  # origins
PREFLIGHT_MEMO_SIZE = 512  # (origin, method, request headers, private network)


class Memo(Frozen, dict[K, V]):
    """A dict of answers that forgets everything when full; its bound cannot be changed."""

    __slots__ = ("size",)

    size: int

    def __init__(self, size: int) -> None:
        super().__init__()
        object.__setattr__(self, "size", size)

    def remember(self, key: K, value: V) -> V:
        """Store ``value`` under ``key`` when the key is short enough; return ``value`` either way."""
        # An origin (a str) inline: a stream of new origins pays no extra call (about 400 instructions).
        if (len(key) <= MAX_KEY_LENGTH) if isinstance(key, str) else _parts_fit(key):
            # Two threads may both find the memo full and both empty it, or both add after one emptied it:
            # the memo then holds a few more or fewer answers than ``size``, never a wrong or half answer.
            # Each dict operation is atomic (under the GIL, and on free-threaded CPython).
            if len(self) >= self.size:
                self.clear()
            self[key] = value
        return value


def _parts_fit(key: tuple[str | None, ...]) -> bool:
    """Whether no part of a preflight's key is longer than an origin can be."""
    for part in key:  # noqa: SIM110 - a loop, not all(genexpr): runs on every preflight that misses
        if part is not None and len(part) > MAX_KEY_LENGTH:
            return False
    return True
