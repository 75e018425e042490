"""Working-set sequential quadratic programming for the mixture-form losses (cross-entropy and
log-likelihood), certified by the Frank-Wolfe gap over all sources.

MixMin's optimum is sparse: a few sources carry the mass. So the full (rows x sources) matrix is
read only to pick a working set (the sources with the most negative gradient at the uniform
mixture, on a sample of the rows of a tall matrix; one read then gathers the set's columns and
checks the input) and, after each inner solve, to compute the full gradient, whose duality gap
either certifies the solution or names the sources to add. The inner problem on the working set
is solved as in mixsqp (Kim et al., 2020, arXiv 1806.01412): minimise
``-sum_j a_j log(A_j . x) + (sum_j a_j) * sum(x)`` over ``x >= 0`` (its minimiser sums to 1, so it
is the simplex problem without the equality constraint) by Newton steps whose quadratic model is
a non-negative least-squares problem on the working set only (SciPy's ``nnls``), with a
backtracking line search. On targets with many rows the Hessian comes from an evenly spaced
sample of them (sub-sampled Newton: Roosta-Khorasani and Mahoney, Math. Program. 174, 2019):
any positive definite Hessian gives a descent direction whose fixed point is the optimum, so
the sample changes the number of steps, not the solution.

Targets advance in rounds (:func:`run_rounds`): every unfinished target solves on its working set,
then one call computes all their full gradients, so a caller that holds the targets' matrices in
a shared form (:mod:`.panel`) computes them with one matrix product.

Written here because no library solves this problem with a certificate: SciPy's general
constrained solvers certify nothing and SLSQP takes about 9 s per ToxCast target
(benchmarks/results/solver.md); mixsqp itself is an R package.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.linalg import LinAlgError
from scipy.linalg.lapack import dpotrf, dtrtrs
from scipy.optimize import nnls

from .objectives import Problem, check_probabilities, min_max, row_blocks

#: Sources in the first working set; each round adds up to half as many again.
FIRST_SET = 16
#: Targets with more rows than twice this pick their first working set from the gradient on an
#: evenly spaced sample of about this many rows, and their Newton steps take the Hessian from
#: that sample (the gradient, the line search and the certificate use every row): a step then
#: costs a few passes over the working set instead of rows x |S|^2.
SAMPLE_ROWS = 4096
#: Steps with a sampled Hessian before a solve falls back to the exact one.
SAMPLED_STEPS = 20
ALL_ROWS = slice(None)
#: Size above which a C-ordered matrix is streamed from memory, not cache, by the certificate.
STREAM_BYTES = 48 * 2**20
MAX_ROUNDS = 50
MAX_NEWTON = 200


class WorkingSet:
    """One target between rounds: its working set ``S``, the target's matrix restricted to it
    (``work``, float64), row weights ``a``, the current solution ``x`` on ``S`` and the rows
    its Newton steps take the Hessian from."""

    def __init__(
        self, S: np.ndarray, work: np.ndarray, a: np.ndarray, const: float, k: int
    ) -> None:
        self.S, self.work, self.a, self.const, self.k = S, work, a, const, k
        self.x = np.full(len(S), 1.0 / len(S))
        self.newton, self.trace = 0, []
        self.hessian_rows = _sample(len(a))
        self.w = self.pred = None
        self.f = self.gap = np.inf

    def solve(self, tol: float) -> None:
        """Newton steps on the working set; sets the full weights ``w`` and predictions."""
        self.x, steps = _newton(self.work, self.a, self.x, tol, self.hessian_rows)
        self.newton += steps
        self.w = np.zeros(self.k)
        self.w[self.S] = self.x / self.x.sum()
        self.pred = self.work @ self.w[self.S]
        self.f = self.const - float(self.a @ np.log(self.pred))
        self.trace.append(self.f)

    def finished(
        self, g: np.ndarray, tol: float, columns: Callable[[np.ndarray], np.ndarray]
    ) -> bool:
        """Certify with the full gradient ``g``, or grow the working set by the sources that
        violate the optimality conditions most (their columns from ``columns``)."""
        now = g @ self.w
        self.gap = float(now - g.min())
        if self.gap <= tol:
            return True
        violating = g < now
        violating[self.S] = False
        outside = np.flatnonzero(violating)
        add = outside[np.argsort(g[outside], kind="stable")][: max(4, len(self.S) // 2)]
        if not len(add):
            if self.hessian_rows == ALL_ROWS:  # rounding hides any further improvement
                return True
            self.hessian_rows = ALL_ROWS  # the sampled solve was inexact: solve it exactly
            return False
        # Sources the inner solve left at zero that the gradient does not ask for leave the
        # set: each Newton step costs rows x |S|^2, and the optimum uses few sources.
        keep = (self.x > 0) | (g[self.S] < now)
        self.S, self.x, self.work = self.S[keep], self.x[keep], self.work[:, keep]
        self.x = np.concatenate([self.x, np.full(len(add), 1e-3 / len(self.S))])
        self.S = np.concatenate([self.S, add])
        self.work = _join(self.work, columns(add))
        return False

    def result(self, tol: float) -> dict:
        return {
            "w": self.w,
            "f": self.f,
            "gap": self.gap,
            "iters": self.newton,
            "converged": self.gap <= tol,
            "trace": np.asarray(self.trace),
        }


def run_rounds(
    states: list[WorkingSet],
    gradients: Callable[[list[int]], list[np.ndarray]],
    columns: Callable[[int, np.ndarray], np.ndarray],
    tol: float,
) -> list[dict]:
    """Solve every target to ``gap <= tol``. ``gradients(live)`` returns the full gradient of
    each target in ``live`` at its current ``pred``; ``columns(i, sources)`` returns target
    ``i``'s matrix columns for ``sources``."""
    live = list(range(len(states)))
    for _ in range(MAX_ROUNDS):
        for i in live:
            states[i].solve(tol)
        grads = gradients(live)
        live = [
            i
            for i, g in zip(live, grads, strict=True)
            if not states[i].finished(g, tol, lambda add, i=i: columns(i, add))
        ]
        if not live:
            break
    return [s.result(tol) for s in states]


def solve_active_set(problem: Problem, *, tol: float, dtype=np.float64) -> dict:
    """Minimise ``problem`` (mixture form) over the simplex; the full-matrix passes run in
    ``dtype``, everything on the working set in float64. An unchecked problem
    (``problem.eps`` set) is checked in the same read that gathers the first working set."""
    A, a = problem.A, problem.a
    rows = _sample(len(a))
    with np.errstate(all="ignore"):  # unchecked input is checked below, before any other use
        g = _gradient_at_uniform(A[rows], a[rows])
    S = np.argsort(g, kind="stable")[: min(FIRST_SET, A.shape[1])]
    work, lo, hi = _gather_with_bounds(A, S)
    if problem.eps is not None:
        check_probabilities(A, lo, hi, problem.name)
        if lo < problem.eps:
            A = np.maximum(A, problem.eps)
            np.maximum(work, problem.eps, out=work)
    S, work = _cover(A, S, work)
    full = A if dtype == np.float64 else A.astype(dtype)
    state = WorkingSet(S, work, a, problem.const, A.shape[1])
    return run_rounds(
        [state], lambda live: [_gradient(full, a, state.pred)], lambda _, add: A[:, add], tol
    )[0]


def _sample(n: int) -> slice:
    """An evenly spaced sample of about SAMPLE_ROWS of ``n`` rows when ``n`` is over twice
    that, else all of them."""
    return slice(0, n, n // SAMPLE_ROWS) if n > 2 * SAMPLE_ROWS else ALL_ROWS


def _gradient(A: np.ndarray, a: np.ndarray, pred: np.ndarray) -> np.ndarray:
    v = (a / pred).astype(A.dtype)
    if A.flags.c_contiguous and A.nbytes > STREAM_BYTES:
        # on such a matrix OpenBLAS's gemv read memory at about half the speed of NumPy's
        # einsum, which sums it row by row (benchmarks/solver.py)
        return -np.einsum("ij,i->j", A, v).astype(np.float64)
    return -(v @ A).astype(np.float64)


def _gradient_at_uniform(A: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The gradient at the uniform mixture, reading ``A`` once (its row means and the product
    with them per cached block of rows)."""
    k = A.shape[1]
    uniform = np.full(k, 1.0 / k, dtype=A.dtype)
    g = np.zeros(k)
    for rows in row_blocks(A):
        block = A[rows]
        g -= (a[rows] / (block @ uniform)).astype(A.dtype) @ block
    return g


def _gather_with_bounds(A: np.ndarray, S: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Columns ``S`` of ``A`` (Fortran-ordered), and ``A``'s minimum and maximum (NaN if it
    holds one). A C-ordered ``A`` is read once, a cached block of rows at a time: the gather
    reads every row whatever ``S`` is, so the extremes cost no extra read."""
    if not A.flags.c_contiguous:
        return np.asfortranarray(A[:, S]), *min_max(A)
    work = np.empty((A.shape[0], len(S)), order="F")

    def gather(rows: slice, block: np.ndarray) -> None:
        work[rows] = block[:, S]

    return work, *min_max(A, gather)


def _join(work: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``work`` and ``columns`` side by side, Fortran-ordered: the Newton steps' products
    ``v @ work`` read a Fortran-ordered working set several times faster (0.07 ms against
    0.33 ms on 55,000 x 18)."""
    return np.vstack([work.T, columns.T]).T


def _cover(A: np.ndarray, S: np.ndarray, work: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``S`` and its columns ``work`` of ``A``, with the best source added for every row to
    which ``S`` gives probability 0 (log-likelihoods of -inf), so the working-set objective is
    finite."""
    dead = work @ np.ones(len(S)) <= 0  # BLAS: several times np.sum's speed on few columns
    if dead.any():
        add = np.setdiff1d(np.unique(A[dead].argmax(axis=1)), S)
        S, work = np.concatenate([S, add]), _join(work, A[:, add])
    return S, work


def _newton(
    A: np.ndarray, a: np.ndarray, x: np.ndarray, tol: float, hessian_rows: slice = ALL_ROWS
) -> tuple[np.ndarray, int]:
    """mixsqp on the working set ``A`` from ``x > 0``, its Hessians from ``hessian_rows``;
    returns the solution and its steps."""
    scale = a.sum()
    pred = A @ x
    F = scale * x.sum() - a @ np.log(pred)
    root, exact = _hessian_weights(a, hessian_rows)
    for step in range(1, MAX_NEWTON + 1):
        if step > SAMPLED_STEPS and not exact:
            hessian_rows = ALL_ROWS
            root, exact = _hessian_weights(a, hessian_rows)
        B = A[hessian_rows] * (root / pred[hessian_rows])[:, None]
        H = B.T @ B
        Hx = H @ x
        # The exact H has H x = A'(a / pred) because A x = pred: a pass over A saved.
        g = scale - (Hx if exact else (a / pred) @ A)
        R = _cholesky(H)
        # The quadratic model of F around x, minimised over y >= 0, is an NNLS problem:
        # 1/2 y'Hy - (Hx - g)'y. Any H > 0 gives a descent direction, and its fixed points are
        # the optimum, so a sampled H only slows the convergence.
        c, _ = dtrtrs(R, Hx - g, lower=0, trans=1)
        y, _ = nnls(R, c, maxiter=50 * len(x))
        p = y - x
        slope = float(g @ p)
        if slope >= 0:
            return x, step
        t = 1.0
        with np.errstate(divide="ignore"):
            while True:
                x_new = x + t * p
                pred_new = A @ x_new
                F_new = scale * x_new.sum() - a @ np.log(pred_new)
                if F_new <= F + 0.01 * t * slope:
                    break
                t *= 0.5
                if t < 1e-10:  # rounding hides the decrease: x is as good as it gets
                    return x, step
        x, pred, F = x_new, pred_new, F_new
        # Steps converge quadratically: the model's decrease after a step this small is far
        # below tol (the outer loop certifies with the full gradient).
        if -slope < 1e-3 * tol:
            return x, step
    return x, MAX_NEWTON


def _hessian_weights(a: np.ndarray, rows: slice) -> tuple[np.ndarray, bool]:
    """Square roots of the row weights of the Hessian taken on ``rows`` (scaled to the total
    weight), and whether ``rows`` is every row."""
    sample = a[rows]
    return np.sqrt(sample * (a.sum() / sample.sum())), len(sample) == len(a)


def _cholesky(H: np.ndarray) -> np.ndarray:
    """Upper Cholesky factor of the Hessian ``H``, with a relative ridge: duplicated or
    proportional sources make ``H`` singular, and the ridge keeps the factor defined without
    moving the solution measurably. LAPACK directly: SciPy's checked wrapper costs as much as
    the factorisation at working-set sizes, thousands of times a panel."""
    diagonal = np.diagonal(H).copy()
    size = diagonal.sum() / len(diagonal)
    for ridge in (1e-12, 1e-8):
        H.flat[:: len(H) + 1] = diagonal + ridge * size + 1e-300
        R, info = dpotrf(H, lower=0, clean=1)
        if not info:
            return R
    raise LinAlgError(f"working-set Hessian is not positive definite (LAPACK info {info})")
