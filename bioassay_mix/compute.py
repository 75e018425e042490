"""The compute context: where work runs and how many threads an estimator may use
(:class:`Compute`), kept apart from the science settings (no cache key or result depends on
it).

Outer workers times inner threads must never exceed the cores given: XGBoost's default of
every core inside each worker thread oversubscribes a loaded machine many times over
(``benchmarks/threads.py`` measures it).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from numbers import Integral
from typing import Any, ClassVar

import xgboost as xgb
from sklearn.base import clone
from sklearn.utils._param_validation import Interval, StrOptions, validate_parameter_constraints

from ._utils import resolve_n_jobs
from .device import COMPUTE_KEYS, DEVICES
from .executor import EXECUTORS, check_executor

__all__ = ["COMPUTE_KEYS", "Compute", "estimator_threads", "seeded", "validate_fields"]


def seeded(estimator: Any, random_state: int | None, *, n_jobs: int) -> Any:
    """A clone of ``estimator`` with ``random_state`` (when given) and at most ``n_jobs``
    threads, so that outer workers times inner threads stay within the cores given.

    Parameters
    ----------
    estimator : estimator
        Cloned, never changed.
    random_state : int or None
        Set where the estimator takes one.
    n_jobs : int
        The most threads it may use.

    Returns
    -------
    estimator
        Unfitted.
    """
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
    LightGBM (OpenMP's default), one thread for scikit-learn's estimators.

    Parameters
    ----------
    model : estimator
        The estimator.
    n_jobs : int or None
        Its ``n_jobs`` parameter.

    Returns
    -------
    int
    """
    if n_jobs is None:
        library_default = isinstance(model, xgb.XGBModel) or type(model).__module__.startswith(
            "lightgbm"
        )
        return resolve_n_jobs(-1) if library_default else 1
    return resolve_n_jobs(n_jobs)


def validate_fields(obj: Any) -> None:
    """Check ``obj``'s fields against its ``_parameter_constraints`` (scikit-learn's own
    checker, so a bad value is named as an estimator's would be), before any work.

    Parameters
    ----------
    obj : dataclass instance
        A settings object with ``_parameter_constraints``.
    """
    validate_parameter_constraints(
        obj._parameter_constraints,
        {f.name: getattr(obj, f.name) for f in fields(obj)},
        caller_name=type(obj).__name__,
    )


@dataclass(frozen=True)
class Compute:
    """Where and how fast a run goes; changing any of these never changes a result.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"}, default="auto"
        XGBoost's device; ``"auto"`` takes a GPU when one is visible.
    n_jobs : int, default=1
        Threads (local executor) or worker processes (a Dask ``LocalCluster``); -1 = every
        core this process may use.
    executor : {"local", "dask"}, default="local"
        ``"dask"`` trains the proxies and the per-target models as Dask tasks.
    scheduler : str or None, default=None
        Address of an existing Dask cluster (``executor="dask"``); None starts a local one.
    dask_fit_rows : int or None, default=2_000_000
        With ``executor="dask"``, a target whose natural mixture has this many rows trains its
        mixture models with ``xgboost.dask`` across the cluster; 0 = every target, None =
        never.
    verbose : bool, default=True
        Progress bars.

    Examples
    --------
    >>> Compute(n_jobs=2).n_jobs
    2
    """

    device: str = "auto"
    n_jobs: int = 1
    executor: str = "local"
    scheduler: str | None = None
    dask_fit_rows: int | None = 2_000_000
    verbose: bool = True

    _parameter_constraints: ClassVar[dict] = {
        "device": [StrOptions(set(DEVICES))],
        "n_jobs": [Interval(Integral, None, None, closed="neither")],
        "executor": [StrOptions(set(EXECUTORS))],
        "scheduler": [str, None],
        "dask_fit_rows": [Interval(Integral, 0, None, closed="left"), None],
        "verbose": ["boolean"],
    }

    def __post_init__(self) -> None:
        validate_fields(self)
        resolve_n_jobs(self.n_jobs)  # 0 is refused here, not after the proxies
        check_executor(self.executor, self.scheduler)
