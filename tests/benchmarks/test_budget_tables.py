"""The label-budget headline marks the package's default on each panel (by its fill, as the
estimator resolves ``target_floor="auto"``) and says when a method was scored on fewer of a
panel's draws than the others, so unequal means are never shown as equal."""

from __future__ import annotations

import pandas as pd
import pytest

from bioassay_mix.estimator import AUTO_TARGET_FLOOR, DEFAULT_N_BOOTSTRAP
from bioassay_mix.natural_prior import AUTO_PRIOR_MIN_FILL


@pytest.fixture
def tables(benchmark_module):
    return benchmark_module("_budget_tables")


def test_the_default_method_follows_the_librarys_fill(tables):
    averaged = f"mixmin_plus_target_prior_auto_bag{DEFAULT_N_BOOTSTRAP}"
    assert tables.default_method(AUTO_PRIOR_MIN_FILL) == averaged
    # on a sparse library the floor depends on each support set's overlap with it
    assert tables.default_method(AUTO_PRIOR_MIN_FILL / 2) == f"{averaged}_floorauto"
    assert tables.prior_method("auto", DEFAULT_N_BOOTSTRAP, AUTO_TARGET_FLOOR) == (
        f"{averaged}_floor{AUTO_TARGET_FLOOR:g}"
    )
    assert tables.prior_method(8.0) == "mixmin_plus_target_prior8"


@pytest.mark.parametrize(("fill", "floored"), [(0.9, False), (0.01, True)])
def test_the_headline_marks_the_default_and_a_method_scored_on_fewer_draws(
    tables, tmp_path, fill, floored
):
    default = tables.default_method(fill)
    other = tables.default_method(0.01 if fill == 0.9 else 0.9)
    rows = [
        {"target": t, "size": 32, "draw": d, "method": m, "ap": ap}
        for t in ("A", "B")
        for d, m, ap in [
            (0, "target_only_xgb", 0.2),
            (1, "target_only_xgb", 0.4),
            (0, default, 0.5),
            (0, other, 0.6),
        ]
    ]
    raw = tmp_path / f"study_toy{tables.RAW_SUFFIX}"
    pd.DataFrame(rows).to_csv(raw, index=False)
    table = tables.headline([raw], fills={"toy": fill}).set_index("method")
    assert set(table["panel"]) == {"toy (2 targets, 2 draws)"}
    assert table.loc["target only (XGBoost)", "32 labels"] == pytest.approx(0.3)
    marked = table[table.index.str.contains("(default)", regex=False)]
    assert len(marked) == 1 and marked["32 labels"].iloc[0] == pytest.approx(0.5)
    assert marked.index[0] == tables.HEADLINE[default] + " (default) (1 draw)"
    assert ("target floor" in marked.index[0]) == floored
