"""A target fitted against a prebuilt library, against rebuilding the proxies per target.

    python benchmarks/library_fit.py [--targets 8] [--cv-targets 3] [--n-compounds 1000]
                                     [--n-jobs 2]

The library is ToxCast's 617 assays (2048-bit Morgan, XGBoost proxies at the package defaults:
100 trees, depth 6), built once and timed. Each target is a ToxCast assay with at least
``--n-compounds`` labelled compounds, drawn with a seed; its ``--n-compounds`` compounds
(stratified, seeded) are fitted with ``MixMinClassifier(library.without([target]))``: the
target's own out-of-fold column included, default XGBoost final model. Stages are
``MixMinClassifier.timings_``; the RSS is read after every target, so a leak would show as
growth. "Rebuild per target" is what today's ``run`` does for one target: train every source's
proxy again (the library's build time, less one proxy) before the same fit. Nothing is cached
between targets: each fits its own compounds, and the library holds no per-target state.

The first ``--cv-targets`` targets then run ``fit_target`` (what ``bioassay-mix fit`` does):
5-fold cross-validation of the four methods, the final fit and the written report and bundle,
timed as a whole (issue 18's goal: under 15 s).
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
from _common import write_tables
from sklearn.model_selection import train_test_split

from bioassay_mix import load_panel
from bioassay_mix.estimator import MixMinClassifier
from bioassay_mix.library import ProxyLibrary
from bioassay_mix.target import fit_target, read_target, write_fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=8)
    parser.add_argument("--cv-targets", type=int, default=3)
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
    eligible = [a for a in library.sources if counts[a] >= args.n_compounds and positives[a] >= 20]
    rng = np.random.default_rng(args.seed)
    targets = list(rng.choice(eligible, size=min(args.targets, len(eligible)), replace=False))

    rows = []
    for i, target in enumerate(targets):
        y_all = panel.labels[target].dropna().astype(int)
        idx, _ = train_test_split(
            np.arange(len(y_all)),
            train_size=args.n_compounds,
            stratify=y_all.to_numpy(),
            random_state=args.seed,
        )
        X, y = list(y_all.index[idx]), y_all.to_numpy()[idx]
        start = time.perf_counter()
        clf = MixMinClassifier(
            library.without([target]), n_jobs=args.n_jobs, random_state=args.seed
        ).fit(X, y)
        wall = time.perf_counter() - start
        gc.collect()
        w = clf.weights_
        rows.append(
            {
                "target": target,
                "n_positive": int(y.sum()),
                **clf.timings_,
                "fit_s": round(wall, 3),
                "gap": clf.gap_,
                "n_sources_used": int((w[w.index != "target"] > 1e-4 * w.max()).sum()),
                "weight_on_target": float(w.get("target", 0.0)),
                "rss_mib_after": round(process.memory_info().rss / 2**20, 1),
            }
        )
        print(f"[{i + 1}/{len(targets)}] {target}: {wall:.2f} s", flush=True)

    per_target = pd.DataFrame(rows)
    cv_rows = []
    for target in targets[: args.cv_targets]:
        y_all = panel.labels[target].dropna().astype(int)
        idx, _ = train_test_split(
            np.arange(len(y_all)),
            train_size=args.n_compounds,
            stratify=y_all.to_numpy(),
            random_state=args.seed,
        )
        frame = pd.DataFrame({"smiles": y_all.index[idx], "label": y_all.to_numpy()[idx]})
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            result = fit_target(
                read_target(frame, name=target),
                library.without([target]),
                cv=5,
                random_state=args.seed,
                n_jobs=args.n_jobs,
                verbose=False,
            )
            write_fit(result, Path(out) / "fit")
            wall = time.perf_counter() - start
        cv_rows.append(
            {
                "target": target,
                "fit_with_cv_s": round(wall, 2),
                **result.timings,
                "verdict": result.verdict.split(":")[0],
            }
        )
        print(f"fit_target {target}: {wall:.2f} s", flush=True)
    cv_table = pd.DataFrame(cv_rows)
    per_proxy = build_s / len(library)
    rebuild_s = per_proxy * (len(library) - 1)
    stages = ["featurize", "predict_sources", "out_of_fold", "solve", "final_fit", "fit_s"]
    summary = pd.DataFrame(
        [{"quantity": f"median {s} (s)", "value": float(per_target[s].median())} for s in stages]
        + [
            {"quantity": "max fit_s (s)", "value": float(per_target["fit_s"].max())},
            {"quantity": "library build, 617 proxies (s, once)", "value": round(build_s, 1)},
            {
                "quantity": "rebuild per target + fit (s)",
                "value": round(rebuild_s + float(per_target["fit_s"].median()), 1),
            },
            {
                "quantity": "speed-up per target (rebuild + fit) / fit",
                "value": round(
                    (rebuild_s + per_target["fit_s"].median()) / per_target["fit_s"].median(), 1
                ),
            },
            {
                "quantity": "median fit_target with 5-fold CV, report and bundle (s)",
                "value": float(cv_table["fit_with_cv_s"].median()) if len(cv_table) else np.nan,
            },
            {"quantity": "RSS after build (MiB)", "value": round(rss_built, 1)},
            {
                "quantity": "RSS after first target (MiB)",
                "value": per_target["rss_mib_after"].iloc[0],
            },
            {
                "quantity": "RSS after last target (MiB)",
                "value": per_target["rss_mib_after"].iloc[-1],
            },
        ]
    )
    notes = [
        f"ToxCast library: {len(library)} sources, {len(library.compounds)} compounds, built "
        f"in {build_s:.1f} s with n_jobs={args.n_jobs}. {len(targets)} targets of "
        f"{args.n_compounds} compounds each (stratified, seed {args.seed}).",
        "Goal: under 5 s per target once the library exists; memory flat in the number of "
        "targets (compare the RSS after the first and the last target).",
        "Rebuild per target: the library's build time less one proxy, which is what training "
        "every source's proxy again for each target costs.",
        "fit_target: 5-fold CV of target-only, natural + target, MixMin-trained and MixMin + "
        "target, then the final fit, the report and the bundle written (goal: under 15 s).",
    ]
    path = write_tables(
        "library_fit",
        "MixMinClassifier against a prebuilt ToxCast library",
        {"summary": summary, "per_target": per_target, "fit_target": cv_table},
        notes,
        {"n_jobs": args.n_jobs, "seed": args.seed},
    )
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
