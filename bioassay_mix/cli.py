"""The ``bioassay-mix`` command line: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import BioassayMixError


def _parse_params(text: str | None) -> dict:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object of XGBoost parameters")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bioassay-mix", description=__doc__)
    parser.add_argument("--version", action="version", version=f"bioassay-mix {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run MixMin on a panel and write the AP report")
    run.add_argument("--panel", default="tox21",
                     help="dataset name (tox21, toxcast, moleculenet, ...) or a CSV/Parquet file")
    run.add_argument("--smiles-column", default="smiles", help="SMILES column of a file panel")
    run.add_argument("--layout", choices=("wide", "long"), default="wide",
                     help="file panel layout: wide (a column per assay) or long")
    run.add_argument("--targets", nargs="+", help="target assays (default: every eligible one)")
    run.add_argument("--out", default="bioassay-mix-results", help="output folder")
    run.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--n-jobs", type=int, default=-1, help="threads (-1: all cores)")
    run.add_argument("--split", choices=("random", "scaffold"), default="random")
    run.add_argument("--leakage", choices=("strict", "paper"), default="strict",
                     help="strict: a target's test compounds are in no source's training rows")
    run.add_argument("--grid-search", action="store_true",
                     help="choose proxy hyperparameters by the paper's 5-fold CV grid")
    run.add_argument("--weight-rows", choices=("proxy_train", "validation"),
                     default="proxy_train", help="target rows that MixMin is fitted on")
    run.add_argument("--proxy-params", type=_parse_params,
                     help='XGBoost parameters for proxies as JSON, e.g. \'{"max_depth": 4}\'')
    run.add_argument("--final-params", type=_parse_params,
                     help="XGBoost parameters for the final models as JSON")
    run.add_argument("--min-test-positives", type=int, default=5)
    run.add_argument("--executor", choices=("local", "dask"), default="local",
                     help="dask: proxies and per-target models as Dask tasks")
    run.add_argument("--scheduler", help="Dask scheduler address (default: start a "
                     "LocalCluster of --n-jobs workers)")
    run.add_argument("--bundle", help="where to write the scoring bundle (default: OUT/bundle)")
    run.add_argument("--quiet", action="store_true", help="no progress bars, warnings only")

    score = sub.add_parser("score", help="score a compound file against a bundle's targets")
    score.add_argument("--bundle", required=True, help="bundle folder written by `run`")
    score.add_argument("--input", required=True,
                       help="compounds: .csv/.tsv/.parquet (a SMILES column), .smi or .sdf")
    score.add_argument("--out", required=True, help="output Parquet file")
    score.add_argument("--targets", nargs="+", help="targets to score (default: all)")
    score.add_argument("--smiles-column", default="smiles")
    score.add_argument("--id-column", help="compound id column (SDF: a property; default _Name)")
    score.add_argument("--chunk-size", type=int, default=20_000)
    score.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    score.add_argument("--n-jobs", type=int, default=-1, help="featurizing processes (-1: all)")
    score.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    score.add_argument("--quiet", action="store_true", help="no progress bars, warnings only")

    sub.add_parser("datasets", help="list datasets, their cache status and licences")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if getattr(args, "quiet", False) else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "datasets":
            return _datasets()
        if args.command == "score":
            return _score(args)
        return _run(args)
    except BioassayMixError as exc:
        print(f"bioassay-mix: error: {exc}", file=sys.stderr)
        return 2


def _datasets() -> int:
    from .datasets import DATA_ENV, data_home, status

    print(f"data cache: {data_home()} (set {DATA_ENV} to change)")
    print(status().to_string(index=False))
    return 0


def _run(args: argparse.Namespace) -> int:
    from .datasets import load_panel
    from .experiment import RunConfig, run
    from .report import ap_table, write_report

    panel = load_panel(args.panel, smiles_column=args.smiles_column, layout=args.layout)
    config = RunConfig(seed=args.seed, device=args.device, n_jobs=args.n_jobs, split=args.split,
                       leakage=args.leakage, grid_search=args.grid_search,
                       weight_rows=args.weight_rows, proxy_params=args.proxy_params or {},
                       final_params=args.final_params or {},
                       min_test_positives=args.min_test_positives, executor=args.executor,
                       scheduler=args.scheduler, verbose=not args.quiet)
    result = run(panel, targets=args.targets, config=config, out_dir=args.out)
    files = write_report(result, args.out)
    bundle = result.save_bundle(args.bundle or Path(args.out) / "bundle", overwrite=True)
    print(ap_table(result.report).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\nwall time {result.metadata['wall_time_s']:.1f} s; report: {files['report_md']}; "
          f"bundle: {bundle}")
    return 0


def _score(args: argparse.Namespace) -> int:
    from .scoring import score_file

    summary = score_file(args.bundle, args.input, args.out, smiles_column=args.smiles_column,
                         id_column=args.id_column, targets=args.targets,
                         chunk_size=args.chunk_size, device=args.device, n_jobs=args.n_jobs,
                         overwrite=args.overwrite, verbose=not args.quiet)
    print(f"scored {summary.n_rows} compounds x {len(summary.targets)} targets on "
          f"{summary.device} in {summary.timings['wall_s']:.1f} s "
          f"({summary.compounds_per_s:,.0f}/s); {summary.n_errors} could not be scored; "
          f"output: {summary.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
