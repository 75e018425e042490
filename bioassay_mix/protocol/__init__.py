"""The paper's protocol over a panel (research code: ``bioassay-mix run`` and ``experiment``,
never imported by ``fit`` or ``score``): proxies, then for every target a MixMinClassifier against
the library of the other assays, final models on the weighted mixture, and average precision
against the baselines.

One module per stage, data flowing one way::

    config.py      RunConfig: the science, hashed into every cache key (where the run goes,
                   bioassay_mix.compute.Compute, is never in a key)
    prepare.py     features, splits, one proxy per assay, every proxy's predictions
    mixmin.py      per target, MixMinClassifier against the library of every other assay (the
                   estimator bioassay-mix fit uses), its weights from the shared proxy table
    baselines.py   natural, balanced, random-search and RegMix mixtures
    dask_fit.py    a large target's mixture models across a Dask cluster
    evaluate.py    per target, its classifiers' weights, then every method's final model and AP
    resume.py      finished targets saved by content, so an interrupted run resumes
    records.py     what flows between them: Prepared, TargetPlan, TargetOutcome, RunResult
    pipeline.py    run(): the stages in order
    comparison.py  several seeds and leakage modes: mean AP with intervals, win/tie/loss
    report.py      a run's and an experiment's tables and plots
"""

from .config import WEIGHT_ROWS, RunConfig
from .mixmin import mixmin_classifier, mixmin_labels, panel_library, plan_target
from .pipeline import run
from .prepare import prepare, run_featurizer
from .records import (
    BASELINES,
    METHODS,
    OPTIONAL_METHODS,
    REPORT_COLUMNS,
    Prepared,
    RunResult,
    TargetOutcome,
    TargetPlan,
    methods_in,
)

__all__ = [
    "BASELINES",
    "METHODS",
    "OPTIONAL_METHODS",
    "REPORT_COLUMNS",
    "WEIGHT_ROWS",
    "Prepared",
    "RunConfig",
    "RunResult",
    "TargetOutcome",
    "TargetPlan",
    "methods_in",
    "mixmin_classifier",
    "mixmin_labels",
    "panel_library",
    "plan_target",
    "prepare",
    "run",
    "run_featurizer",
]
