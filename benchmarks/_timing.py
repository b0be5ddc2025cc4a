"""Shared timing helpers for the benchmarks: medians of repeats, ratios, one output format."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(fn: Callable[[], object], *, repeats: int = 5, warmup: int = 1) -> float:
    """Median wall time of *fn* over *repeats* runs, after *warmup* untimed runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(name: str, crmkit_s: float, baseline_name: str, baseline_s: float) -> None:
    """Print one comparison line: crmkit's time, the baseline's, and their ratio."""
    ratio = crmkit_s / baseline_s if baseline_s else float("inf")
    print(
        f"{name}: crmkit {crmkit_s:.4f} s, {baseline_name} {baseline_s:.4f} s, "
        f"ratio crmkit/baseline {ratio:.2f}x"
    )
