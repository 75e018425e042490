"""A run's settings, in two parts: the science (what the results depend on, hashed into every
cache key) and the compute context (where and how fast it runs, never in a key)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from numbers import Integral, Real
from typing import Any, ClassVar

from sklearn.utils._param_validation import Interval, StrOptions

from .._files import sha256_bytes
from ..compute import Compute, validate_fields
from ..errors import DataError
from ..mixture import DEFAULT_PRUNE
from ..proxies import check_xgb_params
from ..solver import METHODS as SOLVER_METHODS
from ..splits import LEAKAGE_MODES, STRATEGIES, WEIGHT_ROWS


@dataclass
class RunConfig:
    """The science settings of a run; every random step derives from ``seed``.

    Every field changes results and goes into :meth:`key`; where and how fast the run goes is
    ``compute`` (a :class:`Compute`), which does not.

    Parameters
    ----------
    seed : int, default=0
        Seed of the splits, the proxies, the out-of-fold folds and the final models.
    test_size, valid_size : float, default=0.2
        Each assay's test fraction, and the validation fraction of the rest.
    split : {"random", "scaffold"}, default="random"
        ``"scaffold"`` holds out whole Bemis-Murcko scaffolds.
    leakage : {"strict", "paper"}, default="strict"
        ``"strict"`` splits compounds once for the whole panel (no target's test compound is a
        source's training row); ``"paper"`` splits each assay on its own, as the authors did.
    radius, n_bits, counts : int, int, bool, default=2, 2048, False
        The Morgan fingerprint.
    proxy_params, final_params : dict, default={}
        XGBoost parameters (xgboost's own names) of the proxies and the final models; unknown
        keys are refused.
    grid_search : bool, default=False
        The paper's 3x3 grid by 5-fold CV for every proxy.
    min_labels : int, default=50
        Assays with fewer labelled compounds are skipped.
    min_test_positives : int, default=5
        A target needs this many positives in its test split.
    weight_rows : {"proxy_train", "validation"}, default="proxy_train"
        The target rows MixMin's weights are fitted on.
    random_search, regmix : int, default=0
        Trials of the random-search baseline and small-model runs of RegMix; 0 = off.
    mixmin_plus_target : bool, default=False
        Also MixMin with the target's own training rows as one more source.
    oof_folds : int, default=5
        Folds of the target proxy's out-of-fold predictions (``mixmin_plus_target``).
    prune : float, default=1e-4
        Sources below ``prune * max(w)`` get no rows in the final model.
    solver : {"adaptive", "reference", "active_set"}, default="adaptive"
        The simplex solver (all certify the same optimum).
    tol : float, default=1e-6
        Duality-gap tolerance of the solver.
    compute : Compute, default=Compute()
        Device, jobs, executor and progress: not part of the science.

    Examples
    --------
    >>> cfg = RunConfig(seed=1, compute=Compute(n_jobs=2))
    >>> cfg.key() == RunConfig(seed=1).key()   # compute settings do not change results
    True
    >>> cfg.key() == RunConfig(seed=2).key()
    False
    """

    seed: int = 0
    test_size: float = 0.2
    valid_size: float = 0.2
    split: str = "random"
    leakage: str = "strict"
    radius: int = 2
    n_bits: int = 2048
    counts: bool = False
    proxy_params: dict[str, Any] = field(default_factory=dict)
    final_params: dict[str, Any] = field(default_factory=dict)
    grid_search: bool = False
    min_labels: int = 50
    min_test_positives: int = 5
    weight_rows: str = "proxy_train"
    random_search: int = 0
    regmix: int = 0
    mixmin_plus_target: bool = False
    oof_folds: int = 5
    prune: float = DEFAULT_PRUNE
    solver: str = "adaptive"
    tol: float = 1e-6
    compute: Compute = field(default_factory=Compute)

    _parameter_constraints: ClassVar[dict] = {
        "seed": [Interval(Integral, 0, None, closed="left")],
        "test_size": [Interval(Real, 0, 1, closed="neither")],
        "valid_size": [Interval(Real, 0, 1, closed="neither")],
        "split": [StrOptions(set(STRATEGIES))],
        "leakage": [StrOptions(set(LEAKAGE_MODES))],
        "radius": [Interval(Integral, 0, None, closed="left")],
        "n_bits": [Interval(Integral, 1, None, closed="left")],
        "counts": ["boolean"],
        "proxy_params": [dict],
        "final_params": [dict],
        "grid_search": ["boolean"],
        "min_labels": [Interval(Integral, 1, None, closed="left")],
        "min_test_positives": [Interval(Integral, 1, None, closed="left")],
        "weight_rows": [StrOptions(set(WEIGHT_ROWS))],
        "random_search": [Interval(Integral, 0, None, closed="left")],
        "regmix": [Interval(Integral, 0, None, closed="left")],
        "mixmin_plus_target": ["boolean"],
        "oof_folds": [Interval(Integral, 2, None, closed="left")],
        "prune": [Interval(Real, 0, 1, closed="left")],
        "solver": [StrOptions(set(SOLVER_METHODS))],
        "tol": [Interval(Real, 0, None, closed="neither")],
    }

    def __post_init__(self) -> None:
        if not isinstance(self.compute, Compute):
            raise TypeError(f"compute must be a Compute, got {type(self.compute).__name__}")
        validate_fields(self)
        for role in ("proxy_params", "final_params"):
            try:
                check_xgb_params(getattr(self, role))
            except DataError as exc:
                raise DataError(f"{role}: {exc}") from exc

    def science(self) -> dict[str, Any]:
        """Every setting that changes results, as plain JSON-able values.

        Returns
        -------
        dict
            The fields, less ``compute``.
        """
        d = asdict(self)
        d.pop("compute")
        return d

    def key(self) -> str:
        """Hash of :meth:`science`: what a cached result depends on.

        Returns
        -------
        str
            16 hexadecimal digits.
        """
        return sha256_bytes(json.dumps(self.science(), sort_keys=True, default=str).encode())[:16]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        """The inverse of ``dataclasses.asdict``.

        Parameters
        ----------
        d : dict
            E.g. a run's ``metadata["config"]``; ``compute`` optional.

        Returns
        -------
        RunConfig
        """
        d = dict(d)
        compute = Compute(**d.pop("compute", {}))
        return cls(**d, compute=compute)
