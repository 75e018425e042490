"""The protocol's second stage: every target's MixMin problem from the shared proxy table, solved
for all targets in one batched call, and the MixMin + target variant whose extra column is the
target's own proxy, out of fold."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from ..executor import DaskExecutor, LocalExecutor
from ..solver import MixMinResult, solve, solve_panel
from ..solver.objectives import observed_label_proba
from ..splits import VALID, rows
from .config import WEIGHT_ROWS, RunConfig
from .records import Prepared, TargetPlan


def _weight_code(weight_rows: str) -> int:
    if weight_rows not in WEIGHT_ROWS:
        raise ValueError(f"weight_rows must be one of {sorted(WEIGHT_ROWS)}, got "
                         f"{weight_rows!r}")
    return WEIGHT_ROWS[weight_rows]


def mixmin_problems(prep: Prepared, weight_rows: str = "proxy_train") -> list[pd.DataFrame]:
    """Each target's MixMin matrix.

    P[j, p] = source proxy p's probability of the target's observed label on the target's
    ``weight_rows`` compounds.

    Parameters
    ----------
    prep : Prepared
        The output of :func:`~bioassay_mix.experiment.prepare`.
    weight_rows : {"proxy_train", "validation"}, default="proxy_train"
        Which of the target's rows.

    Returns
    -------
    list of pandas.DataFrame
        One per ``prep.targets``; columns: the sources, every assay but the target.
    """
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
    """Each target's labels on its ``weight_rows`` compounds, NaN elsewhere: a compounds x
    targets frame indexed as ``prep.Q``, with which it is the panel form of
    :func:`mixmin_problems` (same parameters; see :func:`bioassay_mix.solver.solve_panel`)."""
    code = _weight_code(weight_rows)
    L = np.full((len(prep.Q), len(prep.targets)), np.nan)
    for j, t in enumerate(prep.targets):
        r = rows(prep.codes, t, code)
        L[r, j] = prep.panel.labels[t].to_numpy()[r]
    return pd.DataFrame(L, index=prep.Q.index, columns=prep.targets)


def mixmin_target_problems(prep: Prepared, cfg: RunConfig,
                           executor: LocalExecutor | DaskExecutor | None = None,
                           ) -> tuple[list[pd.DataFrame], list[float]]:
    """:func:`mixmin_problems` plus one more source per target: the target itself.

    Its column is its own proxy's out-of-fold probability of the observed label on the same
    rows (in-sample predictions would be overconfident and take all the mass).

    Parameters
    ----------
    prep : Prepared
        The output of :func:`~bioassay_mix.experiment.prepare`.
    cfg : RunConfig
        ``weight_rows``, ``oof_folds``, ``seed`` and the compute settings.
    executor : LocalExecutor, DaskExecutor or None, default=None
        Where the out-of-fold fits run (default: local threads).

    Returns
    -------
    problems : list of pandas.DataFrame
        One per target.
    seconds : list of float
        Each target's seconds spent on the out-of-fold fits.
    """
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
    executor = executor or LocalExecutor(cfg.compute.n_jobs)
    own = executor.map(_out_of_fold, items, shared={"X": prep.X, "folds": cfg.oof_folds,
                                                    "seed": cfg.seed},
                       desc="out-of-fold", verbose=cfg.compute.verbose)
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


def solve_targets(prep: Prepared, cfg: RunConfig) -> list[MixMinResult]:
    """Every target's MixMin weights; ``active_set`` solves from the shared proxy table without
    building the per-target matrices."""
    if cfg.solver_method == "active_set":
        return solve_panel(prep.Q, mixmin_labels(prep, cfg.weight_rows), tol=cfg.tol)
    return _solve(mixmin_problems(prep, cfg.weight_rows), prep, cfg)


def plan_targets(prep: Prepared, cfg: RunConfig, results: list[MixMinResult],
                 executor: LocalExecutor | DaskExecutor) -> list[TargetPlan]:
    """Each target's plan: its MixMin weights and, with ``cfg.mixmin_plus_target``, its
    MixMin + target weights and what their out-of-fold column cost."""
    plus: dict[str, tuple[pd.Series, float]] = {}
    if cfg.mixmin_plus_target:
        problems, seconds = mixmin_target_problems(prep, cfg, executor)
        plus = {r.target: (r.weights, s)
                for r, s in zip(_solve(problems, prep, cfg), seconds, strict=True)}
    return [TargetPlan(r.target, r.weights, *plus.get(r.target, (None, 0.0))) for r in results]


def weights_frame(weights: dict[str, pd.Series], prep: Prepared) -> pd.DataFrame:
    """Targets x sources (every proxy's assay), NaN where a source is the target itself."""
    return pd.DataFrame(weights).T.reindex(columns=prep.proxies.assays)


def _solve(problems: list[pd.DataFrame], prep: Prepared, cfg: RunConfig) -> list[MixMinResult]:
    """Every target's problem in one call (``active_set`` is a CPU method)."""
    device = "cpu" if cfg.solver_method == "active_set" else prep.device
    return solve(problems, method=cfg.solver_method, tol=cfg.tol, device=device,
                 names=prep.targets)
