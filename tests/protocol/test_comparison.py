"""Multi-seed experiments, their statistics and written outputs."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from bioassay_mix import Compute, RunConfig
from bioassay_mix.protocol.comparison import (
    compare,
    compute_table,
    gains,
    method_summary,
    win_tie_loss,
)
from bioassay_mix.protocol.report import write_comparison

FAST = {"n_estimators": 10}


@pytest.fixture(scope="module")
def comparison(small_panel, tmp_path_factory):
    config = RunConfig(
        proxy_params=FAST,
        final_params=FAST,
        n_bits=1024,
        random_search=2,
        regmix=3,
        mixmin_plus_target=True,
        compute=Compute(n_jobs=2, verbose=False),
    )
    return compare(
        small_panel,
        seeds=[0, 1],
        leakage=["strict", "paper"],
        targets=["NR-AR", "SR-ARE", "SR-MMP"],
        config=config,
        out_dir=tmp_path_factory.mktemp("cmp"),
    )


def test_summary_ci_is_a_t_interval_over_seed_means():
    rep = pd.DataFrame(
        {
            "target": ["a", "b"] * 3,
            "seed": [0, 0, 1, 1, 2, 2],
            "ap_natural": [0.1, 0.3, 0.2, 0.4, 0.3, 0.5],
        }
    )
    row = method_summary(rep, ["natural"]).iloc[0]
    # seed means 0.2, 0.3, 0.4: mean 0.3, sd 0.1, t(0.975, 2) = 4.303
    assert np.isclose(row.mean_ap, 0.3)
    assert np.isclose(row.ci95_high - row.mean_ap, 4.302653 * 0.1 / np.sqrt(3), rtol=1e-5)
    assert row.n_seeds == 3 and row.n_targets == 2


def test_win_tie_loss_counts_and_paired_test():
    rep = pd.DataFrame(
        {
            "target": list("abcdef"),
            "seed": 0,
            "ap_mixmin_trained": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
            "ap_natural": [0.4, 0.3, 0.45, 0.2, 0.5005, 0.6],
        }
    )
    row = win_tie_loss(rep, ["natural", "mixmin_trained"]).iloc[0]
    assert (row.wins, row.ties, row.losses) == (4, 1, 1)
    assert row.against == "natural" and 0 < row.wilcoxon_p < 1
    g = gains(rep, ["natural", "mixmin_trained"])
    assert np.allclose(g["gain_vs_natural"], rep["ap_mixmin_trained"] - rep["ap_natural"])


@pytest.mark.slow
def test_compare_runs_every_seed_and_mode_with_every_method(comparison):
    rep = comparison.report
    assert set(comparison.runs) == {(m, s) for m in ("strict", "paper") for s in (0, 1)}
    assert len(rep) == 12 and set(rep["leakage"]) == {"strict", "paper"}
    assert comparison.methods == [
        "target_only",
        "natural",
        "balanced",
        "random_search",
        "regmix",
        "mixmin_ensemble",
        "mixmin_trained",
        "mixmin_target_trained",
    ]
    aps = rep[[f"ap_{m}" for m in comparison.methods]].to_numpy()
    assert ((aps > 0) & (aps <= 1)).all()
    # seeds really differ, and so do the leakage modes
    strict = rep[rep.leakage == "strict"]
    assert not np.allclose(
        strict[strict.seed == 0]["ap_natural"], strict[strict.seed == 1]["ap_natural"]
    )
    compute = compute_table(comparison).set_index("method")
    assert (
        compute.loc["mixmin_trained", "proxies_and_solve_s"] > 0
        and compute.loc["natural", "proxies_and_solve_s"] == 0
    )
    assert compute.loc["random_search", "own_fits_s"] > compute.loc["natural", "own_fits_s"]


@pytest.mark.slow
def test_mixmin_plus_target_weights_the_target_itself(comparison, small_panel):
    from bioassay_mix.protocol import plan_target, prepare
    from bioassay_mix.splits import PROXY_TRAIN, rows

    res = comparison.runs[("strict", 0)]
    plus = res.weights_plus_target
    for t, row in res.report.set_index("target").iterrows():
        assert np.isclose(plus.loc[t, t], row.weight_on_target) and 0 <= row.weight_on_target <= 1
        np.testing.assert_allclose(plus.loc[t].fillna(0).sum(), 1.0)
    assert np.isnan(res.weights.loc["NR-AR", "NR-AR"])  # plain MixMin never uses the target
    # The target's own column is out of fold: less confident than its in-sample predictions.
    cfg = replace(RunConfig.from_dict(res.metadata["config"]), compute=Compute(verbose=False))
    prep = prepare(small_panel, targets=["SR-MMP"], config=cfg)
    plan = plan_target("SR-MMP", prep, cfg)
    np.testing.assert_allclose(
        plan.weights_plus, plus.loc["SR-MMP"].dropna().reindex(plan.weights_plus.index), atol=1e-12
    )
    r = rows(prep.codes, "SR-MMP", PROXY_TRAIN)
    y = prep.panel.labels["SR-MMP"].to_numpy()[r].astype(np.int32)
    in_sample = np.where(y == 1, prep.Q["SR-MMP"].to_numpy()[r], 1 - prep.Q["SR-MMP"].to_numpy()[r])
    oof = plan.plus._out_of_fold(prep.X[r], y)
    own = np.where(y == 1, oof, 1 - oof)
    assert -np.log(own).mean() > -np.log(in_sample).mean() and plan.plus_seconds > 0


@pytest.mark.slow
def test_write_comparison_writes_tables_and_plots(comparison, tmp_path):
    files = write_comparison(comparison, tmp_path, "exp")
    for key in (
        "md",
        "json",
        "summary_strict",
        "summary_paper",
        "leakage_side_by_side",
        "wins_strict",
        "compute",
        "gain_plot",
        "weights_plot",
    ):
        assert files[key].exists(), key
    for key in ("gain_plot", "weights_plot"):
        assert files[key].read_bytes()[:4] == b"\x89PNG"
    md = files["md"].read_text()
    assert "RegMix" in md and "MixMin + target" in md and "mean AP (paper)" in md
    payload = json.loads(files["json"].read_text())
    assert len(payload["tables"]["summary_strict"]) == 8
    assert not list(tmp_path.glob(".*tmp*"))
    issues = pd.read_csv(files["issues"])  # the panel's 8 invalid Tox21 SMILES, by row
    assert (issues["kind"] == "invalid_smiles").sum() == 8


def test_compare_refuses_bad_settings(small_panel):
    with pytest.raises(ValueError, match="leakage"):
        compare(small_panel, leakage=["lenient"])
    with pytest.raises(ValueError, match="seed"):
        compare(small_panel, seeds=[])
