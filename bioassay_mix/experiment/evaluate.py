"""The protocol's last stage, per target: the final models of every method (target-only, the
natural, balanced and MixMin-weighted mixtures, the optional searches) and their test AP."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.metrics import average_precision_score

from .._utils import progress
from ..baselines import SourceRows, fit_mixture, mixture_rows, random_search, regmix
from ..executor import DaskExecutor, LocalExecutor
from ..proxies import ProxySet, fit_classifier
from ..splits import PROXY_TRAIN, TEST, VALID, rows
from . import resume
from .config import RunConfig
from .records import METHODS, Prepared, TargetOutcome, TargetPlan


def fit_on_cluster(plans: list[TargetPlan], prep: Prepared, cfg: RunConfig, out: Path | None,
                   executor: LocalExecutor | DaskExecutor) -> None:
    """Train ahead with ``xgboost.dask`` the mixture models of targets whose natural mixture
    (every row of every source) has ``cfg.compute.dask_fit_rows`` rows or more and no finished
    result, one model at a time over the whole cluster (into each plan's ``prefit``)."""
    limit = cfg.compute.dask_fit_rows
    if executor.kind != "dask" or limit is None or \
            len(mixture_rows(prep.sources, None)[0]) < limit:  # none can be big
        return
    from ..dask_fit import fit_mixture_dask

    for plan in plans:
        mixtures = _mixtures(plan, prep)
        big = len(mixture_rows(mixtures["natural"][0], None)[0]) >= limit
        if not big or resume.finished(plan, cfg, out, prep.data_key) is not None:
            continue
        for method, (data, weights) in mixtures.items():
            start = time.perf_counter()
            model = fit_mixture_dask(executor.client, prep.parts, data, weights,
                                     params=cfg.final_params, prune=cfg.prune,
                                     device=prep.device, random_state=cfg.seed)
            plan.prefit[method] = (model, time.perf_counter() - start)


def evaluate_targets(plans: list[TargetPlan], prep: Prepared, cfg: RunConfig, out: Path | None,
                     executor: LocalExecutor | DaskExecutor) -> list[TargetOutcome]:
    """Every target's outcome: locally one target at a time, each fit on all the threads; on
    Dask one task per target, one thread each."""
    if executor.kind == "local":
        return [evaluate_target(plan, prep, cfg, out)
                for plan in progress(plans, desc="targets", verbose=cfg.compute.verbose)]
    # The proxies stay here (tasks need only Q) and the fingerprints are already on the workers.
    slim = replace(prep, X=None, parts=None,
                   proxies=ProxySet(models={}, info=prep.proxies.info))
    task_cfg = replace(cfg, compute=replace(cfg.compute, n_jobs=1))
    return executor.map(_evaluate_task, plans, shared={"prep": slim, "X": prep.X,
                                                       "cfg": task_cfg, "out": out},
                        desc="targets", verbose=cfg.compute.verbose)


def _evaluate_task(plan: TargetPlan, *, prep: Prepared, X: sp.csr_matrix, cfg: RunConfig,
                   out: Path | None) -> TargetOutcome:
    return evaluate_target(plan, replace(prep, X=X), cfg, out)


def evaluate_target(plan: TargetPlan, prep: Prepared, cfg: RunConfig,
                    out: Path | None) -> TargetOutcome:
    """One target's final models and test AP (or its saved outcome, when one matches)."""
    done = resume.finished(plan, cfg, out, prep.data_key)
    if done is not None:
        return done
    target, w = plan.target, plan.weights
    X, Q, codes, labels = prep.X, prep.Q, prep.codes, prep.panel.labels
    test = rows(codes, target, TEST)
    y_test = labels[target].to_numpy()[test]
    train = rows(codes, target, PROXY_TRAIN, VALID)
    y_train = labels[target].to_numpy()[train].astype(np.int32)
    valid = rows(codes, target, VALID)
    y_valid = labels[target].to_numpy()[valid].astype(np.int32)
    mixtures = _mixtures(plan, prep)
    data = mixtures["natural"][0]  # every other source's rows
    fit = {"params": cfg.final_params, "device": prep.device, "n_jobs": cfg.compute.n_jobs}
    mix = {**fit, "prune": cfg.prune}
    seconds: dict[str, float] = {}
    with _timed(seconds, "target_only"):
        models = {"target_only": fit_classifier(X[train], y_train, random_state=cfg.seed, **fit)}
    for method, (mixture, weights) in mixtures.items():
        if method in plan.prefit:  # trained across the cluster
            models[method], seconds[method] = plan.prefit[method]
            continue
        with _timed(seconds, method):
            models[method] = fit_mixture(X, mixture, weights, random_state=cfg.seed, **mix)
    if cfg.random_search:
        with _timed(seconds, "random_search"):
            models["random_search"] = random_search(
                X, data, valid, y_valid, n_trials=cfg.random_search, random_state=cfg.seed,
                **mix).model
    if cfg.regmix:
        with _timed(seconds, "regmix"):
            models["regmix"] = regmix(X, data, valid, y_valid, n_runs=cfg.regmix,
                                      random_state=cfg.seed, **mix).model
    if plan.weights_plus is not None:
        seconds["mixmin_target_trained"] += plan.oof_seconds
    scores = {m: model.predict_proba(X[test])[:, 1] for m, model in models.items()}
    scores["mixmin_ensemble"] = Q.iloc[test][list(w.index)].to_numpy() @ w.to_numpy()
    row = {"target": target, "n_train": len(train), "n_train_positive": int(y_train.sum()),
           "n_test": len(test), "n_test_positive": int(y_test.sum()),
           "n_sources": len(data.rows), "n_sources_used": int((w >= cfg.prune * w.max()).sum()),
           "top_source": str(w.idxmax()), "top_weight": float(w.max()),
           "weight_on_target": np.nan if plan.weights_plus is None
           else float(plan.weights_plus.get(target, 0.0))}
    row.update({f"ap_{m}": float(average_precision_score(y_test, scores[m])) if m in scores
                else np.nan for m in METHODS})
    row.update({f"seconds_{m}": seconds.get(m, 0.0 if m in scores else np.nan)
                for m in METHODS})
    outcome = TargetOutcome(row, models["mixmin_trained"])
    if out is not None:
        resume.save(outcome, plan, cfg, out, prep.data_key)
    return outcome


def _mixtures(plan: TargetPlan, prep: Prepared,
              ) -> dict[str, tuple[SourceRows, pd.Series | None]]:
    """The rows and source weights of each mixture model of ``plan.target``."""
    target = plan.target
    data = prep.sources.without(target)
    out = {"natural": (data, None), "balanced": (data, pd.Series(1.0, index=list(data.rows))),
           "mixmin_trained": (data, plan.weights)}
    if plan.weights_plus is not None:  # the target's own training rows join as one more source
        train = rows(prep.codes, target, PROXY_TRAIN, VALID)
        y = prep.panel.labels[target].to_numpy()[train].astype(np.int32)
        out["mixmin_target_trained"] = (SourceRows({**data.rows, target: train},
                                                   {**data.labels, target: y}),
                                        plan.weights_plus)
    return out


@contextlib.contextmanager
def _timed(seconds: dict[str, float], method: str) -> Iterator[None]:
    """Wall seconds of one method's own training, for the compute table."""
    start = time.perf_counter()
    yield
    seconds[method] = round(time.perf_counter() - start, 3)
