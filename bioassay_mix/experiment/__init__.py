"""The MixMin protocol over a panel: proxies, weights for every target in one batched solve,
final models on the weighted mixture, and average precision against the baselines.

One module per stage, data flowing one way::

    config.py    RunConfig (the science, hashed into every cache key) and Compute (device,
                 jobs, executor: never in a key)
    prepare.py   features, splits, one proxy per assay, every proxy's predictions
    weights.py   each target's MixMin problem from the shared proxy table; one batched solve
    evaluate.py  each target's final models (target-only, natural, balanced, MixMin, ...) and AP
    resume.py    finished targets saved by content, so an interrupted run resumes
    records.py   what flows between them: Prepared, TargetPlan, TargetOutcome, RunResult
    protocol.py  run(): the stages in order
"""

from .config import WEIGHT_ROWS, Compute, RunConfig
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
from .weights import mixmin_labels, mixmin_problems, mixmin_target_problems

__all__ = ["BASELINES", "METHODS", "OPTIONAL_METHODS", "REPORT_COLUMNS", "WEIGHT_ROWS", "Compute",
           "Prepared", "RunConfig", "RunResult", "TargetOutcome", "TargetPlan", "methods_in",
           "mixmin_labels", "mixmin_problems", "mixmin_target_problems", "prepare", "run",
           "run_featurizer"]
