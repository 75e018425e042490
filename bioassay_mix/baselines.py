"""Models trained on a mixture of sources: natural (pooled), balanced and MixMin-weighted, plus the
target-only baseline. All share one XGBoost configuration so that only the mixture differs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import xgboost as xgb

from .mixture import source_row_weights
from .proxies import fit_classifier


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
    return fit_classifier(X[idx], y, params=params, sample_weight=sw, device=device,
                          n_jobs=n_jobs, random_state=random_state)


def mixture_rows(data: SourceRows, weights: pd.Series | None, *,
                 prune: float = 1e-4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    keep = [s for s in sources if row_w[s] > 0]
    idx = np.concatenate([data.rows[s] for s in keep]).astype(np.int64)
    y = np.concatenate([data.labels[s] for s in keep]).astype(np.int64)
    sw = np.concatenate([np.full(len(data.rows[s]), row_w[s]) for s in keep])
    key, inverse = np.unique(idx * 2 + y, return_inverse=True)
    return key // 2, (key % 2).astype(np.int32), np.bincount(inverse, weights=sw)
