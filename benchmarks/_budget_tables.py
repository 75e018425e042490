"""The label-budget study's tables: its method names, summaries with intervals, paired
comparisons, the notes on draws and the headline across panels, and its plot."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from _common import RESULTS, versus

from bioassay_mix import load_panel
from bioassay_mix._utils import t_interval
from bioassay_mix.estimator import (
    AUTO_TARGET_FLOOR,
    DEFAULT_N_BOOTSTRAP,
    DEFAULT_TARGET_FLOOR,
    target_floor_value,
)
from bioassay_mix.natural_prior import DEFAULT_NATURAL_PRIOR

#: Every score of a study, gzipped: ToxCast's 10 draws are 2.6 MB as plain CSV.
RAW_SUFFIX = "_raw.csv.gz"


def prior_method(
    strength: float | str, n_bootstrap: int = 0, target_floor: float | str = 0.0
) -> str:
    """The method name of MixMin + target with ``natural_prior=strength``, ``n_bootstrap``
    resamples (``_bag<N>``; none for one solve) and ``target_floor`` (``_floor<F>``)."""
    prior = "_auto" if strength == "auto" else f"{strength:g}"
    bag = f"_bag{n_bootstrap}" if n_bootstrap else ""
    floor = target_floor if target_floor == "auto" else f"{target_floor:g}"
    floor = f"_floor{floor}" if target_floor else ""
    return f"mixmin_plus_target_prior{prior}{bag}{floor}"


def panel_fill(panel: str) -> float:
    """The share of ``panel``'s compounds x assays cells that hold a label: what a library of
    its assays has for :attr:`~bioassay_mix.library.ProxyLibrary.fill`, near enough for the
    auto rules (the panels lie far from their threshold)."""
    p = load_panel(panel)
    return p.n_labels / (len(p.compounds) * len(p.assays))


def default_method(fill: float) -> str:
    """The package's default on a library of ``fill``: MixMin + target with
    ``natural_prior=DEFAULT_NATURAL_PRIOR``, ``n_bootstrap=DEFAULT_N_BOOTSTRAP`` and
    ``target_floor=DEFAULT_TARGET_FLOOR``, named for what that gives there: no floor on a
    dense library, the floor resolved per support set on a sparse one."""
    floor = DEFAULT_TARGET_FLOOR if target_floor_value(DEFAULT_TARGET_FLOOR, fill) else 0.0
    return prior_method(DEFAULT_NATURAL_PRIOR, DEFAULT_N_BOOTSTRAP, floor)


def summarise(raw: pd.DataFrame, default: str) -> dict[str, pd.DataFrame]:
    """Every table of one panel's study; ``default`` is the package default's method there."""
    per_target = raw.groupby(["size", "method", "target"], as_index=False)[
        ["ap", "delta_auprc", "weight_on_target"]
    ].mean()
    summary = []
    for (size, method), part in per_target.groupby(["size", "method"]):
        _, lo, hi = t_interval(part["ap"], bounds=(0.0, 1.0))
        _, dlo, dhi = t_interval(part["delta_auprc"])
        summary.append(
            {
                "size": size,
                "method": method,
                "n_targets": len(part),
                "mean_ap": part["ap"].mean(),
                "ap_ci_low": lo,
                "ap_ci_high": hi,
                "mean_delta_auprc": part["delta_auprc"].mean(),
                "delta_ci_low": dlo,
                "delta_ci_high": dhi,
            }
        )
    summary = pd.DataFrame(summary)
    mixmin = per_target["method"].str.startswith("mixmin_plus_target")
    weight = (
        per_target[mixmin]
        .pivot_table(index="size", columns="method", values="weight_on_target")
        .reset_index()
    )
    tables = {"summary": summary, "vs_mixmin_plus_target": paired(raw, "mixmin_plus_target")}
    if default in set(raw["method"]):
        tables["vs_default_prior"] = paired(raw, default)
    return {**tables, "priors_vs_natural": priors_vs_natural(raw), "weight_on_target": weight}


def paired(raw: pd.DataFrame, ours: str) -> pd.DataFrame:
    """``ours`` against every other method on the draws both scored (a variant added to some
    draws only is compared on those), target by target; ``draws`` names them."""
    scored = raw.groupby("method")["draw"].unique()
    tables = []
    for other in scored.index.drop(ours):
        common = sorted(set(scored[ours]) & set(scored[other]))
        same = raw[raw["method"].isin([ours, other]) & raw["draw"].isin(common)]
        wide = same.pivot_table(index=["size", "target"], columns="method", values="ap")
        table = versus(wide, ours)
        if len(table):
            tables.append(table.assign(draws=" ".join(map(str, common))))
    return pd.concat(tables, ignore_index=True).sort_values(["size", "against"], kind="stable")


def priors_vs_natural(raw: pd.DataFrame) -> pd.DataFrame:
    """Every MixMin + target variant (no prior and each strength) against natural + target, on
    the draws that every method scored, so that strengths run on fewer draws are compared on
    the same ones: how far above natural pooling the best strength gets."""
    common = set.intersection(*map(set, raw.groupby("method")["draw"].unique()))
    same = raw[raw["draw"].isin(common)]
    wide = same.pivot_table(index=["size", "target"], columns="method", values="ap")
    variants = [m for m in wide.columns if m.startswith("mixmin_plus_target")]
    table = pd.concat(
        [versus(wide[[m, "natural_plus_target"]], m).assign(against=m) for m in variants],
        ignore_index=True,
    )
    return (
        table.rename(columns={"against": "method"})
        .sort_values(["size", "method"], kind="stable")
        .assign(draws=" ".join(map(str, sorted(common))))
    )


def fewer_draws(raw: pd.DataFrame) -> list[str]:
    """A note per method scored on fewer draws than the panel has (a prior variant added to
    some draws only), since its per-target means then average other draws."""
    all_draws = set(raw["draw"])
    notes = []
    for method, draws in raw.groupby("method")["draw"].unique().items():
        if set(draws) != all_draws:
            notes.append(
                f"{method}: draws {sorted(int(d) for d in draws)} only (the panel has "
                f"{sorted(int(d) for d in all_draws)})."
            )
    return notes


def catch_up(summary: pd.DataFrame) -> str:
    s = summary.pivot_table(index="size", columns="method", values="mean_ap")
    caught = s.index[s["target_only_xgb"] >= s["mixmin_plus_target"]]
    return f"{int(caught.min())}" if len(caught) else f"not within {int(s.index.max())}"


#: The headline's methods: the baselines and MixMin + target without a prior, with 8
#: pseudo-compounds, with ``"auto"`` (solved once) and averaged over the default's resamples
#: without and with the floor (1, and auto); the package's default on each panel is marked.
HEADLINE = {
    "target_only_xgb": "target only (XGBoost)",
    "natural_plus_target": "natural + target",
    "mixmin_plus_target": "MixMin + target, no prior",
    prior_method(8.0): "MixMin + target, prior 8",
    prior_method("auto"): "MixMin + target, prior auto",
    prior_method("auto", DEFAULT_N_BOOTSTRAP): "MixMin + target, prior auto, "
    f"{DEFAULT_N_BOOTSTRAP} bootstrap resamples",
    prior_method("auto", DEFAULT_N_BOOTSTRAP, AUTO_TARGET_FLOOR): "MixMin + target, prior "
    f"auto, {DEFAULT_N_BOOTSTRAP} bootstrap resamples, target floor {AUTO_TARGET_FLOOR:g}",
    prior_method("auto", DEFAULT_N_BOOTSTRAP, "auto"): "MixMin + target, prior auto, "
    f"{DEFAULT_N_BOOTSTRAP} bootstrap resamples, target floor auto",
}


def headline(raw_files: list[Path], fills: dict[str, float] | None = None) -> pd.DataFrame:
    """Mean test AP of :data:`HEADLINE`'s methods per panel and support size, from raw score
    files named ``<out-name>_<panel>_raw.csv.gz``; a panel's draws and targets are in its row,
    the package's default there (by the panel's fill, ``fills`` or :func:`panel_fill`) is
    marked, and a method scored on fewer of its draws says on how many."""
    rows = []
    for file in raw_files:
        raw = pd.read_csv(file)
        panel = file.name.removesuffix(RAW_SUFFIX).rsplit("_", 1)[1]
        fill = fills[panel] if fills is not None else panel_fill(panel)
        per_target = raw.groupby(["method", "size", "target"])["ap"].mean()
        mean = per_target.groupby(["method", "size"]).mean().unstack("size")
        draws = raw.groupby("method")["draw"].nunique()
        n_draws = raw["draw"].nunique()
        for method, label in HEADLINE.items():
            if method in mean.index:
                default = " (default)" if method == default_method(fill) else ""
                n = draws[method]
                fewer = f" ({n} draw{'s' if n > 1 else ''})" if n < n_draws else ""
                rows.append(
                    {
                        "panel": f"{panel} ({raw['target'].nunique()} targets, {n_draws} draws)",
                        "method": label + default + fewer,
                        **{f"{size} labels": mean.loc[method, size] for size in mean.columns},
                    }
                )
    return pd.DataFrame(rows)


def plot_curves(summary: pd.DataFrame, name: str, out_name: str):
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for method, part in summary.groupby("method"):
        part = part.sort_values("size")
        err = [part["mean_ap"] - part["ap_ci_low"], part["ap_ci_high"] - part["mean_ap"]]
        ax.errorbar(part["size"], part["mean_ap"], yerr=err, marker="o", capsize=3, label=method)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("labelled compounds of the target (support set)")
    ax.set_ylabel("mean test AP over targets")
    ax.set_title(f"{name}: AP by label budget")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(RESULTS / f"{out_name}_{name}.png", dpi=120)
    plt.close(fig)
