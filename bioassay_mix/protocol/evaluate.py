"""The protocol's per-target stage: each target's MixMin classifiers (:mod:`.mixmin`), the final
models of every method (target-only, the natural and balanced mixtures, MixMin-trained and MixMin +
target through the classifiers, the optional searches) and their test AP."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.metrics import average_precision_score

from .._utils import progress
from ..executor import DaskExecutor, LocalExecutor
from ..library import ProxyLibrary
from ..proxies import fit_classifier
from ..splits import PROXY_TRAIN, TEST, VALID, rows
from . import resume
from .baselines import SourceRows, fit_mixture, mixture_rows, random_search, regmix
from .config import WEIGHT_ROWS, RunConfig
from .mixmin import panel_library, plan_target
from .records import METHODS, Prepared, TargetOutcome

#: Models trained ahead across a Dask cluster: per target, per method, (model, seconds).
Prefit = dict[str, dict[str, tuple[Any, float]]]


def fit_on_cluster(
    prep: Prepared, cfg: RunConfig, out: Path | None, executor: LocalExecutor | DaskExecutor
) -> Prefit:
    """Train ahead with ``xgboost.dask`` the mixture models of targets whose natural mixture
    (every row of every source) has ``cfg.compute.dask_fit_rows`` rows or more and no finished
    result, one model at a time over the whole cluster. Their weights come from the targets'
    MixMin classifiers, fitted in Dask tasks; each target's own task fits them again (same
    seed, same weights) before using these models."""
    limit = cfg.compute.dask_fit_rows
    if (
        executor.kind != "dask" or limit is None or len(mixture_rows(prep.sources, None)[0]) < limit
    ):  # none can be big
        return {}
    big = [t for t in prep.targets if len(mixture_rows(prep.sources.without(t), None)[0]) >= limit]
    if not big:
        return {}
    from .dask_fit import fit_mixture_dask

    slim, task_cfg = _task_inputs(prep, cfg)
    weights = executor.map(
        _weights_task,
        big,
        shared={"prep": slim, "X": prep.X, "cfg": task_cfg},
        desc="weights of large targets",
        verbose=cfg.compute.verbose,
    )
    prefit: Prefit = {}
    for target, (w, w_plus) in zip(big, weights, strict=True):
        if resume.is_finished(target, w, w_plus, cfg, out, prep.data_key):
            continue
        prefit[target] = {}
        for method, (data, mix) in _mixtures(target, prep, w, w_plus).items():
            start = time.perf_counter()
            model = fit_mixture_dask(
                executor.client,
                prep.parts,
                data,
                mix,
                params=cfg.final_params,
                prune=cfg.prune,
                device=prep.device,
                random_state=cfg.seed,
            )
            prefit[target][method] = (model, time.perf_counter() - start)
    return prefit


def evaluate_targets(
    prep: Prepared,
    cfg: RunConfig,
    out: Path | None,
    executor: LocalExecutor | DaskExecutor,
    prefit: Prefit | None = None,
) -> list[TargetOutcome]:
    """Every target's outcome, in ``prep.targets`` order: locally one target at a time, each
    fit on all the threads; on Dask one task per target, one thread each."""
    prefit = prefit or {}
    if executor.kind == "local":
        library = panel_library(prep)
        return [
            evaluate_target(t, prep, cfg, out, prefit.get(t), library)
            for t in progress(prep.targets, desc="targets", verbose=cfg.compute.verbose)
        ]
    slim, task_cfg = _task_inputs(prep, cfg)
    return executor.map(
        _evaluate_task,
        [(t, prefit.get(t)) for t in prep.targets],
        shared={"prep": slim, "X": prep.X, "cfg": task_cfg, "out": out},
        desc="targets",
        verbose=cfg.compute.verbose,
    )


def _task_inputs(prep: Prepared, cfg: RunConfig) -> tuple[Prepared, RunConfig]:
    """What a Dask task gets: the prepared panel without its features (already on the
    workers, passed as their future) and one thread."""
    return (replace(prep, X=None, parts=None), replace(cfg, compute=replace(cfg.compute, n_jobs=1)))


def _weights_task(
    target: str, *, prep: Prepared, X: sp.csr_matrix, cfg: RunConfig
) -> tuple[pd.Series, pd.Series | None]:
    plan = plan_target(target, replace(prep, X=X), cfg)
    return plan.weights, plan.weights_plus


def _evaluate_task(
    item: tuple[str, dict | None],
    *,
    prep: Prepared,
    X: sp.csr_matrix,
    cfg: RunConfig,
    out: Path | None,
) -> TargetOutcome:
    target, prefit = item
    return evaluate_target(target, replace(prep, X=X), cfg, out, prefit)


def evaluate_target(
    target: str,
    prep: Prepared,
    cfg: RunConfig,
    out: Path | None,
    prefit: dict[str, tuple[Any, float]] | None = None,
    library: ProxyLibrary | None = None,
) -> TargetOutcome:
    """One target: its MixMin classifiers' weights, then (unless a saved outcome matches
    them) every method's final model and test AP.

    MixMin-trained is the classifier against every other assay, its weights and final model
    both from the target's ``weight_rows`` rows; MixMin + target's final model also takes the
    target's validation rows, as target-only does. ``prefit``: models trained ahead across a
    cluster, by method; ``library``: :func:`~.mixmin.panel_library` of ``prep``, when built.
    """
    plan = plan_target(target, prep, cfg, library)
    done = resume.finished(plan, cfg, out, prep.data_key)
    if done is not None:
        return done
    prefit = prefit or {}
    w = plan.weights
    X, Q, codes, labels = prep.X, prep.Q, prep.codes, prep.panel.labels[target].to_numpy()
    test = rows(codes, target, TEST)
    y_test = labels[test]
    train = rows(codes, target, PROXY_TRAIN, VALID)
    y_train = labels[train].astype(np.int32)
    valid = rows(codes, target, VALID)
    y_valid = labels[valid].astype(np.int32)
    fitted = rows(codes, target, WEIGHT_ROWS[cfg.weight_rows])
    fit = {"params": cfg.final_params, "device": prep.device, "n_jobs": cfg.compute.n_jobs}
    mix = {**fit, "prune": cfg.prune}
    seconds: dict[str, float] = {}
    with _timed(seconds, "target_only"):
        models = {"target_only": fit_classifier(X[train], y_train, random_state=cfg.seed, **fit)}
    data = prep.sources.without(target)
    trainers = {
        **{
            m: partial(fit_mixture, X, data, weights, random_state=cfg.seed, **mix)
            for m, weights in _pooled(data).items()
        },
        "mixmin_trained": lambda: (
            plan.mixmin.fit_final(X[fitted], labels[fitted].astype(np.int32)).final_estimator_
        ),
    }
    if plan.plus is not None:
        trainers["mixmin_target_trained"] = lambda: (
            plan.plus.fit_final(X[train], y_train).final_estimator_
        )
    for method, train_model in trainers.items():
        if method in prefit:  # trained across the cluster
            models[method], seconds[method] = prefit[method]
            continue
        with _timed(seconds, method):
            models[method] = train_model()
    if cfg.random_search:
        with _timed(seconds, "random_search"):
            models["random_search"] = random_search(
                X, data, valid, y_valid, n_trials=cfg.random_search, random_state=cfg.seed, **mix
            ).model
    if cfg.regmix:
        with _timed(seconds, "regmix"):
            models["regmix"] = regmix(
                X, data, valid, y_valid, n_runs=cfg.regmix, random_state=cfg.seed, **mix
            ).model
    if plan.plus is not None:
        seconds["mixmin_target_trained"] += plan.plus_seconds
    scores = {m: model.predict_proba(X[test])[:, 1] for m, model in models.items()}
    scores["mixmin_ensemble"] = Q.iloc[test][list(w.index)].to_numpy() @ w.to_numpy()
    row = {
        "target": target,
        "n_train": len(train),
        "n_train_positive": int(y_train.sum()),
        "n_test": len(test),
        "n_test_positive": int(y_test.sum()),
        "n_sources": len(data.rows),
        "n_sources_used": int((w >= cfg.prune * w.max()).sum()),
        "top_source": str(w.idxmax()),
        "top_weight": float(w.max()),
        "weight_on_target": np.nan
        if plan.weights_plus is None
        else float(plan.weights_plus.get(target, 0.0)),
    }
    row.update(
        {
            f"ap_{m}": float(average_precision_score(y_test, scores[m])) if m in scores else np.nan
            for m in METHODS
        }
    )
    row.update({f"seconds_{m}": seconds.get(m, 0.0 if m in scores else np.nan) for m in METHODS})
    outcome = TargetOutcome.of(plan, row, models["mixmin_trained"])
    if out is not None:
        resume.save(outcome, cfg, out, prep.data_key)
    return outcome


def _pooled(data: SourceRows) -> dict[str, pd.Series | None]:
    """The source weights of the fixed mixtures: natural (every row as it comes) and balanced
    (each source alike)."""
    return {"natural": None, "balanced": pd.Series(1.0, index=list(data.rows))}


def _mixtures(
    target: str,
    prep: Prepared,
    weights: pd.Series,
    weights_plus: pd.Series | None,
) -> dict[str, tuple[SourceRows, pd.Series | None]]:
    """The rows and source weights of each mixture model of ``target``, as ``xgboost.dask``
    trains them: the same rows and weights as the MixMin classifiers' final models."""
    data = prep.sources.without(target)
    out = {m: (data, pooled) for m, pooled in _pooled(data).items()}
    out["mixmin_trained"] = (data, weights)
    if weights_plus is not None:  # the target's own training rows join as one more source
        train = rows(prep.codes, target, PROXY_TRAIN, VALID)
        y = prep.panel.labels[target].to_numpy()[train].astype(np.int32)
        out["mixmin_target_trained"] = (
            SourceRows({**data.rows, target: train}, {**data.labels, target: y}),
            weights_plus,
        )
    return out


@contextlib.contextmanager
def _timed(seconds: dict[str, float], method: str) -> Iterator[None]:
    """Wall seconds of one method's own training, for the compute table."""
    start = time.perf_counter()
    yield
    seconds[method] = round(time.perf_counter() - start, 3)
