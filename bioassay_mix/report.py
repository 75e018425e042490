"""Write a run's results: CSV/Parquet tables, a Markdown summary, a plot and the metadata."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # reports are written headless (CLI, CI); notebooks still show figures
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ._utils import atomic_path, write_json_atomic, write_text_atomic
from .experiment import METHODS, RunResult

LABELS = {"target_only": "target only", "natural": "natural", "balanced": "balanced",
          "mixmin_ensemble": "MixMin ensemble", "mixmin_trained": "MixMin-trained"}


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".3f") -> str:
    """A GitHub Markdown table (pandas' to_markdown needs the optional tabulate package)."""
    def cell(v) -> str:
        if isinstance(v, float | np.floating):
            return "" if np.isnan(v) else format(v, floatfmt)
        return str(v)

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([head, rule, *body]) + "\n"


def ap_table(report: pd.DataFrame) -> pd.DataFrame:
    """Average precision per target and method, with a mean row."""
    cols = {f"ap_{m}": LABELS[m] for m in METHODS}
    table = report.set_index("target")[list(cols)].rename(columns=cols)
    table.loc["mean"] = table.mean()
    return table.reset_index()


def plot_ap(report: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """Grouped bars: average precision of every method for every target."""
    table = report.set_index("target")[[f"ap_{m}" for m in METHODS]]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(table) + 2), 4.2))
    width = 0.8 / len(METHODS)
    x = np.arange(len(table))
    for i, m in enumerate(METHODS):
        ax.bar(x + (i - (len(METHODS) - 1) / 2) * width, table[f"ap_{m}"], width,
               label=LABELS[m])
    ax.set_xticks(x, table.index, rotation=45, ha="right")
    ax.set_ylabel("average precision (test)")
    ax.set_ylim(0, 1)
    ax.set_title(title or "Average precision per target")
    ax.legend(ncol=3, fontsize=8, loc="upper left")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return Path(path)


def write_report(result: RunResult, out_dir: str | Path) -> dict[str, Path]:
    """Write every output of a run under ``out_dir`` (each file atomically)."""
    out = Path(out_dir)
    files = {
        "report_csv": out / "report.csv", "report_parquet": out / "report.parquet",
        "report_md": out / "report.md", "weights": out / "weights.csv",
        "skipped": out / "skipped.csv", "solver": out / "solver.csv",
        "plot": out / "ap.png", "metadata": out / "metadata.json",
    }
    for key, frame, index in (("report_csv", result.report, False),
                              ("weights", result.weights, True),
                              ("skipped", result.skipped, False),
                              ("solver", result.solver, False)):
        with atomic_path(files[key]) as tmp:
            frame.to_csv(tmp, index=index)
    with atomic_path(files["report_parquet"]) as tmp:
        result.report.to_parquet(tmp, index=False)
    write_text_atomic(files["report_md"], summary_markdown(result))
    plot_ap(result.report, files["plot"], title=f"{result.metadata['panel']}: AP per target")
    write_json_atomic(files["metadata"], result.metadata)
    return files


def summary_markdown(result: RunResult) -> str:
    meta = result.metadata
    gains = result.report[["target", "best_baseline", "gain_vs_best_baseline", "gain_vs_natural",
                           "n_sources_used", "top_source", "top_weight"]]
    lines = [
        f"# MixMin on {meta['panel']}", "",
        f"{len(result.report)} targets, {meta['n_proxies']} proxies, seed "
        f"{meta['config']['seed']}, split {meta['config']['split']} / leakage "
        f"{meta['config']['leakage']}, device {meta['device']}, wall time "
        f"{meta['wall_time_s']:.1f} s.", "",
        "## Average precision on each target's test split", "", markdown_table(ap_table(
            result.report)),
        "## MixMin-trained against the baselines", "", markdown_table(gains),
        "## Solver certificates (Frank-Wolfe gap)", "", markdown_table(result.solver, ".2e"),
    ]
    if len(result.skipped):
        lines += ["## Skipped", "", markdown_table(result.skipped)]
    return "\n".join(lines)
