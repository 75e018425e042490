"""From proxies' predictions to mixture weights (the sklearn-style ``MixMin``) and from mixture
weights to per-row sample weights for training the final model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from .errors import DataError
from .solver import DEFAULT_EPS, solve
from .solver.objectives import observed_label_proba

#: Sources whose weight is below this fraction of the largest weight are left out of the final
#: model's training set: they would carry less than 1e-4 of the top source's mass.
DEFAULT_PRUNE = 1e-4


class MixMin(BaseEstimator):
    """Mixture weights over sources that minimise the target's loss of the mixed predictor.

    ``fit(P, y)`` takes the sources' predictions on the target's labelled compounds (a DataFrame
    with one column per source, or an array): class-1 probabilities for ``loss="cross_entropy"``,
    real-valued predictions for ``loss="squared_error"``. Fitted attributes: ``weights_`` (Series
    over sources, on the simplex), ``objective_``, ``gap_`` (certified suboptimality),
    ``n_iter_``, ``converged_``, ``result_``.
    """

    def __init__(self, loss: str = "cross_entropy", method: str = "adaptive",
                 tol: float | None = None, max_iter: int | None = None, eps: float = DEFAULT_EPS,
                 device: str = "cpu", dtype: str = "float64"):
        self.loss = loss
        self.method = method
        self.tol = tol
        self.max_iter = max_iter
        self.eps = eps
        self.device = device
        self.dtype = dtype

    def fit(self, P, y) -> MixMin:
        frame = _as_frame(P)
        y = np.asarray(y).reshape(-1)
        if len(y) != len(frame):
            raise DataError(f"y has {len(y)} labels but P has {len(frame)} rows")
        if self.loss == "cross_entropy":
            data, target = observed_label_proba(frame.to_numpy(np.float64), y), None
        elif self.loss == "squared_error":
            data, target = frame.to_numpy(np.float64), y
        else:
            raise ValueError("MixMin.fit supports 'cross_entropy' and 'squared_error'; use "
                             "bioassay_mix.solver.solve for 'log_likelihood'")
        result = solve(pd.DataFrame(data, columns=frame.columns), loss=self.loss, y=target,
                       method=self.method, tol=self.tol, max_iter=self.max_iter, eps=self.eps,
                       device=self.device, dtype=self.dtype)
        self._set_result(result)
        return self

    def _set_result(self, result) -> None:
        self.result_ = result
        self.weights_ = result.weights
        self.objective_ = result.objective
        self.gap_ = result.gap
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.feature_names_in_ = np.asarray(result.weights.index, dtype=object)

    def predict(self, P) -> np.ndarray:
        """The mixed predictor sum_p w_p P[:, p] (a class-1 probability for cross-entropy)."""
        frame = _as_frame(P)
        missing = [s for s in self.weights_.index if s not in frame.columns]
        if missing:
            raise DataError(f"P lacks the fitted sources {missing[:5]}")
        return frame[list(self.weights_.index)].to_numpy(np.float64) @ self.weights_.to_numpy()

    def predict_proba(self, P) -> np.ndarray:
        p1 = self.predict(P)
        return np.column_stack([1.0 - p1, p1])


def _as_frame(P) -> pd.DataFrame:
    if isinstance(P, pd.DataFrame):
        return P
    arr = np.asarray(P)
    if arr.ndim != 2:
        raise DataError(f"P must be 2-D (rows x sources), got shape {arr.shape}")
    return pd.DataFrame(arr, columns=[f"source_{i}" for i in range(arr.shape[1])])


def source_row_weights(weights: Mapping[str, float] | pd.Series, n_rows: Mapping[str, int],
                       prune: float = DEFAULT_PRUNE) -> pd.Series:
    """Per-row sample weight for each source so that source p carries mass ~ w_p:
    (w_p / max w) * (n_max / n_p), the rule of the paper's scripts. Sources below
    ``prune * max w`` get weight 0 (and can be dropped from training)."""
    w = pd.Series(weights, dtype=np.float64)
    n = pd.Series(n_rows, dtype=np.float64).reindex(w.index)
    if n.isna().any() or (n <= 0).any():
        raise DataError(f"sources without rows: {list(n.index[n.isna() | (n <= 0)])[:5]}")
    if (w < 0).any() or w.max() <= 0:
        raise DataError("mixture weights must be non-negative with a positive maximum")
    row_w = (w / w.max()) * (n.max() / n)
    return row_w.where(w >= prune * w.max(), 0.0)


def dirichlet_mixtures(sources: Sequence[str], n: int, *, alpha: tuple[float, float] = (0.05, 1.0),
                       random_state: int = 0) -> pd.DataFrame:
    """``n`` random mixtures over ``sources`` (rows on the simplex), the candidates of random
    search and RegMix. Each row draws its own concentration log-uniformly from ``alpha``, so
    the candidates range from nearly one-hot (small alpha) to nearly balanced: with hundreds of
    sources a single fixed alpha would give mixtures that all look alike."""
    if n < 1 or not len(sources):
        raise ValueError(f"need n >= 1 mixtures over >= 1 source, got n={n}, {len(sources)}")
    rng = np.random.default_rng(random_state)
    conc = np.exp(rng.uniform(np.log(alpha[0]), np.log(alpha[1]), size=n))
    # Gamma draws renormalised are Dirichlet; the floor keeps tiny-alpha rows finite.
    g = np.maximum(rng.gamma(conc[:, None], size=(n, len(sources))), 1e-300)
    return pd.DataFrame(g / g.sum(axis=1, keepdims=True), columns=list(sources))


def regmix_choose(trials: pd.DataFrame, losses: np.ndarray, *, n_candidates: int = 20_000,
                  top_k: int = 100, random_state: int = 0) -> tuple[pd.Series, Any]:
    """RegMix's search: regress the loss of small models trained on the ``trials`` mixtures on
    their weights (gradient-boosted trees), predict the loss of ``n_candidates`` fresh random
    mixtures and average the ``top_k`` predicted best. Returns the mixture and the regressor."""
    import xgboost as xgb

    losses = np.asarray(losses, dtype=np.float64)
    if len(trials) != len(losses) or len(trials) < 2 or not np.isfinite(losses).all():
        raise DataError(f"RegMix needs >= 2 trial mixtures with finite losses, got "
                        f"{len(trials)} mixtures and {len(losses)} losses")
    regressor = xgb.XGBRegressor(n_estimators=200, max_depth=3, learning_rate=0.05,
                                 subsample=0.8, random_state=random_state, n_jobs=1)
    regressor.fit(trials.to_numpy(), losses)
    candidates = dirichlet_mixtures(trials.columns, n_candidates, random_state=random_state + 1)
    predicted = regressor.predict(candidates.to_numpy())
    best = candidates.iloc[np.argsort(predicted)[:top_k]].mean()
    return best / best.sum(), regressor
