"""Featurizers: scikit-learn transformers from SMILES to feature matrices, built on RDKit.

=============================== ===================================================
:class:`MorganFingerprint`      Morgan / ECFP bits or counts; FCFP (``use_features``)
:class:`AtomPairFingerprint`    atom pairs
:class:`TopologicalTorsionFingerprint` topological torsions
:class:`MACCSKeys`              the 166 MACCS keys
:class:`RDKitDescriptors`       RDKit's 2-D descriptors (dense)
=============================== ===================================================

All share :class:`~bioassay_mix.featurize.base.Featurizer`: one row per input SMILES, parsing
equal to ``Chem.MolFromSmiles``, a content-keyed cache, and a JSON spec to rebuild them from.
"""

from .base import COMPUTE_PARAMS, REGISTRY, Featurizer, as_smiles_list, featurizer_from_spec
from .descriptors import DESCRIPTOR_NAMES, RDKitDescriptors
from .fingerprints import (
    AtomPairFingerprint,
    MACCSKeys,
    MorganFingerprint,
    TopologicalTorsionFingerprint,
)
from .partitions import fingerprint_partitions, stack

__all__ = [
    "COMPUTE_PARAMS", "DESCRIPTOR_NAMES", "REGISTRY", "AtomPairFingerprint", "Featurizer",
    "MACCSKeys", "MorganFingerprint", "RDKitDescriptors", "TopologicalTorsionFingerprint",
    "as_smiles_list", "featurizer_from_spec", "fingerprint_partitions", "stack",
]
