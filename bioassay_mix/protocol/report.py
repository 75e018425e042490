"""The paper protocol's reports: a run's AP table, Markdown summary, plot and metadata, and an
experiment's tables over seeds and leakage modes with its gain and weight plots."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .._files import atomic_path, write_json_atomic, write_text_atomic
from ..report import markdown_table, save_png, write_tables
from .comparison import TIE, Comparison, compute_table, gains, method_summary, win_tie_loss
from .records import RunResult, methods_in

__all__ = [
    "LABELS",
    "ap_table",
    "comparison_tables",
    "plot_ap",
    "plot_gains",
    "plot_weights",
    "summary_markdown",
    "write_comparison",
    "write_report",
]

LABELS = {
    "target_only": "target only",
    "natural": "natural",
    "balanced": "balanced",
    "random_search": "random search",
    "regmix": "RegMix",
    "mixmin_ensemble": "MixMin ensemble",
    "mixmin_trained": "MixMin-trained",
    "mixmin_target_trained": "MixMin + target",
}


def ap_table(report: pd.DataFrame) -> pd.DataFrame:
    """Average precision per target and method, with a mean row.

    Parameters
    ----------
    report : pandas.DataFrame
        A run's per-target report.

    Returns
    -------
    pandas.DataFrame
    """
    cols = {f"ap_{m}": LABELS[m] for m in methods_in(report)}
    table = report.set_index("target")[list(cols)].rename(columns=cols)
    table.loc["mean"] = table.mean()
    return table.reset_index()


def plot_ap(report: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """Grouped bars: average precision of every method for every target.

    Parameters
    ----------
    report : pandas.DataFrame
        A run's per-target report.
    path : str or pathlib.Path
        The PNG to write (atomically).
    title : str, default=""
        The plot's title.

    Returns
    -------
    pathlib.Path
    """
    methods = methods_in(report)
    table = report.set_index("target")[[f"ap_{m}" for m in methods]]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(table) + 2), 4.2))
    width = 0.8 / len(methods)
    x = np.arange(len(table))
    for i, m in enumerate(methods):
        ax.bar(x + (i - (len(methods) - 1) / 2) * width, table[f"ap_{m}"], width, label=LABELS[m])
    ax.set_xticks(x, table.index, rotation=45, ha="right")
    ax.set_ylabel("average precision (test)")
    ax.set_ylim(0, 1)
    ax.set_title(title or "Average precision per target")
    ax.legend(ncol=3, fontsize=8, loc="upper left")
    fig.tight_layout()
    return save_png(fig, path)


def write_report(result: RunResult, out_dir: str | Path) -> dict[str, Path]:
    """Write every output of a run under ``out_dir`` (each file atomically).

    Parameters
    ----------
    result : RunResult
        The run.
    out_dir : str or pathlib.Path
        The folder.

    Returns
    -------
    dict of str to pathlib.Path
        Each output by kind.
    """
    out = Path(out_dir)
    files = {
        "report_csv": out / "report.csv",
        "report_parquet": out / "report.parquet",
        "report_md": out / "report.md",
        "weights": out / "weights.csv",
        "skipped": out / "skipped.csv",
        "solver": out / "solver.csv",
        "plot": out / "ap.png",
        "metadata": out / "metadata.json",
        "issues": out / "issues.csv",
    }
    for key, frame, index in (
        ("report_csv", result.report, False),
        ("weights", result.weights, True),
        ("skipped", result.skipped, False),
        ("solver", result.solver, False),
        ("issues", result.issues, False),
    ):
        with atomic_path(files[key]) as tmp:
            frame.to_csv(tmp, index=index)
    with atomic_path(files["report_parquet"]) as tmp:
        result.report.to_parquet(tmp, index=False)
    write_text_atomic(files["report_md"], summary_markdown(result))
    plot_ap(result.report, files["plot"], title=f"{result.metadata['panel']}: AP per target")
    write_json_atomic(files["metadata"], result.metadata)
    return files


def summary_markdown(result: RunResult) -> str:
    """The run's report in Markdown: AP per target and method, gains, certificates, skipped
    assays and input issues.

    Parameters
    ----------
    result : RunResult
        A finished run.

    Returns
    -------
    str
    """
    meta = result.metadata
    gain_cols = result.report[
        [
            "target",
            "best_baseline",
            "gain_vs_best_baseline",
            "gain_vs_natural",
            "n_sources_used",
            "top_source",
            "top_weight",
        ]
    ]
    lines = [
        f"# MixMin on {meta['panel']}",
        "",
        f"{len(result.report)} targets, {meta['n_proxies']} proxies, seed "
        f"{meta['config']['seed']}, split {meta['config']['split']} / leakage "
        f"{meta['config']['leakage']}, device {meta['device']}, wall time "
        f"{meta['wall_time_s']:.1f} s.",
        "",
        "## Average precision on each target's test split",
        "",
        markdown_table(ap_table(result.report)),
        _where_mixing_pays(result.report),
        "",
        "## MixMin-trained against the baselines",
        "",
        markdown_table(gain_cols),
        "## Solver certificates (Frank-Wolfe gap)",
        "",
        markdown_table(result.solver, ".2e"),
    ]
    if len(result.skipped):
        lines += ["## Skipped", "", markdown_table(result.skipped)]
    if len(result.issues):
        counts = result.issues["kind"].value_counts()
        lines += [
            "## Input issues",
            "",
            ", ".join(f"{n} {k}" for k, n in counts.items())
            + ": every row, SMILES and reason in `issues.csv`.",
            "",
        ]
    return "\n".join(lines)


def plot_gains(gain: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """Per-target AP gain of MixMin-trained over natural and over the best baseline, sorted.

    Parameters
    ----------
    gain : pandas.DataFrame
        :func:`~bioassay_mix.protocol.comparison.gains`.
    path : str or pathlib.Path
        The PNG to write (atomically).
    title : str, default=""
        The plot's title.

    Returns
    -------
    pathlib.Path
    """
    fig, axes = plt.subplots(1, 2, figsize=(max(7.0, 0.18 * len(gain) + 4), 4.2), sharey=True)
    for ax, col, label in zip(
        axes,
        ("gain_vs_natural", "gain_vs_best_baseline"),
        ("minus natural", "minus best baseline"),
        strict=True,
    ):
        ordered = gain.sort_values(col)
        vals = ordered[col].to_numpy()
        ax.bar(np.arange(len(vals)), vals, color=np.where(vals >= 0, "tab:green", "tab:red"))
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title(f"MixMin-trained AP {label}", fontsize=10)
        if len(vals) <= 40:
            ax.set_xticks(np.arange(len(vals)), ordered["target"], rotation=90, fontsize=7)
        ax.set_xlabel("targets (sorted by gain)")
    axes[0].set_ylabel("AP difference (test, mean over seeds)")
    fig.suptitle(title)
    fig.tight_layout()
    return save_png(fig, path)


def plot_weights(
    weights: pd.DataFrame, path: str | Path, title: str = "", max_sources: int = 40
) -> Path:
    """Heatmap of MixMin weights (targets x sources); past ``max_sources`` only the sources with
    the most total weight are shown.

    Parameters
    ----------
    weights : pandas.DataFrame
        Targets x sources.
    path : str or pathlib.Path
        The PNG to write (atomically).
    title : str, default=""
        The plot's title.
    max_sources : int, default=40
        Most sources shown.

    Returns
    -------
    pathlib.Path
    """
    if weights.shape[1] > max_sources:
        weights = weights[weights.fillna(0).sum().nlargest(max_sources).index]
    fig, ax = plt.subplots(
        figsize=(max(6.0, 0.32 * weights.shape[1] + 3), max(3.0, 0.32 * len(weights) + 2))
    )
    image = ax.imshow(weights.to_numpy(dtype=float), cmap="viridis", vmin=0, aspect="auto")
    ax.set_xticks(np.arange(weights.shape[1]), weights.columns, rotation=90, fontsize=7)
    ax.set_yticks(np.arange(len(weights)), weights.index, fontsize=7)
    ax.set_xlabel("source")
    ax.set_ylabel("target")
    fig.colorbar(image, ax=ax, label="weight")
    ax.set_title(title or "MixMin weights")
    fig.tight_layout()
    return save_png(fig, path)


def comparison_tables(comparison: Comparison) -> dict[str, pd.DataFrame]:
    """Mean AP with CIs and win/tie/loss per leakage mode, the modes side by side, per-target AP,
    per-target gains and the compute per method.

    Parameters
    ----------
    comparison : Comparison
        The experiment.

    Returns
    -------
    dict of str to pandas.DataFrame
    """
    methods, report = comparison.methods, comparison.report
    tables: dict[str, pd.DataFrame] = {}
    for mode, rep in report.groupby("leakage", sort=False):
        tables[f"summary_{mode}"] = _labelled(method_summary(rep, methods))
        tables[f"wins_{mode}"] = _labelled(win_tie_loss(rep, methods))
    modes = list(report["leakage"].unique())
    if len(modes) > 1:
        tables["leakage_side_by_side"] = pd.DataFrame(
            {
                "method": [LABELS[m] for m in methods],
                **{
                    f"mean AP ({mode})": tables[f"summary_{mode}"]["mean_ap"].to_numpy()
                    for mode in modes
                },
            }
        )
    first = report[report["leakage"] == modes[0]]
    per_target = first.groupby("target", sort=False)[[f"ap_{m}" for m in methods]].mean()
    tables["per_target"] = per_target.rename(columns=lambda c: LABELS[c[3:]]).reset_index()
    tables["gains"] = gains(first, methods)
    tables["compute"] = _labelled(compute_table(comparison))
    return tables


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in ("method", "against"):
        if col in out:
            out[col] = out[col].map(LABELS)
    return out


def write_comparison(
    comparison: Comparison, out_dir: str | Path, name: str | None = None, *, echo: bool = False
) -> dict[str, Path]:
    """Tables (Markdown, CSV, JSON), the gain plot and the weight heatmap of an experiment.

    Parameters
    ----------
    comparison : Comparison
        The experiment.
    out_dir : str or pathlib.Path
        The folder.
    name : str or None, default=None
        Stem of the files (None: ``experiment_<panel>``).
    echo : bool, default=False
        Also print the tables.

    Returns
    -------
    dict of str to pathlib.Path
        Each output by kind.
    """
    name = name or f"experiment_{comparison.panel}"
    out = Path(out_dir)
    tables = comparison_tables(comparison)
    runs = list(comparison.runs.values())
    cfg = runs[0].metadata["config"]
    seeds = sorted(comparison.report["seed"].unique().tolist())
    first_mode = comparison.report["leakage"].iloc[0]
    notes = [
        f"Panel {comparison.panel}: {comparison.report['target'].nunique()} targets, "
        f"{runs[0].metadata['n_proxies']} proxies, seeds {seeds}, leakage "
        f"{list(comparison.report['leakage'].unique())}, split {cfg['split']}, proxy grid "
        f"search {'on' if cfg['grid_search'] else 'off'}, random search {cfg['random_search']} "
        f"trials, RegMix {cfg['regmix']} small runs, MixMin fitted on {cfg['weight_rows']}.",
        "Mean AP: over targets, then over seeds; 95% CI: t-interval over the seeds' means. "
        f"Win/tie/loss per target (AP averaged over seeds; tie: |diff| <= {TIE}); Wilcoxon "
        "signed-rank test of the paired per-target differences. Per-target tables, gains and "
        f"plots use leakage {first_mode!r}.",
        f"Wall time of all runs: {sum(r.metadata['wall_time_s'] for r in runs):.1f} s.",
    ]
    skipped = runs[0].skipped
    if len(skipped):
        tables["skipped"] = skipped
    if len(runs[0].issues):  # the same panel in every run
        tables["issues"] = runs[0].issues
        notes.append(
            f"{len(runs[0].issues)} input issues (invalid SMILES, merged duplicates, "
            f"conflicting labels): every row in {name}_issues.csv."
        )
    files = write_tables(
        out,
        name,
        f"MixMin on {comparison.panel}: the paper's protocol and baselines",
        tables,
        notes,
        {"config": cfg},
        echo=echo,
    )
    files["gain_plot"] = plot_gains(
        tables["gains"], out / f"{name}_gain.png", f"{comparison.panel}: per-target AP gain"
    )
    # mean over the seeds in which each target was eligible
    mean_w = (
        pd.concat(
            [r.weights.fillna(0) for (mode, _), r in comparison.runs.items() if mode == first_mode]
        )
        .groupby(level=0, sort=False)
        .mean()
    )
    files["weights_plot"] = plot_weights(
        mean_w, out / f"{name}_weights.png", f"{comparison.panel}: MixMin weights (mean over seeds)"
    )
    return files


def _where_mixing_pays(report: pd.DataFrame) -> str:
    """What a newcomer should read in this table: the paper's protocol gives every target all
    its own training labels, and that is where training on them alone is hardest to beat."""
    n_train = int(report["n_train"].median()) if "n_train" in report and len(report) else 0
    return (
        f"Each target here trains on its own {n_train:,} labelled compounds (median), and with "
        "that many, a model of the target's own labels is hard to beat. Mixing public assays "
        "pays for a new assay with few labels: `bioassay-mix fit` on your assay reports it "
        "by cross-validation, and the label-budget study and the FS-Mol benchmark "
        "(`benchmarks/results/label_budget_headline.md`, `docs/guide/fsmol.md`) measure it."
    )
