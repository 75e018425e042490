"""The library itself: every source's proxy and training rows, and the sources' predictions
of any compounds."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import xgboost as xgb
from scipy.special import expit
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from .._files import SavedFolder
from .._utils import resolve_n_jobs
from ..errors import DataError
from ..executor import LocalExecutor
from ..featurize import Featurizer
from ..proxy_stack import stack_boosters, stackable, stacked_proba
from ._build import BuildMixin
from ._layout import DATA_FILES, MANIFEST, check_source_names
from ._storage import StorageMixin


class ProxyLibrary(BuildMixin, StorageMixin, SavedFolder):
    """Per source assay: a fitted proxy, its training rows (features and labels) and where
    it came from. Build with :meth:`build`, or :meth:`load` a saved one; the constructor
    assembles one from its parts, each kept as the attribute of the same name.

    Parameters
    ----------
    featurizer : Featurizer
        The fitted featurizer every proxy was trained on.
    proxies : dict of str to estimator
        The fitted proxy of each source, in source order.
    compounds : pandas.Index
        Canonical SMILES of the training compounds, the rows of ``X``.
    X : scipy.sparse.csr_matrix
        Features of ``compounds``.
    rows, labels : dict of str to numpy.ndarray
        Each source's training rows (positions into ``X``) and 0/1 labels; same sources, in
        the same order, as ``proxies``.
    info : pandas.DataFrame
        Per source: ``dataset``, ``title``, ``n_train``, ``n_positive``.
    skipped : pandas.DataFrame or None, default=None
        Assays left out at build time, with the reason.
    build : dict or None, default=None
        How it was built (proxy, seed, excluded compounds), kept as ``build_params``.
    path : pathlib.Path or None, default=None
        The folder it was loaded from.
    stacked : tuple of (xgboost.Booster, list of str) or None, default=None
        The XGBoost proxies joined into one model and the sources of its outputs, when
        :meth:`stacked` has built it.

    Examples
    --------
    >>> from bioassay_mix import load_panel
    >>> from bioassay_mix.featurize import MorganFingerprint
    >>> from sklearn.linear_model import LogisticRegression
    >>> panel = load_panel("tox21").select(["NR-AR", "NR-AhR", "SR-MMP"])
    >>> lib = ProxyLibrary.build(panel, featurizer=MorganFingerprint(n_bits=256),
    ...                          proxy=LogisticRegression(max_iter=200), verbose=False)
    >>> lib.sources
    ['NR-AR', 'NR-AhR', 'SR-MMP']
    >>> lib.predict(["CCO", "c1ccccc1O"]).shape
    (2, 3)
    >>> lib.in_library([lib.compounds[0], "C1CC1C1CC1C1CC1"]).tolist()
    [True, False]
    """

    MARKER = MANIFEST
    KIND = "library"
    FILES = (*DATA_FILES, "proxies")

    def __init__(
        self,
        *,
        featurizer: Featurizer,
        proxies: dict[str, Any],
        compounds: pd.Index,
        X: sp.csr_matrix,
        rows: dict[str, np.ndarray],
        labels: dict[str, np.ndarray],
        info: pd.DataFrame,
        skipped: pd.DataFrame | None = None,
        build: dict[str, Any] | None = None,
        path: Path | None = None,
        stacked: tuple[Any, list[str]] | None = None,
    ):
        if list(proxies) != list(rows) or list(rows) != list(labels):
            raise DataError(
                "a library needs the same sources, in the same order, in proxies, rows and labels"
            )
        if X.shape[0] != len(compounds):
            raise DataError(
                f"library features have {X.shape[0]} rows for {len(compounds)} compounds"
            )
        check_source_names(proxies)
        self.featurizer = featurizer
        self.proxies = proxies
        self.compounds = compounds
        self.X = X
        self.rows = rows
        self.labels = labels
        self.info = info
        self.skipped = skipped if skipped is not None else pd.DataFrame(columns=["assay", "reason"])
        self.build_params = build or {}
        self.path = path
        self._stacked = stacked
        self._linear: tuple[np.ndarray, np.ndarray] | bool | None = None
        self._trained_keys: np.ndarray | None = None

    # -- what it holds -----------------------------------------------------------------------
    @property
    def sources(self) -> list[str]:
        """The source assays, in column order of :meth:`predict`."""
        return list(self.proxies)

    @property
    def n_features(self) -> int:
        """The width of the featurizer's output, and of :meth:`features`."""
        return int(self.X.shape[1])

    @property
    def fill(self) -> float:
        """The share of the compounds x sources cells the sources label: near 1 for a panel
        measured on one compound library (Tox21), tiny for ChEMBL's assays (FS-Mol)."""
        cells = len(self.compounds) * len(self.rows)
        return sum(len(r) for r in self.rows.values()) / cells if cells else 0.0

    def __len__(self) -> int:
        return len(self.proxies)

    def in_library(self, X: Any) -> np.ndarray:
        """Whether some source trained on each compound of ``X``: its features equal those
        of one of the source's training rows, which the proxy then predicts from memory.

        Parameters
        ----------
        X : SMILES (sequence, Series, one-column frame) or feature matrix
            As :meth:`features` takes them.

        Returns
        -------
        numpy.ndarray of bool, shape (n_compounds,)
        """
        if self._trained_keys is None:
            trained = np.unique(np.concatenate([np.asarray(r) for r in self.rows.values()]))
            self._trained_keys = np.unique(row_keys(self.X[trained]))
        return np.isin(row_keys(self.features(X)), self._trained_keys)

    def __repr__(self) -> str:
        where = f", path={str(self.path)!r}" if self.path else ""
        return (
            f"ProxyLibrary({len(self)} sources, {len(self.compounds)} compounds, "
            f"{self.featurizer.spec()['class']}{where})"
        )

    def proxy_template(self) -> Any:
        """An unfitted clone of the proxies' estimator (all sources share its parameters).

        Returns
        -------
        estimator
        """
        if not self.proxies:
            raise DataError("the library has no sources")
        return clone(next(iter(self.proxies.values())))

    def without(self, sources: Iterable[str]) -> ProxyLibrary:
        """The same library less ``sources``: a target is never its own source.

        Parameters
        ----------
        sources : iterable of str
            Sources of this library.

        Returns
        -------
        ProxyLibrary
            Shares the features and models; copies nothing.
        """
        drop = set(sources)
        unknown = drop - set(self.proxies)
        if unknown:
            raise DataError(f"library has no source {sorted(unknown)[0]!r}")
        keep = [s for s in self.proxies if s not in drop]
        if not keep:
            raise DataError("removing these sources leaves the library empty")
        return ProxyLibrary(
            featurizer=self.featurizer,
            proxies={s: self.proxies[s] for s in keep},
            compounds=self.compounds,
            X=self.X,
            rows={s: self.rows[s] for s in keep},
            labels={s: self.labels[s] for s in keep},
            info=self.info.loc[keep],
            skipped=self.skipped,
            build=self.build_params,
            path=self.path,
            stacked=self._stacked,
        )

    def source_rows(self, source: str) -> tuple[sp.csr_matrix, np.ndarray]:
        """The features and labels ``source``'s proxy was trained on.

        Parameters
        ----------
        source : str
            A source of this library.

        Returns
        -------
        X : scipy.sparse.csr_matrix
        y : numpy.ndarray of 0/1
        """
        if source not in self.rows:
            raise DataError(f"library has no source {source!r}; it has {self.sources[:10]}")
        return self.X[self.rows[source]], self.labels[source]

    # -- predicting ------------------------------------------------------------------------
    def features(self, X: Any) -> sp.csr_matrix:
        """``X`` as the proxies' input.

        Parameters
        ----------
        X : SMILES (sequence, Series, one-column frame) or feature matrix
            SMILES are featurized with the library's featurizer; a numeric matrix (sparse or
            dense) must have :attr:`n_features` columns.

        Returns
        -------
        scipy.sparse.csr_matrix
            The form the proxies were trained on, whatever the featurizer.
        """
        if is_feature_matrix(X):
            if X.shape[1] != self.n_features:
                raise DataError(
                    f"feature matrix has {X.shape[1]} columns; the library's "
                    f"featurizer makes {self.n_features}"
                )
            X = sp.csr_matrix(X, dtype=np.float32)
            if np.isinf(X.data).any():
                row, col = (
                    int(v[0])
                    for v in sp.find(
                        sp.csr_matrix((np.isinf(X.data), X.indices, X.indptr), shape=X.shape)
                    )[:2]
                )
                raise DataError(
                    f"feature matrix has an infinite value at row {row}, column "
                    f"{col}; features must be finite (NaN marks a missing one)"
                )
            return X
        return sp.csr_matrix(self.featurizer.transform(X), dtype=np.float32)

    def predict(self, X: Any, *, n_jobs: int | None = 1, stacked: bool = False) -> np.ndarray:
        """Each source proxy's class-1 probability for every row of ``X``.

        Logistic-regression proxies together, as one sparse matrix product; others one at a
        time (XGBoost's on a DMatrix shared by each thread's chunk), or, with ``stacked=True``,
        XGBoost proxies together as one model (:meth:`stacked`); ``benchmarks/chembl_scale.py``
        measures each.

        Parameters
        ----------
        X : SMILES (sequence, Series, one-column frame) or feature matrix
            Compounds, as :meth:`features` takes them.
        n_jobs : int or None, default=1
            Threads (XGBoost's for stacked proxies, else proxies predicted at once).
        stacked : bool, default=False
            Use the stacked model where the proxies allow one (the same probabilities).

        Returns
        -------
        numpy.ndarray of shape (n_samples, len(self))
            Columns in :attr:`sources` order.
        """
        features = self.features(X)
        if features.shape[0] == 0:
            return np.empty((0, len(self)), dtype=np.float64)
        joined = self.stacked() if stacked else None
        if joined is not None:
            booster, order = joined
            columns = pd.Index(order).get_indexer(self.sources)
            return stacked_proba(booster, features, n_jobs=resolve_n_jobs(n_jobs))[:, columns]
        models = list(self.proxies.values())
        if self._linear is None:
            self._linear = _stack_logistic(models)
        if self._linear is not False:  # every proxy linear: one sparse matrix product
            coef, intercept = self._linear
            return expit(np.asarray(features @ coef, dtype=np.float64) + intercept)
        n_jobs = resolve_n_jobs(n_jobs)
        # contiguous chunks, a few per thread for balance: each chunk shares one DMatrix
        bounds = np.linspace(0, len(models), min(len(models), 4 * n_jobs) + 1).astype(int)
        chunks = [models[a:b] for a, b in itertools.pairwise(bounds)]
        with threadpool_limits(limits=1):  # one thread per chunk, n_jobs chunks at a time
            parts = LocalExecutor(n_jobs).map(
                _positive_proba, chunks, shared={"X": features}, verbose=False
            )
        return np.column_stack(parts).astype(np.float64, copy=False)

    def stacked(self) -> tuple[Any, list[str]] | None:
        """The proxies as one XGBoost model and the sources of its outputs, or ``None`` when
        they are not all binary XGBClassifiers. Built on the first call (a few milliseconds per
        source) and kept in memory; not saved.

        Returns
        -------
        tuple of (xgboost.Booster, list of str) or None
        """
        if self._stacked is None and stackable(list(self.proxies.values())):
            self._stacked = (stack_boosters(list(self.proxies.values())), self.sources)
        return self._stacked

    def summary(self) -> pd.DataFrame:
        """One row per source: dataset, training rows, positives, proxy class.

        Returns
        -------
        pandas.DataFrame
        """
        out = self.info.copy()
        out["proxy"] = [type(m).__name__ for m in self.proxies.values()]
        return out


def row_keys(X: sp.csr_matrix) -> np.ndarray:
    """A 64-bit key of each row's stored values and their columns, the same for equal rows
    whatever the order their entries are stored in."""
    X = sp.csr_matrix(X, dtype=np.float32, copy=True)
    X.sum_duplicates()
    X.eliminate_zeros()
    entry = (X.indices.astype(np.uint64) << np.uint64(32)) | X.data.view(np.uint32).astype(
        np.uint64
    )
    hashed = pd.util.hash_array(entry)
    nnz = np.diff(X.indptr)
    keys = np.zeros(X.shape[0], dtype=np.uint64)
    filled = nnz > 0
    keys[filled] = np.add.reduceat(hashed, X.indptr[:-1][filled])
    return pd.util.hash_array(keys ^ nnz.astype(np.uint64))


def is_feature_matrix(X: Any) -> bool:
    """Whether ``X`` is a numeric matrix (features) rather than SMILES.

    Parameters
    ----------
    X : object
        What a caller passed as compounds.

    Returns
    -------
    bool
    """
    return sp.issparse(X) or (isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind in "fiub")


def _stack_logistic(models: list[Any]) -> tuple[np.ndarray, np.ndarray] | bool:
    """The coefficients (features x proxies) and intercepts of binary logistic-regression
    proxies, whose class-1 probability is ``expit(X @ coef + intercept)``; False unless every
    proxy is one."""
    from sklearn.linear_model import LogisticRegression

    if not models or not all(
        type(m) is LogisticRegression and len(m.classes_) == 2 for m in models
    ):
        return False
    return (
        np.column_stack([m.coef_[0] for m in models]),
        np.array([m.intercept_[0] for m in models]),
    )


def _positive_proba(models: list[Any], *, X: sp.csr_matrix) -> np.ndarray:
    """Each model's class-1 probability, one column each. Binary-logistic XGBoost proxies
    predict from one DMatrix built once for the chunk rather than converting the input in
    every ``predict_proba`` (the same probabilities; the trees still dominate the time)."""
    out = np.empty((X.shape[0], len(models)), dtype=np.float64)
    shared = None
    for j, model in enumerate(models):
        if stackable([model]):
            if shared is None:
                shared = xgb.DMatrix(X, nthread=1)
            out[:, j] = model.get_booster().predict(shared, validate_features=False)
        else:
            out[:, j] = model.predict_proba(X)[:, 1]
    return out
