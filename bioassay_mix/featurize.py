"""Morgan fingerprints as a scikit-learn transformer, computed in bulk and cached on disk.

Fingerprints are returned as SciPy CSR matrices (float32): a 2048-bit Morgan fingerprint has
about 50 bits set, and XGBoost's ``hist`` builds its histograms over non-zeros only, which makes
training on large pooled mixtures several times faster than on dense arrays.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp
from rdkit.Chem import rdFingerprintGenerator
from sklearn.base import BaseEstimator, TransformerMixin

from ._utils import atomic_path, resolve_n_jobs, sha256_bytes
from .chem import parse_many
from .errors import DataError

logger = logging.getLogger(__name__)


class MorganFingerprint(TransformerMixin, BaseEstimator):
    """RDKit Morgan (ECFP-like) fingerprints of SMILES strings.

    Parameters
    ----------
    radius, n_bits : Morgan radius (2 is ECFP4) and folded length.
    counts : count fingerprint (occurrences, capped at 255) instead of bits.
    include_chirality : use chirality in the atom invariants.
    n_jobs : threads for RDKit's bulk generator (-1: all cores).
    cache_dir : folder for an on-disk cache keyed by canonical SMILES and these parameters.
    strict : raise on an invalid SMILES (default). With ``strict=False`` invalid rows are left
        out of the output and listed in ``invalid_`` (row, smiles, reason).
    """

    def __init__(self, radius: int = 2, n_bits: int = 2048, counts: bool = False,
                 include_chirality: bool = False, n_jobs: int | None = 1,
                 cache_dir: str | os.PathLike | None = None, strict: bool = True):
        self.radius = radius
        self.n_bits = n_bits
        self.counts = counts
        self.include_chirality = include_chirality
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.strict = strict

    def fit(self, X=None, y=None) -> MorganFingerprint:
        if int(self.radius) < 0 or int(self.n_bits) < 1:
            raise ValueError(f"radius must be >= 0 and n_bits >= 1, got {self.radius}, "
                             f"{self.n_bits}")
        self.n_features_out_ = int(self.n_bits)
        return self

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray([f"morgan{self.radius}_{i}" for i in range(self.n_bits)], dtype=object)

    def transform(self, X) -> sp.csr_matrix:
        """Fingerprints of ``X`` (a sequence of SMILES, a Series, or a one-column DataFrame)."""
        if not hasattr(self, "n_features_out_"):
            self.fit()
        smiles = _as_smiles_list(X)
        parsed = parse_many(smiles)
        invalid = [(i, smiles[i], p.reason) for i, p in enumerate(parsed) if p.smiles is None]
        self.invalid_ = pd.DataFrame(invalid, columns=["row", "smiles", "reason"])
        if invalid:
            row, smi, reason = invalid[0]
            if self.strict:
                raise DataError(f"{len(invalid)} invalid SMILES; first at row {row} ({smi!r}): "
                                f"{reason}")
            logger.warning("%d invalid SMILES left out of the fingerprints (see invalid_)",
                           len(invalid))
        valid = [p for p in parsed if p.smiles is not None]
        return self.transform_canonical([p.smiles for p in valid], mols=[p.mol for p in valid])

    def transform_canonical(self, smiles: Sequence[str], mols=None) -> sp.csr_matrix:
        """Fingerprints of SMILES that are already canonical and valid (as in a panel's index)."""
        if not hasattr(self, "n_features_out_"):
            self.fit()
        keys = pd.Index(smiles)
        unique = keys.unique()
        table, known = self._load_cache()
        todo = unique[~unique.isin(known)] if known is not None else unique
        if len(todo):
            lookup = dict(zip(keys, mols, strict=True)) if mols is not None else None
            todo_mols = [lookup[s] for s in todo] if lookup else [p.mol for p in parse_many(todo)]
            if any(m is None for m in todo_mols):
                bad = todo[[m is None for m in todo_mols].index(True)]
                raise DataError(f"SMILES {bad!r} passed as canonical does not parse")
            new = self.transform_mols(todo_mols)
            table = new if table is None else sp.vstack([table, new], format="csr")
            known = todo if known is None else known.append(todo)
            self._save_cache(table, known)
        return table[known.get_indexer(keys)]

    def _generator(self):
        return rdFingerprintGenerator.GetMorganGenerator(
            radius=int(self.radius), fpSize=int(self.n_bits),
            includeChirality=bool(self.include_chirality))

    def transform_mols(self, mols: Sequence) -> sp.csr_matrix:
        """Fingerprints of RDKit molecules (all valid), computed without the cache."""
        if not hasattr(self, "n_features_out_"):
            self.fit()
        gen = self._generator()
        threads = resolve_n_jobs(self.n_jobs)
        indptr = np.zeros(len(mols) + 1, dtype=np.int64)
        if self.counts:
            fps = gen.GetCountFingerprints(mols, numThreads=threads)
            items = [fp.GetNonzeroElements() for fp in fps]
            cols = [np.fromiter(d.keys(), dtype=np.int32, count=len(d)) for d in items]
            vals = [np.minimum(np.fromiter(d.values(), dtype=np.float32, count=len(d)), 255)
                    for d in items]
        else:
            fps = gen.GetFingerprints(mols, numThreads=threads)
            cols = [np.asarray(fp.GetOnBits(), dtype=np.int32) for fp in fps]
            vals = [np.ones(len(c), dtype=np.float32) for c in cols]
        indptr[1:] = np.cumsum([len(c) for c in cols])
        data = np.concatenate(vals) if vals else np.zeros(0, np.float32)
        indices = np.concatenate(cols) if cols else np.zeros(0, np.int32)
        out = sp.csr_matrix((data, indices, indptr), shape=(len(mols), int(self.n_bits)))
        out.sort_indices()
        return out

    # -- on-disk cache: one Parquet file per parameter set, rows keyed by canonical SMILES --
    def _cache_file(self) -> Path | None:
        if self.cache_dir is None:
            return None
        key = json.dumps({"kind": "morgan", "radius": int(self.radius), "n_bits": int(self.n_bits),
                          "counts": bool(self.counts), "chirality": bool(self.include_chirality)},
                         sort_keys=True)
        return Path(self.cache_dir) / f"morgan-{sha256_bytes(key.encode())[:16]}.parquet"

    def _load_cache(self) -> tuple[sp.csr_matrix | None, pd.Index | None]:
        path = self._cache_file()
        if path is None or not path.exists():
            return None, None
        try:
            tab = pq.read_table(path)
            offsets = tab.column("bits").combine_chunks().offsets.to_numpy()
            indices = tab.column("bits").combine_chunks().values.to_numpy()
            values = tab.column("values").combine_chunks().values.to_numpy()
            matrix = sp.csr_matrix((values.astype(np.float32), indices.astype(np.int32), offsets),
                                   shape=(tab.num_rows, int(self.n_bits)))
        except (pa.ArrowInvalid, KeyError, ValueError, OSError) as exc:
            logger.warning("fingerprint cache %s is unreadable (%s); recomputing", path, exc)
            return None, None
        return matrix, pd.Index(tab.column("smiles").to_pylist())

    def _save_cache(self, matrix: sp.csr_matrix, keys: pd.Index) -> None:
        path = self._cache_file()
        if path is None:
            return
        offsets = pa.array(matrix.indptr.astype(np.int32))
        tab = pa.table({
            "smiles": pa.array(list(keys), type=pa.string()),
            "bits": pa.ListArray.from_arrays(offsets, pa.array(matrix.indices.astype(np.int32))),
            "values": pa.ListArray.from_arrays(offsets, pa.array(matrix.data.astype(np.float32))),
        })
        with atomic_path(path) as tmp:
            pq.write_table(tab, tmp, compression="zstd")


def fingerprint_partitions(featurizer: MorganFingerprint, smiles: Sequence[str], executor, *,
                           partition_size: int = 20_000, verbose: bool = True) -> list:
    """Fingerprints of canonical ``smiles``, one ``executor`` task per partition of
    ``partition_size`` compounds, left where they were computed (a list of futures on a Dask
    executor); with ``featurizer.cache_dir`` each partition is cached on its own (keyed by its
    SMILES), so a lost or restarted worker reloads instead of recomputing. ``stack`` joins them."""
    params = {k: v for k, v in featurizer.get_params().items() if k not in ("cache_dir", "n_jobs")}
    parts = [list(smiles[i:i + partition_size]) for i in range(0, len(smiles), partition_size)]
    if not parts:
        return [featurizer.transform_mols([])]
    return executor.map_keep(_partition_task, parts, shared={
        "params": params, "cache_dir": featurizer.cache_dir}, desc="fingerprints",
        verbose=verbose)


def stack(blocks: list[sp.csr_matrix]) -> sp.csr_matrix:
    """The partitions' rows as one CSR matrix."""
    return sp.vstack(blocks, format="csr")


def _partition_task(part: list[str], *, params: dict, cache_dir) -> sp.csr_matrix:
    folder = None
    if cache_dir is not None:
        folder = Path(cache_dir) / f"part-{sha256_bytes(chr(10).join(part).encode())[:16]}"
    return MorganFingerprint(**params, cache_dir=folder).transform_canonical(part)


def _as_smiles_list(X) -> list:
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise DataError(f"expected one SMILES column, got {X.shape[1]} columns")
        X = X.iloc[:, 0]
    if isinstance(X, str):
        raise DataError("expected a sequence of SMILES, got a single string")
    return list(X)
