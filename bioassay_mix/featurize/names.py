"""Featurizers by the names the command line takes, and by the JSON specs that libraries and
bundles record and rebuild them from (a featurizer is never pickled)."""

from __future__ import annotations

from typing import Any

from ..errors import DataError
from .base import Featurizer
from .descriptors import RDKitDescriptors
from .fingerprints import (
    AtomPairFingerprint,
    MACCSKeys,
    MorganFingerprint,
    TopologicalTorsionFingerprint,
)
from .spec import COMPUTE_PARAMS, REGISTRY

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

    Parameters
    ----------
    name : str
        A key of :data:`FEATURIZERS` (``"ecfp"``, ``"fcfp"``, ...).
    params : dict or None, default=None
        Science parameters over the name's defaults; an unknown one is refused by name.
    **compute
        Compute settings (``n_jobs``, ``cache_dir``, ...), passed to the constructor.

    Returns
    -------
    Featurizer
        Unfitted.

    Examples
    --------
    >>> make_featurizer("fcfp", {"radius": 3}).get_params()["use_features"]
    True
    """
    if name not in FEATURIZERS:
        raise DataError(f"unknown featurizer {name!r}; choose one of {sorted(FEATURIZERS)}")
    cls, fixed = FEATURIZERS[name]
    merged = {**fixed, **(params or {}), **compute}
    unknown = sorted(set(merged) - set(cls().get_params()))
    if unknown:
        raise DataError(
            f"featurizer {name!r} has no parameter {unknown[0]!r}; it takes "
            f"{sorted(cls().get_params())}"
        )
    featurizer = cls(**merged)
    try:
        return featurizer.fit()
    except ValueError as exc:
        raise DataError(f"featurizer {name!r}: {exc}") from exc


def featurizer_from_spec(spec: dict[str, Any], **compute: Any) -> Any:
    """Rebuild (and fit) a featurizer from :meth:`Featurizer.spec`.

    Parameters
    ----------
    spec : dict
        ``{"class": name, "params": {...}}``, as :meth:`Featurizer.spec` returns it.
    **compute
        ``n_jobs``, ``cache_dir`` or ``strict`` (see :data:`COMPUTE_PARAMS`).

    Returns
    -------
    Featurizer
        Fitted (a :class:`~bioassay_mix.featurize.base.Featurizer`).

    Examples
    --------
    >>> from bioassay_mix.featurize import MorganFingerprint
    >>> spec = MorganFingerprint(radius=3).spec()
    >>> featurizer_from_spec(spec).radius
    3
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("params"), dict):
        raise DataError(
            f"featurizer spec must be {{'class': ..., 'params': {{...}}}}, got {str(spec)[:200]}"
        )
    cls = REGISTRY.get(spec.get("class"))  # type: ignore[arg-type]
    if cls is None:
        raise DataError(
            f"unknown featurizer class {spec.get('class')!r}; known: {sorted(REGISTRY)}"
        )
    settings = sorted(set(spec["params"]) & set(COMPUTE_PARAMS))
    if settings:
        raise DataError(
            f"featurizer spec sets {settings}: compute and cache settings never "
            "come from a file (a library's or bundle's spec holds science "
            "parameters only)"
        )
    try:
        return cls(**spec["params"], **compute).fit()
    except (TypeError, ValueError) as exc:
        raise DataError(f"featurizer spec {spec} is not valid: {exc}") from exc
