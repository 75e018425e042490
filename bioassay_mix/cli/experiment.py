"""``bioassay-mix experiment``: the paper's protocol with every baseline over several seeds."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..splits import LEAKAGE_MODES
from ._args import add_verb, non_negative, seed
from ._protocol import add_protocol_options, read_panel, run_config

HELP = (
    "the paper's protocol with every baseline over several seeds: mean AP with CIs, "
    "win/tie/loss, plots"
)


def add_parser(sub, parents: dict[str, argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """The verb's parser."""
    parser = add_verb(sub, "experiment", HELP, parents, "quiet", "device", "jobs")
    add_protocol_options(parser)
    study = parser.add_argument_group("study")
    study.add_argument(
        "--seeds", nargs="+", type=seed, default=[0, 1, 2], help="one run per seed (default 0 1 2)"
    )
    study.add_argument(
        "--leakage",
        nargs="+",
        choices=LEAKAGE_MODES,
        default=["strict"],
        help="one or both modes, reported side by side (default strict)",
    )
    study.add_argument(
        "--random-search",
        type=non_negative,
        default=16,
        metavar="N",
        help="random-search trials per target (0: off; default 16)",
    )
    study.add_argument(
        "--regmix",
        type=non_negative,
        default=32,
        metavar="M",
        help="RegMix small-model runs per target (0: off; default 32)",
    )
    study.add_argument(
        "--no-plus-target",
        action="store_true",
        help="leave out MixMin + target (the target's rows as one more source)",
    )
    parser.add_argument(
        "--out",
        default="bioassay-mix-experiment",
        help="output folder (default bioassay-mix-experiment)",
    )
    return parser


def main(args: argparse.Namespace) -> int:
    """Run the verb; 0 on success."""
    from .._files import output_lock
    from ..protocol.comparison import compare
    from ..protocol.report import comparison_tables, write_comparison

    config = run_config(
        args,
        random_search=args.random_search,
        regmix=args.regmix,
        mixmin_plus_target=not args.no_plus_target,
    )
    with output_lock(args.out, what="experiment output"):
        comparison = compare(
            read_panel(args),
            seeds=args.seeds,
            leakage=args.leakage,
            targets=args.targets,
            config=config,
            out_dir=Path(args.out) / "runs",
        )
        files = write_comparison(comparison, args.out)
    for mode in args.leakage:
        print(f"leakage {mode}:")
        print(
            comparison_tables(comparison)[f"summary_{mode}"].to_string(
                index=False, float_format=lambda v: f"{v:.3f}"
            )
        )
    print(f"\nreport: {files['md']}")
    return 0
