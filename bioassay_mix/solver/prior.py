"""MixMin with a Dirichlet prior on the weights: the MAP weights, by damped Newton steps.

With a few dozen labels, MixMin's weights are fitted to a few dozen compounds, and on a library
of hundreds of sources they overfit: on ToxCast at 16 labels, plain MixMin + target fell well
below natural pooling of every source + target (``benchmarks/label_budget.py``). A Dirichlet
prior with pseudo-counts ``beta_p`` (natural pooling's shares times a strength,
:func:`bioassay_mix.natural_prior.natural_prior_counts`) gives, for n rows, the MAP problem

    min_w  -(sum_j log(P_j . w) + sum_p beta_p log w_p) / (n + sum_p beta_p)

over the simplex: MixMin's own objective with ``sum(beta)`` pseudo-compounds, ``beta_p`` of which
only source p explains. Every ``beta_p > 0`` keeps the optimum inside the simplex, where MixMin's
sparse solvers are at their worst: the active set must hold every source, and exponentiated gradient
takes hundreds of steps on a thousand rows x 600 sources. The objective is a sum of logarithms of
affine functions, smooth inside the simplex, so Newton's method on the simplex's affine hull, damped
by 1/(1 + Newton decrement) while the decrement is large and backtracked to stay inside and descend
(Boyd and Vandenberghe, Convex Optimization, 9.5 and 10.2), converges quadratically near the
optimum, in a few dozen steps at most (``benchmarks/solver.py``). A step costs rows x sources^2 for
the Hessian and sources^3 for its factor; with fewer rows than sources (FS-Mol's 4,935-assay library
against a few dozen labels) the Woodbury identity gives the same step for rows^2 x sources. Written
here because no library solves this problem with a certificate; the result is certified by the same
Frank-Wolfe gap as every other solver's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.linalg import cho_factor, cho_solve
from scipy.linalg.blas import dsyrk

from ..errors import DataError
from .objectives import DEFAULT_EPS, check_probabilities, min_max
from .result import MixMinResult

MAX_STEPS = 200
#: The ``method`` of its results, and MixMinClassifier's name for it.
PRIOR_METHOD = "dirichlet_newton"


def solve_dirichlet(
    P, beta, *, tol: float = 1e-6, eps: float = DEFAULT_EPS, name: str = "target"
) -> MixMinResult:
    """The MAP mixture weights under a Dirichlet prior (see the module docstring).

    Parameters
    ----------
    P : array-like or DataFrame of shape (n_rows, n_sources)
        Each source's probability of the row's observed label (clipped at ``eps``).
    beta : array-like of shape (n_sources,)
        The prior's pseudo-counts, each > 0.
    tol : float, default=1e-6
        Frank-Wolfe gap to certify.
    eps : float, default=1e-12
        Probabilities are clipped to at least ``eps`` before the log.
    name : str, default="target"
        The target's name, for messages and the result.

    Returns
    -------
    MixMinResult
        ``objective`` is the penalised objective above; ``method`` is ``"dirichlet_newton"``.

    Examples
    --------
    >>> import numpy as np
    >>> P = np.array([[0.9, 0.5], [0.8, 0.5], [0.2, 0.5]])
    >>> r = solve_dirichlet(P, beta=[1.0, 1.0])
    >>> r.weights.round(3).tolist(), bool(r.gap <= 1e-6)
    ([0.519, 0.481], True)
    """
    columns = P.columns if isinstance(P, pd.DataFrame) else range(np.shape(P)[1])
    A = np.asarray(P, dtype=np.float64)
    if A.ndim != 2 or 0 in A.shape:
        raise DataError(
            f"{name}: expected a non-empty 2-D (rows x sources) matrix, got shape {A.shape}"
        )
    check_probabilities(A, *min_max(A), name)
    A = np.maximum(A, eps)
    b = np.asarray(beta, dtype=np.float64).reshape(-1)
    if b.shape != (A.shape[1],) or not np.all(np.isfinite(b) & (b > 0)):
        raise DataError(
            f"{name}: the prior needs one finite pseudo-count > 0 per source "
            f"({A.shape[1]}), got {b[:5]}"
        )
    total = A.shape[0] + b.sum()

    def objective(w: np.ndarray) -> float:
        return -(np.log(A @ w).sum() + b @ np.log(w)) / total

    w = b / b.sum()  # the prior's mean: inside the simplex
    f, trace, steps = objective(w), [], 0
    while True:
        pred = A @ w
        g = -(A.T @ (1.0 / pred) + b / w) / total
        gap = float(g @ w - g.min())
        trace.append(f)
        if gap <= tol or steps == MAX_STEPS:
            break
        u, v = _newton_solves(A / pred[:, None], b / w**2, total, g)
        step = -(u - (u.sum() / v.sum()) * v)
        decrement = float(np.sqrt(max(-g @ step, 0.0)))
        t = 1.0 if decrement < 0.25 else 1.0 / (1.0 + decrement)
        while np.any(w + t * step <= 0):
            t *= 0.5
        while True:  # Armijo backtracking on the damped step
            w_new = w + t * step
            f_new = objective(w_new)
            if f_new <= f + 0.25 * t * float(g @ step) or t < 1e-12:
                break
            t *= 0.5
        if f_new > f:  # rounding hides any further decrease
            break
        w, f, steps = w_new, f_new, steps + 1
    w = w / w.sum()
    return MixMinResult(
        weights=pd.Series(w, index=columns, name=name),
        objective=float(f),
        gap=gap,
        n_iter=steps,
        converged=gap <= tol,
        loss="cross_entropy",
        method=PRIOR_METHOD,
        target=name,
        trace=np.asarray(trace),
    )


def _newton_solves(
    B: np.ndarray, curvature: np.ndarray, total: float, g: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``H^-1 g`` and ``H^-1 1`` for the Hessian ``H = (B'B + diag(curvature)) / total``.

    With fewer rows than sources (a few labels against a library of thousands), by the
    Woodbury identity through the rows x rows matrix ``I + B D^-1 B'``: rows^2 x sources flops
    instead of the sources^3 of a sources x sources factor, and as well conditioned, since that
    matrix is at least the identity.
    """
    n, k = B.shape
    if n < k:
        dinv = total / curvature  # D^-1 of D = diag(curvature) / total, C = B / sqrt(total)
        C = B / np.sqrt(total)
        S = C * np.sqrt(dinv)  # C D^-1/2
        M = dsyrk(1.0, S, trans=0)
        M[np.diag_indices_from(M)] += 1.0
        factor = cho_factor(M, lower=False)
        rhs = np.column_stack([g, np.ones(k)]) * dinv[:, None]
        out = rhs - dinv[:, None] * (C.T @ cho_solve(factor, C @ rhs))
        return out[:, 0], out[:, 1]
    # The Hessian's upper triangle (all that the Cholesky factor reads), by one symmetric
    # rank-k update: half the flops of B'B. A C-ordered B is B' in Fortran order.
    H = dsyrk(1.0 / total, B.T, trans=0)
    H[np.diag_indices_from(H)] += curvature / total
    # Newton's step on sum(w) = 1, in the variables w_p * sqrt(H_pp): the curvature of a
    # source at weight 1e-5 is 1e10 times another's, and the scaled system is well posed.
    d = 1.0 / np.sqrt(np.diagonal(H))
    factor = cho_factor(H * d[:, None] * d[None, :], lower=False)
    return d * cho_solve(factor, d * g), d * cho_solve(factor, d)
