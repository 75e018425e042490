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


def long_table(n_compounds, n_assays, per_assay, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(n_assays):
        for c in rng.choice(n_compounds, size=per_assay, replace=False):
            smiles = "C" * (c % 30 + 1) + "N" * (c // 30 % 30) + "O" * (c // 900)
            rows.append((smiles, f"A{a}", int(rng.random() < 0.4)))
    return pd.DataFrame(rows, columns=["smiles", "assay", "label"])


@pytest.mark.slow
def test_a_wide_sparse_long_table_never_becomes_dense():
    # 3,000 compounds x 2,000 assays is 6e6 cells but only 40,000 labels; the panel holds those
    table = long_table(3000, 2000, 20)
    panel = AssayPanel.from_long(table)
    assert panel.matrix.shape == (len(set(table.smiles)), 2000)
    assert panel.n_labels == 40_000
    assert panel.matrix.data.nbytes + panel.matrix.indices.nbytes <= 40_000 * 5
    rows, y = panel.positions("A7")
    expected = table[table.assay == "A7"]
    assert len(rows) == 20 and y.sum() == expected.label.sum()
    assert set(panel.compounds[rows]) == set(
        AssayPanel.from_frame(expected[["smiles"]].assign(x=1)).smiles
    )
    assert (panel.summary()["n_labelled"] == 20).all()


def test_dense_view_is_refused_above_the_limit(monkeypatch):
    import bioassay_mix.panel._core as module

    panel = AssayPanel.from_long(long_table(200, 50, 5))
    monkeypatch.setattr(module, "DENSE_LIMIT", 1000)
    with pytest.raises(DataError, match=r"too many for a dense frame.*positions"):
        _ = panel.labels
    assert panel.column("A3").shape == (5,)


def test_long_table_merges_repeats_and_reports_conflicts_in_one_assay():
    table = frame(
        smiles=["CCO", "OCC", "CCN", "NCC", "CCC"],
        assay=["A", "A", "A", "A", "B"],
        label=[1, 1, 1, 0, 0],
    )
    panel = AssayPanel.from_long(table)
    assert panel.column("A").to_dict() == {"CCO": 1}
    conflicts = panel.issues[panel.issues.kind == "conflicting_labels"]
    assert conflicts[["row", "column", "smiles"]].values.tolist() == [[2, "A", "CCN"]]
    assert AssayPanel.from_long(table, on_conflict="any_active").column("A").to_dict() == {
        "CCO": 1,
        "CCN": 1,
    }


def test_sparse_and_dense_views_agree(small_panel):
    again = AssayPanel.from_labels(small_panel.labels, name=small_panel.name)
    assert again.checksum() == small_panel.checksum()
    long = small_panel.to_long()
    assert len(long) == small_panel.n_labels == int(small_panel.labels.notna().sum().sum())
    for assay in small_panel.assays[:3]:
        dense = small_panel.labels[assay].dropna().astype(np.int8)
        assert small_panel.column(assay).equals(dense.rename(assay))


def test_checksum_changes_with_one_label(small_panel):
    flipped = small_panel.labels.copy()
    cell = flipped.iloc[:, 0].first_valid_index()
    flipped.loc[cell, flipped.columns[0]] = 1 - flipped.loc[cell, flipped.columns[0]]
    assert AssayPanel.from_labels(flipped).checksum() != small_panel.checksum()


@pytest.mark.slow
def test_canonicalising_in_worker_processes_gives_the_same_panel():
    table = long_table(12_000, 30, 600, seed=3)
    one = AssayPanel.from_long(table)
    two = AssayPanel.from_long(table, n_jobs=2)
    assert one.checksum() == two.checksum()


def test_a_panels_title_follows_select_and_compose():
    a = AssayPanel.from_frame(pd.DataFrame({"smiles": ["CCO", "CCN"], "x": [1, 0]}), name="a")
    b = AssayPanel.from_frame(pd.DataFrame({"smiles": ["CCO", "CCC"], "y": [0, 1]}), name="b")
    a.title, b.title = "Panel A", "Panel B"
    assert a.select(["x"]).title == "Panel A"
    assert compose([a, b, a.select(["x"])], name="ab").title == "Panel A; Panel B"
    assert AssayPanel.from_frame(pd.DataFrame({"smiles": ["C"], "x": [1]})).title == ""


def test_a_title_that_is_not_a_string_is_refused_by_name():
    with pytest.raises(DataError, match="panel 'p': title must be a string, got NoneType"):
        AssayPanel([[1]], compounds=["C"], assays=["x"], name="p", title=None)
