"""Proxies for every assay with the local executor vs a Dask LocalCluster, and Dask's overhead.

    python benchmarks/dask_scaling.py [--panels toxcast moleculenet] [--workers 2]

For each panel: wall time of the proxy stage (one XGBoost per assay, package defaults, seed 0,
no cache) with ``executor="local"`` (threads) and ``executor="dask"`` (a LocalCluster of
``--workers`` single-threaded processes; its start-up time is reported apart), and whether both
gave the same proxies (max |difference| of their predictions). Then the scheduler's overhead
per task: a map of empty tasks. Writes benchmarks/results/dask_scaling.{md,json} + CSV.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _common import write_tables

from bioassay_mix import RunConfig, load_panel
from bioassay_mix.executor import DaskExecutor, LocalExecutor
from bioassay_mix.experiment import prepare


def noop(i: int) -> int:
    return i


def proxies(panel, executor, workers: int) -> tuple[float, np.ndarray]:
    cfg = RunConfig(seed=0, n_jobs=workers, verbose=False)
    prep = prepare(panel, config=cfg, executor=executor)
    return prep.timings["proxies"], prep.Q.to_numpy()


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
    rows = []
    try:
        for name in args.panels:
            panel = load_panel(name)
            t_local, q_local = proxies(panel, local, args.workers)
            t_dask, q_dask = proxies(panel, dask, args.workers)
            rows.append({"panel": name, "assays": panel.labels.shape[1],
                         "compounds": panel.labels.shape[0], "local_s": t_local,
                         "dask_s": t_dask, "dask_over_local": t_dask / t_local,
                         "max_abs_diff_Q": float(np.abs(q_local - q_dask).max())})
        tasks = pd.DataFrame([{"executor": "local (threads)",
                               "ms_per_task": overhead(local, args.overhead_tasks)},
                              {"executor": "dask LocalCluster",
                               "ms_per_task": overhead(dask, args.overhead_tasks)}])
    finally:
        dask.close()
    notes = [f"{args.workers} workers (local: threads; dask: single-threaded processes on "
             f"127.0.0.1). LocalCluster start-up: {startup:.1f} s, not included above.",
             "Proxy stage only (package defaults: 100 trees, depth 6), no cache, seed 0. "
             "max_abs_diff_Q compares every proxy's predictions between the two executors.",
             f"Overhead: wall time of {args.overhead_tasks} empty tasks divided by their "
             "number."]
    write_tables("dask_scaling", "Dask vs local executor", {"proxies": pd.DataFrame(rows),
                                                             "overhead": tasks}, notes,
                 {"cluster_startup_s": startup})


if __name__ == "__main__":
    main()
