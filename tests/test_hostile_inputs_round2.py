"""The bugs that issue 33's 419 hostile inputs (on fit, libraries, bundles and featurizers)
found: each case here failed before its fix. Its weak themes are in
``test_hostile_inputs_round2_themes.py``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from bioassay_mix import score
from bioassay_mix.bundle import Bundle
from bioassay_mix.cli import main
from bioassay_mix.errors import DataError
from bioassay_mix.featurize import (
    AtomPairFingerprint,
    MorganFingerprint,
    RDKitDescriptors,
    featurizer_from_spec,
)
from bioassay_mix.library import ProxyLibrary, load_library
from bioassay_mix.proxies import make_classifier
from bioassay_mix.target import FIT_MARKER, read_target, target_name

FAST = make_classifier({"n_estimators": 10})


@pytest.mark.parametrize(
    "setting",
    [{"cache_dir": "/tmp/elsewhere"}, {"n_jobs": 64}, {"strict": False}],
    ids=["cache_dir", "n_jobs", "strict"],
)
def test_a_library_file_never_sets_compute_or_cache(saved_library, tmp_path, setting):
    # bug 1: library.json chose where fit writes, how many processes it starts, and whether
    # invalid SMILES are scored on an empty fingerprint
    lib = shutil.copytree(saved_library, tmp_path / "lib")
    manifest = json.loads((lib / "library.json").read_text())
    manifest["featurizer"]["params"].update(setting)
    (lib / "library.json").write_text(json.dumps(manifest))
    with pytest.raises(Exception, match=f"sets \\['{next(iter(setting))}'\\]: compute and cache"):
        load_library(lib)
    with pytest.raises(DataError, match="never come from a file"):
        featurizer_from_spec({"class": "MorganFingerprint", "params": setting})
    # passed by the caller, they are fine
    assert featurizer_from_spec(MorganFingerprint().spec(), n_jobs=2).n_jobs == 2


@pytest.mark.slow
def test_a_source_named_target_is_refused_before_any_work(tox21):
    # bug 2: it collided with MixMinClassifier's own column (a crash in fit, or a silently
    # dropped source with include_target=False)
    panel = tox21.select(["NR-AR", "SR-MMP"])
    renamed = pd.DataFrame(
        {
            "smiles": panel.compounds,
            "target": panel.labels["NR-AR"].to_numpy(),
            "SR-MMP": panel.labels["SR-MMP"].to_numpy(),
        }
    )
    from bioassay_mix import AssayPanel

    clashing = AssayPanel.from_frame(renamed, label_columns=["target", "SR-MMP"], name="x")
    start = time.perf_counter()
    with pytest.raises(DataError, match="a source is named 'target'"):
        ProxyLibrary.build(clashing, featurizer=MorganFingerprint(n_bits=64), verbose=False)
    assert time.perf_counter() - start < 5


def test_a_target_named_id_scores_with_another_id_column(tox21_library, few_labels, tmp_path):
    # bug 3: the score column became a second "mol_id" (API) or a duplicate column (CLI)
    X, y, X_test, _ = few_labels
    from bioassay_mix.estimator import MixMinClassifier

    clf = MixMinClassifier(tox21_library, final_estimator=FAST, random_state=0).fit(X, y)
    bundle = Bundle({"id": clf.final_estimator_}, tox21_library.featurizer.spec())
    frame = pd.DataFrame({"smiles": X_test[:20], "mol_id": [f"m{i}" for i in range(20)]})
    out = score(bundle, frame, id_column="mol_id")
    assert list(out.columns) == ["row", "mol_id", "smiles", "id", "error"]
    assert out["mol_id"].tolist() == frame["mol_id"].tolist()
    assert out["id"].between(0, 1).all()
    with pytest.raises(DataError, match="clashes with an output column"):
        score(bundle, frame)  # the id column would be named "id" too: refused, with the hint
    # the same through the file path the CLI takes
    from bioassay_mix import score_file

    frame.to_csv(tmp_path / "in.csv", index=False)
    bundle.save(tmp_path / "bundle")
    score_file(
        tmp_path / "bundle",
        tmp_path / "in.csv",
        tmp_path / "out.parquet",
        id_column="mol_id",
        n_jobs=1,
    )
    written = pd.read_parquet(tmp_path / "out.parquet")
    assert list(written.columns) == ["row", "mol_id", "smiles", "id", "error"]
    np.testing.assert_allclose(written["id"], out["id"], rtol=1e-6)


@pytest.mark.parametrize("stem", ["smiles", "row", "error"])
def test_a_target_cannot_take_a_scored_tables_column_name(tmp_path, stem):
    # bug 4: fit --target smiles.csv wrote a bundle that score always refused
    path = tmp_path / f"{stem}.csv"
    path.write_text("smiles,label\nCCO,1\nCCN,0\nCCC,1\nCCCl,0\n")
    with pytest.raises(DataError, match=f"target name '{stem}' is a column of every scored"):
        read_target(path)
    assert read_target(path, name="my assay").name == "my assay"
    with pytest.raises(DataError, match="columns a scored table has"):
        Bundle({stem: FAST}, MorganFingerprint().spec())


@pytest.mark.parametrize(
    "file, name",
    [
        ("IC50 1.5uM.v2.csv", "IC50 1.5uM.v2"),
        ("assay.csv.gz", "assay"),
        (".hidden.csv", ".hidden"),
        ("x.SDF.GZ", "x"),
    ],
)
def test_target_names_keep_their_dots(tmp_path, file, name):
    from pathlib import Path

    assert target_name(Path(file)) == name


@pytest.mark.slow
def test_two_library_builds_into_one_out_one_is_refused(tmp_path, data_dir):
    # bug 5: both exited 0 and one library was lost
    out = tmp_path / "lib"
    cmd = [
        sys.executable,
        "-m",
        "bioassay_mix.cli",
        "library",
        "build",
        "--panel",
        "bbbp",
        "--out",
        str(out),
        "--n-jobs",
        "1",
        "--quiet",
        "--featurizer-params",
        '{"n_bits": 64}',
        "--proxy-params",
        '{"n_estimators": 5}',
    ]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    lock = tmp_path / ".lib.lock"
    while not lock.exists() and first.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    first.communicate(timeout=300)
    assert first.returncode == 0
    assert second.returncode != 0
    assert "is writing library" in second.stderr or "already exists" in second.stderr
    assert load_library(out).featurizer.n_bits == 64


@pytest.mark.parametrize(
    "featurizer, atoms",
    [(RDKitDescriptors(names=["MolWt"]), 300), (AtomPairFingerprint(n_bits=256), 600)],
)
def test_featurizers_cap_the_molecules_that_would_stall_them(featurizer, atoms):
    # bug 6: RDKitDescriptors took minutes on a large chain below the parse limit
    chain = "C" * atoms
    fitted = featurizer.set_params(strict=False).fit()
    start = time.perf_counter()
    X, invalid = fitted.transform_with_invalid(["CCO", chain])
    assert time.perf_counter() - start < 5
    assert invalid["row"].tolist() == [1]
    assert f"above {type(featurizer).__name__}'s limit" in invalid["reason"].iloc[0]
    assert X.shape[0] == 2
    assert MorganFingerprint().fit().transform([chain]).nnz > 0  # Morgan has no such cap


@pytest.mark.slow
def test_fit_overwrite_never_deletes_a_users_file(
    tox21_library, saved_library, target_csv_96, tmp_path
):
    # bug 7: only fit.json was checked, and a user's notes inside the folder were deleted
    out = tmp_path / "fit"
    args = [
        "fit",
        "--target",
        str(target_csv_96),
        "--library",
        str(saved_library),
        "--out",
        str(out),
        "--cv",
        "2",
        "--quiet",
        "--n-jobs",
        "1",
        "--final-params",
        '{"n_estimators": 5}',
    ]
    assert main(args) == 0 and (out / FIT_MARKER).is_file()
    (out / "my notes.txt").write_text("keep me")
    assert main([*args, "--overwrite"]) == 1
    assert (out / "my notes.txt").read_text() == "keep me"
    (out / "my notes.txt").unlink()
    assert main([*args, "--overwrite"]) == 0
