import numpy as np
import pandas as pd
import pytest

from bioassay_mix.errors import DataError
from bioassay_mix.mixture import observed_label_proba
from bioassay_mix.solver import solve, solve_panel


@pytest.fixture(scope="module")
def prepared(small_panel):
    from bioassay_mix import Compute, RunConfig
    from bioassay_mix.protocol import prepare

    cfg = RunConfig(
        proxy_params={"n_estimators": 30},
        n_bits=1024,
        min_test_positives=1,
        compute=Compute(n_jobs=2, verbose=False),
    )
    return prepare(small_panel, config=cfg)


def matrix_form(Q: pd.DataFrame, labels: pd.DataFrame, eps: float = 1e-12) -> list:
    """The targets' matrices built one by one, as solve() takes them."""
    Qc = Q.clip(eps, 1 - eps)
    out = []
    for t in labels.columns:
        r = labels[t].notna().to_numpy()
        srcs = [s for s in Q.columns if s != t]
        out.append(
            pd.DataFrame(
                observed_label_proba(Qc.loc[r, srcs].to_numpy(), labels.loc[r, t].to_numpy()),
                columns=srcs,
            )
        )
    return out


@pytest.mark.slow
def test_real_panel_matches_the_per_target_matrices(prepared):
    from bioassay_mix.protocol import mixmin_labels

    labels = mixmin_labels(prepared)
    assert labels.shape == (len(prepared.Q), len(prepared.targets))
    panel = solve_panel(prepared.Q, labels)
    one_by_one = solve(matrix_form(prepared.Q, labels), method="active_set")
    for p, m in zip(panel, one_by_one, strict=True):
        assert p.converged and p.gap <= 1e-6 and p.method == "active_set"
        assert p.target not in p.weights.index  # a target is never its own source
        assert p.weights.index.equals(m.weights.index)
        assert abs(p.objective - m.objective) < 1e-9


def test_random_panel_with_gaps_and_extreme_probabilities():
    rng = np.random.default_rng(4)
    n = 500
    Q = pd.DataFrame(rng.uniform(0, 1, (n, 30)), columns=[f"s{i}" for i in range(30)])
    Q.iloc[:5, 3], Q.iloc[5:10, 4] = 0.0, 1.0  # clipped to [eps, 1 - eps]
    y = rng.integers(0, 2, n).astype(float)
    Q["s7"] = np.where(y == 1, rng.uniform(0.6, 1, n), rng.uniform(0, 0.4, n))  # informative
    labels = pd.DataFrame(
        {"s7": y, "s2": rng.integers(0, 2, n).astype(float), "new": y}, index=Q.index
    )
    labels.loc[rng.random(n) < 0.4, "s2"] = np.nan
    labels.loc[:99, "new"] = np.nan
    panel = solve_panel(Q, labels)
    for p, m in zip(panel, solve(matrix_form(Q, labels), method="active_set"), strict=True):
        assert p.converged and abs(p.objective - m.objective) < 1e-9
    assert len(panel[2].weights) == 30  # "new" is not a source: it keeps all of them
    assert panel[2].weights["s7"] > 0.9  # and the informative source takes the mass


@pytest.mark.parametrize(
    "change,match",
    [
        (lambda Q, L: Q.iloc.__setitem__((2, 1), 1.5), "row 2, source 'b' is outside"),
        (lambda Q, L: Q.iloc.__setitem__((3, 0), np.nan), "row 3, source 'a'"),
        (lambda Q, L: L.iloc.__setitem__((4, 0), 2.0), "row 4, target 't'"),
        (lambda Q, L: L.__setitem__("t", np.nan), "'t' has no labelled compounds"),
    ],
)
def test_bad_input_names_the_row_source_or_target(change, match):
    Q = pd.DataFrame({"a": np.full(6, 0.3), "b": np.full(6, 0.6)})
    labels = pd.DataFrame({"t": [0.0, 1, 0, 1, np.nan, 1]})
    change(Q, labels)
    with pytest.raises(DataError, match=match):
        solve_panel(Q, labels)


def test_shapes_and_types_are_checked():
    Q = pd.DataFrame({"a": [0.2, 0.7]})
    with pytest.raises(DataError, match="same index"):
        solve_panel(Q, pd.DataFrame({"t": [0.0, 1.0]}, index=[5, 6]))
    with pytest.raises(DataError, match="no sources but itself"):
        solve_panel(Q, pd.DataFrame({"a": [0.0, 1.0]}))
    with pytest.raises(TypeError, match="DataFrame"):
        solve_panel(Q.to_numpy(), pd.DataFrame({"t": [0.0, 1.0]}))
    one = solve_panel(Q, pd.DataFrame({"a": [0.0, 1.0]}), exclude_self=False)[0]
    assert one.weights.tolist() == [1.0] and one.gap == 0
