"""The FS-Mol benchmark: MixMin with FS-Mol's train assays as the library, on FS-Mol's protocol,
against single-task baselines and FS-Mol's published figures.

    python benchmarks/fsmol.py --split-file FILE --library LIB --out DIR [--tasks N]
        [--sizes 16 32 64 128 256] [--draws 10] [--first-draw 0] [--methods ...]
        [--min-query 16] [--n-jobs 2] [--n-bootstrap 50] [--target-floor auto]
        [--summarise-only]

``FILE`` is any split file of the shared FS-Mol layout (a long CSV with ``task``, ``smiles``
and ``label`` columns, such as ``../shared/data/fsmol/fsmol_valid.csv.gz``); the benchmark
never assumes which split it reads, so settings are chosen on valid and the test split is kept
for a final run of a frozen method. ``LIB`` is a library built from FS-Mol's train split
(``bioassay-mix library build --panel fsmol --min-labels 16 --out LIB``); the benchmark uses
the library's own featurizer.

Protocol (FS-Mol's): for each task, size and draw (seed = draw), a support set of ``size``
compounds is drawn stratified from the task (at least two of each class), the rest of the task
is the query; ΔAUPRC = average precision on the query minus its fraction of actives. A size
is skipped for a task with fewer than ``size + --min-query`` compounds (counted in the
summary). ``--tasks N`` takes the first N tasks of a shuffle seeded 0.

Methods, each trained on the support set only (the sources' predictions of a task's compounds
are computed once per task and cached under ``DIR/cache``, keyed by the library's manifest and
the task's SMILES):

* ``default``: what ``bioassay-mix fit`` fits with its defaults (``MixMinClassifier``'s
  defaults: MixMin + target, ``natural_prior="auto"``, weights averaged over
  ``n_bootstrap`` resamples of the support, the XGBoost final model with ``target_floor``;
  on FS-Mol's sparse library ``natural_prior="auto"`` is plain MixMin and
  ``target_floor="auto"`` keeps the support's rows at least as heavy as the largest
  source's when at least half the support is among the library's training compounds, so
  this is ``mixmin_plus_target`` with bootstrap-averaged weights and that floor; else the
  final model is a random forest on the support alone, the very model of
  ``target_only_rf``);
* ``target_only_rf``: single-task random forest (500 trees), ``target_only_xgb``: the library's
  proxy estimator on the support set, ``knn``: k nearest neighbours by Tanimoto (Jaccard on
  the bits; k = 5, fewer for tiny supports);
* ``natural_plus_target``: every source row (all 404k of FS-Mol's library) and the support,
  unweighted;
* ``mixmin_trained``, ``mixmin_plus_target``: plain MixMin (``natural_prior=0``, one solve)
  weights, the final XGBoost model on the weighted sources (and the support);
* ``mixmin_ensemble_plus_target``: no final model: the proxies' and a support-set proxy's
  probabilities mixed by plain MixMin + target's weights;
* ``profile``: the sources' predicted probabilities as descriptors (a bioactivity profile):
  L2 logistic regression on their logits, C chosen by inner stratified cross-validation;
* ``ensemble_default``: the ensemble with the default's weights (bootstrap-averaged);
* ``default_without_floor``: the default with ``target_floor=0``: its final model trains on
  MixMin's weights as they are (the support's own weight is often 0 at 16-64 labels, its
  rows then pruned);
* ``default_mixed``: the default with ``target_floor=1`` (``AUTO_TARGET_FLOOR``) whatever
  the support's overlap with the library: the final model always trains on the sources too;
* ``ensemble_prior_auto``: the ensemble with the default prior's weights (MixMin + target,
  ``natural_prior="auto"``, one solve) in place of plain MixMin's;
* ``ensemble_select``: the ensemble with the default prior's weights when natural pooling's
  mixture explains the support better (mean log-likelihood of the observed labels) than plain
  MixMin's weights do on held-out support rows (4-fold), else plain MixMin's: a candidate
  rule for a default that serves both FS-Mol and the MoleculeNet panels.

Outputs, rewritten after every task (stop and rerun to resume: scored task/size/draw triples
are kept; processes given different ``--first-draw`` share a ``DIR``; ``DIR/fsmol_settings.json``
records what the scores depend on, and a run with another library, split file,
``--min-query``, ``--n-bootstrap`` or ``--target-floor`` is refused rather than mixed in):
``DIR/parts/draws<first>-<last>.csv`` (this process's scores), ``DIR/fsmol_scores.csv`` (all
parts: ``task, size, draw, method, ap, delta_auprc`` and more, one row per score),
``DIR/fsmol.md`` with ``_summary``, ``_versus_<method>`` CSVs and JSON (means over tasks with
95% t-intervals, win/tie/loss per task, FS-Mol's published test figures as labelled reference
rows), and ``DIR/fsmol.png``.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _fsmol_io import (
    PUBLISHED_SIZES,
    check_settings,
    open_library,
    read_parts,
    read_split,
    summarise,
)
from label_budget import support_set
from scipy.special import logit
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import average_precision_score
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from threadpoolctl import threadpool_limits

from bioassay_mix._files import atomic_path, sha256_file
from bioassay_mix.cli._args import target_floor
from bioassay_mix.estimator import (
    AUTO_TARGET_FLOOR,
    DEFAULT_N_BOOTSTRAP,
    DEFAULT_TARGET_FLOOR,
    MixMinClassifier,
)
from bioassay_mix.final_model import fit_on_mixture
from bioassay_mix.library import MANIFEST, TARGET, ProxyLibrary
from bioassay_mix.panel import AssayPanel
from bioassay_mix.solver import solve
from bioassay_mix.solver.objectives import observed_label_proba

METHODS = (
    "default",
    "target_only_rf",
    "target_only_xgb",
    "knn",
    "natural_plus_target",
    "mixmin_trained",
    "mixmin_plus_target",
    "mixmin_ensemble_plus_target",
    "ensemble_default",
    "default_without_floor",
    "default_mixed",
    "profile",
    "ensemble_prior_auto",
    "ensemble_select",
)
#: The methods that share the default's weights.
DEFAULT_WEIGHTS = ("default", "ensemble_default", "default_without_floor", "default_mixed")


def task_predictions(
    lib: ProxyLibrary, smiles: list[str], cache: Path, n_jobs: int
) -> tuple[object, np.ndarray]:
    """Features and the sources' class-1 probabilities of a task's compounds, the latter
    cached by the library's manifest and the SMILES."""
    features = lib.features(smiles)
    key = hashlib.sha256((lib.path / MANIFEST).read_bytes())
    key.update("\n".join(smiles).encode())
    file = cache / f"{key.hexdigest()[:24]}.npy"
    if file.is_file():
        return features, np.load(file, allow_pickle=False)
    proba = lib.predict(features, n_jobs=n_jobs)
    cache.mkdir(parents=True, exist_ok=True)
    with atomic_path(file) as tmp, open(tmp, "wb") as handle:
        np.save(handle, proba, allow_pickle=False)
    return features, proba


def method_scores(
    methods: list[str],
    lib: ProxyLibrary,
    X_s,
    y_s: np.ndarray,
    P_s: np.ndarray,
    X_q,
    P_q: np.ndarray,
    seed: int,
    default_params: dict | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, float], dict[str, float]]:
    """Query class-1 probabilities of ``methods`` trained on the support ``X_s, y_s`` (``P_s``,
    ``P_q``: the sources' probabilities of the support and the query), the seconds each
    method took (the fits that several methods share, MixMin's weights and the support-set
    proxy, are timed apart, as ``"shared"``), and the weight on the support's own column of
    the methods whose weights are the default's or plain MixMin + target's.
    ``default_params`` (``n_bootstrap``, ``target_floor``) change the default's
    ``MixMinClassifier`` parameters."""
    start = time.perf_counter()
    out = {}
    plain = {
        "random_state": seed,
        "n_jobs": 1,
        "natural_prior": 0.0,
        "n_bootstrap": 0,
        "target_floor": 0.0,
    }
    plus = None
    if {"mixmin_plus_target", "mixmin_ensemble_plus_target"} & set(methods):
        plus = MixMinClassifier(lib, **plain)
        plus.fit_weights(X_s, y_s, source_proba=P_s)
    own = None
    ensembles = {
        "mixmin_ensemble_plus_target",
        "ensemble_default",
        "ensemble_prior_auto",
        "ensemble_select",
    }
    if ({"target_only_xgb"} | ensembles) & set(methods):
        own = clone(lib.proxy_template()).set_params(random_state=seed).fit(X_s, y_s)
    if plus is None and (ensembles - {"ensemble_default"}) & set(methods):
        plus = MixMinClassifier(lib, **plain)
        plus.fit_weights(X_s, y_s, source_proba=P_s)
    auto = None
    if {"ensemble_prior_auto", "ensemble_select"} & set(methods):
        auto = MixMinClassifier(lib, random_state=seed, n_jobs=1, n_bootstrap=0)
        auto.fit_weights(X_s, y_s, source_proba=P_s)

    def ensemble(w: pd.Series) -> np.ndarray:
        return (
            P_q @ w.reindex(lib.sources).fillna(0.0).to_numpy()
            + w.get(TARGET, 0.0) * own.predict_proba(X_q)[:, 1]
        )

    seconds = {"shared": time.perf_counter() - start}
    default = None
    for method in methods:
        start = time.perf_counter()
        if method in DEFAULT_WEIGHTS and default is None:
            default = MixMinClassifier(lib, random_state=seed, n_jobs=1, **(default_params or {}))
            default.fit_weights(X_s, y_s, source_proba=P_s)
        if method == "default":
            out[method] = default.fit_final(X_s, y_s).predict_proba(X_q)[:, 1]
        elif method == "ensemble_default":
            out[method] = ensemble(default.weights_)
        elif method in ("default_without_floor", "default_mixed"):
            floor = 0.0 if method == "default_without_floor" else AUTO_TARGET_FLOOR
            refloored = copy.copy(default).set_params(target_floor=floor)  # the same weights_
            out[method] = refloored.fit_final(X_s, y_s).predict_proba(X_q)[:, 1]
        elif method == "target_only_rf":
            rf = RandomForestClassifier(n_estimators=500, random_state=seed, n_jobs=1)
            out[method] = rf.fit(X_s, y_s).predict_proba(X_q)[:, 1]
        elif method == "target_only_xgb":
            out[method] = own.predict_proba(X_q)[:, 1]
        elif method == "knn":
            knn = KNeighborsClassifier(
                n_neighbors=min(5, len(y_s)), metric="jaccard", algorithm="brute"
            )
            out[method] = knn.fit(X_s.toarray() > 0, y_s).predict_proba(X_q.toarray() > 0)[:, 1]
        elif method == "natural_plus_target":
            natural = pd.Series(1.0, index=[*lib.sources, TARGET])
            model = fit_on_mixture(
                lib.proxy_template(),
                lib,
                natural,
                X_s,
                y_s,
                merge=True,
                random_state=seed,
                n_jobs=1,
            )
            out[method] = model.predict_proba(X_q)[:, 1]
        elif method == "mixmin_trained":
            clf = MixMinClassifier(lib, include_target=False, **plain).fit(
                X_s, y_s, source_proba=P_s
            )
            out[method] = clf.predict_proba(X_q)[:, 1]
        elif method == "mixmin_plus_target":
            out[method] = plus.fit_final(X_s, y_s).predict_proba(X_q)[:, 1]
        elif method == "mixmin_ensemble_plus_target":
            out[method] = ensemble(plus.weights_)
        elif method == "ensemble_prior_auto":
            out[method] = ensemble(auto.weights_)
        elif method == "ensemble_select":
            prior = natural_beats_plain(lib, P_s, y_s, seed)
            out[method] = ensemble(auto.weights_ if prior else plus.weights_)
        elif method == "profile":
            folds = max(2, min(5, int(y_s.sum()), int((1 - y_s).sum())))
            lr = LogisticRegressionCV(
                Cs=np.logspace(-4, 1, 6),
                l1_ratios=(0.0,),
                use_legacy_attributes=False,
                max_iter=2000,
                cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
                scoring="neg_log_loss",
            )
            clip = (1e-6, 1 - 1e-6)
            lr.fit(logit(np.clip(P_s, *clip)), y_s)
            out[method] = lr.predict_proba(logit(np.clip(P_q, *clip)))[:, 1]
        seconds[method] = time.perf_counter() - start
    on_target = {}
    for method, clf in (
        ("default", default),
        ("ensemble_default", default),
        ("mixmin_plus_target", plus),
        ("mixmin_ensemble_plus_target", plus),
    ):
        if method in out:
            on_target[method] = float(clf.weights_.get(TARGET, 0.0))
    return out, seconds, on_target


def natural_beats_plain(lib: ProxyLibrary, P_s: np.ndarray, y_s: np.ndarray, seed: int) -> bool:
    """Whether natural pooling's mixture (each source's share of the rows, fitted to nothing)
    gives the support's observed labels a higher mean log-likelihood than plain MixMin's
    weights give held-out support rows (4-fold stratified)."""
    obs = observed_label_proba(P_s, y_s)
    counts = np.array([len(lib.rows[s]) for s in lib.sources], dtype=np.float64)
    natural = float(np.mean(np.log(obs @ (counts / counts.sum()))))
    held_out = []
    folds = StratifiedKFold(
        min(4, int(y_s.sum()), int((1 - y_s).sum())), shuffle=True, random_state=seed
    )
    for train, test in folds.split(obs, y_s):
        w = solve(obs[train], method="active_set").weights.to_numpy()
        held_out.append(np.log(np.maximum(obs[test] @ w, 1e-12)))
    return natural > float(np.mean(np.concatenate(held_out)))


#: A size is skipped for a task with fewer than ``size + MIN_QUERY`` compounds.
MIN_QUERY = 16


def skip_reason(y: np.ndarray, size: int, min_query: int = MIN_QUERY) -> str | None:
    """Why a task with labels ``y`` gives no support set of ``size`` (None: it does)."""
    if len(y) < size + min_query:
        return f"{len(y)} compounds"
    if min(y.sum(), (1 - y).sum()) < 3:
        return "fewer than 3 of a class"
    return None


def support_and_query(y: np.ndarray, size: int, draw: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``draw``'s support set of ``size`` (stratified, seeded by the draw) and the rest
    of the task, its query."""
    everything = np.arange(len(y))
    support = support_set(y, everything, size, draw)
    return support, np.setdiff1d(everything, support)


def score_task(
    task: str,
    *,
    panel: AssayPanel,
    lib: ProxyLibrary,
    sizes: list[int],
    draws: range,
    methods: list[str],
    done: set,
    min_query: int,
    cache: Path,
    n_jobs: int,
    default_params: dict | None = None,
) -> tuple[list[dict], list[dict]]:
    """Scores of every method, size and draw not in ``done`` for one task, and a row per size
    skipped."""
    rows_of, y = panel.positions(task)
    y = y.astype(np.int32)
    smiles = list(panel.compounds[rows_of])
    skipped, todo = [], []
    for size in sizes:
        reason = skip_reason(y, size, min_query)
        if reason:
            skipped.append({"task": task, "size": size, "reason": reason})
        else:
            todo += [(size, d) for d in draws if (task, size, d) not in done]
    if not todo:
        return [], skipped
    features, proba = task_predictions(lib, smiles, cache, n_jobs)
    rows = []
    for size, draw in todo:
        support, query = support_and_query(y, size, draw)
        y_q = y[query]
        with threadpool_limits(1):  # one thread per fit, as the learners' n_jobs=1
            scores, seconds, on_target = method_scores(
                methods,
                lib,
                features[support],
                y[support],
                proba[support],
                features[query],
                proba[query],
                draw,
                default_params,
            )
        rate = float(y_q.mean())
        for method, s in scores.items():
            ap = float(average_precision_score(y_q, s))
            rows.append(
                {
                    "task": task,
                    "size": size,
                    "draw": draw,
                    "method": method,
                    "ap": ap,
                    "delta_auprc": ap - rate,
                    "n_query": len(query),
                    "query_positive_rate": rate,
                    "seconds": seconds[method],
                    "seconds_shared": seconds["shared"],
                    "weight_on_target": on_target.get(method, np.nan),
                }
            )
    return rows, skipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--split-file",
        type=Path,
        required=True,
        help="a long CSV of FS-Mol's layout (task, smiles, label)",
    )
    parser.add_argument(
        "--library", type=Path, required=True, help="a library built from FS-Mol's train split"
    )
    parser.add_argument("--out", type=Path, required=True, help="the results folder")
    parser.add_argument("--tasks", type=int, help="the first N tasks of a shuffle seeded 0")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(PUBLISHED_SIZES))
    parser.add_argument("--draws", type=int, default=10, help="draws per task and size")
    parser.add_argument(
        "--first-draw",
        type=int,
        default=0,
        help="seed of the first draw (processes sharing --out split draws)",
    )
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument(
        "--min-query",
        type=int,
        default=MIN_QUERY,
        help="a size is skipped for tasks with fewer than size + this",
    )
    parser.add_argument("--n-jobs", type=int, default=2, help="threads for the predictions")
    parser.add_argument(
        "--n-bootstrap",
        type=int,
        default=DEFAULT_N_BOOTSTRAP,
        help="the default's bootstrap resamples (compare others in another --out)",
    )
    parser.add_argument(
        "--target-floor",
        type=target_floor,
        default=DEFAULT_TARGET_FLOOR,
        help="the default's target_floor (compare others in another --out)",
    )
    parser.add_argument(
        "--summarise-only",
        action="store_true",
        help="rewrite the summary from DIR/parts without scoring",
    )
    args = parser.parse_args()
    out = args.out
    if not args.summarise_only:
        panel = read_split(args.split_file)
        lib = open_library(args.library)
        default_params = {"n_bootstrap": args.n_bootstrap, "target_floor": args.target_floor}
        check_settings(
            out,
            {
                "library_manifest_sha256": sha256_file(lib.path / MANIFEST),
                "split_file_sha256": sha256_file(args.split_file),
                "min_query": args.min_query,
                **default_params,
            },
        )
        tasks = list(panel.assays)
        if args.tasks:
            tasks = list(np.random.default_rng(0).permutation(tasks)[: args.tasks])
        draws = range(args.first_draw, args.first_draw + args.draws)
        part = out / "parts" / f"draws{draws.start}-{draws.stop - 1}.csv"
        part_skipped = part.with_name(part.stem + "_skipped.csv")
        rows = pd.read_csv(part, dtype={"task": str}) if part.is_file() else pd.DataFrame()
        done = set()
        if len(rows):  # a triple is done when it has every method asked for; others' rows stay
            mine = rows["method"].isin(args.methods)
            complete = rows[mine].groupby(["task", "size", "draw"])["method"].nunique()
            done = set(complete[complete == len(args.methods)].index)
            key = rows.set_index(["task", "size", "draw"]).index
            rows = rows[~mine.to_numpy() | key.isin(done)]
        skipped = []
        part.parent.mkdir(parents=True, exist_ok=True)
        for i, task in enumerate(tasks):
            start = time.perf_counter()
            new, skip = score_task(
                task,
                panel=panel,
                lib=lib,
                sizes=args.sizes,
                draws=draws,
                methods=args.methods,
                done=done,
                min_query=args.min_query,
                cache=out / "cache",
                n_jobs=args.n_jobs,
                default_params=default_params,
            )
            skipped += skip
            if new:
                rows = pd.concat([rows, pd.DataFrame(new)], ignore_index=True)
                with atomic_path(part) as tmp:
                    rows.to_csv(tmp, index=False)
            print(
                f"[{i + 1}/{len(tasks)}] {task}: {len(new)} scores in "
                f"{time.perf_counter() - start:.0f} s",
                flush=True,
            )
        with atomic_path(part_skipped) as tmp:
            pd.DataFrame(skipped, columns=["task", "size", "reason"]).to_csv(tmp, index=False)
    scores, skipped = read_parts(out)
    if scores.empty:
        raise SystemExit(f"{out}: no scores yet")
    with atomic_path(out / "fsmol_scores.csv") as tmp:
        scores.sort_values(["task", "size", "draw", "method"]).to_csv(tmp, index=False)
    summarise(scores, skipped, out, args.split_file.name if args.split_file else str(out))
    if not args.summarise_only:  # the record of the last scoring run stays
        (out / "fsmol_run.json").write_text(json.dumps(vars(args), default=str, indent=1))


if __name__ == "__main__":
    main()
