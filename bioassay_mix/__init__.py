"""bioassay-mix: find the best mixture of bioassay data for a target assay with MixMin."""

from __future__ import annotations

import logging
import os

# OpenMP threads (XGBoost's, scikit-learn's) spin at every barrier before they sleep; libgomp's
# default of 300,000 spins made 2-thread final models 10x slower than 1 thread when another job
# held the cores (43.5 s against 4.4 s on Tox21's 2 targets), while 10,000 keeps the quiet
# machine's speed (9.8 s against 10.5 s for all 12) and cuts that to 2.2x (python
# benchmarks/threads.py). libgomp reads it once, when XGBoost or scikit-learn first loads it, so
# it is set here before either; a value the user set wins.
os.environ.setdefault("GOMP_SPINCOUNT", "10000")

from ._version import __version__
from .bundle import Bundle, load_bundle
from .datasets import fetch, load_panel, manifests
from .estimator import MixMinClassifier
from .experiment import RunConfig, RunResult, run
from .featurize import MorganFingerprint
from .library import ProxyLibrary, load_library
from .mixture import MixMin
from .panel import AssayPanel, compose
from .scoring import score, score_file
from .solver import MixMinResult, solve, solve_panel

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "AssayPanel", "Bundle", "MixMin", "MixMinClassifier", "MixMinResult", "MorganFingerprint",
    "ProxyLibrary", "RunConfig", "RunResult", "__version__", "compose", "fetch", "load_bundle",
    "load_library", "load_panel", "manifests", "run", "score", "score_file", "solve",
    "solve_panel",
]
