"""bioassay-mix: find the best mixture of bioassay data for a target assay with MixMin."""

from __future__ import annotations

import logging
import os

# OpenMP threads (XGBoost's, scikit-learn's) spin at every barrier before they sleep; libgomp's
# default of 300,000 spins makes 2-thread final models many times slower than 1 thread when
# another job holds the cores, while 10,000 keeps the quiet machine's speed
# (benchmarks/results/threads.md). libgomp reads it once, when XGBoost or scikit-learn first
# loads it, so it is set here before either; a value the user set wins.
os.environ.setdefault("GOMP_SPINCOUNT", "10000")

from ._lazy import lazy_exports
from ._version import __version__

# Public names, imported on first use (PEP 562): a featurizing worker process imports this
# package, and importing every module (XGBoost, Dask, ...) would slow its start.
_EXPORTS = {
    "AssayPanel": "panel",
    "Bundle": "bundle",
    "Compute": "compute",
    "MixMin": "mixture",
    "MixMinClassifier": "estimator",
    "MixMinResult": "solver",
    "MorganFingerprint": "featurize",
    "ProxyLibrary": "library",
    "RunConfig": "protocol",
    "RunResult": "protocol",
    "compose": "panel",
    "fetch": "datasets",
    "load_bundle": "bundle",
    "load_library": "library",
    "load_panel": "datasets",
    "manifests": "datasets",
    "run": "protocol",
    "score": "scoring",
    "score_file": "scoring",
    "solve": "solver",
    "solve_panel": "solver",
}

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["__version__", *sorted(_EXPORTS)]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
