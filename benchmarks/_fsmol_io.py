"""The FS-Mol benchmark's files: the split file read (another layout refused by name); the
summary with 95% intervals, win/tie/loss against each method, FS-Mol's published test figures
as labelled reference rows, the plot; the reading back of every process's part files; and the
settings a results folder was scored with, so that a resumed run never mixes in scores made
otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from _common import versus

from bioassay_mix._files import atomic_path, write_json_atomic
from bioassay_mix._utils import t_interval
from bioassay_mix.errors import BioassayMixError
from bioassay_mix.library import ProxyLibrary, load_library
from bioassay_mix.panel import AssayPanel
from bioassay_mix.report import write_tables

COLUMNS = ("task", "smiles", "label")
#: FS-Mol's published ΔAUPRC on its 157 test tasks (``../shared/data/fsmol/README.md``), by
#: support size; 256 over the 43 test tasks large enough.
PUBLISHED = {
    "random forest (FS-Mol, test)": (0.098, 0.130, 0.168, 0.218, 0.261),
    "kNN (FS-Mol, test)": (0.056, 0.080, 0.107, 0.144, 0.175),
    "GNN multitask fine-tuned (FS-Mol, test)": (0.117, 0.149, 0.182, 0.228, 0.239),
    "MAML (FS-Mol, test)": (0.165, 0.172, 0.178, 0.197, 0.187),
    "ProtoNet (FS-Mol, test)": (0.211, 0.247, 0.276, 0.306, 0.292),
}
PUBLISHED_SIZES = (16, 32, 64, 128, 256)


def open_library(path: Path) -> ProxyLibrary:
    """The library at ``path``; one that cannot be loaded ends the run naming ``--library``."""
    try:
        return load_library(path)
    except BioassayMixError as exc:
        raise SystemExit(f"--library {path}: {exc}") from exc


def read_split(path: Path) -> AssayPanel:
    """The tasks of a split file as a panel (canonical SMILES, the same issue handling as any
    long table), refusing a file of another layout by name."""
    try:
        head = pd.read_csv(path, nrows=0)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise SystemExit(f"--split-file {path}: not a readable CSV ({exc})") from exc
    missing = [c for c in COLUMNS if c not in head.columns]
    if missing:
        raise SystemExit(
            f"--split-file {path}: columns {missing} missing (found "
            f"{list(head.columns)}); expected FS-Mol's layout {list(COLUMNS)}"
        )
    frame = pd.read_csv(path, usecols=list(COLUMNS), dtype={"task": str, "smiles": str})
    return AssayPanel.from_long(frame, name=path.name, assay_column="task")


def summarise(scores: pd.DataFrame, skipped: pd.DataFrame, out: Path, split: str) -> None:
    per_task = scores.groupby(["size", "method", "task"], as_index=False)[
        ["ap", "delta_auprc"]
    ].mean()
    summary = []
    for (size, method), part in per_task.groupby(["size", "method"]):
        mean, lo, hi = t_interval(part["delta_auprc"])
        summary.append(
            {
                "size": size,
                "method": method,
                "n_tasks": len(part),
                "draws": int(
                    scores[(scores["size"] == size) & (scores["method"] == method)][
                        "draw"
                    ].nunique()
                ),
                "mean_delta_auprc": mean,
                "ci_low": lo,
                "ci_high": hi,
                "mean_ap": part["ap"].mean(),
            }
        )
    summary = pd.DataFrame(summary)
    wide = summary.pivot_table(index="method", columns="size", values="mean_delta_auprc")
    reference = pd.DataFrame(
        [
            {
                "method": name,
                **{s: v for s, v in zip(PUBLISHED_SIZES, values, strict=True) if s in wide.columns},
            }
            for name, values in PUBLISHED.items()
        ]
    ).set_index("method")
    table = pd.concat([wide, reference]).reset_index()
    table.columns = [str(c) for c in table.columns]
    ap_wide = per_task.pivot_table(index=["size", "task"], columns="method", values="ap")
    tables = {"delta_auprc": table, "summary": summary}
    for ours in ("default", "mixmin_plus_target", "mixmin_ensemble_plus_target"):
        if ours in ap_wide.columns and len(ap_wide.columns) > 1:
            tables[f"versus_{ours}"] = versus(ap_wide, ours)
    timing = _timing(scores)
    if timing is not None:
        tables["seconds"] = timing
    if "weight_on_target" in scores.columns and scores["weight_on_target"].notna().any():
        tables["weight_on_target"] = scores.pivot_table(
            index="method", columns="size", values="weight_on_target", aggfunc="mean"
        ).reset_index()
    skipped = skipped.drop_duplicates()
    one_class = skipped["reason"].eq("fewer than 3 of a class")
    notes = [
        f"Split file {split}; {scores['task'].nunique()} tasks, draws "
        f"{sorted(int(d) for d in scores['draw'].unique())}. Rows named '(FS-Mol, test)' are "
        "FS-Mol's published figures on its 157 test tasks, for reference only: a different "
        "task set from this run's.",
        "Mean ΔAUPRC over tasks, each task averaged over its draws; 95% t-intervals over tasks "
        "in the summary table; versus: win/tie/loss per task on mean AP (tie: |ΔAP| <= 0.005).",
        "weight_on_target: mean weight on the support's own column (out-of-fold "
        "predictions) over tasks and draws, for the methods whose weights are recorded.",
        "seconds: mean seconds per support set of each method's own fit and prediction on one "
        "thread, by size; total_hours sums them over the run (one process), shared fits apart.",
        "Tasks skipped per size, too small for it: "
        + _per_size(skipped[~one_class])
        + "; with fewer than 3 of a class: "
        + _per_size(skipped[one_class])
        + ".",
    ]
    copied = sorted(p.name for p in (out / "parts").glob("draws*-baselines.csv"))
    if copied:
        notes.append(
            f"Scores in {copied} were copied from a run with another library: "
            "methods that use no library (target_only_rf, target_only_xgb, knn) "
            "give the same scores on the same support sets whatever the library."
        )
    write_tables(out, "fsmol", f"FS-Mol benchmark ({split})", tables, notes, echo=True)
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for method, part in summary.groupby("method"):
        part = part.sort_values("size")
        ax.plot(part["size"], part["mean_delta_auprc"], marker="o", label=method)
    for name, values in PUBLISHED.items():
        if "ProtoNet" in name or "random forest" in name:
            ax.plot(PUBLISHED_SIZES, values, linestyle="--", color="grey", label=name)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("support set size")
    ax.set_ylabel("mean ΔAUPRC")
    ax.legend(fontsize=6)
    fig.tight_layout()
    with atomic_path(out / "fsmol.png") as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)


def read_parts(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    parts = sorted((out / "parts").glob("draws*.csv"))
    scores = [pd.read_csv(p, dtype={"task": str}) for p in parts if "skipped" not in p.name]
    skipped = [pd.read_csv(p, dtype={"task": str}) for p in parts if "skipped" in p.name]
    return (
        pd.concat(scores, ignore_index=True) if scores else pd.DataFrame(),
        pd.concat(skipped, ignore_index=True)
        if skipped
        else pd.DataFrame(columns=["task", "size", "reason"]),
    )


def _timing(scores: pd.DataFrame) -> pd.DataFrame | None:
    """Mean seconds per support set of each method's own fit and prediction, by size, beside
    the fits that several methods share and the whole run's scoring time in one process."""
    if "seconds" not in scores.columns or scores["seconds"].isna().all():
        return None
    timed = scores.dropna(subset=["seconds"])
    table = timed.pivot_table(index="method", columns="size", values="seconds", aggfunc="mean")
    groups = timed.drop_duplicates(["task", "size", "draw"])
    shared = groups.groupby("size")["seconds_shared"].mean().rename("(shared: weights, own proxy)")
    table = pd.concat([table, shared.to_frame().T])
    table["total_hours"] = (
        pd.concat(
            [
                timed.groupby("method")["seconds"].sum(),
                pd.Series({shared.name: groups["seconds_shared"].sum()}),
            ]
        )
        / 3600
    )
    table.columns = [str(c) for c in table.columns]
    return table.rename_axis("method").reset_index()


def _per_size(skipped: pd.DataFrame) -> str:
    counts = skipped.groupby("size").size()
    return ", ".join(f"{s}: {n}" for s, n in counts.items()) or "none"


SETTINGS = "fsmol_settings.json"


def check_settings(out: Path, settings: dict) -> None:
    """Record what ``out``'s scores depend on (the library's manifest and the split file by
    content, the default's parameters, ``--min-query``) when it has none, else refuse to add
    scores made with other settings: a resumed run keeps the scores it finds (a folder scored
    before this record existed is taken as it is)."""
    path = out / SETTINGS
    if not path.is_file():
        out.mkdir(parents=True, exist_ok=True)
        write_json_atomic(path, settings)
        return
    try:
        before = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SystemExit(f"--out {out}: {path.name} is unreadable ({exc}); move it away") from exc
    changed = [
        f"{key} {before.get(key)!r} there, {value!r} now"
        for key, value in settings.items()
        if before.get(key) != json.loads(json.dumps(value))
    ]
    if changed:
        raise SystemExit(
            f"--out {out}: its scores were made with other settings ({'; '.join(changed)}): "
            "resume with the same ones or give another --out"
        )
