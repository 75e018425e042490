"""Proxies for every assay with the local executor vs a Dask LocalCluster, and Dask's overhead.

    python benchmarks/dask_scaling.py [--panels toxcast moleculenet] [--workers 2]

For each panel: wall time of the proxy stage (one XGBoost per assay, package defaults, seed 0,
no cache) with ``executor="local"`` (threads) and ``executor="dask"`` (a LocalCluster of
``--workers`` single-threaded processes; its start-up time is reported apart), and whether both
gave the same proxies (max |difference| of their predictions). Then the largest single model,
the natural mixture of every assay, trained on this machine and with ``xgboost.dask`` across the
cluster from the fingerprint partitions left on the workers (wall time, same predictions?). Then
the scheduler's overhead per task: a map of empty tasks.
Writes benchmarks/results/dask_scaling.{md,json} + CSV.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _common import write_tables

from bioassay_mix import Compute, RunConfig, load_panel
from bioassay_mix.executor import DaskExecutor, LocalExecutor
from bioassay_mix.protocol import Prepared, prepare
from bioassay_mix.protocol.baselines import fit_mixture, mixture_rows
from bioassay_mix.protocol.dask_fit import fit_mixture_dask


def noop(i: int) -> int:
    return i


def proxies(panel, executor, workers: int) -> Prepared:
    return prepare(
        panel,
        config=RunConfig(seed=0, compute=Compute(n_jobs=workers, verbose=False)),
        executor=executor,
    )


def largest_model(local: Prepared, remote: Prepared, dask: DaskExecutor, workers: int) -> dict:
    """The natural mixture of every assay: one machine vs xgboost.dask over the partitions."""
    start = time.perf_counter()
    one = fit_mixture(local.X, local.sources, None, n_jobs=workers)
    t_local = time.perf_counter() - start
    start = time.perf_counter()
    spread = fit_mixture_dask(dask.client, remote.parts, remote.sources, None)
    t_dask = time.perf_counter() - start
    return {
        "panel": local.panel.name,
        "rows": len(mixture_rows(local.sources, None)[0]),
        "partitions": len(remote.parts),
        "local_s": t_local,
        "xgboost_dask_s": t_dask,
        "max_abs_diff_pred": float(
            np.abs(one.predict_proba(local.X)[:, 1] - spread.predict_proba(local.X)[:, 1]).max()
        ),
    }


def overhead(executor, n: int) -> float:
    start = time.perf_counter()
    executor.map(noop, list(range(n)), verbose=False)
    return (time.perf_counter() - start) / n * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--panels", nargs="+", default=["toxcast", "moleculenet"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--overhead-tasks", type=int, default=2000)
    args = ap.parse_args()
    start = time.perf_counter()
    dask = DaskExecutor(n_workers=args.workers)
    startup = time.perf_counter() - start
    local = LocalExecutor(args.workers)
    rows, large = [], []
    try:
        for name in args.panels:
            panel = load_panel(name)
            on_local = proxies(panel, local, args.workers)
            on_dask = proxies(panel, dask, args.workers)
            t_local, t_dask = on_local.timings["proxies"], on_dask.timings["proxies"]
            rows.append(
                {
                    "panel": name,
                    "assays": panel.labels.shape[1],
                    "compounds": panel.labels.shape[0],
                    "local_s": t_local,
                    "dask_s": t_dask,
                    "dask_over_local": t_dask / t_local,
                    "max_abs_diff_Q": float(np.abs(on_local.Q - on_dask.Q).max().max()),
                }
            )
            large.append(largest_model(on_local, on_dask, dask, args.workers))
        tasks = pd.DataFrame(
            [
                {
                    "executor": "local (threads)",
                    "ms_per_task": overhead(local, args.overhead_tasks),
                },
                {
                    "executor": "dask LocalCluster",
                    "ms_per_task": overhead(dask, args.overhead_tasks),
                },
            ]
        )
    finally:
        dask.close()
    notes = [
        f"{args.workers} workers (local: threads; dask: single-threaded processes on "
        f"127.0.0.1). LocalCluster start-up: {startup:.1f} s, not included above.",
        "Proxy stage only (package defaults: 100 trees, depth 6), no cache, seed 0. "
        "max_abs_diff_Q compares every proxy's predictions between the two executors.",
        "largest_model: the natural mixture of all assays (rows sharing a compound and a "
        "label merged), 100 trees; local uses the workers' cores as threads; xgboost.dask "
        "cuts its rows out of the fingerprint partitions where they live. "
        "max_abs_diff_pred compares the two models' probabilities on every compound.",
        f"Overhead: wall time of {args.overhead_tasks} empty tasks divided by their number.",
    ]
    write_tables(
        "dask_scaling",
        "Dask vs local executor",
        {"proxies": pd.DataFrame(rows), "largest_model": pd.DataFrame(large), "overhead": tasks},
        notes,
        {"cluster_startup_s": startup},
    )


if __name__ == "__main__":
    main()
