"""The steps of :class:`~bioassay_mix.estimator.MixMinClassifier`'s ``fit`` behind its public
methods: check the parameters, featurize, predict the sources, the target's own column, solve
the weights, train the final model on the weighted mixture; and the checks of ``y`` and of
probabilities given in place of predictions."""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from typing import Any, Self

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.utils import check_random_state, resample
from sklearn.utils.multiclass import type_of_target

from .._utils import StageClock, resolve_n_jobs
from ..compute import seeded
from ..device import resolve_device
from ..errors import DataError
from ..final_model import fit_on_mixture, weights_are_counts
from ..library import TARGET, is_feature_matrix
from ..mixture import source_row_weights
from ..natural_prior import (
    AUTO_PRIOR_MIN_FILL,
    natural_prior_counts,
    natural_prior_strength,
)
from ..solver import DEFAULT_EPS, MixMinResult, solve
from ..solver.objectives import observed_label_proba
from ..solver.prior import PRIOR_METHOD, solve_dirichlet

logger = logging.getLogger("bioassay_mix.estimator")

#: Bootstrap resamples whose MixMin weights :class:`MixMinClassifier` averages by default,
#: chosen on FS-Mol's valid tasks (``benchmarks/fsmol.py``).
DEFAULT_N_BOOTSTRAP = 50

#: :class:`MixMinClassifier`'s default ``target_floor``: :data:`AUTO_TARGET_FLOOR` on a sparse
#: library, none on a dense one (:func:`target_floor_value`).
DEFAULT_TARGET_FLOOR = "auto"

#: The least weight, as a multiple of the largest source's, that ``target_floor="auto"``
#: gives the target's own rows in the final model on a library sparser than
#: :data:`~bioassay_mix.natural_prior.AUTO_PRIOR_MIN_FILL`, chosen on FS-Mol's valid tasks and
#: checked on the MoleculeNet panels (``benchmarks/fsmol.py``, ``benchmarks/label_budget.py``).
AUTO_TARGET_FLOOR = 1.0

#: On such a library, ``target_floor="auto"`` trains the final model on the target's rows
#: alone when fewer than this share of its compounds are among the sources' training
#: compounds (:meth:`~bioassay_mix.library.ProxyLibrary.in_library`): chosen on FS-Mol's valid
#: tasks and checked on a library built without their compounds (``benchmarks/fsmol.py``).
AUTO_TARGET_ONLY_BELOW = 0.5

#: Trees of the random forest that trains on the target's rows alone by default (FS-Mol's
#: single-task baseline).
DEFAULT_TARGET_ONLY_TREES = 500


def target_floor_value(target_floor: float | str, fill: float, in_library: float = 1.0) -> float:
    """The floor that ``target_floor`` gives on a library whose sources label ``fill`` of its
    compounds x sources cells, for a target whose compounds are ``in_library`` of them
    among the sources' training compounds.

    Parameters
    ----------
    target_floor : float or "auto"
        A number is itself. ``"auto"`` on a library below
        :data:`~bioassay_mix.natural_prior.AUTO_PRIOR_MIN_FILL` (ChEMBL's assays, each its
        own chemical series): :data:`AUTO_TARGET_FLOOR` when at least
        :data:`AUTO_TARGET_ONLY_BELOW` of the target's compounds are training compounds of
        some source, whose proxies know their labels; ``inf``, the target's rows alone, when
        fewer are, since proxies that never saw a chemical series predict it worse than a
        model of the target's own labels. On a denser library 0 (a panel measured on one
        compound library, whose sources label your compounds already).
    fill : float
        :attr:`~bioassay_mix.library.ProxyLibrary.fill`.
    in_library : float, default=1.0
        The share of the target's compounds that some source trained on.

    Returns
    -------
    float
        The least weight of the target's rows, in multiples of the largest source's (0: none;
        ``inf``: the target's rows alone).

    Examples
    --------
    >>> target_floor_value("auto", 0.0004), target_floor_value("auto", 0.83)
    (1.0, 0.0)
    >>> target_floor_value("auto", 0.0004, in_library=0.1)
    inf
    """
    if target_floor != "auto":
        return float(target_floor)
    if fill >= AUTO_PRIOR_MIN_FILL:
        return 0.0
    return AUTO_TARGET_FLOOR if in_library >= AUTO_TARGET_ONLY_BELOW else math.inf


class FitSteps:
    """What :class:`~bioassay_mix.estimator.MixMinClassifier`'s public fitting methods do, step
    by step; the parameters are the estimator's."""

    def _weigh(
        self, X: Any, y: Any, source_proba: Any, target_proba: Any
    ) -> tuple[sp.csr_matrix, np.ndarray, StageClock]:
        """Check the parameters, featurize ``X`` and fit the weights: the features, the 0/1
        labels and the stage clock, for the final model."""
        method, clock = self._check_params(), StageClock()
        features = self._features(X, fitting=True)
        clock.lap("featurize")
        y01 = self._fit_weights(method, features, y, source_proba, target_proba, clock)
        return features, y01, clock

    def _fit_weights(
        self,
        method: str,
        features: sp.csr_matrix,
        y: Any,
        source_proba: Any,
        target_proba: Any,
        clock: StageClock,
    ) -> np.ndarray:
        """Steps 1-3 on features with the solver ``method`` (parameters already checked); the
        labels as 0/1."""
        labels = binary_target(y)
        if features.shape[0] != len(labels):
            raise DataError(f"X has {features.shape[0]} compounds but y has {len(labels)} labels")
        self.classes_, y01 = np.unique(labels, return_inverse=True)
        y01 = y01.astype(np.int32)
        lib = self.library
        if source_proba is None:
            source_proba = lib.predict(features, n_jobs=resolve_n_jobs(self.n_jobs))
        source_proba = probabilities(
            "source_proba",
            source_proba,
            (len(y01), len(lib.sources)),
            f"the library's {len(lib.sources)} sources on {len(y01)} compounds",
        )
        P = observed_label_proba(source_proba, y01)
        clock.lap("predict_sources")
        columns = list(lib.sources)
        self.target_column_note_ = None
        if self.include_target:
            own = (
                self._out_of_fold(features, y01)
                if target_proba is None
                else probabilities(
                    "target_proba", target_proba, (len(y01),), f"{len(y01)} compounds"
                )
            )
            if own is None:
                self.target_column_note_ = (
                    "fewer than 2 compounds in a class: the target's "
                    "own out-of-fold column was left out"
                )
                logger.warning("MixMinClassifier: %s", self.target_column_note_)
            else:
                P = np.column_stack([P, observed_label_proba(own[:, None], y01)[:, 0]])
                columns.append(TARGET)
        clock.lap("out_of_fold")
        P = pd.DataFrame(P, columns=columns)
        self.natural_prior_ = natural_prior_strength(self.natural_prior, *P.shape, fill=lib.fill)
        if method == PRIOR_METHOD and self.natural_prior_ == 0:
            if self.solver != "auto":
                raise DataError(
                    f"natural_prior='auto' puts no prior on this library (its "
                    f"sources label {lib.fill:.2%} of its cells, below "
                    f"{AUTO_PRIOR_MIN_FILL:.0%}); solver={self.solver!r} needs "
                    "one: give natural_prior a number, or solver='auto'"
                )
            method = "active_set"
        if method == PRIOR_METHOD:
            counts = self._row_counts(len(y01))
            beta = natural_prior_counts(counts[columns], self.natural_prior_).to_numpy()

            def solve_on(Q: pd.DataFrame) -> MixMinResult:
                return solve_dirichlet(Q, beta, tol=self.tol)
        else:
            device = "cpu" if method == "active_set" else resolve_device(self.device)

            def solve_on(Q: pd.DataFrame) -> MixMinResult:
                return solve(Q, method=method, tol=self.tol, device=device)

        if self.n_bootstrap:
            result = bagged_solve(solve_on, P, y01, self.n_bootstrap, self.random_state)
        else:
            result = solve_on(P)
        self.result_ = result
        self.weights_ = result.weights.rename("weight")
        self.objective_ = float(result.objective)
        self.gap_ = float(result.gap)
        self.n_iter_ = int(result.n_iter)
        clock.lap("solve")
        self.timings_ = dict(clock.timings)
        return y01

    def _fit_final(self, features: sp.csr_matrix, y01: np.ndarray, clock: StageClock) -> Self:
        n_jobs = resolve_n_jobs(self.n_jobs)
        final = self.final_template()
        self.in_library_ = float(self.library.in_library(features).mean())
        self.target_floor_ = (
            target_floor_value(self.target_floor, self.library.fill, self.in_library_)
            if self.include_target
            else 0.0
        )
        if math.isinf(self.target_floor_):
            alone = self.target_only_estimator
            if alone is None:
                alone = RandomForestClassifier(n_estimators=DEFAULT_TARGET_ONLY_TREES)
            model = seeded(alone, self.random_state, n_jobs=n_jobs)
            self.final_estimator_ = model.fit(features, y01)
        else:
            row_w = source_row_weights(
                self._final_weights(), self._row_counts(len(y01)), self.prune
            )
            self.final_estimator_ = fit_on_mixture(
                final,
                self.library,
                row_w,
                features,
                y01,
                merge=self._merge(final),
                random_state=self.random_state,
                n_jobs=n_jobs,
            )
        clock.lap("final_fit")
        self.timings_ = {**self.timings_, **clock.timings}
        return self

    def _final_weights(self) -> pd.Series:
        """``weights_`` with the target's raised to ``target_floor_`` times the largest
        source's, renormalised: the mixture the final model trains on."""
        w = self.weights_
        if not self.target_floor_ or TARGET not in w.index:
            return w
        w = w.copy()
        w[TARGET] = max(w[TARGET], self.target_floor_ * w.drop(TARGET).max())
        return w / w.sum()

    def _row_counts(self, n_target: int) -> pd.Series:
        """Training rows per source, and ``n_target`` for the target's own rows."""
        counts = {s: len(self.library.rows[s]) for s in self.library.sources}
        return pd.Series({**counts, TARGET: n_target}, dtype=np.int64)

    def _check_params(self) -> str:
        """Check the joint parameters (each one alone is validated by ``_fit_context``), the
        featurizer and the final learner before any work; return the solver."""
        self.final_template()  # a learner without sample_weight is refused
        self._check_featurizer()
        prior = self.natural_prior == "auto" or self.natural_prior > 0
        if self.solver == "auto":
            return PRIOR_METHOD if prior else "active_set"
        if prior != (self.solver == PRIOR_METHOD):
            raise ValueError(
                f"solver={self.solver!r} with natural_prior={self.natural_prior!r}: "
                f"{PRIOR_METHOD!r} solves MixMin with a prior (natural_prior 'auto' "
                "or > 0), the others plain MixMin (natural_prior=0); 'auto' picks"
            )
        return self.solver

    def _check_featurizer(self) -> None:
        if self.featurizer is None:
            return
        ours, theirs = self.featurizer.spec(), self.library.featurizer.spec()
        if ours != theirs:
            raise DataError(
                f"featurizer {ours} differs from the library's {theirs}; the "
                "proxies only understand the library's features"
            )

    def _features(self, X: Any, *, fitting: bool) -> sp.csr_matrix:
        if isinstance(X, pd.DataFrame):
            names = np.asarray(X.columns, dtype=object)
            if fitting:
                self.feature_names_in_ = names
                self.n_features_in_ = X.shape[1]
            elif hasattr(self, "feature_names_in_") and not np.array_equal(
                names, self.feature_names_in_
            ):
                raise DataError(
                    f"X has columns {list(names)[:5]}; fitted with "
                    f"{list(self.feature_names_in_)[:5]}"
                )
            X = X.to_numpy() if X.shape[1] != 1 else X.iloc[:, 0]
        elif fitting and is_feature_matrix(X):
            self.n_features_in_ = X.shape[1]
        return self.library.features(X)

    def _out_of_fold(self, features, y01: np.ndarray) -> np.ndarray | None:
        folds = min(self.oof_folds, int(np.bincount(y01, minlength=2).min()))
        if folds < 2:
            return None
        template = (
            self.target_proxy if self.target_proxy is not None else self.library.proxy_template()
        )
        proxy = seeded(template, self.random_state, n_jobs=1)
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
        return cross_val_predict(proxy, features, y01, cv=cv, method="predict_proba")[:, 1]

    def _merge(self, template: Any) -> bool:
        exact = weights_are_counts(template)
        if self.merge_rows == "auto":
            return exact
        if self.merge_rows and not exact:
            warnings.warn(
                f"merge_rows=True with {type(template).__name__}, which does not "
                "treat sample weights as counts (row subsampling or bootstrap): the "
                "merged rows train a different model",
                UserWarning,
                stacklevel=3,
            )
        return bool(self.merge_rows)


def bagged_solve(
    solve_on: Callable[[pd.DataFrame], MixMinResult],
    P: pd.DataFrame,
    y01: np.ndarray,
    n_bootstrap: int,
    random_state: Any,
) -> MixMinResult:
    """MixMin's weights averaged over ``n_bootstrap`` resamples of ``P``'s rows drawn with
    replacement, stratified by ``y01`` (each resample keeps the class counts).

    A few dozen labels leave the optimum sparse and sensitive to single compounds; the
    average keeps every source that the resamples pick, by how often and how much. The
    result's ``objective`` is MixMin's (unpenalised) objective of all rows at the averaged
    weights, ``gap`` the largest of the resamples' certified gaps, ``n_iter`` their sum.
    """
    rng = check_random_state(random_state)
    rows = np.arange(len(y01))
    results = [
        solve_on(P.iloc[resample(rows, replace=True, stratify=y01, random_state=rng)])
        for _ in range(n_bootstrap)
    ]
    w = np.mean([r.weights.to_numpy() for r in results], axis=0)
    first = results[0]
    return MixMinResult(
        weights=pd.Series(w / w.sum(), index=P.columns, name=first.weights.name),
        objective=float(-np.mean(np.log(np.maximum(P.to_numpy(), DEFAULT_EPS) @ w))),
        gap=max(r.gap for r in results),
        n_iter=sum(r.n_iter for r in results),
        converged=all(r.converged for r in results),
        loss=first.loss,
        method=f"{first.method} averaged over {n_bootstrap} bootstrap resamples",
        target=first.target,
    )


def binary_target(y: Any) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1:
        arr = arr.reshape(-1) if arr.ndim == 2 and 1 in arr.shape else arr
    if arr.ndim != 1:
        raise DataError(f"y must be 1-D, got shape {np.shape(y)}")
    if pd.isna(pd.Series(arr)).any():
        row = int(np.flatnonzero(pd.isna(pd.Series(arr)).to_numpy())[0])
        raise DataError(f"y has a missing label at row {row}")
    kind = type_of_target(arr)
    n_classes = len(np.unique(arr))
    if n_classes < 2:
        only = arr[0].item() if isinstance(arr[0], np.generic) else arr[0]  # no np.int64(1)
        raise DataError(f"y has one class only ({only!r}); MixMin needs positives and negatives")
    if kind != "binary":
        raise DataError(f"y must be binary (two classes), got {n_classes} classes ({kind})")
    return arr


def probabilities(name: str, values: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    """``values`` as float64 probabilities of ``shape``, or an error naming ``name`` and the
    first value that is not a probability."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numbers: {exc}") from None
    if arr.shape != shape:
        raise DataError(f"{name} has shape {arr.shape}; {what} give {shape}")
    bad = np.flatnonzero(~((arr >= 0) & (arr <= 1)).reshape(-1))
    if len(bad):
        at = np.unravel_index(bad[0], shape)
        raise DataError(
            f"{name} holds {float(arr[at])!r} at {tuple(int(i) for i in at)}; class-1 "
            "probabilities lie in [0, 1]"
        )
    return arr
