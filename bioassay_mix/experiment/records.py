"""What flows between the protocol's stages, as named records: the prepared panel, each target's
plan (its weights and any models trained ahead), each target's outcome, and the run's result."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import xgboost as xgb

from ..baselines import SourceRows
from ..panel import ISSUE_COLUMNS, AssayPanel
from ..proxies import ProxySet

METHODS = ("target_only", "natural", "balanced", "random_search", "regmix", "mixmin_ensemble",
           "mixmin_trained", "mixmin_target_trained")
BASELINES = ("target_only", "natural", "balanced", "random_search", "regmix")
#: Methods that are off unless asked for (RunConfig.random_search, .regmix, .mixmin_plus_target).
OPTIONAL_METHODS = ("random_search", "regmix", "mixmin_target_trained")
REPORT_COLUMNS = ["target", "n_train", "n_train_positive", "n_test", "n_test_positive",
                  "n_sources", "n_sources_used", "top_source", "top_weight", "weight_on_target",
                  *(f"ap_{m}" for m in METHODS), *(f"seconds_{m}" for m in METHODS)]


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
    """Everything up to the MixMin solve: features, splits, proxies and their predictions."""

    panel: AssayPanel
    X: Any                           # fingerprints (CSR), one row per panel compound; on a
                                     # Dask executor a future: the matrix stays on the workers
    codes: pd.DataFrame              # split codes (see splits.py)
    sources: SourceRows              # every proxy's training rows and labels
    proxies: ProxySet
    Q: pd.DataFrame                  # every proxy's class-1 probability for every compound
    targets: list[str]
    skipped: list[dict]
    device: str
    timings: dict[str, float]
    parts: list | None = None        # Dask executor: the fingerprint partitions (futures)
    data_key: str = ""               # the panel's content (compounds, assays, every label)


@dataclass
class TargetPlan:
    """One target's solved weights, before its final models.

    ``weights_plus`` (MixMin + target) holds the target's own weight under its own name;
    ``oof_seconds`` is what its out-of-fold column cost; ``prefit`` holds mixture models
    trained ahead across a Dask cluster, by method, with their seconds.
    """

    target: str
    weights: pd.Series
    weights_plus: pd.Series | None = None
    oof_seconds: float = 0.0
    prefit: dict[str, tuple[xgb.XGBClassifier, float]] = field(default_factory=dict)


@dataclass
class TargetOutcome:
    """One target's report row and its MixMin-trained model (what a bundle deploys)."""

    row: dict[str, Any]
    model: xgb.XGBClassifier


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
