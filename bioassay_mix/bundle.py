"""Model bundles: a model per target and the featurizer it was trained on, ready to score new
compounds.

A bundle is a directory::

    bundle.json         format, package versions, featurizer spec (class and parameters),
                        training provenance, and per target: the model's file, format and
                        sha256, its MixMin weights and its evaluation (test AP, or CV AP)
    models/<name>.ubj   XGBoost models in XGBoost's own UBJ format, or
    models/<name>.skops any other scikit-learn classifier, through skops' trusted types

Loading checks the format and versions, then every model file's sha256, before any model is
read, and rebuilds the featurizer from its spec; a bundle is never unpickled. Saving writes a
temporary directory and puts it in place; a non-empty folder that is not a bundle is never
replaced. Bundles of format 1 (XGBoost boosters and Morgan parameters) still load.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp
import xgboost as xgb

from ._files import SavedFolder, read_manifest_json, safe_name, write_json_atomic
from ._utils import repeated
from ._version import __version__
from .device import resolve_device
from .errors import DataError, ModelFileError
from .featurize import Featurizer, MorganFingerprint, featurizer_from_spec
from .persist import check_binary_classifier, load_estimator, save_estimator

__all__ = ["BUNDLE_FORMAT", "Bundle", "load_bundle"]

BUNDLE_FORMAT = 2
READABLE_FORMATS = (1, 2)
MANIFEST = "bundle.json"
_V1_FEATURIZER_KEYS = ("radius", "n_bits", "counts", "include_chirality")
#: Columns every scored table has beside the id and one probability column per target: no
#: target may take one of these names.
OUTPUT_COLUMNS = ("row", "smiles", "error")


@dataclass
class Bundle(SavedFolder):
    """Fitted per-target models plus everything needed to featurize and score new compounds.

    Parameters
    ----------
    models : dict of str to classifier
        Target -> a fitted classifier with ``predict_proba`` (XGBoost models predict through
        their booster, in place).
    featurizer : dict
        The spec (:meth:`~bioassay_mix.featurize.Featurizer.spec`) of the featurizer the
        models were trained on.
    weights : pandas.DataFrame, default=empty
        Targets x sources, the MixMin weights.
    info : dict, default={}
        Provenance: panel or target file, checksums, configuration, versions, per-target
        evaluation.
    path : pathlib.Path or None, default=None
        The folder it was loaded from.

    See Also
    --------
    bioassay_mix.score : score compounds with a bundle.
    """

    MARKER: ClassVar[str] = MANIFEST
    KIND: ClassVar[str] = "bundle"
    FILES: ClassVar[tuple[str, ...]] = ("models",)

    models: dict[str, Any]
    featurizer: dict[str, Any]
    weights: pd.DataFrame = field(default_factory=pd.DataFrame)
    info: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def __post_init__(self) -> None:
        clash = [t for t in self.models if t in OUTPUT_COLUMNS]
        if clash:
            raise DataError(
                f"target name {clash[0]!r} is one of the columns a scored table "
                f"has beside the targets {list(OUTPUT_COLUMNS)}; rename it"
            )

    @property
    def targets(self) -> list[str]:
        """The targets, in the order of :meth:`predict_proba`'s columns."""
        return list(self.models)

    def fingerprinter(self, n_jobs: int | None = 1) -> Featurizer:
        """The (fitted) featurizer the models were trained with.

        Parameters
        ----------
        n_jobs : int or None, default=1
            Its worker processes.

        Returns
        -------
        Featurizer
        """
        return featurizer_from_spec(self.featurizer, n_jobs=n_jobs)

    def select(self, targets: list[str] | None) -> Bundle:
        """The bundle restricted to ``targets``, in that order.

        Parameters
        ----------
        targets : list of str or None
            Targets of this bundle; None keeps all.

        Returns
        -------
        Bundle
        """
        if targets is None:
            return self
        _check_known(targets, self.targets, self.path)
        return Bundle(
            {t: self.models[t] for t in targets},
            dict(self.featurizer),
            self.weights.reindex(index=targets),
            self.info,
            self.path,
        )

    def to_device(self, device: str | None) -> str:
        """Move the XGBoost models' prediction to ``device``.

        Parameters
        ----------
        device : {"auto", "cpu", "cuda"} or None
            None and "auto" pick CUDA when a GPU is present.

        Returns
        -------
        str
            The device really used (other estimators predict on the CPU).
        """
        resolved = resolve_device(device)
        for model in self.models.values():
            if isinstance(model, xgb.XGBModel):
                model.set_params(device=resolved)
                model.get_booster().set_param({"device": resolved})
        return resolved

    def predict_proba(self, X: sp.csr_matrix) -> np.ndarray:
        """Class-1 probability of every row of ``X`` for every target.

        Parameters
        ----------
        X : scipy.sparse.csr_matrix
            Features from :meth:`fingerprinter`.

        Returns
        -------
        numpy.ndarray of shape (n_rows, n_targets), float32
        """
        out = np.empty((X.shape[0], len(self.models)), dtype=np.float32)
        if X.shape[0] == 0:
            return out
        for j, model in enumerate(self.models.values()):
            if isinstance(model, xgb.XGBClassifier):
                out[:, j] = np.asarray(model.get_booster().inplace_predict(X), dtype=np.float32)
            else:
                out[:, j] = model.predict_proba(X)[:, 1]
        return out

    # -- building, saving and loading --------------------------------------------------------
    @classmethod
    def from_run(cls, result: Any) -> Bundle:
        """The MixMin-trained model of every target of a run.

        Parameters
        ----------
        result : RunResult
            From :func:`bioassay_mix.run` (not imported here: runs stand on bundles, not the
            other way round).

        Returns
        -------
        Bundle
        """
        if not result.models:
            raise DataError("this run trained no target models; nothing to bundle")
        cfg = result.metadata["config"]
        featurizer = (
            result.metadata.get("featurizer")
            or MorganFingerprint(
                radius=cfg["radius"], n_bits=cfg["n_bits"], counts=cfg["counts"]
            ).spec()
        )
        ap = result.report.set_index("target").filter(like="ap_")
        info = {
            "panel": result.metadata["panel"],
            "panel_sources_sha256": result.metadata["panel_sources_sha256"],
            "panel_labels_sha256": result.metadata["panel_labels_sha256"],
            "config": cfg,
            "config_key": result.metadata["config_key"],
            "test_ap": {t: ap.loc[t].to_dict() for t in result.models if t in ap.index},
        }
        return cls(
            dict(result.models), featurizer, result.weights.reindex(index=list(result.models)), info
        )

    def _write(self, folder: Path) -> None:
        (folder / "models").mkdir()
        targets = []
        for t, model in self.models.items():
            record = save_estimator(model, folder, f"models/{safe_name(t)}")
            w = self.weights.loc[t].dropna() if t in self.weights.index else pd.Series()
            targets.append(
                {
                    "name": t,
                    "model": record,
                    "weights": {s: float(v) for s, v in w.items() if v > 0},
                    "test_ap": self.info.get("test_ap", {}).get(t),
                }
            )
        import rdkit
        import sklearn

        manifest = {
            "format": BUNDLE_FORMAT,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": {
                "bioassay_mix": __version__,
                "xgboost": xgb.__version__,
                "rdkit": rdkit.__version__,
                "scikit_learn": sklearn.__version__,
                "numpy": np.__version__,
            },
            "featurizer": self.featurizer,
            "training": {k: v for k, v in self.info.items() if k != "test_ap"},
            "targets": targets,
        }
        write_json_atomic(folder / MANIFEST, manifest)

    @classmethod
    def load(cls, path: str | os.PathLike, *, targets: list[str] | None = None) -> Bundle:
        """Read a bundle written by :meth:`save`, verifying versions and checksums first.

        Parameters
        ----------
        path : str or os.PathLike
            The bundle folder.
        targets : list of str or None, default=None
            Load only these targets' models.

        Returns
        -------
        Bundle

        Raises
        ------
        ModelFileError
            A missing, edited or corrupt file, named; a format from a newer version.
        """
        folder = Path(path)
        manifest = _read_manifest(folder)
        entries = {e["name"]: e for e in manifest["targets"]}
        wanted = list(entries) if targets is None else list(targets)
        _check_known(wanted, list(entries), folder)
        try:
            featurizer = featurizer_from_spec(manifest["featurizer"])
        except DataError as exc:
            raise ModelFileError(f"{folder / MANIFEST}: {exc}") from exc
        models = {t: _load_model(folder, entries[t], featurizer) for t in wanted}
        weights = pd.DataFrame({t: entries[t]["weights"] for t in wanted}).T.reindex(wanted)
        info = {
            **manifest["training"],
            "test_ap": {t: entries[t]["test_ap"] for t in wanted},
            "versions": manifest["versions"],
            "created": manifest["created"],
        }
        return cls(models, manifest["featurizer"], weights.fillna(0.0), info, folder)


def load_bundle(path: str | os.PathLike, *, targets: list[str] | None = None) -> Bundle:
    """Read a bundle folder: :meth:`Bundle.load`.

    Parameters
    ----------
    path : str or os.PathLike
        The bundle folder.
    targets : list of str or None, default=None
        Load only these targets' models.

    Returns
    -------
    Bundle
    """
    return Bundle.load(path, targets=targets)


def _check_known(wanted: list[str], known: list[str], where: Path | None) -> None:
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise DataError(
            f"bundle {where or '(in memory)'} has no target {unknown[0]!r}; it has "
            f"{len(known)}: {known[:10]}"
        )
    if not wanted:
        raise DataError(f"no targets selected from bundle {where or '(in memory)'}")


def _read_manifest(folder: Path) -> dict:
    """The manifest, checked and brought to the current format."""
    file = folder / MANIFEST
    manifest = read_manifest_json(folder, MANIFEST, "bundle")
    try:
        fmt, versions = manifest["format"], manifest["versions"]
        if fmt == 1:
            manifest = _upgrade_v1(manifest)
        featurizer, entries = manifest["featurizer"], manifest["targets"]
        complete = isinstance(featurizer, dict) and all(
            {"name", "model"} <= set(e) and {"file", "sha256"} <= set(e["model"]) for e in entries
        )
        names = [str(e["name"]) for e in entries]
        _ = manifest["training"], manifest["created"]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelFileError(f"{file} is corrupt: {type(exc).__name__}: {str(exc)[:200]}") from exc
    if fmt not in READABLE_FORMATS:
        raise ModelFileError(
            f"{file} has bundle format {fmt!r}; this bioassay-mix "
            f"{__version__} reads formats {READABLE_FORMATS}"
        )
    if not complete:
        raise ModelFileError(f"{file} is corrupt: featurizer or target entries incomplete")
    duplicated = repeated(names)
    if duplicated:
        raise ModelFileError(
            f"{file} names target {duplicated[0]!r} more than once; refusing "
            "to guess which model serves it"
        )
    _check_versions(file, versions)
    return manifest


def _upgrade_v1(manifest: dict) -> dict:
    """Format 1 (XGBoost boosters, Morgan parameters) in the shape of format 2."""
    old = manifest["featurizer"]
    if old.get("kind") != "morgan":
        raise KeyError("featurizer kind")
    params = {k: old[k] for k in _V1_FEATURIZER_KEYS}
    params["n_bits"] = int(params["n_bits"])
    targets = [
        {
            **e,
            "model": {
                "format": "xgboost-ubj",
                "file": e["model_file"],
                "sha256": e["sha256"],
                "class": "xgboost.sklearn.XGBClassifier",
            },
        }
        for e in manifest["targets"]
    ]
    return {**manifest, "featurizer": MorganFingerprint(**params).spec(), "targets": targets}


def _minor(version: str) -> tuple[int, int]:
    parts = [int(p) if p.isdigit() else 0 for p in str(version).split(".")[:2]]
    major, minor = [*parts, 0, 0][:2]
    return major, minor


def _check_versions(file: Path, versions: dict) -> None:
    # Same major.minor of bioassay-mix: the featurizer and bundle layout are stable within it.
    written = versions.get("bioassay_mix", "?")
    if _minor(written) != _minor(__version__):
        raise ModelFileError(
            f"{file} was written by bioassay-mix {written}; this is "
            f"{__version__} (major.minor must match): retrain or re-export it"
        )
    # XGBoost reads models from older releases, not from newer ones.
    model_xgb = versions.get("xgboost", "0")
    if _minor(model_xgb) > _minor(xgb.__version__):
        raise ModelFileError(
            f"{file} holds models from XGBoost {model_xgb}; installed "
            f"XGBoost {xgb.__version__} is older and may not read them"
        )


def _load_model(folder: Path, entry: dict, featurizer: Featurizer) -> Any:
    model = load_estimator(folder, entry["model"], recorded_in=str(folder / MANIFEST))
    check_binary_classifier(
        model,
        featurizer.n_features_out_,
        f"model {entry['model']['file']} of target {entry['name']!r}",
    )
    return model
