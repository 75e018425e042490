"""Model bundles: the MixMin-trained model of every target, ready to score new compounds.

A bundle is a directory::

    bundle.json         format, package versions, featurizer, training panel checksum, and per
                        target: model file, its sha256, MixMin weights and test-split AP
    models/<name>.ubj   one XGBoost model per target, in XGBoost's own UBJ format

Loading checks the format and versions, then every model file's sha256, before XGBoost reads
anything; a bundle is never unpickled. Saving writes a temporary directory and renames it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import xgboost as xgb

from . import __version__
from ._utils import safe_name, sha256_file, write_dir_atomic, write_json_atomic
from .device import resolve_device
from .errors import DataError, ModelFileError
from .featurize import MorganFingerprint
from .persist import load_verified

if TYPE_CHECKING:
    from .experiment import RunResult

BUNDLE_FORMAT = 1
MANIFEST = "bundle.json"
FEATURIZER_KEYS = ("radius", "n_bits", "counts", "include_chirality")


@dataclass
class Bundle:
    """Fitted per-target models plus everything needed to featurize and score new compounds.

    ``models`` maps target -> ``xgboost.Booster``; ``featurizer`` holds the
    :class:`~bioassay_mix.featurize.MorganFingerprint` parameters the models were trained on;
    ``weights`` is targets x sources (MixMin weights); ``info`` carries provenance (panel,
    checksums, configuration, versions, per-target AP).
    """

    models: dict[str, xgb.Booster]
    featurizer: dict[str, Any]
    weights: pd.DataFrame = field(default_factory=pd.DataFrame)
    info: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def targets(self) -> list[str]:
        return list(self.models)

    def fingerprinter(self, n_jobs: int | None = 1) -> MorganFingerprint:
        """The featurizer the models were trained with."""
        return MorganFingerprint(**self.featurizer, n_jobs=n_jobs).fit()

    def select(self, targets: list[str] | None) -> Bundle:
        """The bundle restricted to ``targets`` (all when ``None``), in that order."""
        if targets is None:
            return self
        _check_known(targets, self.targets, self.path)
        return Bundle({t: self.models[t] for t in targets}, dict(self.featurizer),
                      self.weights.reindex(index=targets), self.info, self.path)

    def to_device(self, device: str | None) -> str:
        """Move prediction to ``device`` (auto|cpu|cuda); returns the device really used."""
        resolved = resolve_device(device)
        for booster in self.models.values():
            booster.set_param({"device": resolved})
        return resolved

    def predict_proba(self, X: sp.csr_matrix) -> np.ndarray:
        """Class-1 probability of every row of ``X`` (fingerprints) for every target:
        an (n_rows, n_targets) float32 array."""
        out = np.empty((X.shape[0], len(self.models)), dtype=np.float32)
        if X.shape[0] == 0:
            return out
        for j, booster in enumerate(self.models.values()):
            out[:, j] = np.asarray(booster.inplace_predict(X), dtype=np.float32)
        return out

    # -- building, saving and loading --------------------------------------------------------
    @classmethod
    def from_run(cls, result: RunResult) -> Bundle:
        """The MixMin-trained model of every target of ``result``."""
        if not result.models:
            raise DataError("this run trained no target models; nothing to bundle")
        cfg = result.metadata["config"]
        featurizer = {"radius": cfg["radius"], "n_bits": cfg["n_bits"], "counts": cfg["counts"],
                      "include_chirality": False}
        ap = result.report.set_index("target").filter(like="ap_")
        info = {
            "panel": result.metadata["panel"],
            "panel_sources_sha256": result.metadata["panel_sources_sha256"],
            "panel_labels_sha256": result.metadata["panel_labels_sha256"],
            "config": cfg, "config_key": result.metadata["config_key"],
            "test_ap": {t: ap.loc[t].to_dict() for t in result.models if t in ap.index},
        }
        models = {t: m.get_booster() for t, m in result.models.items()}
        return cls(models, featurizer, result.weights.reindex(index=list(models)), info)

    def save(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the bundle directory atomically. An existing bundle is replaced only with
        ``overwrite=True``; a non-empty folder that is not a bundle never is."""
        self.path = write_dir_atomic(path, self._write, marker=MANIFEST, overwrite=overwrite,
                                     what="bundle")
        return self.path

    def _write(self, folder: Path) -> None:
        (folder / "models").mkdir()
        targets = []
        for t, booster in self.models.items():
            rel = f"models/{safe_name(t)}.ubj"
            booster.save_model(folder / rel)
            w = self.weights.loc[t].dropna() if t in self.weights.index else pd.Series()
            targets.append({"name": t, "model_file": rel, "sha256": sha256_file(folder / rel),
                            "weights": {s: float(v) for s, v in w.items() if v > 0},
                            "test_ap": self.info.get("test_ap", {}).get(t)})
        import rdkit
        import sklearn

        manifest = {
            "format": BUNDLE_FORMAT,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": {"bioassay_mix": __version__, "xgboost": xgb.__version__,
                         "rdkit": rdkit.__version__, "scikit_learn": sklearn.__version__,
                         "numpy": np.__version__},
            "featurizer": {"kind": "morgan", **self.featurizer},
            "training": {k: v for k, v in self.info.items() if k != "test_ap"},
            "targets": targets,
        }
        write_json_atomic(folder / MANIFEST, manifest)

    @classmethod
    def load(cls, path: str | os.PathLike, *, targets: list[str] | None = None) -> Bundle:
        """Read a bundle written by :meth:`save`, verifying versions and checksums first."""
        folder = Path(path)
        manifest = _read_manifest(folder)
        entries = {e["name"]: e for e in manifest["targets"]}
        wanted = list(entries) if targets is None else list(targets)
        _check_known(wanted, list(entries), folder)
        models = {t: _load_booster(folder, entries[t], manifest) for t in wanted}
        weights = pd.DataFrame({t: entries[t]["weights"] for t in wanted}).T.reindex(wanted)
        info = {**manifest["training"], "test_ap": {t: entries[t]["test_ap"] for t in wanted},
                "versions": manifest["versions"], "created": manifest["created"]}
        featurizer = {k: manifest["featurizer"][k] for k in FEATURIZER_KEYS}
        return cls(models, featurizer, weights.fillna(0.0), info, folder)


def load_bundle(path: str | os.PathLike, *, targets: list[str] | None = None) -> Bundle:
    """Shorthand for :meth:`Bundle.load`."""
    return Bundle.load(path, targets=targets)


def _check_known(wanted: list[str], known: list[str], where: Path | None) -> None:
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise DataError(f"bundle {where or '(in memory)'} has no target {unknown[0]!r}; it has "
                        f"{len(known)}: {known[:10]}")
    if not wanted:
        raise DataError(f"no targets selected from bundle {where or '(in memory)'}")


def _read_manifest(folder: Path) -> dict:
    file = folder / MANIFEST
    if not file.is_file():
        raise ModelFileError(f"{folder} is not a bundle: {MANIFEST} is missing")
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
        fmt, versions = manifest["format"], manifest["versions"]
        featurizer, entries = manifest["featurizer"], manifest["targets"]
        missing = [k for k in FEATURIZER_KEYS if k not in featurizer]
        bad = [e for e in entries if not {"name", "model_file", "sha256"} <= set(e)]
        n_bits = int(featurizer.get("n_bits"))
        names = [str(e["name"]) for e in entries if isinstance(e, dict) and "name" in e]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError,
            RecursionError) as exc:
        raise ModelFileError(f"{file} is corrupt: {type(exc).__name__}: "
                             f"{str(exc)[:200]}") from exc
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ModelFileError(f"{file} names target {duplicated[0]!r} more than once; refusing "
                             "to guess which model serves it")
    if n_bits < 1:
        raise ModelFileError(f"{file}: featurizer n_bits must be >= 1, got {n_bits}")
    if fmt != BUNDLE_FORMAT:
        raise ModelFileError(f"{file} has bundle format {fmt!r}; this bioassay-mix "
                             f"{__version__} reads format {BUNDLE_FORMAT}")
    if missing or bad or featurizer.get("kind") != "morgan":
        raise ModelFileError(f"{file} is corrupt: featurizer or target entries incomplete")
    _check_versions(file, versions)
    return manifest


def _minor(version: str) -> tuple[int, int]:
    parts = [int(p) if p.isdigit() else 0 for p in str(version).split(".")[:2]]
    major, minor = [*parts, 0, 0][:2]
    return major, minor


def _check_versions(file: Path, versions: dict) -> None:
    # Same major.minor of bioassay-mix: the featurizer and bundle layout are stable within it.
    written = versions.get("bioassay_mix", "?")
    if _minor(written) != _minor(__version__):
        raise ModelFileError(f"{file} was written by bioassay-mix {written}; this is "
                             f"{__version__} (major.minor must match): retrain or re-export it")
    # XGBoost reads models from older releases, not from newer ones.
    model_xgb = versions.get("xgboost", "0")
    if _minor(model_xgb) > _minor(xgb.__version__):
        raise ModelFileError(f"{file} holds models from XGBoost {model_xgb}; installed "
                             f"XGBoost {xgb.__version__} is older and may not read them")


def _load_booster(folder: Path, entry: dict, manifest: dict) -> xgb.Booster:
    file = folder / entry["model_file"]
    if not file.resolve().is_relative_to(folder.resolve()):
        raise ModelFileError(f"{folder / MANIFEST}: model path {entry['model_file']!r} leaves "
                             "the bundle")
    if not file.is_file():
        raise ModelFileError(f"model file {file} of target {entry['name']!r} is missing")
    booster = load_verified(xgb.Booster(), file, entry["sha256"], MANIFEST)
    n_bits = int(manifest["featurizer"]["n_bits"])
    if booster.num_features() != n_bits:
        raise ModelFileError(f"model file {file} expects {booster.num_features()} features; the "
                             f"bundle's featurizer makes {n_bits}")
    return booster
