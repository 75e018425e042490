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
    from bioassay_mix import Compute, RunConfig, run

    out = tmp_path_factory.mktemp("tox21_run")
    fast = {"n_estimators": 30}
    config = RunConfig(
        proxy_params=fast,
        final_params=fast,
        n_bits=1024,
        seed=3,
        compute=Compute(n_jobs=2, verbose=False),
    )
    result = run(small_panel, targets=["NR-AR", "SR-MMP"], config=config, out_dir=out)
    result.save_bundle(out / "bundle")
    return result, out


@pytest.fixture(scope="session")
def tox21_library(tox21):
    """A real library: four Tox21 assays as sources (512-bit Morgan, 30-tree XGBoost proxies);
    SR-p53 and NR-ER are left out to serve as targets."""
    from bioassay_mix.featurize import MorganFingerprint
    from bioassay_mix.library import ProxyLibrary
    from bioassay_mix.proxies import make_classifier

    return ProxyLibrary.build(
        tox21.select(["NR-AR", "NR-AhR", "SR-ARE", "SR-MMP"]),
        featurizer=MorganFingerprint(n_bits=512),
        proxy=make_classifier({"n_estimators": 30}),
        n_jobs=2,
        verbose=False,
    )


@pytest.fixture(scope="session")
def few_labels(tox21):
    """A stratified support set of 96 labelled SR-p53 compounds and 1,500 held-out ones."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    y = tox21.labels["SR-p53"].dropna().astype(int)
    train, rest = train_test_split(
        np.arange(len(y)), train_size=96, stratify=y.to_numpy(), random_state=0
    )
    test = rest[:1500]
    return (list(y.index[train]), y.to_numpy()[train], list(y.index[test]), y.to_numpy()[test])


@pytest.fixture(scope="session")
def disjoint_tox21(tox21):
    """Eight Tox21 assays, each labelling its own eighth of the compounds: the panel of a
    ChEMBL-like library of disjoint series (fill below the auto rules' threshold)."""
    import numpy as np
    import pandas as pd

    from bioassay_mix import AssayPanel

    assays = list(tox21.assays[:8])
    long = tox21.to_long()
    group = pd.Series(np.arange(len(tox21.compounds)) % 8, index=tox21.compounds)
    long = long[long["assay"].isin(assays)]
    long = long[group[long["smiles"]].to_numpy() == long["assay"].map(assays.index).to_numpy()]
    return AssayPanel.from_long(long, name="disjoint")


@pytest.fixture(scope="session")
def saved_library(tox21_library, tmp_path_factory):
    """:func:`tox21_library` saved to a folder (never written to by the tests that read it)."""
    return tox21_library.save(tmp_path_factory.mktemp("lib") / "lib")


@pytest.fixture(scope="session")
def target_csv_96(few_labels, tmp_path_factory):
    """:func:`few_labels`' 96 labelled compounds as a target file (``smiles``, ``label``)."""
    import numpy as np
    import pandas as pd

    X, y, _, _ = few_labels
    path = tmp_path_factory.mktemp("t") / "assay.csv"
    pd.DataFrame({"smiles": X, "label": np.asarray(y, dtype=int)}).to_csv(path, index=False)
    return path
