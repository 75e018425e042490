"""Reading a target assay: labelled compounds from a file or a frame, every problem reported."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._files import sha256_file
from ..bundle import OUTPUT_COLUMNS
from ..compound_files import input_format, read_records
from ..datasets import read_table
from ..errors import DataError
from ..panel import AssayPanel

logger = logging.getLogger(__name__)


@dataclass
class TargetData:
    """A user's labelled compounds: canonical SMILES, 0/1 labels, and what was reported while
    reading them (invalid SMILES, merged duplicates, conflicting labels, missing labels).

    Parameters
    ----------
    smiles : list of str
        Canonical SMILES, one per labelled compound.
    y : numpy.ndarray of 0/1
        Their labels.
    name : str
        The target's name in reports and bundles.
    issues : pandas.DataFrame
        Every row that was reported: ``row``, ``smiles``, ``kind``, ``reason``.
    source : dict of str to str, default={}
        Where it was read from (file, columns).
    """

    smiles: list[str]
    y: np.ndarray
    name: str
    issues: pd.DataFrame
    source: dict[str, str] = field(default_factory=dict)

    @property
    def n_positive(self) -> int:
        """The number of compounds labelled 1."""
        return int(self.y.sum())


def read_target(
    source: str | os.PathLike | pd.DataFrame,
    *,
    smiles_column: str = "smiles",
    label_column: str = "label",
    name: str | None = None,
) -> TargetData:
    """A target assay from a CSV/TSV/Parquet, ``.smi`` or SDF file (optionally gzipped) or a
    frame.

    Parameters
    ----------
    source : path or pandas.DataFrame
        One row per measurement: a SMILES column and a 0/1 label column. An SDF file's SMILES
        come from its molecule blocks and its labels from the SD property ``label_column``; a
        ``.smi`` file is read by :func:`~bioassay_mix.compound_files.read_records`.
    smiles_column, label_column : str, default="smiles", "label"
    name : str or None, default=None
        The target's name (default: the file's stem, or ``"target"``).

    Returns
    -------
    TargetData

    Notes
    -----
    Invalid SMILES and rows without a label are reported in ``issues`` and left out;
    duplicate compounds are merged; duplicates whose labels conflict are reported and left out
    (their label becomes missing). Labels other than 0, 1 or empty are an error naming the row.
    """
    info: dict[str, str] = {}
    unreadable: dict[int, str] = {}
    if isinstance(source, pd.DataFrame):
        frame, name = source, name or "target"
    else:
        path = Path(source)
        records = input_format(path) in ("smi", "sdf")
        frame, unreadable = read_records(path) if records else (read_table(path), {})
        name = name or target_name(path)
        info = {"file": str(path), "sha256": sha256_file(path)}
    if name in OUTPUT_COLUMNS:
        raise DataError(
            f"target name {name!r} is a column of every scored table "
            f"{list(OUTPUT_COLUMNS)}; give the target another name (--name)"
        )
    for column in (smiles_column, label_column):
        if column not in frame.columns:
            raise DataError(
                f"{name}: no column {column!r}; columns are {list(frame.columns)[:10]}"
                " (set --smiles-column / --label-column)"
            )
    panel = AssayPanel.from_frame(
        frame, smiles_column=smiles_column, label_columns=[label_column], name=name
    )
    y = panel.column(label_column)
    if y.empty:
        raise DataError(f"{name}: no compound has both a valid SMILES and a label")
    if y.nunique() < 2:
        raise DataError(
            f"{name}: every labelled compound is {int(y.iloc[0])}; MixMin needs "
            "positives and negatives"
        )
    issues = panel.issues.copy()
    if unreadable:  # an SDF record without a molecule: say why, not just "missing SMILES"
        lost = issues["row"].isin(list(unreadable)) & (issues["kind"] == "invalid_smiles")
        issues.loc[lost, "detail"] = issues.loc[lost, "row"].map(unreadable)
    if len(issues):
        logger.warning(
            "%s: %d rows reported (%s)",
            name,
            len(issues),
            ", ".join(f"{n} {k}" for k, n in issues["kind"].value_counts().items()),
        )
    return TargetData(list(y.index), y.to_numpy().astype(np.int32), name, issues, info)


def target_name(path: Path) -> str:
    """A target file's name without its format suffix and compression: ``IC50 1.5uM.v2.csv``
    gives ``IC50 1.5uM.v2``, ``assay.csv.gz`` gives ``assay``, ``.hidden.csv`` ``.hidden``.

    Parameters
    ----------
    path : pathlib.Path
        The target file.

    Returns
    -------
    str
    """
    name = path.name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    return Path(name).stem or name
