"""The in-process timer: every case of a group is timed in interleaved rounds, medians reported.

    cases = [Case("bare", app, environ=env), Case("fresh", app2, pool=make_pool)]
    stats = measure_group(cases, Settings.full())
    stats["bare"].median_us

Why not one process per benchmark (pyperf's model): the targets are ratios between subjects, so the
subjects share one process and take turns, round after round; a burst of noise from the other core then
lands on all of them instead of on whichever ran at that moment. The order of the turns is shuffled every
round: whichever case runs first after a pause finds the CPU caches cold, and a fixed order made one of
three identical Flask apps look 1-2 µs slower than the others (with shuffling they agree within ~0.1 µs).
As in ``timeit``, the garbage collector is off while the clock runs; it is never forced between values,
since a full collection evicts the caches too. Each value is one timed loop of a calibrated number of
calls; the report gives the median of the values.
"""

from __future__ import annotations

import gc
import math
import random
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Environ = dict[str, Any]
WSGIApp = Callable[..., Iterable[bytes]]


def _write(data: bytes) -> None:
    return None


def start_response(
    status: str, headers: list[tuple[str, str]], exc_info: Any = None
) -> Callable[[bytes], None]:
    """The no-op ``start_response`` the clock runs with."""
    return _write


def call(app: WSGIApp, environ: Environ) -> tuple[str, list[tuple[str, str]], bytes]:
    """One request, outside the clock: (status, headers, body), for checking what a subject answers."""
    seen: dict[str, Any] = {}

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        seen["status"], seen["headers"] = status, list(headers)
        return _write

    body_iter = app(environ.copy(), capture)
    try:
        body = b"".join(body_iter)
    finally:
        close = getattr(body_iter, "close", None)
        if close is not None:
            close()
    return seen["status"], seen["headers"], body


def _run_same(app: WSGIApp, environ: Environ, loops: int) -> int:
    sr = start_response
    t0 = time.perf_counter_ns()
    for _ in range(loops):
        body = app(environ, sr)
        for _chunk in body:
            pass
        if hasattr(body, "close"):
            body.close()
    return time.perf_counter_ns() - t0


def _run_pool(app: WSGIApp, pool: list[Environ]) -> int:
    sr = start_response
    t0 = time.perf_counter_ns()
    for environ in pool:
        body = app(environ, sr)
        for _chunk in body:
            pass
        if hasattr(body, "close"):
            body.close()
    return time.perf_counter_ns() - t0


@dataclass
class Case:
    """One thing to time: ``app`` on one repeated ``environ``, or on a ``pool(n)`` of n fresh environs."""

    key: str
    app: WSGIApp
    environ: Environ | None = None
    pool: Callable[[int], list[Environ]] | None = None

    def run(self, loops: int) -> int:
        """Nanoseconds for ``loops`` calls (a fresh pool is built before the clock starts)."""
        if self.pool is not None:
            return _run_pool(self.app, self.pool(loops))
        assert self.environ is not None
        return _run_same(self.app, self.environ, loops)


@dataclass(frozen=True)
class Settings:
    #: Target duration of one timed value, in seconds.
    value_time: float
    #: Values per case (rounds).
    repeats: int
    #: A fresh-origin pool never grows beyond this many environs (memory).
    max_pool: int = 200_000
    #: A group whose values scatter more than this (median relative IQR) is measured again...
    noisy: float = 0.10
    #: ...up to this many times in all.
    attempts: int = 3

    @classmethod
    def full(cls) -> Settings:
        return cls(value_time=0.01, repeats=31)

    @classmethod
    def quick(cls) -> Settings:
        return cls(value_time=0.003, repeats=5, attempts=1)

    @classmethod
    def smoke(cls) -> Settings:
        """For the test suite: a handful of calls, to prove the harness runs (never to judge speed)."""
        return cls(value_time=0.0, repeats=2, attempts=1)


@dataclass
class Stats:
    key: str
    loops: int
    values_us: list[float] = field(default_factory=list)
    attempts: int = 1

    @property
    def median_us(self) -> float:
        return statistics.median(self.values_us)

    @property
    def min_us(self) -> float:
        return min(self.values_us)

    @property
    def spread(self) -> float:
        """Interquartile range relative to the median: how noisy this case was."""
        if len(self.values_us) < 4:
            return 0.0
        q1, _, q3 = statistics.quantiles(self.values_us, n=4)
        return (q3 - q1) / self.median_us if self.median_us else 0.0


def _timed(case: Case, loops: int) -> int:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return case.run(loops)
    finally:
        if was_enabled:
            gc.enable()


def calibrate(case: Case, settings: Settings) -> int:
    """Calls per value so that one value lasts about ``settings.value_time`` (the runs also warm up)."""
    limit = settings.max_pool if case.pool is not None else 10**8
    loops = 1
    while True:
        elapsed = _timed(case, loops) / 1e9
        if elapsed >= settings.value_time or loops >= limit:
            return loops
        guess = loops * 10 if elapsed <= 0 else math.ceil(loops * settings.value_time / elapsed * 1.1)
        loops = min(limit, max(loops + 1, min(guess, loops * 100)))


def measure_group(
    cases: list[Case], settings: Settings, progress: Callable[[str], None] | None = None
) -> dict[str, Stats]:
    """Median time per call of every case, the cases taking turns round after round.

    Other processes on a 2-core machine come in bursts. When the values of a group scatter more than
    ``settings.noisy`` (median relative IQR), its rounds are run again, up to ``settings.attempts`` times,
    and the calmest attempt is kept; ``Stats.attempts`` says how many it took.
    """
    loops = {case.key: calibrate(case, settings) for case in cases}
    if progress:
        progress(f"calibrated {len(cases)} cases")
    best: dict[str, Stats] | None = None
    for attempt in range(1, settings.attempts + 1):
        stats = _rounds(cases, loops, settings)
        noise = statistics.median(s.spread for s in stats.values())
        if best is None or noise < statistics.median(s.spread for s in best.values()):
            best = stats
        for s in best.values():
            s.attempts = attempt
        if noise <= settings.noisy:
            break
    assert best is not None
    return best


def _rounds(cases: list[Case], loops: dict[str, int], settings: Settings) -> dict[str, Stats]:
    stats = {case.key: Stats(case.key, loops[case.key]) for case in cases}
    order = list(cases)
    shuffle = random.Random(len(cases)).shuffle  # noqa: S311 (seeded on purpose: a rerun takes the same turns)
    gc.collect()
    for _ in range(settings.repeats):
        # A fresh order every round, so no case always runs first (after the collection) or last.
        shuffle(order)
        for case in order:
            s = stats[case.key]
            s.values_us.append(_timed(case, s.loops) / s.loops / 1000)
    return stats
