"""The FS-Mol benchmark's bad inputs, run as a user runs it: a split file of another layout and
a library that is not one are refused naming the option and the file; sizes a task cannot give
and tasks of one class are skipped and counted, not scored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

#: Each test starts the script in a fresh interpreter (several seconds of imports).
pytestmark = pytest.mark.slow

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def run_benchmark(*args: str, script: str = "fsmol.py") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        cwd=BENCHMARKS,
        env={**os.environ, "BIOASSAY_MIX_PROGRESS": "0"},
        timeout=300,
    )


def test_a_split_file_of_another_layout_is_refused_by_name(tmp_path):
    split = tmp_path / "tasks.csv"
    pd.DataFrame({"assay": ["A"], "smiles": ["CCO"], "label": [1]}).to_csv(split, index=False)
    done = run_benchmark("--split-file", str(split), "--library", str(tmp_path), "--out", "x")
    assert done.returncode == 1
    assert f"--split-file {split}: columns ['task'] missing" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_folder_that_is_no_library_is_refused_by_name(tmp_path):
    split = tmp_path / "tasks.csv"
    pd.DataFrame({"task": ["A"], "smiles": ["CCO"], "label": [1]}).to_csv(split, index=False)
    out = tmp_path / "out"
    done = run_benchmark("--split-file", str(split), "--library", str(tmp_path), "--out", str(out))
    assert done.returncode == 1
    assert f"--library {tmp_path}:" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists(), "nothing is written before the inputs are checked"


@pytest.mark.parametrize("script", ["fsmol_blends.py", "fsmol_overlap.py"])
def test_the_analyses_refuse_a_folder_that_is_no_library_by_name(tmp_path, script):
    split = tmp_path / "tasks.csv"
    pd.DataFrame({"task": ["A"], "smiles": ["CCO"], "label": [1]}).to_csv(split, index=False)
    (tmp_path / "parts").mkdir()
    pd.DataFrame({"task": ["A"], "size": [16], "draw": [0], "method": ["knn"]}).to_csv(
        tmp_path / "parts" / "draws0-0.csv", index=False
    )
    where = "--results" if script == "fsmol_overlap.py" else "--out"
    done = run_benchmark(
        "--split-file", str(split), "--library", str(tmp_path / "none"), where, str(tmp_path),
        script=script,
    )  # fmt: skip
    assert done.returncode == 1
    assert f"--library {tmp_path / 'none'}:" in done.stderr
    assert "Traceback" not in done.stderr


def test_sizes_a_task_cannot_give_and_one_class_tasks_are_skipped_and_counted(
    tox21, tox21_library, tmp_path
):
    labels = tox21.column("SR-p53").dropna()
    negatives = labels.index[labels == 0][:40]
    both = labels.index[labels == 1][:10].append(negatives[:30])
    split = tmp_path / "tasks.csv"
    pd.concat(
        [
            pd.DataFrame({"task": "two_classes", "smiles": both, "label": labels.loc[both]}),
            pd.DataFrame({"task": "one_class", "smiles": negatives, "label": 0}),
        ]
    ).to_csv(split, index=False)
    library = tox21_library.save(tmp_path / "library")
    out = tmp_path / "out"
    done = run_benchmark(
        "--split-file", str(split), "--library", str(library), "--out", str(out),
        "--sizes", "16", "32", "--draws", "1", "--methods", "target_only_rf", "--n-jobs", "1",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    skipped = pd.read_csv(out / "parts" / "draws0-0_skipped.csv").sort_values(["task", "size"])
    assert skipped[["task", "size", "reason"]].values.tolist() == [
        ["one_class", 16, "fewer than 3 of a class"],
        ["one_class", 32, "40 compounds"],
        ["two_classes", 32, "40 compounds"],
    ]
    scores = pd.read_csv(out / "fsmol_scores.csv")
    assert scores[["task", "size", "method"]].values.tolist() == [
        ["two_classes", 16, "target_only_rf"]
    ]
    assert (
        "Tasks skipped per size, too small for it: 32: 2; with fewer than 3 of a class: 16: 1."
        in (out / "fsmol.md").read_text()
    )


def test_the_default_and_its_variants_record_the_supports_own_weight_and_take_its_floor(
    tox21, tox21_library, tmp_path
):
    labels = tox21.column("SR-p53").dropna()
    task = labels.index[labels == 1][:12].append(labels.index[labels == 0][:60])
    split = tmp_path / "tasks.csv"
    pd.DataFrame({"task": "t", "smiles": task, "label": labels.loc[task]}).to_csv(split)
    out = tmp_path / "out"
    done = run_benchmark(
        "--split-file", str(split), "--library", str(tox21_library.save(tmp_path / "lib")),
        "--out", str(out), "--sizes", "32", "--draws", "1", "--n-jobs", "1",
        "--methods", "default", "ensemble_default", "default_without_floor", "default_mixed",
        "knn",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    scores = pd.read_csv(out / "fsmol_scores.csv").set_index("method")
    weight = scores["weight_on_target"]
    assert 0 <= weight["default"] <= 1 and weight["ensemble_default"] == weight["default"]
    assert weight[["default_without_floor", "default_mixed", "knn"]].isna().all()
    # Tox21's library is dense: "auto" puts no floor, default_mixed the sparse libraries' 1
    assert scores.loc["default", "ap"] == scores.loc["default_without_floor", "ap"]
    assert scores.loc["default_mixed", "ap"] != scores.loc["default", "ap"]
    assert "## weight_on_target" in (out / "fsmol.md").read_text()
    unfloored = tmp_path / "unfloored"
    done = run_benchmark(
        "--split-file", str(split), "--library", str(tmp_path / "lib"), "--out", str(unfloored),
        "--sizes", "32", "--draws", "1", "--n-jobs", "1", "--target-floor", "0",
        "--methods", "default", "default_without_floor",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    ap = pd.read_csv(unfloored / "fsmol_scores.csv").set_index("method")["ap"]
    assert ap["default"] == ap["default_without_floor"]
    # resuming that folder with another floor would mix two defaults: refused, nothing lost
    parts = (unfloored / "parts" / "draws0-0.csv").read_bytes()
    done = run_benchmark(
        "--split-file", str(split), "--library", str(tmp_path / "lib"), "--out", str(unfloored),
        "--sizes", "32", "--draws", "1", "--n-jobs", "1", "--methods", "default",
    )  # fmt: skip
    assert done.returncode == 1
    assert f"--out {unfloored}: its scores were made with other settings" in done.stderr
    assert "target_floor 0.0 there, 'auto' now" in done.stderr
    assert "Traceback" not in done.stderr
    assert (unfloored / "parts" / "draws0-0.csv").read_bytes() == parts
