"""Average precision of every method on every Tox21 target, over several seeds.

    python benchmarks/tox21_ap.py --seeds 0 1 2 [--panel tox21] [--n-jobs -1]

Writes benchmarks/results/<panel>_ap.{md,json} and one CSV per table. Nothing is tuned on the
test sets: the protocol and hyperparameters are the package defaults.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _common import RESULTS, write_tables
from scipy import stats

from bioassay_mix import RunConfig, load_panel, run
from bioassay_mix.experiment import BASELINES, METHODS
from bioassay_mix.report import LABELS


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--panel", default="tox21")
    ap.add_argument("--targets", nargs="+")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--n-jobs", type=int, default=-1)
    ap.add_argument("--leakage", default="strict", choices=("strict", "paper"))
    args = ap.parse_args()
    panel = load_panel(args.panel)
    reports, walls = [], []
    for seed in args.seeds:
        t0 = time.perf_counter()
        res = run(panel, targets=args.targets, config=RunConfig(
            seed=seed, n_jobs=args.n_jobs, leakage=args.leakage, verbose=False),
            out_dir=RESULTS / "cache" / f"{args.panel}-{args.leakage}-seed{seed}")
        walls.append(time.perf_counter() - t0)
        reports.append(res.report.assign(seed=seed))
    rep = pd.concat(reports, ignore_index=True)
    cols = [f"ap_{m}" for m in METHODS]
    per_target = rep.groupby("target", sort=False)[cols].mean().rename(
        columns={f"ap_{m}": LABELS[m] for m in METHODS}).reset_index()
    seed_means = rep.groupby("seed")[cols].mean()
    summary = []
    for m in METHODS:
        vals = seed_means[f"ap_{m}"].to_numpy()
        half = stats.t.ppf(0.975, len(vals) - 1) * vals.std(ddof=1) / np.sqrt(len(vals)) \
            if len(vals) > 1 else np.nan
        summary.append({"method": LABELS[m], "mean AP": vals.mean(), "95% CI +-": half})
    wins = []
    for b in (*BASELINES, "mixmin_ensemble"):
        diff = rep["ap_mixmin_trained"] - rep[f"ap_{b}"]
        p = stats.wilcoxon(diff).pvalue if (diff != 0).any() else 1.0
        wins.append({"MixMin-trained vs": LABELS[b], "wins": int((diff > 1e-3).sum()),
                     "ties (|d|<=1e-3)": int((diff.abs() <= 1e-3).sum()),
                     "losses": int((diff < -1e-3).sum()), "mean diff": diff.mean(),
                     "Wilcoxon p": p})
    notes = [f"Panel {args.panel}, seeds {args.seeds}, leakage {args.leakage}, package defaults "
             "(100 trees, depth 6, lr 0.1; Morgan r=2, 2048 bits).",
             f"Wall time per seed: {', '.join(f'{w:.1f} s' for w in walls)} "
             "(first seed includes training the proxies; reruns reuse the cache).",
             "95% CI: t-interval over seeds of the mean AP over targets. Win/tie/loss over "
             "(target, seed) pairs; Wilcoxon signed-rank test over the same pairs."]
    path = write_tables(f"{args.panel}_ap", f"MixMin on {args.panel}: average precision",
                        {"summary": pd.DataFrame(summary), "per_target": per_target,
                         "wins": pd.DataFrame(wins)}, notes, {"wall_s": walls})
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
