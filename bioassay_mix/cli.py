"""The bioassay-mix command line: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ._version import __version__
from .datasets import LAYOUTS
from .device import DEVICES
from .errors import BioassayMixError, DataError, UsageError
from .estimator import DEFAULT_NATURAL_PRIOR
from .executor import EXECUTORS
from .experiment import WEIGHT_ROWS, Compute, RunConfig
from .featurize import FEATURIZERS
from .lm.ngram import LEVELS
from .proxies import ESTIMATORS
from .solver import METHODS as SOLVER_METHODS
from .splits import LEAKAGE_MODES, STRATEGIES


def _verb(subparsers: Any, name: str, **kwargs: Any) -> argparse.ArgumentParser:
    """A verb's parser, with the options every verb takes (declared once, here)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", action="store_true", help="no progress bars, warnings only")
    return subparsers.add_parser(name, parents=[common], **kwargs)


def _parse_params(text: str | None) -> dict:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError('expected a JSON object of parameter names and values, '
                                         f'such as {{"max_depth": 4}}, got {text!r}')
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bioassay-mix", description=__doc__)
    parser.add_argument("--version", action="version", version=f"bioassay-mix {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = _verb(sub, "run", help="run MixMin on a panel and write the AP report")
    _panel_and_protocol_options(run)
    run.add_argument("--out", default="bioassay-mix-results", help="output folder")
    run.add_argument("--seed", type=_seed, default=0,
                     help="seed of every random step (0 to 2**32 - 1)")
    run.add_argument("--leakage", choices=LEAKAGE_MODES, default="strict",
                     help="strict: a target's test compounds are in no source's training rows")
    run.add_argument("--bundle", help="where to write the scoring bundle (default: OUT/bundle)")

    exp = _verb(sub, "experiment", help="the paper's protocol with every baseline over "
                         "several seeds: mean AP with CIs, win/tie/loss, plots")
    _panel_and_protocol_options(exp)
    exp.add_argument("--out", default="bioassay-mix-experiment", help="output folder")
    exp.add_argument("--seeds", nargs="+", type=_non_negative, default=[0, 1, 2],
                     help="one run per seed (default 0 1 2)")
    exp.add_argument("--leakage", nargs="+", choices=LEAKAGE_MODES, default=["strict"],
                     help="one or both modes, reported side by side")
    exp.add_argument("--random-search", type=_non_negative, default=16, metavar="N",
                     help="random-search trials per target (0: off)")
    exp.add_argument("--regmix", type=_non_negative, default=32, metavar="M",
                     help="RegMix small-model runs per target (0: off)")
    exp.add_argument("--no-plus-target", action="store_true",
                     help="leave out MixMin + target (the target's rows as one more source)")

    score = _verb(sub, "score", help="score a compound file against a bundle's targets")
    score.add_argument("--bundle", required=True, help="bundle folder written by `run`")
    score.add_argument("--input", required=True,
                       help="compounds: .csv/.tsv/.parquet (a SMILES column), .smi or .sdf")
    score.add_argument("--out", required=True, help="output Parquet file")
    score.add_argument("--targets", nargs="+", help="targets to score (default: all)")
    score.add_argument("--smiles-column", default="smiles",
                       help="the input table's SMILES column (default smiles)")
    score.add_argument("--id-column", help="compound id column (SDF: a property; default _Name)")
    score.add_argument("--chunk-size", type=_positive, default=20_000,
                       help="compounds read, featurized and written at a time")
    score.add_argument("--device", default="auto", choices=DEVICES,
                       help="where XGBoost runs: auto (CUDA when present), cpu or cuda")
    score.add_argument("--n-jobs", type=_n_jobs, default=-1,
                       help="featurizing processes (-1: all)")
    score.add_argument("--overwrite", action="store_true", help="replace an existing --out")

    lm = _verb(sub, "lm-mix", help="MixMin over text domains: weights, a final n-gram model "
                        "on the mixture, held-out NLL against natural, balanced, random search")
    lm.add_argument("--domains", required=True,
                    help="folder of source domains, one .txt/.txt.gz file each (a line a sequence)")
    lm.add_argument("--target", required=True, help="the target's text file (a line a sequence)")
    lm.add_argument("--out", default="bioassay-mix-lm", help="output folder")
    lm.add_argument("--order", type=_positive, default=2, help="n-gram order of the proxies")
    lm.add_argument("--final-order", type=_positive, help="n-gram order of the final model")
    lm.add_argument("--level", choices=LEVELS, default="word",
                    help="tokens: words or characters (default word)")
    lm.add_argument("--min-count", type=_positive, default=2, help="rarer tokens become <unk>")
    lm.add_argument("--n-tokens", type=_positive,
                    help="final model's token budget (default: the median domain's size)")
    lm.add_argument("--no-repeat", action="store_true",
                    help="never repeat a domain's lines to fill its quota (the corpus shrinks)")
    lm.add_argument("--sample", type=float, default=0.2,
                    help="fraction of the target's sequences MixMin sees (the rest is held out)")
    lm.add_argument("--random-search", type=_non_negative, default=8, metavar="N",
                    help="random mixtures tried by the random-search baseline")
    lm.add_argument("--seed", type=_seed, default=0,
                     help="seed of every random step (0 to 2**32 - 1)")

    library = sub.add_parser("library", help="build or describe a proxy library (the sources "
                             "every target borrows from)")
    lib_sub = library.add_subparsers(dest="library_command", required=True)
    build = _verb(lib_sub, "build", help="train one proxy per assay of one or more panels")
    build.add_argument("--panel", nargs="+", default=["tox21"], metavar="NAME_OR_FILE",
                       help="dataset names or panel files; several are joined on canonical "
                       "SMILES (default: tox21, shipped, offline)")
    build.add_argument("--out", required=True, help="library folder to write")
    _model_options(build, "proxy", None, "XGBoost, 100 trees, depth 6; logistic regression "
                   "when the median assay has fewer than 100 labelled compounds, as ChEMBL's "
                   "do; XGBoost whenever --proxy-params is given alone")
    build.add_argument("--featurizer", choices=sorted(FEATURIZERS), default="morgan",
                       help="how compounds become features (default morgan: 2048 bits, radius 2)")
    build.add_argument("--featurizer-params", type=_parse_params, metavar="JSON",
                       help='featurizer parameters, e.g. \'{"radius": 3, "n_bits": 1024}\'')
    build.add_argument("--exclude", metavar="FILE",
                       help="compounds no proxy may train on (a file scoring reads: .csv with a "
                       "smiles column, .smi, .sdf, ...), e.g. your test set")
    build.add_argument("--min-labels", type=_at_least(2), default=50,
                       help="assays with fewer labelled compounds are skipped")
    build.add_argument("--seed", type=_seed, default=0,
                     help="seed of every random step (0 to 2**32 - 1)")
    build.add_argument("--device", default="auto", choices=DEVICES,
                       help="where XGBoost runs: auto (CUDA when present), cpu or cuda")
    build.add_argument("--n-jobs", type=_n_jobs, default=-1,
                       help="proxies trained at once (-1: all cores)")
    build.add_argument("--overwrite", action="store_true",
                       help="replace an existing library at --out")
    info = _verb(lib_sub, "info", help="describe a saved library")
    info.add_argument("path", help="library folder")

    fit = _verb(sub, "fit", help="your own assay against a library of public assays: "
                         "weights, cross-validated report and verdict, scoring bundle")
    fit.add_argument("--target", required=True,
                     help="your labelled compounds: .csv/.tsv/.parquet, .smi or .sdf "
                          "(optionally .gz)")
    fit.add_argument("--name", help="the target's name in the report and bundle (default: "
                     "the file's name without its format suffix)")
    fit.add_argument("--smiles-column", default="smiles",
                     help="the target file's SMILES column (default smiles)")
    fit.add_argument("--label-column", default="label", help="0/1 labels (empty: unlabelled)")
    source = fit.add_mutually_exclusive_group()
    source.add_argument("--library", help="a library folder (bioassay-mix library build)")
    source.add_argument("--panel", nargs="+", metavar="NAME_OR_FILE",
                        help="build (or reuse from the data cache) a library of these panels "
                        "(default: the shipped tox21)")
    fit.add_argument("--featurizer", choices=sorted(FEATURIZERS),
                     help="featurizer of a library built from --panel (default morgan); with "
                     "--library it must be the library's")
    _model_options(fit, "estimator")
    fit.add_argument("--natural-prior", type=_natural_prior, default=DEFAULT_NATURAL_PRIOR,
                     metavar="C", help="pull MixMin's weights toward natural pooling by C "
                     "pseudo-compounds; auto: 2 x weights / labelled compounds, at least 1; "
                     f"0: plain MixMin (default {DEFAULT_NATURAL_PRIOR})")
    fit.add_argument("--cv", type=_at_least(2), default=5, help="cross-validation folds")
    fit.add_argument("--repeats", type=_positive, default=1, help="repeats of the k folds")
    fit.add_argument("--seed", type=_seed, default=0,
                     help="seed of every random step (0 to 2**32 - 1)")
    fit.add_argument("--device", default="auto", choices=DEVICES,
                     help="where XGBoost runs: auto (CUDA when present), cpu or cuda")
    fit.add_argument("--n-jobs", type=_n_jobs, default=-1, help="threads (-1: all cores)")
    fit.add_argument("--out", required=True, help="output folder")
    fit.add_argument("--overwrite", action="store_true",
                     help="replace an earlier fit's output at --out")

    _verb(sub, "datasets", help="list datasets, their cache status and licences")
    return parser


def _model_options(parser: argparse.ArgumentParser, role: str,
                   default: str | None = "xgboost",
                   default_text: str = "XGBoost, 100 trees, depth 6") -> None:
    parser.add_argument(f"--{role}", choices=sorted(ESTIMATORS), default=default,
                        help=f"the {role} model (default: {default_text})")
    parser.add_argument(f"--{role}-params", type=_parse_params, metavar="JSON",
                        help=f"{role} parameters in the estimator's own names, as JSON")


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None


def _non_negative(text: str) -> int:
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _seed(text: str) -> int:
    value = _non_negative(text)
    if value > 2**32 - 1:  # NumPy's and XGBoost's seeds are 32-bit
        raise argparse.ArgumentTypeError(f"must be at most 2**32 - 1, got {value}")
    return value


def _natural_prior(text: str) -> float | str:
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or auto, got {text!r}") from None
    if not (value == 0 or 1 <= value < float("inf")):
        raise argparse.ArgumentTypeError(f"must be 0 (plain MixMin), a finite number >= 1 or "
                                         f"auto, got {text}")
    return value


def _at_least(low: int):
    def check(text: str) -> int:
        value = _integer(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        return value
    return check


_positive = _at_least(1)


def _n_jobs(text: str) -> int:
    value = _integer(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be a non-zero integer (-1: all cores)")
    return value


def _panel_and_protocol_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--panel", default="tox21",
                        help="dataset name (tox21, toxcast, moleculenet, ...) or a CSV/Parquet "
                        "file")
    parser.add_argument("--smiles-column", default="smiles", help="SMILES column of a file panel")
    parser.add_argument("--layout", choices=LAYOUTS, default="wide",
                        help="file panel layout: wide (a column per assay) or long")
    parser.add_argument("--targets", nargs="+", help="target assays (default: every eligible)")
    parser.add_argument("--device", default="auto", choices=DEVICES,
                        help="where XGBoost runs: auto (CUDA when present), cpu or cuda")
    parser.add_argument("--n-jobs", type=_n_jobs, default=-1, help="threads (-1: all cores)")
    parser.add_argument("--split", choices=STRATEGIES, default="random",
                        help="how compounds are split into proxy-train, valid and test: at "
                        "random, or by Bemis-Murcko scaffold (default random)")
    parser.add_argument("--grid-search", action="store_true",
                        help="choose proxy hyperparameters by the paper's 5-fold CV grid")
    parser.add_argument("--weight-rows", choices=sorted(WEIGHT_ROWS),
                        default="proxy_train", help="target rows that MixMin is fitted on")
    parser.add_argument("--proxy-params", type=_parse_params,
                        help='XGBoost parameters for proxies as JSON, e.g. \'{"max_depth": 4}\'')
    parser.add_argument("--final-params", type=_parse_params,
                        help="XGBoost parameters for the final models as JSON")
    parser.add_argument("--solver", choices=SOLVER_METHODS,
                        default="adaptive", help="MixMin solver: batched exponentiated gradient, "
                        "working-set Newton (both certified to a 1e-6 duality gap) or the "
                        "paper's 100-step loop")
    parser.add_argument("--min-test-positives", type=_positive, default=5,
                        help="a target needs this many positives in its test split")
    parser.add_argument("--executor", choices=EXECUTORS, default="local",
                        help="dask: proxies and per-target models as Dask tasks")
    parser.add_argument("--scheduler", help="Dask scheduler address (default: start a "
                        "LocalCluster of --n-jobs workers)")
    parser.add_argument("--dask-fit-rows", type=_positive, default=2_000_000, metavar="N",
                        help="with --executor dask, a target whose natural mixture has N rows "
                        "or more trains its mixture models with xgboost.dask across the cluster")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if getattr(args, "quiet", False) else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "datasets":
            return _datasets()
        if args.command == "score":
            return _score(args)
        if args.command == "experiment":
            return _experiment(args)
        if args.command == "lm-mix":
            return _lm_mix(args)
        if args.command == "library":
            return _library(args)
        if args.command == "fit":
            return _fit(args)
        return _run(args)
    except UsageError as exc:
        print(f"bioassay-mix: error: {exc}", file=sys.stderr)
        return 2
    except BioassayMixError as exc:
        print(f"bioassay-mix: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `bioassay-mix library info LIB | head`: the reader left
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:  # a full disk, a read-only --out: outputs are written atomically
        where = f" {exc.filename}" if exc.filename else ""
        print(f"bioassay-mix: error: could not read or write{where}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1


def _datasets() -> int:
    from .datasets import DATA_ENV, data_home, status

    print(f"data cache: {data_home()} (set {DATA_ENV} to change)")
    print(status().to_string(index=False))
    return 0


def _option(names: str, build: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``build(*args, **kwargs)``, its refusal of an option's value a usage error naming it."""
    try:
        return build(*args, **kwargs)
    except DataError as exc:
        raise UsageError(f"{names}: {exc}") from exc


def _config(args: argparse.Namespace, **extra) -> RunConfig:
    compute = Compute(device=args.device, n_jobs=args.n_jobs, executor=args.executor,
                      scheduler=args.scheduler, dask_fit_rows=args.dask_fit_rows,
                      verbose=not args.quiet)
    return _option("--proxy-params/--final-params", RunConfig, split=args.split,
                   grid_search=args.grid_search, weight_rows=args.weight_rows,
                   proxy_params=args.proxy_params or {}, final_params=args.final_params or {},
                   min_test_positives=args.min_test_positives, solver_method=args.solver,
                   compute=compute, **extra)


def _panel(args: argparse.Namespace):
    from .datasets import load_panel

    return load_panel(args.panel, smiles_column=args.smiles_column, layout=args.layout)


def _run(args: argparse.Namespace) -> int:
    from ._utils import check_output_dir, output_lock
    from .bundle import MANIFEST as BUNDLE_MANIFEST
    from .bundle import Bundle
    from .experiment import run
    from .report import ap_table, write_report

    bundle_dir = Path(args.bundle) if args.bundle else Path(args.out) / "bundle"
    if bundle_dir.resolve() == Path(args.out).resolve():
        raise UsageError("--bundle must differ from --out: the bundle folder is replaced as a "
                        "whole, and --out holds the report and caches")
    # replaced only if it is a bundle; a foreign non-empty folder is refused before any work
    check_output_dir(bundle_dir, marker=BUNDLE_MANIFEST, overwrite=True, what="bundle",
                     owned=Bundle.FILES)
    config = _config(args, seed=args.seed, leakage=args.leakage)
    with output_lock(args.out, what="run output"):
        result = run(_panel(args), targets=args.targets, config=config, out_dir=args.out)
        files = write_report(result, args.out)
        bundle = result.save_bundle(bundle_dir, overwrite=True)
    if len(result.issues):
        logging.getLogger(__name__).warning(
            "%d input issues (invalid SMILES, merged duplicates, conflicting labels): %s",
            len(result.issues), files["issues"])
    print(ap_table(result.report).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\nwall time {result.metadata['wall_time_s']:.1f} s; report: {files['report_md']}; "
          f"bundle: {bundle}")
    return 0


def _experiment(args: argparse.Namespace) -> int:
    from ._utils import output_lock
    from .comparison import compare
    from .report import comparison_tables, write_comparison

    config = _config(args, random_search=args.random_search, regmix=args.regmix,
                     mixmin_plus_target=not args.no_plus_target)
    with output_lock(args.out, what="experiment output"):
        comparison = compare(_panel(args), seeds=args.seeds, leakage=args.leakage,
                             targets=args.targets, config=config,
                             out_dir=Path(args.out) / "runs")
        files = write_comparison(comparison, args.out)
    for mode in args.leakage:
        print(f"leakage {mode}:")
        print(comparison_tables(comparison)[f"summary_{mode}"].to_string(
            index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\nreport: {files['md']}")
    return 0


def _lm_mix(args: argparse.Namespace) -> int:
    from .lm import LMMixConfig, lm_mix, read_domain_dir, read_sequences
    from .report import write_tables

    target = Path(args.target)
    domains = {d: t for d, t in read_domain_dir(args.domains).items()
               if d != target.name.removesuffix(".gz").removesuffix(".txt")}
    config = LMMixConfig(order=args.order, final_order=args.final_order, level=args.level,
                         min_count=args.min_count, n_tokens=args.n_tokens,
                         repeat=not args.no_repeat, sample=args.sample,
                         random_search=args.random_search, seed=args.seed,
                         verbose=not args.quiet)
    result = lm_mix(domains, read_sequences(target), target_name=target.name, config=config)
    notes = [f"Target {target.name}; sources: {', '.join(domains)}; settings: {vars(args)}.",
             "NLL per token (nats) on the target's held-out sequences: of the final model trained "
             "on each mixture (nll_trained) and of the proxies' weighted ensemble (nll_ensemble).",
             f"MixMin's extra compute: {result.mixmin_extra_compute:.2f} x one final-model fit; "
             f"solver gap {result.solver.gap:.1e}."]
    files = write_tables(args.out, "lm_mix", "MixMin over text domains",
                         {"report": result.report,
                          "weights": result.weights.reset_index(names="method")},
                         notes, {"timings_s": result.timings})
    print(result.report.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"\nweights and report: {files['md']}")
    return 0


def _library(args: argparse.Namespace) -> int:
    from .library import ProxyLibrary, load_library

    if args.library_command == "info":
        lib = load_library(args.path)
        print(f"{lib!r}\nfeaturizer: {lib.featurizer.spec()}\nproxy: "
              f"{lib.build_params.get('proxy', {}).get('class')}\nbuilt from: "
              f"{lib.build_params.get('panels')}; {lib.build_params.get('n_excluded', 0)} "
              "compounds excluded")
        print(lib.summary().to_string())
        if len(lib.skipped):
            print(f"\nskipped at build time:\n{lib.skipped.to_string(index=False)}")
        return 0
    from ._utils import check_output_dir, output_lock
    from .compound_files import read_compounds
    from .datasets import load_panel
    from .featurize import make_featurizer
    from .library import MANIFEST, remove_checkpoint
    from .proxies import make_estimator

    # one build per --out at a time (a second is refused at once, naming the holder); every
    # option is checked before any training
    with output_lock(args.out, what="library"):
        check_output_dir(args.out, marker=MANIFEST, overwrite=args.overwrite, what="library",
                         owned=ProxyLibrary.FILES)
        featurizer = _option("--featurizer-params", make_featurizer, args.featurizer,
                             args.featurizer_params)
        # parameters without --proxy are XGBoost's, as they always were
        name = args.proxy or ("xgboost" if args.proxy_params else None)
        proxy = None if name is None else _option(
            "--proxy-params", make_estimator, name, args.proxy_params, device=args.device,
            random_state=args.seed)
        exclude = None
        if args.exclude:
            exclude = [s for chunk in read_compounds(args.exclude) for s in chunk["smiles"]
                       if isinstance(s, str)]
        panels = [load_panel(p, n_jobs=args.n_jobs) for p in args.panel]
        out = Path(args.out)
        checkpoint = out.parent / f".{out.name}.build"
        lib = ProxyLibrary.build(panels, featurizer=featurizer, proxy=proxy, exclude=exclude,
                                 min_labels=args.min_labels, random_state=args.seed,
                                 device=args.device, n_jobs=args.n_jobs,
                                 verbose=not args.quiet, checkpoint=checkpoint)
        path = lib.save(out, overwrite=args.overwrite)
        remove_checkpoint(checkpoint)
    print(f"{lib!r}: {len(lib.skipped)} assays skipped; written to {path}")
    return 0


def _fit(args: argparse.Namespace) -> int:
    from ._utils import check_output_dir, output_lock
    from .datasets import data_home, load_panel
    from .featurize import make_featurizer
    from .library import cached_library, load_library
    from .proxies import make_estimator
    from .target import FIT_FILES, FIT_MARKER, fit_target, read_target, write_fit

    # every option is checked before any work
    check_output_dir(args.out, marker=FIT_MARKER, overwrite=args.overwrite, what="fit output",
                     owned=tuple(FIT_FILES.values()))
    final = _option("--estimator-params", make_estimator, args.estimator,
                    args.estimator_params, device=args.device, random_state=args.seed)
    target = read_target(args.target, smiles_column=args.smiles_column,
                         label_column=args.label_column, name=args.name)
    if args.library:
        library = load_library(args.library, n_jobs=args.n_jobs)
        if args.featurizer:
            wanted = make_featurizer(args.featurizer).spec()
            if wanted != library.featurizer.spec():
                raise UsageError(f"--featurizer {args.featurizer} ({wanted}) differs from the "
                                f"library's {library.featurizer.spec()}; drop --featurizer or "
                                "build a library with it")
    else:
        panels = [load_panel(p) for p in (args.panel or ["tox21"])]
        library = cached_library(panels, featurizer=make_featurizer(args.featurizer or "morgan"),
                                 random_state=args.seed, device=args.device, n_jobs=args.n_jobs,
                                 cache=data_home() / "libraries", verbose=not args.quiet)
    with output_lock(args.out, what="fit output"):
        result = fit_target(target, library, final_estimator=final,
                            natural_prior=args.natural_prior, cv=args.cv,
                            repeats=args.repeats, random_state=args.seed, n_jobs=args.n_jobs,
                            device=args.device, verbose=not args.quiet)
        files = write_fit(result, args.out, overwrite=args.overwrite)
    print(result.summary[["label", "mean_ap", "ap_ci_low", "ap_ci_high", "mean_delta_auprc"]]
          .to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\n{result.verdict}\nreport: {files['report']}; bundle: {files['bundle']}")
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
