from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import Descriptors

from bioassay_mix.featurize import DESCRIPTOR_NAMES, RDKitDescriptors


@pytest.mark.slow
def test_equal_rdkit_calc_mol_descriptors(smiles_sample):
    smiles = smiles_sample[::10]  # descriptors cost about 10 ms a molecule
    ours = RDKitDescriptors(strict=False).fit().transform(smiles)
    assert ours.shape == (len(smiles), len(DESCRIPTOR_NAMES)) and ours.dtype == np.float32
    for i, s in enumerate(smiles):
        mol = Chem.MolFromSmiles(s)
        if mol is None:
            assert np.isnan(ours[i]).all()
            continue
        ref = Descriptors.CalcMolDescriptors(mol)
        expected = np.asarray([ref[n] for n in DESCRIPTOR_NAMES], dtype=np.float64)
        with np.errstate(over="ignore"):
            expected = expected.astype(np.float32)
        expected[~np.isfinite(expected)] = np.nan
        np.testing.assert_array_equal(ours[i], expected, err_msg=s)


def test_names_subset_and_unknown_name():
    X = RDKitDescriptors(names=["MolWt", "TPSA"]).fit().transform(["CCO", "c1ccccc1O"])
    assert X.shape == (2, 2)
    assert RDKitDescriptors(names=["TPSA"]).fit().get_feature_names_out().tolist() == ["TPSA"]
    with pytest.raises(ValueError, match="unknown RDKit descriptor"):
        RDKitDescriptors(names=["MolWt", "NotADescriptor"]).fit()


def test_invalid_row_is_nan_and_kept():
    f = RDKitDescriptors(names=["MolWt"], strict=False).fit()
    X, invalid = f.transform_with_invalid(["CCO", "C1CC", "CO"])
    assert X.shape == (3, 1) and np.isnan(X[1, 0]) and not np.isnan(X[[0, 2], 0]).any()
    assert invalid["row"].tolist() == [1]
