"""MixMin: the convex problem over the simplex, solved for one target or a batch of targets::

    from bioassay_mix.solver import solve
    result = solve(P)         # P: rows x sources, probability of the observed label
    result.weights, result.gap, result.converged

With a Dirichlet prior on the weights (a few labels, many sources): :mod:`.prior`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..device import array_module
from ..errors import DataError
from .active_set import solve_active_set
from .engine import make_buckets, run_bucket
from .objectives import DEFAULT_EPS, LOSSES, make_problem, names_for
from .panel import solve_panel
from .result import MixMinResult, make_result, warn_unconverged

__all__ = ["DEFAULT_EPS", "LOSSES", "METHODS", "MixMinResult", "solve", "solve_panel"]

METHODS = ("adaptive", "reference", "active_set")
#: The paper's loop: eta = 1, at most 100 steps, stop when max |grad| < 1e-4.
REFERENCE = {"eta0": 1.0, "max_iter": 100, "grad_tol": 1e-4}


def solve(
    P,
    *,
    loss: str = "cross_entropy",
    y=None,
    lengths=None,
    method: str = "adaptive",
    tol: float | None = None,
    max_iter: int | None = None,
    eps: float = DEFAULT_EPS,
    device: str | None = "cpu",
    dtype: str = "float64",
    names: Sequence[str] | None = None,
) -> MixMinResult | list[MixMinResult]:
    """Minimise the MixMin objective over the simplex for one target or a batch.

    Parameters
    ----------
    P : array-like or DataFrame of shape (n_rows, n_sources), or a list of them
        A list is a batch (sizes may differ). ``cross_entropy``: each source's probability of
        the row's observed label. ``squared_error``: each source's prediction.
        ``log_likelihood``: each source model's summed log-likelihood of the sequence (-inf
        allowed where a source gives probability 0).
    loss : {"cross_entropy", "squared_error", "log_likelihood"}, default="cross_entropy"
        The objective.
    y : array-like or None, default=None
        Regression targets (``squared_error``); a list for a batch.
    lengths : array-like or None, default=None
        Token counts per sequence (``log_likelihood``); a list for a batch.
    method : {"adaptive", "reference", "active_set"}, default="adaptive"
        ``"adaptive"``: line-searched exponentiated gradient, batched, stops at
        ``gap <= tol``. ``"reference"``: the paper's loop (eta 1, <= 100 steps,
        max|grad| < 1e-4). ``"active_set"``: working-set Newton/NNLS steps per target, stops
        at ``gap <= tol``; cross-entropy and log-likelihood, CPU only; usually the fastest to
        a certified optimum because the optimum puts its mass on few sources.
    tol : float or None, default=None
        Frank-Wolfe gap to certify; default 1e-6 in float64 and 1e-4 in float32, whose
        rounding hides objective decreases below about 1e-5.
    max_iter : int or None, default=None
        Iteration cap; default 100 for ``reference`` and 5000 for ``adaptive``.
    eps : float, default=1e-12
        Probabilities are clipped to at least ``eps`` before the log.
    device : {"cpu", "cuda", "auto"} or None, default="cpu"
        CuPy inputs also select the GPU.
    dtype : {"float64", "float32"}, default="float64"
        Precision of the iterations.
    names : sequence of str or None, default=None
        Target names for messages and results.

    Returns
    -------
    MixMinResult or list of MixMinResult
        One result, or a list for a batch.

    Examples
    --------
    >>> import numpy as np
    >>> P = np.array([[0.9, 0.5], [0.8, 0.5], [0.2, 0.5]])
    >>> result = solve(P, method="active_set")
    >>> result.weights.round(3).tolist(), bool(result.gap <= 1e-6)
    ([0.632, 0.368], True)
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    batch = isinstance(P, list | tuple)
    mats = list(P) if batch else [P]
    if not mats:
        raise DataError("solve() got an empty batch")
    ys = _per_target(y, len(mats), batch, "y")
    lens = _per_target(lengths, len(mats), batch, "lengths")
    labels = names_for(len(mats), names)
    if any(type(m).__module__.startswith("cupy") for m in mats):
        device = "cuda"
    if method == "active_set":  # before any matrix is read
        _check_active_set(loss, device)
    mats = [m.get() if hasattr(m, "get") and not isinstance(m, pd.DataFrame) else m for m in mats]
    # The active set checks a cross-entropy matrix in its own first read of it.
    problems = [
        make_problem(m, loss=loss, y=yy, lengths=ll, eps=eps, name=nm, check=method != "active_set")
        for m, yy, ll, nm in zip(mats, ys, lens, labels, strict=True)
    ]
    if tol is None:
        tol = 1e-6 if dtype == "float64" else 1e-4
    settings = {
        "tol": tol,
        "method": method,
        "eta0": 1.0,
        "grad_tol": REFERENCE["grad_tol"],
        "max_iter": max_iter or (REFERENCE["max_iter"] if method == "reference" else 5000),
    }

    def result(i: int, one: dict) -> MixMinResult:
        k = problems[i].A.shape[1]
        cols = mats[i].columns if isinstance(mats[i], pd.DataFrame) else range(k)
        return make_result(one, cols, labels[i], loss, method)

    if method == "active_set":
        return _unbatch(
            [
                result(i, solve_active_set(p, tol=tol, dtype=np.dtype(dtype)))
                for i, p in enumerate(problems)
            ],
            batch,
            tol,
        )
    xp = array_module(device)
    results: list[MixMinResult | None] = [None] * len(problems)
    for bucket in make_buckets(problems, xp, np.dtype(dtype)):
        out = run_bucket(bucket, xp, **settings)
        for b, i in enumerate(bucket.index):
            results[i] = result(i, {key: value[b] for key, value in out.items()})
    return _unbatch(results, batch, tol if method == "adaptive" else None)


def _unbatch(results: list[MixMinResult], batch: bool, tol: float | None):
    warn_unconverged(results, tol)
    return results if batch else results[0]


def _check_active_set(loss: str, device: str | None) -> None:
    if loss == "squared_error":
        raise ValueError(
            "method='active_set' solves the cross_entropy and log_likelihood "
            "losses; use 'adaptive' for squared_error"
        )
    if device not in (None, "cpu", "auto"):
        raise ValueError("method='active_set' runs on the CPU; use 'adaptive' on a GPU")


def _per_target(values, count: int, batch: bool, what: str) -> list:
    if values is None:
        return [None] * count
    if not batch:
        return [values]
    values = list(values)
    if len(values) != count:
        raise DataError(f"{what} has {len(values)} entries for a batch of {count} targets")
    return values
