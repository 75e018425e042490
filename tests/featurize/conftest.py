"""Real compounds for the featurizer tests: every distinct SMILES of the shared panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

PANEL_FILES = {
    "tox21.csv": "smiles",
    "toxcast.csv.gz": "smiles",
    "HIV.csv": "smiles",
    "sider.csv": "smiles",
    "clintox.csv": "smiles",
    "BBBP.csv": "smiles",
    "bace.csv": "mol",
}
#: Stereo, explicit hydrogens, charges, isotopes, salts: what RDKit's own parse must decide.
EDGE_CASES = [
    "F/C=C/F",
    "F/C=C\\F",
    "[H]C([H])([H])O",
    "C[C@H](N)C(=O)O",
    "C[C@@H](N)C(=O)O",
    "[2H]C([2H])([2H])O",
    "[NH4+].[Cl-]",
    "c1ccccc1[N+](=O)[O-]",
    "OC(=O)/C=C\\C(=O)O",
    "[O-]C(=O)c1ccccc1.[Na+]",
    "C1=CC=CC=C1",
    "N[C@@H](Cc1c[nH]c2ccccc12)C(=O)O",
]


@pytest.fixture(scope="session")
def panel_smiles(data_dir) -> list[str]:
    """Every distinct SMILES string of the shared bioassay panels (about 62,000)."""
    found: set[str] = set()
    for name, column in PANEL_FILES.items():
        found |= set(
            pd.read_csv(data_dir / "bioassay" / name, usecols=[column])[column].dropna().astype(str)
        )
    return sorted(found)


@pytest.fixture(scope="session")
def smiles_sample(panel_smiles) -> list[str]:
    """A seeded sample of 2,000 panel SMILES plus the edge cases."""
    rng = np.random.default_rng(0)
    picked = rng.choice(len(panel_smiles), size=2000, replace=False)
    return [panel_smiles[i] for i in sorted(picked)] + EDGE_CASES
