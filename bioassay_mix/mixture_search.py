"""Mixtures searched for rather than solved, the baselines MixMin is held against: random
candidates on the simplex (random search) and RegMix's regression of small models' losses on
their mixtures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError

__all__ = ["dirichlet_mixtures", "regmix_choose"]


def dirichlet_mixtures(
    sources: Sequence[str],
    n: int,
    *,
    alpha: tuple[float, float] = (0.05, 1.0),
    random_state: int = 0,
) -> pd.DataFrame:
    """``n`` random mixtures over ``sources`` (rows on the simplex), the candidates of random
    search and RegMix.

    Each row draws its own concentration log-uniformly from ``alpha``, so the candidates range
    from nearly one-hot (small alpha) to nearly balanced: with hundreds of sources a single fixed
    alpha would give mixtures that all look alike.

    Parameters
    ----------
    sources : sequence of str
        Column names.
    n : int
        Mixtures to draw.
    alpha : tuple of (float, float), default=(0.05, 1.0)
        Range of the concentration.
    random_state : int, default=0
        Seed.

    Returns
    -------
    pandas.DataFrame
        ``n`` rows x ``sources``, each row summing to 1.
    """
    if n < 1 or not len(sources):
        raise ValueError(f"need n >= 1 mixtures over >= 1 source, got n={n}, {len(sources)}")
    rng = np.random.default_rng(random_state)
    conc = np.exp(rng.uniform(np.log(alpha[0]), np.log(alpha[1]), size=n))
    # Gamma draws renormalised are Dirichlet; the floor keeps tiny-alpha rows finite.
    g = np.maximum(rng.gamma(conc[:, None], size=(n, len(sources))), 1e-300)
    return pd.DataFrame(g / g.sum(axis=1, keepdims=True), columns=list(sources))


def regmix_choose(
    trials: pd.DataFrame,
    losses: np.ndarray,
    *,
    n_candidates: int = 20_000,
    top_k: int = 100,
    random_state: int = 0,
) -> tuple[pd.Series, Any]:
    """RegMix's search: regress the loss of small models trained on the ``trials`` mixtures on
    their weights (gradient-boosted trees), predict the loss of ``n_candidates`` fresh random
    mixtures and average the ``top_k`` predicted best.

    Parameters
    ----------
    trials : pandas.DataFrame
        Mixtures tried (rows), over the sources.
    losses : numpy.ndarray
        The loss each trial's model reached.
    n_candidates : int, default=20_000
        Fresh random mixtures whose loss is predicted.
    top_k : int, default=100
        Best predicted mixtures averaged.
    random_state : int, default=0
        Seed of the candidates and the regressor.

    Returns
    -------
    mixture : pandas.Series
        The chosen weights.
    regressor : estimator
        The fitted loss regressor.
    """
    import xgboost as xgb

    losses = np.asarray(losses, dtype=np.float64)
    if len(trials) != len(losses) or len(trials) < 2 or not np.isfinite(losses).all():
        raise DataError(
            f"RegMix needs >= 2 trial mixtures with finite losses, got "
            f"{len(trials)} mixtures and {len(losses)} losses"
        )
    regressor = xgb.XGBRegressor(
        n_estimators=200,
        max_depth=3,
        learning_rate=0.05,
        subsample=0.8,
        random_state=random_state,
        n_jobs=1,
    )
    regressor.fit(trials.to_numpy(), losses)
    candidates = dirichlet_mixtures(trials.columns, n_candidates, random_state=random_state + 1)
    predicted = regressor.predict(candidates.to_numpy())
    best = candidates.iloc[np.argsort(predicted)[:top_k]].mean()
    return best / best.sum(), regressor
