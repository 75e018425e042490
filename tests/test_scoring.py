import gzip

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from bioassay_mix import load_bundle, score, score_file
from bioassay_mix.bundle import Bundle
from bioassay_mix.cli import main
from bioassay_mix.compound_files import read_compounds
from bioassay_mix.errors import DataError

TARGETS = ["NR-AR", "SR-MMP"]


@pytest.fixture(scope="module")
def bundle(tox21_run):
    return load_bundle(tox21_run[1] / "bundle")


@pytest.fixture(scope="module")
def library(data_dir):
    """Real compounds from the HIV panel (not in the Tox21 training data), with bad rows mixed
    in at known places."""
    frame = pd.read_csv(data_dir / "bioassay" / "HIV.csv", usecols=["smiles"]).iloc[:1500]
    frame["cid"] = [f"HIV-{i}" for i in range(len(frame))]
    frame.loc[10, "smiles"] = "C1CC(("
    frame.loc[11, "smiles"] = "c1cccc1"
    frame.loc[12, "smiles"] = None
    return frame


def expected_scores(bundle, smiles):
    X = bundle.fingerprinter().transform(smiles)
    return bundle.predict_proba(X)


def check(out, library, bundle, id_column="cid"):
    assert out["row"].tolist() == list(range(len(library)))
    assert out[id_column].tolist() == library["cid"].tolist()
    bad = out["error"].notna()
    assert bad.iloc[10:13].all()
    assert "syntax error" in out.loc[10, "error"]
    assert "sanitisation failed" in out.loc[11, "error"] and "kekulize" in out.loc[11, "error"]
    assert out.loc[bad, TARGETS].isna().all().all()
    assert out.loc[~bad, TARGETS].notna().all().all()
    good = library.loc[~bad.to_numpy(), "smiles"]
    np.testing.assert_allclose(
        out.loc[~bad, TARGETS].to_numpy(), expected_scores(bundle, good), rtol=1e-6
    )


@pytest.mark.slow
def test_csv_in_chunks_keeps_every_row_in_order(bundle, library, tmp_path):
    library.to_csv(tmp_path / "lib.csv", index=False)
    summary = score_file(
        bundle,
        tmp_path / "lib.csv",
        tmp_path / "s.parquet",
        id_column="cid",
        chunk_size=400,
        verbose=False,
    )
    out = pd.read_parquet(summary.path)
    assert summary.n_rows == len(library) and summary.n_errors == out["error"].notna().sum()
    check(out, library, bundle)


@pytest.mark.slow
def test_processes_and_formats_agree(bundle, library, tmp_path):
    library.to_parquet(tmp_path / "lib.parquet")
    score_file(
        bundle,
        tmp_path / "lib.parquet",
        tmp_path / "a.parquet",
        id_column="cid",
        chunk_size=300,
        n_jobs=2,
        verbose=False,
    )
    with gzip.open(tmp_path / "lib.smi.gz", "wt") as handle:
        handle.write("smiles name\n")
        for smi, cid in zip(library["smiles"].fillna("*invalid*"), library["cid"], strict=True):
            handle.write(f"{smi} {cid}\n")
    score_file(bundle, tmp_path / "lib.smi.gz", tmp_path / "b.parquet", verbose=False)
    a = pd.read_parquet(tmp_path / "a.parquet")
    b = pd.read_parquet(tmp_path / "b.parquet").rename(columns={"id": "cid"})
    check(a, library, bundle)
    pd.testing.assert_frame_equal(a[TARGETS], b[TARGETS])
    assert b["cid"].tolist() == library["cid"].tolist()


@pytest.mark.slow
def test_sdf_with_an_unreadable_record(bundle, library, tmp_path):
    good = library.drop(index=[10, 11, 12]).iloc[:50].reset_index(drop=True)
    blocks = []
    for smi, cid in zip(good["smiles"], good["cid"], strict=True):
        mol = Chem.MolFromSmiles(smi)
        mol.SetProp("_Name", cid)
        blocks.append(Chem.MolToMolBlock(mol) + "$$$$\n")
    blocks[7] = "broken\n  record\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\nxx\nM  END\n$$$$\n"
    (tmp_path / "lib.sdf").write_text("".join(blocks))
    out = pd.read_parquet(
        score_file(bundle, tmp_path / "lib.sdf", tmp_path / "s.parquet", verbose=False).path
    )
    assert len(out) == 50 and out["row"].tolist() == list(range(50))
    assert out["error"].notna().tolist() == [i == 7 for i in range(50)]
    assert "SDF record 8" in out.loc[7, "error"]
    keep = out["error"].isna()
    assert out.loc[keep, "id"].tolist() == good.loc[keep, "cid"].tolist()
    np.testing.assert_allclose(
        out.loc[keep, TARGETS].to_numpy(),
        expected_scores(bundle, good.loc[keep, "smiles"]),
        rtol=1e-6,
    )


@pytest.mark.slow
def test_pandas_in_pandas_out_keeps_the_index(bundle, library):
    frame = library.iloc[5:40].set_index("cid", drop=False)
    out = score(bundle, frame, id_column="cid", targets=["SR-MMP"], chunk_size=7)
    assert list(out.columns) == ["row", "cid", "smiles", "SR-MMP", "error"]
    assert out.index.equals(frame.index)
    listed = score(bundle, frame["smiles"].tolist(), targets=["SR-MMP"])
    np.testing.assert_array_equal(listed["SR-MMP"].to_numpy(), out["SR-MMP"].to_numpy())


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("smiles,cid\n", {}, "has no compounds"),
        ("", {}, "could not be read"),
        ("smi,cid\nCCO,a\n", {}, "no column 'smiles'"),
        ("smiles,cid\nCCO,a\n", {"id_column": "name"}, "no column 'name'"),
    ],
)
def test_bad_input_is_refused_and_leaves_no_file(bundle, tmp_path, text, kwargs, message):
    (tmp_path / "in.csv").write_text(text)
    with pytest.raises(DataError, match=message):
        score_file(bundle, tmp_path / "in.csv", tmp_path / "s.parquet", verbose=False, **kwargs)
    assert [p.name for p in tmp_path.iterdir()] == ["in.csv"]


def test_existing_output_needs_overwrite(bundle, tmp_path):
    (tmp_path / "in.smi").write_text("CCO ethanol\n")
    (tmp_path / "s.parquet").write_text("keep me")
    with pytest.raises(DataError, match="already exists"):
        score_file(bundle, tmp_path / "in.smi", tmp_path / "s.parquet", verbose=False)
    assert (tmp_path / "s.parquet").read_text() == "keep me"
    score_file(bundle, tmp_path / "in.smi", tmp_path / "s.parquet", overwrite=True, verbose=False)
    assert pd.read_parquet(tmp_path / "s.parquet")["id"].tolist() == ["ethanol"]


@pytest.mark.slow
def test_interrupted_run_leaves_no_partial_output(bundle, library, tmp_path, monkeypatch):
    library.to_csv(tmp_path / "lib.csv", index=False)
    calls = []
    original = Bundle.predict_proba

    def flaky(self, X):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, X)

    monkeypatch.setattr(Bundle, "predict_proba", flaky)
    with pytest.raises(KeyboardInterrupt):
        score_file(
            bundle, tmp_path / "lib.csv", tmp_path / "s.parquet", chunk_size=200, verbose=False
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lib.csv"]


@pytest.mark.slow
def test_read_compounds_rechunks_to_the_asked_size(library, tmp_path):
    library.to_csv(tmp_path / "lib.csv", index=False)
    sizes = [len(c) for c in read_compounds(tmp_path / "lib.csv", chunk_size=700)]
    assert sizes == [700, 700, 100]


@pytest.mark.slow
def test_cli_score(tox21_run, library, tmp_path, capsys):
    library.to_csv(tmp_path / "lib.csv", index=False)
    args = [
        "score",
        "--bundle",
        str(tox21_run[1] / "bundle"),
        "--input",
        str(tmp_path / "lib.csv"),
        "--out",
        str(tmp_path / "s.parquet"),
        "--quiet",
        "--targets",
        "NR-AR",
        "--id-column",
        "cid",
        "--n-jobs",
        "1",
    ]
    assert main(args) == 0
    assert "scored 1500 compounds x 1 targets" in capsys.readouterr().out
    assert list(pd.read_parquet(tmp_path / "s.parquet").columns) == [
        "row",
        "cid",
        "smiles",
        "NR-AR",
        "error",
    ]
    assert main(args) == 1
    assert "already exists" in capsys.readouterr().err
