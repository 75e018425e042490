"""Batched entropic mirror descent over the simplex, certified by the Frank-Wolfe gap.

Targets of different sizes are packed into buckets of similar row counts; each bucket is a
padded (B, n, k) tensor and every step is a batched matrix-vector product, on NumPy or CuPy.
Padded rows carry weight 0 and padded sources are masked out (their weight stays exactly 0).

Written here rather than taken from a library: SciPy and cvxpy solve one problem at a time with
general-purpose methods, which is the per-target loop this engine exists to replace.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import numpy as np

from .objectives import Problem

#: Step sizes are not shrunk below this; a target whose step reaches it has stalled.
ETA_FLOOR = 1e-8
#: Largest bucket on the CPU: about the last-level cache of a small machine.
CPU_BUCKET_BYTES = 8 * 2**20
#: A bucket's padded rows may exceed its smallest problem's rows by at most this factor.
BUCKET_SLACK = 1.25


@dataclass
class Bucket:
    """Padded arrays of several problems, on the engine's array module."""

    index: list[int]  # positions of these problems in the caller's list
    A: object  # (B, n, k)
    a: object  # (B, n)
    y: object | None  # (B, n)
    mask: object  # (B, k) bool: real sources
    const: object  # (B,)


def make_buckets(problems: list[Problem], xp: ModuleType, dtype) -> list[Bucket]:
    """Group problems of similar row counts. On the CPU a bucket is also kept within
    CPU_BUCKET_BYTES, so that the iterations re-read it from cache instead of from DRAM."""
    order = sorted(range(len(problems)), key=lambda i: problems[i].A.shape[0])
    cap = CPU_BUCKET_BYTES if xp is np else None
    itemsize = np.dtype(dtype).itemsize
    groups: list[list[int]] = []
    k_max = 0  # widest problem of the open group
    for i in order:
        n, k = problems[i].A.shape
        if groups:
            head = problems[groups[-1][0]].A.shape[0]
            size = (len(groups[-1]) + 1) * n * max(k, k_max) * itemsize
            if n <= BUCKET_SLACK * head and (cap is None or size <= cap):
                groups[-1].append(i)
                k_max = max(k, k_max)
                continue
        groups.append([i])
        k_max = k
    return [_pack([problems[i] for i in g], g, xp, dtype) for g in groups]


def _pack(problems: list[Problem], index: list[int], xp: ModuleType, dtype) -> Bucket:
    B = len(problems)
    n = max(p.A.shape[0] for p in problems)
    k = max(p.A.shape[1] for p in problems)
    least_squares = problems[0].y is not None
    # Padded rows of the mixture form are all-ones (A.w = 1, log 1 = 0) with weight 0.
    A = np.zeros((B, n, k), dtype=dtype) if least_squares else np.ones((B, n, k), dtype=dtype)
    a = np.zeros((B, n), dtype=dtype)
    y = np.zeros((B, n), dtype=dtype) if least_squares else None
    mask = np.zeros((B, k), dtype=bool)
    for b, p in enumerate(problems):
        rows, cols = p.A.shape
        A[b, :rows, :cols] = p.A
        if not least_squares:
            A[b, :rows, cols:] = 0.0
        a[b, :rows] = p.a
        mask[b, :cols] = True
        if least_squares:
            y[b, :rows] = p.y
    const = np.asarray([p.const for p in problems], dtype=np.float64)
    to = xp.asarray
    return Bucket(index, to(A), to(a), None if y is None else to(y), to(mask), to(const))


def objective_and_grad(bk: Bucket, w, xp: ModuleType):
    """Objective (B,) and gradient (B, k) at weights ``w`` (B, k)."""
    # Products run in the bucket's dtype (float32 halves the bytes read); the objective is summed
    # in float64 so that the line search can still see decreases near the optimum.
    pred = xp.matmul(bk.A, w[:, :, None])[:, :, 0]
    if bk.y is None:
        pred = xp.maximum(pred, xp.finfo(pred.dtype).tiny)
        f = bk.const - (bk.a * xp.log(pred.astype(xp.float64))).sum(axis=1)
        g = -xp.matmul((bk.a / pred)[:, None, :], bk.A)[:, 0, :]
    else:
        r = pred - bk.y
        f = (bk.a * r.astype(xp.float64) ** 2).sum(axis=1) + bk.const
        g = 2.0 * xp.matmul((bk.a * r)[:, None, :], bk.A)[:, 0, :]
    return f, xp.where(bk.mask, g, 0.0)


def fw_gap(g, w, mask, xp: ModuleType):
    """Frank-Wolfe duality gap  max_p(-g_p) - (-g . w): an upper bound on f(w) - min f."""
    neg = xp.where(mask, -g, -xp.inf)
    return neg.max(axis=1) + (g * w).sum(axis=1)


def _grad_rule(g, mask, grad_tol: float, xp):
    return xp.where(mask, xp.abs(g), 0.0).max(axis=1) < grad_tol


def _normalise_log(logw, mask, xp):
    logw = xp.where(mask, logw, -xp.inf)
    top = logw.max(axis=1, keepdims=True)
    w = xp.exp(logw - top)
    w = w / w.sum(axis=1, keepdims=True)
    return w, xp.log(xp.maximum(w, xp.finfo(w.dtype).tiny))


def run_bucket(
    bk: Bucket,
    xp: ModuleType,
    *,
    method: str,
    tol: float,
    max_iter: int,
    eta0: float,
    grad_tol: float,
) -> dict:
    """Solve every problem of a bucket; returns host arrays and per-problem traces."""
    B = bk.mask.shape[0]
    dtype = bk.A.dtype
    w = bk.mask / bk.mask.sum(axis=1, keepdims=True)
    w = w.astype(dtype)
    _, logw = _normalise_log(xp.log(xp.maximum(w, xp.finfo(dtype).tiny)), bk.mask, xp)
    f, g = objective_and_grad(bk, w, xp)
    eta = xp.full(B, eta0, dtype=xp.float64)
    iters = np.zeros(B, dtype=np.int64)
    host = (lambda x: x.get()) if xp is not np else np.asarray
    traces = [host(f)]
    finished = np.full(B, -1, dtype=np.int64)  # loop iteration at which each problem stopped
    done = xp.zeros(B, dtype=bool)
    for it in range(max_iter):
        gap = fw_gap(g, w, bk.mask, xp)
        if method == "reference":
            stop = _grad_rule(g, bk.mask, grad_tol, xp)
        else:
            # A step size driven to the floor means rounding hides any further decrease.
            stop = (gap <= tol) | (eta <= ETA_FLOOR)
        done = done | stop
        finished[(finished < 0) & host(done)] = it
        if bool(done.all()):
            break
        # Shift by the masked minimum: the update is invariant to it and exp() cannot overflow.
        gmin = xp.where(bk.mask, g, xp.inf).min(axis=1, keepdims=True)
        step = (-eta[:, None] * (g - gmin)).astype(dtype)
        w_new, logw_new = _normalise_log(logw + step, bk.mask, xp)
        # One pass computes the trial objective and its gradient: most trials are accepted, so
        # this is 2 products per iteration instead of 3 (value first, gradient after).
        f_new, g_new = objective_and_grad(bk, w_new, xp)
        if method == "reference":
            accept = ~done
        else:
            # Sufficient decrease relative to the entropy (Bregman) distance: the step is within
            # the objective's local relative smoothness, so the iteration is a descent method.
            kl = xp.where(bk.mask, w_new * (logw_new - logw), 0.0).sum(axis=1, dtype=xp.float64)
            lin = ((w_new - w) * g).sum(axis=1, dtype=xp.float64)
            slack = 1e-13 * (xp.abs(f) + 1.0)  # float64 rounding of the sums
            accept = (~done) & (f_new <= f + lin + kl / eta + slack)
            eta = xp.where(done, eta, xp.where(accept, eta * 2.0, xp.maximum(eta * 0.5, ETA_FLOOR)))
        sel = accept[:, None]
        w = xp.where(sel, w_new, w)
        logw = xp.where(sel, logw_new, logw)
        g = xp.where(sel, g_new, g)
        f = xp.where(accept, f_new, f)
        iters += host(accept).astype(np.int64)
        traces.append(host(f))
    gap = fw_gap(g, w, bk.mask, xp)
    converged = host(_grad_rule(g, bk.mask, grad_tol, xp) if method == "reference" else gap <= tol)
    finished[finished < 0] = len(traces) - 1
    trace = np.stack(traces, axis=1).astype(np.float64)
    return {
        "w": host(w).astype(np.float64),
        "f": host(f).astype(np.float64),
        "gap": host(gap).astype(np.float64),
        "iters": iters,
        "converged": converged,
        "trace": [trace[b, : finished[b] + 1] for b in range(B)],
    }
