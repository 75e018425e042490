"""The README stays one screen of truth: its two commands are the ones CI runs, its headline
figures are those in benchmarks/results/, and every file it links to exists."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
RESULTS = ROOT / "benchmarks" / "results"


def _readme_rows(first_cell: str) -> list[str]:
    row = next(ln for ln in README.splitlines() if ln.startswith(f"| {first_cell} |"))
    return [c.strip() for c in row.strip("|").split("|")][1:]


def test_readme_fits_a_screen_budget():
    assert len(README.encode()) <= 10_000


def test_readme_commands_are_the_ones_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text()
    commands = re.findall(r"```bash\n\s*(python3 -m venv[^\n]+)\n", README)
    assert len(commands) == 2
    for command in commands:
        assert command.strip() in ci


@pytest.mark.parametrize(
    ("label", "method"),
    [
        ("bioassay-mix defaults (MixMin + your labels)", "default"),
        ("random forest on your labels only (same tasks and draws)", "target_only_rf"),
        ("ProtoNet (FS-Mol paper, test tasks)", "ProtoNet (FS-Mol, test)"),
    ],
)
def test_readme_fsmol_figures_are_the_results(label, method):
    # the CSV, not the Markdown, whose four significant digits would round a second time
    table = pd.read_csv(RESULTS / "fsmol_valid_in_library" / "fsmol_delta_auprc.csv")
    measured = table.set_index("method").loc[method, ["16", "32", "64", "128"]]
    assert _readme_rows(label) == [f"{v:.3f}" for v in measured]


def test_readme_new_compound_figures_are_the_results():
    def at_16(folder: str) -> pd.Series:
        table = pd.read_csv(RESULTS / folder / "fsmol_delta_auprc.csv")
        return table.set_index("method")["16"]

    quoted = re.search(
        r"score the forest's (\S+)\s+at 16 labels, where always mixing scored (\S+) ", README
    )
    assert quoted, "the README quotes the new-compound figures"
    now, before = at_16("fsmol_valid_novel_in_library"), at_16("fsmol_valid_novel")
    assert now["default"] == now["target_only_rf"]
    assert quoted.groups() == (f"{now['default']:.3f}", f"{before['default']:.3f}")


@pytest.mark.parametrize(
    ("label", "panel"),
    [
        ("Tox21 (12 targets)", "tox21"),
        ("SIDER (26 targets)", "sider"),
        ("ToxCast (70 targets; defaults: draws 0-5)", "toxcast"),
        ("MoleculeNet union (43 targets)", "moleculenet"),
    ],
)
def test_readme_label_budget_figures_are_the_results(label, panel):
    table = pd.read_csv(RESULTS / "label_budget_headline_mean_ap.csv")
    rows = table[table["panel"].str.startswith(f"{panel} (")].set_index("method")["32 labels"]
    default = rows[rows.index.str.contains("(default)", regex=False)]
    assert len(default) == 1
    expected = [f"{float(v):.3f}" for v in (rows["target only (XGBoost)"], default.iloc[0])]
    assert _readme_rows(label) == expected


def test_every_file_the_readme_links_exists():
    for target in re.findall(r"\]\(([^)#]+)\)", README):
        if "://" not in target:
            assert (ROOT / target).exists(), target
