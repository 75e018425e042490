"""The shared base of every featurizer: SMILES in, one row per input out, parsed once.

Every featurizer of this package is a scikit-learn transformer from SMILES (a list, array,
Series or one-column frame) to a matrix, and differs only in what it computes from an RDKit
molecule (its :class:`~bioassay_mix.featurize.kernels.Kernel`). The base owns everything else, so
that all of them behave alike:

* parameters validated declaratively (``_parameter_constraints``) at ``fit``, before any work;
* parsing through :func:`bioassay_mix.chem.parse_smiles`, equal to RDKit's ``MolFromSmiles``,
  once per distinct string, in worker processes with ``n_jobs`` (see
  :mod:`bioassay_mix.featurize.engine`);
* one output row per input row, always: an invalid SMILES raises (``strict=True``, naming the
  row) or keeps its row, all zeros (NaN for descriptors); ``transform`` changes no state, and
  :meth:`Featurizer.transform_with_invalid` also lists the failed rows with their reasons;
* an optional on-disk cache keyed by the input text, the featurizer's spec (class and science
  parameters) and RDKit's version, so it never serves features computed otherwise; the text
  and not the canonical SMILES, because canonicalising costs as much as the parse it would
  save (a panel's compounds are stored canonical, so panels sharing compounds share entries);
* a JSON spec (:meth:`Featurizer.spec`, :func:`~bioassay_mix.featurize.featurizer_from_spec`),
  which libraries and bundles record and rebuild from: a featurizer is never pickled.
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
import rdkit
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from .._files import atomic_path, sha256_bytes
from .._inputs import one_column
from ..chem import MAX_ATOMS
from ..errors import DataError
from .engine import distinct, featurize, spread
from .kernels import Kernel, frozen
from .spec import COMPUTE_PARAMS, REGISTRY

logger = logging.getLogger(__name__)


class Featurizer(TransformerMixin, BaseEstimator):
    """Base class: SMILES to a feature matrix with one row per input SMILES.

    Subclasses set ``kind`` (their computation in :mod:`~bioassay_mix.featurize.kernels`) and
    ``sparse_output``, and implement ``_n_features()``. Fitted attributes:
    ``n_features_out_``. ``transform`` sets nothing; :meth:`transform_with_invalid` returns the
    failed rows (a frame of ``row``, ``smiles``, ``reason``) beside the features.
    """

    kind: ClassVar[str] = ""
    sparse_output: ClassVar[bool] = True
    #: Molecules with more heavy atoms are reported as invalid, not featurized: a featurizer
    #: whose cost grows steeply with size sets a lower cap than parsing's own.
    max_atoms: ClassVar[int] = MAX_ATOMS
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
        """Names of the output columns, ``<kind>_<i>`` for fingerprints.

        Parameters
        ----------
        input_features : ignored
            The input is SMILES; kept for scikit-learn's signature.

        Returns
        -------
        numpy.ndarray of str
        """
        check_is_fitted(self, "n_features_out_")
        return np.asarray([f"{self.kind}_{i}" for i in range(self.n_features_out_)], dtype=object)

    def transform(self, X: Any) -> sp.csr_matrix | np.ndarray:
        """Features of ``X`` (SMILES), one row per input row.

        Changes nothing on the featurizer: :meth:`transform_with_invalid` also says which
        rows failed and why.

        Parameters
        ----------
        X : sequence of str, pandas.Series or one-column pandas.DataFrame
            SMILES strings.

        Returns
        -------
        scipy.sparse.csr_matrix or numpy.ndarray of shape (n_samples, n_features_out_)
            float32; CSR for fingerprints, dense for descriptors.
        """
        return self.transform_with_invalid(X)[0]

    def transform_with_invalid(self, X: Any) -> tuple[sp.csr_matrix | np.ndarray, pd.DataFrame]:
        """Features of ``X``, as :meth:`transform` gives them, and the rows that failed.

        Parameters
        ----------
        X : sequence of str, pandas.Series or one-column pandas.DataFrame
            SMILES strings.

        Returns
        -------
        features : scipy.sparse.csr_matrix or numpy.ndarray of shape (n_samples, n_features_out_)
            As :meth:`transform` returns them: a failed row is empty (NaN for descriptors).
        invalid : pandas.DataFrame
            One row per failed input: ``row`` (its position in ``X``), ``smiles``, ``reason``.

        Examples
        --------
        >>> from bioassay_mix.featurize import MorganFingerprint
        >>> _, invalid = MorganFingerprint(strict=False).fit().transform_with_invalid(
        ...     ["CCO", "C1CC"]
        ... )
        >>> invalid.to_dict("records")
        [{'row': 1, 'smiles': 'C1CC', 'reason': 'SMILES syntax error'}]
        """
        check_is_fitted(self, "n_features_out_")
        smiles = as_smiles_list(X)
        features, reasons = self._features(smiles)
        bad = [(i, smiles[i], r) for i, r in enumerate(reasons) if r is not None]
        if bad:
            row, smi, reason = bad[0]
            message = f"{len(bad)} invalid SMILES; first at row {row} ({smi!r}): {reason}"
            if self.strict:
                raise DataError(message)
            logger.warning(
                "%s; their rows are left empty (transform_with_invalid lists them)", message
            )
        invalid = pd.DataFrame(bad, columns=["row", "smiles", "reason"])
        return self._output(features, reasons), invalid

    def transform_valid(self, smiles: Sequence[str]) -> sp.csr_matrix | np.ndarray:
        """Features of SMILES that must all be valid (a panel's compounds): the first that is
        not raises :class:`~bioassay_mix.errors.DataError`, whatever ``strict`` says.

        Parameters
        ----------
        smiles : sequence of str
            The compounds.

        Returns
        -------
        scipy.sparse.csr_matrix or numpy.ndarray
            As :meth:`transform` gives them.
        """
        check_is_fitted(self, "n_features_out_")
        features, reasons = self._features(list(smiles))
        for i, reason in enumerate(reasons):
            if reason is not None:
                raise DataError(f"SMILES {smiles[i]!r} (row {i}) does not parse: {reason}")
        return self._output(features, reasons)

    def _features(self, smiles: list) -> tuple[sp.csr_matrix, list]:
        """CSR features of every row and why each failed (``None`` where valid): each distinct
        string looked up in the cache, else featurized once by the engine."""
        codes, strings = distinct(smiles)
        table, known = self._load_cache()
        hit = pd.Index(strings).isin(known) if known is not None else np.zeros(len(strings), bool)
        todo = [s for s, h in zip(strings, hit, strict=True) if not h]
        block = featurize(todo, self.kernel(), n_jobs=self.n_jobs)
        fresh = block.valid
        if fresh.any() and self.cache_dir is not None:
            new_keys = pd.Index(todo)[fresh]
            known = new_keys if known is None else known.append(new_keys)
            table = (
                block.X[fresh]
                if table is None
                else sp.vstack([table, block.X[fresh]], format="csr")
            )
            self._save_cache(table, known)
        # each distinct string's row and reason: from the cache (always valid) or this call
        order = np.empty(len(strings), dtype=np.int64)
        order[hit] = np.arange(int(hit.sum()))
        order[~hit] = int(hit.sum()) + np.arange(len(todo))
        cached = (
            table[known.get_indexer(pd.Index(strings)[hit])]
            if hit.any()
            else sp.csr_matrix((0, self.n_features_out_), dtype=np.float32)
        )
        rows = sp.vstack([cached, block.X], format="csr")[order]
        reasons = np.full(len(strings), None, dtype=object)
        reasons[~hit] = block.reasons
        return spread(rows, list(reasons), codes, smiles)

    def _output(self, features: sp.csr_matrix, reasons: list) -> sp.csr_matrix | np.ndarray:
        if self.sparse_output:
            return features
        out = features.toarray()
        out[[r is not None for r in reasons]] = np.nan
        return out

    def spec(self) -> dict[str, Any]:
        """The class and science parameters: what libraries and bundles record.

        Returns
        -------
        dict
            ``{"class": name, "params": {...}}``, no compute setting among the parameters.
        """
        params = {k: v for k, v in self.get_params(deep=False).items() if k not in COMPUTE_PARAMS}
        return {"class": type(self).__name__, "params": params}

    def kernel(self) -> Kernel:
        """What this featurizer computes from molecules (fitted): the picklable object the
        engine's worker processes run.

        Returns
        -------
        Kernel
        """
        check_is_fitted(self, "n_features_out_")
        return Kernel(
            self.kind,
            frozen(self.spec()["params"]),
            self.n_features_out_,
            self.max_atoms,
            type(self).__name__,
        )

    # -- to implement ---------------------------------------------------------------------
    def _n_features(self) -> int:
        raise NotImplementedError

    # -- on-disk cache: one Parquet file per spec, rows keyed by input text ------------------
    def _cache_file(self) -> Path | None:
        if self.cache_dir is None:
            return None
        key = json.dumps({**self.spec(), "rdkit": rdkit.__version__}, sort_keys=True, default=str)
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
            matrix = sp.csr_matrix(
                (values.astype(np.float32), indices.astype(np.int32), offsets),
                shape=(tab.num_rows, self.n_features_out_),
            )
        except (pa.ArrowInvalid, KeyError, ValueError, OSError) as exc:
            logger.warning("feature cache %s is unreadable (%s); recomputing", path, exc)
            return None, None
        return matrix, pd.Index(tab.column("smiles").to_pylist())

    def _save_cache(self, matrix: sp.csr_matrix, keys: pd.Index) -> None:
        path = self._cache_file()
        if path is None:
            return
        offsets = pa.array(matrix.indptr.astype(np.int32))
        tab = pa.table(
            {
                "smiles": pa.array(list(keys), type=pa.string()),
                "bits": pa.ListArray.from_arrays(
                    offsets, pa.array(matrix.indices.astype(np.int32))
                ),
                "values": pa.ListArray.from_arrays(
                    offsets, pa.array(matrix.data.astype(np.float32))
                ),
            }
        )
        with atomic_path(path) as tmp:
            pq.write_table(tab, tmp, compression="zstd")


def as_smiles_list(X: Any) -> list:
    """``X`` (a sequence, array, Series or one-column frame of SMILES) as a list.

    Parameters
    ----------
    X : sequence, numpy.ndarray, pandas.Series or one-column pandas.DataFrame
        The SMILES; a frame of several columns or a 2-D array of several columns is refused.

    Returns
    -------
    list
    """
    return one_column(X, item="SMILES", items="SMILES")
