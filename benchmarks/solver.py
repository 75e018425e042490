"""MixMin solver benchmark: the paper's per-target loop against SciPy and the batched solver.

    python benchmarks/solver.py [--panels tox21 toxcast] [--max-targets N] [--repeats 3]
                                [--synthetic-max-rows 100000] [--scipy-targets 3] [--device auto]

Problems: (a) the real proxy matrices of every target of each panel (each target against all other
assays' proxies, on its own proxy-train rows; proxies come from the package pipeline and are
cached under benchmarks/results/cache); (b) SYNTHETIC problems shaped like the paper's PCBA panel
(128 targets x 127 sources, rows per target uniform in [max_rows/10, max_rows]) whose entries are
resampled from the real matrices' values.

Methods: "reference loop" is the paper's solver (eta 1, 100 steps, stop at max|grad| < 1e-4) as an
efficient NumPy loop over targets; "scipy SLSQP" per target (on the first --scipy-targets targets,
extrapolated to all and marked so); "batched" is bioassay_mix.solver.solve on all targets at once
(float64 and float32); "active set" is solve(method="active_set"), working-set Newton steps per
target; "active set, panel form" is solve_panel on the panel's shared inputs (the proxy table Q
and a label table; real panels only), which never builds the per-target matrices; CuPy when a
GPU is present. The bandwidth bound is the time to read every problem's P twice per iteration
(P w and P^T v) at the measured memory bandwidth. input_MB is what a method reads: the
per-target matrices, or Q and the labels; one read of it is the floor for that method, so
reference time / one read is the largest speed-up a solver given that input can show.
Times are the best of --repeats runs (SciPy: one).
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import numpy as np
import pandas as pd
from _common import RESULTS, write_tables
from scipy.optimize import minimize

from bioassay_mix import Compute, RunConfig, load_panel
from bioassay_mix.device import cuda_available
from bioassay_mix.protocol import mixmin_labels, prepare
from bioassay_mix.solver import solve, solve_panel
from bioassay_mix.solver.objectives import observed_label_proba


def reference_loop(
    P: np.ndarray, eta: float = 1.0, steps: int = 100, grad_tol: float = 1e-4
) -> np.ndarray:
    """The paper's exponentiated-gradient loop for one target."""
    n, k = P.shape
    w = np.full(k, 1.0 / k)
    for _ in range(steps):
        g = -((1.0 / (P @ w)) @ P) / n
        if np.abs(g).max() < grad_tol:
            break
        w = w * np.exp(-eta * (g - g.min()))
        w /= w.sum()
    return w


def objective_and_gap(P: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    s = P @ w
    g = -((1.0 / s) @ P) / len(P)
    return float(-np.mean(np.log(s))), float((-g).max() + g @ w)


def slsqp(P: np.ndarray) -> np.ndarray:
    n, k = P.shape
    res = minimize(
        lambda w: -np.mean(np.log(P @ w)),
        np.full(k, 1.0 / k),
        jac=lambda w: -((1.0 / (P @ w)) @ P) / n,
        method="SLSQP",
        bounds=[(0, 1)] * k,
        options={"ftol": 1e-12, "maxiter": 500},
        constraints=(
            {"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones_like(w)},
        ),
    )
    w = np.clip(res.x, 0, None)
    return w / w.sum()


def bandwidth_gbs() -> float:
    """Memory read bandwidth: the fastest of 5 NumPy reductions and 5 BLAS matrix-vector
    products over a 256 MiB matrix (which of the two reads faster depends on the machine)."""
    A = np.ones((256 * 2**20 // 8 // 128, 128))  # out of cache
    x = np.ones(128)
    best = min(timed(A.min, 5)[0], timed(lambda: A @ x, 5)[0])
    return A.nbytes / best / 1e9


def real_problems(
    panel: str,
    max_targets: int | None,
    clip: float = 1e-12,
) -> tuple[list[np.ndarray], tuple[pd.DataFrame, pd.DataFrame]]:
    """Each target's matrix, and the panel form (proxy table, labels) they are built from."""
    cfg = RunConfig(min_test_positives=1, compute=Compute(n_jobs=-1))
    prep = prepare(load_panel(panel), config=cfg, out_dir=RESULTS / "cache" / f"{panel}-solver")
    if max_targets and len(prep.targets) > max_targets:
        rng = np.random.default_rng(0)
        prep.targets = sorted(rng.choice(prep.targets, max_targets, replace=False).tolist())
    labels = mixmin_labels(prep)
    problems = []
    for t in prep.targets:  # P[j, p]: source p's probability of target t's label on row j
        r = labels[t].notna().to_numpy()
        sources = [s for s in prep.Q.columns if s != t]
        problems.append(
            np.maximum(
                observed_label_proba(
                    prep.Q.loc[r, sources].to_numpy(), labels.loc[r, t].to_numpy()
                ),
                clip,
            )
        )
    return problems, (prep.Q, labels)


def value_sample(problems: list[np.ndarray], per_problem: int = 10000, seed: int = 0) -> np.ndarray:
    """A sample of the real matrices' entries (the synthetic problems draw from it)."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.choice(p.ravel(), min(per_problem, p.size)) for p in problems])


def synthetic_problems(values: np.ndarray, max_rows: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(128):
        n = int(rng.integers(max_rows // 10, max_rows + 1))
        P = rng.choice(values, size=(n, 127))
        # a few informative sources: shift mass towards the observed label
        for j in rng.choice(127, size=3, replace=False):
            P[:, j] = np.clip(P[:, j] + rng.uniform(0.1, 0.4), 0, 1)
        out.append(P)
    return out


def timed(func, repeats: int):
    """(best wall time of ``repeats`` calls, the last call's result)."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - start)
    return best, out


def bench(
    name: str,
    problems: list[np.ndarray],
    scipy_targets: int,
    device: str,
    bw: float,
    repeats: int,
    panel: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    rows = []
    nbytes = sum(p.nbytes for p in problems)
    t_ref, ref = timed(lambda: [reference_loop(P) for P in problems], repeats)
    og = np.array([objective_and_gap(P, w) for P, w in zip(problems, ref, strict=True)])
    rows.append(
        {
            "method": "reference loop (paper)",
            "time_s": t_ref,
            "iters": 100,
            "objective_mean": og[:, 0].mean(),
            "gap_max": og[:, 1].max(),
            "note": "per target",
        }
    )

    m = min(scipy_targets, len(problems))
    t = time.perf_counter()
    ws = [slsqp(P) for P in problems[:m]]
    t_sp = (time.perf_counter() - t) * len(problems) / m
    og_sp = np.array([objective_and_gap(P, w) for P, w in zip(problems[:m], ws, strict=True)])
    rows.append(
        {
            "method": "scipy SLSQP",
            "time_s": t_sp,
            "iters": np.nan,
            "objective_mean": np.nan,
            "gap_max": og_sp[:, 1].max(),
            "note": f"{m} of {len(problems)} targets, time extrapolated",
        }
    )

    variants = [
        ("active set float64", "float64", "cpu", "active_set"),
        ("batched float64", "float64", "cpu", "adaptive"),
        ("batched float32", "float32", "cpu", "adaptive"),
        ("batched reference (paper's steps)", "float64", "cpu", "reference"),
    ]
    if device != "cpu" and cuda_available():
        variants += [
            ("batched CuPy float64", "float64", "cuda", "adaptive"),
            ("batched CuPy float32", "float32", "cuda", "adaptive"),
        ]
    for label, dtype, dev, method in variants:
        el, res = timed(partial(solve, problems, dtype=dtype, device=dev, method=method), repeats)
        og = np.array(
            [objective_and_gap(P, r.weights.to_numpy()) for P, r in zip(problems, res, strict=True)]
        )
        iters = max(r.n_iter for r in res)
        scale = 0.5 if dtype == "float32" else 1.0
        bound = (
            ""
            if method == "active_set"
            else f"bandwidth bound {2 * nbytes * scale * iters / (bw * 1e9):.2f} s; "
        )
        rows.append(
            {
                "method": label,
                "time_s": el,
                "iters": iters,
                "objective_mean": og[:, 0].mean(),
                "gap_max": og[:, 1].max(),
                "note": f"{bound}{sum(r.converged for r in res)}/{len(res)} certified",
            }
        )
    table = pd.DataFrame(rows)
    table["input_MB"] = nbytes / 1e6
    if panel is not None:
        el, res = timed(partial(solve_panel, *panel), repeats)
        og = np.array(
            [objective_and_gap(P, r.weights.to_numpy()) for P, r in zip(problems, res, strict=True)]
        )
        table.loc[len(table)] = {
            "method": "active set, panel form",
            "time_s": el,
            "iters": max(r.n_iter for r in res),
            "objective_mean": og[:, 0].mean(),
            "gap_max": og[:, 1].max(),
            "note": f"{sum(r.converged for r in res)}/{len(res)} certified",
            "input_MB": sum(f.memory_usage(index=False).sum() for f in panel) / 1e6,
        }
    table.insert(0, "problems", name)
    table["speedup_vs_reference"] = t_ref / table["time_s"]
    table["one_read_of_input_s"] = table["input_MB"] * 1e6 / (bw * 1e9)
    table["largest_possible_speedup"] = t_ref / table["one_read_of_input_s"]
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--panels", nargs="+", default=["tox21", "toxcast"])
    ap.add_argument("--synthetic-max-rows", type=int, default=100000)
    ap.add_argument("--scipy-targets", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--max-targets",
        type=int,
        default=None,
        help="a seeded sample of each panel's targets (memory: ToxCast's 617 "
        "targets hold about 5 GB of P in float64)",
    )
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()
    bw = bandwidth_gbs()
    tables, pool, shapes = [], [], {}
    for panel in args.panels:
        probs, panel_form = real_problems(panel, args.max_targets)
        pool.append(value_sample(probs))
        shapes[panel] = (
            f"{len(probs)} targets, rows {min(len(p) for p in probs)}-"
            f"{max(len(p) for p in probs)}, sources {probs[0].shape[1]}"
        )
        tables.append(
            bench(panel, probs, args.scipy_targets, args.device, bw, args.repeats, panel_form)
        )
        del probs  # memory: ToxCast's 617 matrices are 4.3 GB
    synth = synthetic_problems(np.concatenate(pool), args.synthetic_max_rows)
    shapes["synthetic PCBA-shaped"] = (
        f"128 targets x 127 sources, rows "
        f"{min(len(p) for p in synth)}-{max(len(p) for p in synth)} (SYNTHETIC)"
    )
    tables.append(
        bench("synthetic PCBA-shaped", synth, args.scipy_targets, args.device, bw, args.repeats)
    )
    notes = [
        f"Measured memory read bandwidth {bw:.1f} GB/s (the faster of a NumPy reduction "
        "and a BLAS matrix-vector product over 256 MiB).",
        *[f"- {k}: {v}" for k, v in shapes.items()],
        "objective_mean: mean cross-entropy over targets (lower is better); gap_max: largest"
        " Frank-Wolfe duality gap (a certified bound on the distance to the optimum).",
        f"GPU: {'present' if cuda_available() else 'none on this machine; CuPy rows absent'}.",
    ]
    write_tables("solver", "MixMin solver benchmark", {"results": pd.concat(tables)}, notes)


if __name__ == "__main__":
    main()
