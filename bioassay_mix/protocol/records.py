"""What flows between the protocol's stages, as named records: the prepared panel, each target's
plan (its MixMin classifiers, weights fitted), each target's outcome, and the run's result."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import xgboost as xgb

from ..estimator import MixMinClassifier
from ..featurize import Featurizer
from ..library import TARGET
from ..panel import ISSUE_COLUMNS, AssayPanel
from .baselines import SourceRows
from .proxy_training import ProxySet

METHODS = (
    "target_only",
    "natural",
    "balanced",
    "random_search",
    "regmix",
    "mixmin_ensemble",
    "mixmin_trained",
    "mixmin_target_trained",
)
BASELINES = ("target_only", "natural", "balanced", "random_search", "regmix")
#: Methods that are off unless asked for (RunConfig.random_search, .regmix, .mixmin_plus_target).
OPTIONAL_METHODS = ("random_search", "regmix", "mixmin_target_trained")
REPORT_COLUMNS = [
    "target",
    "n_train",
    "n_train_positive",
    "n_test",
    "n_test_positive",
    "n_sources",
    "n_sources_used",
    "top_source",
    "top_weight",
    "weight_on_target",
    *(f"ap_{m}" for m in METHODS),
    *(f"seconds_{m}" for m in METHODS),
]


def methods_in(report: pd.DataFrame) -> list[str]:
    """The methods that ran: optional baselines that were off have no AP.

    Parameters
    ----------
    report : pandas.DataFrame
        A run's report (columns ``ap_<method>``).

    Returns
    -------
    list of str
        Names from :data:`METHODS`, in that order.
    """
    return [m for m in METHODS if f"ap_{m}" in report and report[f"ap_{m}"].notna().any()]


@dataclass
class Prepared:
    """Everything up to the MixMin solve: features, splits, proxies and their predictions.

    Parameters
    ----------
    panel : AssayPanel
        The panel.
    X : scipy.sparse.csr_matrix or future
        Fingerprints, one row per panel compound; on a Dask executor a future (the matrix stays
        on the workers).
    codes : pandas.DataFrame
        Split codes per compound and assay (:mod:`bioassay_mix.splits`).
    sources : SourceRows
        Every proxy's training rows and labels.
    proxies : ProxySet
        The fitted proxies.
    Q : pandas.DataFrame
        Every proxy's class-1 probability for every compound.
    targets : list of str
        The targets to run.
    skipped : list of dict
        Targets left out, with the reason.
    device : str
        Where the models ran.
    timings : dict of str to float
        Wall seconds per stage.
    featurizer : Featurizer
        Fitted; the spec every proxy's features came from.
    parts : list or None, default=None
        On a Dask executor, the fingerprint partitions (futures).
    data_key : str, default=""
        A hash of the panel's content (compounds, assays, every label).
    """

    panel: AssayPanel
    X: Any
    codes: pd.DataFrame
    sources: SourceRows
    proxies: ProxySet
    Q: pd.DataFrame
    targets: list[str]
    skipped: list[dict]
    device: str
    timings: dict[str, float]
    featurizer: Featurizer
    parts: list | None = None
    data_key: str = ""


@dataclass
class TargetPlan:
    """One target's MixMin classifiers (:func:`~.mixmin.plan_target`): weights fitted, final models
    not yet trained.

    Parameters
    ----------
    target : str
        The target assay.
    mixmin : MixMinClassifier
        MixMin against every other assay.
    plus : MixMinClassifier or None, default=None
        With ``mixmin_plus_target``, MixMin + target.
    """

    target: str
    mixmin: MixMinClassifier
    plus: MixMinClassifier | None = None

    @property
    def weights(self) -> pd.Series:
        """MixMin's weights over the other assays."""
        return self.mixmin.weights_.rename(None)

    @property
    def weights_plus(self) -> pd.Series | None:
        """MixMin + target's weights, the target's own under the target's name."""
        if self.plus is None:
            return None
        return self.plus.weights_.rename(None).rename(index={TARGET: self.target})

    @property
    def plus_seconds(self) -> float:
        """What MixMin + target's own weights cost: its out-of-fold column and its solve."""
        if self.plus is None:
            return 0.0
        return sum(self.plus.timings_.get(s, 0.0) for s in ("out_of_fold", "solve"))


@dataclass
class TargetOutcome:
    """One target's report row, its MixMin-trained model (what a bundle deploys), its weights and
    the solver's certificate: what comes back from the target's task.

    Parameters
    ----------
    row : dict
        The target's report row.
    model : xgboost.XGBClassifier
        The MixMin-trained model.
    weights : pandas.Series
        MixMin's weights.
    weights_plus : pandas.Series or None
        MixMin + target's weights, when it ran.
    solver : dict
        The solve's certificate (objective, gap, iterations).
    skipped : list of dict, default=[]
        What was left out of this target, with the reason.
    """

    row: dict[str, Any]
    model: xgb.XGBClassifier
    weights: pd.Series
    weights_plus: pd.Series | None
    solver: dict[str, Any]
    skipped: list[dict] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        plan: TargetPlan,
        row: dict[str, Any],
        model: xgb.XGBClassifier,
    ) -> TargetOutcome:
        """The outcome of ``plan`` with its report ``row`` and MixMin-trained ``model``.

        Parameters
        ----------
        plan : TargetPlan
            The target's fitted weights.
        row : dict
            Its report row.
        model : xgboost.XGBClassifier
            Its MixMin-trained model.

        Returns
        -------
        TargetOutcome
        """
        result = plan.mixmin.result_
        solver = {
            "target": plan.target,
            "objective": result.objective,
            "gap": result.gap,
            "n_iter": result.n_iter,
            "converged": result.converged,
            "solve_s": plan.mixmin.timings_.get("solve", 0.0),
        }
        note = None if plan.plus is None else plan.plus.target_column_note_
        skipped = (
            []
            if note is None
            else [{"assay": plan.target, "role": "target (MixMin + target)", "reason": note}]
        )
        return cls(row, model, plan.weights, plan.weights_plus, solver, skipped)


@dataclass
class RunResult:
    """What :func:`bioassay_mix.run` returns.

    Parameters
    ----------
    report : pandas.DataFrame
        One row per target: counts, each method's test AP (``ap_<method>``), gains, seconds.
    weights : pandas.DataFrame
        Targets x sources, the MixMin weights.
    skipped : pandas.DataFrame
        Assays that were not targets or sources, with the reason.
    solver : pandas.DataFrame
        Per target: objective, duality gap, iterations, converged.
    metadata : dict
        Panel, checksums, configuration, cache key, versions, timings.
    models : dict of str to XGBClassifier, default={}
        The MixMin-trained model of every target (what a bundle deploys).
    weights_plus_target : pandas.DataFrame or None, default=None
        With ``mixmin_plus_target``, the MixMin + target weights: a target's own weight is in
        its own column.
    issues : pandas.DataFrame, default=empty
        The panel's input issues (excluded, merged or changed rows).
    """

    report: pd.DataFrame
    weights: pd.DataFrame
    skipped: pd.DataFrame
    solver: pd.DataFrame
    metadata: dict
    models: dict[str, xgb.XGBClassifier] = field(default_factory=dict)
    weights_plus_target: pd.DataFrame | None = None
    issues: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ISSUE_COLUMNS))

    def save_bundle(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the MixMin-trained models as a scoring bundle (see :mod:`bioassay_mix.bundle`).

        Parameters
        ----------
        path : str or Path
            The bundle folder.
        overwrite : bool, default=False
            Replace an existing bundle there (never a folder that is not a bundle).

        Returns
        -------
        Path
            The bundle folder.
        """
        from ..bundle import Bundle

        return Bundle.from_run(self).save(path, overwrite=overwrite)
