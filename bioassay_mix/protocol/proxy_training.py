"""The paper's proxies: one per assay of a panel, each by the paper's grid search or with fixed
parameters, trained in parallel and cached on disk as XGBoost files keyed by their data
(:func:`train_proxies`). A user's library trains its proxies itself
(:meth:`~bioassay_mix.library.ProxyLibrary.build`)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import xgboost as xgb
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from .._files import atomic_path, safe_name, sha256_bytes, sha256_file, write_json_atomic
from ..errors import ModelFileError
from ..executor import DaskExecutor, LocalExecutor
from ..persist import constructor_params, load_verified
from ..proxies import DEFAULT_PARAMS, fit_classifier, make_classifier

logger = logging.getLogger(__name__)

#: The paper's proxy grid, searched by 5-fold cross-validation on proxy-train.
PAPER_GRID: dict[str, list] = {"n_estimators": [10, 50, 100], "max_depth": [4, 6, 8]}


def grid_search(
    X,
    y,
    *,
    params=None,
    grid: Mapping[str, list] = PAPER_GRID,
    cv: int = 5,
    device=None,
    random_state: int = 0,
) -> tuple[xgb.XGBClassifier, dict]:
    """The paper's hyperparameter search: ``cv``-fold CV on average precision, then refit."""
    search = GridSearchCV(
        make_classifier(params, device=device, n_jobs=1, random_state=random_state),
        param_grid=dict(grid),
        scoring="average_precision",
        refit=True,
        n_jobs=1,
        cv=StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state),
    )
    search.fit(X, np.asarray(y, dtype=np.int32))
    return search.best_estimator_, dict(search.best_params_)


def save_model(model: xgb.XGBModel, path: str | os.PathLike, metadata: Mapping[str, Any]) -> Path:
    """Write ``model`` in XGBoost's UBJ (``.ubj``) or JSON (``.json``) format and, beside it,
    ``<name>.meta.json`` holding ``metadata``, the model file's sha256 and the parameters the
    model file does not keep (:func:`~bioassay_mix.persist.constructor_params`). Both
    atomically."""
    path = Path(path)
    if path.suffix not in (".ubj", ".json"):
        raise ValueError(f"model path must end in .ubj or .json, got {path}")
    with atomic_path(path) as tmp:
        model.save_model(tmp)
    meta = {
        **metadata,
        "model_file": path.name,
        "sha256": sha256_file(path),
        "xgboost_version": xgb.__version__,
        "params": constructor_params(model),
    }
    write_json_atomic(meta_path(path), meta)
    return path


def meta_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path.with_name(path.stem + ".meta.json")


def load_model(path: str | os.PathLike) -> tuple[xgb.XGBClassifier, dict]:
    """Load a model saved by :func:`save_model`, verifying its checksum first."""
    path = Path(path)
    mpath = meta_path(path)
    if not path.exists() or not mpath.exists():
        raise ModelFileError(f"model {path} or its metadata {mpath.name} is missing")
    try:
        meta = json.loads(mpath.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"metadata file {mpath} is corrupt: {exc}") from exc
    model = load_verified(
        xgb.XGBClassifier(), path, meta.get("sha256"), mpath.name, params=meta.get("params")
    )
    return model, meta


@dataclass
class ProxySet:
    """The fitted proxies, one per assay, and how they were trained."""

    models: dict[str, xgb.XGBClassifier]
    info: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def assays(self) -> list[str]:
        return list(self.models)

    def predict_matrix(self, X: sp.csr_matrix, assays: Sequence[str] | None = None) -> np.ndarray:
        """Probability of class 1 under each proxy: an (n_compounds, n_assays) array."""
        assays = self.assays if assays is None else list(assays)
        out = np.empty((X.shape[0], len(assays)), dtype=np.float64)
        for j, a in enumerate(assays):
            out[:, j] = self.models[a].predict_proba(X)[:, 1]
        return out


def train_proxies(
    X: sp.csr_matrix,
    labels: pd.DataFrame,
    train_rows: Mapping[str, np.ndarray],
    *,
    params: Mapping[str, Any] | None = None,
    grid: Mapping[str, list] | None = None,
    device: str | None = "cpu",
    n_jobs: int | None = 1,
    random_state: int = 0,
    cache_dir: str | os.PathLike | None = None,
    cache_key: Mapping[str, Any] | None = None,
    verbose: bool = True,
    executor: LocalExecutor | DaskExecutor | None = None,
) -> ProxySet:
    """Fit one proxy per assay on ``X[train_rows[assay]]``, in parallel over assays.

    With ``grid`` the hyperparameters are chosen per assay by 5-fold CV (the paper's protocol).
    With ``cache_dir`` each finished proxy is saved, and a rerun with the same data, rows and
    parameters loads it instead of training again. ``executor`` runs one task per assay
    (default: ``n_jobs`` local threads).
    """
    base = {
        "params": {**DEFAULT_PARAMS, **(params or {})},
        "grid": grid,
        "random_state": random_state,
        **(cache_key or {}),
    }
    items = [
        (a, np.asarray(r), labels[a].to_numpy()[np.asarray(r)].astype(np.int32))
        for a, r in train_rows.items()
    ]
    shared = {
        "X": X,
        "base": base,
        "params": params,
        "grid": grid,
        "device": device,
        "random_state": random_state,
        "cache_dir": None if cache_dir is None else Path(cache_dir),
    }
    executor = executor or LocalExecutor(n_jobs)
    results = executor.map(_train_one, items, shared=shared, desc="proxies", verbose=verbose)
    models = {a: m for a, m, _ in results}
    info = pd.DataFrame(
        [
            {
                k: v
                for k, v in meta.items()
                if k in ("assay", "n_train", "n_positive", "best_params")
            }
            for _, _, meta in results
        ]
    )
    return ProxySet(models=models, info=info.set_index("assay") if len(info) else info)


def _train_one(
    item: tuple[str, np.ndarray, np.ndarray],
    *,
    X: sp.csr_matrix,
    base: dict,
    params,
    grid,
    device,
    random_state: int,
    cache_dir: Path | None,
):
    """One proxy: loaded from ``cache_dir`` when its key matches, else trained (and saved)."""
    assay, rows_, y = item
    key = sha256_bytes(
        json.dumps(
            {
                **base,
                "assay": assay,
                "rows": sha256_bytes(rows_.tobytes()),
                "y": sha256_bytes(y.tobytes()),
            },
            sort_keys=True,
            default=str,
        ).encode()
    )
    path = None if cache_dir is None else cache_dir / f"{safe_name(assay)}.ubj"
    cached = _load_cached(path, key)
    if cached is not None:
        return assay, cached[0], cached[1]
    best: dict = {}
    if grid:
        model, best = grid_search(
            X[rows_], y, params=params, grid=grid, device=device, random_state=random_state
        )
    else:
        model = fit_classifier(
            X[rows_], y, params=params, device=device, n_jobs=1, random_state=random_state
        )
    meta = {
        "assay": assay,
        "key": key,
        "n_train": len(y),
        "n_positive": int(y.sum()),
        "best_params": best,
    }
    if path is not None:
        save_model(model, path, meta)
    return assay, model, meta


def _load_cached(path: Path | None, key: str):
    if path is None or not path.exists():
        return None
    try:
        model, meta = load_model(path)
    except ModelFileError as exc:
        logger.warning("%s; training this proxy again", exc)
        return None
    # a proxy saved without its parameters would clone as XGBoost's default: train it again
    return (model, meta) if meta.get("key") == key and "params" in meta else None
