"""``bioassay-mix fit``: a chemist's own assay against a library of public assays."""

from __future__ import annotations

import argparse

from ..errors import UsageError
from ..estimator import (
    AUTO_TARGET_FLOOR,
    AUTO_TARGET_ONLY_BELOW,
    DEFAULT_N_BOOTSTRAP,
    DEFAULT_TARGET_FLOOR,
)
from ..featurize import FEATURIZERS
from ..natural_prior import DEFAULT_NATURAL_PRIOR
from ._args import (
    add_verb,
    at_least,
    model_options,
    natural_prior,
    option,
    positive,
    target_floor,
)

HELP = (
    "your own assay against a library of public assays: weights, cross-validated report "
    "and verdict, scoring bundle"
)


def add_parser(sub, parents: dict[str, argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """The verb's parser."""
    parser = add_verb(sub, "fit", HELP, parents, "quiet", "seed", "device", "jobs")
    target = parser.add_argument_group("target")
    target.add_argument(
        "--target",
        required=True,
        help="your labelled compounds: .csv/.tsv/.parquet, .smi or .sdf (optionally .gz)",
    )
    target.add_argument(
        "--name",
        help="the target's name in the report and bundle (default: "
        "the file's name without its format suffix)",
    )
    target.add_argument(
        "--smiles-column", default="smiles", help="the target file's SMILES column (default smiles)"
    )
    target.add_argument(
        "--label-column", default="label", help="0/1 labels, empty for unlabelled (default label)"
    )
    sources = parser.add_argument_group("sources")
    source = sources.add_mutually_exclusive_group()
    source.add_argument("--library", help="a library folder (bioassay-mix library build)")
    source.add_argument(
        "--panel",
        nargs="+",
        metavar="NAME_OR_FILE",
        help="build (or reuse from the data cache) a library of these panels "
        "(default: the shipped tox21)",
    )
    sources.add_argument(
        "--featurizer",
        choices=sorted(FEATURIZERS),
        help="featurizer of a library built from --panel (default morgan); "
        "with --library it must be the library's",
    )
    model_options(
        parser, "final", option="final-estimator", aliases=("--estimator", "--estimator-params")
    )
    mixing = parser.add_argument_group("mixing and validation")
    mixing.add_argument(
        "--natural-prior",
        type=natural_prior,
        default=DEFAULT_NATURAL_PRIOR,
        metavar="C",
        help="pull MixMin's weights toward natural pooling by C "
        "pseudo-compounds; auto: none on a sparse library, else 2 x weights / "
        "labelled compounds, at least 1; 0: plain MixMin "
        f"(default {DEFAULT_NATURAL_PRIOR})",
    )
    mixing.add_argument(
        "--n-bootstrap",
        type=at_least(0),
        default=DEFAULT_N_BOOTSTRAP,
        metavar="N",
        help="average MixMin's weights over N bootstrap resamples of your compounds "
        f"(steadier with few labels); 0: one solve (default {DEFAULT_N_BOOTSTRAP})",
    )
    mixing.add_argument(
        "--target-floor",
        type=target_floor,
        default=DEFAULT_TARGET_FLOOR,
        metavar="F",
        help="your compounds train the final model with at least F times the largest "
        "source's weight (MixMin's weights are reported as they are); auto: on a sparse "
        f"library (ChEMBL's) {AUTO_TARGET_FLOOR:g}, or your compounds alone when fewer than "
        f"{AUTO_TARGET_ONLY_BELOW * 100:g}%% of them are the sources' training compounds; "
        f"none on a dense one; 0: MixMin's weights as they are (default {DEFAULT_TARGET_FLOOR})",
    )
    mixing.add_argument(
        "--cv", type=at_least(2), default=5, help="cross-validation folds (default 5)"
    )
    mixing.add_argument(
        "--repeats", type=positive, default=1, help="repeats of the k folds (default 1)"
    )
    out = parser.add_argument_group("output")
    out.add_argument("--out", required=True, help="output folder")
    out.add_argument(
        "--overwrite", action="store_true", help="replace an earlier fit's output at --out"
    )
    return parser


def main(args: argparse.Namespace) -> int:
    """Run the verb; 0 on success."""
    from .._files import check_output_dir, output_lock
    from ..datasets import data_home, load_panel
    from ..featurize import make_featurizer
    from ..library import cached_library, load_library
    from ..proxies import make_estimator
    from ..target import FIT_FILES, FIT_MARKER, fit_target, read_target, write_fit

    # every option is checked before any work
    check_output_dir(
        args.out,
        marker=FIT_MARKER,
        overwrite=args.overwrite,
        what="fit output",
        owned=tuple(FIT_FILES.values()),
    )
    final = option(
        "--final-params",
        make_estimator,
        args.final,
        args.final_params,
        device=args.device,
        random_state=args.seed,
    )
    target = read_target(
        args.target,
        smiles_column=args.smiles_column,
        label_column=args.label_column,
        name=args.name,
    )
    if args.library:
        library = load_library(args.library, n_jobs=args.n_jobs)
        if args.featurizer:
            wanted = make_featurizer(args.featurizer).spec()
            if wanted != library.featurizer.spec():
                raise UsageError(
                    f"--featurizer {args.featurizer} ({wanted}) differs from the "
                    f"library's {library.featurizer.spec()}; drop --featurizer or "
                    "build a library with it"
                )
    else:
        panels = [load_panel(p) for p in (args.panel or ["tox21"])]
        library = cached_library(
            panels,
            featurizer=make_featurizer(args.featurizer or "morgan"),
            random_state=args.seed,
            device=args.device,
            n_jobs=args.n_jobs,
            cache=data_home() / "libraries",
            verbose=not args.quiet,
        )
    with output_lock(args.out, what="fit output"):
        result = fit_target(
            target,
            library,
            final_estimator=final,
            natural_prior=args.natural_prior,
            n_bootstrap=args.n_bootstrap,
            target_floor=args.target_floor,
            cv=args.cv,
            repeats=args.repeats,
            random_state=args.seed,
            n_jobs=args.n_jobs,
            device=args.device,
            verbose=not args.quiet,
        )
        files = write_fit(result, args.out, overwrite=args.overwrite)
    print(
        result.summary[
            ["label", "mean_ap", "ap_ci_low", "ap_ci_high", "mean_delta_auprc"]
        ].to_string(index=False, float_format=lambda v: f"{v:.3f}")
    )
    print(f"\n{result.verdict}\nreport: {files['report']}; bundle: {files['bundle']}")
    return 0
