"""The weak themes of issue 33's hostile inputs (parameters checked when built, usage errors,
full disks, closed pipes, strict JSON, tampered libraries, clean-up after a killed writer):
each case here failed before its fix. The bugs are in ``test_hostile_inputs_round2.py``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from bioassay_mix.cli import main
from bioassay_mix.errors import DataError
from bioassay_mix.featurize import (
    MorganFingerprint,
)
from bioassay_mix.library import ProxyLibrary, load_library
from bioassay_mix.proxies import make_classifier
from bioassay_mix.target import read_target

FAST = make_classifier({"n_estimators": 10})


@pytest.mark.parametrize(
    "name, params, message",
    [
        ("random_forest", {"max_depth": "a"}, "'max_depth' parameter of RandomForestClassifier"),
        ("logistic", {"C": -1}, "'C' parameter of LogisticRegression"),
        ("logistic", {"random_state": 5}, "is the seed: use random_state= \\(--seed\\)"),
        ("xgboost", {"random_state": 5}, "is the seed"),
        ("xgboost", {"n_estimators": 0}, "n_estimators must be an integer >= 1"),
        ("xgboost", {"n_estimators": -1}, "n_estimators must be an integer >= 1"),
        ("xgboost", {"learning_rate": float("nan")}, "learning_rate must be a finite number"),
    ],
)
def test_estimator_parameters_are_checked_when_built(name, params, message):
    from bioassay_mix.proxies import make_estimator

    with pytest.raises(DataError, match=message):
        make_estimator(name, params)


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["fit", "--target", "t.csv", "--out", "o", "--seed", "99999999999999999999"],
            "at most 2\\*\\*32 - 1",
        ),
        (
            ["fit", "--target", "t.csv", "--out", "o", "--natural-prior", "0.5"],
            "must be 0 \\(plain MixMin\\), a finite number >= 1 or auto",
        ),
    ],
)
def test_out_of_range_options_are_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2 and re.search(message, capsys.readouterr().err)


def test_n_bits_beyond_any_use_is_a_named_error():
    with pytest.raises(ValueError, match="n_bits"):
        MorganFingerprint(n_bits=10**11).fit()


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    import xgboost

    def full(self, fname):
        raise xgboost.core.XGBoostError("[12:00:00] io.cc:1: write failed: No space left")

    monkeypatch.setattr(xgboost.XGBClassifier, "save_model", full)
    code = main(
        [
            "library",
            "build",
            "--panel",
            "bbbp",
            "--out",
            str(tmp_path / "lib"),
            "--quiet",
            "--n-jobs",
            "1",
            "--featurizer-params",
            '{"n_bits": 64}',
            "--proxy-params",
            '{"n_estimators": 5}',
        ]
    )
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "could not read or write: XGBoost could not write" in err and "No space left" in err
    # no library, no temporary folder: only the checkpoint a rerun resumes from
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lib.build"]


@pytest.mark.slow
def test_a_closed_pipe_ends_quietly(saved_library):
    proc = subprocess.run(
        f"{sys.executable} -m bioassay_mix.cli library info {saved_library} | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
    assert proc.stdout.startswith("ProxyLibrary(")


def test_json_outputs_are_strict(tmp_path):
    from bioassay_mix._files import write_json_atomic

    write_json_atomic(tmp_path / "x.json", {"gap": float("nan"), "v": [np.float64("inf"), 1]})
    assert json.loads(
        (tmp_path / "x.json").read_text(), parse_constant=lambda c: pytest.fail(c)
    ) == {"gap": None, "v": [None, 1]}


def test_corrupt_parquet_target_is_named(tmp_path):
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1 this is not parquet PAR1")
    with pytest.raises(DataError, match=r"t\.parquet could not be read"):
        read_target(path)


def test_scoring_input_with_two_smiles_columns_is_refused(tmp_path, saved_library):
    from bioassay_mix.compound_files import read_compounds

    path = tmp_path / "in.csv"
    path.write_text("smiles,smiles\nCCO,CCN\n")
    with pytest.raises(DataError, match="2 columns named 'smiles'"):
        next(read_compounds(path))


def test_sdf_id_property_no_record_has_is_named(tmp_path):
    from rdkit import Chem

    from bioassay_mix.compound_files import read_compounds

    path = tmp_path / "in.sdf"
    with Chem.SDWriter(str(path)) as writer:
        for smi in ("CCO", "CCN"):
            mol = Chem.MolFromSmiles(smi)
            mol.SetProp("cid", smi)
            writer.write(mol)
    with pytest.raises(DataError, match="no SD record has the property 'mol_id'"):
        next(read_compounds(path, id_column="mol_id"))
    assert next(read_compounds(path, id_column="cid"))["id"].tolist() == ["CCO", "CCN"]


@pytest.mark.parametrize(
    "smiles, what", [("CCO CCN", "whitespace"), ("CCÖ", "non-ASCII character 'Ö'")]
)
def test_smiles_rdkit_would_half_read_are_reported(smiles, what):
    from bioassay_mix.chem import parse_smiles

    parsed = parse_smiles(smiles)
    assert parsed.mol is None and what in parsed.reason


@pytest.mark.slow
def test_exclusion_lists_say_what_they_excluded(tox21, caplog):
    panel = tox21.select(["NR-AR"])
    with pytest.raises(DataError, match="none of the 2 compounds to exclude is a valid SMILES"):
        ProxyLibrary.build(
            panel,
            exclude=["nope", "C1CC"],
            verbose=False,
            featurizer=MorganFingerprint(n_bits=64),
            proxy=FAST,
        )
    held = list(panel.compounds[:20])
    lib = ProxyLibrary.build(
        panel,
        exclude=[*held, "nope", "CCCCCCCCCCCCCCCCCCCCCCCCCl"],
        verbose=False,
        featurizer=MorganFingerprint(n_bits=64),
        proxy=FAST,
    )
    assert lib.build_params["n_excluded"] == 20  # the compounds removed, not the list's length
    assert "1 of 22 compounds to exclude are not valid SMILES" in caplog.text


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: m["sources"].append(dict(m["sources"][0])), "names source .* more than once"),
        (
            lambda m: m["sources"][0]["model"].update(file=m["sources"][1]["model"]["file"]),
            "not its own file",
        ),
        (lambda m: m["sources"][0].update(n_train=5), "records 5 training compounds"),
        (lambda m: m["featurizer"]["params"].update(radius=3), "are not what the featurizer"),
        (lambda m: m["sources"][0]["model"].update(params=[1, 2]), "parameters recorded for model"),
        (
            lambda m: m["sources"][0]["model"].update(**{"class": "xgboost.sklearn.XGBRegressor"}),
            "Expecting: regressor, got: classifier",
        ),
    ],
    ids=["duplicate", "swapped", "n_train", "radius", "params-list", "regressor"],
)
def test_tampered_libraries_that_pass_sha256_are_refused(saved_library, tmp_path, edit, message):
    from bioassay_mix.errors import ModelFileError

    lib = shutil.copytree(saved_library, tmp_path / "lib")
    manifest = json.loads((lib / "library.json").read_text())
    edit(manifest)
    (lib / "library.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match=message):
        load_library(lib)


def test_predict_before_fit_is_not_fitted(tox21_library):
    from sklearn.exceptions import NotFittedError

    from bioassay_mix.estimator import MixMinClassifier

    with pytest.raises(NotFittedError):
        MixMinClassifier(tox21_library).predict(["CCO"])


@pytest.mark.slow
def test_a_target_the_library_trained_on_is_said_plainly(tox21_library, target_csv_96, caplog):
    from bioassay_mix.target import fit_markdown, fit_target

    target = read_target(target_csv_96)
    result = fit_target(target, tox21_library, final_estimator=FAST, cv=2, n_jobs=1, verbose=False)
    seen = len(set(target.smiles) & set(tox21_library.compounds))
    assert seen > 50  # Tox21's SR-p53 compounds are the NR-AR... sources' compounds
    assert result.settings["n_target_compounds_in_library"] == seen
    assert f"{seen} of its 96 compounds are training compounds" in caplog.text
    assert f"Warning: {seen} of the 96 compounds are training compounds" in fit_markdown(result)


def test_a_killed_writers_folders_are_cleaned_by_the_next_write(tox21_library, tmp_path):
    import os

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    left = [tmp_path / f".lib.tmp-{dead}-abc", tmp_path / f".lib.old-{dead}"]
    live = tmp_path / f".lib.tmp-{os.getpid()}-xyz"  # a writer that still runs
    mine = tmp_path / ".lib.notes"  # not the tool's naming: never touched
    for folder in (*left, live, mine):
        folder.mkdir()
        (folder / "x").write_text("x")
    tox21_library.save(tmp_path / "lib")
    assert not any(p.exists() for p in left)
    assert live.is_dir() and mine.is_dir()


def test_out_as_a_link_to_an_earlier_output_writes_through_it(tox21_library, tmp_path):
    real = tox21_library.save(tmp_path / "real")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    tox21_library.save(link, overwrite=True)
    assert link.is_symlink() and load_library(link).sources == tox21_library.sources
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def test_an_infinite_feature_is_named(tox21_library):
    X = np.zeros((3, 512), dtype=np.float32)
    X[2, 7] = np.inf
    with pytest.raises(DataError, match="infinite value at row 2, column 7"):
        tox21_library.predict(X)


def test_messages_show_values_not_numpy_reprs(tox21_library):
    from bioassay_mix.estimator import MixMinClassifier

    with pytest.raises(DataError, match=r"one class only \(1\)") as info:
        MixMinClassifier(tox21_library).fit(["CCO", "CCN"], np.array([1, 1], dtype=np.int64))
    assert "np." not in str(info.value)


@pytest.mark.slow
def test_a_full_data_cache_costs_the_cache_not_the_fit(tox21, tmp_path, monkeypatch, caplog):
    from bioassay_mix import library as library_module

    def full(self, path, *, overwrite=False):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(library_module.ProxyLibrary, "save", full)
    lib = library_module.cached_library(
        [tox21.select(["NR-AR"])],
        cache=tmp_path,
        featurizer=MorganFingerprint(n_bits=64),
        proxy=FAST,
        verbose=False,
    )
    assert lib.sources == ["NR-AR"] and lib.path is None
    assert "could not be cached" in caplog.text and "No space left" in caplog.text
