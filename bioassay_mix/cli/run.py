"""``bioassay-mix run``: MixMin on a panel (the paper's protocol, one seed), the AP report and
a scoring bundle."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from ..errors import UsageError
from ..splits import LEAKAGE_MODES
from ._args import add_verb
from ._protocol import add_protocol_options, read_panel, run_config

HELP = "run MixMin on a panel and write the AP report"


def add_parser(sub, parents: dict[str, argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """The verb's parser."""
    parser = add_verb(sub, "run", HELP, parents, "quiet", "seed", "device", "jobs")
    add_protocol_options(parser)
    parser.add_argument(
        "--leakage",
        choices=LEAKAGE_MODES,
        default="strict",
        help="strict: a target's test compounds are in no source's training rows (default strict)",
    )
    out = parser.add_argument_group("output")
    out.add_argument(
        "--out", default="bioassay-mix-results", help="output folder (default bioassay-mix-results)"
    )
    out.add_argument("--bundle", help="where to write the scoring bundle (default: OUT/bundle)")
    return parser


def main(args: argparse.Namespace) -> int:
    """Run the verb; 0 on success."""
    from .._files import check_output_dir, output_lock
    from ..bundle import MANIFEST as BUNDLE_MANIFEST
    from ..bundle import Bundle
    from ..protocol import run
    from ..protocol.report import ap_table, write_report

    bundle_dir = Path(args.bundle) if args.bundle else Path(args.out) / "bundle"
    if bundle_dir.resolve() == Path(args.out).resolve():
        raise UsageError(
            "--bundle must differ from --out: the bundle folder is replaced as a "
            "whole, and --out holds the report and caches"
        )
    # replaced only if it is a bundle; a foreign non-empty folder is refused before any work
    check_output_dir(
        bundle_dir, marker=BUNDLE_MANIFEST, overwrite=True, what="bundle", owned=Bundle.FILES
    )
    config = run_config(args, seed=args.seed, leakage=args.leakage)
    with output_lock(args.out, what="run output"):
        result = run(read_panel(args), targets=args.targets, config=config, out_dir=args.out)
        files = write_report(result, args.out)
        bundle = result.save_bundle(bundle_dir, overwrite=True)
    if len(result.issues):
        logging.getLogger(__name__).warning(
            "%d input issues (invalid SMILES, merged duplicates, conflicting labels): %s",
            len(result.issues),
            files["issues"],
        )
    print(ap_table(result.report).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(
        f"\nwall time {result.metadata['wall_time_s']:.1f} s; report: {files['report_md']}; "
        f"bundle: {bundle}"
    )
    return 0
