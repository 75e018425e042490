"""The MixMin protocol over a panel: proxies, weights for every target in one batched solve,
final models on the weighted mixture, and average precision against the baselines."""

from __future__ import annotations

import contextlib
import json
import logging
import platform
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import xgboost as xgb
from sklearn.base import clone
from sklearn.metrics import average_precision_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from ._utils import (
    StageClock,
    output_lock,
    progress,
    resolve_n_jobs,
    safe_name,
    sha256_bytes,
    write_json_atomic,
)
from ._version import __version__
from .baselines import SourceRows, fit_mixture, mixture_rows, random_search, regmix
from .device import resolve_device
from .errors import DataError, ModelFileError
from .executor import EXECUTORS, DaskExecutor, LocalExecutor, make_executor
from .featurize import MorganFingerprint, fingerprint_partitions, stack
from .mixture import DEFAULT_PRUNE, observed_label_proba
from .panel import ISSUE_COLUMNS, AssayPanel
from .proxies import (
    PAPER_GRID,
    ProxySet,
    check_xgb_params,
    fit_classifier,
    load_model,
    save_model,
    train_proxies,
)
from .solver import METHODS as SOLVER_METHODS
from .solver import solve, solve_panel
from .splits import PROXY_TRAIN, TEST, VALID, make_splits, rows

logger = logging.getLogger(__name__)

METHODS = ("target_only", "natural", "balanced", "random_search", "regmix", "mixmin_ensemble",
           "mixmin_trained", "mixmin_target_trained")
BASELINES = ("target_only", "natural", "balanced", "random_search", "regmix")
#: Methods that are off unless asked for (RunConfig.random_search, .regmix, .mixmin_plus_target).
OPTIONAL_METHODS = ("random_search", "regmix", "mixmin_target_trained")
REPORT_COLUMNS = ["target", "n_train", "n_train_positive", "n_test", "n_test_positive",
                  "n_sources", "n_sources_used", "top_source", "top_weight", "weight_on_target",
                  *(f"ap_{m}" for m in METHODS), *(f"seconds_{m}" for m in METHODS)]


def methods_in(report: pd.DataFrame) -> list[str]:
    """The methods that ran: optional baselines that were off have no AP."""
    return [m for m in METHODS if f"ap_{m}" in report and report[f"ap_{m}"].notna().any()]


#: Rows per proxy-prediction task on a Dask executor.
PREDICT_BLOCK = 20_000

_NOT_IN_KEY = ("device", "n_jobs", "executor", "scheduler", "dask_fit_rows", "verbose")


@dataclass
class RunConfig:
    """Every setting of a run; all random steps derive from ``seed``."""

    seed: int = 0
    test_size: float = 0.2
    valid_size: float = 0.2
    split: str = "random"             # or "scaffold" (Bemis-Murcko groups)
    leakage: str = "strict"           # or "paper" (per-assay splits as in the authors' scripts)
    radius: int = 2
    n_bits: int = 2048
    counts: bool = False
    proxy_params: dict[str, Any] = field(default_factory=dict)
    final_params: dict[str, Any] = field(default_factory=dict)
    grid_search: bool = False         # the paper's 3x3 grid by 5-fold CV for every proxy
    min_labels: int = 50              # assays with fewer labelled compounds are skipped
    min_test_positives: int = 5       # a target needs this many positives in its test split
    weight_rows: str = "proxy_train"  # target rows MixMin is fitted on: or "validation"
    random_search: int = 0            # random-search baseline: trials (final models); 0 = off
    regmix: int = 0                   # RegMix baseline: small-model runs; 0 = off
    mixmin_plus_target: bool = False  # MixMin with the target's own train rows as one more source
    oof_folds: int = 5                # folds for the target proxy's out-of-fold predictions
    prune: float = DEFAULT_PRUNE
    solver_method: str = "adaptive"
    tol: float = 1e-6
    device: str = "auto"
    n_jobs: int = 1                   # threads (local) or worker processes (a LocalCluster)
    executor: str = "local"           # or "dask": proxies and per-target models as Dask tasks
    scheduler: str | None = None      # address of an existing Dask cluster (executor="dask")
    dask_fit_rows: int | None = 2_000_000  # executor="dask": a target whose natural mixture has
                                      # this many rows trains its mixture models with
                                      # xgboost.dask across the cluster; None = never
    verbose: bool = True

    def __post_init__(self) -> None:
        # fail before any work, not after training proxies
        _weight_code(self.weight_rows)
        if self.executor not in EXECUTORS:
            raise ValueError(f"executor must be one of {EXECUTORS}, got {self.executor!r}")
        if self.solver_method not in SOLVER_METHODS:
            raise ValueError(f"solver_method must be one of {SOLVER_METHODS}, "
                             f"got {self.solver_method!r}")
        for role, params in (("proxy_params", self.proxy_params),
                             ("final_params", self.final_params)):
            try:
                check_xgb_params(params)
            except DataError as exc:
                raise DataError(f"{role}: {exc}") from exc
        for name in ("seed", "random_search", "regmix"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        resolve_n_jobs(self.n_jobs)  # 0 is refused here, not after the proxies

    def key(self) -> str:
        """Hash of everything that changes results (not where or how fast it runs)."""
        d = {k: v for k, v in asdict(self).items() if k not in _NOT_IN_KEY}
        return sha256_bytes(json.dumps(d, sort_keys=True, default=str).encode())[:16]


@dataclass
class RunResult:
    """Per-target report, weights (targets x sources), skipped assays, solver certificates and
    the MixMin-trained model of every target (what a bundle deploys). ``weights_plus_target``
    (with ``mixmin_plus_target``) holds the MixMin + target weights: a target's own weight is in
    its own column."""

    report: pd.DataFrame
    weights: pd.DataFrame
    skipped: pd.DataFrame
    solver: pd.DataFrame
    metadata: dict
    models: dict[str, xgb.XGBClassifier] = field(default_factory=dict)
    weights_plus_target: pd.DataFrame | None = None
    issues: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ISSUE_COLUMNS))

    def save_bundle(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the MixMin-trained models as a scoring bundle (see :mod:`bioassay_mix.bundle`)."""
        from .bundle import Bundle

        return Bundle.from_run(self).save(path, overwrite=overwrite)


@dataclass
class Prepared:
    """Everything up to the MixMin solve: features, splits, proxies and their predictions."""

    panel: AssayPanel
    X: Any                           # fingerprints (CSR), one row per panel compound; on a
                                     # Dask executor a future: the matrix stays on the workers
    codes: pd.DataFrame              # split codes (see splits.py)
    sources: SourceRows              # every proxy's training rows and labels
    proxies: ProxySet
    Q: pd.DataFrame                  # every proxy's class-1 probability for every compound
    targets: list[str]
    skipped: list[dict]
    device: str
    timings: dict[str, float]
    parts: list | None = None        # Dask executor: the fingerprint partitions (futures)
    data_key: str = ""               # the panel's content (compounds, assays, every label)


def prepare(panel: AssayPanel, *, targets: list[str] | None = None,
            config: RunConfig | None = None, out_dir: str | Path | None = None,
            executor: LocalExecutor | DaskExecutor | None = None) -> Prepared:
    """Featurize, split, train (or load) the proxies and predict with them."""
    cfg = config or RunConfig()
    if executor is None:
        with _executor(cfg) as own:
            return prepare(panel, targets=targets, config=cfg, out_dir=out_dir, executor=own)
    out = Path(out_dir) if out_dir is not None else None
    device = resolve_device(cfg.device)
    clock = StageClock()
    if targets:
        unknown = [t for t in targets if t not in panel.labels.columns]
        if unknown:
            raise DataError(f"panel {panel.name!r} has no assay {unknown[0]!r}; "
                            f"assays include {panel.assays[:8]}")
    skipped: list[dict] = []
    usable = _usable_assays(panel, cfg, skipped)
    panel = panel.select(usable)
    featurizer = run_featurizer(cfg).set_params(
        n_jobs=cfg.n_jobs, cache_dir=None if out is None else out / "cache").fit()
    parts = None
    if executor.kind == "local":
        X = featurizer.transform_valid(panel.smiles)
    else:  # computed and cached per partition on the workers, joined and kept there
        parts = fingerprint_partitions(featurizer, panel.smiles, executor, verbose=cfg.verbose)
        X = executor.combine(stack, parts)
    clock.lap("featurize")
    codes = make_splits(panel, test_size=cfg.test_size, valid_size=cfg.valid_size,
                        strategy=cfg.split, leakage=cfg.leakage, random_state=cfg.seed)
    labels = panel.labels
    train_rows = {}
    for a in usable:
        r = rows(codes, a, PROXY_TRAIN)
        if len(np.unique(labels[a].to_numpy()[r])) < 2:
            skipped.append({"assay": a, "role": "source", "reason": "proxy-train has one class"})
        else:
            train_rows[a] = r
    clock.lap("split")
    proxies = train_proxies(
        X, labels, train_rows, params=cfg.proxy_params,
        grid=PAPER_GRID if cfg.grid_search else None, device=device, n_jobs=cfg.n_jobs,
        random_state=cfg.seed, cache_dir=None if out is None else out / "proxies",
        cache_key={"compounds": sha256_bytes("\n".join(panel.smiles).encode()),
                   "features": featurizer.spec()},
        verbose=cfg.verbose, executor=executor)
    clock.lap("proxies")
    chosen = _eligible_targets(targets or proxies.assays, proxies.assays, codes, labels, cfg,
                               skipped)
    if not chosen:
        raise DataError(f"no eligible target in panel {panel.name!r}; see the skipped reasons: "
                        f"{skipped[:3]}")
    if executor.kind == "local":
        Qm = proxies.predict_matrix(X)
    else:  # predicted on the workers, a block of rows per task; only predictions come back
        n = labels.shape[0]
        blocks = [(i, min(i + PREDICT_BLOCK, n)) for i in range(0, n, PREDICT_BLOCK)]
        Qm = np.vstack(executor.map(_predict_rows, blocks, shared={"X": X, "proxies": proxies},
                                    desc="proxy predictions", verbose=cfg.verbose))
    Q = pd.DataFrame(Qm, index=labels.index, columns=proxies.assays)
    clock.lap("proxy_predictions")
    sources = SourceRows(train_rows, {a: labels[a].to_numpy()[r].astype(np.int32)
                                      for a, r in train_rows.items()})
    return Prepared(panel, X, codes, sources, proxies, Q, chosen, skipped, device,
                    clock.timings, parts, panel.checksum())


def run_featurizer(cfg: RunConfig) -> MorganFingerprint:
    """The featurizer of a run's settings (unfitted)."""
    return MorganFingerprint(radius=cfg.radius, n_bits=cfg.n_bits, counts=cfg.counts)


def _predict_rows(block: tuple[int, int], *, X: sp.csr_matrix, proxies: ProxySet) -> np.ndarray:
    return proxies.predict_matrix(X[block[0]:block[1]])


def _weight_code(weight_rows: str) -> int:
    codes = {"proxy_train": PROXY_TRAIN, "validation": VALID}
    if weight_rows not in codes:
        raise ValueError(f"weight_rows must be one of {sorted(codes)}, got {weight_rows!r}")
    return codes[weight_rows]


def mixmin_problems(prep: Prepared, weight_rows: str = "proxy_train") -> list[pd.DataFrame]:
    """For each target, P[j, p] = source proxy p's probability of the target's observed label
    on the target's ``weight_rows`` compounds (columns: the sources, every assay but the target)."""
    code = _weight_code(weight_rows)
    labels = prep.panel.labels
    problems = []
    for t in prep.targets:
        r = rows(prep.codes, t, code)
        srcs = [s for s in prep.proxies.assays if s != t]
        P = observed_label_proba(prep.Q.iloc[r][srcs].to_numpy(), labels[t].to_numpy()[r])
        problems.append(pd.DataFrame(P, columns=srcs))
    return problems


def mixmin_labels(prep: Prepared, weight_rows: str = "proxy_train") -> pd.DataFrame:
    """Each target's labels on its ``weight_rows`` compounds, NaN elsewhere, indexed as
    ``prep.Q``: with ``prep.Q`` the panel form of :func:`mixmin_problems`
    (see :func:`bioassay_mix.solver.solve_panel`)."""
    code = _weight_code(weight_rows)
    L = np.full((len(prep.Q), len(prep.targets)), np.nan)
    for j, t in enumerate(prep.targets):
        r = rows(prep.codes, t, code)
        L[r, j] = prep.panel.labels[t].to_numpy()[r]
    return pd.DataFrame(L, index=prep.Q.index, columns=prep.targets)


def mixmin_target_problems(prep: Prepared, cfg: RunConfig,
                           executor: LocalExecutor | DaskExecutor | None = None,
                           ) -> tuple[list[pd.DataFrame], list]:
    """:func:`mixmin_problems` plus one more source per target: the target itself, as its own
    proxy's out-of-fold probability of the observed label on the same rows (in-sample
    predictions would be overconfident and take all the mass). Returns the problems and each
    target's seconds spent on the out-of-fold fits (``nan`` column: too few positives)."""
    code = _weight_code(cfg.weight_rows)
    labels = prep.panel.labels
    items = []
    for t in prep.targets:
        r = rows(prep.codes, t, code)
        y = labels[t].to_numpy()[r].astype(np.int32)
        if code == VALID:  # the target's proxy never saw its validation rows
            items.append((t, r, y, prep.Q[t].to_numpy()[r]))
        else:
            items.append((t, r, y, clone(prep.proxies.models[t]).set_params(n_jobs=1)))
    executor = executor or LocalExecutor(cfg.n_jobs)
    own = executor.map(_out_of_fold, items, shared={"X": prep.X, "folds": cfg.oof_folds,
                                                    "seed": cfg.seed},
                       desc="out-of-fold", verbose=cfg.verbose)
    problems, seconds = [], []
    for (t, _, y, _), P, (pred, secs) in zip(items, mixmin_problems(prep, cfg.weight_rows), own,
                                             strict=True):
        if pred is None:
            prep.skipped.append({"assay": t, "role": "target (MixMin + target)", "reason":
                                 "fewer than 2 positives for out-of-fold predictions"})
            problems.append(P)
        else:
            problems.append(P.assign(**{t: observed_label_proba(pred[:, None], y)[:, 0]}))
        seconds.append(secs)
    return problems, seconds


def _out_of_fold(item: tuple, *, X, folds: int, seed: int) -> tuple[np.ndarray | None, float]:
    """The target proxy's out-of-fold class-1 probabilities on its rows (``item[3]`` is the
    unfitted proxy, or the predictions themselves when no refit is needed) and the seconds."""
    _, r, y, model = item
    if isinstance(model, np.ndarray):
        return model, 0.0
    start = time.perf_counter()
    folds = min(folds, int(np.bincount(y, minlength=2).min()))
    if folds < 2:
        return None, 0.0
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    pred = cross_val_predict(model, X[r], y, cv=cv, method="predict_proba")[:, 1]
    return pred, round(time.perf_counter() - start, 3)


def _solve_plus_target(prep: Prepared, cfg: RunConfig,
                       executor: LocalExecutor | DaskExecutor,
                       ) -> dict[str, tuple[pd.Series, float]]:
    problems, seconds = mixmin_target_problems(prep, cfg, executor)
    results = _solve(problems, prep, cfg)
    return {r.target: (r.weights, s) for r, s in zip(results, seconds, strict=True)}


def run(panel: AssayPanel, *, targets: list[str] | None = None, config: RunConfig | None = None,
        out_dir: str | Path | None = None) -> RunResult:
    """Run the MixMin protocol on ``panel`` for ``targets`` (default: every eligible assay).

    With ``out_dir``, proxies, fingerprints and per-target results are cached there, so an
    interrupted run resumes without recomputing finished work.
    """
    cfg = config or RunConfig()
    out = Path(out_dir) if out_dir is not None else None
    lock = output_lock(out, what="run output") if out is not None else contextlib.nullcontext()
    with lock, _executor(cfg) as executor:
        prep = prepare(panel, targets=targets, config=cfg, out_dir=out, executor=executor)
        clock = StageClock()
        results = _solve_targets(prep, cfg)
        weights = _weights_frame({r.target: r.weights for r in results}, prep)
        solver_info = pd.DataFrame([{"target": r.target, "objective": r.objective,
                                     "gap": r.gap, "n_iter": r.n_iter,
                                     "converged": r.converged} for r in results])
        clock.lap("mixmin")
        plus = _solve_plus_target(prep, cfg, executor) if cfg.mixmin_plus_target else {}
        weights_plus = _weights_frame({t: w for t, (w, _) in plus.items()}, prep) if plus \
            else None
        clock.lap("mixmin_plus_target")
        items = [(r.target, r.weights, *plus.get(r.target, (None, 0.0))) for r in results]
        items = _fit_on_cluster(items, prep, cfg, out, executor)
        clock.lap("cluster_models")
        evaluated = _evaluate_targets(items, prep, cfg, out, executor)
        clock.lap("final_models")
    report = _add_gains(pd.DataFrame([row for row, _ in evaluated], columns=REPORT_COLUMNS))
    metadata = _metadata(prep, cfg, {**prep.timings, **clock.timings})
    return RunResult(report=report, weights=weights, skipped=pd.DataFrame(
        prep.skipped, columns=["assay", "role", "reason"]), solver=solver_info,
        metadata=metadata, models={row["target"]: model for row, model in evaluated},
        weights_plus_target=weights_plus, issues=panel.issues)


def _solve(problems: list[pd.DataFrame], prep: Prepared, cfg: RunConfig) -> list:
    """Every target's problem in one call (``active_set`` is a CPU method)."""
    device = "cpu" if cfg.solver_method == "active_set" else prep.device
    return solve(problems, method=cfg.solver_method, tol=cfg.tol, device=device,
                 names=prep.targets)


def _solve_targets(prep: Prepared, cfg: RunConfig) -> list:
    """Every target's MixMin weights; ``active_set`` solves from the shared proxy table without
    building the per-target matrices."""
    if cfg.solver_method == "active_set":
        return solve_panel(prep.Q, mixmin_labels(prep, cfg.weight_rows), tol=cfg.tol)
    return _solve(mixmin_problems(prep, cfg.weight_rows), prep, cfg)


def _weights_frame(weights: dict[str, pd.Series], prep: Prepared) -> pd.DataFrame:
    return pd.DataFrame(weights).T.reindex(columns=prep.proxies.assays)


def _executor(cfg: RunConfig) -> LocalExecutor | DaskExecutor:
    return make_executor(cfg.executor, n_jobs=cfg.n_jobs, scheduler=cfg.scheduler)


def _fit_on_cluster(items: list[tuple], prep: Prepared, cfg: RunConfig, out: Path | None,
                    executor: LocalExecutor | DaskExecutor) -> list[tuple]:
    """Append to each item the mixture models trained ahead with ``xgboost.dask``: those of
    targets whose natural mixture (every row of every source) has ``cfg.dask_fit_rows`` rows
    or more and no finished result, one model at a time over the whole cluster."""
    if executor.kind != "dask" or cfg.dask_fit_rows is None or \
            len(mixture_rows(prep.sources, None)[0]) < cfg.dask_fit_rows:  # none can be big
        return [(*item, {}) for item in items]
    from .dask_fit import fit_mixture_dask

    fitted = []
    for target, w, w_plus, oof_seconds in items:
        prefit: dict[str, tuple[xgb.XGBClassifier, float]] = {}
        mixtures = _mixtures(target, w, w_plus, prep)
        big = len(mixture_rows(mixtures["natural"][0], None)[0]) >= cfg.dask_fit_rows
        if big and _finished(target, w, w_plus, cfg, out, prep.data_key) is None:
            for method, (data, weights) in mixtures.items():
                start = time.perf_counter()
                model = fit_mixture_dask(executor.client, prep.parts, data, weights,
                                         params=cfg.final_params, prune=cfg.prune,
                                         device=prep.device, random_state=cfg.seed)
                prefit[method] = (model, time.perf_counter() - start)
        fitted.append((target, w, w_plus, oof_seconds, prefit))
    return fitted


def _evaluate_targets(items: list[tuple], prep: Prepared, cfg: RunConfig, out: Path | None,
                      executor: LocalExecutor | DaskExecutor) -> list[tuple[dict, Any]]:
    if executor.kind == "local":
        # One target at a time, each XGBoost fit using the n_jobs threads.
        return [_evaluate_target(*item, prep, cfg, out)
                for item in progress(items, desc="targets", verbose=cfg.verbose)]
    # One task per target, one thread each; the proxies stay here (tasks need only Q) and the
    # fingerprints are already on the workers.
    slim = replace(prep, X=None, parts=None,
                   proxies=ProxySet(models={}, info=prep.proxies.info))
    task_cfg = replace(cfg, n_jobs=1)
    return executor.map(_evaluate_item, items, shared={"prep": slim, "X": prep.X,
                                                       "cfg": task_cfg, "out": out},
                        desc="targets", verbose=cfg.verbose)


def _evaluate_item(item: tuple, *, prep: Prepared, X: sp.csr_matrix, cfg: RunConfig,
                   out: Path | None) -> tuple[dict, Any]:
    return _evaluate_target(*item, replace(prep, X=X), cfg, out)


def _usable_assays(panel: AssayPanel, cfg: RunConfig, skipped: list[dict]) -> list[str]:
    summary = panel.summary()
    usable = []
    for a, row in summary.iterrows():
        if row.n_positive == 0:
            reason = "no positive labels"
        elif row.n_negative == 0:
            reason = "no negative labels"
        elif row.n_labelled < cfg.min_labels:
            reason = f"only {row.n_labelled} labelled compounds (< min_labels={cfg.min_labels})"
        else:
            usable.append(a)
            continue
        skipped.append({"assay": a, "role": "source and target", "reason": reason})
    if len(usable) < 2:
        raise DataError(f"panel {panel.name!r} has {len(usable)} usable assay(s); MixMin needs a "
                        "target and at least one source")
    return usable


def _eligible_targets(wanted, sources, codes, labels, cfg, skipped) -> list[str]:
    chosen = []
    for t in wanted:
        if t not in sources:
            if not any(s["assay"] == t for s in skipped):
                skipped.append({"assay": t, "role": "target", "reason": "no proxy"})
            continue
        y_test = labels[t].to_numpy()[rows(codes, t, TEST)]
        n_pos = int((y_test == 1).sum())
        if n_pos < cfg.min_test_positives or n_pos == len(y_test):
            skipped.append({"assay": t, "role": "target", "reason":
                            f"{n_pos} test positives of {len(y_test)} (need >= "
                            f"{cfg.min_test_positives} and a negative)"})
            continue
        chosen.append(t)
    return chosen


def _evaluate_target(target: str, w: pd.Series, w_plus: pd.Series | None, oof_seconds: float,
                     prefit: dict[str, tuple[xgb.XGBClassifier, float]], prep: Prepared,
                     cfg: RunConfig, out: Path | None) -> tuple[dict, xgb.XGBClassifier]:
    X, Q, codes, labels = prep.X, prep.Q, prep.codes, prep.panel.labels
    done = _finished(target, w, w_plus, cfg, out, prep.data_key)
    if done is not None:
        return done
    test = rows(codes, target, TEST)
    y_test = labels[target].to_numpy()[test]
    train = rows(codes, target, PROXY_TRAIN, VALID)
    y_train = labels[target].to_numpy()[train].astype(np.int32)
    valid = rows(codes, target, VALID)
    y_valid = labels[target].to_numpy()[valid].astype(np.int32)
    mixtures = _mixtures(target, w, w_plus, prep)
    data = mixtures["natural"][0]  # every other source's rows
    sources = list(data.rows)
    fit = {"params": cfg.final_params, "device": prep.device, "n_jobs": cfg.n_jobs}
    mix = {**fit, "prune": cfg.prune}
    timer = _MethodTimer()
    with timer("target_only"):
        models = {"target_only": fit_classifier(X[train], y_train, random_state=cfg.seed, **fit)}
    for method, (mixture, weights) in mixtures.items():
        if method in prefit:  # trained across the cluster
            models[method], timer.seconds[method] = prefit[method]
            continue
        with timer(method):
            models[method] = fit_mixture(X, mixture, weights, random_state=cfg.seed, **mix)
    if cfg.random_search:
        with timer("random_search"):
            models["random_search"] = random_search(
                X, data, valid, y_valid, n_trials=cfg.random_search, random_state=cfg.seed,
                **mix).model
    if cfg.regmix:
        with timer("regmix"):
            models["regmix"] = regmix(X, data, valid, y_valid, n_runs=cfg.regmix,
                                      random_state=cfg.seed, **mix).model
    if w_plus is not None:
        timer.seconds["mixmin_target_trained"] += oof_seconds
    scores = {m: model.predict_proba(X[test])[:, 1] for m, model in models.items()}
    scores["mixmin_ensemble"] = Q.iloc[test][list(w.index)].to_numpy() @ w.to_numpy()
    row = {"target": target, "n_train": len(train), "n_train_positive": int(y_train.sum()),
           "n_test": len(test), "n_test_positive": int(y_test.sum()),
           "n_sources": len(sources), "n_sources_used": int((w >= cfg.prune * w.max()).sum()),
           "top_source": str(w.idxmax()), "top_weight": float(w.max()),
           "weight_on_target": np.nan if w_plus is None else float(w_plus.get(target, 0.0))}
    row.update({f"ap_{m}": float(average_precision_score(y_test, scores[m])) if m in scores
                else np.nan for m in METHODS})
    row.update({f"seconds_{m}": timer.seconds.get(m, 0.0 if m in scores else np.nan)
                for m in METHODS})
    if out is not None:
        save_model(models["mixmin_trained"], _model_file(out, target),
                   {"target": target, "kind": "mixmin_trained", "weights": w.to_dict(),
                    "config_key": cfg.key()})
        write_json_atomic(_result_file(out, target),
                          {"key": _target_key(target, w, w_plus, cfg, prep.data_key),
                           "row": row})
    return row, models["mixmin_trained"]


def _mixtures(target: str, w: pd.Series, w_plus: pd.Series | None,
              prep: Prepared) -> dict[str, tuple[SourceRows, pd.Series | None]]:
    """The rows and source weights of each mixture model of ``target``."""
    data = prep.sources.without(target)
    out = {"natural": (data, None), "balanced": (data, pd.Series(1.0, index=list(data.rows))),
           "mixmin_trained": (data, w)}
    if w_plus is not None:  # the target's own training rows join as one more source
        train = rows(prep.codes, target, PROXY_TRAIN, VALID)
        y = prep.panel.labels[target].to_numpy()[train].astype(np.int32)
        out["mixmin_target_trained"] = (SourceRows({**data.rows, target: train},
                                                   {**data.labels, target: y}), w_plus)
    return out


def _model_file(out: Path, target: str) -> Path:
    return out / "models" / f"{safe_name(target)}.ubj"


def _result_file(out: Path, target: str) -> Path:
    return out / "targets" / f"{safe_name(target)}.json"


def _target_key(target: str, w: pd.Series, w_plus: pd.Series | None, cfg: RunConfig,
                data_key: str) -> dict:
    """What a saved target result depends on: settings, weights and the panel's content (its
    test labels too), never its name."""
    return {"config": cfg.key(), "target": target, "weights": _weights_hash(w),
            "weights_plus": None if w_plus is None else _weights_hash(w_plus),
            "data": data_key}


def _finished(target: str, w: pd.Series, w_plus: pd.Series | None, cfg: RunConfig,
              out: Path | None, data_key: str) -> tuple[dict, xgb.XGBClassifier] | None:
    """A previous run's row and model for this target, these weights and this data, if saved
    intact; an unreadable result file counts as missing."""
    file = None if out is None else _result_file(out, target)
    if file is None or not file.exists():
        return None
    try:
        done = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        logger.warning("result cache %s is unreadable (%s); computing %s again", file, exc,
                       target)
        return None
    if not isinstance(done, dict) or done.get("key") != _target_key(target, w, w_plus, cfg,
                                                                     data_key):
        return None
    try:
        return done["row"], load_model(_model_file(out, target))[0]
    except ModelFileError as exc:
        logger.warning("retraining %s: %s", target, exc)
        return None


def _weights_hash(w: pd.Series) -> str:
    return sha256_bytes(np.round(w.to_numpy(), 12).tobytes())


class _MethodTimer:
    """Wall seconds of each method's own training, for the compute table."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, method: str):
        start = time.perf_counter()
        yield
        self.seconds[method] = round(time.perf_counter() - start, 3)


def _add_gains(report: pd.DataFrame) -> pd.DataFrame:
    base = report[[f"ap_{m}" for m in BASELINES]]
    report["best_baseline"] = base.idxmax(axis=1).str.removeprefix("ap_")
    report["gain_vs_best_baseline"] = report["ap_mixmin_trained"] - base.max(axis=1)
    report["gain_vs_natural"] = report["ap_mixmin_trained"] - report["ap_natural"]
    return report


def _metadata(prep: Prepared, cfg: RunConfig, timings: dict) -> dict:
    import rdkit
    import sklearn
    import xgboost

    return {
        "bioassay_mix": __version__, "xgboost": xgboost.__version__, "rdkit": rdkit.__version__,
        "scikit_learn": sklearn.__version__, "numpy": np.__version__, "pandas": pd.__version__,
        "python": platform.python_version(), "platform": platform.platform(),
        "panel": prep.panel.name, "panel_sources_sha256": prep.panel.sources,
        "panel_labels_sha256": prep.panel.checksum(),
        "n_compounds": int(prep.panel.labels.shape[0]),
        "n_assays": int(prep.panel.labels.shape[1]), "n_proxies": len(prep.proxies.assays),
        "targets": prep.targets, "device": prep.device,
        "featurizer": run_featurizer(cfg).spec(),
        "config": asdict(cfg), "config_key": cfg.key(), "timings_s": timings,
        "wall_time_s": round(sum(timings.values()), 3),
    }
