import numpy as np
import pandas as pd
import pytest

from bioassay_mix.errors import DataError
from bioassay_mix.panel import AssayPanel, compose


def frame(**cols):
    return pd.DataFrame(cols)


def test_tox21_invalid_smiles_are_reported_with_row_and_reason(tox21):
    bad = tox21.issues[tox21.issues.kind == "invalid_smiles"]
    assert len(bad) == 8
    assert bad["detail"].str.contains("valence|sanitisation").all()
    raw = pd.read_csv(pd.io.common.stringify_path(__import__("bioassay_mix").fetch("tox21")))
    for row, smi in zip(bad["row"], bad["smiles"], strict=True):
        assert raw["smiles"].iloc[row] == smi
    assert tox21.labels.shape == (7823, 12)


def test_strict_raises_on_first_invalid_smiles():
    df = frame(smiles=["CCO", "C1CC", "CCN"], A=[1, 0, 1])
    with pytest.raises(DataError, match=r"row 1 \('C1CC'\)"):
        AssayPanel.from_frame(df, strict=True)


def test_conflicting_duplicates_follow_the_rule_and_are_reported():
    df = frame(smiles=["CCO", "OCC", "CCN", "NCC"], A=[1, 0, 1, 1], B=[0, None, None, 1])
    missing = AssayPanel.from_frame(df)
    assert np.isnan(missing.labels.loc["CCO", "A"])
    assert missing.labels.loc["CCO", "B"] == 0
    assert missing.labels.loc["CCN", "A"] == 1
    conflicts = missing.issues[missing.issues.kind == "conflicting_labels"]
    assert conflicts[["row", "column", "smiles"]].values.tolist() == [[0, "A", "CCO"]]
    assert (missing.issues.kind == "duplicate_merged").sum() == 2
    anyact = AssayPanel.from_frame(df, on_conflict="any_active")
    assert anyact.labels.loc["CCO", "A"] == 1
    with pytest.raises(DataError, match=r"conflicting labels.*'CCO'.*'A'"):
        AssayPanel.from_frame(df, on_conflict="raise")


@pytest.mark.parametrize("value", ["active", 2, -1, 0.5])
def test_non_binary_label_names_column_and_row(value):
    df = frame(smiles=["CCO", "CCN"], A=[0, 1], B=[1, value])
    with pytest.raises(DataError, match="column 'B', row 1"):
        AssayPanel.from_frame(df)


def test_rows_without_labels_are_reported_not_silently_dropped():
    panel = AssayPanel.from_frame(frame(smiles=["CCO", "CCN"], A=[1, None]))
    assert panel.smiles == ["CCO"]
    assert panel.issues.query("kind == 'no_labels'")["row"].tolist() == [1]


def test_compose_merges_shared_assays_and_reports_conflicts():
    a = AssayPanel.from_frame(frame(smiles=["CCO", "CCN"], X=[1, 0]), name="a")
    b = AssayPanel.from_frame(frame(smiles=["OCC", "CCC"], X=[0, 1], Y=[1, 0]), name="b")
    c = compose([a, b])
    assert c.assays == ["X", "Y"]
    assert np.isnan(c.labels.loc["CCO", "X"]) and c.labels.loc["CCC", "X"] == 1
    assert c.issues.query("kind == 'conflicting_labels'")["smiles"].tolist() == ["CCO"]
    with pytest.raises(DataError, match="conflicting"):
        compose([a, b], on_conflict="raise")


def test_summary_counts(small_panel):
    s = small_panel.summary()
    assert (s.n_labelled == s.n_positive + s.n_negative).all()
    assert s.loc["NR-AR", "n_positive"] == 308


def test_missing_assay_columns_are_named():
    with pytest.raises(DataError, match=r"label column\(s\) \['B'\] not found"):
        AssayPanel.from_frame(frame(smiles=["CCO"], A=[1]), label_columns=["A", "B"])
    with pytest.raises(DataError, match="no column 'assay'"):
        AssayPanel.from_long(frame(smiles=["CCO"], label=[1]))
