"""Mixture training rows and the mixture baselines, on real Tox21 data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bioassay_mix import RunConfig
from bioassay_mix.baselines import fit_mixture, mixture_rows
from bioassay_mix.experiment import prepare
from bioassay_mix.mixture import source_row_weights
from bioassay_mix.proxies import fit_classifier
from bioassay_mix.splits import TEST, rows


@pytest.fixture(scope="module")
def prep(small_panel):
    fast = {"n_estimators": 20}
    return prepare(small_panel, config=RunConfig(proxy_params=fast, n_bits=1024, n_jobs=2,
                                                 seed=1, verbose=False))


@pytest.mark.parametrize("weights", [None, "dirichlet"])
def test_merged_rows_train_the_same_model_as_the_concatenation(prep, weights):
    data = prep.sources.without("NR-AR")
    sources = list(data.rows)
    w = None if weights is None else pd.Series(
        np.random.default_rng(0).dirichlet(np.ones(len(sources))), index=sources)
    row_w = pd.Series(1.0, index=sources) if w is None else source_row_weights(w, data.counts())
    idx = np.concatenate([data.rows[s] for s in sources])
    y = np.concatenate([data.labels[s] for s in sources])
    sw = np.concatenate([np.full(len(data.rows[s]), row_w[s]) for s in sources])
    fast = {"n_estimators": 20}
    concatenated = fit_classifier(prep.X[idx], y, params=fast, sample_weight=sw, n_jobs=2)
    merged = fit_mixture(prep.X, data, w, params=fast, n_jobs=2)
    test = rows(prep.codes, "NR-AR", TEST)
    np.testing.assert_allclose(merged.predict_proba(prep.X[test]),
                               concatenated.predict_proba(prep.X[test]), atol=1e-6)

    m_idx, m_y, m_w = mixture_rows(data, w)
    assert len(m_idx) < len(idx) and len(m_idx) <= 2 * len(np.unique(idx))
    assert np.isclose(m_w.sum(), sw.sum())
    # a (compound, label) pair appears once, with the summed weight of its copies
    assert len(set(zip(m_idx.tolist(), m_y.tolist(), strict=True))) == len(m_idx)
    first = (idx == m_idx[0]) & (y == m_y[0])
    assert np.isclose(m_w[0], sw[first].sum())
