"""From proxies' predictions to mixture weights (the sklearn-style ``MixMin``) and from mixture
weights to per-row sample weights for training the final model. The mixtures that baselines
search for instead of solving are in :mod:`bioassay_mix.mixture_search`."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.metrics import average_precision_score, r2_score
from sklearn.utils import ClassifierTags, RegressorTags
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from .errors import DataError
from .solver import DEFAULT_EPS, METHODS, solve
from .solver.objectives import observed_label_proba

__all__ = [
    "DEFAULT_PRUNE",
    "TARGET",
    "MixMin",
    "source_row_weights",
    "weighted_rows",
]

#: Sources whose weight is below this fraction of the largest weight are left out of the final
#: model's training set: they would carry less than 1e-4 of the top source's mass.
DEFAULT_PRUNE = 1e-4
#: The name the target's own column takes among the sources' weights: no source may take it.
TARGET = "target"


class MixMin(BaseEstimator):
    """Mixture weights over sources that minimise the target's loss of the mixed predictor.

    ``fit(P, y)`` takes the sources' predictions on the target's labelled compounds (a frame with
    one column per source, or an array). With ``loss="cross_entropy"`` it is a binary
    classifier: ``y`` has two labels (the larger, ``classes_[1]``, is positive), ``P`` holds
    each source's probability of the positive class, ``predict_proba`` is the mixture
    sum_p w_p P[:, p] and ``predict`` the more probable class. With ``loss="squared_error"``
    it is a regressor: ``P`` holds real-valued predictions and ``predict`` is the mixture.

    Parameters
    ----------
    loss : {"cross_entropy", "squared_error"}, default="cross_entropy"
    method : {"adaptive", "active_set", "reference"}, default="adaptive"
        Solver (see :func:`bioassay_mix.solve`).
    tol : float or None, default=None
        Duality gap to certify (None: 1e-6 in float64).
    max_iter : int or None, default=None
    eps : float, default=DEFAULT_EPS
        Probabilities are clipped to [eps, 1] before the log.
    device : {"cpu", "cuda", "auto"}, default="cpu"
    dtype : {"float64", "float32"}, default="float64"

    Attributes
    ----------
    weights_ : pandas.Series
        Weights over sources, on the simplex.
    objective_, gap_ : float
        The objective at ``weights_`` and its certified suboptimality.
    n_iter_, converged_, result_
        Solver iterations, whether ``gap_ <= tol``, the full :class:`MixMinResult`.
    classes_ : numpy.ndarray
        The two labels (cross-entropy only).
    n_features_in_, feature_names_in_
        The number and names of the sources.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.uniform(0.05, 0.95, 500)
    >>> y = (rng.uniform(size=500) < truth).astype(int)
    >>> P = np.column_stack([truth, rng.uniform(size=500)])
    >>> mm = MixMin().fit(P, y)
    >>> bool(mm.weights_.iloc[0] > 0.9), mm.predict_proba(P).shape
    (True, (500, 2))
    """

    _parameter_constraints: ClassVar[dict] = {
        "loss": [StrOptions({"cross_entropy", "squared_error"})],
        "method": [StrOptions(set(METHODS))],
        "tol": [Interval(Real, 0, None, closed="neither"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "dtype": [StrOptions({"float64", "float32"})],
    }

    def __init__(
        self,
        loss: str = "cross_entropy",
        method: str = "adaptive",
        tol: float | None = None,
        max_iter: int | None = None,
        eps: float = DEFAULT_EPS,
        device: str = "cpu",
        dtype: str = "float64",
    ):
        self.loss = loss
        self.method = method
        self.tol = tol
        self.max_iter = max_iter
        self.eps = eps
        self.device = device
        self.dtype = dtype

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.loss == "cross_entropy":
            tags.estimator_type = "classifier"
            tags.classifier_tags = ClassifierTags(multi_class=False)
            tags.input_tags.positive_only = True  # probabilities in [0, 1]
        else:
            tags.estimator_type = "regressor"
            tags.regressor_tags = RegressorTags()
        return tags

    def fit(self, P, y) -> MixMin:
        """Solve for the weights.

        Parameters
        ----------
        P : array-like of shape (n_samples, n_sources)
            The sources' predictions on the target's rows.
        y : array-like of shape (n_samples,)
            0/1 labels (cross-entropy) or real targets (squared error).

        Returns
        -------
        self : MixMin
        """
        self._validate_params()
        names = list(P.columns) if isinstance(P, pd.DataFrame) else None
        classify = self.loss == "cross_entropy"
        # probabilities are checked below, naming the row and column of a NaN
        X, y = validate_data(
            self, P, y, dtype=np.float64, y_numeric=not classify, ensure_all_finite=not classify
        )
        columns = (
            [str(c) for c in names]
            if names is not None
            else [f"source_{i}" for i in range(X.shape[1])]
        )
        if classify:
            y_type = type_of_target(y, input_name="y", raise_unknown=True)
            if y_type != "binary":
                check_classification_targets(y)  # names a continuous target as sklearn does
                raise ValueError(
                    "Only binary classification is supported (0/1 labels); the "
                    f"type of the target is {y_type}"
                )
            self.classes_, y01 = np.unique(y, return_inverse=True)
            if len(self.classes_) < 2:
                raise DataError(
                    f"y has one class only ({self.classes_[0]!r}); MixMin needs both classes"
                )
            check_probabilities(X, "P")
            data, target = observed_label_proba(X, y01), None
        else:
            data, target = X, y
        result = solve(
            pd.DataFrame(data, columns=columns),
            loss=self.loss,
            y=target,
            method=self.method,
            tol=self.tol,
            max_iter=self.max_iter,
            eps=self.eps,
            device=self.device,
            dtype=self.dtype,
        )
        self.result_ = result
        self.weights_ = result.weights
        self.objective_ = result.objective
        self.gap_ = result.gap
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        return self

    def mix(self, P) -> np.ndarray:
        """The mixed predictor sum_p w_p P[:, p].

        Parameters
        ----------
        P : array-like of shape (n_samples, n_sources)
            Each source's prediction (for cross-entropy, its class-1 probability).

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            A class-1 probability for cross-entropy.
        """
        check_is_fitted(self, "weights_")
        X = validate_data(
            self, P, reset=False, dtype=np.float64, ensure_all_finite=self.loss != "cross_entropy"
        )
        if self.loss == "cross_entropy":
            check_probabilities(X, "P")
        return X @ self.weights_.to_numpy()

    @available_if(lambda self: self.loss == "cross_entropy")
    def predict_proba(self, P) -> np.ndarray:
        """Class probabilities ``[1 - p, p]`` of the mixture (cross-entropy only).

        Parameters
        ----------
        P : array-like of shape (n_samples, n_sources)
            Each source's class-1 probability.

        Returns
        -------
        numpy.ndarray of shape (n_samples, 2)
        """
        p1 = self.mix(P)
        return np.column_stack([1.0 - p1, p1])

    def predict(self, P) -> np.ndarray:
        """The more probable class (cross-entropy) or the mixed prediction (squared error).

        Parameters
        ----------
        P : array-like of shape (n_samples, n_sources)
            Each source's prediction.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
        """
        if self.loss == "cross_entropy":
            p1 = self.mix(P)
            return self.classes_[(p1 >= 0.5).astype(np.int64)]
        return self.mix(P)

    def score(self, P, y, sample_weight=None) -> float:
        """Average precision of the mixture (cross-entropy) or R^2 (squared error).

        Parameters
        ----------
        P : array-like of shape (n_samples, n_sources)
            Each source's prediction.
        y : array-like of shape (n_samples,)
            True labels or values.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights of the metric.

        Returns
        -------
        float
        """
        if self.loss == "cross_entropy":
            return float(
                average_precision_score(
                    np.asarray(y) == self.classes_[1], self.mix(P), sample_weight=sample_weight
                )
            )
        return float(r2_score(y, self.mix(P), sample_weight=sample_weight))


def check_probabilities(X: np.ndarray, name: str) -> None:
    """Refuse NaN, infinite or out-of-[0, 1] values, naming the first one's row and column."""
    bad = ~((X >= 0) & (X <= 1))  # NaN compares False
    if bad.any():
        negatives = X < 0
        r, c = np.argwhere(negatives if negatives.any() else bad)[0]
        negative = "Negative values in data: " if negatives.any() else ""
        value = float(X[r, c])
        shown = "NaN" if np.isnan(value) else "inf" if np.isinf(value) else repr(value)
        raise DataError(
            f"{negative}{name} must hold probabilities in [0, 1]: value {shown} "
            f"at row {r}, column {c}"
        )


def source_row_weights(
    weights: Mapping[str, float] | pd.Series,
    n_rows: Mapping[str, int],
    prune: float = DEFAULT_PRUNE,
) -> pd.Series:
    """Per-row sample weight for each source so that source p carries mass ~ w_p:
    (w_p / max w) * (n_max / n_p), the rule of the paper's scripts.

    Parameters
    ----------
    weights : mapping of str to float or pandas.Series
        Mixture weights by source.
    n_rows : mapping of str to int
        Training rows by source.
    prune : float, default=DEFAULT_PRUNE
        Sources below ``prune * max w`` get weight 0 (and can be dropped from training).

    Returns
    -------
    pandas.Series
        The weight of each of a source's rows, by source.
    """
    w = pd.Series(weights, dtype=np.float64)
    n = pd.Series(n_rows, dtype=np.float64).reindex(w.index)
    if n.isna().any() or (n <= 0).any():
        raise DataError(f"sources without rows: {list(n.index[n.isna() | (n <= 0)])[:5]}")
    if (w < 0).any() or w.max() <= 0:
        raise DataError("mixture weights must be non-negative with a positive maximum")
    row_w = (w / w.max()) * (n.max() / n)
    return row_w.where(w >= prune * w.max(), 0.0)


def weighted_rows(
    rows: Mapping[str, np.ndarray],
    labels: Mapping[str, np.ndarray],
    row_weight: pd.Series,
    *,
    merge: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training rows of a mixture as (feature-row index, label, sample weight): every row of each
    source with ``row_weight[source] > 0``.

    With ``merge``, rows that share a compound and a label become one row carrying their summed
    weight. A learner whose loss is a weighted sum over rows (XGBoost without row subsampling,
    logistic regression) learns the same model from either, while a mixture of any number of
    sources has at most two rows per compound; one that samples rows (bagging, ``subsample <
    1``) does not, so merging must be off for it (XGBoost with ``subsample=0.8`` grows other
    trees from merged rows).

    Parameters
    ----------
    rows : mapping of str to numpy.ndarray
        Each source's positions into one feature matrix.
    labels : mapping of str to numpy.ndarray
        Each source's 0/1 labels, aligned with ``rows``.
    row_weight : pandas.Series
        Weight of each row of a source (:func:`source_row_weights`).
    merge : bool, default=True
        Merge rows of one compound and label.

    Returns
    -------
    index : numpy.ndarray
        Feature-row positions.
    label : numpy.ndarray
        0/1 labels.
    weight : numpy.ndarray
        Sample weights.
    """
    keep = [s for s in rows if row_weight.get(s, 0.0) > 0]
    if not keep:
        raise DataError("no source has a positive weight")
    idx = np.concatenate([rows[s] for s in keep]).astype(np.int64)
    y = np.concatenate([labels[s] for s in keep]).astype(np.int64)
    sw = np.concatenate([np.full(len(rows[s]), float(row_weight[s])) for s in keep])
    if not merge:
        return idx, y.astype(np.int32), sw
    # Keys (row, label) are dense integers below 2 * (max row + 1), so counting them gives
    # np.unique's sorted keys and its per-key sums (added in the same order) without sorting
    # millions of rows.
    key = idx * 2 + y
    present = np.flatnonzero(np.bincount(key))
    summed = np.bincount(key, weights=sw)[present]
    return present // 2, (present % 2).astype(np.int32), summed
