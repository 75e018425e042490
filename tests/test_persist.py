from __future__ import annotations

import pickle

import numpy as np
import pytest
import xgboost as xgb
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer

from bioassay_mix.errors import ModelFileError
from bioassay_mix.persist import load_estimator, save_estimator

X = np.random.default_rng(0).random((60, 5))
Y = (X[:, 0] > 0.5).astype(int)


class _Payload:
    """A pickle that writes a file when unpickled."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


@pytest.mark.parametrize(
    ("model", "fmt"),
    [
        (xgb.XGBClassifier(n_estimators=5), "xgboost-ubj"),
        (LogisticRegression(C=0.5), "linear-npy"),
        (LogisticRegression(class_weight={0: 1, 1: 3}), "skops"),  # int keys: JSON cannot keep
        (RandomForestClassifier(n_estimators=3, random_state=0), "skops"),
    ],
)
def test_each_format_round_trips(tmp_path, model, fmt):
    model.fit(X, Y)
    record = save_estimator(model, tmp_path, type(model).__name__)
    assert record["format"] == fmt
    again = load_estimator(tmp_path, record)
    assert type(again) is type(model)
    assert again.get_params() == {**model.get_params(), "n_jobs": again.get_params()["n_jobs"]}
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))


def test_a_tampered_linear_model_is_refused(tmp_path):
    from bioassay_mix._files import sha256_file

    record = save_estimator(LogisticRegression().fit(X, Y), tmp_path, "m")
    with pytest.raises(ModelFileError, match="LogisticRegression only"):
        load_estimator(tmp_path, {**record, "class": "sklearn.svm._classes.SVC"})
    with pytest.raises(ModelFileError, match="not a logistic regression's"):
        load_estimator(tmp_path, {**record, "params": {"C": -1}})
    with pytest.raises(ModelFileError, match="2 classes"):
        load_estimator(tmp_path, {**record, "classes": [0, 1, 2]})
    np.save(tmp_path / "ints.npy", np.arange(6))
    with pytest.raises(ModelFileError, match="int64 array of shape"):
        load_estimator(
            tmp_path, {**record, "file": "ints.npy", "sha256": sha256_file(tmp_path / "ints.npy")}
        )
    again = load_estimator(tmp_path, record)
    assert again.coef_.shape == (1, X.shape[1]) and again.n_features_in_ == X.shape[1]


def test_xgboost_keeps_the_parameters_its_model_file_does_not(tmp_path):
    """UBJ holds the trees only: without the recorded parameters a clone of a loaded model
    would be XGBoost's default (100 trees, learning rate 0.3), not the model's own setting."""
    from sklearn.base import clone

    from bioassay_mix.protocol.proxy_training import load_model, save_model
    from bioassay_mix.proxies import make_classifier

    model = make_classifier(
        {"n_estimators": 7, "max_depth": 3, "learning_rate": 0.2}, random_state=4
    ).fit(X, Y)
    record = save_estimator(model, tmp_path, "m")
    assert "device" not in record["params"] and "n_jobs" not in record["params"]
    for again in (
        load_estimator(tmp_path, record),
        load_model(save_model(model, tmp_path / "p.ubj", {}))[0],
    ):
        template = clone(again)
        for key in (
            "n_estimators",
            "max_depth",
            "learning_rate",
            "random_state",
            "objective",
            "base_score",
        ):
            assert template.get_params()[key] == model.get_params()[key], key
        np.testing.assert_array_equal(
            template.fit(X, Y).predict_proba(X), clone(model).fit(X, Y).predict_proba(X)
        )


def test_untrusted_type_is_refused_with_its_name(tmp_path):
    model = FunctionTransformer(func=np.random.default_rng).fit(X)
    record = save_estimator(model, tmp_path, "f")
    with pytest.raises(ModelFileError, match=r"outside the trusted list: \['"):
        load_estimator(tmp_path, record)


@pytest.mark.parametrize("fmt, suffix", [("skops", ".skops"), ("xgboost-ubj", ".ubj")])
def test_pickle_payload_is_never_unpickled(tmp_path, fmt, suffix):
    marker = tmp_path / "pwned"
    file = tmp_path / f"model{suffix}"
    file.write_bytes(pickle.dumps(_Payload(marker)))
    from bioassay_mix._files import sha256_file

    record = {
        "format": fmt,
        "file": file.name,
        "sha256": sha256_file(file),
        "class": "xgboost.sklearn.XGBClassifier",
    }
    with pytest.raises(ModelFileError, match="model") as info:
        load_estimator(tmp_path, record)
    assert "Traceback" not in str(info.value)
    assert not marker.exists()


def test_checksum_and_record_errors(tmp_path):
    record = save_estimator(RandomForestClassifier(n_estimators=2).fit(X, Y), tmp_path, "m")
    with pytest.raises(ModelFileError, match="unknown model format 'pickle'"):
        load_estimator(tmp_path, {**record, "format": "pickle"})
    with pytest.raises(ModelFileError, match="corrupt or was changed"):
        load_estimator(tmp_path, {**record, "sha256": "0" * 64})
    with pytest.raises(ModelFileError, match="leaves"):
        load_estimator(tmp_path, {**record, "file": "../m.skops"})
    with pytest.raises(ModelFileError, match="is missing"):
        load_estimator(tmp_path, {**record, "file": "gone.skops"})
