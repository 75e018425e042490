"""Leave-one-domain-out MixMin over the ten real text domains.

    python benchmarks/lm_mixing.py [--seed 0] [--random-search 8] [--n-jobs 2]

Each domain in turn is the target (20% of its lines are MixMin's sample, the rest held out) and
the other nine are sources. Per target and setting: held-out NLL per token of the final model
trained on the natural, balanced, random-search and MixMin mixtures, and of the proxies'
weighted ensemble; MixMin's relative gain over the best baseline; MixMin's extra compute as a
fraction of one final-model fit. Settings probe when the trained model follows the ensemble:

* ``base``: word-bigram proxies, word-bigram final model on a budget of the median domain's size;
* ``all_tokens``: the same models, the final one on as many tokens as all sources together;
* ``final_trigram``: bigram proxies, a trigram final model on all tokens (a larger model class);
* ``..._no_repeat``: the same, but a domain smaller than its quota gives each line once instead
  of being repeated (repeated lines inflate n-gram counts and weaken the smoothing).

Writes benchmarks/results/lm_mixing.{md,json} and CSVs.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from _common import write_tables
from joblib import Parallel, delayed

from bioassay_mix.lm import LMMixConfig, lm_mix, load_text_domain, text_domains, tokenize

BASELINES = ("natural", "balanced", "random_search")


def _one(
    name: str, setting: dict, target: str, data: dict, sizes: dict, args: argparse.Namespace
) -> tuple[dict, pd.Series]:
    """One leave-one-domain-out run: the report row and MixMin's weights."""
    sources = {d: t for d, t in data.items() if d != target}
    budget = sum(sizes[d] for d in sources) if setting.get("all") else None
    res = lm_mix(
        sources,
        data[target],
        target_name=target,
        config=LMMixConfig(
            order=2,
            final_order=setting.get("final_order"),
            n_tokens=budget,
            repeat=setting.get("repeat", True),
            random_search=args.random_search,
            seed=args.seed,
            verbose=False,
        ),
    )
    rep = res.report.set_index("method")
    row = {"setting": name, "target": target}
    for kind in ("trained", "ensemble"):
        col = rep[f"nll_{kind}"]
        best = col[list(BASELINES)].min()
        row.update({f"{m}_{kind}": col[m] for m in col.index})
        row[f"gain_{kind}_%"] = 100 * (best - col["mixmin"]) / best
    row.update(
        {
            "top_source": res.weights.loc["mixmin"].idxmax(),
            "top_weight": res.weights.loc["mixmin"].max(),
            "solver_gap": res.solver.gap,
            "extra_compute_x_final_fit": res.mixmin_extra_compute,
        }
    )
    print(
        f"{name:24s} {target:24s} trained {row['gain_trained_%']:+.2f}%  "
        f"ensemble {row['gain_ensemble_%']:+.2f}%  top {row['top_source']} "
        f"({row['top_weight']:.2f})",
        flush=True,
    )
    return row, res.weights.loc["mixmin"].rename(target)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--random-search", type=int, default=8)
    ap.add_argument("--n-jobs", type=int, default=2)
    args = ap.parse_args()
    data = {d: load_text_domain(d) for d in text_domains()}
    sizes = {d: sum(len(tokenize(t, "word")) + 1 for t in texts) for d, texts in data.items()}
    settings = {
        "base": {},
        "all_tokens": {"all": True},
        "all_tokens_no_repeat": {"all": True, "repeat": False},
        "final_trigram": {"all": True, "final_order": 3},
        "final_trigram_no_repeat": {"all": True, "final_order": 3, "repeat": False},
    }
    jobs = [(name, setting, target) for name, setting in settings.items() for target in data]
    # One process per (setting, target): each fit is single-threaded NumPy.
    out = Parallel(n_jobs=args.n_jobs)(
        delayed(_one)(name, setting, target, data, sizes, args) for name, setting, target in jobs
    )
    rows = [row for row, _ in out]
    weights = [w for (row, w) in out if row["setting"] == "base"]  # weights do not vary by setting
    table = pd.DataFrame(rows)
    summary = (
        table.groupby("setting", sort=False)
        .agg(
            mixmin_trained_beats_best_baseline=("gain_trained_%", lambda g: int((g > 0).sum())),
            mixmin_ensemble_beats_best_baseline=("gain_ensemble_%", lambda g: int((g > 0).sum())),
            mean_gain_trained_pct=("gain_trained_%", "mean"),
            mean_gain_ensemble_pct=("gain_ensemble_%", "mean"),
            median_top_weight=("top_weight", "median"),
            median_extra_compute=("extra_compute_x_final_fit", "median"),
        )
        .reset_index()
    )
    summary.insert(1, "targets", len(data))
    notes = [
        f"Ten real text domains (data_manifests/text), leave-one-domain-out; seed {args.seed}; "
        f"random search {args.random_search} mixtures per target, chosen on MixMin's sample, "
        "never on the held-out part. NLL in nats per word token (lower-cased words and "
        "punctuation; one vocabulary of tokens seen twice across the sources).",
        "gain_% = relative NLL reduction of MixMin over the best of natural, balanced and random "
        "search (positive: MixMin better); for 'trained' the final models, for 'ensemble' the "
        "proxies mixed with each method's weights.",
        "extra compute: MixMin's proxies, scoring and solve over one final-model fit. n-gram "
        "training is linear in tokens and the proxies see every domain in full, so this is "
        "large here, unlike the paper's small proxies for a large model.",
        f"Domain sizes (word tokens): {sizes}.",
    ]
    all_weights = pd.DataFrame(weights).reindex(columns=sorted(data)).reset_index(names="target")
    write_tables(
        "lm_mixing",
        "MixMin over text domains (leave-one-domain-out)",
        {"summary": summary, "per_target": table, "mixmin_weights": all_weights},
        notes,
        {"seed": args.seed, "sizes": sizes, "mean_top_weight": float(np.mean(table["top_weight"]))},
    )


if __name__ == "__main__":
    main()
