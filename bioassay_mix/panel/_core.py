"""The panel itself: sparse labels, their views (a column, the dense frame, the long table) and
their summary; it is read from tables by :class:`~bioassay_mix.panel._read.PanelReaders`."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DataError
from ._layout import DENSE_LIMIT, ISSUE_COLUMNS
from ._read import PanelReaders


class AssayPanel(PanelReaders):
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
    title : str, default=""
        What the panel is, in a line (a named dataset's title), shown beside its sources in a
        library built from it.

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
        title: str = "",
    ):
        if not isinstance(title, str):
            raise DataError(f"panel {name!r}: title must be a string, got {type(title).__name__}")
        self.name = name
        self.title = title
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
            title=self.title,
        )

    def _assay_index(self, assay: str) -> int:
        j = self._assays.get_indexer([assay])[0]
        if j < 0:
            raise DataError(
                f"panel {self.name!r} has no assay {assay!r} "
                f"(it has {len(self._assays)} assays, e.g. {self.assays[:5]})"
            )
        return int(j)
