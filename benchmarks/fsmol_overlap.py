"""FS-Mol: where mixing pays, by how many of a task's compounds the library's sources trained on.

    python benchmarks/fsmol_overlap.py --split-file FILE --library LIB --results DIR

A ChEMBL compound is often measured against many targets, so many of a new task's compounds
are training compounds of some library source. For each task of ``FILE``, the share of its
compounds that are a training row of at least one source of ``LIB`` (the library ``DIR``'s
scores were made with, ``benchmarks/fsmol.py``) puts it in a group (< 10%, 10-90%, >= 90%);
per group, method and size: the tasks, their mean ΔAUPRC (each task averaged over its draws),
and the tasks on which the method's mean AP is more than 0.005 above the random forest's.
Writes ``DIR/fsmol_overlap.md`` with CSV and JSON beside it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from _fsmol_io import open_library, read_parts, read_split

from bioassay_mix.report import write_tables

GROUPS = (0.0, 0.1, 0.9, 1.0)
LABELS = ("< 10%", "10-90%", ">= 90%")


def task_overlap(panel, library) -> pd.Series:
    """Per task, the share of its compounds that some source of ``library`` trained on."""
    trained = library.compounds[np.unique(np.concatenate(list(library.rows.values())))]
    return pd.Series(
        {
            task: float(pd.Index(panel.compounds[panel.positions(task)[0]]).isin(trained).mean())
            for task in panel.assays
        },
        name="in_library",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split-file", type=Path, required=True, help="FS-Mol's layout")
    parser.add_argument("--library", type=Path, required=True, help="the library DIR used")
    parser.add_argument("--results", type=Path, required=True, help="a fsmol.py --out DIR")
    args = parser.parse_args()
    scores, _ = read_parts(args.results)
    if scores.empty:
        raise SystemExit(f"--results {args.results}: no scores in parts/")
    overlap = task_overlap(read_split(args.split_file), open_library(args.library))
    group = pd.cut(overlap, GROUPS, labels=LABELS, include_lowest=True, right=False)
    group[overlap == 1.0] = LABELS[-1]
    wide = scores.pivot_table(
        index=["size", "task"], columns="method", values="delta_auprc", aggfunc="mean"
    )
    wide["group"] = wide.index.get_level_values("task").map(group)
    by = ["group", "size"]
    mean = wide.groupby(by, observed=True).mean().round(4)
    wins = (
        (wide.drop(columns="group").sub(wide["target_only_rf"], axis=0) > 0.005)
        .assign(group=wide["group"])
        .groupby(by, observed=True)
        .sum()
    )
    n_tasks = wide.groupby(by, observed=True).size().rename("n_tasks")
    tables = {
        "delta_auprc": pd.concat([n_tasks, mean], axis=1).reset_index(),
        "wins_over_rf": pd.concat([n_tasks, wins], axis=1).reset_index(),
        "tasks": pd.DataFrame({"in_library": overlap, "group": group}).reset_index(names="task"),
    }
    write_tables(
        args.results,
        "fsmol_overlap",
        f"FS-Mol by the library's overlap ({args.split_file.name}, {args.library.name})",
        tables,
        [
            "Tasks grouped by the share of their compounds that some library source trained "
            "on. delta_auprc: mean over the group's tasks, each averaged over its draws; "
            "wins_over_rf: tasks on which the method's mean AP is more than 0.005 above the "
            "random forest's."
        ],
        echo=True,
    )


if __name__ == "__main__":
    main()
