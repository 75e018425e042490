"""``bioassay-mix score``: a compound file scored against a bundle's targets, streamed."""

from __future__ import annotations

import argparse

from ._args import add_verb, positive

HELP = "score a compound file against a bundle's targets"


def add_parser(sub, parents: dict[str, argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """The verb's parser."""
    parser = add_verb(sub, "score", HELP, parents, "quiet", "device", "jobs")
    parser.add_argument("--bundle", required=True, help="bundle folder written by `run` or `fit`")
    parser.add_argument(
        "--input",
        required=True,
        help="compounds: .csv/.tsv/.parquet (a SMILES column), .smi or .sdf",
    )
    parser.add_argument("--targets", nargs="+", help="targets to score (default: all)")
    parser.add_argument(
        "--smiles-column", default="smiles", help="the input table's SMILES column (default smiles)"
    )
    parser.add_argument("--id-column", help="compound id column (SDF: a property; default _Name)")
    parser.add_argument(
        "--chunk-size",
        type=positive,
        default=20_000,
        help="compounds read, featurized and written at a time (default 20000)",
    )
    out = parser.add_argument_group("output")
    out.add_argument("--out", required=True, help="output Parquet file")
    out.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    return parser


def main(args: argparse.Namespace) -> int:
    """Run the verb; 0 on success."""
    from ..scoring import score_file

    summary = score_file(
        args.bundle,
        args.input,
        args.out,
        smiles_column=args.smiles_column,
        id_column=args.id_column,
        targets=args.targets,
        chunk_size=args.chunk_size,
        device=args.device,
        n_jobs=args.n_jobs,
        overwrite=args.overwrite,
        verbose=not args.quiet,
    )
    print(
        f"scored {summary.n_rows} compounds x {len(summary.targets)} targets on "
        f"{summary.device} in {summary.timings['wall_s']:.1f} s "
        f"({summary.compounds_per_s:,.0f}/s); {summary.n_errors} could not be scored; "
        f"output: {summary.path}"
    )
    return 0
