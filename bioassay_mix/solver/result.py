"""What a solve returns: one :class:`MixMinResult` per target."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

logger = logging.getLogger("bioassay_mix.solver")


@dataclass
class MixMinResult:
    """Mixture weights for one target and the evidence for them.

    Parameters
    ----------
    weights : pandas.Series
        The weights over sources, summing to 1.
    objective : float
        The objective at ``weights``.
    gap : float
        The Frank-Wolfe duality gap at ``weights``: the objective is provably within ``gap``
        of the optimum.
    n_iter : int
        The method's iterations (Newton steps for ``active_set``).
    converged : bool
        Whether the method's stopping rule was met (``gap <= tol`` for ``adaptive`` and
        ``active_set``; the paper's gradient rule for ``reference``).
    loss, method : str
        What was solved, and how.
    target : str, default="target"
        The target's name.
    trace : numpy.ndarray, default=empty
        The objective after each step or round.
    """

    weights: pd.Series
    objective: float
    gap: float
    n_iter: int
    converged: bool
    loss: str
    method: str
    target: str = "target"
    trace: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)


def make_result(one: dict, sources: Sequence, target: str, loss: str, method: str) -> MixMinResult:
    """A result from a solver's output for one target (``w``, ``f``, ``gap``, ``iters``,
    ``converged``, ``trace``); ``w`` may be padded beyond ``len(sources)``."""
    w = np.asarray(one["w"])[: len(sources)]
    return MixMinResult(
        weights=pd.Series(w / w.sum(), index=sources, name=target),
        objective=float(one["f"]),
        gap=float(one["gap"]),
        n_iter=int(one["iters"]),
        converged=bool(one["converged"]),
        loss=loss,
        method=method,
        target=target,
        trace=one["trace"],
    )


def warn_unconverged(results: list[MixMinResult], tol: float | None) -> None:
    """One warning line when some targets missed ``gap <= tol`` (``None``: no such rule)."""
    unconverged = [r.target for r in results if not r.converged]
    if unconverged and tol is not None:
        logger.warning(
            "%d of %d targets did not reach gap <= %g (e.g. %s)",
            len(unconverged),
            len(results),
            tol,
            unconverged[0],
        )
