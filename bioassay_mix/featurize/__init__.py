"""Featurizers: scikit-learn transformers from SMILES to feature matrices, built on RDKit.

=============================== ===================================================
:class:`MorganFingerprint`      Morgan / ECFP bits or counts; FCFP (``use_features``)
:class:`AtomPairFingerprint`    atom pairs
:class:`TopologicalTorsionFingerprint` topological torsions
:class:`MACCSKeys`              the 166 MACCS keys
:class:`RDKitDescriptors`       RDKit's 2-D descriptors (dense)
=============================== ===================================================

All share :class:`~bioassay_mix.featurize.base.Featurizer`: one row per input SMILES, parsing
equal to ``Chem.MolFromSmiles``, a content-keyed cache, and a JSON spec to rebuild them from;
and one engine (:mod:`~bioassay_mix.featurize.engine`) that parses each distinct string once,
in worker processes, for every featurizer and for scoring.
"""

from .base import Featurizer, as_smiles_list
from .descriptors import DESCRIPTOR_NAMES, RDKitDescriptors
from .fingerprints import (
    AtomPairFingerprint,
    MACCSKeys,
    MorganFingerprint,
    TopologicalTorsionFingerprint,
)
from .partitions import fingerprint_partitions, stack
from .spec import COMPUTE_PARAMS, REGISTRY, featurizer_from_spec

#: Featurizers by the names the command line takes: (class, parameters).
FEATURIZERS: dict[str, tuple[type[Featurizer], dict]] = {
    "morgan": (MorganFingerprint, {}),
    "morgan_counts": (MorganFingerprint, {"counts": True}),
    "fcfp": (MorganFingerprint, {"use_features": True}),
    "atompair": (AtomPairFingerprint, {}),
    "torsion": (TopologicalTorsionFingerprint, {}),
    "maccs": (MACCSKeys, {}),
    "descriptors": (RDKitDescriptors, {}),
}


def make_featurizer(name: str, params: dict | None = None, **compute) -> Featurizer:
    """The featurizer ``name`` of :data:`FEATURIZERS` with ``params`` over its defaults.

    Examples
    --------
    >>> make_featurizer("fcfp", {"radius": 3}).get_params()["use_features"]
    True
    """
    from ..errors import DataError

    if name not in FEATURIZERS:
        raise DataError(f"unknown featurizer {name!r}; choose one of {sorted(FEATURIZERS)}")
    cls, fixed = FEATURIZERS[name]
    merged = {**fixed, **(params or {}), **compute}
    unknown = sorted(set(merged) - set(cls().get_params()))
    if unknown:
        raise DataError(f"featurizer {name!r} has no parameter {unknown[0]!r}; it takes "
                        f"{sorted(cls().get_params())}")
    featurizer = cls(**merged)
    try:
        return featurizer.fit()
    except ValueError as exc:
        raise DataError(f"featurizer {name!r}: {exc}") from exc

__all__ = [
    "COMPUTE_PARAMS",
    "DESCRIPTOR_NAMES",
    "FEATURIZERS",
    "REGISTRY",
    "AtomPairFingerprint",
    "Featurizer",
    "MACCSKeys",
    "MorganFingerprint",
    "RDKitDescriptors",
    "TopologicalTorsionFingerprint",
    "as_smiles_list",
    "featurizer_from_spec",
    "fingerprint_partitions",
    "make_featurizer",
    "stack",
]
