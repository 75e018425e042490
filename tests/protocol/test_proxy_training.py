"""The paper's proxies: trained per assay, cached by their data, saved without pickle."""

import numpy as np
import pytest

from bioassay_mix.errors import ModelFileError
from bioassay_mix.featurize import MorganFingerprint
from bioassay_mix.protocol.proxy_training import load_model, save_model, train_proxies
from bioassay_mix.proxies import fit_classifier
from bioassay_mix.splits import PROXY_TRAIN, make_splits, rows


@pytest.fixture(scope="module")
def setup(small_panel):
    X = MorganFingerprint(n_bits=1024).fit().transform_valid(small_panel.smiles)
    codes = make_splits(small_panel, random_state=0)
    train = {a: rows(codes, a, PROXY_TRAIN) for a in small_panel.assays}
    return X, small_panel.labels, train


@pytest.mark.slow
def test_save_load_roundtrip_and_corruption_is_named(tmp_path, setup):
    X, labels, train = setup
    r = train["NR-AR"]
    model = fit_classifier(X[r], labels["NR-AR"].to_numpy()[r], params={"n_estimators": 20})
    path = save_model(model, tmp_path / "m.ubj", {"assay": "NR-AR"})
    loaded, meta = load_model(path)
    np.testing.assert_array_equal(loaded.predict_proba(X[:50]), model.predict_proba(X[:50]))
    assert meta["assay"] == "NR-AR" and len(meta["sha256"]) == 64
    data = bytearray(path.read_bytes())
    path.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(ModelFileError, match=r"m\.ubj is corrupt"):
        load_model(path)
    with pytest.raises(ModelFileError, match="missing"):
        load_model(tmp_path / "absent.ubj")


@pytest.mark.slow
def test_proxies_resume_from_cache(tmp_path, setup):
    X, labels, train = setup
    sub = {a: train[a] for a in ("NR-AR", "SR-ARE")}
    first = train_proxies(X, labels, sub, params={"n_estimators": 10}, cache_dir=tmp_path, n_jobs=2)
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.ubj")}
    again = train_proxies(X, labels, sub, params={"n_estimators": 10}, cache_dir=tmp_path)
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.ubj")} == stamps
    np.testing.assert_array_equal(first.predict_matrix(X[:100]), again.predict_matrix(X[:100]))
    # other parameters: the cached proxies are not reused
    train_proxies(X, labels, sub, params={"n_estimators": 11}, cache_dir=tmp_path)
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.ubj")} != stamps


@pytest.mark.slow
def test_grid_search_picks_from_the_paper_grid(setup):
    X, labels, train = setup
    ps = train_proxies(
        X, labels, {"NR-AR": train["NR-AR"]}, grid={"n_estimators": [10, 50], "max_depth": [4]}
    )
    assert ps.info.loc["NR-AR", "best_params"]["n_estimators"] in (10, 50)
