"""Panels read from tables: a dense frame of labels, a wide table of SMILES and label columns,
a long table of (compound, assay, label); SMILES canonicalised once each (in worker processes
when there are many), invalid rows and conflicting duplicates reported, never dropped silently."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._utils import resolve_n_jobs
from ..chem import canonical_many, parse_smiles
from ..errors import DataError
from ..executor import process_map
from ._layout import ISSUE_COLUMNS, check_conflict_rule

logger = logging.getLogger("bioassay_mix.panel")

#: Distinct SMILES per worker task when canonicalising in worker processes; fewer distinct
#: strings than two blocks are canonicalised here (a few seconds of one core at most).
_BLOCK = 5_000


class PanelReaders:
    """The constructors of :class:`~bioassay_mix.panel.AssayPanel` that read tables."""

    @classmethod
    def from_labels(
        cls,
        labels: pd.DataFrame,
        *,
        name: str = "panel",
        issues: pd.DataFrame | None = None,
        sources: dict[str, str] | None = None,
    ) -> Self:
        """A panel from a dense frame of 1, 0 or NaN (compounds x assays, indexed by canonical
        SMILES), as :attr:`labels` gives it.

        Parameters
        ----------
        labels : pandas.DataFrame
            The labels.
        name : str, default="panel"
            The panel's name.
        issues, sources : optional
            As in the constructor.

        Returns
        -------
        AssayPanel
        """
        values = labels.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isnan(values) & (values != 0) & (values != 1)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise DataError(
                f"panel {name!r}: label {values[r, c]!r} in assay "
                f"{labels.columns[c]!r} for {labels.index[r]!r} is not 0/1"
            )
        codes = np.where(np.isnan(values), 0, np.where(values == 1, 1, -1)).astype(np.int8)
        return cls(
            sp.csc_matrix(codes),
            compounds=labels.index,
            assays=labels.columns,
            name=name,
            issues=issues,
            sources=sources,
        )

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        smiles_column: str = "smiles",
        label_columns: Sequence[str] | None = None,
        name: str = "panel",
        strict: bool = False,
        on_conflict: str = "missing",
        n_jobs: int | None = 1,
    ) -> Self:
        """Build a panel from a wide table: one SMILES column and one 0/1 column per assay.

        Parameters
        ----------
        frame : pandas.DataFrame
            The table.
        smiles_column : str, default="smiles"
            The column of SMILES.
        label_columns : sequence of str or None, default=None
            The assay columns (0, 1 or empty); default every other column.
        name : str, default="panel"
            The panel's name in messages.
        strict : bool, default=False
            Raise on the first invalid SMILES instead of excluding and reporting it.
        on_conflict : {"missing", "any_active", "raise"}, default="missing"
            Rows with the same canonical SMILES are merged per assay; labels that disagree
            become NaN (``"missing"``), 1 (``"any_active"``, the PubChem convention) or raise.
        n_jobs : int or None, default=1
            Worker processes canonicalising the SMILES (used from 10,000 distinct strings).

        Returns
        -------
        AssayPanel
            Every exclusion or merge is in its ``issues``.
        """
        check_conflict_rule(on_conflict)
        if frame.shape[0] == 0:
            raise DataError(f"{name}: the table has no rows")
        if smiles_column not in frame.columns:
            raise DataError(
                f"{name}: no SMILES column {smiles_column!r}; "
                f"columns are {list(frame.columns)[:10]}"
            )
        if label_columns is None:
            label_columns = [c for c in frame.columns if c != smiles_column]
        label_columns = list(label_columns)
        missing = [c for c in label_columns if c not in frame.columns]
        if missing:
            raise DataError(
                f"{name}: label column(s) {missing} not found; "
                f"columns are {list(frame.columns)[:10]}"
            )
        if not label_columns:
            raise DataError(f"{name}: no assay (label) columns besides {smiles_column!r}")
        labels = _binary_labels(frame[label_columns], name)
        canonical, issues = _canonicalise(frame[smiles_column], smiles_column, name, strict, n_jobs)
        dup = canonical.duplicated(keep=False) & canonical.notna()
        for smi, group in canonical[dup].groupby(canonical[dup].to_numpy(), sort=False):
            issues.append(
                {
                    "kind": "duplicate_merged",
                    "row": int(group.index[0]),
                    "column": "",
                    "smiles": smi,
                    "detail": f"rows {group.index.tolist()} are one compound",
                }
            )
        unlabelled = canonical.notna().to_numpy() & labels.isna().all(axis=1).to_numpy()
        issues += [
            {
                "kind": "no_labels",
                "row": int(i),
                "column": "",
                "smiles": canonical.iloc[i],
                "detail": "no assay label on this row",
            }
            for i in np.flatnonzero(unlabelled)
        ]
        long = labels.set_axis(np.arange(len(labels))).rename_axis("row").stack().rename("label")
        long = long.reset_index().rename(columns={"level_1": "assay"})
        long["smiles"] = canonical.to_numpy()[long["row"].to_numpy()]
        return from_long_table(cls, long, label_columns, name, on_conflict, issues, {})

    @classmethod
    def from_long(
        cls,
        frame: pd.DataFrame,
        *,
        smiles_column: str = "smiles",
        assay_column: str = "assay",
        label_column: str = "label",
        name: str = "panel",
        strict: bool = False,
        on_conflict: str = "missing",
        n_jobs: int | None = 1,
    ) -> Self:
        """Build a panel from a long table: one row per (compound, assay, label).

        Parameters
        ----------
        frame : pandas.DataFrame
            The table.
        smiles_column, assay_column, label_column : str, default="smiles", "assay", "label"
            Its columns.
        name : str, default="panel"
            The panel's name in messages.
        strict : bool, default=False
            Raise on the first invalid SMILES instead of excluding and reporting it.
        on_conflict : {"missing", "any_active", "raise"}, default="missing"
            As in :meth:`from_frame`.
        n_jobs : int or None, default=1
            As in :meth:`from_frame`.

        Returns
        -------
        AssayPanel
        """
        check_conflict_rule(on_conflict)
        for col in (smiles_column, assay_column, label_column):
            if col not in frame.columns:
                raise DataError(
                    f"{name}: no column {col!r} in the long-format table; "
                    f"columns are {list(frame.columns)[:10]}"
                )
        if frame.shape[0] == 0:
            raise DataError(f"{name}: the table has no rows")
        frame = frame.reset_index(drop=True)
        labels = _binary_labels(frame[[label_column]], name)[label_column]
        canonical, issues = _canonicalise(frame[smiles_column], smiles_column, name, strict, n_jobs)
        long = pd.DataFrame(
            {
                "row": np.arange(len(frame)),
                "assay": frame[assay_column].astype(str),
                "label": labels,
                "smiles": canonical,
            }
        ).dropna(subset=["label"])
        assays = list(pd.unique(long["assay"]))
        return from_long_table(cls, long, assays, name, on_conflict, issues, {})


def _canonicalise(
    smiles: pd.Series, column: str, name: str, strict: bool, n_jobs: int | None = 1
) -> tuple[pd.Series, list[dict]]:
    """Canonical SMILES per row (None where invalid) and an issue per invalid row; each
    distinct string is parsed once."""
    codes, strings = pd.factorize(
        pd.Series([s if isinstance(s, str) else None for s in smiles], dtype=object)
    )
    parsed = _canonical_many(list(strings), n_jobs)
    canon = np.asarray([p[0] for p in parsed] + [None], dtype=object)[codes]
    reason = np.asarray([p[1] for p in parsed] + [None], dtype=object)[codes]
    bad = np.flatnonzero(pd.isna(canon))
    issues = [
        {
            "kind": "invalid_smiles",
            "row": int(i),
            "column": column,
            "smiles": str(smiles.iloc[i]),
            "detail": reason[i] if codes[i] >= 0 else parse_smiles(smiles.iloc[i]).reason,
        }
        for i in bad
    ]
    if issues and (strict or len(issues) == len(smiles)):
        first = issues[0]
        if len(issues) == len(smiles):
            raise DataError(
                f"{name}: every SMILES in column {column!r} is invalid "
                f"({len(issues)} rows); first at row {first['row']} "
                f"({first['smiles']!r}): {first['detail']}"
            )
        raise DataError(
            f"{name}: {len(issues)} invalid SMILES, first at row {first['row']} "
            f"({first['smiles']!r}): {first['detail']}"
        )
    if issues:
        logger.warning("%s: %d invalid SMILES excluded (see panel.issues)", name, len(issues))
    return pd.Series(canon, index=np.arange(len(canon)), dtype=object), issues


def _canonical_many(strings: list[str], n_jobs: int | None) -> list:
    jobs = resolve_n_jobs(n_jobs)
    if jobs == 1 or len(strings) < 2 * _BLOCK:
        return canonical_many(strings)
    blocks = ((strings[i : i + _BLOCK],) for i in range(0, len(strings), _BLOCK))
    return [pair for part in process_map(canonical_many, blocks, n_jobs=jobs) for pair in part]


def from_long_table(
    cls: type,
    long: pd.DataFrame,
    assays: Sequence[str],
    name: str,
    on_conflict: str,
    issues: list[dict],
    sources: dict[str, str],
) -> Any:
    """Resolve (smiles, assay, label, row) records into a sparse panel; the one place where
    duplicate measurements are merged and conflicts are reported. Compounds are numbered in
    order of first appearance."""
    long = long.dropna(subset=["smiles", "label"])
    compound, compounds = pd.factorize(long["smiles"].to_numpy(dtype=object))
    assay = pd.Index(list(assays), dtype=object).get_indexer(long["assay"].to_numpy(dtype=object))
    key = compound.astype(np.int64) * max(len(assays), 1) + assay
    stats = (
        pd.DataFrame(
            {
                "key": key,
                "label": long["label"].to_numpy(np.float32),
                "row": long["row"].to_numpy(np.int64),
                "seen": np.arange(len(long)),
            }
        )
        .groupby("key", sort=True)
        .agg(
            low=("label", "min"),
            high=("label", "max"),
            row=("row", "first"),
            seen=("seen", "first"),
        )
    )
    cell_compound, cell_assay = np.divmod(stats.index.to_numpy(), max(len(assays), 1))
    conflict = (stats["low"] != stats["high"]).to_numpy()
    if conflict.any():
        first = stats[conflict].sort_values("seen")
        where = np.flatnonzero(conflict)[
            np.argsort(stats["seen"].to_numpy()[conflict], kind="stable")
        ]
        if on_conflict == "raise":
            k = where[0]
            raise DataError(
                f"{name}: conflicting labels (0 and 1) for "
                f"{compounds[cell_compound[k]]!r} in assay "
                f"{assays[cell_assay[k]]!r} (row {int(first['row'].iloc[0])})"
            )
        issues = issues + [
            {
                "kind": "conflicting_labels",
                "row": int(row),
                "column": assays[cell_assay[k]],
                "smiles": compounds[cell_compound[k]],
                "detail": f"labels 0 and 1 for one compound; rule {on_conflict!r}",
            }
            for k, row in zip(where, first["row"], strict=True)
        ]
        logger.warning(
            "%s: %d conflicting labels resolved by rule %r (see panel.issues)",
            name,
            int(conflict.sum()),
            on_conflict,
        )
    # high is the label where all measurements agree, and 1 where any_active applies
    keep = ~conflict if on_conflict == "missing" else np.ones(len(stats), bool)
    code = np.where(stats["high"].to_numpy()[keep] == 1, 1, -1).astype(np.int8)
    matrix = sp.csc_matrix(
        (code, (cell_compound[keep], cell_assay[keep])), shape=(len(compounds), len(assays))
    )
    report = pd.DataFrame(issues, columns=ISSUE_COLUMNS)
    return cls(
        matrix, compounds=compounds, assays=assays, name=name, issues=report, sources=sources
    )


def _binary_labels(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Coerce label columns to float 0/1/NaN, naming the first bad cell of any bad column."""
    out = {}
    for col in frame.columns:
        raw = frame[col]
        values = pd.to_numeric(raw, errors="coerce")
        bad = (values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")) | (
            values.notna() & ~values.isin([0, 1])
        )
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(
                f"{name}: column {col!r}, row {row}: label {raw.iloc[row]!r} is not "
                f"0/1 (labels must be 0, 1 or empty)"
            )
        out[col] = values.astype(np.float32)
    return pd.DataFrame(out, index=frame.index)
