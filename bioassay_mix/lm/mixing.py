"""MixMin over text domains: a proxy language model per domain, the target's sample scored by
every proxy, generative MixMin weights, a training corpus sampled by the weights, a final model
trained on it, and held-out NLL per token against natural, balanced and random-search mixtures."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from .._utils import progress
from ..errors import DataError
from ..mixture_search import dirichlet_mixtures
from ..solver import MixMinResult, solve
from .ngram import KneserNeyLM, build_vocabulary, tokenize
from .text import split_target

logger = logging.getLogger(__name__)


class SequenceScorer(Protocol):
    """What a proxy must do: per sequence, the summed natural-log likelihood and the number of
    predicted tokens (KneserNeyLM, HFCausalLM or your own).

    Parameters
    ----------
    *args, **kwargs
        A protocol is a type to check against, never instantiated.
    """

    def log_likelihood(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Each sequence's summed log-likelihood (nats) and its number of predicted tokens.

        Parameters
        ----------
        texts : sequence of str
            The sequences.

        Returns
        -------
        loglik : numpy.ndarray of shape (n_texts,)
        n_tokens : numpy.ndarray of shape (n_texts,)
        """


@dataclass
class LMMixConfig:
    """Settings of :func:`lm_mix`; every random step derives from ``seed``.

    Parameters
    ----------
    order : int, default=2
        The proxies' n-gram order.
    final_order : int or None, default=None
        The final model's order (None: ``order``).
    level : {"word", "char"}, default="word"
        Tokens: words and punctuation marks, or characters.
    min_count : int, default=2
        Rarer tokens become ``<unk>`` (one vocabulary shared by every model).
    n_tokens : int or None, default=None
        The final model's token budget (None: the median domain's size).
    repeat : bool, default=True
        Repeat a domain smaller than its quota; ``False``: it gives all it has once and the
        corpus is smaller.
    sample : float or int, default=0.2
        Target sequences MixMin sees (a fraction or a count); the rest is held out.
    random_search : int, default=8
        Random mixtures tried, each training a final model; 0 turns it off.
    seed : int, default=0
        Seed of every random step.
    tol : float, default=1e-6
        Duality gap the solver certifies.
    verbose : bool, default=True
        Show progress.
    """

    order: int = 2
    final_order: int | None = None
    level: str = "word"
    min_count: int = 2
    n_tokens: int | None = None
    repeat: bool = True
    sample: float | int = 0.2
    random_search: int = 8
    seed: int = 0
    tol: float = 1e-6
    verbose: bool = True


@dataclass
class LMMixResult:
    """Mixture weights per method (rows) over the source domains, and per method the held-out
    target NLL per token of the final model trained on that mixture (``nll_trained``) and of the
    weighted ensemble of the proxies (``nll_ensemble``).

    Parameters
    ----------
    target : str
        The target's name.
    weights : pandas.DataFrame
        Methods x source domains.
    report : pandas.DataFrame
        One row per method: ``nll_trained``, ``nll_ensemble``.
    solver : MixMinResult
        MixMin's solve, with its certificate.
    timings : dict of str to float, default={}
        Wall seconds per stage.
    """

    target: str
    weights: pd.DataFrame
    report: pd.DataFrame
    solver: MixMinResult
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def mixmin_extra_compute(self) -> float:
        """MixMin's own work (proxies, scoring, solve) as a fraction of training one final
        model (the mean over the mixtures trained)."""
        own = sum(self.timings[k] for k in ("proxies", "proxy_scoring", "solve"))
        return own / self.timings["final_fit_mean"]


def proxy_loglik(
    proxies: Mapping[str, SequenceScorer], texts: Sequence[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Every proxy's log-likelihood of every sequence and the sequences' token counts, which all
    proxies must agree on (the objective is per token).

    Parameters
    ----------
    proxies : mapping of str to SequenceScorer
        Fitted proxies by domain name.
    texts : sequence of str
        The target's sequences.

    Returns
    -------
    loglik : pandas.DataFrame
        Sequences x proxies.
    lengths : numpy.ndarray of shape (n_texts,)
        Tokens per sequence.
    """
    columns, lengths = {}, None
    for name, model in proxies.items():
        ll, n = (np.asarray(v, dtype=np.float64) for v in model.log_likelihood(texts))
        if ll.shape != (len(texts),) or n.shape != (len(texts),):
            raise DataError(
                f"proxy {name!r} returned {ll.shape[0]} scores for {len(texts)} sequences"
            )
        bad = np.isnan(ll) | np.isposinf(ll)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise DataError(f"proxy {name!r} gave log-likelihood {ll[j]} to sequence {j}")
        if lengths is None:
            lengths, first = n, name
        elif not np.array_equal(n, lengths):
            j = int(np.flatnonzero(n != lengths)[0])
            raise DataError(
                f"proxies {first!r} and {name!r} count {lengths[j]:.0f} and "
                f"{n[j]:.0f} tokens in sequence {j}: proxies must share a tokenizer"
            )
        columns[name] = ll
    return pd.DataFrame(columns), lengths


def mixture_nll(loglik: pd.DataFrame, lengths: np.ndarray, weights: pd.Series) -> float:
    """NLL per token of the mixture sum_p w_p p_p(x) (log space, weighted logsumexp).

    Parameters
    ----------
    loglik : pandas.DataFrame
        Sequences x proxies, as :func:`proxy_loglik` gives it.
    lengths : numpy.ndarray
        Tokens per sequence.
    weights : pandas.Series
        Mixture weights over ``loglik``'s columns.

    Returns
    -------
    float
    """
    w = weights.reindex(loglik.columns).fillna(0.0).to_numpy()
    per_seq = logsumexp(loglik.to_numpy(), b=np.broadcast_to(w, loglik.shape), axis=1)
    return float(-per_seq.sum() / lengths.sum())


def sample_corpus(
    domains: Mapping[str, list[str]],
    token_counts: Mapping[str, np.ndarray],
    weights: pd.Series,
    n_tokens: int,
    *,
    repeat: bool = True,
    random_state: int = 0,
) -> list[str]:
    """About ``n_tokens`` tokens of training text, domain p contributing ~ w_p * n_tokens: its
    sequences in a seeded random order, repeated (further epochs) when the quota exceeds it, or
    with ``repeat=False`` each sequence at most once.

    Parameters
    ----------
    domains : mapping of str to list of str
        Sequences per domain.
    token_counts : mapping of str to numpy.ndarray
        Tokens of each domain's sequences.
    weights : pandas.Series
        The mixture, over ``domains``.
    n_tokens : int
        The budget.
    repeat : bool, default=True
        Repeat a domain smaller than its quota.
    random_state : int, default=0
        Seed of the order.

    Returns
    -------
    list of str
    """
    rng = np.random.default_rng(random_state)
    corpus: list[str] = []
    for name, w in weights.items():
        quota = w * n_tokens
        if quota <= 0:
            continue
        counts = token_counts[name]
        order = rng.permutation(len(counts))
        epochs, rest = divmod(quota, counts.sum())
        if not repeat and epochs:
            epochs, rest = 1, 0
        take = np.searchsorted(np.cumsum(counts[order]), rest, side="right")
        texts = domains[name]
        corpus += [texts[i] for i in order] * int(epochs) + [texts[i] for i in order[:take]]
    return corpus


def lm_mix(
    domains: Mapping[str, list[str]],
    target: list[str],
    *,
    target_name: str = "target",
    config: LMMixConfig | None = None,
    proxies: Mapping[str, SequenceScorer] | None = None,
    final_factory: Callable[[list[str]], SequenceScorer] | None = None,
) -> LMMixResult:
    """Find the mixture of ``domains`` for ``target`` with MixMin and compare it with natural
    (size-proportional), balanced and random-search mixtures on the target's held-out sequences.

    Parameters
    ----------
    domains : mapping of str to list of str
        Source domains: name -> sequences.
    target : list of str
        The target's sequences.
    target_name : str, default="target"
        Its name in the result.
    config : LMMixConfig or None, default=None
        Settings (None: the defaults).
    proxies : mapping of str to SequenceScorer or None, default=None
        Fitted proxies by domain, replacing the default n-gram proxies, e.g. with
        :class:`~bioassay_mix.lm.hf.HFCausalLM` models.
    final_factory : callable or None, default=None
        ``final_factory(texts)`` returns the fitted final model (default: a Kneser-Ney model of
        ``final_order`` on the shared vocabulary).

    Returns
    -------
    LMMixResult
    """
    cfg = config or LMMixConfig()
    _check_inputs(domains, target, target_name)
    clock: dict[str, float] = {}
    sample, held_out = split_target(target, cfg.sample, random_state=cfg.seed)
    tokenized = {d: [tokenize(t, cfg.level) for t in texts] for d, texts in domains.items()}
    token_counts = {
        d: np.array([len(t) + 1 for t in toks], dtype=np.float64) for d, toks in tokenized.items()
    }
    vocabulary = build_vocabulary([t for toks in tokenized.values() for t in toks], cfg.min_count)
    start = time.perf_counter()
    if proxies is None:
        proxies = {
            d: KneserNeyLM(cfg.order, cfg.level, vocabulary=vocabulary).fit(texts)
            for d, texts in progress(
                domains.items(), desc="proxies", total=len(domains), verbose=cfg.verbose
            )
        }
    clock["proxies"] = time.perf_counter() - start
    start = time.perf_counter()
    ll_sample, len_sample = proxy_loglik(proxies, sample)
    ll_held, len_held = proxy_loglik(proxies, held_out)
    clock["proxy_scoring"] = time.perf_counter() - start
    start = time.perf_counter()
    result = solve(
        ll_sample, loss="log_likelihood", lengths=len_sample, tol=cfg.tol, names=[target_name]
    )
    clock["solve"] = time.perf_counter() - start

    if final_factory is None:

        def final_factory(texts: list[str]) -> SequenceScorer:
            return KneserNeyLM(cfg.final_order or cfg.order, cfg.level, vocabulary=vocabulary).fit(
                texts
            )

    sizes = pd.Series({d: c.sum() for d, c in token_counts.items()})
    n_tokens = int(cfg.n_tokens or sizes.median())
    fit_times: list[float] = []

    def train(w: pd.Series) -> SequenceScorer:
        corpus = sample_corpus(
            domains, token_counts, w, n_tokens, repeat=cfg.repeat, random_state=cfg.seed
        )
        begin = time.perf_counter()
        model = final_factory(corpus)
        fit_times.append(time.perf_counter() - begin)
        return model

    mixtures = {
        "natural": sizes / sizes.sum(),
        "balanced": pd.Series(1.0 / len(sizes), index=sizes.index),
    }
    models = {m: train(w) for m, w in mixtures.items()}
    if cfg.random_search:
        start = time.perf_counter()
        best = None
        for _, w in dirichlet_mixtures(
            list(domains), cfg.random_search, random_state=cfg.seed
        ).iterrows():
            model = train(w)
            loss = _nll(model, sample)  # chosen on the sample MixMin sees, never the held-out
            if best is None or loss < best[0]:
                best = (loss, w.rename(None), model)
        mixtures["random_search"], models["random_search"] = best[1], best[2]
        clock["random_search"] = time.perf_counter() - start
    mixtures["mixmin"] = result.weights
    models["mixmin"] = train(result.weights)
    clock["final_fit_mean"] = float(np.mean(fit_times))
    report = pd.DataFrame(
        [
            {
                "method": m,
                "nll_trained": _nll(models[m], held_out),
                "nll_ensemble": mixture_nll(ll_held, len_held, mixtures[m]),
            }
            for m in mixtures
        ]
    )
    weights = pd.DataFrame(mixtures).T.reindex(columns=list(domains))
    return LMMixResult(
        target_name, weights, report, result, {k: round(v, 4) for k, v in clock.items()}
    )


def _nll(model: SequenceScorer, texts: Sequence[str]) -> float:
    ll, n = model.log_likelihood(texts)
    return float(-np.sum(ll) / np.sum(n))


def _check_inputs(domains: Mapping[str, list[str]], target: list[str], target_name: str) -> None:
    if len(domains) < 1:
        raise DataError("need at least one source domain")
    for name, texts in domains.items():
        if not any(t.strip() for t in texts):
            raise DataError(f"domain {name!r} has no text")
    if not any(t.strip() for t in target):
        raise DataError(f"target {target_name!r} has no text")
