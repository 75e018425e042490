"""Models trained on a mixture of sources: natural (pooled), balanced, MixMin-weighted, and the
mixtures found by random search and RegMix. All share one XGBoost configuration so that only the
mixture differs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import xgboost as xgb
from sklearn.metrics import log_loss

from ..mixture import source_row_weights, weighted_rows
from ..mixture_search import dirichlet_mixtures, regmix_choose
from ..proxies import fit_classifier


@dataclass
class SourceRows:
    """Training rows of each source: positions into the feature matrix, and their labels."""

    rows: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]

    def without(self, source: str) -> SourceRows:
        """The same sources less ``source`` (a target is never its own source)."""
        keep = [s for s in self.rows if s != source]
        return SourceRows({s: self.rows[s] for s in keep}, {s: self.labels[s] for s in keep})

    def counts(self) -> pd.Series:
        return pd.Series({s: len(r) for s, r in self.rows.items()}, dtype=np.int64)


def fit_mixture(
    X: sp.csr_matrix,
    data: SourceRows,
    weights: pd.Series | None,
    *,
    params: Mapping | None = None,
    prune: float = 1e-4,
    device: str | None = "cpu",
    n_jobs: int | None = 1,
    random_state: int = 0,
) -> xgb.XGBClassifier:
    """One XGBoost on the concatenated rows of all sources. ``weights=None`` is the natural
    mixture (every row weight 1, so sources count by size); otherwise source p carries mass
    ~ ``weights[p]`` (uniform weights give the balanced mixture)."""
    idx, y, sw = mixture_rows(data, weights, prune=prune)
    return fit_classifier(
        X[idx],
        y,
        params=params,
        sample_weight=sw,
        device=device,
        n_jobs=n_jobs,
        random_state=random_state,
    )


def mixture_rows(
    data: SourceRows, weights: pd.Series | None, *, prune: float = 1e-4
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training rows of a mixture as (feature-row index, label, sample weight), with the rows that
    share a compound and a label merged into one row carrying their summed weight.

    XGBoost's split statistics are weighted sums of per-row gradients, and identical (x, y) rows
    have identical gradients, so the merged set trains the same trees (up to float rounding)
    while a mixture of any number of sources has at most two rows per compound.
    """
    sources = list(data.rows)
    if weights is None:
        row_w = pd.Series(1.0, index=sources)
    else:
        row_w = source_row_weights(weights.reindex(sources).fillna(0.0), data.counts(), prune)
    return weighted_rows(data.rows, data.labels, row_w, merge=True)


#: RegMix's small models: proxy-sized XGBoost (a fifth of the final model's trees, shallower).
REGMIX_SMALL_PARAMS: dict[str, Any] = {"n_estimators": 20, "max_depth": 4}


@dataclass
class SearchResult:
    """A mixture chosen by search, its model trained on the final setting, and every trial
    (mixture weights plus its ``valid_loss``)."""

    weights: pd.Series
    model: xgb.XGBClassifier
    trials: pd.DataFrame
    n_fits: int


def validation_loss(model: xgb.XGBClassifier, X_valid: sp.csr_matrix, y_valid: np.ndarray) -> float:
    """Cross-entropy on the target's validation rows: what the searches minimise (the same loss
    MixMin minimises on its own rows)."""
    return float(log_loss(y_valid, model.predict_proba(X_valid)[:, 1], labels=[0, 1]))


def random_search(
    X: sp.csr_matrix,
    data: SourceRows,
    valid: np.ndarray,
    y_valid: np.ndarray,
    *,
    n_trials: int = 16,
    random_state: int = 0,
    **fit: Any,
) -> SearchResult:
    """Train the final model on ``n_trials`` random mixtures and keep the one with the lowest
    validation loss. ``fit``: ``params``, ``prune``, ``device`` and ``n_jobs`` of
    :func:`fit_mixture`."""
    trials = dirichlet_mixtures(list(data.rows), n_trials, random_state=random_state)
    losses, best = [], None
    for _, w in trials.iterrows():
        model = fit_mixture(X, data, w, random_state=random_state, **fit)
        losses.append(validation_loss(model, X[valid], y_valid))
        if best is None or losses[-1] < best[0]:
            best = (losses[-1], w, model)
    return SearchResult(best[1].rename(None), best[2], trials.assign(valid_loss=losses), n_trials)


def regmix(
    X: sp.csr_matrix,
    data: SourceRows,
    valid: np.ndarray,
    y_valid: np.ndarray,
    *,
    n_runs: int = 32,
    small_params: Mapping | None = None,
    random_state: int = 0,
    **fit: Any,
) -> SearchResult:
    """RegMix: small models on ``n_runs`` random mixtures, a regressor from weights to validation
    loss, its predicted-best mixture (see :func:`~bioassay_mix.mixture_search.regmix_choose`),
    then the final model on that mixture."""
    small_params = small_params or REGMIX_SMALL_PARAMS
    small = {**fit, "params": {**(fit.get("params") or {}), **small_params}}
    trials = dirichlet_mixtures(list(data.rows), n_runs, random_state=random_state)
    losses = [
        validation_loss(
            fit_mixture(X, data, w, random_state=random_state, **small), X[valid], y_valid
        )
        for _, w in trials.iterrows()
    ]
    weights, _ = regmix_choose(trials, np.asarray(losses), random_state=random_state)
    model = fit_mixture(X, data, weights, random_state=random_state, **fit)
    return SearchResult(weights, model, trials.assign(valid_loss=losses), n_runs + 1)
