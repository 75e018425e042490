"""The estimator itself: its parameters and their constraints, the scikit-learn contract (clone,
tags), the public fitting steps and prediction."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.metrics import average_precision_score
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import HasMethods, Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from .._utils import StageClock
from ..device import DEVICES
from ..errors import DataError
from ..featurize import Featurizer
from ..library import ProxyLibrary
from ..mixture import DEFAULT_PRUNE
from ..natural_prior import (
    DEFAULT_NATURAL_PRIOR,
)
from ..proxies import make_classifier
from ..solver import METHODS as SOLVER_METHODS
from ..solver.prior import PRIOR_METHOD
from ._steps import DEFAULT_N_BOOTSTRAP, DEFAULT_TARGET_FLOOR, FitSteps, binary_target


class MixMinClassifier(FitSteps, ClassifierMixin, BaseEstimator):
    """A binary classifier of a target assay trained on the MixMin mixture of a library's
    sources (and, with ``include_target``, the target's own rows).

    Parameters
    ----------
    library : ProxyLibrary
        The sources: their fitted proxies and training rows.
    featurizer : Featurizer or None, default=None
        Must equal the library's featurizer (same class and science parameters) when given;
        default: the library's.
    final_estimator : classifier or None, default=None
        Cloned and trained on the weighted mixture; must accept ``sample_weight``. Default:
        XGBoost with the paper's setting (100 trees, depth 6, learning rate 0.1).
    include_target : bool, default=True
        Add the target's own rows as one more source (MixMin + target).
    target_proxy : classifier or None, default=None
        Cloned for the target's own column: its out-of-fold predictions on the target's rows.
        Default: the library's proxy template (the sources' estimator).
    target_only_estimator : classifier or None, default=None
        Cloned and trained on the target's rows alone when there is no mixture to train on
        (``target_floor_`` ``inf``, below). Default: a random forest of 500 trees, FS-Mol's
        single-task baseline, which held up with a few dozen labels where XGBoost did not.
    oof_folds : int, default=5
        Folds of the target proxy's out-of-fold predictions (fewer when a class has fewer rows).
    solver : {"auto", "dirichlet_newton", "active_set", "adaptive", "reference"}, \
default="auto"
        With a prior (``natural_prior`` "auto" or > 0): ``"dirichlet_newton"``
        (:func:`~bioassay_mix.solver.prior.solve_dirichlet`, whose optimum puts mass on every
        source); with ``natural_prior=0``, one of :func:`bioassay_mix.solve`'s methods.
        ``"auto"`` picks ``"dirichlet_newton"`` or ``"active_set"``.
    tol : float, default=1e-6
        Duality gap the solver certifies.
    natural_prior : float or "auto", default="auto"
        Strength, in pseudo-compounds, of a prior that pulls the weights toward natural
        pooling (each source's share of the rows); see :func:`natural_prior_counts`. With n
        labelled compounds it matters as ``natural_prior / (n + natural_prior)``: it steadies
        weights fitted to a few dozen labels and fades with more. ``objective_`` is then the
        penalised objective. 0: plain MixMin. ``"auto"``: ``max(1, 2 k / n)`` pseudo-compounds
        for k weights (the sources and the target's column), stronger the more weights each
        labelled compound must inform, on a library whose sources share their compounds (at
        least :data:`AUTO_PRIOR_MIN_FILL` of its cells labelled); none on a sparser one
        (:func:`natural_prior_strength`).
    n_bootstrap : int, default=50
        Resamples of the labelled compounds (drawn with replacement, stratified by class)
        whose MixMin weights are averaged: a few dozen labels leave the optimum sparse and
        tied to single compounds, and the average is steadier (chosen on FS-Mol's valid
        tasks; the user guide quotes the figures). ``objective_`` is then MixMin's objective
        of all compounds at the averaged weights and ``gap_`` the largest gap certified for a
        resample. 0: one solve on all compounds, as in the paper.
    target_floor : float or "auto", default="auto"
        With ``include_target``, the final model trains on the target's rows with at least
        ``target_floor`` times the largest source's weight (the weights then renormalised;
        ``weights_`` stays MixMin's): with a few dozen labels the out-of-fold column of a
        proxy trained on a few dozen compounds predicts worse than the best sources and
        earns little or no weight, and the final model would never see your labels. ``inf``:
        no mixture, the final model is ``target_only_estimator`` on the target's rows.
        ``"auto"``, on a library whose sources share few compounds
        (below :data:`~bioassay_mix.natural_prior.AUTO_PRIOR_MIN_FILL` of its cells labelled,
        as ChEMBL's): :data:`~bioassay_mix.estimator.AUTO_TARGET_FLOOR` (1) when at least
        :data:`~bioassay_mix.estimator.AUTO_TARGET_ONLY_BELOW` (half) of the target's
        compounds are training compounds of some source (``in_library_``), ``inf`` when
        fewer are: on chemistry the sources never saw, their rows only blur a model of your
        own labels. None on a denser library, whose sources label your compounds
        already (:func:`~bioassay_mix.estimator.target_floor_value`; chosen on FS-Mol's
        valid tasks and the MoleculeNet panels, the user guide quotes the figures). 0:
        MixMin's weights as they are, as in the paper.
    prune : float, default=1e-4
        Sources below ``prune * max(weight)`` contribute no rows to the final model.
    merge_rows : "auto" or bool, default="auto"
        Merge rows of one compound and label across sources into one weighted row. "auto"
        merges only for learners that treat sample weights as counts (XGBoost without row
        subsampling, linear models, forests without bootstrap), where the model is the same;
        ``True`` for another learner warns that the model changes.
    n_jobs : int or None, default=None
        Threads: proxies predicting at once, and the final estimator's ``n_jobs`` when it has
        one (None: 1).
    random_state : int or None, default=None
        Seed of the out-of-fold split, the bootstrap resamples, the target proxy and the
        final estimator.
    device : {"auto", "cpu", "cuda"}, default="auto"
        Device of the default final estimator and of the ``adaptive`` solver.

    Attributes
    ----------
    weights_ : pandas.Series
        Mixture weights over the library's sources, plus ``"target"`` with ``include_target``.
    objective_, gap_ : float
        MixMin's objective at ``weights_`` and its certified gap to the optimum (with
        ``n_bootstrap``: the largest resample's gap, see there).
    natural_prior_ : float
        The prior's strength in pseudo-compounds that ``fit`` used (0: plain MixMin).
    target_floor_ : float
        The floor the final model used (``target_floor`` resolved; 0: none; ``inf``: the
        target's rows alone).
    in_library_ : float
        The share of the compounds ``fit_final`` trained on that some source trained on
        (:meth:`~bioassay_mix.library.ProxyLibrary.in_library`).
    classes_ : numpy.ndarray
        The two labels; ``classes_[1]`` is the positive class.
    final_estimator_ : classifier
        The fitted final model.
    n_features_in_, feature_names_in_
        Set when ``X`` is a feature matrix (``n_features_in_``) or a frame (both).
    timings_ : dict of str to float
        Wall seconds of each stage of ``fit``: featurize, predict_sources, out_of_fold, solve,
        final_fit.

    Examples
    --------
    >>> from bioassay_mix import load_panel
    >>> from bioassay_mix.featurize import MorganFingerprint
    >>> from sklearn.linear_model import LogisticRegression
    >>> panel = load_panel("tox21")
    >>> lib = ProxyLibrary.build(panel.select(["NR-AhR", "SR-ARE", "SR-MMP"]),
    ...                          featurizer=MorganFingerprint(n_bits=512),
    ...                          proxy=LogisticRegression(max_iter=300), verbose=False)
    >>> y = panel.labels["SR-p53"].dropna().iloc[:200]
    >>> clf = MixMinClassifier(lib, final_estimator=LogisticRegression(max_iter=300),
    ...                        random_state=0).fit(list(y.index), y.to_numpy())
    >>> clf.weights_.index.tolist()
    ['NR-AhR', 'SR-ARE', 'SR-MMP', 'target']
    >>> bool(abs(clf.weights_.sum() - 1) < 1e-9 and clf.gap_ <= 1e-6)
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        "library": [ProxyLibrary],
        "featurizer": [Featurizer, None],
        "final_estimator": [HasMethods(["fit", "predict_proba"]), None],
        "include_target": ["boolean"],
        "target_proxy": [HasMethods(["fit", "predict_proba"]), None],
        "target_only_estimator": [HasMethods(["fit", "predict_proba"]), None],
        "oof_folds": [Interval(Integral, 2, None, closed="left")],
        "solver": [StrOptions({"auto", PRIOR_METHOD, *SOLVER_METHODS})],
        "tol": [Interval(Real, 0, None, closed="neither")],
        # 0 (plain MixMin) or >= 1 pseudo-compound: below 1, the prior no longer keeps
        # Newton's steps well conditioned (measured: 200 steps, uncertified, at 1e-3)
        "natural_prior": [
            Interval(Real, 1, None, closed="left"),
            Options(Real, {0}),
            StrOptions({"auto"}),
        ],
        "n_bootstrap": [Interval(Integral, 0, None, closed="left")],
        "target_floor": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "prune": [Interval(Real, 0, 1, closed="left")],
        "merge_rows": [StrOptions({"auto"}), "boolean"],
        "n_jobs": [Interval(Integral, None, None, closed="neither"), None],
        "random_state": ["random_state"],
        "device": [StrOptions(set(DEVICES))],
    }

    def __init__(
        self,
        library: ProxyLibrary,
        *,
        featurizer: Featurizer | None = None,
        final_estimator: Any = None,
        include_target: bool = True,
        target_proxy: Any = None,
        target_only_estimator: Any = None,
        oof_folds: int = 5,
        solver: str = "auto",
        tol: float = 1e-6,
        natural_prior: float | str = DEFAULT_NATURAL_PRIOR,
        n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
        target_floor: float | str = DEFAULT_TARGET_FLOOR,
        prune: float = DEFAULT_PRUNE,
        merge_rows: str | bool = "auto",
        n_jobs: int | None = None,
        random_state: int | None = None,
        device: str = "auto",
    ):
        self.library = library
        self.featurizer = featurizer
        self.final_estimator = final_estimator
        self.include_target = include_target
        self.target_proxy = target_proxy
        self.target_only_estimator = target_only_estimator
        self.oof_folds = oof_folds
        self.solver = solver
        self.tol = tol
        self.natural_prior = natural_prior
        self.n_bootstrap = n_bootstrap
        self.target_floor = target_floor
        self.prune = prune
        self.merge_rows = merge_rows
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.device = device

    def __sklearn_clone__(self) -> MixMinClassifier:
        """A clone that shares the fitted library (it is read, never changed, by ``fit``) and
        clones every other parameter as :func:`sklearn.base.clone` does: cross-validation and
        grid search no longer copy every proxy and the feature matrix per split."""
        params = {
            k: clone(v, safe=False)
            for k, v in self.get_params(deep=False).items()
            if k != "library"
        }
        return type(self)(self.library, **params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # X is SMILES (or the library's feature matrix, of a fixed width): declared as string
        # input, as scikit-learn's own text estimators do.
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_class = False
        return tags

    # -- fitting ---------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: Any, y: Any, *, source_proba: Any = None) -> MixMinClassifier:
        """Weights from the library's proxies, then the final model on the weighted mixture.

        Parameters
        ----------
        X : SMILES (sequence, Series, one-column frame) or feature matrix
            The target's labelled compounds.
        y : array-like of shape (n_samples,)
            Binary labels (any two values; the larger is the positive class).
        source_proba : array-like of shape (n_samples, n_sources) or None, default=None
            The library's class-1 probabilities of ``X``'s compounds
            (:meth:`ProxyLibrary.predict <bioassay_mix.library.ProxyLibrary.predict>`) when
            they are at hand, e.g. computed once for every fold of a cross-validation; by
            default the library predicts them.

        Returns
        -------
        self : MixMinClassifier
        """
        features, y01, clock = self._weigh(X, y, source_proba, None)
        return self._fit_final(features, y01, clock)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_weights(
        self, X: Any, y: Any, *, source_proba: Any = None, target_proba: Any = None
    ) -> MixMinClassifier:
        """Steps 1-3 of :meth:`fit`: ``classes_``, ``weights_`` and their certificate, without
        training the final model (:meth:`fit_final` does, later).

        The weights alone answer "which public assays inform my target", and a workflow that
        trains its own final models (the paper's protocol, the FS-Mol benchmark) or looks up
        a finished target by its weights needs nothing more.

        Parameters
        ----------
        X, y, source_proba
            As in :meth:`fit`.
        target_proba : array-like of shape (n_samples,) or None, default=None
            With ``include_target``: the class-1 probabilities of ``X`` by a proxy of the
            target that never saw these rows, in place of the out-of-fold column.

        Returns
        -------
        self : MixMinClassifier
        """
        self._weigh(X, y, source_proba, target_proba)
        return self

    def fit_final(self, X: Any, y: Any) -> MixMinClassifier:
        """Step 4 of :meth:`fit`, once :meth:`fit_weights` has set ``weights_``: the final
        model on the sources' weighted rows and the target's rows ``X``, ``y`` (usually the
        rows the weights were fitted on; the paper's protocol adds the target's validation
        rows here).

        Parameters
        ----------
        X : SMILES or feature matrix
            The target's compounds.
        y : array-like of shape (n_samples,)
            Their labels, values of ``classes_``.

        Returns
        -------
        self : MixMinClassifier
        """
        check_is_fitted(self, "weights_")
        labels = binary_target(y)
        unknown = sorted(set(np.unique(labels).tolist()) - set(self.classes_.tolist()))
        if unknown:
            raise DataError(
                f"y holds {unknown[:3]}, not among the classes {list(self.classes_)} "
                "the weights were fitted with"
            )
        features = self._features(X, fitting=False)
        y01 = np.searchsorted(self.classes_, labels).astype(np.int32)
        return self._fit_final(features, y01, StageClock())

    def final_template(self) -> Any:
        """The unfitted final estimator the mixture trains (cloned before training):
        ``final_estimator``, or the default XGBoost. A learner whose ``fit`` takes no
        ``sample_weight`` is refused.

        Returns
        -------
        estimator
        """
        if self.final_estimator is None:
            return make_classifier(device=self.device, n_jobs=1)
        final = self.final_estimator
        last = final.steps[-1][1] if isinstance(final, Pipeline) else final
        if not has_fit_parameter(last, "sample_weight"):
            raise DataError(
                f"final_estimator {type(last).__name__} does not accept "
                "sample_weight in fit; MixMin trains on weighted rows"
            )
        return final

    # -- predicting ------------------------------------------------------------------------
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of ``X``, columns in ``classes_`` order.

        Parameters
        ----------
        X : SMILES or feature matrix
            As in :meth:`fit`.

        Returns
        -------
        numpy.ndarray of shape (n_samples, 2)
        """
        check_is_fitted(self, "final_estimator_")
        return self.final_estimator_.predict_proba(self._features(X, fitting=False))

    def predict(self, X: Any) -> np.ndarray:
        """The more probable class of each row of ``X``.

        Parameters
        ----------
        X : SMILES or feature matrix
            As in :meth:`fit`.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            Values of ``classes_``.
        """
        proba = self.predict_proba(X)  # first: an unfitted model raises NotFittedError
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Average precision of ``predict_proba(X)`` for the positive class ``classes_[1]``.

        Parameters
        ----------
        X : SMILES or feature matrix
            As in :meth:`fit`.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights of the metric.

        Returns
        -------
        float
        """
        proba = self.predict_proba(X)[:, 1]
        return float(
            average_precision_score(
                np.asarray(y) == self.classes_[1], proba, sample_weight=sample_weight
            )
        )
