"""The featurization engine: SMILES strings to CSR rows, each distinct string parsed once, in
worker processes when there is enough work.

Every featurizer's ``transform`` (and so library builds and ``fit``) and ``score`` go through
:func:`featurize_stream`, so they share one parse and one speed. Where the time goes, on HIV's
drug-like molecules with one core: RDKit parses 4,390 molecules/s and folds their Morgan bits at
20,225/s, and canonical SMILES cost about as much again as the parse. Hence two choices:

* no canonical SMILES here: callers that merge duplicates (panels, target files) canonicalise
  themselves, and the feature cache is keyed by the input text (a pure function of text, spec
  and RDKit's version, so a key can never serve another molecule's features);
* RDKit holds the GIL while it parses, so threads do not help and worker processes do: blocks of
  :data:`BLOCK_SIZE` strings go to joblib's worker processes
  (:func:`~bioassay_mix.executor.process_map`), which start once and are reused by later calls
  (starting costs about a second: they import RDKit and this package), results coming back in
  input order with at most two blocks per worker in flight, so memory stays flat in the input
  size.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._utils import resolve_n_jobs
from ..chem import MAX_ATOMS, parse_smiles
from ..executor import process_map
from .spec import featurizer_from_spec

#: Strings per worker task: large enough that dispatch costs nothing, small enough that a
#: block's RDKit molecules (kilobytes each) never add up to much memory.
BLOCK_SIZE = 2_000
#: Distinct strings from which :func:`featurize` uses worker processes: about a second of one
#: core's work, which a warm pool halves; a first call also pays the pool's start (~1.5 s).
PARALLEL_MIN = 2 * BLOCK_SIZE


@dataclass(frozen=True)
class Block:
    """Features of a sequence of SMILES strings.

    Attributes
    ----------
    X : scipy.sparse.csr_matrix of shape (n_strings, n_features), float32
        One row per string; the row of a string that failed is empty.
    reasons : list of (str or None)
        Why each string failed; ``None`` where it parsed.
    cpu_s : float
        CPU seconds spent on it, in whichever processes did the work.
    """

    X: sp.csr_matrix
    reasons: list
    cpu_s: float

    @property
    def valid(self) -> np.ndarray:
        """Boolean mask of the strings that parsed."""
        return np.fromiter((r is None for r in self.reasons), dtype=bool, count=len(self.reasons))


def featurize_block(smiles: Sequence[Any], spec: dict[str, Any]) -> Block:
    """Parse each distinct string of ``smiles`` once (as ``Chem.MolFromSmiles`` does) and
    featurize the valid ones with the featurizer of ``spec``; runs in a worker or in-process."""
    start = time.process_time()
    featurizer = _featurizer(json.dumps(spec, sort_keys=True, default=str))
    codes, strings = distinct(smiles)
    # a featurizer's own, lower cap is named in the reason
    limit_of = type(featurizer).__name__ if featurizer.max_atoms < MAX_ATOMS else None
    parsed = [parse_smiles(s, canonical=False, max_atoms=featurizer.max_atoms,
                           limit_of=limit_of) for s in strings]
    ok = [i for i, p in enumerate(parsed) if p.mol is not None]
    good = featurizer._compute([parsed[i].mol for i in ok])
    good = sp.csr_matrix(good, dtype=np.float32) if not sp.issparse(good) else good
    # each distinct string's row: its features, or the empty row after them
    position = np.full(len(strings), len(ok), dtype=np.int64)
    position[ok] = np.arange(len(ok))
    empty = sp.csr_matrix((1, featurizer.n_features_out_), dtype=np.float32)
    rows = sp.vstack([good.astype(np.float32), empty], format="csr")[position]
    X, reasons = spread(rows, [p.reason for p in parsed], codes, smiles)
    return Block(X, reasons, time.process_time() - start)


def distinct(smiles: Sequence[Any]) -> tuple[np.ndarray, list[str]]:
    """The distinct strings of ``smiles`` and each input's index among them (-1 for anything
    but a string: those are not deduplicated, each gets its own reason from :func:`spread`)."""
    codes, strings = pd.factorize(pd.Series(
        [s if isinstance(s, str) else None for s in smiles], dtype=object))
    return codes, list(strings)


def spread(rows: sp.csr_matrix, reasons: Sequence[str | None], codes: np.ndarray,
           smiles: Sequence[Any]) -> tuple[sp.csr_matrix, list]:
    """Every input's features and reason from those of its distinct string (``rows``,
    ``reasons``: one per distinct string, as :func:`distinct` numbered them); a non-string
    input gets an empty row and the reason :func:`~bioassay_mix.chem.parse_smiles` gives."""
    empty = sp.csr_matrix((1, rows.shape[1]), dtype=np.float32)
    X = sp.vstack([rows, empty], format="csr")[np.where(codes < 0, rows.shape[0], codes)]
    return X, [reasons[c] if c >= 0 else parse_smiles(s).reason
               for c, s in zip(codes, smiles, strict=True)]


@lru_cache(maxsize=8)
def _featurizer(spec_json: str):
    return featurizer_from_spec(json.loads(spec_json), n_jobs=1)


def featurize_stream(lists: Iterable[Sequence[Any]], spec: dict[str, Any], *,
                     n_jobs: int | None = 1, block_size: int = BLOCK_SIZE) -> Iterator[Block]:
    """One :class:`Block` per sequence of ``lists``, in order, the work cut into blocks of
    ``block_size`` strings spread over ``n_jobs`` worker processes (1: in this process).

    ``lists`` is consumed lazily, a few blocks ahead of what has been yielded, so a stream of
    chunks read from a file is featurized with memory flat in its length.

    Examples
    --------
    >>> from bioassay_mix.featurize import MorganFingerprint
    >>> spec = MorganFingerprint(n_bits=64).spec()
    >>> [b.reasons for b in featurize_stream([["CCO", "C1CC"], ["c1ccccc1"]], spec)]
    [[None, 'SMILES syntax error'], [None]]
    """
    parts: deque[int] = deque()  # blocks per input sequence, in input order

    def blocks() -> Iterator[Sequence[Any]]:
        for smiles in lists:
            cut = [smiles[i:i + block_size] for i in range(0, len(smiles), block_size)]
            parts.append(len(cut) or 1)
            yield from cut or [smiles]

    jobs = resolve_n_jobs(n_jobs)
    results = (featurize_block(b, spec) for b in blocks()) if jobs == 1 else \
        process_map(featurize_block, ((b, spec) for b in blocks()), n_jobs=jobs)
    pending: list[Block] = []
    for block in results:
        pending.append(block)
        if len(pending) == parts[0]:
            parts.popleft()
            yield merge(pending)
            pending = []


def featurize(smiles: Sequence[Any], spec: dict[str, Any], *, n_jobs: int | None = 1) -> Block:
    """:func:`featurize_stream` of one sequence; worker processes only from
    :data:`PARALLEL_MIN` strings."""
    jobs = n_jobs if len(smiles) >= PARALLEL_MIN else 1
    return next(featurize_stream([smiles], spec, n_jobs=jobs))


def merge(blocks: Sequence[Block]) -> Block:
    """The blocks' rows, in order, as one block."""
    if len(blocks) == 1:
        return blocks[0]
    return Block(sp.vstack([b.X for b in blocks], format="csr"),
                 [r for b in blocks for r in b.reasons], sum(b.cpu_s for b in blocks))
