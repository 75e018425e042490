"""MixMin for every target of a panel from its shared inputs: one table of the proxies'
predictions and one table of labels.

In a panel every target's problem is built from the same (compounds x sources) table ``Q``: its
matrix is ``P_t = Q`` on the target's labelled compounds where the label is 1 and ``1 - Q`` where
it is 0, without the target's own proxy. Built one by one these matrices repeat ``Q`` once per
target (on ToxCast a hundred times the table). :func:`solve_panel` never builds them. The
cross-entropy gradient is linear in ``Q``::

    g_t = -P_t' c = -(Q' (c * s) + sum(c * (1 - y)))   with c = a / pred, s = 2y - 1,

so the full gradients of all unfinished targets in a round are one matrix product ``Q' C``
(``C``: compounds x targets, zero where a target has no label), and each target's working-set
solve (:mod:`.active_set`) gathers only its working-set columns of ``P_t``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import DataError
from .active_set import FIRST_SET, WorkingSet, run_rounds
from .objectives import DEFAULT_EPS, check_probabilities, min_max, observed_label_proba
from .result import MixMinResult, make_result, warn_unconverged

#: Bytes of the (compounds x targets) coefficient matrix per matrix product; more targets than
#: fit are done in several products.
PRODUCT_BYTES = 256 * 2**20


class _Target:
    """One target's rows, labels and sources in the panel (``own``: its column in ``Q``, or -1)."""

    def __init__(self, name: str, rows: np.ndarray, y: np.ndarray, own: int, k: int) -> None:
        self.name, self.rows, self.y, self.own = name, rows, y, own
        self.sources = np.delete(np.arange(k), own) if own >= 0 else np.arange(k)
        self.a = np.full(len(rows), 1.0 / len(rows))


def solve_panel(
    Q: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    tol: float = 1e-6,
    eps: float = DEFAULT_EPS,
    exclude_self: bool = True,
) -> list[MixMinResult]:
    """Cross-entropy MixMin weights for every target of a panel, each certified to
    ``gap <= tol``.

    The same optimum as ``solve([P_t, ...], method="active_set")`` on the targets' matrices
    ``P_t`` (see :func:`bioassay_mix.solver.objectives.observed_label_proba`), without building
    them: the memory is that of ``Q`` and ``labels``, and the full gradients are one matrix
    product per round.

    Parameters
    ----------
    Q : pandas.DataFrame
        Compounds x sources, each source proxy's class-1 probability.
    labels : pandas.DataFrame
        Compounds x targets with ``Q``'s index: each target's 0/1 labels on the compounds its
        weights are fitted to, NaN elsewhere.
    tol : float, default=1e-6
        Frank-Wolfe gap to certify.
    eps : float, default=1e-12
        Probabilities are clipped to ``[eps, 1 - eps]``.
    exclude_self : bool, default=True
        A target that is also a column of ``Q`` is not one of its own sources.

    Returns
    -------
    list of MixMinResult
        One per target, in ``labels``' column order, with weights over the target's sources.
    """
    Qc, sources = _proxy_table(Q, eps)
    targets = _targets(labels, Q, sources, exclude_self)
    Qt = np.ascontiguousarray(Qc.T)  # rows of Q' are contiguous: the gathers read whole lines
    states = []
    total = Qc.sum(axis=1)
    start = [_uniform_pred(Qc, total, t) for t in targets]
    for t, g in zip(targets, _gradients(Qc, targets, start), strict=True):
        S = np.argsort(g, kind="stable")[: min(FIRST_SET, len(t.sources))]
        states.append(WorkingSet(S, _columns(Qt, t, t.sources[S]), t.a, 0.0, len(t.sources)))
    outputs = run_rounds(
        states,
        lambda live: _gradients(Qc, [targets[i] for i in live], [states[i].pred for i in live]),
        lambda i, add: _columns(Qt, targets[i], targets[i].sources[add]),
        tol,
    )
    results = [
        make_result(one, [sources[j] for j in t.sources], t.name, "cross_entropy", "active_set")
        for t, one in zip(targets, outputs, strict=True)
    ]
    warn_unconverged(results, tol)
    return results


def _proxy_table(Q: pd.DataFrame, eps: float) -> tuple[np.ndarray, list]:
    """``Q`` validated (finite, in [0, 1]) and clipped to [eps, 1 - eps], as float64."""
    if not isinstance(Q, pd.DataFrame):
        raise TypeError(f"Q must be a DataFrame (compounds x sources), got {type(Q).__name__}")
    if Q.shape[0] == 0 or Q.shape[1] == 0:
        raise DataError(f"proxy table has shape {Q.shape}; need at least one compound and source")
    try:
        A = Q.to_numpy(dtype=np.float64, copy=True)  # clipped in place below
    except (TypeError, ValueError) as err:
        raise DataError(f"proxy table: every column must be numeric ({err})") from None
    check_probabilities(A, *min_max(A), "proxy table", labels=(Q.index, Q.columns))
    return np.clip(A, eps, 1.0 - eps, out=A), list(Q.columns)


def _targets(
    labels: pd.DataFrame, Q: pd.DataFrame, sources: Sequence, exclude_self: bool
) -> list[_Target]:
    if not isinstance(labels, pd.DataFrame):
        raise TypeError(
            f"labels must be a DataFrame (compounds x targets), got {type(labels).__name__}"
        )
    if not labels.index.equals(Q.index):
        raise DataError(
            "labels and the proxy table must have the same index (the same "
            "compounds in the same order)"
        )
    if labels.shape[1] == 0:
        raise DataError("labels has no target columns")
    try:
        L = labels.to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise DataError(f"labels: every column must be 0, 1 or NaN ({err})") from None
    bad = ~(np.isnan(L) | (L == 0) | (L == 1))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(
            f"labels: value {L[r, c]} at row {labels.index[r]!r}, target "
            f"{labels.columns[c]!r}; labels must be 0, 1 or NaN"
        )
    out = []
    for j, name in enumerate(labels.columns):
        rows = np.flatnonzero(~np.isnan(L[:, j]))
        if not len(rows):
            raise DataError(f"target {name!r} has no labelled compounds")
        own = sources.index(name) if exclude_self and name in sources else -1
        if own >= 0 and len(sources) == 1:
            raise DataError(f"target {name!r} has no sources but itself")
        out.append(_Target(str(name), rows, L[rows, j], own, len(sources)))
    return out


def _uniform_pred(Qc: np.ndarray, total: np.ndarray, t: _Target) -> np.ndarray:
    """The uniform mixture's probability of each observed label of ``t`` (``total``: the row
    sums of ``Q``)."""
    own = Qc[t.rows, t.own] if t.own >= 0 else 0.0
    mean = (total[t.rows] - own) / len(t.sources)
    return observed_label_proba(mean[:, None], t.y)[:, 0]


def _gradients(Qc: np.ndarray, targets: list[_Target], preds: list[np.ndarray]) -> list[np.ndarray]:
    """Each target's full gradient over its sources at its predictions ``preds``, from one
    product ``Q' C`` per group of targets."""
    n = Qc.shape[0]
    per = max(1, PRODUCT_BYTES // (8 * n))
    out = []
    for lo in range(0, len(targets), per):
        group = targets[lo : lo + per]
        C = np.zeros((n, len(group)))
        const = np.empty(len(group))
        for j, (t, pred) in enumerate(zip(group, preds[lo : lo + per], strict=True)):
            c = t.a / pred
            C[t.rows, j] = np.where(t.y == 1, c, -c)
            const[j] = c[t.y == 0].sum()
        G = -(Qc.T @ C + const)
        out += [G[t.sources, j] for j, t in enumerate(group)]
    return out


def _columns(Qt: np.ndarray, t: _Target, cols: np.ndarray) -> np.ndarray:
    """Columns ``cols`` of ``Q`` of ``t``'s matrix ``P_t`` (rows x len(cols), Fortran-ordered
    like every working set: see :func:`.active_set._join`)."""
    return observed_label_proba(np.take(Qt[cols], t.rows, axis=1).T, t.y)
