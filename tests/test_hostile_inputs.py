"""The bad and hostile inputs of issue 19: each gives a named error or a reported, documented
handling, never a traceback from inside a library, a partial or a deleted file.

Covered elsewhere: stale results under the same panel name and truncated result files
(tests/test_experiment.py), NaN and 7.0 in MixMin's P at predict (tests/test_mixture.py),
pickle payloads as model files (tests/test_persist.py), misspelled and invalid estimator
parameters of ``library build`` (tests/test_cli.py).
"""

from __future__ import annotations

import gzip
import json
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest
from rdkit import Chem

from bioassay_mix import AssayPanel, RunConfig, load_bundle, load_panel, score, score_file
from bioassay_mix.cli import main
from bioassay_mix.compound_files import read_compounds
from bioassay_mix.errors import DataError, ModelFileError


@pytest.fixture(scope="module")
def bundle_dir(tox21_run):
    return tox21_run[1] / "bundle"


@pytest.fixture
def bundle_copy(bundle_dir, tmp_path):
    return shutil.copytree(bundle_dir, tmp_path / "bundle")


def _run_args(tmp_path, *extra):
    tmp_path.joinpath("panel.csv").write_text("smiles,A,B\nCCO,1,0\nCCN,0,1\n")
    return ["run", "--panel", str(tmp_path / "panel.csv"), "--quiet", *extra]


# -- 1: data loss ------------------------------------------------------------------------------
def test_bundle_into_a_foreign_folder_is_refused_before_work_and_the_folder_kept(tmp_path, capsys):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "notes.txt").write_text("mine")
    assert main(_run_args(tmp_path, "--out", str(tmp_path / "out"), "--bundle", str(keep))) == 1
    assert "is not a bundle" in capsys.readouterr().err
    assert (keep / "notes.txt").read_text() == "mine" and len(list(keep.iterdir())) == 1
    assert not (tmp_path / "out").exists(), "refused before any work"


def test_bundle_equal_to_out_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(_run_args(tmp_path, "--out", str(out), "--bundle", str(out))) == 2
    assert "--bundle must differ from --out" in capsys.readouterr().err


def test_saving_a_bundle_replaces_only_a_bundle(tox21_run, tmp_path):
    result, _ = tox21_run
    target = tmp_path / "b"
    result.save_bundle(target)
    result.save_bundle(target, overwrite=True)  # a bundle: replaced
    report = tmp_path / "report"
    report.mkdir()
    (report / "report.md").write_text("results")
    with pytest.raises(DataError, match="is not a bundle"):
        result.save_bundle(report, overwrite=True)
    assert (report / "report.md").read_text() == "results"


# -- 3, 4: work per molecule, SDF records -------------------------------------------------------
def test_huge_molecule_is_reported_invalid_not_a_crash(bundle_dir):
    frame = pd.DataFrame({"smiles": ["CCO", "C" * 20000, "c1ccccc1"], "A": [1, 0, 1]})
    panel = AssayPanel.from_frame(frame)
    issue = panel.issues.query("kind == 'invalid_smiles'")
    assert issue["row"].tolist() == [1] and "above the limit of 2000" in issue["detail"].iloc[0]
    out = score(bundle_dir, ["CCO", "C" * 20000])
    assert out["error"].isna().tolist() == [True, False]
    assert "heavy atoms" in out["error"].iloc[1]


def test_sdf_junk_record_is_one_row_and_later_records_keep_their_numbers(tmp_path):
    mol = Chem.MolFromSmiles("CCO")
    records = []
    for name in ("a", "b", "c", "d"):
        mol.SetProp("_Name", name)
        records.append(Chem.MolToMolBlock(mol) + "$$$$\n")
    (tmp_path / "x.sdf").write_text(records[0] + "junk\n$$$$\n" + "".join(records[1:]))
    rows = next(read_compounds(tmp_path / "x.sdf"))
    assert rows["row"].tolist() == [0, 1, 2, 3, 4]
    assert rows["id"].fillna("-").tolist() == ["a", "-", "b", "c", "d"]
    assert rows["error"].iloc[1] == "SDF record 2 could not be read"


# -- 5, 6: bundles and the scoring API ---------------------------------------------------------
def _edit_manifest(folder, edit):
    file = folder / "bundle.json"
    manifest = json.loads(file.read_text())
    edit(manifest)
    file.write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda m: m["targets"].append(dict(m["targets"][0])),
            "names target 'NR-AR' more than once",
        ),
        (lambda m: m["featurizer"]["params"].update(n_bits="abc"), "n_bits.*is not valid"),
        (lambda m: m.pop("targets"), "is corrupt: KeyError"),
    ],
    ids=["duplicate-target", "n_bits-abc", "missing-keys"],
)
def test_tampered_bundle_manifest_is_refused_by_name(bundle_copy, edit, message):
    _edit_manifest(bundle_copy, edit)
    with pytest.raises(ModelFileError, match=message):
        load_bundle(bundle_copy)


def test_deeply_nested_manifest_is_refused(bundle_copy):
    (bundle_copy / "bundle.json").write_text("[" * 1_000_000 + "]" * 1_000_000)
    with pytest.raises(ModelFileError, match="is corrupt"):
        load_bundle(bundle_copy)


@pytest.mark.parametrize("chunk_size", [0, -1, 2.5])
def test_score_api_checks_chunk_size(bundle_dir, chunk_size):
    with pytest.raises(DataError, match="chunk_size must be an integer >= 1"):
        score(bundle_dir, ["CCO"], chunk_size=chunk_size)


# -- 8, 9: reported, not lost ------------------------------------------------------------------
def test_run_writes_every_input_issue_to_issues_csv(tox21_run, tmp_path):
    from bioassay_mix.protocol.report import write_report

    result, _ = tox21_run
    files = write_report(result, tmp_path)
    issues = pd.read_csv(files["issues"])
    invalid = issues.query("kind == 'invalid_smiles'")
    assert len(invalid) == 8 and invalid["smiles"].str.contains("Al").all()
    assert "issues.csv" in files["report_md"].read_text()


def test_duplicated_panel_column_is_refused_by_name(tmp_path):
    (tmp_path / "p.csv").write_text("smiles,NR-AR,NR-AR\nCCO,1,0\n")
    with pytest.raises(DataError, match="column 'NR-AR' appears 2 times"):
        load_panel(tmp_path / "p.csv")


def test_domains_that_collapse_into_one_name_are_refused(tmp_path):
    from bioassay_mix.lm import read_domain_dir

    (tmp_path / "a.txt").write_text("one line\n")
    with gzip.open(tmp_path / "a.txt.gz", "wt") as handle:
        handle.write("another line\n")
    with pytest.raises(DataError, match=r"files \['a.txt', 'a.txt.gz'\] are one domain 'a'"):
        read_domain_dir(tmp_path)


# -- 11, 12: concurrent runs, killed runs ------------------------------------------------------
def test_second_process_writing_the_same_output_is_refused(bundle_dir, tmp_path):
    out = tmp_path / "scores.parquet"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import sys, time
        from bioassay_mix._files import output_lock
        with output_lock({str(out)!r}):
            print("held", flush=True)
            time.sleep(60)
    """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        (tmp_path / "in.smi").write_text("CCO\n")
        with pytest.raises(DataError, match=rf"another bioassay-mix process \(pid {holder.pid}\)"):
            score_file(bundle_dir, tmp_path / "in.smi", out, verbose=False)
    finally:
        holder.kill()
        holder.wait()
    score_file(bundle_dir, tmp_path / "in.smi", out, verbose=False)  # free again
    assert out.exists()


def test_leftover_temporary_files_are_cleaned_on_the_next_run(bundle_dir, tmp_path):
    (tmp_path / "in.smi").write_text("CCO\nc1ccccc1\n")
    left = tmp_path / ".s.parquet.tmp-killed.parquet"
    left.write_bytes(b"partial")
    score_file(bundle_dir, tmp_path / "in.smi", tmp_path / "s.parquet", verbose=False)
    assert not left.exists() and len(pd.read_parquet(tmp_path / "s.parquet")) == 2


@pytest.mark.slow
def test_featurizing_workers_die_with_their_parent(tmp_path):
    # the engine's workers (loky's, reused between calls) outlived a killed parent before
    # they were started with die_with_parent
    script = textwrap.dedent("""
        import time
        import psutil
        from bioassay_mix.featurize import MorganFingerprint

        if __name__ == "__main__":
            smiles = ["C" * (i % 40 + 1) + "O" * (i // 40) for i in range(5000)]
            MorganFingerprint(n_jobs=2).fit().transform(smiles)
            workers = [c.pid for c in psutil.Process().children(recursive=True)]
            print(" ".join(map(str, workers)), flush=True)
            time.sleep(60)
    """)
    (tmp_path / "parent.py").write_text(script)
    parent = subprocess.Popen(
        [sys.executable, str(tmp_path / "parent.py")], stdout=subprocess.PIPE, text=True
    )
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(workers) >= 2
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for _ in range(100):
        alive = [pid for pid in workers if _running(pid)]
        if not alive:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"workers {alive} outlived their killed parent")


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as handle:
            return "State:\tZ" not in handle.read()
    except FileNotFoundError:
        return False


# -- tracebacks instead of messages ------------------------------------------------------------
def _truncated_gz(path, text):
    data = gzip.compress(text.encode())
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.slow
def test_truncated_gzip_inputs_name_the_file(tmp_path, data_dir):
    csv = _truncated_gz(
        tmp_path / "p.csv.gz", (data_dir / "bioassay" / "tox21.csv").read_text()[:200_000]
    )
    with pytest.raises(DataError, match=r"p\.csv\.gz could not be read"):
        load_panel(csv)
    for name in ("c.smi.gz", "c.sdf.gz"):
        mol = Chem.MolToMolBlock(Chem.MolFromSmiles("CCO")) + "$$$$\n"
        path = _truncated_gz(tmp_path / name, ("CCO\n" if "smi" in name else mol) * 5000)
        with pytest.raises(DataError, match="is truncated or not gzip"):
            list(read_compounds(path))


def test_non_utf8_inputs_name_the_file(tmp_path):
    (tmp_path / "c.smi").write_bytes(b"CCO first\nCC\xff second\n")
    with pytest.raises(DataError, match=r"c\.smi, line 2: byte 0xff at column 3 is not UTF-8"):
        list(read_compounds(tmp_path / "c.smi"))
    (tmp_path / "c.csv").write_bytes(b"smiles\nCCO\nCC\xffN\n")
    with pytest.raises(DataError, match=r"c\.csv could not be read"):
        list(read_compounds(tmp_path / "c.csv"))


def test_parquet_with_integer_smiles_gives_row_errors(bundle_dir, tmp_path):
    pd.DataFrame({"smiles": [1, 2]}).to_parquet(tmp_path / "c.parquet")
    summary = score_file(bundle_dir, tmp_path / "c.parquet", tmp_path / "s.parquet", verbose=False)
    out = pd.read_parquet(summary.path)
    assert summary.n_errors == 2 and out["error"].str.contains("must be text").all()


@pytest.mark.parametrize(
    "out_name, message",
    [
        ("scores.csv", "must end in .parquet"),
        ("folder.parquet", "is a folder"),
        ("file.txt/s.parquet", "lies under"),
    ],
    ids=["csv-suffix", "folder", "under-a-file"],
)
def test_output_path_is_checked_before_any_scoring(bundle_dir, tmp_path, out_name, message):
    (tmp_path / "folder.parquet").mkdir()
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "in.smi").write_text("CCO\n")
    with pytest.raises(DataError, match=message):
        score_file(bundle_dir, tmp_path / "in.smi", tmp_path / out_name, verbose=False)


def test_scoring_never_overwrites_its_own_input(bundle_dir, tmp_path):
    pd.DataFrame({"smiles": ["CCO"]}).to_parquet(tmp_path / "c.parquet")
    before = (tmp_path / "c.parquet").read_bytes()
    with pytest.raises(DataError, match="is the input file"):
        score_file(bundle_dir, tmp_path / "c.parquet", tmp_path / "c.parquet", overwrite=True)
    assert (tmp_path / "c.parquet").read_bytes() == before


def test_id_column_equal_to_a_target_is_refused(bundle_dir):
    with pytest.raises(DataError, match="target name 'NR-AR' clashes"):
        score(bundle_dir, pd.DataFrame({"smiles": ["CCO"], "NR-AR": ["x"]}), id_column="NR-AR")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "--n-jobs", "0"], "must be a non-zero integer"),
        (["run", "--seed", "-1"], "must be >= 0"),
        (["experiment", "--random-search", "-2"], "must be >= 0"),
        (
            ["score", "--bundle", "b", "--input", "i", "--out", "o", "--chunk-size", "0"],
            "must be >= 1",
        ),
        (["lm-mix", "--domains", "d", "--target", "t", "--order", "0"], "must be >= 1"),
        (["lm-mix", "--domains", "d", "--target", "t", "--random-search", "-3"], "must be >= 0"),
        (["lm-mix", "--domains", "d", "--target", "t", "--n-tokens", "0"], "must be >= 1"),
        (["fit", "--target", "t.csv", "--out", "o", "--cv", "1"], "must be >= 2"),
        (["library", "build", "--out", "o", "--min-labels", "1"], "must be >= 2"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_numeric_options_are_refused_by_the_parser(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize(
    "params, message",
    [
        ('{"n_jobs": 2}', "compute setting"),
        ('{"max_depth": "deep"}', "not valid"),
        ('{"max_dept": 3}', "did you mean 'max_depth'"),
    ],
    ids=["n_jobs", "deep", "max_dept"],
)
def test_run_checks_xgboost_parameters_before_any_work(tmp_path, capsys, params, message):
    assert main(_run_args(tmp_path, "--out", str(tmp_path / "o"), "--proxy-params", params)) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and not (tmp_path / "o").exists()
    with pytest.raises(DataError, match="final_params"):
        RunConfig(final_params=json.loads(params))


def test_data_cache_that_is_a_file_is_named(tmp_path, monkeypatch):
    (tmp_path / "cache").write_text("x")
    monkeypatch.setenv("BIOASSAY_MIX_DATA", str(tmp_path / "cache"))
    with pytest.raises(DataError, match="is a file, not a folder"):
        load_panel("toxcast")


def test_all_invalid_smiles_says_so(tmp_path):
    (tmp_path / "p.csv").write_text("smiles,A\nnope,1\nC1CC,0\n")
    with pytest.raises(DataError, match="every SMILES in column 'smiles' is invalid"):
        load_panel(tmp_path / "p.csv")
