import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator
from sklearn.base import clone

from bioassay_mix.errors import DataError
from bioassay_mix.featurize import MorganFingerprint

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "C1CCCCC1N"]


def reference(smiles, radius=2, n_bits=2048, counts=False):
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    fn = gen.GetCountFingerprintAsNumPy if counts else gen.GetFingerprintAsNumPy
    return np.stack([fn(m) for m in mols]).astype(np.float32)


@pytest.mark.parametrize("counts", [False, True])
def test_matches_rdkit_per_molecule(counts):
    X = MorganFingerprint(radius=2, n_bits=1024, counts=counts, n_jobs=2).fit_transform(SMILES)
    assert X.shape == (4, 1024) and X.format == "csr"
    np.testing.assert_array_equal(X.toarray(), reference(SMILES, 2, 1024, counts))


def test_cache_is_keyed_by_canonical_smiles_and_reused(tmp_path):
    fp = MorganFingerprint(n_bits=512, cache_dir=tmp_path)
    first = fp.transform(SMILES)
    files = list(tmp_path.glob("morgan-*.parquet"))
    assert len(files) == 1
    mtime = files[0].stat().st_mtime_ns
    # "OCC" is "CCO" written differently: served from the cache, file untouched
    again = fp.transform(["OCC", "c1ccccc1O"])
    assert files[0].stat().st_mtime_ns == mtime
    np.testing.assert_array_equal(again.toarray(), first[:2].toarray())
    # other parameters: another cache file
    MorganFingerprint(n_bits=256, cache_dir=tmp_path).transform(SMILES)
    assert len(list(tmp_path.glob("morgan-*.parquet"))) == 2


def test_invalid_smiles_strict_raises_else_reported():
    data = ["CCO", "not a smiles", "", "c1ccccc1"]
    with pytest.raises(DataError, match=r"2 invalid SMILES; first at row 1"):
        MorganFingerprint().transform(data)
    fp = MorganFingerprint(strict=False)
    X = fp.transform(data)
    assert X.shape[0] == 2
    assert fp.invalid_["row"].tolist() == [1, 2]
    assert fp.invalid_["reason"].tolist() == ["SMILES syntax error", "empty SMILES"]


def test_sklearn_conventions():
    fp = MorganFingerprint(radius=3, n_bits=64)
    assert clone(fp).get_params() == fp.get_params()
    assert len(fp.fit([]).get_feature_names_out()) == 64
    with pytest.raises(ValueError):
        MorganFingerprint(n_bits=0).fit()


def test_partitioned_fingerprints_equal_the_whole_and_cache_per_partition(tox21, tmp_path):
    from bioassay_mix.executor import LocalExecutor
    from bioassay_mix.featurize import fingerprint_partitions, stack

    smiles = tox21.smiles[:2500]
    fp = MorganFingerprint(n_bits=512, cache_dir=tmp_path)
    parts = fingerprint_partitions(fp, smiles, LocalExecutor(2), partition_size=1000,
                                   verbose=False)
    assert [p.shape[0] for p in parts] == [1000, 1000, 500]
    X = stack(parts)
    expected = MorganFingerprint(n_bits=512).transform_canonical(smiles)
    assert abs(X - expected).sum() == 0 and X.shape == (2500, 512)
    assert len(list(tmp_path.glob("part-*/morgan-*.parquet"))) == 3
