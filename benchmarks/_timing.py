"""Timing shared by the benchmarks (``_*.py`` files here are helpers, not benchmarks)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def median_time(fn: Callable[[], Any], repeats: int = 15, warmup: int = 1) -> float:
    """Median wall time (s) of ``repeats`` calls of ``fn`` after ``warmup`` untimed calls (lazy
    imports, the allocator)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
