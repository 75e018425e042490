"""The three MixMin losses, put into one of two batched forms the engine minimises over the simplex.

* ``mixture`` form (cross-entropy and log-likelihood): f(w) = c - sum_j a_j log(A_j . w) with
  A >= 0 and row weights a_j >= 0. Cross-entropy: A = P (probability of the observed label, clipped
  at ``eps``), a_j = 1/n. Log-likelihood: with LL the per-sequence log-likelihoods and m_j their
  row maximum, A = exp(LL - m_j) in (0, 1], a_j = 1/(n len_j) and c = -sum_j a_j m_j, i.e. the
  length-normalised negative log-likelihood of the weighted mixture, computed as a weighted
  logsumexp without overflow.
* ``least_squares`` form (squared error): f(w) = sum_j a_j (F_j . w - y_j)^2, a_j = 1/n.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import DataError

LOSSES = ("cross_entropy", "squared_error", "log_likelihood")

#: Probabilities below this are raised to it before the log (a proxy can output 0 in float32).
DEFAULT_EPS = 1e-12
#: Rows per block when a matrix is swept once for several reductions: a block stays in cache
#: between them, so the sweep reads the matrix from memory once.
BLOCK_BYTES = 2 * 2**20


@dataclass
class Problem:
    """One target's problem in engine form (host NumPy arrays, float64)."""

    A: np.ndarray  # (n, k) mixture components or predictions
    a: np.ndarray  # (n,) row weights
    y: np.ndarray | None  # (n,) regression targets (least squares) else None
    const: float  # objective offset
    name: str
    #: Cross-entropy input not yet checked (``make_problem(check=False)``): the solver must
    #: check that ``A`` holds probabilities and clip it at ``eps`` before using it.
    eps: float | None = None


def make_problem(
    P,
    *,
    loss: str,
    y=None,
    lengths=None,
    eps: float = DEFAULT_EPS,
    name: str = "target",
    check: bool = True,
) -> Problem:
    """Validate one target's inputs and convert them to engine form. ``check=False`` leaves a
    cross-entropy matrix's range check and clip to a solver that does them in its own first
    read of it (the returned problem's ``eps`` is then set)."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    # No copy (nothing here writes to A) and no temporaries on valid input: for a panel's worth
    # of targets these matrices are gigabytes, and each extra pass costs more than the solve.
    A = np.asarray(P, dtype=np.float64)
    if A.ndim != 2:
        raise DataError(f"{name}: expected a 2-D (rows x sources) matrix, got shape {A.shape}")
    n, k = A.shape
    if n == 0 or k == 0:
        raise DataError(f"{name}: matrix has shape {A.shape}; need at least one row and source")
    a = np.full(n, 1.0 / n)
    if loss == "cross_entropy" and not check:
        return Problem(A, a, None, 0.0, name, eps)
    lo, hi = min_max(A)  # NaN propagates, so NaN input fails every test below
    if loss == "cross_entropy":
        check_probabilities(A, lo, hi, name)
        return Problem(np.maximum(A, eps) if lo < eps else A, a, None, 0.0, name)
    if loss == "log_likelihood":
        if not hi < np.inf:
            check_finite(A, name, allow_neg_inf=True)
    elif not (np.isfinite(lo) and np.isfinite(hi)):
        check_finite(A, name)
    if loss == "squared_error":
        if y is None:
            raise DataError(f"{name}: squared_error needs y (the real-valued targets)")
        yv = np.asarray(y, dtype=np.float64).reshape(-1)
        if yv.shape[0] != n:
            raise DataError(f"{name}: y has {yv.shape[0]} values but the matrix has {n} rows")
        check_finite(yv[:, None], name)
        return Problem(A, a, yv, 0.0, name)
    lens = np.ones(n) if lengths is None else np.asarray(lengths, dtype=np.float64).reshape(-1)
    if lens.shape[0] != n:
        raise DataError(f"{name}: lengths has {lens.shape[0]} values but there are {n} sequences")
    if not np.all(np.isfinite(lens) & (lens > 0)):
        j = int(np.flatnonzero(~(np.isfinite(lens) & (lens > 0)))[0])
        raise DataError(f"{name}: sequence {j} has length {lens[j]}; lengths must be > 0")
    m = A.max(axis=1)
    if not np.all(np.isfinite(m)):
        j = int(np.flatnonzero(~np.isfinite(m))[0])
        raise DataError(
            f"{name}: sequence {j} has log-likelihood -inf under every source; "
            "no mixture can explain it"
        )
    a = 1.0 / (n * lens)
    return Problem(np.exp(A - m[:, None]), a, None, float(-(a * m).sum()), name)


def observed_label_proba(P: np.ndarray, y: np.ndarray) -> np.ndarray:
    """P(observed label) from P(class 1): ``P`` where y == 1, ``1 - P`` where y == 0."""
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if not ((y == 0.0) | (y == 1.0)).all():
        raise DataError("cross-entropy MixMin needs binary 0/1 target labels")
    return np.where(y[:, None] == 1.0, P, 1.0 - P)


def row_blocks(A: np.ndarray) -> Iterator[slice]:
    """Slices of ``A``'s rows of about BLOCK_BYTES each."""
    step = max(1, BLOCK_BYTES // max(1, A.shape[1] * A.itemsize))
    for start in range(0, A.shape[0], step):
        yield slice(start, start + step)


def min_max(
    A: np.ndarray, each_block: Callable[[slice, np.ndarray], None] | None = None
) -> tuple[float, float]:
    """``(A.min(), A.max())`` in one read of ``A``; NaN if ``A`` holds one. ``each_block(rows,
    block)``, if given, is called on every cached block of ``A``'s rows, so a caller can do
    other work in the same read."""
    if each_block is None and A.flags.f_contiguous and not A.flags.c_contiguous:
        A = A.T  # its rows are contiguous: a block of them is one stretch of memory
    lo, hi = np.inf, -np.inf
    for rows in row_blocks(A):
        block = A[rows]
        lo, hi = np.minimum(lo, block.min()), np.maximum(hi, block.max())
        if each_block is not None:
            each_block(rows, block)
    return float(lo), float(hi)


def check_probabilities(
    A: np.ndarray, lo: float, hi: float, name: str, labels: tuple[Sequence, Sequence] | None = None
) -> None:
    """Raise naming the first entry of ``A`` that is not a probability, given its minimum and
    maximum (:func:`min_max`); reads ``A`` again only when there is one."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        check_finite(A, name, labels=labels)
    if not (lo >= 0 and hi <= 1):
        check_range(A, name, labels=labels)


def check_finite(
    A: np.ndarray,
    name: str,
    allow_neg_inf: bool = False,
    labels: tuple[Sequence, Sequence] | None = None,
) -> None:
    """Raise naming the first non-finite entry (its row and source, or their ``labels``)."""
    bad = np.isnan(A) | np.isposinf(A)
    if not allow_neg_inf:
        bad |= np.isneginf(A)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(f"{name}: value {A[r, c]} at {_where(r, c, labels)}; inputs must be finite")


def check_range(A: np.ndarray, name: str, labels: tuple[Sequence, Sequence] | None = None) -> None:
    """Raise naming the first entry outside [0, 1]."""
    bad = (A < 0) | (A > 1)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(
            f"{name}: probability {A[r, c]} at {_where(r, c, labels)} is outside [0, 1]"
        )


def _where(r: int, c: int, labels: tuple[Sequence, Sequence] | None) -> str:
    if labels is None:
        return f"row {r}, source {c}"
    return f"row {labels[0][r]!r}, source {labels[1][c]!r}"


def names_for(count: int, names: Sequence[str] | None) -> list[str]:
    if names is None:
        return [f"target {i}" for i in range(count)]
    names = [str(n) for n in names]
    if len(names) != count:
        raise DataError(f"{len(names)} names for {count} targets")
    return names
