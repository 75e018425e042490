"""The registry of featurizer classes (filled as each class is defined) and the parameters that
never enter a featurizer's JSON spec."""

from __future__ import annotations

#: Featurizer classes by name, for :func:`~bioassay_mix.featurize.featurizer_from_spec`
#: (filled as each class is defined; this module sits below ``base``).
REGISTRY: dict[str, type] = {}
#: Parameters that change where or how fast features are computed, never their values.
COMPUTE_PARAMS = ("n_jobs", "cache_dir", "strict")
