"""``bioassay-mix library build | info``: the proxy library every target borrows from."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..featurize import FEATURIZERS
from ._args import add_verb, at_least, json_params, model_options, option

HELP = "build or describe a proxy library (the sources every target borrows from)"


def add_parser(sub, parents: dict[str, argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """The verb's parser, with its two sub-verbs."""
    parser = add_verb(sub, "library", HELP, parents)
    verbs = parser.add_subparsers(dest="library_command", required=True)
    build_help = "train one proxy per assay of one or more panels"
    build = add_verb(verbs, "build", build_help, parents, "quiet", "seed", "device", "jobs")
    build.add_argument(
        "--panel",
        nargs="+",
        default=["tox21"],
        metavar="NAME_OR_FILE",
        help="dataset names or panel files; several are joined on canonical "
        "SMILES (default: tox21, shipped, offline)",
    )
    build.add_argument(
        "--min-labels",
        type=at_least(2),
        default=50,
        help="assays with fewer labelled compounds are skipped (default 50)",
    )
    build.add_argument(
        "--exclude",
        metavar="FILE",
        help="compounds no proxy may train on (a file scoring reads: .csv with "
        "a smiles column, .smi, .sdf, ...), e.g. your test set",
    )
    model_options(
        build,
        "proxy",
        None,
        "XGBoost, 100 trees, depth 6; logistic regression "
        "when the median assay has fewer than 100 labelled compounds, as ChEMBL's "
        "do; XGBoost whenever --proxy-params is given alone",
    )
    features = build.add_argument_group("features")
    features.add_argument(
        "--featurizer",
        choices=sorted(FEATURIZERS),
        default="morgan",
        help="how compounds become features (default morgan: 2048 bits, radius 2)",
    )
    features.add_argument(
        "--featurizer-params",
        type=json_params,
        metavar="JSON",
        help='featurizer parameters, e.g. \'{"radius": 3, "n_bits": 1024}\'',
    )
    out = build.add_argument_group("output")
    out.add_argument("--out", required=True, help="library folder to write")
    out.add_argument(
        "--overwrite", action="store_true", help="replace an existing library at --out"
    )
    build.set_defaults(func=build_main)
    info_help = "describe a saved library"
    info = add_verb(verbs, "info", info_help, parents, "quiet")
    info.add_argument("path", help="library folder")
    info.set_defaults(func=info_main)
    return parser


def info_main(args: argparse.Namespace) -> int:
    """``library info``; 0 on success."""
    from ..library import load_library

    lib = load_library(args.path)
    print(
        f"{lib!r}\nfeaturizer: {lib.featurizer.spec()}\nproxy: "
        f"{lib.build_params.get('proxy', {}).get('class')}\nbuilt from: "
        f"{lib.build_params.get('panels')}; {lib.build_params.get('n_excluded', 0)} "
        "compounds excluded"
    )
    print(lib.summary().to_string())
    if len(lib.skipped):
        print(f"\nskipped at build time:\n{lib.skipped.to_string(index=False)}")
    return 0


def build_main(args: argparse.Namespace) -> int:
    """``library build``; 0 on success."""
    from .._files import check_output_dir, output_lock
    from ..compound_files import read_compounds
    from ..datasets import load_panel
    from ..featurize import make_featurizer
    from ..library import MANIFEST, ProxyLibrary, remove_checkpoint
    from ..proxies import make_estimator

    # one build per --out at a time (a second is refused at once, naming the holder); every
    # option is checked before any training
    with output_lock(args.out, what="library"):
        check_output_dir(
            args.out,
            marker=MANIFEST,
            overwrite=args.overwrite,
            what="library",
            owned=ProxyLibrary.FILES,
        )
        featurizer = option(
            "--featurizer-params", make_featurizer, args.featurizer, args.featurizer_params
        )
        # parameters without --proxy are XGBoost's, as they always were
        name = args.proxy or ("xgboost" if args.proxy_params else None)
        proxy = (
            None
            if name is None
            else option(
                "--proxy-params",
                make_estimator,
                name,
                args.proxy_params,
                device=args.device,
                random_state=args.seed,
            )
        )
        exclude = None
        if args.exclude:
            exclude = [
                s
                for chunk in read_compounds(args.exclude)
                for s in chunk["smiles"]
                if isinstance(s, str)
            ]
        panels = [load_panel(p, n_jobs=args.n_jobs) for p in args.panel]
        out = Path(args.out)
        checkpoint = out.parent / f".{out.name}.build"
        lib = ProxyLibrary.build(
            panels,
            featurizer=featurizer,
            proxy=proxy,
            exclude=exclude,
            min_labels=args.min_labels,
            random_state=args.seed,
            device=args.device,
            n_jobs=args.n_jobs,
            verbose=not args.quiet,
            checkpoint=checkpoint,
        )
        path = lib.save(out, overwrite=args.overwrite)
        remove_checkpoint(checkpoint)
    print(f"{lib!r}: {len(lib.skipped)} assays skipped; written to {path}")
    return 0
