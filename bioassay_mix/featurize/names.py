"""Featurizers by the names the command line takes."""

from __future__ import annotations

from .base import Featurizer
from .descriptors import RDKitDescriptors
from .fingerprints import (
    AtomPairFingerprint,
    MACCSKeys,
    MorganFingerprint,
    TopologicalTorsionFingerprint,
)

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
