"""Saving a library as a folder and loading it back, every file verified before it is read."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp

from .._files import read_manifest_json, safe_name, sha256_file, write_json_atomic
from .._utils import repeated
from .._version import __version__
from ..errors import DataError, ModelFileError
from ..executor import LocalExecutor
from ..featurize import Featurizer, featurizer_from_spec
from ..persist import check_binary_classifier, check_sha256, load_estimator, save_estimator
from ._layout import DATA_FILES, INFO_COLUMNS, LIBRARY_FORMAT, MANIFEST, plain


class StorageMixin:
    """:meth:`save` (from :class:`~bioassay_mix._files.SavedFolder`) writes with
    :meth:`_write`; :meth:`load` reads, for :class:`~bioassay_mix.library.ProxyLibrary`."""

    def _write(self, folder: Path) -> None:
        sp.save_npz(folder / "features.npz", self.X.astype(np.float32), compressed=True)
        pq.write_table(
            pa.table({"smiles": pa.array(list(self.compounds), pa.string())}),
            folder / "compounds.parquet",
        )
        # three arrays, not two per source: each array of an .npz costs a read of its own
        sizes = [len(self.rows[s]) for s in self.sources]
        np.savez_compressed(
            folder / "rows.npz",
            offsets=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
            rows=np.concatenate([self.rows[s] for s in self.sources] or [[]]).astype(np.int64),
            labels=np.concatenate([self.labels[s] for s in self.sources] or [[]]).astype(np.int8),
        )
        (folder / "proxies").mkdir()
        sources = []
        for i, s in enumerate(self.sources):
            record = save_estimator(self.proxies[s], folder, f"proxies/{safe_name(s)}")
            sources.append(
                {
                    "name": s,
                    "index": i,
                    "model": record,
                    **{k: plain(v) for k, v in self.info.loc[s].items()},
                }
            )
        import rdkit
        import sklearn
        import xgboost

        write_json_atomic(
            folder / MANIFEST,
            {
                "format": LIBRARY_FORMAT,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "versions": {
                    "bioassay_mix": __version__,
                    "xgboost": xgboost.__version__,
                    "rdkit": rdkit.__version__,
                    "scikit_learn": sklearn.__version__,
                },
                "featurizer": self.featurizer.spec(),
                "n_features": self.n_features,
                "n_compounds": len(self.compounds),
                "build": self.build_params,
                "files": {f: sha256_file(folder / f) for f in DATA_FILES},
                "sources": sources,
                "skipped": self.skipped.to_dict("records"),
            },
        )

    @classmethod
    def load(cls, path: str | os.PathLike, *, n_jobs: int | None = 1) -> Self:
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
            compounds = pd.Index(
                pq.read_table(folder / "compounds.parquet").column("smiles").to_pylist()
            )
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
        models = LocalExecutor(n_jobs).map(
            _load_proxy,
            manifest["sources"],
            shared={"folder": folder, "width": X.shape[1]},
            desc="loading proxies",
            verbose=False,
        )
        proxies = dict(zip(rows, models, strict=True))
        return cls(
            featurizer=featurizer,
            proxies=proxies,
            compounds=compounds,
            X=X,
            rows=rows,
            labels=labels,
            info=pd.DataFrame(info).set_index("source"),
            skipped=pd.DataFrame(manifest.get("skipped", []), columns=["assay", "reason"]),
            build=manifest.get("build", {}),
            path=folder,
        )


def _check_features(
    file: Path, manifest: dict, featurizer: Featurizer, X: sp.csr_matrix, compounds: pd.Index
) -> None:
    """The stored features are the featurizer's: their width, and the first and last
    compounds featurized again (an edited radius or bit count changes them)."""
    if X.shape[1] != featurizer.n_features_out_ or X.shape[1] != manifest["n_features"]:
        raise ModelFileError(
            f"{file}: the features have {X.shape[1]} columns, the manifest "
            f"records {manifest['n_features']} and the featurizer "
            f"{manifest['featurizer']} makes {featurizer.n_features_out_}"
        )
    if len(compounds) != X.shape[0] or not len(compounds):
        raise ModelFileError(f"{file}: {len(compounds)} compounds for {X.shape[0]} feature rows")
    ends = [0, len(compounds) - 1]
    again = sp.csr_matrix(featurizer.transform_valid(list(compounds[ends])), dtype=np.float32)
    if (abs(again - X[ends]) > 1e-4).nnz:
        raise ModelFileError(
            f"{file}: the stored features of {compounds[0]!r} are not what "
            f"the featurizer {manifest['featurizer']} makes; the featurizer "
            "or the features were changed"
        )


def _load_proxy(entry: dict, *, folder: Path, width: int) -> Any:
    file = folder / MANIFEST
    model = load_estimator(folder, entry["model"], recorded_in=str(file))
    check_binary_classifier(model, width, f"{file}: proxy of {entry['name']!r}")
    return model


def _check_source(
    file: Path, entry: dict, rows: np.ndarray, labels: np.ndarray, n_rows: int
) -> None:
    name = entry["name"]
    if len(rows) != len(labels):
        raise ModelFileError(
            f"{file}: source {name!r} has {len(rows)} rows but {len(labels)} labels"
        )
    if len(rows) and (rows.min() < 0 or rows.max() >= n_rows):
        raise ModelFileError(f"{file}: rows of source {name!r} lie outside the features")
    if not np.isin(labels, (0, 1)).all():
        raise ModelFileError(f"{file}: labels of source {name!r} are not all 0 or 1")
    if entry.get("n_train") is not None and entry["n_train"] != len(rows):
        raise ModelFileError(
            f"{file}: source {name!r} records {entry['n_train']} training "
            f"compounds but rows.npz holds {len(rows)}"
        )
    expected = f"proxies/{safe_name(name)}"
    model_file = str(entry.get("model", {}).get("file", ""))
    if model_file.rsplit(".", 1)[0] != expected:
        raise ModelFileError(
            f"{file}: the model of source {name!r} is recorded as "
            f"{model_file!r}, not its own file {expected}.*"
        )


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
        raise ModelFileError(
            f"{file} has library format {fmt!r}; this bioassay-mix "
            f"{__version__} reads format {LIBRARY_FORMAT}: rebuild the library "
            "(bioassay-mix library build)"
        )
    if str(written).split(".")[:2] != __version__.split(".")[:2]:
        raise ModelFileError(
            f"{file} was written by bioassay-mix {written}; this is "
            f"{__version__} (major.minor must match): rebuild the library"
        )
    if not complete or not entries:
        raise ModelFileError(f"{file} is corrupt: source entries are missing or incomplete")
    return manifest
