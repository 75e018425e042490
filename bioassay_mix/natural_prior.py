"""MixMin's prior toward natural pooling: how strong it is for a target and a library, and the
pseudo-counts it gives each source."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "AUTO_PRIOR_MIN_FILL",
    "AUTO_PRIOR_SCALE",
    "DEFAULT_NATURAL_PRIOR",
    "natural_prior_counts",
    "natural_prior_strength",
]

#: The default prior toward natural pooling: its strength grows with the weights per labelled
#: compound (:func:`natural_prior_strength`); ahead of 8 pseudo-compounds, the earlier default,
#: on the label-budget study (benchmarks/results/label_budget_headline.md).
DEFAULT_NATURAL_PRIOR: float | str = "auto"
#: ``natural_prior="auto"``: pseudo-compounds per weight per labelled compound. Set once, from
#: one draw of Tox21, ToxCast and moleculenet, before the 10-draw study; not tuned.
AUTO_PRIOR_SCALE = 2.0
#: ``natural_prior="auto"`` puts no prior on a library whose sources label fewer than this
#: share of its compounds x sources cells: natural pooling of sources that share few compounds
#: (FS-Mol's ChEMBL assays, the MoleculeNet union) is a patchwork, not a consensus. Chosen
#: between the MoleculeNet union and ToxCast, the sparsest panel where the prior pays
#: (benchmarks/results/fsmol_valid_priors/fsmol.md).
AUTO_PRIOR_MIN_FILL = 0.15


def natural_prior_counts(counts: pd.Series, strength: float) -> pd.Series:
    """The pseudo-counts of MixMin's Dirichlet prior toward natural pooling.

    Natural pooling (every row of every source, unweighted) gives source p the share
    ``pi_p = counts_p / sum(counts)`` of the training mass; the prior is a Dirichlet with
    pseudo-counts ``strength * pi_p``, so its MAP weights are MixMin's with ``strength``
    pseudo-compounds explained by the sources in natural pooling's proportions
    (:func:`bioassay_mix.solver.prior.solve_dirichlet`). With n labelled compounds the weights
    lean on natural pooling about as ``strength / (n + strength)``, and the data take over as
    n grows.

    Parameters
    ----------
    counts : pandas.Series
        Training rows per source (the target's own labelled compounds under ``"target"``).
    strength : float
        Pseudo-compounds, > 0.

    Returns
    -------
    pandas.Series
        Pseudo-count per source, summing to ``strength``.

    Examples
    --------
    >>> natural_prior_counts(pd.Series({"a": 300, "b": 100}), 8.0).tolist()
    [6.0, 2.0]
    """
    counts = counts.astype(np.float64)
    return strength * counts / counts.sum()


def natural_prior_strength(
    natural_prior: float | str, n_compounds: int, n_weights: int, *, fill: float = 1.0
) -> float:
    """The pseudo-compounds of the prior of
    :class:`~bioassay_mix.estimator.MixMinClassifier` for ``natural_prior``.

    ``"auto"`` gives ``max(1, AUTO_PRIOR_SCALE * n_weights / n_compounds)``: the more weights
    each labelled compound must inform, the more MixMin's optimum overfits the handful of
    compounds, and the harder the prior pulls toward natural pooling. Its share of the
    objective, ``s / (n + s)``, fades as ``1 / n**2``. A fixed strength whatever the library
    is too weak for a wide panel and too strong for one whose natural pooling is weak
    (``benchmarks/results/label_budget_*.md``). Below 1 pseudo-compound Newton's steps are
    ill-conditioned. A number is returned as given.

    Parameters
    ----------
    natural_prior : float or "auto"
        As in :class:`~bioassay_mix.estimator.MixMinClassifier`.
    n_compounds : int
        The target's labelled compounds the weights are fitted to.
    n_weights : int
        The mixture's weights: the sources, and the target's own column.
    fill : float, default=1.0
        The share of the library's compounds x sources cells its sources label
        (:attr:`ProxyLibrary.fill <bioassay_mix.library.ProxyLibrary.fill>`): with ``"auto"``,
        below :data:`AUTO_PRIOR_MIN_FILL` there is no prior (0).

    Returns
    -------
    float

    Examples
    --------
    >>> natural_prior_strength("auto", 32, 617), natural_prior_strength("auto", 256, 12)
    (38.5625, 1.0)
    >>> natural_prior_strength(8.0, 32, 617)
    8.0
    >>> natural_prior_strength("auto", 32, 4936, fill=0.0004)
    0.0
    """
    if natural_prior == "auto":
        if fill < AUTO_PRIOR_MIN_FILL:
            return 0.0
        return max(1.0, AUTO_PRIOR_SCALE * n_weights / n_compounds)
    return float(natural_prior)
