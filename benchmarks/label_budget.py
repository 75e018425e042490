"""The label-budget study: when does mixing public assays pay, by the number of labels a target
has? FS-Mol's evaluation protocol (Stanley et al., NeurIPS 2021 datasets track), adapted.

    python benchmarks/label_budget.py [--panels tox21 sider moleculenet toxcast]
        [--sizes 16 32 64 128 256] [--draws 10] [--first-draw 0] [--priors 8 auto ...]
        [--n-bootstrap N] [--target-floors 0 1 ...] [--only-priors] [--n-jobs 2]
        [--out-name label_budget] [--from-raw]
    python benchmarks/label_budget.py --headline results/<out-name>_<panel>_raw.csv.gz ...

Per panel and draw (seed = draw): the panel's compounds are split once, a fifth held out. A
target's test set is its labelled compounds in the held-out fifth, and no held-out compound is
a training row of any source (strict): the library of every assay is built per draw with the
held-out compounds excluded, and each target uses it without itself. Support sets of each size
are drawn from the target's other labelled compounds, stratified (at least 2 positives). Targets
need >= 20 test positives (>= 100 on ToxCast).

Methods (all XGBoost at the package defaults unless named): target-only XGBoost; target-only
random forest (500 trees, FS-Mol's strongest single-task baseline); natural + target (every
source row and the support rows, unweighted); MixMin-trained; MixMin + target; MixMin ensemble
+ target (the proxies and a proxy of the support set, mixed by MixMin + target's weights).
Reported per panel and size: mean AP and ΔAUPRC (AP minus the test positive rate) over
targets, each target averaged over its draws, with 95% t-intervals over targets; win/tie/loss
of MixMin + target against each method per target (tie: |ΔAP| <= 0.005) with a paired Wilcoxon
test; the smallest size at which target-only XGBoost reaches MixMin + target; every MixMin +
target variant against natural + target on the draws that all methods scored
(``priors_vs_natural``); learning curves.
MixMin-trained and MixMin + target are plain MixMin (``natural_prior=0``); each of
``--priors`` adds MixMin + target with that prior toward natural pooling
(``mixmin_plus_target_prior<C>``, ``mixmin_plus_target_prior_auto``), each solved once or,
with ``--n-bootstrap N``, averaged over N bootstrap resamples (``..._bag<N>``), each final
model once per ``--target-floors`` value (``..._floor<F>``; the package's default is
``--priors auto --n-bootstrap 50`` with floor auto: on a sparse panel 1, or the support alone
when fewer than half its compounds are training compounds of a source; none on a dense one).
Every score is kept in
``<out-name>_<panel>_raw.csv.gz``, written after each draw, so a long panel can be stopped and
still summarised; ``--from-raw`` summarises that file again without recomputing, and
``--first-draw`` lets several processes share a panel's draws (concatenate their raw files).
``--only-priors`` scores only the ``--priors`` methods and adds them to that file, whose
baselines the same draws reproduce bit for bit (each draw's seeds are fixed), replacing any
earlier rows of those methods and draws.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _budget_tables import (
    RAW_SUFFIX,
    catch_up,
    default_method,
    fewer_draws,
    headline,
    panel_fill,
    plot_curves,
    prior_method,
    summarise,
)
from _common import RESULTS, write_tables
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import average_precision_score
from sklearn.model_selection import train_test_split

from bioassay_mix import load_panel
from bioassay_mix._files import atomic_path
from bioassay_mix.cli._args import natural_prior as _natural_prior
from bioassay_mix.cli._args import target_floor as _target_floor
from bioassay_mix.estimator import MixMinClassifier
from bioassay_mix.executor import LocalExecutor
from bioassay_mix.library import TARGET, ProxyLibrary
from bioassay_mix.target import method_probabilities

#: gzip without a timestamp, so the same scores give the same bytes.
GZIP = {"method": "gzip", "mtime": 0}


def support_set(y: np.ndarray, pool: np.ndarray, size: int, seed: int) -> np.ndarray | None:
    """``size`` positions of ``pool``, stratified by ``y``, with >= 2 of each class; None when
    the pool cannot give that."""
    y_pool = y[pool]
    if size >= len(pool) or y_pool.sum() < 2 or (1 - y_pool).sum() < 2:
        return None
    chosen, _ = train_test_split(pool, train_size=size, stratify=y_pool, random_state=seed)
    n_pos = int(y[chosen].sum())
    if n_pos < 2:  # stratification rounds a rare class down: top it up to 2
        extra = np.setdiff1d(pool[y_pool == 1], chosen)[: 2 - n_pos]
        drop = chosen[y[chosen] == 0][: len(extra)]
        chosen = np.concatenate([np.setdiff1d(chosen, drop), extra])
    return chosen


def evaluate(
    target: str,
    *,
    library: ProxyLibrary,
    panel,
    features,
    proba: np.ndarray,
    test_mask: np.ndarray,
    sizes: list[int],
    seed: int,
    priors: list[float | str],
    n_bootstrap: int = 0,
    target_floors: tuple[float | str, ...] = (0.0,),
    baselines: bool = True,
) -> list[dict]:
    """Every method at every size for ``target``; ``features`` and ``proba`` (the whole
    library's class-1 probabilities) cover every panel compound, computed once per draw.
    Each of ``priors`` adds MixMin + target with that ``natural_prior`` and ``n_bootstrap``;
    without ``baselines`` they are the only methods."""
    lib = library.without([target])
    sources = [library.sources.index(s) for s in lib.sources]
    labels = panel.labels[target]
    labelled = np.flatnonzero(labels.notna().to_numpy())
    y = labels.to_numpy()[labelled].astype(np.int32)
    X, P = features[labelled], proba[labelled][:, sources]
    test = np.flatnonzero(test_mask[labelled])
    pool = np.flatnonzero(~test_mask[labelled])
    y_test, rate = y[test], float(y[test].mean())
    # MixMin-trained and MixMin + target are plain MixMin (no prior, one solve, MixMin's
    # weights in the final model): each of ``priors`` is its own method
    model = {
        "final_estimator": None,
        "random_state": seed,
        "n_jobs": 1,
        "device": "auto",
        "natural_prior": 0.0,
        "n_bootstrap": 0,
        "target_floor": 0.0,
    }
    rows = []
    for size in sizes:
        support = support_set(y, pool, size, seed)
        if support is None:
            continue
        X_s, y_s = X[support], y[support]
        scores, on_target = {}, {}
        if baselines:
            scores, w = baseline_scores(lib, X_s, y_s, P[support], X[test], P[test], model)
            on_target = dict.fromkeys(scores, float(w.get(TARGET, 0.0)))
        for strength in priors:
            clf = MixMinClassifier(
                lib, **{**model, "natural_prior": strength, "n_bootstrap": n_bootstrap}
            ).fit_weights(X_s, y_s, source_proba=P[support])
            for floor in target_floors:
                name = prior_method(strength, n_bootstrap, floor)
                clf.set_params(target_floor=floor).fit_final(X_s, y_s)
                scores[name] = clf.predict_proba(X[test])[:, 1]
                on_target[name] = float(clf.weights_.get(TARGET, 0.0))
        for method, s in scores.items():
            ap = float(average_precision_score(y_test, s))
            rows.append(
                {
                    "target": target,
                    "size": size,
                    "draw": seed,
                    "method": method,
                    "n_support_positive": int(y_s.sum()),
                    "n_test": len(test),
                    "test_positive_rate": rate,
                    "ap": ap,
                    "delta_auprc": ap - rate,
                    "weight_on_target": on_target[method],
                }
            )
    return rows


def baseline_scores(
    lib: ProxyLibrary,
    X_s,
    y_s: np.ndarray,
    P_s: np.ndarray,
    X_test,
    P_test: np.ndarray,
    model: dict,
) -> tuple[dict[str, np.ndarray], pd.Series]:
    """Test scores of the baselines and of plain MixMin trained on the support set, and plain
    MixMin + target's weights."""
    shared, plus = method_probabilities(lib, X_s, y_s, P_s, X_test, model)
    w = plus.weights_
    own = clone(lib.proxy_template()).set_params(random_state=model["random_state"]).fit(X_s, y_s)
    return {
        "target_only_xgb": shared["target_only"],
        "target_only_rf": RandomForestClassifier(
            n_estimators=500, random_state=model["random_state"], n_jobs=1
        )
        .fit(X_s, y_s)
        .predict_proba(X_test)[:, 1],
        **{m: shared[m] for m in ("natural_plus_target", "mixmin_trained", "mixmin_plus_target")},
        "mixmin_ensemble_plus_target": (
            P_test @ w.reindex(lib.sources).fillna(0).to_numpy()
            + w.get(TARGET, 0.0) * own.predict_proba(X_test)[:, 1]
        ),
    }, w


def run_panel(
    name: str,
    sizes: list[int],
    draws: range,
    n_jobs: int,
    raw_file: Path,
    priors: list[float | str],
    n_bootstrap: int = 0,
    target_floors: tuple[float | str, ...] = (0.0,),
    keep: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every draw of ``name``; ``keep``'s rows and the scores so far are written to
    ``raw_file`` after each draw, so a long panel stopped early can still be summarised
    (``--from-raw``). With ``keep`` (``--only-priors``) only ``priors`` are scored."""
    panel = load_panel(name)
    min_test_pos = 100 if name == "toxcast" else 20
    rows, scores = [], keep if keep is not None else pd.DataFrame()
    for draw in draws:
        start = time.perf_counter()
        rng = np.random.default_rng(draw)
        test_mask = rng.random(len(panel.labels)) < 0.2
        test_compounds = list(panel.labels.index[test_mask])
        library = ProxyLibrary.build(
            panel, exclude=test_compounds, n_jobs=n_jobs, random_state=draw, verbose=False
        )
        test_pos = (panel.labels[test_mask] == 1).sum()
        targets = [t for t in library.sources if test_pos[t] >= min_test_pos]
        features = library.features(panel.smiles)
        proba = library.predict(features, n_jobs=n_jobs)
        results = LocalExecutor(n_jobs).map(
            evaluate,
            targets,
            shared={
                "library": library,
                "panel": panel,
                "features": features,
                "proba": proba,
                "test_mask": test_mask,
                "sizes": sizes,
                "seed": draw,
                "priors": priors,
                "n_bootstrap": n_bootstrap,
                "target_floors": target_floors,
                "baselines": keep is None,
            },
            desc=f"{name} draw {draw}",
            verbose=False,
        )
        rows += [r for part in results for r in part]
        scores = pd.concat([keep, pd.DataFrame(rows)], ignore_index=True)
        with atomic_path(raw_file) as tmp:
            scores.to_csv(tmp, index=False, compression=GZIP)
        print(
            f"{name} draw {draw}: {len(targets)} targets in {time.perf_counter() - start:.0f} s",
            flush=True,
        )
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", nargs="+", default=["tox21", "sider", "moleculenet", "toxcast"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[16, 32, 64, 128, 256])
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument(
        "--first-draw",
        type=int,
        default=0,
        help="seed of the first draw (split a panel's draws across processes)",
    )
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument(
        "--priors",
        nargs="*",
        type=_natural_prior,
        default=[],
        help="also MixMin + target with each natural_prior (pseudo-compounds, or auto)",
    )
    parser.add_argument(
        "--n-bootstrap",
        type=int,
        default=0,
        help="bootstrap resamples whose weights --priors average (0: one solve)",
    )
    parser.add_argument(
        "--target-floors",
        type=_target_floor,
        nargs="+",
        default=[0.0],
        help="each a variant of --priors with that target_floor (_floor<F>; 0: none; auto: "
        "the package's rule, resolved per support set)",
    )

    parser.add_argument(
        "--only-priors",
        action="store_true",
        help=f"score only --priors, adding them to results/<out-name>_<panel>"
        f"{RAW_SUFFIX} (which holds the same draws' baselines)",
    )
    parser.add_argument(
        "--out-name",
        default="label_budget",
        help="results/<out-name>_<panel>.* (another name keeps the committed results)",
    )
    parser.add_argument(
        "--from-raw",
        action="store_true",
        help=f"summarise results/<out-name>_<panel>{RAW_SUFFIX} again",
    )
    parser.add_argument(
        "--headline",
        nargs="+",
        type=Path,
        metavar="RAW",
        help="only write results/label_budget_headline.* from these raw files",
    )
    args = parser.parse_args()
    if args.only_priors and not args.priors:
        parser.error("--only-priors scores only --priors: name at least one")
    if args.headline:
        write_tables(
            "label_budget_headline",
            "Label budget: mean test AP by support size",
            {"mean_ap": headline(args.headline)},
            [f"From {', '.join(f.name for f in args.headline)}."],
        )
        return
    for name in args.panels:
        start = time.perf_counter()
        raw_file = RESULTS / f"{args.out_name}_{name}{RAW_SUFFIX}"
        if args.from_raw:
            raw = pd.read_csv(raw_file)
        else:
            draws = range(args.first_draw, args.first_draw + args.draws)
            keep = None
            if args.only_priors:
                if not raw_file.exists():
                    parser.error(
                        f"--only-priors adds to {raw_file}, which does not exist: run "
                        "the panel's study with its baselines first"
                    )
                keep = pd.read_csv(raw_file)
                keep = keep[
                    ~(
                        keep["method"].isin(
                            [
                                prior_method(p, args.n_bootstrap, f)
                                for p in args.priors
                                for f in args.target_floors
                            ]
                        )
                        & keep["draw"].isin(draws)
                        & keep["size"].isin(args.sizes)
                    )
                ]
            raw = run_panel(
                name,
                args.sizes,
                draws,
                args.n_jobs,
                raw_file,
                args.priors,
                args.n_bootstrap,
                tuple(args.target_floors),
                keep,
            )
        tables = summarise(raw, default_method(panel_fill(name)))
        plot_curves(tables["summary"], name, args.out_name)
        elapsed = (
            ""
            if args.from_raw
            else f"; {time.perf_counter() - start:.0f} s on --n-jobs {args.n_jobs}"
        )
        notes = [
            f"Panel {name}: {raw['target'].nunique()} targets, {raw['draw'].nunique()} "
            f"draws, support sizes {sorted(raw['size'].unique().tolist())}{elapsed}.",
            f"Target-only XGBoost reaches MixMin + target at support size "
            f"{catch_up(tables['summary'])}.",
            "Mean over targets of each target's mean over draws; 95% t-intervals over "
            f"targets. Learning curves: {args.out_name}_{name}.png; every score: "
            f"{args.out_name}_{name}{RAW_SUFFIX}.",
            *fewer_draws(raw),
        ]
        draws = sorted(raw["draw"].unique().tolist())
        write_tables(
            f"{args.out_name}_{name}",
            f"Label budget on {name}",
            tables,
            notes,
            {"sizes": sorted(raw["size"].unique().tolist()), "draws": draws},
        )


if __name__ == "__main__":
    main()
