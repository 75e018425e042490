"""bioassay-mix: find the best mixture of bioassay data for a target assay with MixMin."""

from __future__ import annotations

import logging

__version__ = "0.1.0"

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
