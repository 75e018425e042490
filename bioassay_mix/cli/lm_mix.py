"""``bioassay-mix lm-mix``: MixMin over text domains with n-gram language models."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..lm.ngram import LEVELS
from ._args import add_verb, non_negative, positive

HELP = (
    "MixMin over text domains: weights, a final n-gram model on the mixture, held-out NLL "
    "against natural, balanced, random search"
)


def add_parser(sub, parents: dict[str, argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """The verb's parser."""
    parser = add_verb(sub, "lm-mix", HELP, parents, "quiet", "seed")
    parser.add_argument(
        "--domains",
        required=True,
        help="folder of source domains, one .txt/.txt.gz file each (a line a sequence)",
    )
    parser.add_argument(
        "--target", required=True, help="the target's text file (a line a sequence)"
    )
    parser.add_argument(
        "--out", default="bioassay-mix-lm", help="output folder (default bioassay-mix-lm)"
    )
    model = parser.add_argument_group("models")
    model.add_argument(
        "--order", type=positive, default=2, help="n-gram order of the proxies (default 2)"
    )
    model.add_argument(
        "--final-order", type=positive, help="n-gram order of the final model (default: --order)"
    )
    model.add_argument(
        "--level", choices=LEVELS, default="word", help="tokens: words or characters (default word)"
    )
    model.add_argument(
        "--min-count", type=positive, default=2, help="rarer tokens become <unk> (default 2)"
    )
    model.add_argument(
        "--n-tokens",
        type=positive,
        help="final model's token budget (default: the median domain's size)",
    )
    model.add_argument(
        "--no-repeat",
        action="store_true",
        help="never repeat a domain's lines to fill its quota (the corpus shrinks)",
    )
    parser.add_argument(
        "--sample",
        type=float,
        default=0.2,
        help="fraction of the target's sequences MixMin sees (the rest is held out; default 0.2)",
    )
    parser.add_argument(
        "--random-search",
        type=non_negative,
        default=8,
        metavar="N",
        help="random mixtures tried by the random-search baseline (default 8)",
    )
    return parser


def main(args: argparse.Namespace) -> int:
    """Run the verb; 0 on success."""
    from ..lm import LMMixConfig, lm_mix, read_domain_dir, read_sequences
    from ..report import write_tables

    target = Path(args.target)
    domains = {
        d: t
        for d, t in read_domain_dir(args.domains).items()
        if d != target.name.removesuffix(".gz").removesuffix(".txt")
    }
    config = LMMixConfig(
        order=args.order,
        final_order=args.final_order,
        level=args.level,
        min_count=args.min_count,
        n_tokens=args.n_tokens,
        repeat=not args.no_repeat,
        sample=args.sample,
        random_search=args.random_search,
        seed=args.seed,
        verbose=not args.quiet,
    )
    result = lm_mix(domains, read_sequences(target), target_name=target.name, config=config)
    settings = {k: v for k, v in vars(args).items() if k != "func"}
    notes = [
        f"Target {target.name}; sources: {', '.join(domains)}; settings: {settings}.",
        "NLL per token (nats) on the target's held-out sequences: of the final model "
        "trained on each mixture (nll_trained) and of the proxies' weighted ensemble "
        "(nll_ensemble).",
        f"MixMin's extra compute: {result.mixmin_extra_compute:.2f} x one final-model "
        f"fit; solver gap {result.solver.gap:.1e}.",
    ]
    files = write_tables(
        args.out,
        "lm_mix",
        "MixMin over text domains",
        {"report": result.report, "weights": result.weights.reset_index(names="method")},
        notes,
        {"timings_s": result.timings},
    )
    print(result.report.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"\nweights and report: {files['md']}")
    return 0
