"""The paper's experiment over several seeds and leakage modes, and the statistics that say where
MixMin beat, tied or lost to each baseline: mean AP with 95% confidence intervals, per-target
win/tie/loss, a paired test across targets, and the compute each method used."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .._utils import t_interval
from ..panel import AssayPanel
from ..splits import LEAKAGE_MODES
from .config import RunConfig
from .pipeline import run
from .records import BASELINES, RunResult, methods_in

__all__ = [
    "MIXMIN_METHODS",
    "MIXMIN_STAGES",
    "Comparison",
    "compare",
    "compute_table",
    "gains",
    "method_summary",
    "win_tie_loss",
]

logger = logging.getLogger(__name__)

#: |AP difference| at or below this counts as a tie.
TIE = 1e-3
#: Shared stages that only the MixMin methods need (the proxies and the solve).
MIXMIN_STAGES = ("proxies", "proxy_predictions", "mixmin")
MIXMIN_METHODS = ("mixmin_ensemble", "mixmin_trained", "mixmin_target_trained")


@dataclass
class Comparison:
    """Every run of an experiment.

    Parameters
    ----------
    panel : str
        The panel's name.
    report : pandas.DataFrame
        The per-target reports stacked, with ``seed`` and ``leakage`` columns.
    runs : dict of (str, int) to RunResult
        Each run by (leakage, seed).
    """

    panel: str
    report: pd.DataFrame
    runs: dict[tuple[str, int], RunResult]

    @property
    def methods(self) -> list[str]:
        """Methods that ran (optional baselines that were off have no AP)."""
        return methods_in(self.report)


def compare(
    panel: AssayPanel,
    *,
    seeds: Sequence[int] = (0, 1, 2),
    leakage: Sequence[str] = ("strict",),
    targets: list[str] | None = None,
    config: RunConfig | None = None,
    out_dir: str | Path | None = None,
) -> Comparison:
    """Run the protocol for every seed and leakage mode (each run cached under
    ``out_dir/<leakage>-seed<seed>``, so an interrupted experiment resumes).

    Parameters
    ----------
    panel : AssayPanel
        The panel; every assay is a source and, in turn, a target.
    seeds : sequence of int, default=(0, 1, 2)
        Seeds of the splits and models.
    leakage : sequence of {"strict", "paper"}, default=("strict",)
        Leakage modes of the splits.
    targets : list of str or None, default=None
        Targets to run (None: every assay).
    config : RunConfig or None, default=None
        The run's settings (None: the defaults).
    out_dir : str, pathlib.Path or None, default=None
        Where runs are cached and resumed from (None: nothing is written).

    Returns
    -------
    Comparison
    """
    base = config or RunConfig()
    unknown = [m for m in leakage if m not in LEAKAGE_MODES]
    if unknown or not leakage or not seeds:
        raise ValueError(
            f"need >= 1 seed and leakage modes from {LEAKAGE_MODES}, got "
            f"seeds={list(seeds)}, leakage={list(leakage)}"
        )
    runs, reports = {}, []
    for mode in leakage:
        for seed in seeds:
            logger.info("%s: leakage %s, seed %d", panel.name, mode, seed)
            cfg = replace(base, seed=seed, leakage=mode)
            out = None if out_dir is None else Path(out_dir) / f"{mode}-seed{seed}"
            res = run(panel, targets=targets, config=cfg, out_dir=out)
            runs[(mode, seed)] = res
            reports.append(res.report.assign(seed=seed, leakage=mode))
    return Comparison(panel.name, pd.concat(reports, ignore_index=True), runs)


def method_summary(report: pd.DataFrame, methods: Sequence[str]) -> pd.DataFrame:
    """Mean AP over targets per method, averaged over seeds, with a 95% t-interval over seeds (one
    value per seed: that seed's mean over targets).

    Parameters
    ----------
    report : pandas.DataFrame
        The stacked per-target reports (:attr:`Comparison.report`).
    methods : sequence of str
        The methods compared.

    Returns
    -------
    pandas.DataFrame
        One row per method.
    """
    per_seed = report.groupby("seed")[[f"ap_{m}" for m in methods]].mean()
    rows = []
    for m in methods:
        mean, low, high = t_interval(per_seed[f"ap_{m}"], bounds=(0.0, 1.0))
        rows.append(
            {
                "method": m,
                "mean_ap": mean,
                "ci95_low": low,
                "ci95_high": high,
                "n_targets": report["target"].nunique(),
                "n_seeds": len(per_seed),
            }
        )
    return pd.DataFrame(rows)


def win_tie_loss(
    report: pd.DataFrame, methods: Sequence[str], method: str = "mixmin_trained", tie: float = TIE
) -> pd.DataFrame:
    """``method`` against each other method, per target (AP averaged over seeds): wins, ties
    (absolute difference <= ``tie``), losses, mean difference, and the Wilcoxon signed-rank
    p-value of the paired differences across targets.

    Parameters
    ----------
    report : pandas.DataFrame
        The stacked per-target reports (:attr:`Comparison.report`).
    methods : sequence of str
        The methods compared.
    method : str, default="mixmin_trained"
        The method held against the others.
    tie : float, default=TIE
        Largest AP difference counted as a tie.

    Returns
    -------
    pandas.DataFrame
        One row per other method.
    """
    per_target = report.groupby("target")[[f"ap_{m}" for m in methods]].mean()
    rows = []
    for other in methods:
        if other == method:
            continue
        diff = per_target[f"ap_{method}"] - per_target[f"ap_{other}"]
        nonzero = diff[diff.abs() > 0]
        p = stats.wilcoxon(nonzero).pvalue if len(nonzero) >= 2 else np.nan
        rows.append(
            {
                "method": method,
                "against": other,
                "wins": int((diff > tie).sum()),
                "ties": int((diff.abs() <= tie).sum()),
                "losses": int((diff < -tie).sum()),
                "mean_diff": diff.mean(),
                "wilcoxon_p": p,
            }
        )
    return pd.DataFrame(rows)


def gains(
    report: pd.DataFrame, methods: Sequence[str], method: str = "mixmin_trained"
) -> pd.DataFrame:
    """Per target (averaged over seeds): ``method``'s AP minus natural's and minus the best
    baseline's (the baseline with the highest AP on that target).

    Parameters
    ----------
    report : pandas.DataFrame
        The stacked per-target reports (:attr:`Comparison.report`).
    methods : sequence of str
        The methods compared.
    method : str, default="mixmin_trained"
        The method whose gains are taken.

    Returns
    -------
    pandas.DataFrame
        One row per target.
    """
    per_target = report.groupby("target", sort=False)[[f"ap_{m}" for m in methods]].mean()
    base = per_target[[f"ap_{b}" for b in BASELINES if b in methods]]
    return pd.DataFrame(
        {
            "target": per_target.index,
            "gain_vs_natural": per_target[f"ap_{method}"] - per_target["ap_natural"],
            "gain_vs_best_baseline": per_target[f"ap_{method}"] - base.max(axis=1),
            "best_baseline": base.idxmax(axis=1).str.removeprefix("ap_"),
        }
    ).reset_index(drop=True)


def compute_table(comparison: Comparison) -> pd.DataFrame:
    """Wall seconds per method over all runs: its own model fits, plus (MixMin methods) the
    proxies, their predictions and the solve that MixMin needs and the baselines do not (shared by
    the three MixMin methods, counted in full for each). ``fits_per_target`` says what each method
    trains.

    Parameters
    ----------
    comparison : Comparison
        The experiment.

    Returns
    -------
    pandas.DataFrame
        One row per method.
    """
    runs = list(comparison.runs.values())
    shared = sum(sum(r.metadata["timings_s"].get(s, 0.0) for s in MIXMIN_STAGES) for r in runs)
    cfg, n_proxies = runs[0].metadata["config"], runs[0].metadata["n_proxies"]
    fits = {
        "target_only": "1",
        "natural": "1",
        "balanced": "1",
        "random_search": f"{cfg['random_search']}",
        "regmix": f"{cfg['regmix']} small + 1",
        "mixmin_ensemble": f"0 + {n_proxies} proxies (shared)",
        "mixmin_trained": f"1 + {n_proxies} proxies (shared)",
        "mixmin_target_trained": f"1 + {cfg['oof_folds']} out-of-fold + {n_proxies} "
        "proxies (shared)",
    }
    rows = []
    for m in comparison.methods:
        own = float(comparison.report[f"seconds_{m}"].sum())
        extra = shared if m in MIXMIN_METHODS else 0.0
        rows.append(
            {
                "method": m,
                "fits_per_target": fits[m],
                "own_fits_s": own,
                "proxies_and_solve_s": extra,
                "total_s": own + extra,
            }
        )
    return pd.DataFrame(rows)
