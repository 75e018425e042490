from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from bioassay_mix import load_bundle, score
from bioassay_mix.cli import main
from bioassay_mix.errors import DataError
from bioassay_mix.estimator import DEFAULT_N_BOOTSTRAP, DEFAULT_TARGET_FLOOR
from bioassay_mix.proxies import make_classifier
from bioassay_mix.target import METHODS, fit_target, read_target, write_fit

FAST = make_classifier({"n_estimators": 30})


@pytest.fixture(scope="module")
def target_csv(few_labels, tmp_path_factory):
    """96 real SR-p53 labels as a user's file, with the faults users' files have: an invalid
    SMILES, a row without a label, a duplicate that agrees and one that conflicts."""
    X, y, _, _ = few_labels
    frame = pd.DataFrame({"compound": X, "active": y.astype(float)})
    extra = pd.DataFrame(
        {"compound": ["C1CC", X[0], X[1], X[2], "CCO"], "active": [1, y[0], 1 - y[1], np.nan, 0]}
    )
    path = tmp_path_factory.mktemp("target") / "my_assay.csv"
    pd.concat([frame, extra], ignore_index=True).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def fitted(target_csv, tox21_library):
    target = read_target(target_csv, smiles_column="compound", label_column="active")
    return fit_target(target, tox21_library, final_estimator=FAST, cv=3, n_jobs=2, verbose=False)


def test_read_target_reports_what_it_left_out(target_csv):
    t = read_target(target_csv, smiles_column="compound", label_column="active")
    kinds = t.issues["kind"].value_counts().to_dict()
    assert kinds["invalid_smiles"] == 1 and kinds["conflicting_labels"] == 1
    assert kinds["duplicate_merged"] == 3 and kinds["no_labels"] == 1
    # 96 compounds + CCO - the conflicting one
    assert len(t.y) == 96 and t.source["sha256"] and t.name == "my_assay"


@pytest.mark.parametrize(
    "text, message",
    [
        ("smiles,label\nCCO,1\nCCN,yes\n", "row 1: label 'yes' is not 0/1"),
        ("smiles,label\nCCO,1\nCCN,1\n", "every labelled compound is 1"),
        ("smiles,label\nnope,1\nC1CC,0\n", "every SMILES in column 'smiles' is invalid"),
        ("smiles,label\nCCO,\nCCN,\n", "no compound has both"),
        ("smile,label\nCCO,1\n", "no column 'smiles'"),
    ],
    ids=["not-binary", "one-class", "all-invalid", "no-labels", "column"],
)
def test_bad_target_files_are_named(tmp_path, text, message):
    (tmp_path / "t.csv").write_text(text)
    with pytest.raises(DataError, match=message):
        read_target(tmp_path / "t.csv")


def test_smi_and_sdf_targets_read_as_the_csv(target_csv, tmp_path):
    from rdkit import Chem

    csv = read_target(target_csv, smiles_column="compound", label_column="active")
    frame = pd.read_csv(target_csv)
    # rows without a label are left out of the .smi (it has no empty fields)
    smi = tmp_path / "my_assay.smi"
    smi.write_text(
        "smiles name active\n"
        + "\n".join(
            f"{s} c{i} {'' if np.isnan(a) else int(a)}"
            for i, (s, a) in enumerate(zip(frame["compound"], frame["active"], strict=True))
            if not np.isnan(a)
        )
        + "\n# a comment\n"
    )
    t = read_target(smi, label_column="active")
    assert sorted(t.smiles) == sorted(csv.smiles) and t.name == "my_assay"
    sdf = tmp_path / "my_assay.sdf"
    with Chem.SDWriter(str(sdf)) as writer:
        for s, a in zip(frame["compound"], frame["active"], strict=True):
            mol = Chem.MolFromSmiles(s)
            if mol is None:
                continue
            if not np.isnan(a):
                mol.SetProp("active", str(int(a)))
            writer.write(mol)
    with open(sdf, "a") as handle:
        handle.write("junk\n$$$$\n")
    t = read_target(sdf, label_column="active")
    assert dict(zip(t.smiles, t.y, strict=True)) == dict(zip(csv.smiles, csv.y, strict=True))
    unreadable = t.issues[t.issues["kind"] == "invalid_smiles"]
    assert unreadable["detail"].str.contains(r"SDF record \d+ could not be read").all()


@pytest.mark.parametrize(
    "text, message",
    [
        ("CCO 1 x y\n", r"line 1: 4 fields; without a header"),
        ("smiles label\nCCO 1\nCCN\n", r"line 3: 1 fields, the header has 2"),
    ],
    ids=["fields", "ragged"],
)
def test_bad_smi_targets_name_the_line(tmp_path, text, message):
    (tmp_path / "t.smi").write_text(text)
    with pytest.raises(DataError, match=message):
        read_target(tmp_path / "t.smi")


@pytest.mark.slow
def test_cross_validation_reports_every_method(fitted):
    assert fitted.folds.shape[0] == 3 * len(METHODS)
    s = fitted.summary.set_index("method")
    assert list(s.index) == list(METHODS)
    assert ((s["ap_ci_low"] <= s["mean_ap"]) & (s["mean_ap"] <= s["ap_ci_high"])).all()
    assert ((s["ap_ci_low"] >= 0) & (s["ap_ci_high"] <= 1)).all()
    np.testing.assert_allclose(
        fitted.folds["delta_auprc"], fitted.folds["ap"] - fitted.folds["positive_rate"]
    )
    assert fitted.verdict.split()[0] in ("Mixing", "No")
    assert "96 labelled compounds" in fitted.verdict
    w = fitted.weights
    assert abs(w["weight"].sum() - 1) < 1e-9 and "target" in set(w["source"])
    counts = w.set_index("source")[["n_train", "n_positive"]]
    assert (counts.dtypes == "Int64").all() and counts.loc["target"].isna().all()
    assert counts.drop("target").notna().all().all()
    assert w.loc[w["source"] == "target", "dataset"].iloc[0] == "(your assay)"


@pytest.mark.slow
def test_same_seed_same_report(target_csv, tox21_library, fitted):
    target = read_target(target_csv, smiles_column="compound", label_column="active")
    again = fit_target(target, tox21_library, final_estimator=FAST, cv=3, n_jobs=1, verbose=False)
    pd.testing.assert_frame_equal(again.folds, fitted.folds)
    pd.testing.assert_frame_equal(again.weights, fitted.weights)


def test_fewer_labels_than_folds_is_refused(tox21_library, few_labels):
    from bioassay_mix.target import TargetData

    X = few_labels[0]
    small = np.zeros(20, dtype=np.int32)
    small[:2] = 1
    t = TargetData(X[:20], small, "tiny", pd.DataFrame())
    with pytest.raises(DataError, match="2 compounds labelled 1, fewer than the 5 folds"):
        fit_target(t, tox21_library, cv=5)
    with pytest.raises(DataError, match="cv must be >= 2"):
        fit_target(t, tox21_library, cv=1)


def test_written_output_scores_and_is_never_written_over_a_foreign_folder(
    fitted, tmp_path, few_labels
):
    files = write_fit(fitted, tmp_path / "out")
    for key in ("report", "weights", "plot", "issues", "folds", "summary", "json"):
        assert files[key].is_file(), key
    text = files["report"].read_text()
    assert fitted.verdict in text and "ΔAUPRC" in text
    bundle = load_bundle(files["bundle"])
    _, _, X_test, _ = few_labels
    out = score(bundle, X_test[:10])
    expected = fitted.classifier.predict_proba(X_test[:10])[:, 1]
    np.testing.assert_allclose(out["my_assay"].to_numpy(), expected, rtol=1e-5)
    with pytest.raises(DataError, match="already exists"):
        write_fit(fitted, tmp_path / "out")
    write_fit(fitted, tmp_path / "out", overwrite=True)
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "notes.txt").write_text("mine")
    with pytest.raises(DataError, match="is not a fit output"):
        write_fit(fitted, keep, overwrite=True)
    assert [p.name for p in keep.iterdir()] == ["notes.txt"]


@pytest.mark.slow
def test_cli_fit_then_score(target_csv, tox21_library, tmp_path, capsys):
    lib = tox21_library.save(tmp_path / "lib")
    out = tmp_path / "fit"
    code = main(
        [
            "fit",
            "--target",
            str(target_csv),
            "--smiles-column",
            "compound",
            "--label-column",
            "active",
            "--library",
            str(lib),
            "--cv",
            "3",
            "--final-params",
            '{"n_estimators": 20}',
            "--n-jobs",
            "2",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "MixMin + target" in printed and "report:" in printed
    (tmp_path / "new.smi").write_text("CCO\nc1ccccc1O\nnot-a-smiles\n")
    assert (
        main(
            [
                "score",
                "--bundle",
                str(out / "bundle"),
                "--input",
                str(tmp_path / "new.smi"),
                "--out",
                str(tmp_path / "s.parquet"),
                "--quiet",
            ]
        )
        == 0
    )
    scores = pd.read_parquet(tmp_path / "s.parquet")
    assert scores["my_assay"].notna().tolist() == [True, True, False]


def test_cli_fit_refuses_a_featurizer_other_than_the_librarys(
    target_csv, tox21_library, tmp_path, capsys
):
    lib = tox21_library.save(tmp_path / "lib")
    code = main(
        [
            "fit",
            "--target",
            str(target_csv),
            "--smiles-column",
            "compound",
            "--label-column",
            "active",
            "--library",
            str(lib),
            "--featurizer",
            "maccs",
            "--out",
            str(tmp_path / "fit"),
            "--quiet",
        ]
    )
    assert code == 2 and "differs from the library's" in capsys.readouterr().err
    assert not (tmp_path / "fit").exists()


@pytest.mark.slow
def test_cli_fit_prior_bootstrap_and_floor_reach_the_report_and_bad_values_are_refused(
    target_csv, tox21_library, tmp_path, capsys
):
    lib = tox21_library.save(tmp_path / "lib")
    common = [
        "fit",
        "--target",
        str(target_csv),
        "--smiles-column",
        "compound",
        "--label-column",
        "active",
        "--library",
        str(lib),
        "--cv",
        "2",
        "--final-params",
        '{"n_estimators": 10}',
        "--quiet",
    ]
    for bad in ("-1", "inf", "lots"):
        with pytest.raises(SystemExit):
            main([*common, "--natural-prior", bad, "--out", str(tmp_path / "bad")])
        assert "--natural-prior" in capsys.readouterr().err
    for bad in ("-1", "2.5"):
        with pytest.raises(SystemExit):
            main([*common, "--n-bootstrap", bad, "--out", str(tmp_path / "bad")])
        assert "--n-bootstrap" in capsys.readouterr().err
    for bad in ("-0.5", "inf", "nan", "high"):
        with pytest.raises(SystemExit):
            main([*common, "--target-floor", bad, "--out", str(tmp_path / "bad")])
        assert "--target-floor" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
    plain = [
        *("--natural-prior", "0", "--n-bootstrap", "0", "--target-floor", "2"),
        *("--out", str(tmp_path / "plain")),
    ]
    assert main([*common, *plain]) == 0
    report = json.loads((tmp_path / "plain" / "fit.json").read_text())
    assert report["settings"]["natural_prior"] == 0.0 and report["settings"]["n_bootstrap"] == 0
    assert report["settings"]["target_floor"] == report["settings"]["target_floor_value"] == 2.0
    assert (
        "prior toward natural pooling: 0 pseudo-compounds; weights from one solve; the final "
        "model trains on your compounds with at least 2 x the largest source's weight"
        in (tmp_path / "plain" / "report.md").read_text()
    )
    assert main([*common, "--natural-prior", "auto", "--out", str(tmp_path / "auto")]) == 0
    settings = json.loads((tmp_path / "auto" / "fit.json").read_text())["settings"]
    assert settings["natural_prior"] == "auto" and settings["natural_prior_strength"] >= 1.0
    strength = settings["natural_prior_strength"]
    assert settings["n_bootstrap"] == DEFAULT_N_BOOTSTRAP
    # Tox21's library is dense: the default floor, auto, is none
    assert settings["target_floor"] == DEFAULT_TARGET_FLOOR == "auto"
    assert settings["target_floor_value"] == 0.0
    assert re.search(
        rf"prior toward natural pooling: auto, {round(strength, 1):g} "
        rf"pseudo-compounds? for the final model; weights averaged over {DEFAULT_N_BOOTSTRAP} "
        r"bootstrap resamples; auto: a dense library, the final model trains on MixMin's "
        r"weights as they are\..*duality gap \S+ \(the largest of the resamples\)",
        (tmp_path / "auto" / "report.md").read_text(),
        flags=re.S,
    )


@pytest.mark.slow
def test_the_fit_path_never_loads_the_paper_protocol(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import bioassay_mix.target, bioassay_mix.report, bioassay_mix.cli\n"
        "bioassay_mix.cli.build_parser()\n"
        "loaded = [m for m in sys.modules if m.startswith('bioassay_mix.protocol')]\n"
        "print(loaded)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("floor", "in_library", "says"),
    [
        (0.0, 1.0, "auto: a dense library, the final model trains on MixMin's weights as they are"),
        (
            1.0,
            0.93,
            "auto: a sparse library that trained on 93% of your compounds, the final model "
            "trains on your compounds with at least 1 x the largest source's weight",
        ),
        (
            float("inf"),
            0.2,
            "auto: a sparse library that trained on 20% of your compounds, the final model "
            "trains on your compounds alone",
        ),
    ],
)
def test_the_report_says_which_floor_auto_chose_and_why(floor, in_library, says):
    from bioassay_mix.target._write import _floor_text

    settings = {"target_floor": "auto", "target_floor_value": floor, "in_library": in_library}
    assert _floor_text(settings) == says
    assert _floor_text({**settings, "target_floor": floor}) == says.split(", ", 1)[1]


def test_the_verdict_says_no_mixing_when_the_model_trained_on_your_labels_alone():
    """When target_floor auto leaves no mixture, the verdict must not credit mixing with the
    gap between two learners on your own labels."""
    from types import SimpleNamespace

    from sklearn.ensemble import RandomForestClassifier

    from bioassay_mix.target._fit import _verdict

    comparison = pd.DataFrame(
        {"baseline": ["target_only"], "mean_gain": [0.08], "ci_low": [0.02], "ci_high": [0.14]}
    )
    target = SimpleNamespace(y=np.zeros(40), n_positive=12)
    alone = SimpleNamespace(
        target_floor="auto",
        target_floor_=float("inf"),
        in_library_=0.125,
        final_estimator_=RandomForestClassifier(),
    )
    text = _verdict(comparison, target, 5, alone)
    assert text.startswith("No mixing: 12% of your compounds are training compounds")
    assert "RandomForestClassifier on your labels alone" in text and "helps" not in text
    assert "+0.080 AP, 95% CI [+0.020, +0.140]" in text
    asked = _verdict(
        comparison, target, 5, SimpleNamespace(**{**vars(alone), "target_floor": float("inf")})
    )
    assert asked.startswith("No mixing: target_floor is inf, so the model is RandomForest")
    mixed = SimpleNamespace(
        target_floor="auto", target_floor_=1.0, in_library_=0.9, final_estimator_=None
    )
    assert _verdict(comparison, target, 5, mixed).startswith("Mixing helps at 40 labelled")


@pytest.mark.slow
def test_a_fit_on_compounds_new_to_a_sparse_library_is_a_forest_said_and_scored(
    target_csv, disjoint_tox21, tmp_path
):
    """The disjoint Tox21 library (a ChEMBL-like one) with the target's compounds left out:
    the default trains on the target's rows alone, the report and settings say so, and the
    bundle scores with that forest."""
    from sklearn.ensemble import RandomForestClassifier

    from bioassay_mix.featurize import MorganFingerprint
    from bioassay_mix.library import ProxyLibrary

    target = read_target(target_csv, smiles_column="compound", label_column="active")
    library = ProxyLibrary.build(
        disjoint_tox21,
        exclude=list(target.smiles),
        featurizer=MorganFingerprint(n_bits=256),
        proxy=FAST,
        verbose=False,
    )
    result = fit_target(target, library, cv=3, n_jobs=2, verbose=False)
    assert result.settings["target_floor_value"] == np.inf
    assert result.settings["in_library"] < 0.5
    assert isinstance(result.classifier.final_estimator_, RandomForestClassifier)
    assert result.verdict.startswith("No mixing: ")
    written = write_fit(result, tmp_path / "fit")
    assert "the final model trains on your compounds alone" in written["report"].read_text()
    settings = json.loads(written["json"].read_text())["settings"]
    assert settings["target_only"] and settings["target_floor_value"] is None  # strict JSON
    smiles = list(target.smiles[:5])
    scored = score(load_bundle(written["bundle"]), smiles)
    np.testing.assert_allclose(
        scored[target.name].to_numpy(), result.classifier.predict_proba(smiles)[:, 1]
    )
