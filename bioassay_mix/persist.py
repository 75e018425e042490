"""Saving fitted estimators without pickle: XGBoost in its own UBJ format, a binary
scikit-learn ``LogisticRegression`` as its coefficients and intercept in an ``.npy`` (read with
``allow_pickle=False``; skops' audit of each file made loading a library of thousands of them
slow), every other estimator with ``skops.io`` under an explicit list of trusted types; a sha256
recorded at save time is checked before any loader reads a byte.

A file naming a type outside :data:`TRUSTED_TYPES` is refused with the type's name, and a file
that is not what its record says (a pickle payload renamed ``.skops``, an edited UBJ file) is
refused naming the file: nothing a user hands the toolkit is ever unpickled.
"""

from __future__ import annotations

import json
import os
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

from ._files import atomic_path, sha256_file
from .device import COMPUTE_KEYS
from .errors import ModelFileError

__all__ = [
    "FORMATS",
    "TRUSTED_TYPES",
    "check_binary_classifier",
    "check_sha256",
    "constructor_params",
    "load_estimator",
    "load_verified",
    "save_estimator",
]

#: Types a skops file may hold beyond those skops trusts by default (scikit-learn estimators,
#: NumPy arrays and builtins): the fitted parts of scikit-learn's tree ensembles and
#: LightGBM's booster, which carries its model as text, never as a pickle.
TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn.tree._tree.Tree",
    "collections.OrderedDict",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
)

FORMATS = ("xgboost-ubj", "linear-npy", "skops")


def save_estimator(model: Any, folder: str | os.PathLike, stem: str) -> dict[str, str]:
    """Write ``model`` to ``folder / stem`` (``.ubj`` or ``.skops`` is added) atomically.

    Parameters
    ----------
    model : estimator
        A fitted ``xgboost.XGBModel`` or any estimator skops can write.
    folder : str or path-like
        The folder the record's path is relative to (what :func:`load_estimator` is given).
    stem : str
        The file's path inside ``folder``, without its suffix (``"models/NR-AR"``).

    Returns
    -------
    dict
        The record to keep: ``format``, ``file`` (relative to ``folder``), ``sha256``,
        ``class``.
    """
    path = Path(folder) / stem
    params = _linear_params(model)
    if params is not None:
        fmt, final = "linear-npy", path.with_name(path.name + ".npy")
        with atomic_path(final) as tmp, open(tmp, "wb") as handle:
            # in the model's own dtype (float32 when it was fitted on float32 features)
            np.save(handle, np.append(model.coef_.ravel(), model.intercept_))
    elif isinstance(model, xgb.XGBModel):
        fmt, final = "xgboost-ubj", path.with_name(path.name + ".ubj")
        with atomic_path(final) as tmp:
            try:
                model.save_model(tmp)
            except xgb.core.XGBoostError as exc:  # a full disk, a read-only folder
                raise OSError(
                    f"XGBoost could not write {final}: {str(exc).splitlines()[0][:200]}"
                ) from exc
    else:
        import skops.io as sio

        fmt, final = "skops", path.with_name(path.name + ".skops")
        with atomic_path(final) as tmp:
            sio.dump(model, tmp)
    record = {
        "format": fmt,
        "file": final.relative_to(folder).as_posix(),
        "sha256": sha256_file(final),
        "class": f"{type(model).__module__}.{type(model).__qualname__}",
    }
    if fmt == "xgboost-ubj":
        record["params"] = constructor_params(model)
    elif fmt == "linear-npy":
        record.update(
            params=params,
            classes=model.classes_.tolist(),
            n_iter=np.asarray(model.n_iter_).tolist(),
        )
    return record


def load_estimator(
    folder: str | os.PathLike, record: dict[str, str], *, recorded_in: str = "the manifest"
) -> Any:
    """Load what :func:`save_estimator` wrote into ``folder``, after checking its sha256.

    Parameters
    ----------
    folder : str or path-like
        Where the file lies; ``record["file"]`` must not leave it.
    record : dict
        The record :func:`save_estimator` returned.
    recorded_in : str, default="the manifest"
        The file that holds ``record``, for messages.

    Returns
    -------
    estimator
        Fitted, of a type the record names and the loader trusts.
    """
    folder = Path(folder)
    fmt = record.get("format")
    if fmt not in FORMATS:
        raise ModelFileError(f"{recorded_in}: unknown model format {fmt!r} (known: {FORMATS})")
    file = folder / str(record.get("file", ""))
    if not file.resolve().is_relative_to(folder.resolve()) or file.resolve() == folder.resolve():
        raise ModelFileError(f"{recorded_in}: model path {record.get('file')!r} leaves {folder}")
    if not file.is_file():
        raise ModelFileError(f"model file {file} named in {recorded_in} is missing")
    if fmt == "xgboost-ubj":
        return load_verified(
            _xgb_class(record.get("class", ""))(),
            file,
            record.get("sha256"),
            recorded_in,
            params=record.get("params"),
        )
    check_sha256(file, record.get("sha256"), recorded_in)
    if fmt == "linear-npy":
        return _load_linear(file, record, recorded_in)
    return _load_skops(file)


def check_sha256(path: Path, sha256: str | None, recorded_in: str) -> None:
    """Refuse ``path`` unless its sha256 is the one ``recorded_in`` holds.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    sha256 : str or None
        The recorded checksum; ``None`` (none recorded) never matches.
    recorded_in : str
        The file that holds it, for messages.
    """
    actual = sha256_file(path)
    if actual != sha256:
        raise ModelFileError(
            f"model file {path} is corrupt or was changed: sha256 {actual}, "
            f"{recorded_in} records {sha256}"
        )


def constructor_params(model: xgb.XGBModel) -> dict[str, Any]:
    """The scikit-learn parameters of an XGBoost model, which its model file does not keep.

    UBJ holds the trees, and loading sets ``base_score`` from them, but not the constructor's
    ``n_estimators``, ``max_depth``, ``learning_rate`` or ``random_state``: a loaded model
    predicts the same, while a ``clone`` of it is XGBoost's default (100 trees, learning rate
    0.3, a fixed base score), which is what a library's proxy template and a target's
    out-of-fold proxy are made from. Every parameter that JSON holds, unset ones as None;
    compute settings (``device``, ``n_jobs``) are left to the machine that loads it.

    Parameters
    ----------
    model : xgboost.XGBModel

    Returns
    -------
    dict
    """
    out = {}
    for key, value in model.get_params(deep=False).items():
        if key in COMPUTE_KEYS:
            continue
        value = value.item() if isinstance(value, np.generic) else value
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):  # an object, or NaN (``missing``'s default)
            continue
        out[key] = value
    return out


def load_verified(
    model: xgb.XGBModel | xgb.Booster,
    path: Path,
    sha256: str | None,
    recorded_in: str,
    *,
    params: dict[str, Any] | None = None,
):
    """Load ``path`` into the XGBoost ``model`` after checking its sha256 against the one
    ``recorded_in`` (a metadata file's name) holds, and give it back the scikit-learn
    ``params`` recorded beside it (:func:`constructor_params`).

    Parameters
    ----------
    model : xgboost.XGBModel or xgboost.Booster
        An empty model of the right class.
    path : pathlib.Path
        The UBJ file.
    sha256 : str or None
        The recorded checksum.
    recorded_in : str
        The file that holds it, for messages.
    params : dict or None, default=None
        Constructor parameters to restore.

    Returns
    -------
    xgboost.XGBModel or xgboost.Booster
        ``model``, loaded.
    """
    check_sha256(path, sha256, recorded_in)
    with open(path, "rb") as handle:
        first = handle.read(1)
    if first != b"{":  # UBJ and JSON models both open an object; a pickle opens with 0x80
        raise ModelFileError(
            f"model file {path} is not an XGBoost model (it starts with byte "
            f"{first!r}); pickles are never loaded"
        )
    try:
        model.load_model(path)
    except (xgb.core.XGBoostError, UnicodeDecodeError, TypeError) as exc:
        # TypeError: a classifier's file recorded as a regressor, or the reverse
        raise ModelFileError(
            f"model file {path} could not be read by XGBoost: {str(exc).splitlines()[0][:300]}"
        ) from exc
    if params:
        try:
            model.set_params(**params)
        except (TypeError, ValueError, AttributeError) as exc:
            raise ModelFileError(
                f"{recorded_in}: the parameters recorded for model file "
                f"{path.name} are not valid: {type(exc).__name__}: "
                f"{str(exc)[:200]}"
            ) from exc
    return model


def check_binary_classifier(model: Any, n_features: int, what: str) -> None:
    """Refuse a loaded model that cannot serve as a binary classifier of ``n_features`` columns: no
    ``predict_proba``, unfitted, other than two classes, or another width.

    Parameters
    ----------
    model : estimator
        The loaded model.
    n_features : int
        The input width it must take.
    what : str
        What the model is (e.g. ``"source X's proxy"``), for messages.
    """
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    if not hasattr(model, "predict_proba"):
        raise ModelFileError(f"{what} is a {type(model).__name__}, which has no predict_proba")
    try:
        check_is_fitted(model)
    except NotFittedError as exc:
        raise ModelFileError(f"{what} is not fitted") from exc
    classes = getattr(model, "classes_", None)
    if classes is None or len(classes) != 2:
        raise ModelFileError(
            f"{what} has {0 if classes is None else len(classes)} classes; "
            "a binary classifier has 2"
        )
    if isinstance(model, xgb.XGBModel):
        width = model.get_booster().num_features()
    else:
        width = getattr(model, "n_features_in_", n_features)
    if width != n_features:
        raise ModelFileError(f"{what} expects {width} features; the featurizer makes {n_features}")


def _xgb_class(name: str) -> type:
    classes = {
        "xgboost.sklearn.XGBClassifier": xgb.XGBClassifier,
        "xgboost.sklearn.XGBRegressor": xgb.XGBRegressor,
    }
    if name not in classes:
        raise ModelFileError(
            f"model class {name!r} is not an XGBoost estimator this loader "
            f"knows ({sorted(classes)})"
        )
    return classes[name]


def _linear_params(model: Any) -> dict[str, Any] | None:
    """The constructor parameters of a fitted binary ``LogisticRegression`` whose parameters
    JSON keeps exactly; ``None`` for anything else (it goes to skops)."""
    from sklearn.linear_model import LogisticRegression

    if type(model) is not LogisticRegression or len(getattr(model, "classes_", ())) != 2:
        return None
    params = {k: v for k, v in model.get_params(deep=False).items() if k not in COMPUTE_KEYS}
    try:
        exact = json.loads(json.dumps(params, allow_nan=False)) == params
    except (TypeError, ValueError):
        exact = False
    return params if exact else None


def _load_linear(file: Path, record: dict, recorded_in: str) -> Any:
    from sklearn.linear_model import LogisticRegression

    if record.get("class") != "sklearn.linear_model._logistic.LogisticRegression":
        raise ModelFileError(
            f"{recorded_in}: model file {file.name} is recorded as "
            f"{record.get('class')!r}; the linear-npy format holds a "
            "LogisticRegression only"
        )
    try:
        model = LogisticRegression(
            **_checked_linear_params(json.dumps(record.get("params", {}), sort_keys=True))
        )
        weights = np.load(file, allow_pickle=False)
        classes = np.asarray(record["classes"])
        n_iter = np.asarray(record["n_iter"], dtype=np.int32)
    except (TypeError, ValueError, KeyError, OSError) as exc:
        raise ModelFileError(
            f"model file {file} or its record in {recorded_in} is not a "
            f"logistic regression's: {type(exc).__name__}: "
            f"{str(exc)[:200]}"
        ) from exc
    if (
        weights.ndim != 1
        or weights.dtype not in (np.float32, np.float64)
        or len(weights) < 2
        or classes.shape != (2,)
    ):
        raise ModelFileError(
            f"model file {file} holds a {weights.dtype} array of shape "
            f"{weights.shape} and {recorded_in} records the classes "
            f"{record['classes']}; a binary logistic regression has "
            "n_features + 1 float weights and 2 classes"
        )
    model.coef_, model.intercept_ = weights[None, :-1], weights[-1:]
    model.classes_, model.n_iter_ = classes, n_iter
    model.n_features_in_ = len(weights) - 1
    return model


@lru_cache(maxsize=32)
def _checked_linear_params(params_json: str) -> dict[str, Any]:
    """Recorded parameters, validated once per distinct set (a library's proxies share one)."""
    from sklearn.linear_model import LogisticRegression

    params = json.loads(params_json)
    LogisticRegression(**params)._validate_params()
    return params


def _load_skops(file: Path) -> Any:
    import skops.io as sio

    try:
        found = sio.get_untrusted_types(file=file)
    except (zipfile.BadZipFile, KeyError, ValueError, UnicodeDecodeError) as exc:
        raise ModelFileError(
            f"model file {file} is not a skops file ({type(exc).__name__}); "
            "pickles are never loaded"
        ) from exc
    untrusted = [t for t in found if t not in TRUSTED_TYPES]
    if untrusted:
        raise ModelFileError(
            f"model file {file} holds types outside the trusted list: "
            f"{untrusted[:5]}; refused (see bioassay_mix.persist.TRUSTED_TYPES)"
        )
    try:
        return sio.load(file, trusted=found)
    except Exception as exc:  # skops raises many types for a malformed payload
        raise ModelFileError(
            f"model file {file} could not be read by skops: {type(exc).__name__}: {exc}"
        ) from exc
