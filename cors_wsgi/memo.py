"""A bounded memo for answers that depend on request header values alone.

    >>> memo: Memo[str, int] = Memo(size=2)
    >>> memo.remember("a", 1), memo.remember("b", 2), memo.remember("c", 3)
    (1, 2, 3)
    >>> sorted(memo)
    ['c']

When full it forgets everything and starts again: a stream of unique (hostile) values then costs the
bounded computation each time, never memory, while the few values real browsers send come back at once.
Keys longer than ``max_key_length`` are never stored.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")

# Longer than any serialized origin a browser sends (see origins.MAX_ORIGIN_LENGTH).
MAX_KEY_LENGTH = 320
ACTUAL_MEMO_SIZE = 1024  # origins
PREFLIGHT_MEMO_SIZE = 512  # (origin, method, request headers, private network)


class Memo(dict[K, V]):
    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def remember(self, key: K, value: V) -> V:
        if len(self) >= self.size:
            self.clear()  # dict operations are atomic under the GIL: a racing reader just misses
        self[key] = value
        return value
