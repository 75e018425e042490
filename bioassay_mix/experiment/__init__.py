"""The MixMin protocol over a panel: proxies, then for every target a MixMinClassifier against
the library of the other assays, final models on the weighted mixture, and average precision
against the baselines.

One module per stage, data flowing one way::

    config.py    RunConfig (the science, hashed into every cache key) and Compute (device,
                 jobs, executor: never in a key)
    prepare.py   features, splits, one proxy per assay, every proxy's predictions
    mixmin.py    per target, MixMinClassifier against the library of every other assay (the
                 estimator bioassay-mix fit uses), its weights from the shared proxy table
    evaluate.py  per target, its classifiers' weights, then every method's final model
                 (target-only, natural, balanced, MixMin through the classifiers, ...) and AP
    resume.py    finished targets saved by content, so an interrupted run resumes
    records.py   what flows between them: Prepared, TargetPlan, TargetOutcome, RunResult
    protocol.py  run(): the stages in order
"""

from .config import WEIGHT_ROWS, Compute, RunConfig
from .mixmin import mixmin_classifier, mixmin_labels, panel_library, plan_target
from .prepare import prepare, run_featurizer
from .protocol import run
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

__all__ = ["BASELINES", "METHODS", "OPTIONAL_METHODS", "REPORT_COLUMNS", "WEIGHT_ROWS", "Compute",
           "Prepared", "RunConfig", "RunResult", "TargetOutcome", "TargetPlan", "methods_in",
           "mixmin_classifier", "mixmin_labels", "panel_library", "plan_target", "prepare", "run",
           "run_featurizer"]
