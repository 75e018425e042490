import numpy as np
import pandas as pd
import pytest

from bioassay_mix import Compute, RunConfig, run
from bioassay_mix.errors import DataError
from bioassay_mix.panel import AssayPanel
from bioassay_mix.protocol import METHODS, OPTIONAL_METHODS

FAST = {"n_estimators": 30}


def config(**kw):
    return RunConfig(
        proxy_params=FAST,
        final_params=FAST,
        n_bits=1024,
        compute=Compute(n_jobs=2, verbose=False),
        **kw,
    )


@pytest.fixture(scope="module")
def result(small_panel, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    return run(small_panel, targets=["NR-AR", "SR-MMP"], config=config(seed=1), out_dir=out), out


@pytest.mark.slow
def test_report_has_every_method_and_sane_values(result):
    res, _ = result
    rep = res.report.set_index("target")
    assert list(rep.index) == ["NR-AR", "SR-MMP"]
    for m in METHODS:
        if m in OPTIONAL_METHODS:  # off unless asked for: no AP, no time
            assert rep[f"ap_{m}"].isna().all() and rep[f"seconds_{m}"].isna().all()
        else:
            assert rep[f"ap_{m}"].between(0, 1).all() and (rep[f"seconds_{m}"] >= 0).all()
    # AP of a random ranking is the positive rate; every trained method beats it here
    assert (rep["ap_mixmin_trained"] > rep["n_test_positive"] / rep["n_test"]).all()
    w = res.weights.loc["NR-AR"]
    assert np.isnan(w["NR-AR"]) and abs(w.drop("NR-AR").sum() - 1) < 1e-9
    assert res.solver["converged"].all() and (res.solver["gap"] <= 1e-6).all()


@pytest.mark.slow
def test_same_seed_same_weights_and_scores(small_panel, result):
    res, _ = result
    again = run(small_panel, targets=["NR-AR", "SR-MMP"], config=config(seed=1))
    pd.testing.assert_frame_equal(res.weights, again.weights)
    timings = [c for c in res.report if c.startswith("seconds_")]  # wall time varies
    pd.testing.assert_frame_equal(
        res.report.drop(columns=timings), again.report.drop(columns=timings)
    )
    other = run(small_panel, targets=["NR-AR"], config=config(seed=2))
    assert not np.isclose(other.report["ap_natural"].iloc[0], res.report["ap_natural"].iloc[0])


@pytest.mark.slow
def test_rerun_resumes_from_disk(small_panel, result):
    res, out = result
    stamps = {p: p.stat().st_mtime_ns for p in (out / "proxies").glob("*.ubj")}
    target_files = {p: p.stat().st_mtime_ns for p in (out / "targets").glob("*.json")}
    again = run(small_panel, targets=["NR-AR", "SR-MMP"], config=config(seed=1), out_dir=out)
    assert {p: p.stat().st_mtime_ns for p in (out / "proxies").glob("*.ubj")} == stamps
    assert {p: p.stat().st_mtime_ns for p in (out / "targets").glob("*.json")} == target_files
    timings = [c for c in res.report if c.startswith("seconds_")]  # wall time varies
    pd.testing.assert_frame_equal(
        res.report.drop(columns=timings), again.report.drop(columns=timings)
    )


@pytest.mark.slow
def test_active_set_and_adaptive_solvers_reach_the_same_optimum(small_panel, result):
    res, _ = result
    fast = run(small_panel, targets=["NR-AR", "SR-MMP"], config=config(seed=1, solver="active_set"))
    assert (fast.solver["gap"] <= 1e-6).all()
    assert np.allclose(fast.solver["objective"], res.solver["objective"], atol=1e-6)
    assert np.allclose(fast.weights.fillna(0), res.weights.fillna(0), atol=1e-2)


@pytest.mark.slow
def test_a_target_is_a_mixmin_classifier_against_the_other_assays(small_panel, result):
    """run's MixMin-trained model is what a user gets from MixMinClassifier against the library
    of the other assays (one solve, as the paper's protocol does), fitted on the target's
    proxy-train compounds as SMILES."""
    from bioassay_mix import MixMinClassifier
    from bioassay_mix.protocol import panel_library, prepare
    from bioassay_mix.proxies import make_classifier
    from bioassay_mix.splits import PROXY_TRAIN, TEST, rows

    res, _ = result
    prep = prepare(small_panel, targets=["NR-AR"], config=config(seed=1))
    labels = prep.panel.labels["NR-AR"].to_numpy()
    smiles = np.asarray(prep.panel.smiles, dtype=object)
    fitted, test = rows(prep.codes, "NR-AR", PROXY_TRAIN), rows(prep.codes, "NR-AR", TEST)
    clf = MixMinClassifier(
        panel_library(prep).without(["NR-AR"]),
        final_estimator=make_classifier(FAST, n_jobs=2, random_state=1),
        include_target=False,
        solver="adaptive",
        natural_prior=0,
        n_bootstrap=0,
        n_jobs=2,
        random_state=1,
    ).fit(smiles[fitted], labels[fitted])
    expected = res.weights.loc["NR-AR"].dropna()
    np.testing.assert_allclose(clf.weights_.reindex(expected.index), expected, atol=1e-12)
    row = res.report.set_index("target").loc["NR-AR"]
    assert clf.score(smiles[test], labels[test]) == pytest.approx(
        row["ap_mixmin_trained"], abs=1e-9
    )


@pytest.mark.slow
def test_one_class_and_tiny_assays_are_skipped_with_reasons(small_panel):
    labels = small_panel.labels.copy()
    labels["ALL_NEG"] = np.where(labels["NR-AR"].notna(), 0.0, np.nan)
    labels["TINY"] = np.nan
    labels.iloc[:10, labels.columns.get_loc("TINY")] = [0, 1] * 5
    panel = AssayPanel.from_labels(labels, name="with-bad")
    res = run(panel, targets=["NR-AR"], config=config())
    reasons = res.skipped.set_index("assay")["reason"]
    assert reasons["ALL_NEG"] == "no positive labels"
    assert "only 10 labelled" in reasons["TINY"]
    assert "ALL_NEG" not in res.weights.columns


@pytest.mark.slow
def test_target_whose_weight_rows_have_one_class_is_skipped_with_reason(small_panel):
    from bioassay_mix.protocol import prepare
    from bioassay_mix.splits import VALID, rows

    cfg = config(weight_rows="validation")
    valid = rows(prepare(small_panel, targets=["SR-MMP"], config=cfg).codes, "SR-MMP", VALID)
    labels = small_panel.labels.copy()
    labels.iloc[valid, labels.columns.get_loc("SR-MMP")] = 0.0  # no positive left there
    prep = prepare(
        AssayPanel.from_labels(labels, name="one-class-valid"),
        targets=["SR-MMP", "NR-AR"],
        config=cfg,
    )
    assert prep.targets == ["NR-AR"]
    reasons = pd.DataFrame(prep.skipped).set_index("assay")["reason"]
    assert reasons["SR-MMP"] == "its validation rows (MixMin's weights) have one class"


@pytest.mark.slow
def test_unknown_target_and_empty_choice_are_errors(small_panel):
    with pytest.raises(DataError, match="no assay 'NOPE'"):
        run(small_panel, targets=["NOPE"], config=config())
    with pytest.raises(DataError, match="no eligible target"):
        run(small_panel, targets=["NR-AR"], config=config(min_test_positives=10_000))


@pytest.mark.slow
def test_paper_leakage_mode_runs_and_differs(small_panel):
    strict = run(small_panel, targets=["SR-MMP"], config=config())
    paper = run(small_panel, targets=["SR-MMP"], config=config(leakage="paper"))
    assert strict.metadata["config"]["leakage"] == "strict"
    assert paper.report["n_test"].iloc[0] != strict.report["n_test"].iloc[0]


@pytest.mark.slow
def test_changed_labels_under_the_same_name_are_never_served_from_the_cache(small_panel, tmp_path):
    # issue 19: a panel file of the same name whose test labels flipped reused the old result
    out = tmp_path / "out"
    first = run(small_panel, targets=["SR-MMP"], config=config(seed=1), out_dir=out)
    from bioassay_mix.splits import TEST, make_splits

    # only the test labels: proxies and weights (fitted on training rows) stay the same
    test = make_splits(small_panel, random_state=1)["SR-MMP"].to_numpy() == TEST
    flipped = small_panel.labels.copy()
    flipped.loc[test, "SR-MMP"] = 1 - flipped.loc[test, "SR-MMP"]
    changed = AssayPanel.from_labels(flipped, name=small_panel.name)
    again = run(changed, targets=["SR-MMP"], config=config(seed=1), out_dir=out)
    fresh = run(changed, targets=["SR-MMP"], config=config(seed=1))
    timings = [c for c in first.report if c.startswith("seconds_")]
    pd.testing.assert_frame_equal(
        again.report.drop(columns=timings), fresh.report.drop(columns=timings)
    )
    assert again.report["n_test_positive"].iloc[0] != first.report["n_test_positive"].iloc[0]


@pytest.mark.slow
def test_truncated_result_file_is_recomputed(small_panel, result):
    res, out = result
    file = next((out / "targets").glob("SR-MMP*.json"))
    file.write_text(file.read_text()[:40])
    again = run(small_panel, targets=["NR-AR", "SR-MMP"], config=config(seed=1), out_dir=out)
    timings = [c for c in res.report if c.startswith("seconds_")]
    pd.testing.assert_frame_equal(
        res.report.drop(columns=timings), again.report.drop(columns=timings)
    )
