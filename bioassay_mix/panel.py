"""The assay panel: compounds x assays, binary labels with gaps, and a report of what was fixed."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .chem import parse_many
from .errors import DataError

logger = logging.getLogger(__name__)

__all__ = ["CONFLICT_RULES", "ISSUE_COLUMNS", "AssayPanel", "compose"]

ISSUE_COLUMNS = ["kind", "row", "column", "smiles", "detail"]
CONFLICT_RULES = ("missing", "raise", "any_active")


@dataclass
class AssayPanel:
    """Binary labels of compounds (rows, indexed by canonical SMILES) in assays (columns).

    Parameters
    ----------
    labels : pandas.DataFrame
        Compounds x assays, 1.0, 0.0 or NaN (not measured), indexed by canonical SMILES.
    name : str, default="panel"
        The panel's name in messages and reports.
    issues : pandas.DataFrame, default=empty
        Every input row or label that was excluded, merged or changed while building the
        panel, with the reason (columns ``kind, row, column, smiles, detail``).
    sources : dict of str to str, default={}
        Where each input came from (file and checksum), for the run's metadata.

    Examples
    --------
    >>> import pandas as pd
    >>> panel = AssayPanel.from_frame(pd.DataFrame(
    ...     {"smiles": ["CCO", "OCC", "c1ccccc1", "not a molecule"], "a": [1, 1, 0, 1]}))
    >>> panel.smiles, panel.issues["kind"].tolist()
    (['CCO', 'c1ccccc1'], ['invalid_smiles', 'duplicate_merged'])
    """

    labels: pd.DataFrame
    name: str = "panel"
    issues: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ISSUE_COLUMNS))
    sources: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.labels.index.has_duplicates:
            raise DataError(f"panel {self.name!r}: compound index has duplicates")
        values = self.labels.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isnan(values) & (values != 0) & (values != 1)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise DataError(f"panel {self.name!r}: label {values[r, c]!r} in assay "
                            f"{self.labels.columns[c]!r} for {self.labels.index[r]!r} is not 0/1")

    @property
    def assays(self) -> list[str]:
        """The assay names, in column order."""
        return list(self.labels.columns)

    @property
    def smiles(self) -> list[str]:
        """The compounds' canonical SMILES, in row order."""
        return list(self.labels.index)

    def checksum(self) -> str:
        """The sha256 of the labels (compounds, assays and values): it identifies the data.

        Returns
        -------
        str
            64 hexadecimal digits.
        """
        digest = hashlib.sha256()
        digest.update("\x1f".join(map(str, self.labels.columns)).encode())
        digest.update(pd.util.hash_pandas_object(self.labels, index=True).to_numpy().tobytes())
        return digest.hexdigest()

    def summary(self) -> pd.DataFrame:
        """Labelled compounds, positives and negatives per assay.

        Returns
        -------
        pandas.DataFrame
            Indexed by assay, columns ``n_labelled``, ``n_positive``, ``n_negative``.
        """
        lab = self.labels
        out = pd.DataFrame({
            "n_labelled": lab.notna().sum(),
            "n_positive": (lab == 1).sum(),
            "n_negative": (lab == 0).sum(),
        })
        out.index.name = "assay"
        return out

    def select(self, assays: Sequence[str]) -> AssayPanel:
        """The panel restricted to ``assays`` (and the compounds labelled in one of them).

        Parameters
        ----------
        assays : sequence of str
            Assay names of this panel; an unknown one raises :class:`DataError`.

        Returns
        -------
        AssayPanel
        """
        missing = [a for a in assays if a not in self.labels.columns]
        if missing:
            raise DataError(f"panel {self.name!r} has no assay {missing[0]!r} "
                            f"(it has {len(self.assays)} assays, e.g. {self.assays[:5]})")
        labels = self.labels[list(assays)]
        labels = labels[labels.notna().any(axis=1)]
        return AssayPanel(labels, self.name, self.issues, dict(self.sources))

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
    ) -> AssayPanel:
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

        Returns
        -------
        AssayPanel
            Every exclusion or merge is in its ``issues``.
        """
        if on_conflict not in CONFLICT_RULES:
            raise ValueError(f"on_conflict must be one of {CONFLICT_RULES}, got {on_conflict!r}")
        if frame.shape[0] == 0:
            raise DataError(f"{name}: the table has no rows")
        if smiles_column not in frame.columns:
            raise DataError(f"{name}: no SMILES column {smiles_column!r}; "
                            f"columns are {list(frame.columns)[:10]}")
        if label_columns is None:
            label_columns = [c for c in frame.columns if c != smiles_column]
        label_columns = list(label_columns)
        missing = [c for c in label_columns if c not in frame.columns]
        if missing:
            raise DataError(f"{name}: label column(s) {missing} not found; "
                            f"columns are {list(frame.columns)[:10]}")
        if not label_columns:
            raise DataError(f"{name}: no assay (label) columns besides {smiles_column!r}")
        labels = _binary_labels(frame[label_columns], name)
        canonical, issues = _canonicalise(frame[smiles_column], smiles_column, name, strict)
        dup = canonical.duplicated(keep=False) & canonical.notna()
        for smi, group in canonical[dup].groupby(canonical[dup].to_numpy(), sort=False):
            issues.append({"kind": "duplicate_merged", "row": int(group.index[0]), "column": "",
                           "smiles": smi,
                           "detail": f"rows {group.index.tolist()} are one compound"})
        unlabelled = canonical.notna().to_numpy() & labels.isna().all(axis=1).to_numpy()
        issues += [{"kind": "no_labels", "row": int(i), "column": "", "smiles": canonical.iloc[i],
                    "detail": "no assay label on this row"} for i in np.flatnonzero(unlabelled)]
        long = labels.set_axis(np.arange(len(labels))).rename_axis("row").stack().rename("label")
        long = long.reset_index().rename(columns={"level_1": "assay"})
        long["smiles"] = canonical.to_numpy()[long["row"].to_numpy()]
        return _from_long_table(long, label_columns, name, on_conflict, issues, {})

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
    ) -> AssayPanel:
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

        Returns
        -------
        AssayPanel
        """
        if on_conflict not in CONFLICT_RULES:
            raise ValueError(f"on_conflict must be one of {CONFLICT_RULES}, got {on_conflict!r}")
        for col in (smiles_column, assay_column, label_column):
            if col not in frame.columns:
                raise DataError(f"{name}: no column {col!r} in the long-format table; "
                                f"columns are {list(frame.columns)[:10]}")
        if frame.shape[0] == 0:
            raise DataError(f"{name}: the table has no rows")
        frame = frame.reset_index(drop=True)
        labels = _binary_labels(frame[[label_column]], name)[label_column]
        canonical, issues = _canonicalise(frame[smiles_column], smiles_column, name, strict)
        long = pd.DataFrame({"row": np.arange(len(frame)), "assay": frame[assay_column].astype(str),
                             "label": labels, "smiles": canonical}).dropna(subset=["label"])
        assays = list(pd.unique(long["assay"]))
        return _from_long_table(long, assays, name, on_conflict, issues, {})


def _canonicalise(
    smiles: pd.Series, column: str, name: str, strict: bool
) -> tuple[pd.Series, list[dict]]:
    """Canonical SMILES per row (None where invalid) and an issue per invalid row."""
    parsed = parse_many(smiles.tolist())
    issues = [{"kind": "invalid_smiles", "row": i, "column": column, "smiles": str(smiles.iloc[i]),
               "detail": p.reason} for i, p in enumerate(parsed) if p.smiles is None]
    if issues and (strict or len(issues) == len(parsed)):
        first = issues[0]
        if len(issues) == len(parsed):
            raise DataError(f"{name}: every SMILES in column {column!r} is invalid "
                            f"({len(issues)} rows); first at row {first['row']} "
                            f"({first['smiles']!r}): {first['detail']}")
        raise DataError(f"{name}: {len(issues)} invalid SMILES, first at row {first['row']} "
                        f"({first['smiles']!r}): {first['detail']}")
    if issues:
        logger.warning("%s: %d invalid SMILES excluded (see panel.issues)", name, len(issues))
    return pd.Series([p.smiles for p in parsed], index=np.arange(len(parsed)), dtype=object), issues


def _from_long_table(
    long: pd.DataFrame, assays: Sequence[str], name: str, on_conflict: str,
    issues: list[dict], sources: dict[str, str],
) -> AssayPanel:
    """Resolve (smiles, assay, label, row) records into a wide panel; the one place where
    duplicate measurements are merged and conflicts are reported."""
    long = long.dropna(subset=["smiles", "label"])
    stats = long.groupby(["smiles", "assay"], sort=False).agg(
        low=("label", "min"), high=("label", "max"), row=("row", "first"))
    conflict = stats["low"] != stats["high"]
    if conflict.any():
        first = stats[conflict].index[0]
        if on_conflict == "raise":
            raise DataError(f"{name}: conflicting labels (0 and 1) for {first[0]!r} in assay "
                            f"{first[1]!r} (row {int(stats['row'][first])})")
        issues = issues + [
            {"kind": "conflicting_labels", "row": int(row), "column": assay, "smiles": smi,
             "detail": f"labels 0 and 1 for one compound; rule {on_conflict!r}"}
            for (smi, assay), row in stats.loc[conflict, "row"].items()
        ]
        logger.warning("%s: %d conflicting labels resolved by rule %r (see panel.issues)",
                       name, int(conflict.sum()), on_conflict)
    # max() is the label where all measurements agree, and 1 where any_active applies.
    value = stats["high"].where(~conflict) if on_conflict == "missing" else stats["high"]
    labels = value.unstack("assay").reindex(columns=list(assays)).astype(np.float32)
    labels.index.name = "smiles"
    labels.columns.name = None
    report = pd.DataFrame(issues, columns=ISSUE_COLUMNS)
    return AssayPanel(labels, name=name, issues=report, sources=sources)


def _binary_labels(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Coerce label columns to float 0/1/NaN, naming the first bad cell of any bad column."""
    out = {}
    for col in frame.columns:
        raw = frame[col]
        values = pd.to_numeric(raw, errors="coerce")
        bad = (values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")) | (
            values.notna() & ~values.isin([0, 1]))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{name}: column {col!r}, row {row}: label {raw.iloc[row]!r} is not "
                            f"0/1 (labels must be 0, 1 or empty)")
        out[col] = values.astype(np.float32)
    return pd.DataFrame(out, index=frame.index)


def compose(panels: Sequence[AssayPanel], *, name: str = "composed",
            on_conflict: str = "missing") -> AssayPanel:
    """Join panels on canonical SMILES.

    Parameters
    ----------
    panels : sequence of AssayPanel
        At least one.
    name : str, default="composed"
        The joined panel's name.
    on_conflict : {"missing", "any_active", "raise"}, default="missing"
        An assay present in several panels is merged; its disagreeing labels are reported
        and resolved as in :meth:`AssayPanel.from_frame`.

    Returns
    -------
    AssayPanel
    """
    if not panels:
        raise DataError("compose() needs at least one panel")
    if on_conflict not in CONFLICT_RULES:
        raise ValueError(f"on_conflict must be one of {CONFLICT_RULES}, got {on_conflict!r}")
    issues: list[dict] = []
    for p in panels:
        issues += [{**rec, "detail": f"{rec['detail']} [{p.name}]"}
                   for rec in p.issues.to_dict("records")]
    long = pd.concat([p.labels.stack().rename("label").rename_axis(["smiles", "assay"])
                      .reset_index() for p in panels], ignore_index=True)
    long["row"] = -1  # composed records no longer map to one input row
    assays = list(dict.fromkeys(a for p in panels for a in p.assays))
    sources = {k: v for p in panels for k, v in p.sources.items()}
    return _from_long_table(long, assays, name, on_conflict, issues, sources)
