"""Device selection: XGBoost's ``device`` parameter, the NumPy/CuPy array module, and which
estimator parameters are compute settings rather than science."""

from __future__ import annotations

import ctypes
import functools
import logging
from types import ModuleType
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")
#: Estimator parameters that set where and how fast a model runs: never a model's science
#: parameters, never recorded with a saved model.
COMPUTE_KEYS = ("n_jobs", "nthread", "device")


@functools.cache
def cuda_available() -> bool:
    """True when a CUDA driver reports at least one device (checked without importing CuPy)."""
    for lib in ("libcuda.so.1", "libcuda.so"):
        try:
            cuda = ctypes.CDLL(lib)
        except OSError:
            continue
        count = ctypes.c_int(0)
        if cuda.cuInit(0) == 0 and cuda.cuDeviceGetCount(ctypes.byref(count)) == 0:
            return count.value > 0
    return False


def resolve_device(device: str | None) -> str:
    """Map ``auto|cpu|cuda`` (or ``cuda:N``) to the device that will really be used."""
    device = (device or "auto").lower()
    if device not in DEVICES and not device.startswith("cuda:"):
        raise ValueError(f"device must be one of {DEVICES} or 'cuda:N', got {device!r}")
    if device == "auto":
        return "cuda" if cuda_available() else "cpu"
    if device.startswith("cuda") and not cuda_available():
        logger.warning("device=%r requested but no CUDA device is visible; using the CPU", device)
        return "cpu"
    return device


def xgb_params(params: dict[str, Any], device: str | None = None) -> dict[str, Any]:
    """Normalise XGBoost parameters for XGBoost >= 2: ``gpu_hist`` becomes
    ``tree_method="hist", device="cuda"``; an explicit ``device`` argument wins over ``params``."""
    out = dict(params)
    if out.get("tree_method") == "gpu_hist":
        logger.info(
            "tree_method='gpu_hist' was removed in XGBoost 3; using tree_method='hist', "
            "device='cuda'"
        )
        out["tree_method"] = "hist"
        out.setdefault("device", "cuda")
    out.pop("predictor", None)  # removed in XGBoost 2; the device decides
    out.setdefault("tree_method", "hist")
    requested = device if device is not None else out.get("device", "cpu")
    out["device"] = resolve_device(requested)
    return out


def array_module(device: str | None = "cpu") -> ModuleType:
    """NumPy, or CuPy when ``device`` asks for CUDA and CuPy with a GPU is importable."""
    if resolve_device(device) == "cpu":
        return np
    return _cupy_or_numpy()


@functools.cache
def _cupy_or_numpy() -> ModuleType:
    # Cached so that the fallback is announced once per process, not once per call.
    try:
        import cupy  # optional and heavy: imported only when a GPU is asked for
    except ImportError:
        logger.warning("CuPy is not installed (pip install 'bioassay-mix[gpu]'); using NumPy")
        return np
    return cupy
