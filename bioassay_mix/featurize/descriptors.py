"""RDKit's 2-D physico-chemical descriptors (molecular weight, logP, TPSA, counts, ...)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .base import Featurizer
from .kernels import DESCRIPTOR_NAMES


class RDKitDescriptors(Featurizer):
    """RDKit 2-D descriptors as a dense float32 matrix.

    A descriptor RDKit cannot compute for a molecule (it returns NaN or infinity, or raises)
    is NaN; so is every column of an invalid row with ``strict=False``. XGBoost and
    scikit-learn's histogram gradient boosting treat NaN as missing; other estimators need an
    imputer in front (``make_pipeline(SimpleImputer(), ...)``).

    Parameters
    ----------
    names : sequence of str or None, default=None
        Descriptors to compute (default: all of :data:`DESCRIPTOR_NAMES`).
    n_jobs, cache_dir, strict
        As in :class:`~bioassay_mix.featurize.MorganFingerprint`.

    Examples
    --------
    >>> X = RDKitDescriptors(names=["MolWt", "NumHDonors"]).fit_transform(["CCO"])
    >>> [round(float(v), 2) for v in X[0]]
    [46.07, 1.0]
    """

    kind = "descriptors"
    sparse_output = False
    # some descriptors grow about cubically with size: a 400-atom molecule took 4 s, 800
    # atoms 46 s and a 1,999-atom chain over 10 minutes
    max_atoms = 250
    _parameter_constraints: ClassVar[dict] = {
        **Featurizer._parameter_constraints,
        "names": ["array-like", None],
    }

    def __init__(self, names=None, n_jobs: int | None = 1, cache_dir=None, strict: bool = True):
        self.names = names
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.strict = strict

    def fit(self, X=None, y=None) -> RDKitDescriptors:
        """Validate the parameters, and that every name is one of RDKit's descriptors;
        nothing is learned from ``X``.

        Parameters
        ----------
        X : ignored
        y : ignored

        Returns
        -------
        self : RDKitDescriptors
        """
        super().fit(X, y)
        unknown = [n for n in self._names() if n not in DESCRIPTOR_NAMES]
        if unknown:
            raise ValueError(f"unknown RDKit descriptor(s) {unknown[:5]}; see DESCRIPTOR_NAMES")
        return self

    def _names(self) -> list[str]:
        return list(DESCRIPTOR_NAMES if self.names is None else self.names)

    def _n_features(self) -> int:
        return len(self._names())

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The descriptor names, in output order.

        Parameters
        ----------
        input_features : ignored
            The input is SMILES; kept for scikit-learn's signature.

        Returns
        -------
        numpy.ndarray of str
        """
        super().get_feature_names_out()
        return np.asarray(self._names(), dtype=object)

    def spec(self) -> dict:
        """The class and science parameters, ``names`` as a list (or ``None``: all of RDKit's).

        Returns
        -------
        dict
        """
        spec = super().spec()
        spec["params"]["names"] = None if self.names is None else list(self.names)
        return spec
