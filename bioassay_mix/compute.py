"""The compute context: how many threads an estimator may use, kept apart from the science
settings (no cache key or result depends on it).

Outer workers times inner threads must never exceed the cores given: XGBoost's default of
every core inside each worker thread oversubscribes a loaded machine many times over
(``benchmarks/threads.py`` measures it).
"""

from __future__ import annotations

from typing import Any

import xgboost as xgb
from sklearn.base import clone

from ._utils import resolve_n_jobs

#: Settings of where and how fast a model runs: never a model's science parameters, never
#: recorded with a saved model.
COMPUTE_KEYS = ("n_jobs", "nthread", "device")


def seeded(estimator: Any, random_state: int | None, *, n_jobs: int) -> Any:
    """A clone of ``estimator`` with ``random_state`` (when given) and at most ``n_jobs``
    threads, so that outer workers times inner threads stay within the cores given."""
    model = clone(estimator)
    params = model.get_params(deep=False)
    update: dict[str, Any] = {}
    if random_state is not None and "random_state" in params:
        update["random_state"] = random_state
    if "n_jobs" in params and estimator_threads(model, params["n_jobs"]) > n_jobs:
        update["n_jobs"] = n_jobs
    return model.set_params(**update)


def estimator_threads(model: Any, n_jobs: int | None) -> int:
    """Threads ``model`` would use with its ``n_jobs``: ``None`` is every core for XGBoost and
    LightGBM (OpenMP's default), one thread for scikit-learn's estimators."""
    if n_jobs is None:
        library_default = isinstance(model, xgb.XGBModel) or \
            type(model).__module__.startswith("lightgbm")
        return resolve_n_jobs(-1) if library_default else 1
    return resolve_n_jobs(n_jobs)
