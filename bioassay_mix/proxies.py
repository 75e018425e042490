"""Proxy and final models: XGBoost by default, or any scikit-learn classifier by name
(:data:`ESTIMATORS`), made with the machine's compute settings and their parameters checked
before any work."""

from __future__ import annotations

import difflib
import functools
import importlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
import xgboost as xgb

from ._utils import resolve_n_jobs
from .device import COMPUTE_KEYS, xgb_params
from .errors import DataError

#: The paper's final-model and fast proxy setting: 100 trees, depth 6, learning rate 0.1.
DEFAULT_PARAMS: dict[str, Any] = {
    "n_estimators": 100,
    "max_depth": 6,
    "learning_rate": 0.1,
    "objective": "binary:logistic",
    "eval_metric": "aucpr",
    "tree_method": "hist",
}


#: Classifiers by the names the command line takes, with their defaults.
ESTIMATORS: dict[str, tuple[str, dict[str, Any]]] = {
    "xgboost": ("xgboost.XGBClassifier", DEFAULT_PARAMS),
    "random_forest": (
        "sklearn.ensemble.RandomForestClassifier",
        {"n_estimators": 500, "min_samples_leaf": 1},
    ),
    "logistic": ("sklearn.linear_model.LogisticRegression", {"C": 1.0, "max_iter": 1000}),
    "lightgbm": ("lightgbm.LGBMClassifier", {"n_estimators": 100, "verbose": -1}),
}


def make_classifier(
    params: Mapping[str, Any] | None = None,
    *,
    device: str | None = None,
    n_jobs: int | None = 1,
    random_state: int = 0,
) -> xgb.XGBClassifier:
    """An ``XGBClassifier`` with DEFAULT_PARAMS overridden by ``params`` (XGBoost's own names,
    checked by :func:`check_xgb_params`; ``tree_method="gpu_hist"`` is accepted and mapped to
    ``device="cuda"``)."""
    if params:
        check_xgb_params(params)
    merged = xgb_params({**DEFAULT_PARAMS, **(params or {})}, device)
    return xgb.XGBClassifier(**merged, n_jobs=resolve_n_jobs(n_jobs), random_state=random_state)


def check_xgb_params(params: Mapping[str, Any]) -> None:
    """Refuse XGBoost parameters that XGBoost would ignore (a misspelled ``max_dept``) or fail on
    deep inside training (``max_depth="deep"``), naming the key, before any work."""
    _check_xgb_params(json.dumps(dict(params), sort_keys=True, default=str))


@functools.lru_cache(maxsize=64)
def _check_xgb_params(text: str) -> None:
    # cached by the parameters' JSON: a run makes one classifier per assay with the same ones
    params = json.loads(text)
    known = set(xgb.XGBClassifier().get_params()) | {"tree_method", "eval_metric", "predictor"}
    for key in params:
        _refuse_setting("XGBoost", key, COMPUTE_KEYS[:2])
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise DataError(f"unknown XGBoost parameter {key!r}{hint}")
    # values XGBoost accepts but that make no model: no trees, or NaN steps
    trees = params.get("n_estimators", 1)
    if not isinstance(trees, int) or isinstance(trees, bool) or trees < 1:
        raise DataError(f"XGBoost parameter n_estimators must be an integer >= 1, got {trees!r}")
    for key in ("learning_rate", "eta"):
        value = params.get(key, 0.1)
        if not isinstance(value, int | float) or not 0 < value < float("inf"):
            raise DataError(f"XGBoost parameter {key} must be a finite number > 0, got {value!r}")
    probe = {k: v for k, v in params.items() if k not in ("device", "tree_method", "predictor")}
    try:  # one tree on four rows: XGBoost checks every value's type and range
        xgb.XGBClassifier(**{**probe, "n_estimators": 1}, n_jobs=1).fit(
            np.eye(4, dtype=np.float32), np.array([0, 1, 0, 1])
        )
    except (xgb.core.XGBoostError, TypeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise DataError(f"XGBoost parameters {dict(params)} are not valid: {first}") from exc


def make_estimator(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    device: str | None = None,
    random_state: int = 0,
) -> Any:
    """The classifier ``name`` of :data:`ESTIMATORS` with ``params`` over its defaults,
    each key checked before any work.

    Examples
    --------
    >>> make_estimator("random_forest", {"max_depth": 8}).get_params()["max_depth"]
    8
    """
    if name not in ESTIMATORS:
        raise DataError(f"unknown estimator {name!r}; choose one of {sorted(ESTIMATORS)}")
    if name == "xgboost":
        return make_classifier(params, device=device, random_state=random_state)
    path, defaults = ESTIMATORS[name]
    module, cls_name = path.rsplit(".", 1)
    try:
        cls = getattr(importlib.import_module(module), cls_name)
    except ImportError as exc:
        raise DataError(
            f"estimator {name!r} needs {module.split('.')[0]} (pip install 'bioassay-mix[{name}]')"
        ) from exc
    model = cls(**defaults)
    for key in params or {}:
        _refuse_setting(name, key, COMPUTE_KEYS)
    try:
        model.set_params(**dict(params or {}))
    except ValueError as exc:
        raise DataError(f"{name}: {exc}") from exc
    if "random_state" in model.get_params():
        model.set_params(random_state=random_state)
    _validate_now(name, model)
    return model


def _refuse_setting(name: str, key: str, compute_keys: Sequence[str]) -> None:
    """Refuse a model parameter that is a compute setting or the seed, both set elsewhere."""
    if key in compute_keys:
        raise DataError(
            f"{name} parameter {key!r} is a compute setting: use n_jobs "
            "(--n-jobs), not the model's parameters"
        )
    if key == "random_state":
        raise DataError(
            f"{name} parameter 'random_state' is the seed: use random_state= "
            "(--seed), not the model's parameters"
        )


def _validate_now(name: str, model: Any) -> None:
    """Check a scikit-learn estimator's parameter values now, as its ``fit`` would after all
    the work before it (scikit-learn's declarative constraints, the estimators that have
    them)."""
    validate = getattr(model, "_validate_params", None)
    if validate is None:
        return
    try:
        validate()
    except (ValueError, TypeError) as exc:
        raise DataError(f"{name} parameters are not valid: {exc}") from exc


def fit_classifier(
    X: sp.csr_matrix,
    y: np.ndarray,
    *,
    params=None,
    sample_weight=None,
    device: str | None = None,
    n_jobs: int | None = 1,
    random_state: int = 0,
) -> xgb.XGBClassifier:
    model = make_classifier(params, device=device, n_jobs=n_jobs, random_state=random_state)
    model.fit(X, np.asarray(y, dtype=np.int32), sample_weight=sample_weight)
    return model
