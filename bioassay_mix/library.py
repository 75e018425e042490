"""The source side of MixMin, built once and reused for any number of targets.

MixMin needs, per source assay, only a proxy's predictions on the target's compounds (the
matrix P) and, for the final model, the source's training rows. A :class:`ProxyLibrary` holds
both for every source of one or more panels: the fitted proxy (any scikit-learn classifier), the
features of its training compounds (one sparse matrix shared by all sources, since a compound is
measured in many assays) and their labels, and the source's manifest entry. Built once, it
answers every target: the proxies cost minutes to train, a target's P a matrix product or a
pass of every proxy over its compounds (``benchmarks/library_fit.py``,
``benchmarks/chembl_scale.py``).

A library is saved as a folder::

    library.json        format, versions, featurizer spec, proxy spec, per source: model file
                        and its sha256, dataset, counts; the sha256 of every data file
    features.npz        features of every training compound (SciPy CSR, no pickle)
    compounds.parquet   their canonical SMILES, in the features' row order
    rows.npz            every source's row positions into the features and 0/1 labels,
                        concatenated in source order, and each source's offset into them
    proxies/            one model per source (XGBoost UBJ, a logistic regression's weights as
                        .npy, or skops for other estimators)

Loading checks the format, the package version and every checksum before any file is read,
and rebuilds the featurizer from its spec; nothing is unpickled.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import shutil
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp
import xgboost as xgb
from scipy.special import expit
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from ._utils import (
    SavedFolder,
    atomic_path,
    progress,
    read_manifest_json,
    repeated,
    resolve_n_jobs,
    safe_name,
    sha256_bytes,
    sha256_file,
    write_json_atomic,
)
from ._version import __version__
from .chem import parse_many
from .compute import seeded
from .datasets import manifests
from .errors import DataError, ModelFileError
from .executor import LocalExecutor
from .featurize import Featurizer, MorganFingerprint, featurizer_from_spec
from .panel import AssayPanel, compose
from .persist import check_binary_classifier, check_sha256, load_estimator, save_estimator
from .proxies import make_classifier, make_estimator
from .proxy_stack import stack_boosters, stackable, stacked_proba

__all__ = ["LIBRARY_FORMAT", "LINEAR_PROXY_MEDIAN", "ProxyLibrary", "cached_library",
           "default_proxy", "is_feature_matrix", "load_library", "remove_checkpoint"]

logger = logging.getLogger(__name__)

#: 2: each XGBoost proxy's scikit-learn parameters are recorded beside its UBJ file, so a
#: loaded library's proxy template is the proxies' estimator, not XGBoost's default.
#: 3: rows.npz holds three concatenated arrays, not two per source; logistic-regression
#: proxies are saved as their arrays (``persist``'s ``linear-npy``), not through skops.
LIBRARY_FORMAT = 3
MANIFEST = "library.json"
#: The name :class:`~bioassay_mix.estimator.MixMinClassifier` gives the target's own column
#: among the sources' weights: no source may take it.
TARGET = "target"
DATA_FILES = ("features.npz", "compounds.parquet", "rows.npz")

INFO_COLUMNS = ("dataset", "title", "description", "n_train", "n_positive")


class ProxyLibrary(SavedFolder):
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
    >>> from sklearn.linear_model import LogisticRegression
    >>> panel = load_panel("tox21").select(["NR-AR", "NR-AhR", "SR-MMP"])
    >>> lib = ProxyLibrary.build(panel, featurizer=MorganFingerprint(n_bits=256),
    ...                          proxy=LogisticRegression(max_iter=200), verbose=False)
    >>> lib.sources
    ['NR-AR', 'NR-AhR', 'SR-MMP']
    >>> lib.predict(["CCO", "c1ccccc1O"]).shape
    (2, 3)
    """

    MARKER = MANIFEST
    KIND = "library"
    FILES = (*DATA_FILES, "proxies")

    def __init__(self, *, featurizer: Featurizer, proxies: dict[str, Any], compounds: pd.Index,
                 X: sp.csr_matrix, rows: dict[str, np.ndarray], labels: dict[str, np.ndarray],
                 info: pd.DataFrame, skipped: pd.DataFrame | None = None,
                 build: dict[str, Any] | None = None, path: Path | None = None,
                 stacked: tuple[Any, list[str]] | None = None):
        if list(proxies) != list(rows) or list(rows) != list(labels):
            raise DataError("a library needs the same sources, in the same order, in proxies, "
                            "rows and labels")
        if X.shape[0] != len(compounds):
            raise DataError(f"library features have {X.shape[0]} rows for {len(compounds)} "
                            "compounds")
        _check_source_names(proxies)
        self.featurizer = featurizer
        self.proxies = proxies
        self.compounds = compounds
        self.X = X
        self.rows = rows
        self.labels = labels
        self.info = info
        self.skipped = skipped if skipped is not None else pd.DataFrame(
            columns=["assay", "reason"])
        self.build_params = build or {}
        self.path = path
        self._stacked = stacked
        self._linear: tuple[np.ndarray, np.ndarray] | bool | None = None

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

    def __repr__(self) -> str:
        where = f", path={str(self.path)!r}" if self.path else ""
        return (f"ProxyLibrary({len(self)} sources, {len(self.compounds)} compounds, "
                f"{self.featurizer.spec()['class']}{where})")

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
        return ProxyLibrary(featurizer=self.featurizer,
                            proxies={s: self.proxies[s] for s in keep}, compounds=self.compounds,
                            X=self.X, rows={s: self.rows[s] for s in keep},
                            labels={s: self.labels[s] for s in keep}, info=self.info.loc[keep],
                            skipped=self.skipped, build=self.build_params, path=self.path,
                            stacked=self._stacked)

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
                raise DataError(f"feature matrix has {X.shape[1]} columns; the library's "
                                f"featurizer makes {self.n_features}")
            X = sp.csr_matrix(X, dtype=np.float32)
            if np.isinf(X.data).any():
                row, col = (int(v[0]) for v in sp.find(sp.csr_matrix(
                    (np.isinf(X.data), X.indices, X.indptr), shape=X.shape))[:2])
                raise DataError(f"feature matrix has an infinite value at row {row}, column "
                                f"{col}; features must be finite (NaN marks a missing one)")
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
            parts = LocalExecutor(n_jobs).map(_positive_proba, chunks,
                                              shared={"X": features}, verbose=False)
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

    # -- building --------------------------------------------------------------------------
    @classmethod
    def build(cls, panel: AssayPanel | Sequence[AssayPanel], *,
              featurizer: Featurizer | None = None, proxy: Any = None,
              exclude: Iterable[str] | None = None, assays: Sequence[str] | None = None,
              min_labels: int = 50, random_state: int = 0, device: str = "auto",
              n_jobs: int | None = 1, verbose: bool = True,
              checkpoint: str | os.PathLike | None = None) -> ProxyLibrary:
        """Train one proxy per assay of ``panel`` (one panel, or several joined on canonical
        SMILES) on all its labelled compounds but ``exclude``.

        Parameters
        ----------
        panel : AssayPanel or sequence of AssayPanel
            The source assays.
        featurizer : Featurizer or None, default=None
            Cloned and fitted; default ``MorganFingerprint()`` (2048 bits, radius 2).
        proxy : classifier or None, default=None
            Cloned once per source; default :func:`default_proxy` of the sources' sizes
            (XGBoost with the paper's fast setting, or logistic regression for a library of
            small assays).
        exclude : iterable of str or None, default=None
            Compounds (SMILES, any spelling) that no proxy may train on: a target's test set.
        assays : sequence of str or None, default=None
            The assays to use (default: all).
        min_labels : int, default=50
            Assays with fewer labelled compounds (after ``exclude``) are skipped, as are
            assays with one class; both are listed in ``skipped``.
        random_state : int, default=0
            Seed of every proxy.
        device : {"auto", "cpu", "cuda"}, default="auto"
            XGBoost's device for the default proxy.
        n_jobs : int or None, default=1
            Proxies trained at once, one thread each.
        verbose : bool, default=True
            Progress bar.
        checkpoint : str or os.PathLike or None, default=None
            A folder where the features and each batch of trained proxies are kept as the
            build goes, so that a build that was killed resumes where it stopped. Its
            contents are keyed by every build input (panels' labels, featurizer, proxy,
            seed, ``min_labels``, ``exclude``): a different build never reuses them. Left in
            place; :func:`remove_checkpoint` removes it once the library is saved.

        Returns
        -------
        ProxyLibrary
        """
        panels = [panel] if isinstance(panel, AssayPanel) else list(panel)
        if not panels:
            raise DataError("ProxyLibrary.build needs at least one panel")
        if min_labels < 2:
            raise DataError(f"min_labels must be >= 2, got {min_labels}")
        datasets = _datasets_of(panels)
        joined = panels[0] if len(panels) == 1 else compose(panels, name="+".join(
            p.name for p in panels))
        if assays is not None:
            joined = joined.select(list(assays))
        _check_source_names(joined.assays)
        featurizer = clone(featurizer if featurizer is not None else MorganFingerprint()).fit()
        if proxy is not None and not hasattr(proxy, "predict_proba"):
            raise DataError(f"proxy {type(proxy).__name__} has no predict_proba")
        excluded = _canonical_set(exclude)
        keep = ~joined.compounds.isin(list(excluded))
        train: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        skipped = []
        for a in joined.assays:
            r, y = joined.positions(a)
            r, y = r[keep[r]], y[keep[r]]
            n_pos = int(y.sum())
            if len(r) < min_labels:
                skipped.append({"assay": a, "reason": f"{len(r)} labelled compounds "
                                f"(< min_labels={min_labels})"})
            elif n_pos in (0, len(r)):
                skipped.append({"assay": a, "reason": "one class only"})
            else:
                train[a] = (r, y)
        if not train:
            raise DataError(f"no usable source assay in {joined.name!r}: {skipped[:3]}")
        template = proxy if proxy is not None else default_proxy(
            [len(r) for r, _ in train.values()], device=device)
        used = np.unique(np.concatenate([r for r, _ in train.values()]))
        position = np.full(len(joined.compounds), -1, dtype=np.int64)
        position[used] = np.arange(len(used))
        compounds = joined.compounds[used]
        rows = {a: position[r] for a, (r, _) in train.items()}
        ys = {a: y for a, (_, y) in train.items()}
        build = {"panels": {p.name: p.checksum() for p in panels}, "min_labels": min_labels,
                 "random_state": random_state, "n_excluded": int((~keep).sum()),
                 "proxy": _estimator_spec(template)}
        store = _Checkpoint(checkpoint, {**build, "featurizer": featurizer.spec(),
                                         "excluded": sorted(excluded)})
        X = store.features(lambda: featurizer.transform_valid(list(compounds)))
        fitted = store.proxies(list(train), lambda names: _train_proxies(
            names, template, random_state, n_jobs, X=X, rows=rows, labels=ys), verbose=verbose)
        info = pd.DataFrame([{"source": a, "dataset": datasets.get(a, joined.name),
                              "n_train": len(rows[a]), "n_positive": int(ys[a].sum())}
                             for a in train]).set_index("source")
        info["title"] = [_title(d) for d in info["dataset"]]
        descriptions = {a: d for p in panels for a, d in p.descriptions.items()}
        info["description"] = [descriptions.get(a, "") for a in info.index]
        info = info[list(INFO_COLUMNS)]
        return cls(featurizer=featurizer, proxies=dict(zip(train, fitted, strict=True)),
                   compounds=compounds, X=X, rows=rows, labels=ys, info=info,
                   skipped=pd.DataFrame(skipped, columns=["assay", "reason"]), build=build)

    # -- saving and loading ----------------------------------------------------------------
    def _write(self, folder: Path) -> None:
        sp.save_npz(folder / "features.npz", self.X.astype(np.float32), compressed=True)
        pq.write_table(pa.table({"smiles": pa.array(list(self.compounds), pa.string())}),
                       folder / "compounds.parquet")
        # three arrays, not two per source: each array of an .npz costs a read of its own
        sizes = [len(self.rows[s]) for s in self.sources]
        np.savez_compressed(
            folder / "rows.npz", offsets=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
            rows=np.concatenate([self.rows[s] for s in self.sources] or [[]]).astype(np.int64),
            labels=np.concatenate([self.labels[s] for s in self.sources] or [[]]).astype(np.int8))
        (folder / "proxies").mkdir()
        sources = []
        for i, s in enumerate(self.sources):
            record = save_estimator(self.proxies[s], folder, f"proxies/{safe_name(s)}")
            sources.append({"name": s, "index": i, "model": record,
                            **{k: _plain(v) for k, v in self.info.loc[s].items()}})
        import rdkit
        import sklearn
        import xgboost

        write_json_atomic(folder / MANIFEST, {
            "format": LIBRARY_FORMAT,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": {"bioassay_mix": __version__, "xgboost": xgboost.__version__,
                         "rdkit": rdkit.__version__, "scikit_learn": sklearn.__version__},
            "featurizer": self.featurizer.spec(),
            "n_features": self.n_features,
            "n_compounds": len(self.compounds),
            "build": self.build_params,
            "files": {f: sha256_file(folder / f) for f in DATA_FILES},
            "sources": sources,
            "skipped": self.skipped.to_dict("records"),
        })

    @classmethod
    def load(cls, path: str | os.PathLike, *, n_jobs: int | None = 1) -> ProxyLibrary:
        """Read a library written by :meth:`save`, verifying versions and checksums first.

        Parameters
        ----------
        path : str or os.PathLike
            The library folder.
        n_jobs : int or None, default=1
            Threads reading proxies (XGBoost parses its files without holding the GIL).

        Returns
        -------
        ProxyLibrary

        Raises
        ------
        ModelFileError
            A missing, edited or corrupt file, named; another version's format.
        """
        folder = Path(path)
        manifest = _read_manifest(folder)
        file = folder / MANIFEST
        for name in DATA_FILES:
            if not (folder / name).is_file():
                raise ModelFileError(f"library file {folder / name} is missing")
            check_sha256(folder / name, manifest["files"].get(name), str(file))
        try:
            featurizer = featurizer_from_spec(manifest["featurizer"])
        except DataError as exc:
            raise ModelFileError(f"{file}: {exc}") from exc
        try:
            X = sp.load_npz(folder / "features.npz").tocsr()
            compounds = pd.Index(pq.read_table(folder / "compounds.parquet")
                                 .column("smiles").to_pylist())
            with np.load(folder / "rows.npz", allow_pickle=False) as data:
                offsets, all_rows, all_labels = data["offsets"], data["rows"], data["labels"]
        except (ValueError, OSError, KeyError, pa.ArrowInvalid) as exc:
            raise ModelFileError(f"library {folder} data could not be read: {exc}") from exc
        _check_features(file, manifest, featurizer, X, compounds)
        twice = repeated(e["name"] for e in manifest["sources"])
        if twice:
            raise ModelFileError(f"{file} names source {twice[0]!r} more than once")
        rows, labels, info = {}, {}, []
        for entry in manifest["sources"]:
            name, i = entry["name"], entry["index"]
            if not (isinstance(i, int) and 0 <= i < len(offsets) - 1):
                raise ModelFileError(f"{file}: source {name!r} has no rows in rows.npz")
            part = slice(offsets[i], offsets[i + 1])
            rows[name], labels[name] = all_rows[part], all_labels[part]
            _check_source(file, entry, rows[name], labels[name], X.shape[0])
            info.append({"source": name} | {k: entry.get(k) for k in INFO_COLUMNS})
        models = LocalExecutor(n_jobs).map(_load_proxy, manifest["sources"], shared={
            "folder": folder, "width": X.shape[1]}, desc="loading proxies", verbose=False)
        proxies = dict(zip(rows, models, strict=True))
        return cls(featurizer=featurizer, proxies=proxies, compounds=compounds, X=X, rows=rows,
                   labels=labels, info=pd.DataFrame(info).set_index("source"),
                   skipped=pd.DataFrame(manifest.get("skipped", []),
                                        columns=["assay", "reason"]),
                   build=manifest.get("build", {}), path=folder)


#: Below this median number of training compounds per source, the default proxy is logistic
#: regression, not XGBoost.
LINEAR_PROXY_MEDIAN = 100


def default_proxy(sizes: Sequence[int], *, device: str = "auto") -> Any:
    """The default proxy for sources of ``sizes`` training compounds: XGBoost with the paper's
    fast setting (100 trees, depth 6, learning rate 0.1), or L2 logistic regression (C=1) when
    the median source has fewer than :data:`LINEAR_PROXY_MEDIAN` compounds, as ChEMBL assays
    do (FS-Mol's median 46). There, on FS-Mol's valid tasks, the logistic proxies' mixture was
    at least as good at every support size and they predict every source in one matrix
    product (``benchmarks/results/fsmol_valid_logistic/``); MoleculeNet's assays, of
    thousands of compounds, keep XGBoost.

    Parameters
    ----------
    sizes : sequence of int
        Training compounds per source.
    device : {"auto", "cpu", "cuda"}, default="auto"
        XGBoost's device.

    Returns
    -------
    classifier
        Unfitted.
    """
    if len(sizes) and float(np.median(sizes)) < LINEAR_PROXY_MEDIAN:
        return make_estimator("logistic")
    return make_classifier(device=device, n_jobs=1)


def cached_library(panels: Sequence[AssayPanel], *, featurizer: Featurizer,
                   proxy: Any = None, min_labels: int = 50, random_state: int = 0,
                   device: str = "auto", n_jobs: int | None = 1, cache: str | os.PathLike,
                   verbose: bool = True) -> ProxyLibrary:
    """The library of ``panels`` from ``cache``, built and saved there the first time. Keyed by
    content: the panels' checksums, the featurizer's spec, the proxy's class and parameters,
    ``min_labels`` and the seed, so another panel file of the same name builds another
    library."""
    sizes = [n for p in panels for n in p.summary()["n_labelled"] if n >= min_labels]
    template = proxy if proxy is not None else default_proxy(sizes, device=device)
    key = {"panels": [p.checksum() for p in panels], "featurizer": featurizer.spec(),
           "proxy": _estimator_spec(template), "min_labels": min_labels,
           "random_state": random_state, "format": LIBRARY_FORMAT}
    digest = sha256_bytes(json.dumps(key, sort_keys=True, default=str).encode())[:20]
    folder = Path(cache) / f"{'+'.join(p.name for p in panels)[:60]}-{digest}"
    if (folder / MANIFEST).is_file():
        try:
            return ProxyLibrary.load(folder)
        except ModelFileError as exc:
            logger.warning("cached library %s is unusable (%s); building it again", folder, exc)
    lib = ProxyLibrary.build(list(panels), featurizer=featurizer, proxy=template,
                             min_labels=min_labels, random_state=random_state, device=device,
                             n_jobs=n_jobs, verbose=verbose)
    try:
        lib.save(folder, overwrite=True)
    except (OSError, DataError) as exc:  # a full or read-only cache costs the cache only
        logger.warning("the library of %s could not be cached in %s (%s); it is used "
                       "without being saved", [p.name for p in panels], folder, exc)
        lib.path = None
        return lib
    logger.info("library of %s saved to %s", [p.name for p in panels], folder)
    return lib


def is_feature_matrix(X: Any) -> bool:
    """Whether ``X`` is a numeric matrix (features) rather than SMILES."""
    return sp.issparse(X) or (isinstance(X, np.ndarray) and X.ndim == 2
                              and X.dtype.kind in "fiub")


def load_library(path: str | os.PathLike, *, n_jobs: int | None = 1) -> ProxyLibrary:
    """Read a library folder: :meth:`ProxyLibrary.load`.

    Parameters
    ----------
    path : str or os.PathLike
        The library folder.
    n_jobs : int or None, default=1
        Threads reading proxies.

    Returns
    -------
    ProxyLibrary
    """
    return ProxyLibrary.load(path, n_jobs=n_jobs)


def _check_features(file: Path, manifest: dict, featurizer: Featurizer, X: sp.csr_matrix,
                    compounds: pd.Index) -> None:
    """The stored features are the featurizer's: their width, and the first and last
    compounds featurized again (an edited radius or bit count changes them)."""
    if X.shape[1] != featurizer.n_features_out_ or X.shape[1] != manifest["n_features"]:
        raise ModelFileError(f"{file}: the features have {X.shape[1]} columns, the manifest "
                             f"records {manifest['n_features']} and the featurizer "
                             f"{manifest['featurizer']} makes {featurizer.n_features_out_}")
    if len(compounds) != X.shape[0] or not len(compounds):
        raise ModelFileError(f"{file}: {len(compounds)} compounds for {X.shape[0]} feature rows")
    ends = [0, len(compounds) - 1]
    again = sp.csr_matrix(featurizer.transform_valid(list(compounds[ends])), dtype=np.float32)
    if (abs(again - X[ends]) > 1e-4).nnz:
        raise ModelFileError(f"{file}: the stored features of {compounds[0]!r} are not what "
                             f"the featurizer {manifest['featurizer']} makes; the featurizer "
                             "or the features were changed")


def _load_proxy(entry: dict, *, folder: Path, width: int) -> Any:
    file = folder / MANIFEST
    model = load_estimator(folder, entry["model"], recorded_in=str(file))
    check_binary_classifier(model, width, f"{file}: proxy of {entry['name']!r}")
    return model


def _check_source(file: Path, entry: dict, rows: np.ndarray, labels: np.ndarray,
                  n_rows: int) -> None:
    name = entry["name"]
    if len(rows) != len(labels):
        raise ModelFileError(f"{file}: source {name!r} has {len(rows)} rows but {len(labels)} "
                             "labels")
    if len(rows) and (rows.min() < 0 or rows.max() >= n_rows):
        raise ModelFileError(f"{file}: rows of source {name!r} lie outside the features")
    if not np.isin(labels, (0, 1)).all():
        raise ModelFileError(f"{file}: labels of source {name!r} are not all 0 or 1")
    if entry.get("n_train") is not None and entry["n_train"] != len(rows):
        raise ModelFileError(f"{file}: source {name!r} records {entry['n_train']} training "
                             f"compounds but rows.npz holds {len(rows)}")
    expected = f"proxies/{safe_name(name)}"
    model_file = str(entry.get("model", {}).get("file", ""))
    if model_file.rsplit(".", 1)[0] != expected:
        raise ModelFileError(f"{file}: the model of source {name!r} is recorded as "
                             f"{model_file!r}, not its own file {expected}.*")


def _read_manifest(folder: Path) -> dict:
    file = folder / MANIFEST
    manifest = read_manifest_json(folder, MANIFEST, "proxy library")
    try:
        fmt, written = manifest["format"], manifest["versions"]["bioassay_mix"]
        entries = manifest["sources"]
        complete = all({"name", "index", "model"} <= set(e) for e in entries)
        _ = manifest["files"], manifest["featurizer"], manifest["n_features"]
    except (KeyError, TypeError) as exc:
        raise ModelFileError(f"{file} is corrupt: {type(exc).__name__}: {exc}") from exc
    if fmt != LIBRARY_FORMAT:
        raise ModelFileError(f"{file} has library format {fmt!r}; this bioassay-mix "
                             f"{__version__} reads format {LIBRARY_FORMAT}: rebuild the library "
                             "(bioassay-mix library build)")
    if str(written).split(".")[:2] != __version__.split(".")[:2]:
        raise ModelFileError(f"{file} was written by bioassay-mix {written}; this is "
                             f"{__version__} (major.minor must match): rebuild the library")
    if not complete or not entries:
        raise ModelFileError(f"{file} is corrupt: source entries are missing or incomplete")
    return manifest


def remove_checkpoint(folder: str | os.PathLike) -> None:
    """Remove what :meth:`ProxyLibrary.build` kept in ``folder`` (its keyed subfolders, and the
    folder once empty); anything else there is left alone.

    Parameters
    ----------
    folder : str or os.PathLike
        The ``checkpoint`` given to :meth:`ProxyLibrary.build`.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return
    for sub in folder.iterdir():
        if sub.is_dir() and len(sub.name) == 24 and (sub / "features.npz").exists():
            shutil.rmtree(sub, ignore_errors=True)
    with contextlib.suppress(OSError):
        folder.rmdir()


#: Proxies trained between two checkpoints.
CHECKPOINT_BATCH = 250


class _Checkpoint:
    """What a build has done so far, under ``folder/<key of the build inputs>``; with no
    folder, nothing is kept."""

    def __init__(self, folder: str | os.PathLike | None, key: dict[str, Any]):
        digest = sha256_bytes(json.dumps(key, sort_keys=True, default=str).encode())[:24]
        self.folder = Path(folder) / digest if folder is not None else None

    def features(self, compute) -> sp.csr_matrix:
        file = self.folder / "features.npz" if self.folder else None
        if file is not None and file.is_file():
            try:
                return sp.load_npz(file).tocsr()
            except (ValueError, OSError) as exc:
                logger.warning("checkpoint %s is unreadable (%s); featurizing again", file, exc)
        X = sp.csr_matrix(compute(), dtype=np.float32)
        if file is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            with atomic_path(file) as tmp:
                sp.save_npz(tmp, X, compressed=False)
        return X

    def proxies(self, names: list[str], train, *, verbose: bool) -> list[Any]:
        done = self._done()
        todo = [n for n in names if n not in done]
        if done:
            logger.info("resuming a library build: %d of %d proxies already trained (%s)",
                        len(names) - len(todo), len(names), self.folder)
        bar = progress(None, desc="proxies", total=len(names), verbose=verbose)
        bar.update(len(names) - len(todo))
        for start in range(0, len(todo), CHECKPOINT_BATCH):
            batch = todo[start:start + CHECKPOINT_BATCH]
            models = train(batch)
            done.update(zip(batch, models, strict=True))
            self._keep(batch, models)
            bar.update(len(batch))
        bar.close()
        return [done[n] for n in names]

    def _done(self) -> dict[str, Any]:
        log = self.folder / "proxies.jsonl" if self.folder else None
        if log is None or not log.is_file():
            return {}
        done = {}
        for line in log.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                done[entry["name"]] = load_estimator(self.folder, entry["model"],
                                                     recorded_in=str(log))
            except (ValueError, KeyError, TypeError, ModelFileError) as exc:
                # a line cut by the kill, or a model file it did not finish: trained again
                logger.warning("checkpoint %s: an entry is unusable (%s)", log, exc)
        return done

    def _keep(self, names: list[str], models: list[Any]) -> None:
        if self.folder is None:
            return
        (self.folder / "proxies").mkdir(parents=True, exist_ok=True)
        lines = [json.dumps({"name": n, "model": save_estimator(
            m, self.folder, f"proxies/{sha256_bytes(n.encode())[:32]}")})
            for n, m in zip(names, models, strict=True)]
        with open(self.folder / "proxies.jsonl", "a", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in lines))


def _check_source_names(names: Iterable[str]) -> None:
    if TARGET in names:
        raise DataError(f"a source is named {TARGET!r}, the name MixMin gives the target's own "
                        "column; rename that assay (or leave it out with assays=)")


def _train_proxies(names: list[str], template: Any, random_state: int, n_jobs: int | None, *,
                   X: sp.csr_matrix, rows: dict, labels: dict) -> list[Any]:
    items = [(a, seeded(template, random_state, n_jobs=1)) for a in names]
    with threadpool_limits(limits=1):  # n_jobs proxies at a time, one thread each
        return LocalExecutor(n_jobs).map(_fit_proxy, items,
                                         shared={"X": X, "rows": rows, "labels": labels},
                                         verbose=False)


def _stack_logistic(models: list[Any]) -> tuple[np.ndarray, np.ndarray] | bool:
    """The coefficients (features x proxies) and intercepts of binary logistic-regression
    proxies, whose class-1 probability is ``expit(X @ coef + intercept)``; False unless every
    proxy is one."""
    from sklearn.linear_model import LogisticRegression

    if not models or not all(type(m) is LogisticRegression and len(m.classes_) == 2
                             for m in models):
        return False
    return (np.column_stack([m.coef_[0] for m in models]),
            np.array([m.intercept_[0] for m in models]))


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


def _fit_proxy(item: tuple[str, Any], *, X, rows: dict, labels: dict) -> Any:
    name, model = item
    return model.fit(X[rows[name]], labels[name])


def _canonical_set(smiles: Iterable[str] | None) -> set[str]:
    """The canonical SMILES of the compounds to exclude; an exclusion list of which nothing
    parses is an error (it would exclude nothing), some invalid entries a warning."""
    if smiles is None:
        return set()
    given = list(smiles)
    parsed = parse_many(given)
    bad = [(i, p.reason) for i, p in enumerate(parsed) if p.smiles is None]
    if given and len(bad) == len(given):
        raise DataError(f"none of the {len(given)} compounds to exclude is a valid SMILES "
                        f"(first, at row {bad[0][0]}: {bad[0][1]}); nothing would be excluded")
    if bad:
        logger.warning("%d of %d compounds to exclude are not valid SMILES and exclude nothing "
                       "(first, at row %d: %s)", len(bad), len(given), *bad[0])
    return {p.smiles for p in parsed if p.smiles is not None}


def _datasets_of(panels: Sequence[AssayPanel]) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in panels:
        for a in p.assays:
            out[a] = p.name if a not in out else f"{out[a]}+{p.name}"
    return out


def _title(dataset: str) -> str:
    known = manifests()
    return "; ".join(known[d].title for d in dataset.split("+") if d in known)


def _estimator_spec(model: Any) -> dict[str, Any]:
    params = {k: _plain(v) for k, v in model.get_params(deep=False).items()}
    return {"class": f"{type(model).__module__}.{type(model).__qualname__}", "params": params}


def _plain(value: Any) -> Any:
    """A JSON-ready version of a parameter or count (NumPy scalars to Python, others to str)."""
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
