"""Cross-validating mixing against the target's own labels, then fitting on every label."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.metrics import average_precision_score
from sklearn.model_selection import RepeatedStratifiedKFold
from threadpoolctl import threadpool_limits

from .._utils import StageClock, resolve_n_jobs, t_interval
from ..bundle import Bundle
from ..errors import DataError
from ..estimator import DEFAULT_N_BOOTSTRAP, DEFAULT_TARGET_FLOOR, MixMinClassifier
from ..executor import LocalExecutor
from ..final_model import fit_on_mixture
from ..library import TARGET, ProxyLibrary
from ..natural_prior import DEFAULT_NATURAL_PRIOR
from ._read import TargetData

logger = logging.getLogger(__name__)


METHODS = ("target_only", "natural_plus_target", "mixmin_trained", "mixmin_plus_target")
LABELS = {
    "target_only": "target only",
    "natural_plus_target": "natural + target",
    "mixmin_trained": "MixMin-trained",
    "mixmin_plus_target": "MixMin + target",
}
#: A difference whose 95% interval lies within +-TIE of zero is "no clear difference".
TIE = 0.005


@dataclass
class FitResult:
    """What :func:`fit_target` found.

    Parameters
    ----------
    classifier : MixMinClassifier
        MixMin + target fitted on every labelled compound.
    folds : pandas.DataFrame
        One row per fold and method: AP, ΔAUPRC, sizes.
    summary : pandas.DataFrame
        Per method: mean AP and ΔAUPRC over the folds with 95% intervals.
    comparison : pandas.DataFrame
        MixMin + target against each baseline, fold by fold.
    verdict : str
        Whether mixing helps at this label count, and by how much.
    weights : pandas.DataFrame
        The final weights, each source described (dataset, title, size).
    target : TargetData
        The labelled compounds.
    settings : dict
        The fit's settings, the prior's strength included.
    timings : dict of str to float
        Seconds per stage.
    """

    classifier: MixMinClassifier
    folds: pd.DataFrame
    summary: pd.DataFrame
    comparison: pd.DataFrame
    verdict: str
    weights: pd.DataFrame
    target: TargetData
    settings: dict[str, Any]
    timings: dict[str, float]

    def bundle(self):
        """A scoring bundle of the fitted model (see :mod:`bioassay_mix.bundle`).

        Returns
        -------
        Bundle
        """
        clf = self.classifier
        weights = pd.DataFrame([clf.weights_.rename(self.target.name)])
        info = {
            "target": self.target.name,
            "target_source": self.target.source,
            "library": clf.library.build_params,
            "settings": self.settings,
            "test_ap": {self.target.name: self.summary.set_index("method")["mean_ap"].to_dict()},
        }
        return Bundle(
            {self.target.name: clf.final_estimator_}, clf.library.featurizer.spec(), weights, info
        )


def fit_target(
    target: TargetData,
    library: ProxyLibrary,
    *,
    final_estimator: Any = None,
    natural_prior: float | str = DEFAULT_NATURAL_PRIOR,
    n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
    target_floor: float | str = DEFAULT_TARGET_FLOOR,
    cv: int = 5,
    repeats: int = 1,
    random_state: int = 0,
    n_jobs: int | None = None,
    device: str = "auto",
    verbose: bool = True,
) -> FitResult:
    """Cross-validate mixing against the target's own labels, then fit on every label.

    Parameters
    ----------
    target : TargetData
        From :func:`read_target`.
    library : ProxyLibrary
        The sources.
    final_estimator : classifier or None, default=None
        As in :class:`MixMinClassifier` (default XGBoost, 100 trees, depth 6).
    natural_prior : float or "auto", default="auto"
        As in :class:`MixMinClassifier`: the MixMin methods' pull toward natural pooling.
    n_bootstrap : int, default=50
        As in :class:`MixMinClassifier`: resamples whose MixMin weights are averaged.
    target_floor : float or "auto", default="auto"
        As in :class:`MixMinClassifier`: the least weight of the target's rows in the final
        model, in multiples of the largest source's.
    cv : int, default=5
        Folds; each class needs at least ``cv`` compounds.
    repeats : int, default=1
        Repeats of the k-fold split, each with its own shuffle.
    random_state : int, default=0
    n_jobs : int or None, default=None
        Threads (proxies predicting, the final estimator).
    device : {"auto", "cpu", "cuda"}, default="auto"
    verbose : bool, default=True
        Progress over folds.

    Returns
    -------
    FitResult
    """
    if cv < 2 or repeats < 1:
        raise DataError(f"cv must be >= 2 and repeats >= 1, got {cv}, {repeats}")
    counts = np.bincount(target.y, minlength=2)
    if counts.min() < cv:
        cls = int(np.argmin(counts))
        raise DataError(
            f"{target.name}: {counts[cls]} compounds labelled {cls}, fewer than the "
            f"{cv} folds; use fewer folds (--cv) or label more compounds"
        )
    n_jobs = resolve_n_jobs(n_jobs)
    seen = int(pd.Index(target.smiles).isin(library.compounds).sum())
    if seen:
        logger.warning(
            "%s: %d of its %d compounds are training compounds of the library's "
            "sources, whose proxies predict them from memory: the weights lean "
            "toward those sources and the cross-validated AP is optimistic (build "
            "the library with them excluded: --exclude)",
            target.name,
            seen,
            len(target.y),
        )
    clock = StageClock()
    features = library.features(target.smiles)
    source_proba = library.predict(features, n_jobs=n_jobs)
    clock.lap("featurize_and_predict_sources")
    model = {
        "final_estimator": final_estimator,
        "natural_prior": natural_prior,
        "n_bootstrap": n_bootstrap,
        "target_floor": target_floor,
        "random_state": random_state,
        "n_jobs": n_jobs,
        "device": device,
    }
    splitter = RepeatedStratifiedKFold(n_splits=cv, n_repeats=repeats, random_state=random_state)
    splits = list(splitter.split(features, target.y))
    # n_jobs folds at a time, one thread each: small XGBoost fits gain little from a second
    # thread, and workers x threads stay within the cores
    with threadpool_limits(limits=1):
        scores = LocalExecutor(n_jobs).map(
            _fold_scores,
            splits,
            shared={
                "library": library,
                "features": features,
                "y": target.y,
                "source_proba": source_proba,
                "model": {**model, "n_jobs": 1},
            },
            desc="folds",
            verbose=verbose,
        )
    rows = []
    for k, ((train, test), fold) in enumerate(zip(splits, scores, strict=True)):
        rate = float(target.y[test].mean())
        rows += [
            {
                "repeat": k // cv,
                "fold": k % cv,
                "method": m,
                "n_train": len(train),
                "n_test": len(test),
                "positive_rate": rate,
                "ap": ap,
                "delta_auprc": ap - rate,
            }
            for m, ap in fold.items()
        ]
    clock.lap("cross_validation")
    folds = pd.DataFrame(rows)
    final = MixMinClassifier(library, include_target=True, **model)
    final.fit(features, target.y, source_proba=source_proba)
    clock.lap("final_fit")
    summary, comparison = _summarise(folds)
    settings = {
        "cv": cv,
        "repeats": repeats,
        "random_state": random_state,
        "natural_prior": natural_prior,
        "natural_prior_strength": final.natural_prior_,
        "n_bootstrap": n_bootstrap,
        "target_floor": target_floor,
        "target_floor_value": final.target_floor_,
        "target_only": math.isinf(final.target_floor_),
        "in_library": final.in_library_,
        "final_estimator": type(final.final_estimator_).__name__,
        "n_target_compounds_in_library": seen,
        "library_fill": library.fill,
    }
    return FitResult(
        final,
        folds,
        summary,
        comparison,
        _verdict(comparison, target, cv, final),
        _weights_table(final, library),
        target,
        settings,
        clock.timings,
    )


def method_probabilities(
    library: ProxyLibrary,
    X_train: sp.csr_matrix,
    y_train: np.ndarray,
    proba_train: np.ndarray,
    X_test: sp.csr_matrix,
    model: dict,
) -> tuple[dict[str, np.ndarray], MixMinClassifier]:
    """Class-1 probabilities on ``X_test`` of each of :data:`METHODS` trained on the target's
    rows, and the fitted MixMin + target classifier.

    Parameters
    ----------
    library : ProxyLibrary
        The sources.
    X_train : scipy.sparse.csr_matrix
        The target's training rows, as the library's features.
    y_train : numpy.ndarray of 0/1
        Their labels.
    proba_train : numpy.ndarray of shape (n_train, n_sources)
        The sources' class-1 probabilities of those rows.
    X_test : scipy.sparse.csr_matrix
        The rows to score.
    model : dict
        Parameters of :class:`~bioassay_mix.estimator.MixMinClassifier` (``final_estimator``,
        ``random_state``, ``n_jobs``, ``device``, and any of its mixing parameters).

    Returns
    -------
    probabilities : dict of str to numpy.ndarray
        Per method, the class-1 probability of each row of ``X_test``.
    classifier : MixMinClassifier
        MixMin + target, fitted.
    """
    fitted = {}
    for method, include in (("mixmin_trained", False), ("mixmin_plus_target", True)):
        clf = MixMinClassifier(library, include_target=include, **model)
        fitted[method] = clf.fit(X_train, y_train, source_proba=proba_train)
    template = fitted["mixmin_trained"].final_template()
    seed, n_jobs = model["random_state"], model["n_jobs"]
    models = {m: c.final_estimator_ for m, c in fitted.items()}
    models["target_only"] = fit_on_mixture(
        template,
        library,
        pd.Series({TARGET: 1.0}),
        X_train,
        y_train,
        merge=False,
        random_state=seed,
        n_jobs=n_jobs,
    )
    natural = pd.Series(1.0, index=[*library.sources, TARGET])
    models["natural_plus_target"] = fit_on_mixture(
        template, library, natural, X_train, y_train, merge=True, random_state=seed, n_jobs=n_jobs
    )
    return (
        {m: models[m].predict_proba(X_test)[:, 1] for m in METHODS},
        fitted["mixmin_plus_target"],
    )


def _fold_scores(
    split: tuple[np.ndarray, np.ndarray],
    *,
    library: ProxyLibrary,
    features: sp.csr_matrix,
    y: np.ndarray,
    source_proba: np.ndarray,
    model: dict,
) -> dict[str, float]:
    train, test = split
    proba, _ = method_probabilities(
        library, features[train], y[train], source_proba[train], features[test], model
    )
    return {m: float(average_precision_score(y[test], p)) for m, p in proba.items()}


def _summarise(folds: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    summary, comparison = [], []
    wide = folds.pivot_table(index=["repeat", "fold"], columns="method", values="ap")
    for m in METHODS:
        part = folds[folds["method"] == m]
        ap, lo, hi = t_interval(part["ap"], bounds=(0.0, 1.0))
        delta, dlo, dhi = t_interval(part["delta_auprc"])
        summary.append(
            {
                "method": m,
                "label": LABELS[m],
                "mean_ap": ap,
                "ap_ci_low": lo,
                "ap_ci_high": hi,
                "mean_delta_auprc": delta,
                "delta_ci_low": dlo,
                "delta_ci_high": dhi,
                "n_folds": len(part),
            }
        )
    for baseline in ("target_only", "natural_plus_target", "mixmin_trained"):
        diff = (wide["mixmin_plus_target"] - wide[baseline]).to_numpy()
        mean, lo, hi = t_interval(diff)
        wins, losses = int((diff > TIE).sum()), int((diff < -TIE).sum())
        comparison.append(
            {
                "baseline": baseline,
                "label": LABELS[baseline],
                "mean_gain": mean,
                "ci_low": lo,
                "ci_high": hi,
                "folds_won": wins,
                "folds_tied": len(diff) - wins - losses,
                "folds_lost": losses,
            }
        )
    return pd.DataFrame(summary), pd.DataFrame(comparison)


def _verdict(comparison: pd.DataFrame, target: TargetData, cv: int, final: MixMinClassifier) -> str:
    row = comparison.set_index("baseline").loc["target_only"]
    n = len(target.y)
    where = f"at {n} labelled compounds ({target.n_positive} positive), {cv}-fold cross-validation"
    interval = f"{row.mean_gain:+.3f} AP, 95% CI [{row.ci_low:+.3f}, {row.ci_high:+.3f}]"
    if math.isinf(final.target_floor_):
        why = (
            f"{final.in_library_:.0%} of your compounds are training compounds of the "
            "library's sources, too few for their proxies to know your chemistry (target_floor "
            "auto)"
            if final.target_floor == "auto"
            else "target_floor is inf"
        )
        return (
            f"No mixing: {why}, so the model is {type(final.final_estimator_).__name__} on your "
            f"labels alone; {where}, it scores {interval} against target-only with the final "
            "learner."
        )
    if row.ci_low > 0:
        return f"Mixing helps {where}: MixMin + target beats target-only by {interval}."
    if row.ci_high < 0:
        return (
            f"Mixing does not help {where}: MixMin + target trails target-only by "
            f"{interval}; train on your own labels."
        )
    return (
        f"No clear difference {where}: MixMin + target against target-only {interval}; "
        "more labels or folds would tell."
    )


def _weights_table(clf: MixMinClassifier, library: ProxyLibrary) -> pd.DataFrame:
    w = clf.weights_
    info = library.info.reindex(w.index)
    table = pd.DataFrame(
        {
            "source": w.index,
            "weight": w.to_numpy(),
            "dataset": info["dataset"].fillna("(your assay)").to_numpy(),
            "title": info["title"].fillna("").to_numpy(),
            "description": info.get("description", pd.Series("", index=info.index))
            .fillna("")
            .to_numpy(),
            # counts, blank for the target's own column
            "n_train": info["n_train"].astype("Int64").array,
            "n_positive": info["n_positive"].astype("Int64").array,
        }
    )
    return table.sort_values("weight", ascending=False, kind="stable").reset_index(drop=True)
