"""Featurizers by name and their JSON specs: what libraries and bundles record and rebuild from,
so that a featurizer is never pickled."""

from __future__ import annotations

from typing import Any

from ..errors import DataError

#: Featurizer classes by name, for :func:`featurizer_from_spec` (filled as each class is
#: defined; this module sits below ``base``).
REGISTRY: dict[str, type] = {}
#: Parameters that change where or how fast features are computed, never their values.
COMPUTE_PARAMS = ("n_jobs", "cache_dir", "strict")


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
        raise DataError(f"featurizer spec must be {{'class': ..., 'params': {{...}}}}, got "
                        f"{str(spec)[:200]}")
    from . import names  # noqa: F401  (every featurizer class registers itself on import)

    cls = REGISTRY.get(spec.get("class"))  # type: ignore[arg-type]
    if cls is None:
        raise DataError(f"unknown featurizer class {spec.get('class')!r}; known: "
                        f"{sorted(REGISTRY)}")
    settings = sorted(set(spec["params"]) & set(COMPUTE_PARAMS))
    if settings:
        raise DataError(f"featurizer spec sets {settings}: compute and cache settings never "
                        "come from a file (a library's or bundle's spec holds science "
                        "parameters only)")
    try:
        return cls(**spec["params"], **compute).fit()
    except (TypeError, ValueError) as exc:
        raise DataError(f"featurizer spec {spec} is not valid: {exc}") from exc
