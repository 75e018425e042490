import numpy as np
import pandas as pd
import pytest

from bioassay_mix import MixMin
from bioassay_mix.errors import DataError
from bioassay_mix.mixture import observed_label_proba, source_row_weights


def test_mixmin_estimator_recovers_the_generating_source():
    rng = np.random.default_rng(0)
    p_true = rng.uniform(0.05, 0.95, 2000)
    y = (rng.uniform(size=2000) < p_true).astype(int)
    P = pd.DataFrame({"good": p_true, "noise": rng.uniform(size=2000),
                      "flipped": 1 - p_true})
    mm = MixMin().fit(P, y)
    assert mm.weights_.idxmax() == "good" and mm.weights_["good"] > 0.9
    assert mm.converged_ and mm.gap_ <= 1e-6
    proba = mm.predict_proba(P)
    np.testing.assert_allclose(proba[:, 1], P.to_numpy() @ mm.weights_.to_numpy())
    assert mm.get_params()["loss"] == "cross_entropy"


def test_observed_label_proba_and_label_check():
    P = np.array([[0.9, 0.2], [0.3, 0.6]])
    np.testing.assert_allclose(observed_label_proba(P, [1, 0]), [[0.9, 0.2], [0.7, 0.4]])
    with pytest.raises(DataError, match="binary"):
        observed_label_proba(P, [1, 2])


def test_source_row_weights_follow_the_papers_rule():
    w = pd.Series({"a": 0.5, "b": 0.25, "c": 0.25, "d": 1e-9})
    n = {"a": 100, "b": 400, "c": 50, "d": 10}
    rw = source_row_weights(w, n)
    assert rw["a"] == pytest.approx(1.0 * 400 / 100)
    assert rw["b"] == pytest.approx(0.5 * 1.0)
    assert rw["d"] == 0.0  # pruned: below 1e-4 of the top weight
    mass = rw * pd.Series(n)
    assert mass["a"] / mass["b"] == pytest.approx(2.0)
    with pytest.raises(DataError, match="without rows"):
        source_row_weights(w, {"a": 1})


def test_nan_in_a_proxy_matrix_is_refused_with_its_position():
    P = pd.DataFrame({"a": [0.2, np.nan, 0.4], "b": [0.5, 0.5, 0.5]})
    with pytest.raises(DataError, match="row 1, source 0"):
        MixMin().fit(P, [0, 1, 0])
