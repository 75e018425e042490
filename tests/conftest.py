"""Shared fixtures. Tests use the real panels from ../shared/data (BIOASSAY_MIX_DATA, set by the
root conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = Path(os.environ["BIOASSAY_MIX_DATA"])
    assert (path / "bioassay").is_dir(), f"BIOASSAY_MIX_DATA={path} has no bioassay/ folder"
    return path


@pytest.fixture(scope="session")
def tox21():
    from bioassay_mix import load_panel

    return load_panel("tox21")


@pytest.fixture(scope="session")
def small_panel(tox21):
    """Tox21 restricted to five assays: a fast but real pipeline input."""
    return tox21.select(["NR-AR", "NR-AR-LBD", "NR-AhR", "SR-ARE", "SR-MMP"])


@pytest.fixture(scope="session")
def tox21_run(small_panel, tmp_path_factory):
    """A fast real run on two Tox21 targets, its output folder holding a scoring bundle."""
    from bioassay_mix import RunConfig, run

    out = tmp_path_factory.mktemp("tox21_run")
    fast = {"n_estimators": 30}
    config = RunConfig(proxy_params=fast, final_params=fast, n_bits=1024, n_jobs=2, seed=3,
                       verbose=False)
    result = run(small_panel, targets=["NR-AR", "SR-MMP"], config=config, out_dir=out)
    result.save_bundle(out / "bundle")
    return result, out
