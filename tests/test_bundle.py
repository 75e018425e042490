import json
import shutil

import numpy as np
import pytest

from bioassay_mix import Bundle, load_bundle
from bioassay_mix.errors import DataError, ModelFileError

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CN1CCC[C@H]1c1cccnc1"]


@pytest.fixture
def bundle_copy(tox21_run, tmp_path):
    _, out = tox21_run
    path = tmp_path / "bundle"
    shutil.copytree(out / "bundle", path)
    return path


def manifest(path):
    return json.loads((path / "bundle.json").read_text())


def rewrite(path, edit):
    data = manifest(path)
    edit(data)
    (path / "bundle.json").write_text(json.dumps(data))


@pytest.mark.slow
def test_round_trip_predicts_as_the_trained_models(tox21_run):
    result, out = tox21_run
    bundle = load_bundle(out / "bundle")
    assert bundle.targets == ["NR-AR", "SR-MMP"]
    assert bundle.featurizer == {
        "class": "MorganFingerprint",
        "params": {
            "radius": 2,
            "n_bits": 1024,
            "counts": False,
            "include_chirality": False,
            "use_features": False,
        },
    }
    X = bundle.fingerprinter().transform(SMILES)
    expected = np.column_stack([result.models[t].predict_proba(X)[:, 1] for t in bundle.targets])
    np.testing.assert_allclose(bundle.predict_proba(X), expected, rtol=1e-6)
    w = bundle.weights.loc["NR-AR"]
    np.testing.assert_allclose(w[w > 0], result.weights.loc["NR-AR"][w[w > 0].index])
    ap = result.report.set_index("target").loc["SR-MMP", "ap_mixmin_trained"]
    assert bundle.info["test_ap"]["SR-MMP"]["ap_mixmin_trained"] == pytest.approx(ap)
    assert bundle.info["panel_labels_sha256"] == result.metadata["panel_labels_sha256"]


@pytest.mark.slow
def test_resumed_run_reloads_the_same_models(tox21_run, small_panel):
    from bioassay_mix import Compute, RunConfig, run

    result, out = tox21_run
    fast = {"n_estimators": 30}
    again = run(
        small_panel,
        targets=["NR-AR", "SR-MMP"],
        out_dir=out,
        config=RunConfig(
            proxy_params=fast,
            final_params=fast,
            n_bits=1024,
            seed=3,
            compute=Compute(n_jobs=2, verbose=False),
        ),
    )
    X = Bundle.from_run(result).fingerprinter().transform(SMILES)
    for t in ("NR-AR", "SR-MMP"):
        np.testing.assert_array_equal(
            again.models[t].predict_proba(X), result.models[t].predict_proba(X)
        )


def test_select_targets_and_unknown_target(tox21_run):
    _, out = tox21_run
    assert load_bundle(out / "bundle", targets=["SR-MMP"]).targets == ["SR-MMP"]
    with pytest.raises(DataError, match="no target 'NR-XX'"):
        load_bundle(out / "bundle", targets=["NR-XX"])


def test_truncated_model_file_is_refused_by_name(bundle_copy):
    model = bundle_copy / manifest(bundle_copy)["targets"][1]["model"]["file"]
    model.write_bytes(model.read_bytes()[:100])
    with pytest.raises(ModelFileError, match=model.name):
        load_bundle(bundle_copy)


def test_missing_model_file(bundle_copy):
    (bundle_copy / manifest(bundle_copy)["targets"][0]["model"]["file"]).unlink()
    with pytest.raises(ModelFileError, match=r"NR-AR.*\.ubj named in .* is missing"):
        load_bundle(bundle_copy)


@pytest.mark.parametrize(
    ("key", "version", "message"),
    [
        ("bioassay_mix", "9.9.0", "written by bioassay-mix 9.9.0"),
        ("xgboost", "99.0.0", "XGBoost 99.0.0"),
    ],
)
def test_bundle_from_another_version_is_refused(bundle_copy, key, version, message):
    rewrite(bundle_copy, lambda d: d["versions"].__setitem__(key, version))
    with pytest.raises(ModelFileError, match=message):
        load_bundle(bundle_copy)


def test_corrupt_manifest_and_escaping_model_path(bundle_copy):
    rewrite(bundle_copy, lambda d: d["targets"][0]["model"].__setitem__("file", "../../x.ubj"))
    with pytest.raises(ModelFileError, match="leaves"):
        load_bundle(bundle_copy)
    (bundle_copy / "bundle.json").write_text('{"format": 1, "versions": ')
    with pytest.raises(ModelFileError, match=r"bundle\.json is corrupt"):
        load_bundle(bundle_copy)
    with pytest.raises(ModelFileError, match="not a bundle"):
        load_bundle(bundle_copy / "models")


def test_save_refuses_an_existing_bundle_unless_overwrite(tox21_run, tmp_path):
    result, _ = tox21_run
    path = result.save_bundle(tmp_path / "b")
    with pytest.raises(DataError, match="already exists"):
        result.save_bundle(path)
    (path / "notes.txt").write_text("mine")  # a user's file: never deleted by overwrite
    with pytest.raises(DataError, match=r"did not write there: \['notes.txt'\]"):
        result.save_bundle(path, overwrite=True)
    assert (path / "notes.txt").read_text() == "mine"
    (path / "notes.txt").unlink()
    result.save_bundle(path, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]  # no temporary folders left
    assert load_bundle(path).targets == ["NR-AR", "SR-MMP"]


def test_format_1_bundles_still_load_and_predict_the_same(tox21_run, bundle_copy):
    # a bundle as bioassay-mix wrote it before format 2: boosters and Morgan parameters
    data = manifest(bundle_copy)
    data["format"] = 1
    data["featurizer"] = {
        "kind": "morgan",
        **{
            k: data["featurizer"]["params"][k]
            for k in ("radius", "n_bits", "counts", "include_chirality")
        },
    }
    for entry in data["targets"]:
        model = entry.pop("model")
        entry["model_file"], entry["sha256"] = model["file"], model["sha256"]
    (bundle_copy / "bundle.json").write_text(json.dumps(data))
    old = load_bundle(bundle_copy)
    new = load_bundle(tox21_run[1] / "bundle")
    X = new.fingerprinter().transform(SMILES)
    np.testing.assert_array_equal(old.predict_proba(X), new.predict_proba(X))


@pytest.mark.slow
def test_any_classifier_bundles(tox21_library, few_labels, tmp_path):
    from sklearn.linear_model import LogisticRegression

    from bioassay_mix import MixMinClassifier, score

    X, y, X_test, _ = few_labels
    clf = MixMinClassifier(
        tox21_library, final_estimator=LogisticRegression(max_iter=300), random_state=0
    ).fit(X, y)
    Bundle({"p53": clf.final_estimator_}, tox21_library.featurizer.spec()).save(tmp_path / "b")
    assert list((tmp_path / "b" / "models").glob("*.npy"))
    out = score(tmp_path / "b", X_test[:20])
    np.testing.assert_allclose(out["p53"], clf.predict_proba(X_test[:20])[:, 1], rtol=1e-5)
