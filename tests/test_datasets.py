import gzip
import shutil

import numpy as np
import pandas as pd
import pooch
import pytest

from bioassay_mix import datasets
from bioassay_mix.datasets import fetch, get_manifest, load_panel, manifests, status
from bioassay_mix.errors import ChecksumError, DataError, DataUnavailableError


@pytest.mark.slow
def test_every_shared_bioassay_file_has_a_manifest_with_matching_sha256(data_dir):
    files = {m.file: m for m in manifests().values() if m.file}
    for path in sorted((data_dir / "bioassay").iterdir()):
        assert path.name in files, f"{path.name} has no manifest"
        m = files[path.name]
        assert m.url.startswith("https://") and m.licence and m.citation
        if not m.packaged:
            assert fetch(m.name) == path.resolve()


@pytest.mark.slow
def test_packaged_tox21_is_the_exact_shared_file(data_dir):
    packaged = fetch("tox21")
    original = (data_dir / "bioassay" / "tox21.csv").read_bytes()
    assert gzip.decompress(packaged.read_bytes()) == original


@pytest.mark.slow
def test_toxcast_panel_has_617_assays(data_dir):
    panel = load_panel("toxcast")
    assert panel.labels.shape == (8576, 617)
    assert panel.labels.columns[0] == "ACEA_T47D_80hr_Negative"
    assert set(np.unique(panel.labels.to_numpy()[~np.isnan(panel.labels.to_numpy())])) == {0, 1}


@pytest.mark.slow
def test_moleculenet_composes_44_tasks_on_canonical_smiles(data_dir):
    panel = load_panel("moleculenet")
    assert panel.labels.shape[1] == 44
    assert {"NR-AR", "HIV_active", "p_np", "Class", "CT_TOX"} <= set(panel.assays)
    assert not panel.labels.index.has_duplicates
    # BBBP's invalid SMILES are reported with the component's name
    bad = panel.issues[panel.issues.kind == "invalid_smiles"]
    assert bad.detail.str.contains(r"\[bbbp\]").sum() == 11


@pytest.mark.slow
def test_checksum_mismatch_names_the_file(tmp_path, data_dir):
    folder = tmp_path / "bioassay"
    folder.mkdir()
    shutil.copy(data_dir / "bioassay" / "clintox.csv", folder / "clintox.csv")
    with open(folder / "clintox.csv", "a") as fh:
        fh.write("CCO,1,0\n")
    with pytest.raises(ChecksumError, match=r"clintox\.csv.*9999816e"):
        fetch("clintox", cache=tmp_path)


def test_missing_file_without_network_says_what_to_do(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise ConnectionError("network unreachable")

    monkeypatch.setattr(pooch, "retrieve", offline)
    with pytest.raises(DataUnavailableError) as err:
        fetch("sider", cache=tmp_path)
    text = str(err.value)
    assert "sider.csv" in text and get_manifest("sider").url in text and "BIOASSAY_MIX_DATA" in text


def test_pcba_format_loads_with_unpinned_hash_warning(tmp_path):
    """PCBA is not reachable here: exercise its loader on a small file of the same format."""
    folder = tmp_path / "bioassay"
    folder.mkdir()
    frame = pd.DataFrame(
        {
            "PCBA-1030": [1, 0, np.nan, 0],
            "PCBA-1379": [0, np.nan, 1, 0],
            "mol_id": ["a", "b", "c", "d"],
            "smiles": ["CCO", "c1ccccc1", "CC(=O)O", "CCN"],
        }
    )
    frame.to_csv(folder / "pcba.csv.gz", index=False, compression="gzip")
    with pytest.warns(UserWarning, match="pins no sha256"):
        panel = datasets.load_panel("pcba", cache=tmp_path)
    assert panel.assays == ["PCBA-1030", "PCBA-1379"]
    assert len(panel.sources["pcba"]) == 64  # the sha256 it computed, kept for the metadata


def test_user_csv_wide_and_long_give_the_same_panel(tmp_path):
    wide = pd.DataFrame({"smiles": ["CCO", "OCC", "c1ccccc1"], "A": [1, 1, 0], "B": [0, None, 1]})
    wide.to_csv(tmp_path / "wide.csv", index=False)
    long = wide.melt(id_vars="smiles", var_name="assay", value_name="label").dropna()
    long.to_parquet(tmp_path / "long.parquet")
    p1 = load_panel(tmp_path / "wide.csv")
    p2 = load_panel(tmp_path / "long.parquet", layout="long")
    pd.testing.assert_frame_equal(p1.labels.sort_index(), p2.labels.sort_index())
    assert p1.labels.loc["CCO", "A"] == 1  # "CCO" and "OCC" merged as one compound


@pytest.mark.parametrize("content,match", [("", "is empty"), ("smiles,A\n", "no rows")])
def test_empty_files_are_refused(tmp_path, content, match):
    (tmp_path / "x.csv").write_text(content)
    with pytest.raises(DataError, match=match):
        load_panel(tmp_path / "x.csv")


def test_missing_smiles_column_is_named(tmp_path):
    pd.DataFrame({"SMILES_X": ["CCO"], "A": [1]}).to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(DataError, match="no SMILES column 'smiles'"):
        load_panel(tmp_path / "x.csv")


def test_unknown_name_lists_known_datasets():
    with pytest.raises(DataError, match="toxcast"):
        load_panel("no-such-panel")


@pytest.mark.slow
def test_status_lists_every_manifest(data_dir):
    table = status()
    assert set(table["name"]) == set(manifests())
    assert table.set_index("name").loc["tox21", "status"] == "packaged"
    assert table.set_index("name").loc["toxcast", "status"] == "cached"


@pytest.mark.slow
def test_fsmol_manifests_are_listed_and_long(data_dir):
    for name in ("fsmol", "fsmol_valid"):
        m = get_manifest(name)
        assert m.layout == "long" and m.assay_column == "task" and m.folder == "fsmol"
        assert fetch(name) == (data_dir / "fsmol" / m.file).resolve()
    assert {"fsmol", "fsmol_valid"} <= set(status()["name"])


@pytest.mark.slow
def test_fsmol_valid_loads_sparse_with_described_assays():
    panel = load_panel("fsmol_valid")
    assert len(panel.assays) == 39 and panel.n_labels > 13_500
    assert set(panel.descriptions) == set(panel.assays)
    assert all(
        any(f", {kind}" in d for kind in ("binding", "functional", "ADMET"))
        for d in panel.descriptions.values()
    )
    assert set(panel.issues["kind"]) <= {"invalid_smiles", "conflicting_labels"}


@pytest.mark.slow
def test_fsmol_task_files_read_as_the_slim_csv(data_dir):
    raw = data_dir / "fsmol" / "raw"
    tasks = datasets.read_fsmol_tasks(raw)
    assert list(tasks.columns) == [
        "task",
        "smiles",
        "label",
        "value",
        "log_value",
        "relation",
        "assay_type",
    ]
    slim = pd.read_csv(data_dir / "fsmol" / "fsmol_valid.csv.gz")
    slim = slim[slim.task.isin(tasks.task.unique())].reset_index(drop=True)
    assert tasks["smiles"].tolist() == slim["smiles"].tolist()
    assert tasks["label"].tolist() == slim["label"].tolist()
    np.testing.assert_allclose(tasks["value"], slim["value"])
    panel = load_panel(raw / "CHEMBL1243966.jsonl.gz")
    assert panel.assays == ["CHEMBL1243966"]


@pytest.mark.slow
def test_broken_fsmol_task_files_are_named_by_file_and_line(data_dir, tmp_path):
    good = gzip.decompress((data_dir / "fsmol" / "raw" / "CHEMBL1614259.jsonl.gz").read_bytes())
    cut = tmp_path / "CHEMBL1.jsonl.gz"
    cut.write_bytes(gzip.compress(good)[:20_000])
    with pytest.raises(DataError, match=r"CHEMBL1.jsonl.gz: unreadable after line \d+"):
        datasets.read_fsmol_tasks(cut)
    lines = good.decode().splitlines()
    broken = tmp_path / "CHEMBL2.jsonl.gz"
    broken.write_bytes(gzip.compress("\n".join([*lines[:3], "{not json", *lines[3:]]).encode()))
    with pytest.raises(DataError, match=r"CHEMBL2.jsonl.gz, line 4: not JSON"):
        load_panel(broken)
    plain = tmp_path / "CHEMBL3.jsonl.gz"
    plain.write_bytes(good)
    with pytest.raises(DataError, match=r"CHEMBL3.jsonl.gz: unreadable after line 0"):
        datasets.read_fsmol_tasks(plain)
    other = tmp_path / "CHEMBL4.jsonl.gz"
    other.write_bytes(gzip.compress(b'{"SMILES": "CCO", "Property": "active"}\n'))
    with pytest.raises(DataError, match="line 1: Property 'active' is not 0/1"):
        datasets.read_fsmol_tasks(other)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no FS-Mol task files"):
        datasets.read_fsmol_tasks(tmp_path / "empty")
