"""Tables and figures every report shares: Markdown tables, a set of tables written as
Markdown, CSV and JSON at once, and the bars of one target's weights."""

from __future__ import annotations

import platform
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # reports are written headless (CLI, CI); notebooks still show figures
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ._files import atomic_path, write_json_atomic, write_text_atomic

__all__ = ["markdown_table", "plot_weight_bars", "save_png", "write_tables"]


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".3f") -> str:
    """A GitHub Markdown table (pandas' to_markdown needs the optional tabulate package).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; its columns are the header.
    floatfmt : str, default=".3f"
        Format of floats; NaN is an empty cell.

    Returns
    -------
    str
    """

    def cell(v) -> str:
        if isinstance(v, float | np.floating):
            return "" if np.isnan(v) else format(v, floatfmt)
        return "" if v is pd.NA else str(v)

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([head, rule, *body]) + "\n"


def write_tables(
    out_dir: str | Path,
    name: str,
    title: str,
    tables: dict[str, pd.DataFrame],
    notes: list[str],
    extra: dict | None = None,
    *,
    echo: bool = False,
) -> dict[str, Path]:
    """Write ``<name>.md`` (all tables), ``<name>_<table>.csv`` and ``<name>.json`` under
    ``out_dir``, each atomically.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        The folder.
    name : str
        The files' stem.
    title : str
        The Markdown's title.
    tables : dict of str to pandas.DataFrame
        Each table by its key (a section and a CSV file each).
    notes : list of str
        Paragraphs under the title.
    extra : dict or None, default=None
        More entries of the JSON file.
    echo : bool, default=False
        Also print every table.

    Returns
    -------
    dict of str to pathlib.Path
        ``md``, ``json`` and each table's CSV by its key.
    """
    import json
    import os

    out = Path(out_dir)
    files = {"md": out / f"{name}.md", "json": out / f"{name}.json"}
    parts = [f"# {title}", "", *notes, ""]
    for key, frame in tables.items():
        parts += [f"## {key}", "", markdown_table(frame, ".4g"), ""]
        files[key] = out / f"{name}_{key}.csv"
        with atomic_path(files[key]) as tmp:
            frame.to_csv(tmp, index=False)
        if echo:
            print(f"\n== {key} ==\n{frame.to_string(index=False)}")
    write_text_atomic(files["md"], "\n".join(parts))
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    write_json_atomic(
        files["json"],
        {
            "title": title,
            "notes": notes,
            "machine": machine,
            **(extra or {}),
            "tables": {k: json.loads(v.to_json(orient="records")) for k, v in tables.items()},
        },
    )
    return files


def plot_weight_bars(
    weights: pd.DataFrame, path: str | Path, title: str = "", max_sources: int = 20
) -> Path:
    """Horizontal bars of one target's weights, largest first; the target's own weight in
    another colour.

    Parameters
    ----------
    weights : pandas.DataFrame
        A ``source``, ``weight`` table.
    path : str or pathlib.Path
        The PNG to write.
    title : str, default=""
        The plot's title (default "MixMin weights").
    max_sources : int, default=20
        The largest weights shown.

    Returns
    -------
    pathlib.Path
    """
    top = weights[weights["weight"] > 0].nlargest(max_sources, "weight").iloc[::-1]
    fig, ax = plt.subplots(figsize=(7.0, max(2.5, 0.3 * len(top) + 1.2)))
    colours = ["tab:orange" if s == "target" else "tab:blue" for s in top["source"]]
    ax.barh(top["source"], top["weight"], color=colours)
    ax.set_xlabel("MixMin weight")
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title(title or "MixMin weights")
    fig.tight_layout()
    return save_png(fig, path)


def save_png(fig, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` as a PNG, atomically, and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : str or pathlib.Path
        The PNG to write.

    Returns
    -------
    pathlib.Path
    """
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return Path(path)
