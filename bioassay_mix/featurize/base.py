"""The shared base of every featurizer: SMILES in, one row per input out, parsed once.

Every featurizer of this package is a scikit-learn transformer from SMILES (a list, array,
Series or one-column frame) to a matrix, and differs only in what it computes from an RDKit
molecule (:meth:`Featurizer._compute`). The base owns everything else, so that all of them
behave alike:

* parameters validated declaratively (``_parameter_constraints``) at ``fit``, before any work;
* parsing through :func:`bioassay_mix.chem.parse_smiles`, equal to RDKit's ``MolFromSmiles``;
* one output row per input row, always: an invalid SMILES raises (``strict=True``, naming the
  row) or keeps its row, all zeros (NaN for descriptors), and is listed in ``invalid_``;
* an optional on-disk cache keyed by canonical SMILES and the featurizer's spec (class and
  science parameters), so it never serves features computed with other parameters;
* a JSON spec (:meth:`Featurizer.spec`, :func:`featurizer_from_spec`), which libraries and
  bundles record and rebuild from: a featurizer is never pickled.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from numbers import Integral
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from .._utils import atomic_path, sha256_bytes
from ..chem import parse_many
from ..errors import DataError

logger = logging.getLogger(__name__)

#: Featurizer classes by name, for :func:`featurizer_from_spec` (filled by ``__init_subclass__``).
REGISTRY: dict[str, type[Featurizer]] = {}
#: Parameters that change where or how fast features are computed, never their values.
COMPUTE_PARAMS = ("n_jobs", "cache_dir", "strict")


class Featurizer(TransformerMixin, BaseEstimator):
    """Base class: SMILES to a feature matrix with one row per input SMILES.

    Subclasses set ``kind`` and ``sparse_output`` and implement ``_compute(mols)`` and
    ``_n_features()``. Fitted attributes: ``n_features_out_``; after ``transform``,
    ``invalid_`` (a frame of ``row``, ``smiles``, ``reason``).
    """

    kind: ClassVar[str] = ""
    sparse_output: ClassVar[bool] = True
    _parameter_constraints: ClassVar[dict] = {
        "n_jobs": [Interval(Integral, None, None, closed="neither"), None],
        "cache_dir": [str, os.PathLike, None],
        "strict": ["boolean"],
    }

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            REGISTRY[cls.__name__] = cls

    def fit(self, X: Any = None, y: Any = None) -> Featurizer:
        """Validate the parameters; nothing is learned from ``X``.

        Parameters
        ----------
        X : ignored
        y : ignored

        Returns
        -------
        self : Featurizer
        """
        self._validate_params()
        if self.n_jobs == 0:
            raise ValueError("n_jobs must be a non-zero integer (-1: all cores), got 0")
        self.n_features_out_ = self._n_features()
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = []
        return tags

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns, ``<kind>_<i>`` for fingerprints."""
        check_is_fitted(self, "n_features_out_")
        return np.asarray([f"{self.kind}_{i}" for i in range(self.n_features_out_)], dtype=object)

    def transform(self, X: Any) -> sp.csr_matrix | np.ndarray:
        """Features of ``X`` (SMILES), one row per input row.

        Parameters
        ----------
        X : sequence of str, pandas.Series or one-column pandas.DataFrame
            SMILES strings.

        Returns
        -------
        scipy.sparse.csr_matrix or numpy.ndarray of shape (n_samples, n_features_out_)
            float32; CSR for fingerprints, dense for descriptors.
        """
        check_is_fitted(self, "n_features_out_")
        smiles = as_smiles_list(X)
        parsed = parse_many(smiles)
        bad = [(i, smiles[i], p.reason) for i, p in enumerate(parsed) if p.smiles is None]
        self.invalid_ = pd.DataFrame(bad, columns=["row", "smiles", "reason"])
        if bad:
            row, smi, reason = bad[0]
            message = f"{len(bad)} invalid SMILES; first at row {row} ({smi!r}): {reason}"
            if self.strict:
                raise DataError(message)
            logger.warning("%s; their rows are left empty (see invalid_)", message)
        ok = np.flatnonzero([p.smiles is not None for p in parsed])
        good = self.transform_canonical([parsed[i].smiles for i in ok],
                                        mols=[parsed[i].mol for i in ok])
        return self._placed(good, ok, len(smiles))

    def _placed(self, good, rows: np.ndarray, n: int):
        """``good``'s rows at positions ``rows`` of an ``n``-row output, the rest empty."""
        if len(rows) == n:
            return good
        if self.sparse_output:
            select = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, np.arange(len(rows)))),
                                   shape=(n, len(rows)))
            return (select @ good).tocsr()
        out = np.full((n, self.n_features_out_), np.nan, dtype=np.float32)
        out[rows] = good
        return out

    def transform_canonical(self, smiles: Sequence[str], mols: Sequence | None = None):
        """Features of SMILES that are already canonical and valid (as in a panel's index),
        through the cache when ``cache_dir`` is set. ``mols``: their parsed molecules, if
        at hand."""
        check_is_fitted(self, "n_features_out_")
        keys = pd.Index(smiles)
        if not len(keys):
            return self.transform_mols([])
        unique = keys.unique()
        table, known = self._load_cache()
        todo = unique[~unique.isin(known)] if known is not None else unique
        if len(todo):
            if mols is not None:
                lookup = dict(zip(keys, mols, strict=True))
                todo_mols = [lookup[s] for s in todo]
            else:
                todo_mols = [p.mol for p in parse_many(todo)]
            if any(m is None for m in todo_mols):
                bad = todo[[m is None for m in todo_mols].index(True)]
                raise DataError(f"SMILES {bad!r} passed as canonical does not parse")
            new = _as_csr(self.transform_mols(todo_mols))
            table = new if table is None else sp.vstack([table, new], format="csr")
            known = todo if known is None else known.append(todo)
            self._save_cache(table, known)
        out = table[known.get_indexer(keys)]
        return out if self.sparse_output else out.toarray()

    def transform_mols(self, mols: Sequence) -> sp.csr_matrix | np.ndarray:
        """Features of RDKit molecules (all valid), computed without the cache."""
        check_is_fitted(self, "n_features_out_")
        return self._compute(list(mols))

    def spec(self) -> dict[str, Any]:
        """The class and science parameters: what libraries and bundles record."""
        params = {k: v for k, v in self.get_params(deep=False).items()
                  if k not in COMPUTE_PARAMS}
        return {"class": type(self).__name__, "params": params}

    # -- to implement ---------------------------------------------------------------------
    def _n_features(self) -> int:
        raise NotImplementedError

    def _compute(self, mols: list) -> sp.csr_matrix | np.ndarray:
        raise NotImplementedError

    # -- on-disk cache: one Parquet file per spec, rows keyed by canonical SMILES ------------
    def _cache_file(self) -> Path | None:
        if self.cache_dir is None:
            return None
        key = json.dumps(self.spec(), sort_keys=True, default=str)
        return Path(self.cache_dir) / f"{self.kind}-{sha256_bytes(key.encode())[:16]}.parquet"

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
                                   shape=(tab.num_rows, self.n_features_out_))
        except (pa.ArrowInvalid, KeyError, ValueError, OSError) as exc:
            logger.warning("feature cache %s is unreadable (%s); recomputing", path, exc)
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


def featurizer_from_spec(spec: dict[str, Any], **compute: Any) -> Featurizer:
    """Rebuild (and fit) a featurizer from :meth:`Featurizer.spec`; ``compute`` sets
    ``n_jobs``, ``cache_dir`` or ``strict``.

    Examples
    --------
    >>> from bioassay_mix.featurize import MorganFingerprint
    >>> spec = MorganFingerprint(radius=3).spec()
    >>> featurizer_from_spec(spec).radius
    3
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("params"), dict):
        raise DataError(f"featurizer spec must be {{'class': ..., 'params': {{...}}}}, got "
                        f"{str(spec)[:200]}")
    cls = REGISTRY.get(spec.get("class"))  # type: ignore[arg-type]
    if cls is None:
        raise DataError(f"unknown featurizer class {spec.get('class')!r}; known: "
                        f"{sorted(REGISTRY)}")
    try:
        return cls(**spec["params"], **compute).fit()
    except (TypeError, ValueError) as exc:
        raise DataError(f"featurizer spec {spec} is not valid: {exc}") from exc


def as_smiles_list(X: Any) -> list:
    """``X`` (a sequence, array, Series or one-column frame of SMILES) as a list."""
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise DataError(f"expected one SMILES column, got {X.shape[1]} columns")
        X = X.iloc[:, 0]
    if isinstance(X, str):
        raise DataError("expected a sequence of SMILES, got a single string")
    if isinstance(X, np.ndarray) and X.ndim == 2:
        if X.shape[1] != 1:
            raise DataError(f"expected one SMILES column, got an array of shape {X.shape}")
        X = X[:, 0]
    try:
        return list(X)
    except TypeError as exc:
        raise DataError(f"expected a sequence of SMILES, got {type(X).__name__}") from exc


def _as_csr(matrix) -> sp.csr_matrix:
    return matrix if sp.issparse(matrix) else sp.csr_matrix(matrix)
