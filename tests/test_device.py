"""The device and XGBoost parameters a model is made with."""

import logging

import pytest

from bioassay_mix.device import resolve_device, xgb_params


def test_gpu_hist_is_mapped_for_xgboost3(caplog):
    with caplog.at_level(logging.INFO):
        p = xgb_params({"tree_method": "gpu_hist", "predictor": "gpu_predictor"})
    assert p["tree_method"] == "hist" and "predictor" not in p
    assert p["device"] == resolve_device("cuda")  # "cuda", or "cpu" with a warning without a GPU
    assert "gpu_hist" in caplog.text


def test_device_names_are_validated():
    assert resolve_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="device must be"):
        resolve_device("tpu")
