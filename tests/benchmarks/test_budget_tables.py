"""The label-budget headline names the package's default and says when a method was scored on
fewer of a panel's draws than the others, so unequal means are never shown as equal."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def tables(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import _budget_tables

    return _budget_tables


def test_the_default_method_is_the_packages_defaults(tables):
    from bioassay_mix.estimator import DEFAULT_N_BOOTSTRAP, DEFAULT_TARGET_FLOOR

    assert (
        f"mixmin_plus_target_prior_auto_bag{DEFAULT_N_BOOTSTRAP}_floor{DEFAULT_TARGET_FLOOR:g}"
    ) == tables.DEFAULT_METHOD
    assert tables.prior_method(8.0) == "mixmin_plus_target_prior8"


def test_the_headline_marks_the_default_and_a_method_scored_on_fewer_draws(tables, tmp_path):
    rows = [
        {"target": t, "size": 32, "draw": d, "method": m, "ap": ap}
        for t in ("A", "B")
        for d, m, ap in [
            (0, "target_only_xgb", 0.2),
            (1, "target_only_xgb", 0.4),
            (0, tables.DEFAULT_METHOD, 0.5),
        ]
    ]
    raw = tmp_path / f"study_toy{tables.RAW_SUFFIX}"
    pd.DataFrame(rows).to_csv(raw, index=False)
    table = tables.headline([raw]).set_index("method")
    assert set(table["panel"]) == {"toy (2 targets, 2 draws)"}
    assert table.loc["target only (XGBoost)", "32 labels"] == pytest.approx(0.3)
    default = tables.HEADLINE[tables.DEFAULT_METHOD] + " (default) (1 draw)"
    assert table.loc[default, "32 labels"] == pytest.approx(0.5)
