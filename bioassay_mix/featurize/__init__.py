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

from __future__ import annotations

from .._lazy import lazy_exports

# Public names, imported on first use (PEP 562): a featurizing worker process imports this
# package for its kernels, and the featurizer classes would bring scikit-learn and pandas.
_EXPORTS = {
    "COMPUTE_PARAMS": "spec",
    "DESCRIPTOR_NAMES": "kernels",
    "FEATURIZERS": "names",
    "REGISTRY": "spec",
    "AtomPairFingerprint": "fingerprints",
    "Featurizer": "base",
    "MACCSKeys": "fingerprints",
    "MorganFingerprint": "fingerprints",
    "RDKitDescriptors": "descriptors",
    "TopologicalTorsionFingerprint": "fingerprints",
    "as_smiles_list": "base",
    "featurizer_from_spec": "names",
    "fingerprint_partitions": "partitions",
    "make_featurizer": "names",
    "stack": "partitions",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
