"""The featurization engine: SMILES strings to CSR rows, each distinct string parsed once, in
worker processes when there is enough work.

Every featurizer's ``transform`` (and so library builds and ``fit``) and ``score`` go through
:func:`featurize_stream`, so they share one parse and one speed. Parsing dominates the time
(``benchmarks/featurize.py`` measures it), and canonical SMILES would cost about as much again.
Hence three choices:

* no canonical SMILES here: callers that merge duplicates (panels, target files) canonicalise
  themselves, and the feature cache is keyed by the input text (a pure function of text, spec
  and RDKit's version, so a key can never serve another molecule's features);
* RDKit holds the GIL while it parses, so threads do not help and worker processes do: blocks of
  :data:`BLOCK_SIZE` strings go to joblib's worker processes
  (:func:`~bioassay_mix.executor.process_map`), which start once and are reused by later calls,
  results coming back in input order with at most two blocks per worker in flight, so memory
  stays flat in the input size;
* a worker receives a :class:`~bioassay_mix.featurize.kernels.Kernel`, not a featurizer, and
  imports only RDKit, NumPy and SciPy: starting a worker is most of a first call's fixed cost.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._utils import resolve_n_jobs
from ..chem import MAX_ATOMS, parse_smiles
from ..executor import process_map
from .kernels import Kernel

#: Strings per worker task: large enough that dispatch costs nothing, small enough that a
#: block's RDKit molecules (kilobytes each) never add up to much memory.
BLOCK_SIZE = 2_000
#: Distinct strings from which :func:`featurize` uses worker processes: below it, one core's
#: work is shorter than a first call's start of the workers.
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


def featurize_block(smiles: Sequence[Any], kernel: Kernel) -> Block:
    """Parse each distinct string of ``smiles`` once (as ``Chem.MolFromSmiles`` does) and
    compute ``kernel`` on the valid ones; runs in a worker or in-process."""
    start = time.process_time()
    codes, strings = distinct(smiles)
    # a featurizer's own, lower cap is named in the reason
    limit_of = kernel.owner if kernel.max_atoms < MAX_ATOMS else None
    parsed = [
        parse_smiles(
            s,
            canonical=False,
            max_atoms=kernel.max_atoms,
            limit_of=limit_of,
            stereo=kernel.stereo,
        )
        for s in strings
    ]
    ok = [i for i, p in enumerate(parsed) if p.mol is not None]
    good = kernel([parsed[i].mol for i in ok])
    good = sp.csr_matrix(good, dtype=np.float32) if not sp.issparse(good) else good
    # each distinct string's row: its features, or the empty row after them
    position = np.full(len(strings), len(ok), dtype=np.int64)
    position[ok] = np.arange(len(ok))
    empty = sp.csr_matrix((1, kernel.width), dtype=np.float32)
    rows = sp.vstack([good.astype(np.float32), empty], format="csr")[position]
    X, reasons = spread(rows, [p.reason for p in parsed], codes, smiles)
    return Block(X, reasons, time.process_time() - start)


def distinct(smiles: Sequence[Any]) -> tuple[np.ndarray, list[str]]:
    """The distinct strings of ``smiles``, in order of first appearance, and each input's
    index among them (-1 for anything but a string: those are not deduplicated, each gets its
    own reason from :func:`spread`)."""
    index: dict[str, int] = {}
    codes = np.fromiter(
        (index.setdefault(s, len(index)) if isinstance(s, str) else -1 for s in smiles),
        dtype=np.int64,
        count=len(smiles),
    )
    return codes, list(index)


def spread(
    rows: sp.csr_matrix, reasons: Sequence[str | None], codes: np.ndarray, smiles: Sequence[Any]
) -> tuple[sp.csr_matrix, list]:
    """Every input's features and reason from those of its distinct string (``rows``,
    ``reasons``: one per distinct string, as :func:`distinct` numbered them); a non-string
    input gets an empty row and the reason :func:`~bioassay_mix.chem.parse_smiles` gives."""
    empty = sp.csr_matrix((1, rows.shape[1]), dtype=np.float32)
    X = sp.vstack([rows, empty], format="csr")[np.where(codes < 0, rows.shape[0], codes)]
    return X, [
        reasons[c] if c >= 0 else parse_smiles(s).reason for c, s in zip(codes, smiles, strict=True)
    ]


def featurize_stream(
    lists: Iterable[Sequence[Any]],
    kernel: Kernel,
    *,
    n_jobs: int | None = 1,
    block_size: int = BLOCK_SIZE,
) -> Iterator[Block]:
    """One :class:`Block` per sequence of ``lists``, in order, the work cut into blocks of
    ``block_size`` strings spread over ``n_jobs`` worker processes (1: in this process).

    ``lists`` is consumed lazily, a few blocks ahead of what has been yielded, so a stream of
    chunks read from a file is featurized with memory flat in its length.

    Examples
    --------
    >>> from bioassay_mix.featurize import MorganFingerprint
    >>> kernel = MorganFingerprint(n_bits=64).fit().kernel()
    >>> [b.reasons for b in featurize_stream([["CCO", "C1CC"], ["c1ccccc1"]], kernel)]
    [[None, 'SMILES syntax error'], [None]]
    """
    parts: deque[int] = deque()  # blocks per input sequence, in input order

    def blocks() -> Iterator[Sequence[Any]]:
        for smiles in lists:
            cut = [smiles[i : i + block_size] for i in range(0, len(smiles), block_size)]
            parts.append(len(cut) or 1)
            yield from cut or [smiles]

    jobs = resolve_n_jobs(n_jobs)
    results = (
        (featurize_block(b, kernel) for b in blocks())
        if jobs == 1
        else process_map(featurize_block, ((b, kernel) for b in blocks()), n_jobs=jobs)
    )
    pending: list[Block] = []
    for block in results:
        pending.append(block)
        if len(pending) == parts[0]:
            parts.popleft()
            yield merge(pending)
            pending = []


def featurize(smiles: Sequence[Any], kernel: Kernel, *, n_jobs: int | None = 1) -> Block:
    """:func:`featurize_stream` of one sequence; worker processes only from
    :data:`PARALLEL_MIN` strings."""
    jobs = n_jobs if len(smiles) >= PARALLEL_MIN else 1
    return next(featurize_stream([smiles], kernel, n_jobs=jobs))


def merge(blocks: Sequence[Block]) -> Block:
    """The blocks' rows, in order, as one block."""
    if len(blocks) == 1:
        return blocks[0]
    return Block(
        sp.vstack([b.X for b in blocks], format="csr"),
        [r for b in blocks for r in b.reasons],
        sum(b.cpu_s for b in blocks),
    )
