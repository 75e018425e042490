from __future__ import annotations

import lightgbm
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from bioassay_mix.errors import DataError
from bioassay_mix.estimator import AUTO_TARGET_FLOOR, AUTO_TARGET_ONLY_BELOW, MixMinClassifier
from bioassay_mix.estimator._steps import DEFAULT_TARGET_ONLY_TREES, bagged_solve
from bioassay_mix.featurize import MorganFingerprint
from bioassay_mix.final_model import weights_are_counts
from bioassay_mix.library import TARGET
from bioassay_mix.natural_prior import AUTO_PRIOR_SCALE
from bioassay_mix.proxies import make_classifier
from bioassay_mix.solver import MixMinResult

FAST = make_classifier({"n_estimators": 30})


@pytest.fixture(scope="module")
def fitted(tox21_library, few_labels):
    X, y, _, _ = few_labels
    return MixMinClassifier(tox21_library, final_estimator=FAST, random_state=0, n_jobs=2).fit(X, y)


def test_weights_are_certified_on_the_simplex_with_the_target_column(fitted, tox21_library):
    w = fitted.weights_
    assert list(w.index) == [*tox21_library.sources, TARGET]
    assert (w >= 0).all() and abs(w.sum() - 1) < 1e-9
    assert fitted.gap_ <= 1e-6 and np.isfinite(fitted.objective_)
    assert fitted.classes_.tolist() == [0, 1]


@pytest.mark.slow
def test_beats_its_own_labels_alone_at_96_labels(fitted, few_labels):
    # SR-p53 with 96 labels: the mixture with the other assays is better than the target alone
    X, y, X_test, y_test = few_labels
    own = (
        clone(FAST)
        .set_params(random_state=0)
        .fit(MorganFingerprint(n_bits=512).fit().transform(X), y)
    )
    own_ap = own.predict_proba(MorganFingerprint(n_bits=512).fit().transform(X_test))[:, 1]
    from sklearn.metrics import average_precision_score

    assert fitted.score(X_test, y_test) > average_precision_score(y_test, own_ap)


@pytest.mark.slow
def test_same_seed_same_weights_and_scores(tox21_library, few_labels, fitted):
    X, y, X_test, _ = few_labels
    again = MixMinClassifier(tox21_library, final_estimator=FAST, random_state=0).fit(X, y)
    pd.testing.assert_series_equal(again.weights_, fitted.weights_)
    np.testing.assert_array_equal(again.predict_proba(X_test), fitted.predict_proba(X_test))


@pytest.mark.slow
def test_input_forms_agree(tox21_library, few_labels, fitted):
    X, y, X_test, _ = few_labels
    features = tox21_library.featurizer.transform(X)
    for form in (pd.Series(X), pd.DataFrame({"smiles": X}), np.asarray(X), features):
        clf = MixMinClassifier(tox21_library, final_estimator=FAST, random_state=0).fit(form, y)
        pd.testing.assert_series_equal(clf.weights_, fitted.weights_)
    assert clf.n_features_in_ == 512
    frame = MixMinClassifier(tox21_library, final_estimator=FAST, random_state=0).fit(
        pd.DataFrame({"smiles": X}), y
    )
    assert frame.feature_names_in_.tolist() == ["smiles"]
    proba = frame.predict_proba(pd.DataFrame({"smiles": X_test[:5]}))
    assert proba.shape == (5, 2) and np.allclose(proba.sum(axis=1), 1)


@pytest.mark.slow
@pytest.mark.parametrize(
    "final",
    [
        xgb.XGBClassifier(n_estimators=20),
        RandomForestClassifier(n_estimators=20),
        LogisticRegression(max_iter=300),
        lightgbm.LGBMClassifier(n_estimators=20, verbose=-1),
        make_pipeline(MaxAbsScaler(), LogisticRegression(max_iter=300)),
    ],
    ids=["xgboost", "random_forest", "logistic", "lightgbm", "pipeline"],
)
def test_any_classifier_with_sample_weight(tox21_library, few_labels, final):
    X, y, X_test, y_test = few_labels
    clf = MixMinClassifier(tox21_library, final_estimator=final, random_state=0).fit(X, y)
    assert clf.final_estimator_ is not final  # cloned
    assert 0 < clf.score(X_test, y_test) <= 1
    assert set(clf.predict(X_test)) <= {0, 1}


def test_estimator_without_sample_weight_is_refused_before_work(tox21_library, few_labels):
    X, y, _, _ = few_labels
    with pytest.raises(DataError, match="KNeighborsClassifier does not accept sample_weight"):
        MixMinClassifier(tox21_library, final_estimator=KNeighborsClassifier()).fit(X, y)


@pytest.mark.slow
def test_rows_merge_only_where_the_model_stays_the_same(tox21_library, few_labels):
    X, y, X_test, _ = few_labels
    assert weights_are_counts(xgb.XGBClassifier())
    assert not weights_are_counts(xgb.XGBClassifier(subsample=0.8))
    assert weights_are_counts(LogisticRegression())
    assert not weights_are_counts(RandomForestClassifier())
    merged = MixMinClassifier(tox21_library, final_estimator=FAST, random_state=0).fit(X, y)
    apart = MixMinClassifier(
        tox21_library, final_estimator=FAST, random_state=0, merge_rows=False
    ).fit(X, y)
    np.testing.assert_allclose(merged.predict_proba(X_test), apart.predict_proba(X_test), atol=1e-5)
    with pytest.warns(UserWarning, match="does not treat sample weights as counts"):
        MixMinClassifier(
            tox21_library,
            final_estimator=xgb.XGBClassifier(n_estimators=5, subsample=0.8),
            merge_rows=True,
            random_state=0,
        ).fit(X, y)


def _tiny_library():
    """A real library small enough to build while tests are collected: three shipped Tox21
    assays on 120 of their compounds, MACCS keys, logistic-regression proxies."""
    from sklearn.linear_model import LogisticRegression

    from bioassay_mix import AssayPanel, load_panel
    from bioassay_mix.featurize import MACCSKeys
    from bioassay_mix.library import ProxyLibrary

    labels = load_panel("tox21").select(["NR-AhR", "SR-ARE", "SR-MMP"]).labels.iloc[:120]
    return ProxyLibrary.build(
        AssayPanel.from_labels(labels, name="tiny"),
        featurizer=MACCSKeys(),
        proxy=LogisticRegression(max_iter=300),
        min_labels=20,
        verbose=False,
    )


TINY = MixMinClassifier(_tiny_library(), random_state=0)


@parametrize_with_checks([TINY])
def test_sklearn_checks(estimator, check):
    # SMILES input is declared as string input (as scikit-learn's text estimators do), so
    # scikit-learn skips its numeric-array checks; those that need no data run below, and the
    # contract is tested on real compounds after them.
    check(estimator)


@pytest.mark.parametrize(
    "check",
    [
        "check_estimator_cloneable",
        "check_estimator_repr",
        "check_no_attributes_set_in_init",
        "check_get_params_invariance",
        "check_set_params",
        "check_parameters_default_constructible",
        "check_do_not_raise_errors_in_init_or_set_params",
        "check_estimator_tags_renamed",
    ],
)
def test_sklearn_checks_that_need_no_data(check):
    import sklearn.utils.estimator_checks as checks

    getattr(checks, check)(type(TINY).__name__, clone(TINY))


@pytest.mark.slow
def test_sklearn_contract(tox21_library, few_labels):
    X, y, X_test, y_test = few_labels
    clf = MixMinClassifier(tox21_library, final_estimator=FAST, random_state=0)
    with pytest.raises(NotFittedError):
        clf.predict_proba(X_test)
    assert clone(clf).get_params()["final_estimator"] is not FAST
    # the fitted library is shared, never copied (every split would copy every proxy)
    assert clone(clf).library is tox21_library
    assert clone(clf).get_params(deep=False).keys() == clf.get_params(deep=False).keys()
    scores = cross_val_score(clf, X, y, cv=StratifiedKFold(3, shuffle=True, random_state=0))
    assert scores.shape == (3,) and (scores > 0).all()
    search = GridSearchCV(clf, {"final_estimator__max_depth": [2, 6]}, cv=3).fit(X, y)
    assert search.best_params_["final_estimator__max_depth"] in (2, 6)
    assert 0 < search.score(X_test, y_test) <= 1


def test_string_labels_and_positive_class(tox21_library, few_labels):
    X, y, X_test, _ = few_labels
    words = np.where(y == 1, "active", "inactive")
    clf = MixMinClassifier(tox21_library, final_estimator=FAST, random_state=0).fit(X, words)
    assert clf.classes_.tolist() == ["active", "inactive"]
    assert set(clf.predict(X_test[:20])) <= {"active", "inactive"}


@pytest.mark.parametrize(
    "labels, message",
    [
        (lambda y: np.zeros_like(y), "one class only"),
        (lambda y: y[:-1], "but y has 95 labels"),
        (lambda y: np.where(np.arange(len(y)) == 7, np.nan, y), "missing label at row 7"),
        (lambda y: np.arange(len(y)) % 3, "must be binary"),
    ],
    ids=["one-class", "length", "gap", "multiclass"],
)
def test_bad_labels_are_named(tox21_library, few_labels, labels, message):
    X, y, _, _ = few_labels
    with pytest.raises(DataError, match=message):
        MixMinClassifier(tox21_library, final_estimator=FAST).fit(X, labels(y.astype(float)))


def test_invalid_smiles_is_named_and_featurizer_must_match(tox21_library, few_labels):
    X, y, _, _ = few_labels
    bad = list(X)
    bad[5] = "C1CC"
    with pytest.raises(DataError, match=r"first at row 5 \('C1CC'\)"):
        MixMinClassifier(tox21_library, final_estimator=FAST).fit(bad, y)
    with pytest.raises(DataError, match="differs from the library's"):
        MixMinClassifier(tox21_library, featurizer=MorganFingerprint(n_bits=1024)).fit(X, y)


def test_parameters_are_validated_before_work(tox21_library, few_labels):
    X, y, _, _ = few_labels
    for bad in (
        {"solver": "newton"},
        {"oof_folds": 1},
        {"tol": 0},
        {"device": "tpu"},
        {"n_jobs": 0},
        {"natural_prior": -1.0},
        {"natural_prior": 0.5},
        {"natural_prior": "often"},
        {"n_bootstrap": -1},
        {"n_bootstrap": 2.5},
        {"target_floor": -0.5},
        {"target_floor": "high"},
        {"solver": "adaptive"},
        {"solver": "dirichlet_newton", "natural_prior": 0},
        {"target_proxy": MaxAbsScaler()},
        {"target_only_estimator": MaxAbsScaler()},
        {"target_floor": float("nan")},
    ):
        with pytest.raises(ValueError, match=next(iter(bad))):
            MixMinClassifier(tox21_library, **bad).fit(X, y)
    with pytest.raises(ValueError, match="library"):
        MixMinClassifier(library="tox21").fit(X, y)


def test_target_proxy_makes_the_targets_own_column(tox21_library, few_labels, fitted):
    """The target's column is the out-of-fold predictions of a clone of target_proxy; the
    default is the library's proxy."""
    X, y, _, _ = few_labels
    features = tox21_library.features(X)
    own = {}
    for name, proxy in {
        "default": None,
        "logistic": LogisticRegression(C=0.01, max_iter=500),
        "k-NN": KNeighborsClassifier(1),
    }.items():
        clf = MixMinClassifier(
            tox21_library, final_estimator=FAST, target_proxy=proxy, random_state=0
        )
        clf.fit_weights(features, y)
        own[name] = clf.weights_[TARGET]
        assert clf.gap_ <= 1e-6
    assert own["default"] == pytest.approx(fitted.weights_[TARGET], abs=1e-12)
    assert len({round(w, 9) for w in own.values()}) == 3  # each proxy gives its own column
    assert not hasattr(clf.target_proxy, "classes_")  # cloned, never fitted in place


def test_target_with_one_positive_falls_back_to_sources(tox21_library, few_labels):
    X, y, _, _ = few_labels
    y1 = np.zeros_like(y)
    y1[np.flatnonzero(y)[0]] = 1
    clf = MixMinClassifier(tox21_library, final_estimator=FAST, random_state=0).fit(X, y1)
    assert TARGET not in clf.weights_ and "left out" in clf.target_column_note_


@pytest.mark.slow
def test_natural_prior_pulls_the_weights_toward_natural_pooling(tox21_library, few_labels):
    X, y, _, _ = few_labels
    counts = pd.Series({s: len(tox21_library.rows[s]) for s in tox21_library.sources})
    counts[TARGET] = len(y)
    natural = counts / counts.sum()
    distance = []
    for strength in (0.0, 96.0, 1e7):
        clf = MixMinClassifier(
            tox21_library, final_estimator=FAST, natural_prior=strength, random_state=0
        ).fit(X, y)
        assert clf.gap_ <= 1e-6 and abs(clf.weights_.sum() - 1) < 1e-9
        distance.append(float((clf.weights_ - natural).abs().sum()))
    # plain MixMin is far from natural pooling; 96 pseudo-compounds (as many as the labels)
    # move it part of the way; an overwhelming prior gives natural pooling's shares
    assert distance[0] > 0.5 and distance[0] > distance[1] > distance[2]
    assert distance[2] < 1e-4


def test_auto_prior_grows_with_the_weights_per_labelled_compound(tox21_library, few_labels):
    X, y, _, _ = few_labels
    features = tox21_library.features(X)
    n_weights = len(tox21_library.sources) + 1
    # 4 labels (2 of each class): 2 x 5 weights / 4 = 2.5 pseudo-compounds; 96 labels: the
    # floor of 1
    few = np.concatenate([np.flatnonzero(y == 1)[:2], np.flatnonzero(y == 0)[:2]])
    for rows, strength in ((few, AUTO_PRIOR_SCALE * n_weights / 4), (np.arange(len(y)), 1.0)):
        auto = MixMinClassifier(tox21_library, natural_prior="auto", random_state=0)
        auto.fit_weights(features[rows], y[rows])
        same = MixMinClassifier(tox21_library, natural_prior=strength, random_state=0)
        same.fit_weights(features[rows], y[rows])
        assert auto.natural_prior_ == strength == same.natural_prior_
        assert auto.result_.method.startswith("dirichlet_newton") and auto.gap_ <= 1e-6
        pd.testing.assert_series_equal(auto.weights_, same.weights_)
    assert n_weights == 5 and AUTO_PRIOR_SCALE * n_weights / 4 == 2.5


@pytest.mark.slow
def test_auto_solver_is_the_active_set_without_a_prior(tox21_library, few_labels):
    X, y, _, _ = few_labels
    plain = MixMinClassifier(
        tox21_library, final_estimator=FAST, natural_prior=0.0, random_state=0
    ).fit(X, y)
    assert plain.result_.method.startswith("active_set")
    prior = MixMinClassifier(tox21_library, final_estimator=FAST, random_state=0).fit(X, y)
    assert prior.result_.method.startswith("dirichlet_newton") and prior.natural_prior == "auto"


@pytest.mark.slow
def test_on_a_library_whose_sources_share_few_compounds_auto_is_no_prior_and_a_floor(
    disjoint_tox21, few_labels
):
    from bioassay_mix.library import ProxyLibrary
    from bioassay_mix.natural_prior import AUTO_PRIOR_MIN_FILL

    sparse = ProxyLibrary.build(
        disjoint_tox21, verbose=False, featurizer=MorganFingerprint(n_bits=256), proxy=FAST
    )
    assert sparse.fill < AUTO_PRIOR_MIN_FILL
    X, y, _, _ = few_labels
    features = sparse.features(X)
    auto = MixMinClassifier(sparse, random_state=0)
    auto.fit_weights(features, y)
    plain = MixMinClassifier(sparse, natural_prior=0, random_state=0)
    plain.fit_weights(features, y)
    assert auto.natural_prior_ == 0.0 and auto.result_.method.startswith("active_set")
    pd.testing.assert_series_equal(auto.weights_, plain.weights_)
    auto.set_params(final_estimator=FAST).fit_final(features, y)
    assert auto.in_library_ >= AUTO_TARGET_ONLY_BELOW
    assert auto.target_floor_ == AUTO_TARGET_FLOOR
    w = auto._final_weights()
    assert w[TARGET] >= w.drop(TARGET).max() * (1 - 1e-12)
    with pytest.raises(DataError, match="puts no prior on this library"):
        MixMinClassifier(sparse, solver="dirichlet_newton").fit(features, y)

    # the same library without the support's compounds: new chemistry to every source, so
    # "auto" trains no mixture: the final model is a model of the support alone
    novel = ProxyLibrary.build(
        disjoint_tox21,
        exclude=X,
        verbose=False,
        featurizer=MorganFingerprint(n_bits=256),
        proxy=FAST,
    )
    alone = MixMinClassifier(novel, random_state=0).fit(features, y)
    # (a few support compounds share a 256-bit fingerprint with a training compound)
    assert alone.in_library_ < AUTO_TARGET_ONLY_BELOW and alone.target_floor_ == np.inf
    assert alone.weights_.index[-1] == TARGET and len(alone.weights_) == len(novel) + 1
    forest = RandomForestClassifier(n_estimators=DEFAULT_TARGET_ONLY_TREES, random_state=0)
    np.testing.assert_array_equal(
        alone.predict_proba(features), forest.fit(features, y).predict_proba(features)
    )
    own = LogisticRegression(C=0.5, max_iter=500)
    alone.set_params(target_only_estimator=own).fit_final(features, y)
    np.testing.assert_array_equal(
        alone.predict_proba(features), clone(own).fit(features, y).predict_proba(features)
    )
    mixed = clone(alone).set_params(target_floor=AUTO_TARGET_FLOOR).fit(features, y)
    assert mixed.target_floor_ == AUTO_TARGET_FLOOR
    assert not np.allclose(mixed.predict_proba(features), alone.predict_proba(features))


@pytest.mark.slow
def test_public_steps_give_what_fit_gives(tox21_library, few_labels):
    """fit = fit_weights + fit_final; source_proba computed once gives the same model."""
    X, y, X_test, _ = few_labels
    make = dict(library=tox21_library, final_estimator=FAST, random_state=0, n_jobs=1)
    whole = MixMinClassifier(**make).fit(X, y)
    features = tox21_library.features(X)
    proba = tox21_library.predict(features)
    given = MixMinClassifier(**make).fit(X, y, source_proba=proba)
    steps = MixMinClassifier(**make).fit_weights(X, y, source_proba=proba)
    assert not hasattr(steps, "final_estimator_")
    steps.fit_final(X, y)
    for other in (given, steps):
        pd.testing.assert_series_equal(other.weights_, whole.weights_)
        np.testing.assert_array_equal(other.predict_proba(X_test), whole.predict_proba(X_test))


def test_public_steps_refuse_what_does_not_fit(tox21_library, few_labels):
    X, y, _, _ = few_labels
    clf = MixMinClassifier(tox21_library, final_estimator=FAST, random_state=0)
    with pytest.raises(NotFittedError):
        clf.fit_final(X, y)
    with pytest.raises(DataError, match=r"source_proba has shape \(3, 4\)"):
        clf.fit_weights(X, y, source_proba=np.full((3, 4), 0.5))
    proba = np.full((len(y), len(tox21_library.sources)), 0.5)
    proba[2, 1] = np.nan
    with pytest.raises(DataError, match=r"source_proba holds nan at \(2, 1\)"):
        clf.fit_weights(X, y, source_proba=proba)
    with pytest.raises(DataError, match=r"target_proba has shape \(2,\)"):
        clf.fit_weights(X, y, target_proba=[0.1, 0.2])
    with pytest.raises(DataError, match=r"target_proba holds 1.5 at \(0,\)"):
        clf.fit_weights(X, y, target_proba=np.r_[1.5, np.full(len(y) - 1, 0.5)])
    clf.fit_weights(X, y)
    with pytest.raises(DataError, match="not among the classes"):
        clf.fit_final(X, np.where(y == 1, 2, 0))


def test_bootstrap_averages_the_weights_of_stratified_resamples():
    """Each resample keeps the class counts, draws rows with replacement and is solved once;
    the result is the mean of the resamples' weights, its gap their largest."""
    y = np.array([0] * 7 + [1] * 3)
    P = pd.DataFrame({"a": np.linspace(0.1, 0.9, 10), "b": np.full(10, 0.5)})
    seen = []

    def solve_on(Q):
        rows = Q.index.to_numpy()
        seen.append(rows)
        share = float(np.mean(rows < 5))  # a weight that depends on the rows drawn
        return MixMinResult(
            pd.Series([share, 1 - share], index=Q.columns),
            0.0,
            1e-7 * len(seen),
            3,
            True,
            "cross_entropy",
            "fake",
        )

    result = bagged_solve(solve_on, P, y, 25, 0)
    assert len(seen) == 25 and result.n_iter == 75 and result.gap == pytest.approx(2.5e-6)
    assert all(np.bincount(y[rows], minlength=2).tolist() == [7, 3] for rows in seen)
    assert any(len(set(rows)) < 10 for rows in seen)  # with replacement
    share = np.mean([np.mean(rows < 5) for rows in seen])
    assert result.weights.to_dict() == pytest.approx({"a": share, "b": 1 - share})
    expected = -np.mean(np.log(P.to_numpy() @ result.weights.to_numpy()))
    assert result.objective == pytest.approx(expected) and "25 bootstrap" in result.method
    first = list(seen)
    bagged_solve(solve_on, P, y, 25, 0)  # the same seed draws the same resamples
    assert all(np.array_equal(a, b) for a, b in zip(first, seen[25:], strict=True))


@pytest.mark.slow
def test_bootstrap_weights_are_seeded_and_no_better_on_the_full_labels(tox21_library, few_labels):
    """Averaged weights are reproducible by seed, differ between seeds, and cannot beat the
    one-solve optimum on the compounds they were fitted to (plain MixMin: its optimum)."""
    X, y, _, _ = few_labels
    proba = tox21_library.predict(tox21_library.features(X))

    def weights(**params):
        clf = MixMinClassifier(tox21_library, natural_prior=0, random_state=0, **params)
        return clf.fit_weights(X, y, source_proba=proba)

    one, bag = weights(n_bootstrap=0), weights(n_bootstrap=10)
    assert bag.result_.method == "active_set averaged over 10 bootstrap resamples"
    assert bag.gap_ <= 1e-6 and abs(bag.weights_.sum() - 1) < 1e-9
    assert bag.objective_ >= one.objective_ - 1e-9
    pd.testing.assert_series_equal(bag.weights_, weights(n_bootstrap=10).weights_)
    other = MixMinClassifier(
        tox21_library, natural_prior=0, n_bootstrap=10, random_state=1
    ).fit_weights(X, y, source_proba=proba)
    assert not np.allclose(other.weights_, bag.weights_)


@pytest.mark.slow
def test_target_floor_puts_the_targets_rows_in_the_final_model(tox21_library, few_labels):
    """An uninformative own column earns no weight, and the final model then never sees the
    target's rows; target_floor=1 gives them the largest source's weight in training only."""
    X, y, X_test, _ = few_labels
    make = dict(final_estimator=FAST, random_state=0, n_bootstrap=0, natural_prior=0)
    make["target_floor"] = 0.0
    flat = np.full(len(y), 0.5)
    plain = MixMinClassifier(tox21_library, **make).fit_weights(X, y, target_proba=flat)
    assert plain.weights_[TARGET] == 0
    floored = clone(plain).set_params(target_floor=1.0).fit_weights(X, y, target_proba=flat)
    pd.testing.assert_series_equal(floored.weights_, plain.weights_)  # MixMin's, as reported
    trained = floored.fit_final(X, y).final_estimator_
    without = plain.fit_final(X, y).final_estimator_
    features = tox21_library.features(X_test)
    assert not np.allclose(trained.predict_proba(features), without.predict_proba(features))
    w = floored._final_weights()
    assert w[TARGET] == pytest.approx(w.drop(TARGET).max()) and w.sum() == pytest.approx(1)
    # the default, "auto", puts no floor on Tox21's dense library: the model without one
    auto = clone(plain).set_params(target_floor="auto").fit_weights(X, y, target_proba=flat)
    assert auto.fit_final(X, y).target_floor_ == 0.0
    np.testing.assert_allclose(
        auto.final_estimator_.predict_proba(features), without.predict_proba(features)
    )
