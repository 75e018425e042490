"""The text-domain pipeline on slices of the real domains."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bioassay_mix.errors import DataError
from bioassay_mix.lm import (
    KneserNeyLM,
    LMMixConfig,
    lm_mix,
    load_text_domain,
    mixture_nll,
    proxy_loglik,
    sample_corpus,
)

SOURCES = ("fortunes_computing", "scripture_kjv", "legal_licenses", "dictionary_wordnet")


@pytest.fixture(scope="module")
def domains():
    return {d: load_text_domain(d)[:1500] for d in SOURCES}


@pytest.fixture(scope="module")
def target():
    return load_text_domain("fortunes_society")[:800]


@pytest.fixture(scope="module")
def result(domains, target):
    return lm_mix(
        domains,
        target,
        target_name="fortunes_society",
        config=LMMixConfig(random_search=3, verbose=False),
    )


@pytest.mark.slow
def test_pipeline_reports_every_method_and_mixmin_is_optimal_for_the_ensemble(result, domains):
    assert result.report["method"].tolist() == ["natural", "balanced", "random_search", "mixmin"]
    w = result.weights
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    assert list(w.columns) == list(SOURCES) and (w.to_numpy() >= 0).all()
    # quotations are served best by the other quotations, not by scripture or licences
    assert w.loc["mixmin"].idxmax() == "fortunes_computing"
    assert result.solver.converged and result.solver.gap <= 1e-6
    rep = result.report.set_index("method")
    assert np.isfinite(rep.to_numpy()).all() and (rep.to_numpy() > 0).all()
    assert rep.loc["mixmin", "nll_ensemble"] <= rep.loc["balanced", "nll_ensemble"]
    assert result.mixmin_extra_compute > 0
    assert set(result.timings) >= {"proxies", "proxy_scoring", "solve", "final_fit_mean"}


@pytest.mark.slow
def test_same_seed_same_weights_and_scores(result, domains, target):
    again = lm_mix(
        domains,
        target,
        target_name="fortunes_society",
        config=LMMixConfig(random_search=3, verbose=False),
    )
    pd.testing.assert_frame_equal(again.weights, result.weights)
    pd.testing.assert_frame_equal(again.report, result.report)


def test_mixture_nll_is_the_weighted_logsumexp():
    ll = pd.DataFrame({"a": [-3.0, -2.0], "b": [-1.0, -np.inf]})
    lengths = np.array([2.0, 1.0])
    w = pd.Series({"a": 0.25, "b": 0.75})
    direct = -(np.log(0.25 * np.exp(-3) + 0.75 * np.exp(-1)) + np.log(0.25 * np.exp(-2))) / 3
    assert np.isclose(mixture_nll(ll, lengths, w), direct)
    assert np.isclose(mixture_nll(ll, lengths, pd.Series({"a": 1.0, "b": 0.0})), 5 / 3)


def test_sample_corpus_follows_the_quotas_and_repeats_small_domains():
    domains = {"big": [f"b{i} x" for i in range(1000)], "small": ["s y", "s z"]}
    counts = {"big": np.full(1000, 3.0), "small": np.full(2, 3.0)}
    corpus = sample_corpus(
        domains, counts, pd.Series({"big": 0.5, "small": 0.5}), 60, random_state=0
    )
    assert sum(t.startswith("b") for t in corpus) == 10  # 30 tokens / 3 per sequence
    assert sum(t.startswith("s") for t in corpus) == 10  # 2 sequences, 5 epochs
    none = sample_corpus(domains, counts, pd.Series({"big": 1.0, "small": 0.0}), 30)
    assert not any(t.startswith("s") for t in none)
    assert sample_corpus(domains, counts, pd.Series({"big": 1.0, "small": 0.0}), 30) == none
    once = sample_corpus(
        domains, counts, pd.Series({"big": 0.5, "small": 0.5}), 60, repeat=False, random_state=0
    )
    assert sorted(t for t in once if t.startswith("s")) == ["s y", "s z"]  # all it has, once


@pytest.mark.slow
def test_custom_proxies_and_final_model(domains, target):
    proxies = {d: KneserNeyLM(order=1).fit(t) for d, t in list(domains.items())[:2]}
    built = []

    def final(texts):
        built.append(len(texts))
        return KneserNeyLM(order=1).fit(texts)

    res = lm_mix(
        {d: domains[d] for d in proxies},
        target,
        proxies=proxies,
        final_factory=final,
        config=LMMixConfig(random_search=0, verbose=False),
    )
    assert len(built) == 3 and res.report["method"].tolist() == ["natural", "balanced", "mixmin"]


@pytest.mark.slow
def test_proxies_must_agree_on_token_counts_and_give_numbers(domains):
    class Fixed:
        def __init__(self, ll, n):
            self.ll, self.n = ll, n

        def log_likelihood(self, texts):
            return np.full(len(texts), self.ll), np.full(len(texts), self.n)

    with pytest.raises(DataError, match="'b' and 'c' count 3 and 4 tokens in sequence 0"):
        proxy_loglik({"b": Fixed(-1.0, 3), "c": Fixed(-1.0, 4)}, ["x"])
    with pytest.raises(DataError, match="proxy 'n' gave log-likelihood nan to sequence 0"):
        proxy_loglik({"n": Fixed(np.nan, 3)}, ["x"])


@pytest.mark.slow
def test_empty_domain_or_target_is_refused(domains, target):
    with pytest.raises(DataError, match="domain 'void' has no text"):
        lm_mix({**domains, "void": ["", " "]}, target)
    with pytest.raises(DataError, match="target 't' has no text"):
        lm_mix(domains, ["", ""], target_name="t")


class _Scripted:
    """A proxy with given log-likelihoods (one per sequence), 2 tokens per sequence."""

    def __init__(self, ll):
        self.ll = np.asarray(ll, dtype=float)

    def log_likelihood(self, texts):
        return self.ll[: len(texts)], np.full(len(texts), 2.0)


def test_minus_inf_log_likelihoods_are_handled_or_named():
    from bioassay_mix.solver import solve

    # a proxy that cannot produce some sequences (probability 0) just gets no mass there
    ll, n = proxy_loglik(
        {"a": _Scripted([-1.0, -2.0, -np.inf]), "b": _Scripted([-3, -3, -3])}, ["x", "y", "z"]
    )
    res = solve(ll, loss="log_likelihood", lengths=n)
    assert np.isfinite(res.objective) and res.weights["b"] > 0
    # probability 1 (log-likelihood 0) is fine too
    assert np.isfinite(
        mixture_nll(pd.DataFrame({"a": [0.0]}), np.array([1.0]), pd.Series({"a": 1.0}))
    )
    # a sequence no proxy can produce is an error naming it
    ll, n = proxy_loglik(
        {"a": _Scripted([-1.0, -np.inf]), "b": _Scripted([-2.0, -np.inf])}, ["x", "y"]
    )
    with pytest.raises(DataError, match="sequence 1 has log-likelihood -inf under every source"):
        solve(ll, loss="log_likelihood", lengths=n)
