"""Your own assay against a library of public assays: which assays inform it and how much, and
cross-validated evidence of whether mixing beats training on your own labels at your label
count.

``fit_target`` cross-validates four models on the user's labelled compounds (stratified k-fold,
repeated): target-only (the final estimator on the fold's own rows), natural + target (every
source row and the target's rows, unweighted), MixMin-trained (the sources weighted by MixMin)
and MixMin + target (the target's rows as one more source, its P column out-of-fold). It reports
each method's AP and ΔAUPRC (AP minus the test fold's positive rate, as FS-Mol reports it) with
95% intervals over the folds, the paired difference of MixMin + target against target-only, and
a one-line verdict; then fits MixMin + target on every labelled compound for the weights and the
scoring bundle. The sources' predictions of the target's compounds are computed once and shared
by every fold: only the target's own out-of-fold column depends on the fold.

Mixing pays where a target has few labels (``benchmarks/label_budget.py`` measures it); with
thousands of labels target-only catches up. Reading the target, fitting and writing the report
are one module each: ``_read``, ``_fit`` and ``_write``.
"""

from ._fit import LABELS, METHODS, FitResult, fit_target, method_probabilities
from ._read import TargetData, read_target, target_name
from ._write import FIT_FILES, FIT_MARKER, fit_markdown, write_fit

__all__ = [
    "FIT_FILES",
    "FIT_MARKER",
    "LABELS",
    "METHODS",
    "FitResult",
    "TargetData",
    "fit_markdown",
    "fit_target",
    "method_probabilities",
    "read_target",
    "target_name",
    "write_fit",
]
