"""The final model: a clone of the learner trained on the sources' rows and the target's, each
row weighted by its source's weight."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp
import xgboost as xgb
from sklearn.pipeline import Pipeline

from .compute import seeded
from .errors import DataError
from .mixture import TARGET, weighted_rows

__all__ = ["fit_on_mixture", "weights_are_counts"]


class _SourceRows(Protocol):
    """The sources' training rows, as a :class:`~bioassay_mix.library.ProxyLibrary` holds them:
    a feature matrix and, per source, positions into it and their labels."""

    X: sp.csr_matrix
    rows: Mapping[str, np.ndarray]
    labels: Mapping[str, np.ndarray]


def fit_on_mixture(
    template: Any,
    library: _SourceRows,
    row_weight: pd.Series,
    features: sp.csr_matrix,
    y: np.ndarray,
    *,
    merge: bool,
    random_state: int | None,
    n_jobs: int,
) -> Any:
    """``clone(template)`` trained on the library's source rows and the target's rows, each row
    weighted by its source's ``row_weight``; sources at weight 0 contribute no rows.

    Parameters
    ----------
    template : classifier
        The learner; cloned, never fitted itself. Must take ``sample_weight``.
    library : ProxyLibrary
        The sources' training rows (``X``, ``rows``, ``labels``).
    row_weight : pandas.Series
        Weight of each row of a source, by source name; the entry ``"target"`` weighs the
        target's own rows.
    features : scipy.sparse.csr_matrix
        The target's rows, as the library's features.
    y : numpy.ndarray of 0/1
        Their labels.
    merge : bool
        Merge rows of one compound and label into one row carrying their summed weight (the
        same model only for learners that treat weights as counts: :func:`weights_are_counts`).
    random_state : int or None
        The learner's seed.
    n_jobs : int
        The learner's threads at most.

    Returns
    -------
    classifier
        Fitted.
    """
    source_w = row_weight.drop(TARGET, errors="ignore")
    blocks, ys, sws = [], [], []
    if (source_w > 0).any():
        idx, y_src, sw_src = weighted_rows(library.rows, library.labels, source_w, merge=merge)
        blocks.append(library.X[idx])
        ys.append(y_src)
        sws.append(sw_src)
    if row_weight.get(TARGET, 0.0) > 0:
        blocks.append(features)
        ys.append(np.asarray(y, dtype=np.int32))
        sws.append(np.full(len(y), float(row_weight[TARGET])))
    if not blocks:
        raise DataError("no source and no target rows carry weight")
    X_train = sp.vstack(blocks, format="csr")
    y_train = np.concatenate(ys).astype(np.int32)
    if len(np.unique(y_train)) < 2:
        raise DataError(
            "the weighted mixture's rows have one class only; the final model cannot be trained"
        )
    model = seeded(template, random_state, n_jobs=n_jobs)
    return _fit_weighted(model, X_train, y_train, np.concatenate(sws))


def weights_are_counts(estimator: Any) -> bool:
    """Whether ``estimator`` learns the same model from one row of weight a + b as from two
    identical rows of weights a and b: its loss is a weighted sum over rows and it never
    samples rows.

    Parameters
    ----------
    estimator : classifier or Pipeline
        The learner (a pipeline's last step is the learner).

    Returns
    -------
    bool
    """
    model = estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator
    params = model.get_params(deep=False)
    if isinstance(model, xgb.XGBModel):
        return params.get("subsample") in (None, 1, 1.0)
    module = type(model).__module__
    if module.startswith("sklearn.linear_model"):
        return True
    if module.startswith("sklearn.ensemble._forest"):
        return params.get("bootstrap") is False
    return False


def _fit_weighted(model: Any, X, y: np.ndarray, sample_weight: np.ndarray) -> Any:
    if isinstance(model, Pipeline):
        return model.fit(X, y, **{f"{model.steps[-1][0]}__sample_weight": sample_weight})
    return model.fit(X, y, sample_weight=sample_weight)
