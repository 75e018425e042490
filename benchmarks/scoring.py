"""Batch scoring: streaming `score_file` against the naive way, at 100k and 1M compounds.

    python benchmarks/scoring.py [--sizes 100000 1000000] [--naive-size 100000] [--n-jobs 2]

The library is every distinct valid SMILES of the shared panels (ToxCast, Tox21, SIDER, ClinTox,
HIV, BBBP, BACE), repeated in order until it reaches each size: real molecules, but repeated
ones (stated in the output). The bundle is the MixMin-trained model of every Tox21 target
(package defaults, seed 0). Each measurement runs in its own process so that its peak RSS
(itself plus its featurizing workers) is its own.

"Naive" is the obvious script: read the whole file, then for each target featurize every
compound and predict the whole file in one batch.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from _common import PANELS, RESULTS, PeakRSS, tox21_bundle, write_tables

from bioassay_mix import load_bundle, load_panel, score_file

CACHE = RESULTS / "cache" / "scoring"


def library(size: int) -> Path:
    path = CACHE / f"library-{size}.parquet"
    if not path.exists():
        unique = pd.Index([s for p in PANELS for s in load_panel(p).smiles]).unique()
        reps = -(-size // len(unique))
        smiles = pd.Series(list(unique) * reps)[:size]
        pd.DataFrame(
            {"compound_id": [f"C{i:08d}" for i in range(size)], "smiles": smiles.to_numpy()}
        ).to_parquet(path)
        (CACHE / "unique.txt").write_text(str(len(unique)))
    return path


def measure_streaming(size: int, n_jobs: int) -> dict:
    out = CACHE / f"scores-{size}.parquet"
    rss = PeakRSS()
    summary = score_file(
        tox21_bundle(),
        library(size),
        out,
        id_column="compound_id",
        n_jobs=n_jobs,
        overwrite=True,
        verbose=False,
    )
    t = summary.timings
    return {
        "method": "streaming score_file",
        "compounds": size,
        "wall_s": t["wall_s"],
        "featurize_cpu_s": t["featurize_cpu_s"],
        "predict_s": t["predict_s"],
        **rss.stop(),
        "errors": summary.n_errors,
    }


def measure_naive(size: int) -> dict:
    rss = PeakRSS()
    start = time.perf_counter()
    b = load_bundle(tox21_bundle())
    frame = pd.read_parquet(library(size))
    fp = b.fingerprinter(n_jobs=1)
    fp.strict = False
    featurize = predict = 0.0
    for target in b.targets:
        t0 = time.perf_counter()
        X, invalid = fp.transform_with_invalid(frame["smiles"])
        t1 = time.perf_counter()
        b.select([target]).predict_proba(X)
        featurize, predict = featurize + t1 - t0, predict + time.perf_counter() - t1
    return {
        "method": "naive (featurize per target)",
        "compounds": size,
        "wall_s": time.perf_counter() - start,
        "featurize_cpu_s": featurize,
        "predict_s": predict,
        **rss.stop(),
        "errors": len(invalid),
    }


def in_subprocess(kind: str, size: int, n_jobs: int) -> dict:
    cmd = [sys.executable, __file__, "--measure", kind, str(size), "--n-jobs", str(n_jobs)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000])
    ap.add_argument("--naive-size", type=int, default=100_000)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    if args.measure:
        kind, size = args.measure[0], int(args.measure[1])
        row = measure_streaming(size, args.n_jobs) if kind == "stream" else measure_naive(size)
        print(json.dumps(row))
        return
    tox21_bundle()
    for size in {*args.sizes, args.naive_size}:
        library(size)
    rows = [in_subprocess("stream", s, args.n_jobs) for s in sorted(args.sizes)]
    rows.append(in_subprocess("naive", args.naive_size, args.n_jobs))
    table = pd.DataFrame(rows)
    table["compounds_per_s"] = table["compounds"] / table["wall_s"]
    busy = table["featurize_cpu_s"] + table["predict_s"]
    table["featurize_share"] = table["featurize_cpu_s"] / busy
    table["predict_share"] = table["predict_s"] / busy
    stream = table[(table.method.str.startswith("stream")) & (table.compounds == args.naive_size)]
    naive = table[table.method.str.startswith("naive")]
    ratio = (
        float(stream.compounds_per_s.iloc[0] / naive.compounds_per_s.iloc[0])
        if len(stream)
        else float("nan")
    )
    n_targets = len(load_bundle(tox21_bundle()).targets)
    unique = int((CACHE / "unique.txt").read_text())
    notes = [
        f"Library: {unique:,} distinct real SMILES from {', '.join(PANELS)}, repeated in order to "
        f"each size (so most compounds are repeats). Bundle: {n_targets} Tox21 targets.",
        f"Streaming: {args.n_jobs} featurizing processes, default chunk size; naive: one "
        "process, features recomputed for each target, whole file in memory.",
        f"Streaming vs naive at {args.naive_size:,} compounds (same run): **{ratio:.1f}x** "
        "compounds/s.",
        "featurize_cpu_s is CPU time summed over the featurizing processes; predict_s is wall "
        "time of XGBoost prediction in the main process. Peak RSS sampled every 0.1 s: the main "
        "process, and main plus featurizing workers (total).",
    ]
    write_tables(
        "scoring",
        "Batch scoring throughput and memory",
        {"results": table},
        notes,
        {"speedup_vs_naive": ratio},
    )


if __name__ == "__main__":
    main()
