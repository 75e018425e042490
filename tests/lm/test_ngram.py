"""The Kneser-Ney n-gram model: a proper distribution, better with more context, fast on MBs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from bioassay_mix.errors import DataError
from bioassay_mix.lm import KneserNeyLM, load_text_domain, tokenize


@pytest.fixture(scope="module")
def kjv():
    lines = load_text_domain("scripture_kjv")
    return lines[:-2000], lines[-2000:]


@pytest.mark.parametrize(("order", "level"), [(1, "word"), (2, "word"), (3, "word"), (3, "char")])
def test_next_token_probabilities_sum_to_one_in_any_context(order, level):
    m = KneserNeyLM(order=order, level=level).fit(["a b c a b", "b c a", "c c a b", "a a"])
    V = len(m.vocabulary_)
    rng = np.random.default_rng(0)
    for _ in range(5):
        ctx = rng.integers(0, V, size=order - 1).tolist()
        ids = np.array([x for w in range(V) for x in (*ctx, w)])
        pos = np.arange(order - 1, len(ids), order)
        p = m._probabilities(ids, pos)
        assert (p > 0).all() and np.isclose(p.sum(), 1.0)


@pytest.mark.slow
def test_higher_order_fits_held_out_text_better_and_scores_count_tokens(kjv):
    train, test = kjv
    nll = [KneserNeyLM(order=k).fit(train).nll_per_token(test) for k in (1, 2, 3)]
    assert nll[0] > nll[1] > nll[2]
    ll, n = KneserNeyLM(order=2).fit(train).log_likelihood(["In the beginning God", ""])
    assert n.tolist() == [5.0, 1.0] and (ll < 0).all()  # 4 words + end; an empty line: end only


@pytest.mark.slow
def test_unseen_tokens_get_finite_log_likelihood_and_vocabulary_is_shared(kjv):
    train, _ = kjv
    shared = ["god", "the", "zebra"]
    m = KneserNeyLM(order=2, vocabulary=shared).fit(train[:200])
    assert list(m.vocabulary_)[3:] == shared
    ll, _ = m.log_likelihood(["quantum chromodynamics zebra"])
    assert np.isfinite(ll).all()
    assert tokenize("Hello, World!", "word") == ["hello", ",", "world", "!"]


def test_bad_settings_and_empty_training_text():
    with pytest.raises(DataError, match="no text"):
        KneserNeyLM().fit(["", "   "])
    with pytest.raises(NotFittedError):
        KneserNeyLM().log_likelihood(["a"])
    with pytest.raises(DataError, match="text 1 is int"):
        KneserNeyLM().fit(["a b", 3])
    with pytest.raises(ValueError, match="level"):
        KneserNeyLM(level="byte").fit(["a"])
    words = [f"w{i}" for i in range(5000)]
    with pytest.raises(DataError, match="overflow"):
        KneserNeyLM(order=6).fit([" ".join(words)])


@parametrize_with_checks([KneserNeyLM()])
def test_sklearn_checks(estimator, check):
    # text input is declared (input_tags.string), as scikit-learn's text vectorizers declare
    # theirs, so the numeric-array checks do not apply; the text contract is tested here
    check(estimator)


@pytest.mark.slow
def test_model_selection_over_text(kjv):
    train, _ = kjv
    texts = train[:600]
    # score is the mean log-likelihood per token: higher is better, as model selection wants
    scores = cross_val_score(KneserNeyLM(order=2), texts, cv=3)
    assert scores.shape == (3,) and (scores < 0).all()
    search = GridSearchCV(KneserNeyLM(), {"order": [1, 2]}, cv=3).fit(pd.Series(texts))
    assert search.best_params_ == {"order": 2}
    assert search.best_estimator_.score(texts) > search.cv_results_["mean_test_score"].max()
