"""Small helpers shared across stages: progress bars, confidence intervals, thread counts,
worker processes tied to their parent. It imports nothing of the package, so that every
stage can use it."""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

_CHUNK = 1 << 20


def repeated(names: Iterable[Any]) -> list[Any]:
    """The names that occur more than once in ``names``, sorted."""
    return sorted(n for n, count in Counter(names).items() if count > 1)


def die_with_parent() -> None:
    """In a worker process: ask Linux to end it when its parent dies (a killed ``score`` left
    its featurizing workers running). Elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() == 1:  # the parent is already gone
        os._exit(1)


def t_interval(
    values: Any,
    bounds: tuple[float, float] = (-1.0, 1.0),
) -> tuple[float, float, float]:
    """The mean of ``values`` and its 95% t-interval, clipped to ``bounds`` (a metric's range:
    an AP over five folds of 0.78-0.98 has a t-interval reaching 1.02, which no AP can be).
    Fewer than two values give no interval (NaN)."""
    values = np.asarray(values, dtype=np.float64)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    from scipy import stats

    half = float(stats.t.ppf(0.975, len(values) - 1) * stats.sem(values))
    return mean, max(bounds[0], mean - half), min(bounds[1], mean + half)


def progress(iterable: Iterable, *, desc: str, total: int | None = None, verbose: bool = True):
    """A tqdm bar that ``verbose=False`` (or ``BIOASSAY_MIX_PROGRESS=0``) silences."""
    from tqdm.auto import tqdm

    disable = not verbose or os.environ.get("BIOASSAY_MIX_PROGRESS", "1") == "0"
    return tqdm(iterable, desc=desc, total=total, disable=disable, leave=False)


class StageClock:
    """Wall seconds of consecutive stages: ``lap(name)`` closes the stage that just ran."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self._last, 3)
        self._last = now


def resolve_n_jobs(n_jobs: int | None) -> int:
    """scikit-learn's convention: None -> 1, -1 -> all cores, -2 -> all but one. "All cores"
    are those this process may use (CPU affinity and a container's CPU quota, as joblib counts
    them), not the host's: ``os.cpu_count()`` in a 2-CPU container on a 64-core host is 64."""
    if n_jobs is None:
        return 1
    if n_jobs < 0:
        from joblib import cpu_count

        return max(1, cpu_count() + 1 + n_jobs)
    if n_jobs == 0:
        raise ValueError("n_jobs must be a non-zero integer (use -1 for all cores)")
    return n_jobs
