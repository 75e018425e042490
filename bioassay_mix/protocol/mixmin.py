"""The protocol's MixMin step, one target at a time: a :class:`~bioassay_mix.MixMinClassifier`
against the library of every other assay of the panel (their proxies, proxy-train rows and
labels), fitted on the target's ``weight_rows`` rows. It is the estimator that ``bioassay-mix
fit`` uses on a user's assay, so research runs and user fits share one code path. With
``mixmin_plus_target`` a second classifier adds the target's own rows as one more source, its
column the out-of-fold predictions of the target's own proxy (grid-searched with the others
under ``grid_search``), or with ``weight_rows="validation"`` that proxy's own predictions, since
it never saw those rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..estimator import MixMinClassifier
from ..library import ProxyLibrary
from ..proxies import make_classifier
from ..splits import rows
from .config import WEIGHT_ROWS, RunConfig
from .records import Prepared, TargetPlan


def panel_library(prep: Prepared) -> ProxyLibrary:
    """Every proxy of a prepared panel as a :class:`~bioassay_mix.library.ProxyLibrary`.

    Parameters
    ----------
    prep : Prepared
        The output of :func:`~bioassay_mix.protocol.prepare`, with its features at hand (on a
        Dask worker: the matrix, not its future).

    Returns
    -------
    ProxyLibrary
        Per assay its proxy and proxy-train rows and labels, over the panel's features (shared
        with ``prep``, not copied). A target uses ``.without([target])``.
    """
    models, src = prep.proxies.models, prep.sources
    info = pd.DataFrame(
        {
            "dataset": prep.panel.name,
            "title": "",
            "n_train": [len(src.rows[a]) for a in models],
            "n_positive": [int(src.labels[a].sum()) for a in models],
        },
        index=pd.Index(list(models), name="source"),
    )
    return ProxyLibrary(
        featurizer=prep.featurizer,
        proxies=dict(models),
        compounds=prep.panel.labels.index,
        X=prep.X,
        rows=dict(src.rows),
        labels=dict(src.labels),
        info=info,
    )


def plan_target(
    target: str, prep: Prepared, cfg: RunConfig, library: ProxyLibrary | None = None
) -> TargetPlan:
    """``target``'s MixMin classifiers, their weights fitted on its ``cfg.weight_rows`` rows.

    Parameters
    ----------
    target : str
        One of ``prep.targets``.
    prep : Prepared
        The prepared panel; the sources' predictions come from ``prep.Q``, not again from the
        proxies.
    cfg : RunConfig
        The run's settings (solver, tolerance, pruning, final model, folds, seed, threads).
    library : ProxyLibrary or None, default=None
        :func:`panel_library` of ``prep``, when already built.

    Returns
    -------
    TargetPlan
        The final models are trained later (:func:`~.evaluate.evaluate_target`), once a
        finished result saved for these weights has been looked for.
    """
    library = (library if library is not None else panel_library(prep)).without([target])
    r = rows(prep.codes, target, WEIGHT_ROWS[cfg.weight_rows])
    y = prep.panel.labels[target].to_numpy()[r].astype(np.int32)
    X, proba = prep.X[r], prep.Q.iloc[r][library.sources].to_numpy()
    plan = TargetPlan(target, mixmin_classifier(library, prep, cfg, target, include_target=False))
    plan.mixmin.fit_weights(X, y, source_proba=proba)
    if cfg.mixmin_plus_target:
        plan.plus = mixmin_classifier(library, prep, cfg, target, include_target=True)
        # the target's proxy never saw its validation rows: its own predictions there are out
        # of sample already, from a proxy trained on more rows than any out-of-fold one
        own = prep.Q[target].to_numpy()[r] if cfg.weight_rows == "validation" else None
        plan.plus.fit_weights(X, y, source_proba=proba, target_proba=own)
    return plan


def mixmin_classifier(
    library: ProxyLibrary, prep: Prepared, cfg: RunConfig, target: str, *, include_target: bool
) -> MixMinClassifier:
    """The protocol's :class:`~bioassay_mix.MixMinClassifier` for ``target`` (unfitted).

    Parameters
    ----------
    library : ProxyLibrary
        Every other assay.
    prep : Prepared
        The prepared panel (the target's proxy, the device).
    cfg : RunConfig
        Solver, tolerance, pruning, final XGBoost parameters, folds, seed and threads.
    target : str
        The target assay.
    include_target : bool
        MixMin + target.

    Returns
    -------
    MixMinClassifier
        Plain MixMin (no prior, one solve, as in the paper); its final model is XGBoost with
        ``cfg.final_params``.
    """
    n_jobs = cfg.compute.n_jobs
    final = make_classifier(
        cfg.final_params, device=prep.device, n_jobs=n_jobs, random_state=cfg.seed
    )
    return MixMinClassifier(
        library,
        final_estimator=final,
        include_target=include_target,
        target_proxy=prep.proxies.models[target] if include_target else None,
        oof_folds=cfg.oof_folds,
        solver=cfg.solver,
        tol=cfg.tol,
        natural_prior=0.0,
        n_bootstrap=0,
        target_floor=0.0,
        prune=cfg.prune,
        n_jobs=n_jobs,
        random_state=cfg.seed,
        device=prep.device,
    )


def mixmin_labels(prep: Prepared, weight_rows: str = "proxy_train") -> pd.DataFrame:
    """Each target's labels on its ``weight_rows`` compounds, NaN elsewhere: with ``prep.Q``,
    every target's MixMin problem in the form :func:`bioassay_mix.solve_panel` takes.

    Parameters
    ----------
    prep : Prepared
        The output of :func:`~bioassay_mix.protocol.prepare`.
    weight_rows : {"proxy_train", "validation"}, default="proxy_train"
        Which of each target's rows.

    Returns
    -------
    pandas.DataFrame
        Compounds x targets, indexed as ``prep.Q``.
    """
    code = WEIGHT_ROWS[weight_rows]
    L = np.full((len(prep.Q), len(prep.targets)), np.nan)
    for j, t in enumerate(prep.targets):
        r = rows(prep.codes, t, code)
        L[r, j] = prep.panel.labels[t].to_numpy()[r]
    return pd.DataFrame(L, index=prep.Q.index, columns=prep.targets)


def weights_frame(weights: dict[str, pd.Series], prep: Prepared) -> pd.DataFrame:
    """Targets x sources (every proxy's assay), NaN where a source is the target itself.

    Parameters
    ----------
    weights : dict of str to pandas.Series
        Each target's weights over its sources (MixMin + target's own under the target's name).
    prep : Prepared
        The prepared panel (its proxies' assays give the columns).

    Returns
    -------
    pandas.DataFrame
    """
    return pd.DataFrame(weights).T.reindex(columns=prep.proxies.assays)
