"""``MixMinClassifier``: a model of a target assay trained on the best mixture of a library's
source assays and the target's own labelled compounds.

``fit(X, y)`` takes the target's compounds and 0/1 labels and

1. predicts them with every source proxy of the library: P[j, p] is proxy p's probability of
   compound j's observed label;
2. with ``include_target``, adds the target itself as one more source, its column the
   out-of-fold predictions of a proxy trained on the target's own rows (in-sample predictions
   would be overconfident and take all the mass);
3. solves MixMin, the convex problem min_w -mean_j log sum_p w_p P[j, p] over the simplex, to a
   certified duality gap (``gap_``), with ``natural_prior`` pseudo-compounds of a Dirichlet
   prior toward natural pooling's shares (:func:`natural_prior_counts`), on each of
   ``n_bootstrap`` stratified bootstrap resamples of the compounds, and averages the weights
   (``n_bootstrap=0``: one solve on all of them, as in the paper);
4. trains ``clone(final_estimator)`` on every source's training rows and the target's rows with
   sample weights (w_p / max w) * (n_max / n_p), so that source p carries mass ~ w_p; the
   target's rows carry at least ``target_floor`` times the largest source's mass (by default
   on a sparse library only, :func:`target_floor_value`).

The proxy and the final learner are any scikit-learn classifiers (the final one must take
``sample_weight``); the method itself needs nothing else from them. Where MixMin pays is a
target with few labels, and how strong a prior its weights need depends on how many weights
each labelled compound informs and on how much the sources agree: the label-budget study
(``benchmarks/label_budget.py``, results in ``benchmarks/results/label_budget_*.md``) and the
FS-Mol benchmark (``benchmarks/fsmol.py``) measured the defaults; the user guide quotes them.
"""

from ._classifier import MixMinClassifier
from ._steps import (
    AUTO_TARGET_FLOOR,
    AUTO_TARGET_ONLY_BELOW,
    DEFAULT_N_BOOTSTRAP,
    DEFAULT_TARGET_FLOOR,
    target_floor_value,
)

__all__ = [
    "AUTO_TARGET_FLOOR",
    "AUTO_TARGET_ONLY_BELOW",
    "DEFAULT_N_BOOTSTRAP",
    "DEFAULT_TARGET_FLOOR",
    "MixMinClassifier",
    "target_floor_value",
]
