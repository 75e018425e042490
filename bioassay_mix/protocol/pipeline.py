"""The protocol over a panel, stage by stage: :func:`~.prepare.prepare` (features, splits,
proxies, their predictions), then per target :mod:`.evaluate`: its MixMin classifiers against
the library of every other assay (:mod:`.mixmin`) and every method's final model and test AP,
with finished targets saved and resumed by :mod:`.resume`."""

from __future__ import annotations

import contextlib
import platform
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from .._files import output_lock
from .._utils import StageClock
from .._version import __version__
from ..panel import AssayPanel
from .config import RunConfig
from .evaluate import evaluate_targets, fit_on_cluster
from .mixmin import weights_frame
from .prepare import executor_for, prepare
from .records import BASELINES, REPORT_COLUMNS, Prepared, RunResult


def run(
    panel: AssayPanel,
    *,
    targets: list[str] | None = None,
    config: RunConfig | None = None,
    out_dir: str | Path | None = None,
) -> RunResult:
    """Run the MixMin protocol on ``panel`` for ``targets``.

    Per assay 80/20 train/test and train 80/20 proxy-train/validation; one proxy per assay on
    its proxy-train rows; each target's MixMin weights on its proxy-train rows with the other
    assays' proxies; then target-only, natural, balanced and MixMin-weighted final models (and
    the optional baselines), each scored by average precision on the target's test split.

    Parameters
    ----------
    panel : AssayPanel
        Compounds x assays, 0/1 with gaps.
    targets : list of str or None, default=None
        Default: every eligible assay.
    config : RunConfig or None, default=None
        Science settings and compute context (default ``RunConfig()``).
    out_dir : str, Path or None, default=None
        With a folder, proxies, fingerprints and per-target results are cached there (keyed by
        content), so an interrupted run resumes without recomputing finished work.

    Returns
    -------
    RunResult
    """
    cfg = config or RunConfig()
    out = Path(out_dir) if out_dir is not None else None
    lock = output_lock(out, what="run output") if out is not None else contextlib.nullcontext()
    with lock, executor_for(cfg) as executor:
        prep = prepare(panel, targets=targets, config=cfg, out_dir=out, executor=executor)
        clock = StageClock()
        prefit = fit_on_cluster(prep, cfg, out, executor)
        clock.lap("cluster_models")
        outcomes = evaluate_targets(prep, cfg, out, executor, prefit)
        clock.lap("targets")
    report = _add_gains(pd.DataFrame([o.row for o in outcomes], columns=REPORT_COLUMNS))
    weights = weights_frame({o.row["target"]: o.weights for o in outcomes}, prep)
    weights_plus = (
        weights_frame({o.row["target"]: o.weights_plus for o in outcomes}, prep)
        if cfg.mixmin_plus_target
        else None
    )
    solver = pd.DataFrame([o.solver for o in outcomes])
    skipped = prep.skipped + [s for o in outcomes for s in o.skipped]
    timings = {**prep.timings, **clock.timings}
    metadata = _metadata(prep, cfg, timings, mixmin_s=float(solver["solve_s"].sum()))
    return RunResult(
        report=report,
        weights=weights,
        skipped=pd.DataFrame(skipped, columns=["assay", "role", "reason"]),
        solver=solver.drop(columns="solve_s"),
        metadata=metadata,
        models={o.row["target"]: o.model for o in outcomes},
        weights_plus_target=weights_plus,
        issues=panel.issues,
    )


def _add_gains(report: pd.DataFrame) -> pd.DataFrame:
    base = report[[f"ap_{m}" for m in BASELINES]]
    report["best_baseline"] = base.idxmax(axis=1).str.removeprefix("ap_")
    report["gain_vs_best_baseline"] = report["ap_mixmin_trained"] - base.max(axis=1)
    report["gain_vs_natural"] = report["ap_mixmin_trained"] - report["ap_natural"]
    return report


def _metadata(prep: Prepared, cfg: RunConfig, timings: dict, mixmin_s: float) -> dict:
    """The run's provenance; ``timings`` are its stages' wall seconds, and ``mixmin`` (inside
    ``targets``) the seconds every target's MixMin solve took together."""
    import rdkit
    import sklearn
    import xgboost

    return {
        "bioassay_mix": __version__,
        "xgboost": xgboost.__version__,
        "rdkit": rdkit.__version__,
        "scikit_learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "panel": prep.panel.name,
        "panel_sources_sha256": prep.panel.sources,
        "panel_labels_sha256": prep.panel.checksum(),
        "n_compounds": int(prep.panel.labels.shape[0]),
        "n_assays": int(prep.panel.labels.shape[1]),
        "n_proxies": len(prep.proxies.assays),
        "targets": prep.targets,
        "device": prep.device,
        "featurizer": prep.featurizer.spec(),
        "config": asdict(cfg),
        "config_key": cfg.key(),
        "timings_s": {**timings, "mixmin": round(mixmin_s, 3)},
        "wall_time_s": round(sum(timings.values()), 3),
    }
