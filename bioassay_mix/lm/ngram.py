"""A word- or character-level n-gram language model with interpolated Kneser-Ney smoothing,
the built-in proxy (and small final model) of the text-domain pipeline.

Written here with NumPy because no maintained library fits: NLTK's ``KneserNeyInterpolated``
scores one token at a time in Python (hours for a few MB of text), and KenLM needs a compiled
binary to train. N-grams are encoded as base-V integers, counted with ``np.unique`` and looked
up with ``np.searchsorted``, so fitting and scoring a few MB take seconds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._inputs import one_column
from ..errors import DataError

UNK, BOS, EOS = 0, 1, 2
_SPECIALS = ("<unk>", "<s>", "</s>")
_WORD = re.compile(r"\w+|[^\w\s]")
#: Tokenisation levels: lower-cased words and punctuation, or characters.
LEVELS = ("word", "char")


def tokenize(text: str, level: str) -> list[str]:
    """Lower-cased words and punctuation marks (``word``) or characters (``char``).

    Parameters
    ----------
    text : str
        One sequence.
    level : {"word", "char"}
        The token unit.

    Returns
    -------
    list of str
    """
    if level == "word":
        return _WORD.findall(text.lower())
    if level == "char":
        return list(text)
    raise ValueError(f"level must be one of {LEVELS}, got {level!r}")


def build_vocabulary(tokenized: Sequence[Sequence[str]], min_count: int = 1) -> list[str]:
    """The tokens seen at least ``min_count`` times, sorted.

    Parameters
    ----------
    tokenized : sequence of sequence of str
        Tokenized sequences.
    min_count : int, default=1
        Fewest occurrences kept.

    Returns
    -------
    list of str
    """
    flat = [t for toks in tokenized for t in toks]
    if not flat:
        return []
    words, counts = np.unique(np.asarray(flat, dtype=str), return_counts=True)
    return words[counts >= min_count].tolist()


@dataclass
class _Order:
    """Counts of one order: sorted n-gram keys and their (raw or continuation) counts, and per
    context its total count and number of distinct following tokens."""

    keys: np.ndarray
    counts: np.ndarray
    contexts: np.ndarray
    totals: np.ndarray
    followers: np.ndarray
    discount: float


class KneserNeyLM(BaseEstimator):
    """Interpolated Kneser-Ney n-gram model (Chen & Goodman's formulation, one discount per
    order estimated as n1 / (n1 + 2 n2)).

    Tokens seen fewer than ``min_count`` times in training, or outside ``vocabulary`` when one
    is given, become ``<unk>``. Give models that will be compared or mixed the same
    ``vocabulary`` (see :func:`build_vocabulary`): only then is ``<unk>`` the same event for
    all of them. Every token has a probability above zero (the unigram level is interpolated
    with the uniform distribution), so no log-likelihood is ever -inf.

    Parameters
    ----------
    order : int, default=2
        The n of the n-grams.
    level : {"word", "char"}, default="word"
        Tokens: lower-cased words and punctuation marks, or characters.
    min_count : int, default=1
        Training tokens seen fewer times become ``<unk>``.
    vocabulary : sequence of str or None, default=None
        A fixed vocabulary instead of the training tokens.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Token ids, the specials ``<unk>``, ``<s>``, ``</s>`` first.

    Examples
    --------
    >>> lm = KneserNeyLM(order=2).fit(["the cat sat", "the dog sat"])
    >>> ll, n = lm.log_likelihood(["the cat sat"])
    >>> n.tolist(), bool(ll[0] < 0)
    ([4.0], True)
    >>> round(lm.score(["the cat sat"]), 3) == round(float(ll[0] / n[0]), 3)
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        "order": [Interval(Integral, 1, None, closed="left")],
        "level": [StrOptions(set(LEVELS))],
        "min_count": [Interval(Integral, 1, None, closed="left")],
        "vocabulary": ["array-like", None],
    }

    def __init__(
        self,
        order: int = 2,
        level: str = "word",
        min_count: int = 1,
        vocabulary: Sequence[str] | None = None,
    ):
        self.order = order
        self.level = level
        self.min_count = min_count
        self.vocabulary = vocabulary

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = False
        return tags

    def fit(self, X: Any, y: Any = None) -> KneserNeyLM:
        """Count the n-grams of ``X``.

        Parameters
        ----------
        X : sequence of str, pandas.Series or one-column pandas.DataFrame
            Training sequences (documents, sentences, SMILES, ...).
        y : ignored

        Returns
        -------
        self : KneserNeyLM
        """
        self._validate_params()
        tokens = [tokenize(t, self.level) for t in _as_texts(X)]
        if not any(tokens):
            raise DataError("cannot fit a language model on no text (every sequence is empty)")
        kept = (
            build_vocabulary(tokens, self.min_count)
            if self.vocabulary is None
            else [w for w in self.vocabulary if w not in _SPECIALS]
        )
        self.vocabulary_ = {w: i for i, w in enumerate((*_SPECIALS, *kept))}
        V = len(self.vocabulary_)
        if float(V) ** self.order >= 2.0**62:
            raise DataError(
                f"a vocabulary of {V} tokens is too large for order {self.order} "
                "(n-gram keys overflow int64): raise min_count or lower the order"
            )
        ids, pos, _ = self._encode(tokens)
        self.orders_: list[_Order] = []
        top = np.unique(self._keys(ids, pos, self.order), return_counts=True)
        keys, cnt = top
        for k in range(self.order, 0, -1):
            self.orders_.insert(0, self._order_stats(keys, cnt, V))
            if k > 1:  # continuation counts: distinct left extensions of each (k-1)-gram
                keys, cnt = np.unique(keys % V ** (k - 1), return_counts=True)
        return self

    @staticmethod
    def _order_stats(keys: np.ndarray, counts: np.ndarray, V: int) -> _Order:
        ctx, start = np.unique(keys // V, return_index=True)
        totals = np.add.reduceat(counts, start)
        followers = np.diff(np.append(start, len(keys)))
        n1, n2 = int((counts == 1).sum()), int((counts == 2).sum())
        discount = n1 / (n1 + 2 * n2) if n1 + n2 else 0.5
        return _Order(
            keys,
            counts.astype(np.float64),
            ctx,
            totals.astype(np.float64),
            followers.astype(np.float64),
            float(np.clip(discount, 0.05, 0.95)),
        )

    def _encode(self, tokens: list[list[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Padded ids of all sequences, the positions of predicted tokens and the sequence of
        each position."""
        pad = self.order - 1
        vocab = self.vocabulary_
        parts, positions, seq = [], [], []
        offset = 0
        for i, toks in enumerate(tokens):
            body = [vocab.get(t, UNK) for t in toks]
            parts.append([BOS] * pad + body + [EOS])
            n_pred = len(body) + 1
            positions.append(np.arange(offset + pad, offset + pad + n_pred))
            seq.append(np.full(n_pred, i))
            offset += pad + n_pred
        return (
            np.fromiter((x for p in parts for x in p), dtype=np.int64, count=offset),
            np.concatenate(positions),
            np.concatenate(seq),
        )

    def _keys(self, ids: np.ndarray, pos: np.ndarray, k: int) -> np.ndarray:
        """Base-V key of the k-gram ending at each position (the predicted token lowest)."""
        V = len(self.vocabulary_)
        key = np.zeros(len(pos), dtype=np.int64)
        for i in range(k - 1, -1, -1):
            key = key * V + ids[pos - i]
        return key

    def log_likelihood(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Per sequence: summed natural-log likelihood and number of predicted tokens (its
        tokens plus the end marker): what MixMin over text domains mixes.

        Parameters
        ----------
        X : sequence of str, pandas.Series or one-column pandas.DataFrame

        Returns
        -------
        loglik, n_tokens : numpy.ndarray of shape (n_sequences,)
        """
        check_is_fitted(self, "orders_")
        tokens = [tokenize(t, self.level) for t in _as_texts(X)]
        if not tokens:
            return np.zeros(0), np.zeros(0)
        ids, pos, seq = self._encode(tokens)
        p = self._probabilities(ids, pos)
        loglik = np.bincount(seq, weights=np.log(p), minlength=len(tokens))
        return loglik, np.bincount(seq, minlength=len(tokens)).astype(np.float64)

    def score(self, X: Any, y: Any = None) -> float:
        """Mean log-likelihood per token of ``X`` (nats; higher is better), so that
        ``cross_val_score`` and ``GridSearchCV`` select the model that predicts held-out text
        best.

        Parameters
        ----------
        X : sequence of str, pandas.Series or one-column pandas.DataFrame
        y : ignored

        Returns
        -------
        float
        """
        return -self.nll_per_token(X)

    def _probabilities(self, ids: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """P(ids[t] | the order-1 tokens before it) at every position t in ``pos``."""
        V = len(self.vocabulary_)
        uni = self.orders_[0]
        c1 = _lookup(uni.keys, uni.counts, ids[pos])
        D, T, N = uni.discount, uni.totals[0], uni.followers[0]
        p = np.maximum(c1 - D, 0) / T + D * N / T / V
        for k in range(2, self.order + 1):
            o = self.orders_[k - 1]
            key = self._keys(ids, pos, k)
            at = np.minimum(np.searchsorted(o.contexts, key // V), len(o.contexts) - 1)
            seen = o.contexts[at] == key // V
            T, N = o.totals[at], o.followers[at]
            c = _lookup(o.keys, o.counts, key)
            p = np.where(seen, np.maximum(c - o.discount, 0) / T + o.discount * N / T * p, p)
        return p

    def nll_per_token(self, X: Any) -> float:
        """Negative log-likelihood per token (nats) over the sequences ``X``.

        Parameters
        ----------
        X : sequence of str
            Sequences.

        Returns
        -------
        float
        """
        ll, n = self.log_likelihood(X)
        return float(-ll.sum() / n.sum())


def _as_texts(X: Any) -> list[str]:
    """``X`` (a sequence, array, Series or one-column frame of text) as a list of str."""
    texts = one_column(X, item="text", items="texts")
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:
        raise DataError(f"text {bad} is {type(texts[bad]).__name__}, not str")
    return texts


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    at = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return np.where(keys[at] == query, values[at], 0.0)
