"""The assay panel: compounds x assays, binary labels with gaps (stored sparse), and a report of
what was fixed."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._utils import resolve_n_jobs
from .chem import canonical_many, parse_smiles
from .errors import DataError
from .executor import process_map

logger = logging.getLogger(__name__)

__all__ = ["CONFLICT_RULES", "DENSE_LIMIT", "ISSUE_COLUMNS", "AssayPanel", "compose"]

ISSUE_COLUMNS = ["kind", "row", "column", "smiles", "detail"]
CONFLICT_RULES = ("missing", "raise", "any_active")
#: Cells (compounds x assays) above which :attr:`AssayPanel.labels` refuses a dense frame.
DENSE_LIMIT = 100_000_000
#: Distinct SMILES per worker task when canonicalising in worker processes; fewer distinct
#: strings than two blocks are canonicalised here (a few seconds of one core at most).
_BLOCK = 5_000


class AssayPanel:
    """Binary labels of compounds (rows, canonical SMILES) in assays (columns), held sparse.

    A panel stores only the labels that were measured, so its memory grows with the number of
    labels, not compounds x assays: FS-Mol's 4,935 ChEMBL assays hold 412k labels among 1e9
    cells. Build one with :meth:`from_frame` (a wide table), :meth:`from_long` (one row per
    label) or :meth:`from_labels` (a dense 0/1/NaN frame).

    Parameters
    ----------
    matrix : scipy.sparse matrix of shape (n_compounds, n_assays)
        +1 where a compound is active in an assay, -1 where inactive; a cell not stored was not
        measured. Stored as CSC (int8), so each assay's labels are one slice.
    compounds : sequence of str
        The compounds' canonical SMILES, distinct, in row order.
    assays : sequence of str
        The assay names, distinct, in column order.
    name : str, default="panel"
        The panel's name in messages and reports.
    issues : pandas.DataFrame or None, default=None
        Every input row or label that was excluded, merged or changed while building the
        panel, with the reason (columns ``kind, row, column, smiles, detail``).
    sources : dict of str to str or None, default=None
        Where each input came from (file and checksum), for the run's metadata.
    descriptions : dict of str to str or None, default=None
        A line per assay saying what it measures (e.g. ChEMBL's target and assay type),
        shown in libraries' weights tables and reports.

    Examples
    --------
    >>> import pandas as pd
    >>> panel = AssayPanel.from_frame(pd.DataFrame(
    ...     {"smiles": ["CCO", "OCC", "c1ccccc1", "not a molecule"], "a": [1, 1, 0, 1]}))
    >>> panel.smiles, panel.issues["kind"].tolist()
    (['CCO', 'c1ccccc1'], ['invalid_smiles', 'duplicate_merged'])
    >>> panel.column("a").to_dict()
    {'CCO': 1, 'c1ccccc1': 0}
    """

    def __init__(
        self,
        matrix: Any,
        *,
        compounds: Sequence[str],
        assays: Sequence[str],
        name: str = "panel",
        issues: pd.DataFrame | None = None,
        sources: dict[str, str] | None = None,
        descriptions: dict[str, str] | None = None,
    ):
        self.name = name
        self.descriptions = dict(descriptions or {})
        self.compounds = pd.Index(list(compounds), dtype=object, name="smiles")
        self._assays = pd.Index(list(assays), dtype=object)
        self.issues = issues if issues is not None else pd.DataFrame(columns=ISSUE_COLUMNS)
        self.sources = dict(sources or {})
        if self.compounds.has_duplicates:
            raise DataError(f"panel {name!r}: compound index has duplicates")
        if self._assays.has_duplicates:
            raise DataError(f"panel {name!r}: assay names have duplicates")
        matrix = sp.csc_matrix(matrix)
        if matrix.shape != (len(self.compounds), len(self._assays)):
            raise DataError(
                f"panel {name!r}: label matrix of shape {matrix.shape} for "
                f"{len(self.compounds)} compounds and {len(self._assays)} assays"
            )
        matrix.sum_duplicates()  # also sorts each assay's rows, which positions() relies on
        bad = (matrix.data != 1) & (matrix.data != -1)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            col = int(np.searchsorted(matrix.indptr, k, side="right") - 1)
            raise DataError(
                f"panel {name!r}: label code {matrix.data[k]!r} in assay "
                f"{self._assays[col]!r} for {self.compounds[matrix.indices[k]]!r} "
                "is not +1 (active) or -1 (inactive)"
            )
        self.matrix = matrix.astype(np.int8)
        self._dense: pd.DataFrame | None = None

    def __repr__(self) -> str:
        return (
            f"AssayPanel({self.name!r}: {len(self.compounds)} compounds, "
            f"{len(self._assays)} assays, {self.n_labels} labels)"
        )

    @property
    def assays(self) -> list[str]:
        """The assay names, in column order."""
        return list(self._assays)

    @property
    def smiles(self) -> list[str]:
        """The compounds' canonical SMILES, in row order."""
        return list(self.compounds)

    @property
    def n_labels(self) -> int:
        """How many (compound, assay) labels the panel holds."""
        return int(self.matrix.nnz)

    def positions(self, assay: str) -> tuple[np.ndarray, np.ndarray]:
        """One assay's labelled compounds: row positions (into :attr:`compounds`) and labels.

        Parameters
        ----------
        assay : str
            An assay of this panel.

        Returns
        -------
        rows : numpy.ndarray of int64, ascending
        y : numpy.ndarray of int8 (0/1)
        """
        j = self._assay_index(assay)
        lo, hi = self.matrix.indptr[j], self.matrix.indptr[j + 1]
        return (
            self.matrix.indices[lo:hi].astype(np.int64),
            (self.matrix.data[lo:hi] > 0).astype(np.int8),
        )

    def column(self, assay: str) -> pd.Series:
        """One assay's labels (0/1, int8) indexed by canonical SMILES, labelled compounds only.

        Parameters
        ----------
        assay : str
            An assay of this panel.

        Returns
        -------
        pandas.Series
        """
        rows, y = self.positions(assay)
        return pd.Series(y, index=self.compounds[rows], name=assay)

    @property
    def labels(self) -> pd.DataFrame:
        """The panel as a dense compounds x assays frame (1.0, 0.0, NaN), for small panels.

        Built once and kept; refused (:class:`DataError`) above :data:`DENSE_LIMIT` cells: a
        library or a fit never needs it (use :meth:`positions`, :meth:`column` or
        :attr:`matrix`).
        """
        if self._dense is not None:
            return self._dense
        cells = len(self.compounds) * len(self._assays)
        if cells > DENSE_LIMIT:
            raise DataError(
                f"panel {self.name!r} has {cells:,} compounds x assays cells "
                f"({self.n_labels:,} labelled): too many for a dense frame; use "
                "panel.positions(assay), panel.column(assay) or panel.matrix"
            )
        dense = np.full(self.matrix.shape, np.nan, dtype=np.float32)
        coo = self.matrix.tocoo()
        dense[coo.row, coo.col] = (coo.data > 0).astype(np.float32)
        self._dense = pd.DataFrame(dense, index=self.compounds, columns=list(self._assays))
        return self._dense

    def to_long(self) -> pd.DataFrame:
        """One row per label: ``smiles``, ``assay``, ``label`` (0/1), by compound then assay.

        Returns
        -------
        pandas.DataFrame
        """
        coo = self.matrix.tocoo()
        order = np.lexsort((coo.col, coo.row))
        return pd.DataFrame(
            {
                "smiles": self.compounds[coo.row[order]].to_numpy(),
                "assay": self._assays[coo.col[order]].to_numpy(),
                "label": (coo.data[order] > 0).astype(np.int8),
            }
        )

    def checksum(self) -> str:
        """The sha256 of the labels (compounds, assays and values): it identifies the data.

        Returns
        -------
        str
            64 hexadecimal digits.
        """
        digest = hashlib.sha256()
        for names in (self._assays, self.compounds):
            digest.update("\x1f".join(map(str, names)).encode())
            digest.update(b"\x1e")
        m = self.matrix
        for part in (m.indptr.astype(np.int64), m.indices.astype(np.int64), m.data):
            digest.update(part.tobytes())
        return digest.hexdigest()

    def summary(self) -> pd.DataFrame:
        """Labelled compounds, positives and negatives per assay.

        Returns
        -------
        pandas.DataFrame
            Indexed by assay, columns ``n_labelled``, ``n_positive``, ``n_negative``.
        """
        m = self.matrix
        n = np.diff(m.indptr)
        pos = np.bincount(
            np.repeat(np.arange(len(n)), n), weights=m.data > 0, minlength=len(n)
        ).astype(np.int64)
        out = pd.DataFrame(
            {"n_labelled": n, "n_positive": pos, "n_negative": n - pos},
            index=pd.Index(self.assays, name="assay"),
        )
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
        idx = [self._assay_index(a) for a in assays]
        sub = self.matrix[:, idx]
        keep = np.unique(sub.indices)
        return AssayPanel(
            sub[keep],
            compounds=self.compounds[keep],
            assays=list(assays),
            name=self.name,
            issues=self.issues,
            sources=dict(self.sources),
            descriptions={a: self.descriptions[a] for a in assays if a in self.descriptions},
        )

    def _assay_index(self, assay: str) -> int:
        j = self._assays.get_indexer([assay])[0]
        if j < 0:
            raise DataError(
                f"panel {self.name!r} has no assay {assay!r} "
                f"(it has {len(self._assays)} assays, e.g. {self.assays[:5]})"
            )
        return int(j)

    @classmethod
    def from_labels(
        cls,
        labels: pd.DataFrame,
        *,
        name: str = "panel",
        issues: pd.DataFrame | None = None,
        sources: dict[str, str] | None = None,
    ) -> AssayPanel:
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
        n_jobs : int or None, default=1
            Worker processes canonicalising the SMILES (used from 10,000 distinct strings).

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
        n_jobs: int | None = 1,
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
        n_jobs : int or None, default=1
            As in :meth:`from_frame`.

        Returns
        -------
        AssayPanel
        """
        if on_conflict not in CONFLICT_RULES:
            raise ValueError(f"on_conflict must be one of {CONFLICT_RULES}, got {on_conflict!r}")
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
        return _from_long_table(long, assays, name, on_conflict, issues, {})


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


def _from_long_table(
    long: pd.DataFrame,
    assays: Sequence[str],
    name: str,
    on_conflict: str,
    issues: list[dict],
    sources: dict[str, str],
) -> AssayPanel:
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
    return AssayPanel(
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


def compose(
    panels: Sequence[AssayPanel], *, name: str = "composed", on_conflict: str = "missing"
) -> AssayPanel:
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
        issues += [
            {**rec, "detail": f"{rec['detail']} [{p.name}]"} for rec in p.issues.to_dict("records")
        ]
    long = pd.concat([p.to_long() for p in panels], ignore_index=True)
    long["row"] = -1  # composed records no longer map to one input row
    assays = list(dict.fromkeys(a for p in panels for a in p.assays))
    sources = {k: v for p in panels for k, v in p.sources.items()}
    joined = _from_long_table(long, assays, name, on_conflict, issues, sources)
    joined.descriptions = {a: d for p in panels for a, d in p.descriptions.items()}
    return joined
