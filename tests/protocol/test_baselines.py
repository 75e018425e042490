"""Mixture training rows and the mixture baselines, on real Tox21 data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bioassay_mix import Compute, RunConfig
from bioassay_mix.mixture import source_row_weights
from bioassay_mix.protocol import prepare
from bioassay_mix.protocol.baselines import fit_mixture, mixture_rows
from bioassay_mix.proxies import fit_classifier
from bioassay_mix.splits import TEST, rows


@pytest.fixture(scope="module")
def prep(small_panel):
    fast = {"n_estimators": 20}
    return prepare(
        small_panel,
        config=RunConfig(
            proxy_params=fast, n_bits=1024, seed=1, compute=Compute(n_jobs=2, verbose=False)
        ),
    )


@pytest.mark.slow
@pytest.mark.parametrize("weights", [None, "dirichlet"])
def test_merged_rows_train_the_same_model_as_the_concatenation(prep, weights):
    data = prep.sources.without("NR-AR")
    sources = list(data.rows)
    w = (
        None
        if weights is None
        else pd.Series(np.random.default_rng(0).dirichlet(np.ones(len(sources))), index=sources)
    )
    row_w = pd.Series(1.0, index=sources) if w is None else source_row_weights(w, data.counts())
    idx = np.concatenate([data.rows[s] for s in sources])
    y = np.concatenate([data.labels[s] for s in sources])
    sw = np.concatenate([np.full(len(data.rows[s]), row_w[s]) for s in sources])
    fast = {"n_estimators": 20}
    concatenated = fit_classifier(prep.X[idx], y, params=fast, sample_weight=sw, n_jobs=2)
    merged = fit_mixture(prep.X, data, w, params=fast, n_jobs=2)
    test = rows(prep.codes, "NR-AR", TEST)
    np.testing.assert_allclose(
        merged.predict_proba(prep.X[test]), concatenated.predict_proba(prep.X[test]), atol=1e-6
    )

    m_idx, m_y, m_w = mixture_rows(data, w)
    assert len(m_idx) < len(idx) and len(m_idx) <= 2 * len(np.unique(idx))
    assert np.isclose(m_w.sum(), sw.sum())
    # a (compound, label) pair appears once, with the summed weight of its copies
    assert len(set(zip(m_idx.tolist(), m_y.tolist(), strict=True))) == len(m_idx)
    first = (idx == m_idx[0]) & (y == m_y[0])
    assert np.isclose(m_w[0], sw[first].sum())


def test_dirichlet_mixtures_are_reproducible_diverse_simplex_points():
    from bioassay_mix.mixture_search import dirichlet_mixtures

    m = dirichlet_mixtures([f"s{i}" for i in range(50)], 200, random_state=4)
    assert m.shape == (200, 50) and (m.to_numpy() >= 0).all()
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
    pd.testing.assert_frame_equal(m, dirichlet_mixtures(list(m.columns), 200, random_state=4))
    top = m.max(axis=1)
    assert top.max() > 0.5 and top.min() < 0.2  # near one-hot and near balanced both drawn
    with pytest.raises(ValueError, match="n >= 1"):
        dirichlet_mixtures(["a"], 0)


def test_regmix_choose_finds_the_low_loss_region():
    from bioassay_mix.mixture_search import dirichlet_mixtures, regmix_choose

    sources = ["a", "b", "c", "d"]
    best = np.array([0.7, 0.1, 0.1, 0.1])
    trials = dirichlet_mixtures(sources, 300, random_state=0)
    losses = ((trials.to_numpy() - best) ** 2).sum(axis=1)
    w, _ = regmix_choose(trials, losses, n_candidates=5000, top_k=20)
    assert np.isclose(w.sum(), 1.0) and list(w.index) == sources
    assert ((w.to_numpy() - best) ** 2).sum() < ((0.25 - best) ** 2).sum() / 4
    from bioassay_mix.errors import DataError

    with pytest.raises(DataError, match="finite losses"):
        regmix_choose(trials.iloc[:3], np.array([0.1, np.nan, 0.2]))


@pytest.mark.slow
def test_random_search_keeps_the_trial_with_the_lowest_validation_loss(prep):
    from bioassay_mix.protocol.baselines import random_search, validation_loss
    from bioassay_mix.splits import VALID

    valid = rows(prep.codes, "SR-MMP", VALID)
    y_valid = prep.panel.labels["SR-MMP"].to_numpy()[valid].astype(np.int32)
    data = prep.sources.without("SR-MMP")
    res = random_search(
        prep.X,
        data,
        valid,
        y_valid,
        n_trials=3,
        random_state=2,
        params={"n_estimators": 10},
        n_jobs=2,
    )
    assert res.n_fits == 3 and len(res.trials) == 3
    best = res.trials["valid_loss"].idxmin()
    np.testing.assert_allclose(
        res.weights.to_numpy(), res.trials.drop(columns="valid_loss").iloc[best].to_numpy()
    )
    assert np.isclose(
        validation_loss(res.model, prep.X[valid], y_valid), res.trials["valid_loss"].min()
    )
    assert res.trials["valid_loss"].nunique() == 3  # the mixtures really differ


@pytest.mark.slow
def test_regmix_trains_small_models_then_the_final_one(prep):
    from bioassay_mix.protocol.baselines import regmix
    from bioassay_mix.splits import VALID

    valid = rows(prep.codes, "SR-MMP", VALID)
    y_valid = prep.panel.labels["SR-MMP"].to_numpy()[valid].astype(np.int32)
    res = regmix(
        prep.X,
        prep.sources.without("SR-MMP"),
        valid,
        y_valid,
        n_runs=4,
        random_state=0,
        params={"n_estimators": 12},
        n_jobs=2,
    )
    assert res.n_fits == 5 and len(res.trials) == 4
    assert np.isclose(res.weights.sum(), 1.0) and (res.weights >= 0).all()
    assert res.model.get_params()["n_estimators"] == 12  # the final setting, not the small one
