from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from bioassay_mix.errors import DataError, ModelFileError
from bioassay_mix.featurize import MACCSKeys, MorganFingerprint
from bioassay_mix.library import ProxyLibrary, load_library

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "Clc1ccc(Cl)cc1"]


def test_build_trains_one_proxy_per_source_on_its_labelled_rows(tox21_library, tox21):
    lib = tox21_library
    assert lib.sources == ["NR-AR", "NR-AhR", "SR-ARE", "SR-MMP"]
    for s in lib.sources:
        X_s, y_s = lib.source_rows(s)
        expected = tox21.labels[s].dropna()
        assert X_s.shape == (len(expected), 512) and len(y_s) == len(expected)
        assert set(lib.compounds[lib.rows[s]]) == set(expected.index)
        assert y_s.sum() == expected.sum() == lib.info.loc[s, "n_positive"]
    assert lib.info["dataset"].eq("tox21").all()
    assert lib.info["title"].str.startswith("Tox21").all()


def test_predict_is_every_proxy_on_smiles_or_features(tox21_library):
    lib = tox21_library
    P = lib.predict(SMILES)
    assert P.shape == (4, 4) and ((P > 0) & (P < 1)).all()
    X = MorganFingerprint(n_bits=512).fit().transform(SMILES)
    for j, s in enumerate(lib.sources):
        np.testing.assert_allclose(P[:, j], lib.proxies[s].predict_proba(X)[:, 1], rtol=1e-6)
    np.testing.assert_array_equal(lib.predict(X, n_jobs=2), P)
    np.testing.assert_array_equal(lib.predict(X.toarray()), P)
    with pytest.raises(DataError, match="has 1024 columns; the library's featurizer makes 512"):
        lib.predict(MorganFingerprint(n_bits=1024).fit().transform(SMILES))
    assert lib.predict([]).shape == (0, 4)


@pytest.mark.slow
def test_exclude_keeps_compounds_out_of_every_source(tox21):
    panel = tox21.select(["NR-AR", "SR-MMP"])
    held_out = list(panel.labels.index[:300])
    # spelled differently from the panel's canonical SMILES: found all the same
    spelled = [
        Chem.MolToRandomSmilesVect(Chem.MolFromSmiles(s), 1, randomSeed=i)[0]
        for i, s in enumerate(held_out)
    ]
    assert sum(a != b for a, b in zip(spelled, held_out, strict=True)) > 200
    lib = ProxyLibrary.build(
        panel,
        featurizer=MorganFingerprint(n_bits=64),
        exclude=spelled,
        proxy=LogisticRegression(max_iter=200),
        verbose=False,
    )
    assert not set(held_out) & set(lib.compounds)
    assert lib.build_params["n_excluded"] == 300


@pytest.mark.slow
def test_assays_too_small_or_one_class_are_skipped_with_reason(tox21):
    lib = ProxyLibrary.build(
        tox21.select(["NR-AR", "SR-MMP"]),
        min_labels=7000,
        featurizer=MorganFingerprint(n_bits=64),
        proxy=LogisticRegression(max_iter=200),
        verbose=False,
    )
    assert lib.sources == ["NR-AR"]
    assert lib.skipped["assay"].tolist() == ["SR-MMP"]
    assert "< min_labels=7000" in lib.skipped["reason"].iloc[0]
    with pytest.raises(DataError, match="no usable source assay"):
        ProxyLibrary.build(tox21.select(["NR-AR"]), min_labels=100_000, verbose=False)


@pytest.mark.slow
def test_several_panels_join_on_canonical_smiles(tox21, data_dir):
    from bioassay_mix import load_panel

    sider = load_panel("sider").select(["Hepatobiliary disorders"])
    lib = ProxyLibrary.build(
        [tox21.select(["NR-AR"]), sider],
        featurizer=MorganFingerprint(n_bits=64),
        proxy=LogisticRegression(max_iter=200),
        verbose=False,
    )
    assert lib.info["dataset"].to_dict() == {"NR-AR": "tox21", "Hepatobiliary disorders": "sider"}
    assert len(lib.compounds) == len(
        set(tox21.labels["NR-AR"].dropna().index) | set(sider.labels.index)
    )


def test_without_drops_sources_and_shares_data(tox21_library):
    sub = tox21_library.without(["SR-MMP"])
    assert sub.sources == ["NR-AR", "NR-AhR", "SR-ARE"] and sub.X is tox21_library.X
    with pytest.raises(DataError, match="no source 'nope'"):
        tox21_library.without(["nope"])


def test_in_library_matches_a_compounds_features_whatever_their_form(tox21_library):
    """A training compound is in the library as SMILES and as its feature row (entries stored
    in another order, an explicit zero added); a new compound, one differing in a single bit,
    or one that only the dropped sources trained on, is not."""
    import scipy.sparse as sp

    lib = tox21_library
    known = list(lib.compounds[lib.rows["SR-MMP"][:3]])
    new = "C1CC1C1CC1C1CC1C1CC1"
    assert new not in set(lib.compounds)
    np.testing.assert_array_equal(lib.in_library([*known, new]), [True, True, True, False])
    rows = lib.features(known).tocoo()
    order = np.argsort(-rows.col)  # the same entries, stored backwards, and an explicit 0
    shuffled = sp.csr_matrix(
        (
            np.r_[rows.data[order], 0.0],
            (np.r_[rows.row[order], 0], np.r_[rows.col[order], 511 - rows.col.max() % 2]),
        ),
        shape=rows.shape,
    )
    assert lib.in_library(shuffled).all()
    flipped = lib.features(known).tolil()
    flipped[0, 0] = 1.0 - flipped[0, 0]
    assert lib.in_library(flipped.tocsr()).tolist() == [False, True, True]
    # a library less sources knows fewer compounds (a stereoisomer of an SR-MMP compound has
    # its fingerprint, so some may still match)
    only = tox21_library.without(["NR-AR", "NR-AhR", "SR-ARE"])
    mmp = set(lib.compounds[lib.rows["SR-MMP"]])
    others = [c for c in lib.compounds if c not in mmp][:50]
    assert lib.in_library(others).all() and only.in_library(others).mean() < 0.5


def test_save_load_round_trip_gives_identical_predictions(tox21_library, tmp_path):
    path = tox21_library.save(tmp_path / "lib")
    again = load_library(path)
    assert again.sources == tox21_library.sources
    assert again.featurizer.get_params() == tox21_library.featurizer.get_params()
    np.testing.assert_array_equal(again.predict(SMILES), tox21_library.predict(SMILES))
    assert again.info.equals(tox21_library.info)


@pytest.mark.slow
def test_a_loaded_library_fits_the_same_weights_as_the_built_one(
    tox21_library, few_labels, tmp_path
):
    """Its proxy template (the target's out-of-fold proxy) is the proxies' estimator again,
    so fit against a saved library reproduces fit against the library it was saved from."""
    from bioassay_mix import MixMinClassifier

    X, y, _, _ = few_labels
    again = load_library(tox21_library.save(tmp_path / "lib"))
    assert again.proxy_template().get_params()["n_estimators"] == 30
    fits = [
        MixMinClassifier(lib, random_state=0).fit(X, y).weights_ for lib in (tox21_library, again)
    ]
    pd.testing.assert_series_equal(fits[0], fits[1])


@pytest.mark.slow
@pytest.mark.parametrize(
    "proxy",
    [LogisticRegression(max_iter=200), RandomForestClassifier(n_estimators=5, random_state=0)],
    ids=["logistic", "random_forest"],
)
def test_scikit_learn_proxies_round_trip(tox21, tmp_path, proxy):
    lib = ProxyLibrary.build(
        tox21.select(["NR-AR", "SR-MMP"]), featurizer=MACCSKeys(), proxy=proxy, verbose=False
    )
    lib.save(tmp_path / "lib")
    suffix = "npy" if isinstance(proxy, LogisticRegression) else "skops"
    assert len(list((tmp_path / "lib" / "proxies").glob(f"*.{suffix}"))) == 2
    np.testing.assert_array_equal(
        load_library(tmp_path / "lib").predict(SMILES), lib.predict(SMILES)
    )


@pytest.fixture
def saved(tox21_library, tmp_path):
    return tox21_library.save(tmp_path / "lib")


def test_edited_data_file_is_refused_by_name(saved):
    with open(saved / "rows.npz", "ab") as handle:
        handle.write(b"x")
    with pytest.raises(ModelFileError, match=r"rows\.npz is corrupt or was changed"):
        load_library(saved)


def test_edited_proxy_file_is_refused_by_name(saved):
    model = next((saved / "proxies").glob("*.ubj"))
    model.write_bytes(model.read_bytes()[:-10])
    with pytest.raises(ModelFileError, match=model.name):
        load_library(saved)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: m.update(format=1), "library format 1.*rebuild the library"),
        (lambda m: m["versions"].update(bioassay_mix="9.1.0"), "written by bioassay-mix 9.1.0"),
        (lambda m: m["featurizer"].update({"class": "Evil"}), "unknown featurizer class 'Evil'"),
        (lambda m: m["featurizer"]["params"].update(n_bits=1024), "features have 512 columns"),
        (lambda m: m["sources"][0]["model"].update(file="../../etc/passwd"), "not its own file"),
        (lambda m: m.pop("files"), "is corrupt"),
    ],
    ids=["format", "version", "featurizer-class", "featurizer-params", "path-escape", "keys"],
)
def test_manifest_from_another_version_or_featurizer_is_refused(saved, edit, message):
    manifest = json.loads((saved / "library.json").read_text())
    edit(manifest)
    (saved / "library.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match=message):
        load_library(saved)


def test_corrupt_manifest_and_missing_folder(saved, tmp_path):
    (saved / "library.json").write_text('{"format": 1, ')
    with pytest.raises(ModelFileError, match=r"library\.json is corrupt"):
        load_library(saved)
    with pytest.raises(ModelFileError, match="is not a proxy library"):
        load_library(tmp_path / "nothing")


def test_save_never_replaces_a_folder_it_did_not_write(tox21_library, tmp_path):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "notes.txt").write_text("mine")
    with pytest.raises(DataError, match="not empty and is not a library"):
        tox21_library.save(keep, overwrite=True)
    assert (keep / "notes.txt").read_text() == "mine" and len(list(keep.iterdir())) == 1
    path = tox21_library.save(tmp_path / "lib")
    with pytest.raises(DataError, match="already exists"):
        tox21_library.save(path)
    tox21_library.save(path, overwrite=True)
    assert load_library(path).sources == tox21_library.sources
    (tmp_path / "empty").mkdir()
    tox21_library.save(tmp_path / "empty")  # an empty folder is fine


@pytest.mark.slow
def test_stacked_proxies_predict_exactly_what_each_proxy_predicts(tox21):
    from bioassay_mix.proxy_stack import stackable

    panel = tox21.select(["NR-AR", "NR-AhR", "SR-MMP"])
    lib = ProxyLibrary.build(
        panel,
        featurizer=MorganFingerprint(n_bits=256),
        verbose=False,
        proxy=__import__("xgboost").XGBClassifier(n_estimators=20),
    )
    X = lib.features(list(tox21.compounds[:400]))
    separate = np.column_stack([lib.proxies[s].predict_proba(X)[:, 1] for s in lib.sources])
    assert lib.stacked() is not None
    np.testing.assert_allclose(lib.predict(X, stacked=True), separate, rtol=1e-5, atol=1e-7)
    fewer = lib.without(["NR-AhR"])
    np.testing.assert_allclose(
        fewer.predict(X, stacked=True), separate[:, [0, 2]], rtol=1e-5, atol=1e-7
    )
    one = lib.without(["NR-AR", "NR-AhR"])
    assert one.predict(X, stacked=True).shape == (400, 1)
    assert not stackable([LogisticRegression()])


@pytest.mark.slow
def test_a_killed_build_resumes_from_its_checkpoint(tox21, tmp_path, monkeypatch):
    import bioassay_mix.library._build as module

    panel = tox21.select(["NR-AR", "NR-AhR", "SR-ARE", "SR-MMP", "SR-p53"])
    options = {
        "featurizer": MorganFingerprint(n_bits=128),
        "proxy": LogisticRegression(max_iter=200),
        "verbose": False,
    }
    reference = ProxyLibrary.build(panel, **options)
    monkeypatch.setattr(module, "CHECKPOINT_BATCH", 2)
    trained = []
    real = module._train_proxies

    def dies_on_the_second_batch(names, *args, **kwargs):
        if trained:
            raise KeyboardInterrupt  # as a kill would, after the first batch was kept
        trained.append(list(names))
        return real(names, *args, **kwargs)

    monkeypatch.setattr(module, "_train_proxies", dies_on_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        ProxyLibrary.build(panel, checkpoint=tmp_path / "ck", **options)
    monkeypatch.setattr(
        module,
        "_train_proxies",
        lambda names, *a, **k: (trained.append(list(names)), real(names, *a, **k))[1],
    )
    resumed = ProxyLibrary.build(panel, checkpoint=tmp_path / "ck", **options)
    assert trained == [["NR-AR", "NR-AhR"], ["SR-ARE", "SR-MMP"], ["SR-p53"]]
    np.testing.assert_allclose(resumed.predict(SMILES), reference.predict(SMILES))
    other = ProxyLibrary.build(panel, checkpoint=tmp_path / "ck", **{**options, "random_state": 1})
    assert len(trained) == 6, "another seed is another build: nothing reused"
    assert len(list((tmp_path / "ck").iterdir())) == 2
    module.remove_checkpoint(tmp_path / "ck")
    assert not (tmp_path / "ck").exists() and len(other) == 5


@pytest.mark.slow
def test_logistic_proxies_predict_as_one_matrix_product(tox21):
    lib = ProxyLibrary.build(
        tox21.select(["NR-AR", "SR-MMP", "NR-AhR"]),
        verbose=False,
        featurizer=MorganFingerprint(n_bits=128),
        proxy=LogisticRegression(max_iter=300),
    )
    X = lib.features(list(tox21.compounds[:300]))
    P = lib.predict(X)
    assert lib._linear is not False
    separate = np.column_stack([lib.proxies[s].predict_proba(X)[:, 1] for s in lib.sources])
    np.testing.assert_allclose(P, separate, rtol=1e-6, atol=1e-9)  # float32 rounding
    np.testing.assert_allclose(
        lib.without(["SR-MMP"]).predict(X), separate[:, [0, 2]], rtol=1e-6, atol=1e-9
    )  # float32 rounding


@pytest.mark.slow
def test_default_proxy_is_linear_for_a_library_of_small_assays(tox21):
    from bioassay_mix.library import LINEAR_PROXY_MEDIAN, default_proxy

    assert type(default_proxy([46, 80, 3000])).__name__ == "LogisticRegression"
    assert type(default_proxy([5000, 7000])).__name__ == "XGBClassifier"
    small = ProxyLibrary.build(
        tox21.select(["NR-AR", "SR-MMP"]),
        assays=None,
        verbose=False,
        featurizer=MorganFingerprint(n_bits=64),
        min_labels=2,
        exclude=list(tox21.compounds[:7700]),
    )
    assert np.median([len(r) for r in small.rows.values()]) < LINEAR_PROXY_MEDIAN
    assert type(small.proxy_template()).__name__ == "LogisticRegression"
    assert small.build_params["proxy"]["class"].endswith("LogisticRegression")
