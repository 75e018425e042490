"""The contract every featurizer shares: one row per input, declared parameters, fitted before
use, a content-keyed cache, a spec to rebuild from, and scikit-learn's conventions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from bioassay_mix.errors import DataError
from bioassay_mix.featurize import (
    AtomPairFingerprint,
    MACCSKeys,
    MorganFingerprint,
    RDKitDescriptors,
    TopologicalTorsionFingerprint,
    featurizer_from_spec,
)

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "C1CCCCC1N"]
ALL = [
    MorganFingerprint(n_bits=128),
    AtomPairFingerprint(n_bits=128),
    TopologicalTorsionFingerprint(n_bits=128),
    MACCSKeys(),
    RDKitDescriptors(names=["MolWt", "TPSA"]),
]


@parametrize_with_checks(ALL)
def test_sklearn_checks(estimator, check):
    # SMILES input is declared (input_tags.string, no 2-D numeric array), as scikit-learn's own
    # text vectorizers declare theirs, so its numeric-array checks do not apply; the SMILES
    # contract is tested below.
    check(estimator)


@pytest.mark.parametrize("featurizer", ALL, ids=lambda f: type(f).__name__)
def test_smiles_contract(featurizer):
    f = clone(featurizer)
    assert clone(f).get_params() == f.get_params()
    with pytest.raises(NotFittedError):
        f.transform(SMILES)
    out = f.fit_transform(SMILES)
    assert out.shape == (4, f.n_features_out_) == (4, len(f.get_feature_names_out()))
    assert f.fit_transform([]).shape == (0, f.n_features_out_)
    frame = pd.DataFrame({"smiles": SMILES})
    np.testing.assert_array_equal(_dense(f.transform(frame)), _dense(out))
    np.testing.assert_array_equal(_dense(f.transform(np.asarray(SMILES))), _dense(out))
    rebuilt = featurizer_from_spec(f.spec())
    assert type(rebuilt) is type(f) and rebuilt.get_params() == f.get_params()


def test_parameters_are_validated_before_work():
    with pytest.raises(ValueError, match="n_bits"):
        MorganFingerprint(n_bits=0).fit()
    with pytest.raises(ValueError, match="radius"):
        MorganFingerprint(radius=-1).fit()
    with pytest.raises(ValueError, match="n_jobs"):
        MorganFingerprint(n_jobs=0).fit()
    with pytest.raises(ValueError, match="min_distance"):
        AtomPairFingerprint(min_distance=5, max_distance=2).fit()


def test_invalid_smiles_strict_raises_else_row_kept_and_flagged():
    data = ["CCO", "not_a_smiles", "", "c1ccccc1", "C" * 2500]
    with pytest.raises(DataError, match=r"3 invalid SMILES; first at row 1"):
        MorganFingerprint().fit().transform(data)
    fp = MorganFingerprint(strict=False).fit()
    before = dict(vars(fp))
    X, invalid = fp.transform_with_invalid(data)
    assert X.shape[0] == 5, "one output row per input row"
    assert X[[1, 2, 4]].nnz == 0 and X[0].nnz > 0 and X[3].nnz > 0
    assert invalid["row"].tolist() == [1, 2, 4]
    assert invalid["reason"].tolist()[:2] == ["SMILES syntax error", "empty SMILES"]
    assert "above the limit of 2000" in invalid["reason"].iloc[2]
    assert (fp.transform(data) != X).nnz == 0
    assert vars(fp).keys() == before.keys(), "transform sets no attribute on the featurizer"


@pytest.mark.slow
def test_inside_pipeline_and_cross_validation(small_panel):
    y = small_panel.labels["SR-MMP"].dropna()
    model = make_pipeline(MorganFingerprint(n_bits=256), LogisticRegression(max_iter=300))
    scores = cross_val_score(
        model,
        list(y.index[:400]),
        y.to_numpy()[:400].astype(int),
        cv=3,
        scoring="average_precision",
    )
    assert scores.shape == (3,) and (scores > y[:400].mean()).all()


def test_cache_is_keyed_by_text_spec_and_rdkit_version(tmp_path, monkeypatch):
    fp = MorganFingerprint(n_bits=512, cache_dir=tmp_path).fit()
    first = fp.transform(SMILES)
    files = list(tmp_path.glob("morgan-*.parquet"))
    assert len(files) == 1
    mtime = files[0].stat().st_mtime_ns
    # the same text again: served from the cache, file untouched
    np.testing.assert_array_equal(fp.transform(SMILES[:2]).toarray(), first[:2].toarray())
    assert files[0].stat().st_mtime_ns == mtime
    # "OCC" is "CCO" spelled otherwise: computed once (canonicalising would cost a parse),
    # with the same features, and added to the cache
    np.testing.assert_array_equal(fp.transform(["OCC"]).toarray(), first[:1].toarray())
    assert files[0].stat().st_mtime_ns != mtime
    # other science parameters or another RDKit: another cache file, never the old values
    other = MorganFingerprint(n_bits=512, use_features=True, cache_dir=tmp_path).fit()
    assert abs(other.transform(SMILES) - first).sum() > 0
    assert len(list(tmp_path.glob("morgan-*.parquet"))) == 2
    monkeypatch.setattr("bioassay_mix.featurize.base.rdkit.__version__", "1999.01.1")
    fp.transform(SMILES)
    assert len(list(tmp_path.glob("morgan-*.parquet"))) == 3
    monkeypatch.undo()
    # compute parameters do not change the key
    MorganFingerprint(n_bits=512, n_jobs=2, cache_dir=tmp_path).fit().transform(SMILES)
    assert len(list(tmp_path.glob("morgan-*.parquet"))) == 3


def test_unreadable_cache_is_recomputed(tmp_path):
    fp = MorganFingerprint(n_bits=64, cache_dir=tmp_path).fit()
    expected = fp.transform(SMILES).toarray()
    next(tmp_path.glob("morgan-*.parquet")).write_bytes(b"truncated")
    np.testing.assert_array_equal(fp.transform(SMILES).toarray(), expected)


def test_spec_errors_name_the_problem():
    with pytest.raises(DataError, match="unknown featurizer class 'Pickled'"):
        featurizer_from_spec({"class": "Pickled", "params": {}})
    with pytest.raises(DataError, match="not valid"):
        featurizer_from_spec({"class": "MorganFingerprint", "params": {"n_bits": "abc"}})
    with pytest.raises(DataError, match="featurizer spec must be"):
        featurizer_from_spec("morgan")


@pytest.mark.slow
def test_partitioned_fingerprints_equal_the_whole_and_cache_per_partition(tox21, tmp_path):
    from bioassay_mix.executor import LocalExecutor
    from bioassay_mix.featurize import fingerprint_partitions, stack

    smiles = tox21.smiles[:2500]
    fp = MorganFingerprint(n_bits=512, cache_dir=tmp_path).fit()
    parts = fingerprint_partitions(fp, smiles, LocalExecutor(2), partition_size=1000, verbose=False)
    assert [p.shape[0] for p in parts] == [1000, 1000, 500]
    X = stack(parts)
    expected = MorganFingerprint(n_bits=512).fit().transform_valid(smiles)
    assert abs(X - expected).sum() == 0 and X.shape == (2500, 512)
    assert len(list(tmp_path.glob("part-*/morgan-*.parquet"))) == 3


def _dense(X):
    return X.toarray() if hasattr(X, "toarray") else X
