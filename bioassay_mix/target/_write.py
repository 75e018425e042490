"""Writing a fit: the report, the weights, the folds and a scoring bundle, as one folder."""

from __future__ import annotations

import math
import os
from pathlib import Path

from ._fit import FitResult

FIT_MARKER = "fit.json"
#: What :func:`write_fit` writes, by role; ``--overwrite`` replaces a folder holding only these.
FIT_FILES = {
    "report": "report.md",
    "summary": "summary.csv",
    "comparison": "comparison.csv",
    "weights": "weights.csv",
    "plot": "weights.png",
    "issues": "issues.csv",
    "folds": "folds.csv",
    "json": FIT_MARKER,
    "bundle": "bundle",
}


def write_fit(
    result: FitResult, out_dir: str | os.PathLike, *, overwrite: bool = False
) -> dict[str, Path]:
    """Write ``report.md`` (+ CSV/JSON), ``weights.csv`` and ``weights.png``, ``issues.csv``,
    ``folds.csv`` and a scoring ``bundle/`` into ``out_dir``, as one atomic folder. A folder
    that holds anything but an earlier fit's output is never replaced.

    Parameters
    ----------
    result : FitResult
        What :func:`fit_target` found.
    out_dir : str or os.PathLike
        The output folder.
    overwrite : bool, default=False
        Replace an earlier fit's output there.

    Returns
    -------
    dict of str to pathlib.Path
        Each written file by role (``report``, ``weights``, ``bundle``, ...).
    """
    from .._files import write_dir_atomic

    names = FIT_FILES

    def write(folder: Path) -> None:
        from ..report import plot_weight_bars

        for key in ("summary", "comparison", "weights", "issues", "folds"):
            frame = {
                "summary": result.summary,
                "comparison": result.comparison,
                "weights": result.weights,
                "issues": result.target.issues,
                "folds": result.folds,
            }[key]
            frame.to_csv(folder / names[key], index=False)
        plot_weight_bars(
            result.weights, folder / names["plot"], title=f"{result.target.name}: what informs it"
        )
        (folder / names["report"]).write_text(fit_markdown(result), encoding="utf-8")
        result.bundle().save(folder / names["bundle"])
        from .._files import write_json_atomic

        write_json_atomic(
            folder / FIT_MARKER,
            {
                "target": result.target.name,
                "source": result.target.source,
                "n_labelled": len(result.target.y),
                "n_positive": result.target.n_positive,
                "verdict": result.verdict,
                "settings": result.settings,
                "timings_s": result.timings,
                "summary": result.summary.to_dict("records"),
                "comparison": result.comparison.to_dict("records"),
                "weights": result.weights.head(50).to_dict("records"),
                "library": result.classifier.library.build_params,
                "gap": result.classifier.gap_,
            },
        )

    final = write_dir_atomic(
        out_dir,
        write,
        marker=FIT_MARKER,
        overwrite=overwrite,
        what="fit output",
        owned=tuple(names.values()),
    )
    return {k: final / v for k, v in names.items()}


def _prior_text(settings: dict) -> str:
    """The report's words for the prior: the option, and the final model's strength."""
    strength = settings["natural_prior_strength"]
    if settings["natural_prior"] == "auto" and strength == 0:
        return (
            f"auto, none: the library's sources label {settings['library_fill']:.2%} of its "
            "compounds x sources, too few shared compounds for natural pooling to be a "
            "consensus (plain MixMin)"
        )
    if settings["natural_prior"] == "auto":
        return f"auto, {_pseudo_compounds(strength)} for the final model"
    return _pseudo_compounds(strength)


def _bootstrap_text(settings: dict) -> str:
    n = settings["n_bootstrap"]
    return f"weights averaged over {n} bootstrap resamples" if n else "weights from one solve"


def _floor_text(settings: dict) -> str:
    floor = settings["target_floor_value"]
    if math.isinf(floor):
        text = "the final model trains on your compounds alone"
    elif floor:
        text = (
            f"the final model trains on your compounds with at least {floor:g} x the largest "
            "source's weight"
        )
    else:
        text = "the final model trains on MixMin's weights as they are"
    if settings["target_floor"] != "auto":
        return text
    if not floor:
        return f"auto: a dense library, {text}"
    return (
        f"auto: a sparse library that trained on {settings['in_library']:.0%} of your "
        f"compounds, {text}"
    )


def _pseudo_compounds(strength: float) -> str:
    shown = round(strength, 1)
    return f"{shown:g} pseudo-compound{'' if shown == 1 else 's'}"


def fit_markdown(result: FitResult) -> str:
    """The report: verdict, cross-validated AP and ΔAUPRC per method, paired gains, weights.

    Parameters
    ----------
    result : FitResult
        What :func:`fit_target` found.

    Returns
    -------
    str
        Markdown.
    """
    from ..report import markdown_table

    t = result.target
    top = result.weights.head(15)[
        ["source", "weight", "dataset", "description", "n_train", "n_positive"]
    ]
    issues = ""
    seen = result.settings.get("n_target_compounds_in_library", 0)
    if seen:
        issues = (
            f"**Warning: {seen} of the {len(t.y)} compounds are training compounds of the "
            "library's sources**: their proxies predict them from memory, so the weights "
            "lean toward those sources and the cross-validated AP below is optimistic. "
            "Build the library with `--exclude` of this file for an honest estimate. "
        )
    if len(t.issues):
        counts = t.issues["kind"].value_counts()
        issues += (
            "Input rows reported: "
            + ", ".join(f"{n} {k}" for k, n in counts.items())
            + " (every row, SMILES and reason in `issues.csv`)."
        )
    largest = " (the largest of the resamples)" if result.settings["n_bootstrap"] else ""
    return "\n".join(
        [
            f"# {t.name}: MixMin against a library of {len(result.classifier.library)} assays",
            "",
            f"**{result.verdict}**",
            "",
            f"{len(t.y)} labelled compounds, {t.n_positive} positive; "
            f"{result.settings['cv']}-fold cross-validation x {result.settings['repeats']}; final "
            f"estimator {result.settings['final_estimator']}; MixMin's prior toward natural "
            f"pooling: {_prior_text(result.settings)}; {_bootstrap_text(result.settings)}; "
            f"{_floor_text(result.settings)}. "
            f"{issues}",
            "",
            "## Cross-validated average precision",
            "",
            "ΔAUPRC is AP minus the test fold's positive rate (0 for a random ranking); intervals "
            "are 95% t-intervals over the folds, cut at AP's range [0, 1].",
            "",
            markdown_table(result.summary.drop(columns=["method"])),
            "",
            "## MixMin + target against each baseline, fold by fold",
            "",
            markdown_table(result.comparison.drop(columns=["baseline"])),
            "",
            "## What informs the target (MixMin + target on every labelled compound)",
            "",
            markdown_table(top, ".4f"),
            "",
            f"Certified duality gap {result.classifier.gap_:.1e}{largest}; all weights in "
            "`weights.csv`, "
            "a scoring bundle in `bundle/` (`bioassay-mix score --bundle ...`).",
            "",
        ]
    )
