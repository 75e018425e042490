"""A target fitted against a prebuilt library, against rebuilding the proxies per target.

    python benchmarks/library_fit.py [--targets 8] [--n-compounds 1000] [--n-jobs 2]

The library is ToxCast's 617 assays (2048-bit Morgan, XGBoost proxies at the package defaults:
100 trees, depth 6), built once and timed. Each target is a ToxCast assay with at least
``--n-compounds`` labelled compounds, drawn with a seed; its ``--n-compounds`` compounds
(stratified, seeded) are fitted with ``MixMinClassifier(library.without([target]))``: the
target's own out-of-fold column included, default XGBoost final model. Stages are
``MixMinClassifier.timings_``; the RSS is read after every target, so a leak would show as
growth. "Rebuild per target" is what today's ``run`` does for one target: train every source's
proxy again (the library's build time, less one proxy) before the same fit. Nothing is cached
between targets: each fits its own compounds, and the library holds no per-target state.
"""

from __future__ import annotations

import argparse
import gc
import time

import numpy as np
import pandas as pd
import psutil
from _common import write_tables
from sklearn.model_selection import train_test_split

from bioassay_mix import load_panel
from bioassay_mix.estimator import MixMinClassifier
from bioassay_mix.library import ProxyLibrary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=8)
    parser.add_argument("--n-compounds", type=int, default=1000)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    panel = load_panel("toxcast")
    process = psutil.Process()
    start = time.perf_counter()
    library = ProxyLibrary.build(panel, n_jobs=args.n_jobs, random_state=args.seed)
    build_s = time.perf_counter() - start
    rss_built = process.memory_info().rss / 2**20

    counts = panel.labels.notna().sum()
    positives = (panel.labels == 1).sum()
    eligible = [a for a in library.sources
                if counts[a] >= args.n_compounds and positives[a] >= 20]
    rng = np.random.default_rng(args.seed)
    targets = list(rng.choice(eligible, size=min(args.targets, len(eligible)), replace=False))

    rows = []
    for i, target in enumerate(targets):
        y_all = panel.labels[target].dropna().astype(int)
        idx, _ = train_test_split(np.arange(len(y_all)), train_size=args.n_compounds,
                                  stratify=y_all.to_numpy(), random_state=args.seed)
        X, y = list(y_all.index[idx]), y_all.to_numpy()[idx]
        start = time.perf_counter()
        clf = MixMinClassifier(library.without([target]), n_jobs=args.n_jobs,
                               random_state=args.seed).fit(X, y)
        wall = time.perf_counter() - start
        gc.collect()
        w = clf.weights_
        rows.append({"target": target, "n_positive": int(y.sum()), **clf.timings_,
                     "fit_s": round(wall, 3), "gap": clf.gap_,
                     "n_sources_used": int((w[w.index != "target"] > 1e-4 * w.max()).sum()),
                     "weight_on_target": float(w.get("target", 0.0)),
                     "rss_mib_after": round(process.memory_info().rss / 2**20, 1)})
        print(f"[{i + 1}/{len(targets)}] {target}: {wall:.2f} s", flush=True)

    per_target = pd.DataFrame(rows)
    per_proxy = build_s / len(library)
    rebuild_s = per_proxy * (len(library) - 1)
    stages = ["featurize", "predict_sources", "out_of_fold", "solve", "final_fit", "fit_s"]
    summary = pd.DataFrame([
        {"quantity": f"median {s} (s)", "value": float(per_target[s].median())} for s in stages
    ] + [
        {"quantity": "max fit_s (s)", "value": float(per_target["fit_s"].max())},
        {"quantity": "library build, 617 proxies (s, once)", "value": round(build_s, 1)},
        {"quantity": "rebuild per target + fit (s)",
         "value": round(rebuild_s + float(per_target["fit_s"].median()), 1)},
        {"quantity": "speed-up per target (rebuild + fit) / fit",
         "value": round((rebuild_s + per_target["fit_s"].median())
                        / per_target["fit_s"].median(), 1)},
        {"quantity": "RSS after build (MiB)", "value": round(rss_built, 1)},
        {"quantity": "RSS after first target (MiB)", "value": per_target["rss_mib_after"].iloc[0]},
        {"quantity": "RSS after last target (MiB)",
         "value": per_target["rss_mib_after"].iloc[-1]},
    ])
    notes = [
        f"ToxCast library: {len(library)} sources, {len(library.compounds)} compounds, built "
        f"in {build_s:.1f} s with n_jobs={args.n_jobs}. {len(targets)} targets of "
        f"{args.n_compounds} compounds each (stratified, seed {args.seed}).",
        "Goal: under 5 s per target once the library exists; memory flat in the number of "
        "targets (compare the RSS after the first and the last target).",
        "Rebuild per target: the library's build time less one proxy, which is what training "
        "every source's proxy again for each target costs.",
    ]
    path = write_tables("library_fit", "MixMinClassifier against a prebuilt ToxCast library",
                        {"summary": summary, "per_target": per_target}, notes,
                        {"n_jobs": args.n_jobs, "seed": args.seed})
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
