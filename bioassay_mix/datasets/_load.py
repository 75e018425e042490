"""Panels loaded by dataset name or from a file."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .._files import sha256_bytes, sha256_file
from ..errors import ChecksumError, DataError, DataUnavailableError
from ..panel import AssayPanel, compose
from ._fetch import data_home, fetch
from ._manifest import DATA_ENV, LAYOUTS, Manifest, get_manifest, manifests
from ._read import describe_chembl_assays, read_fsmol_tasks, read_table


def label_columns_of(m: Manifest, columns: list[str]) -> list[str]:
    """The assay columns a manifest names, checked against the file's header."""
    if m.label_columns == "*":
        skip = {m.smiles_column, *m.id_columns, *m.regression_columns}
        return [c for c in columns if c not in skip]
    return list(m.label_columns)


def load_panel(
    source: str | os.PathLike,
    *,
    cache: str | os.PathLike | None = None,
    smiles_column: str = "smiles",
    label_columns: list[str] | None = None,
    layout: str = "wide",
    assay_column: str = "assay",
    label_column: str = "label",
    strict: bool = False,
    on_conflict: str = "missing",
    n_jobs: int | None = 1,
) -> AssayPanel:
    """Load a panel by dataset name, from a CSV/Parquet file, or from FS-Mol task files.

    Parameters
    ----------
    source : str or os.PathLike
        A dataset name (``tox21``, ``toxcast``, ``moleculenet``, ``fsmol``, ...; see
        :func:`manifests`), a table file, or FS-Mol's own layout: a ``.jsonl.gz`` task file or
        a folder of them (read by :func:`read_fsmol_tasks`, each task one assay).
    cache : str or os.PathLike or None, default=None
        The data cache for named datasets (see :func:`fetch`).
    smiles_column : str, default="smiles"
        A file's SMILES column.
    label_columns : list of str or None, default=None
        A wide file's assay columns; default every other column.
    layout : {"wide", "long"}, default="wide"
        ``"wide"``: a SMILES column and one column per assay; ``"long"``: one row per
        (``smiles_column``, ``assay_column``, ``label_column``).
    assay_column, label_column : str, default="assay", "label"
        A long file's columns.
    strict : bool, default=False
        Raise on the first invalid SMILES instead of excluding and reporting it.
    on_conflict : {"missing", "any_active", "raise"}, default="missing"
        Disagreeing labels of one compound (see :meth:`AssayPanel.from_frame`).
    n_jobs : int or None, default=1
        Worker processes canonicalising SMILES (worth it for FS-Mol's 207k).

    Returns
    -------
    AssayPanel
        A named dataset's panel describes its assays (``descriptions``) where its manifest
        names an annotation table (FS-Mol: ChEMBL target, family and assay type).

    Examples
    --------
    >>> panel = load_panel("tox21")  # shipped inside the package: works offline
    >>> len(panel.assays), panel.labels.shape[0] > 7000
    (12, True)
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    text = str(source)
    options = {"strict": strict, "on_conflict": on_conflict, "n_jobs": n_jobs}
    if text.lower() in manifests():
        return _load_named(text.lower(), cache=cache, **options)
    path = Path(text)
    if not path.exists():
        raise DataError(f"{text!r} is neither a known dataset ({sorted(manifests())}) nor a file")
    name = path.name.split(".")[0]
    if path.is_dir() or path.name.lower().endswith(".jsonl.gz"):
        frame = read_fsmol_tasks(path)
        panel = AssayPanel.from_long(frame, assay_column="task", name=name, **options)
        panel.sources[name] = sha256_bytes(pd.util.hash_pandas_object(frame).to_numpy().tobytes())
        return panel
    frame = read_table(path)
    if layout == "long":
        panel = AssayPanel.from_long(
            frame,
            smiles_column=smiles_column,
            assay_column=assay_column,
            label_column=label_column,
            name=path.stem,
            **options,
        )
    else:
        panel = AssayPanel.from_frame(
            frame,
            smiles_column=smiles_column,
            label_columns=label_columns,
            name=path.stem,
            **options,
        )
    panel.sources[path.stem] = sha256_file(path)
    return panel


def _load_named(
    name: str, *, cache, strict: bool, on_conflict: str, n_jobs: int | None
) -> AssayPanel:
    m = get_manifest(name)
    if m.folder == "text":
        raise DataError(
            f"{name!r} is a text domain, not an assay panel; load it with "
            "bioassay_mix.lm.load_text_domain"
        )
    options = {"strict": strict, "on_conflict": on_conflict, "n_jobs": n_jobs}
    if m.is_composite:
        parts = [_load_named(c, cache=cache, **options) for c in m.components]
        return compose(parts, name=name, on_conflict=on_conflict)
    path = fetch(name, cache=cache)
    frame = read_table(path)
    columns = (
        (m.smiles_column, m.assay_column, m.label_column)
        if m.layout == "long"
        else (m.smiles_column, *m.id_columns)
    )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: columns {missing} named by manifest {m.path} are missing")
    if m.layout == "long":
        panel = AssayPanel.from_long(
            frame,
            smiles_column=m.smiles_column,
            assay_column=m.assay_column,
            label_column=m.label_column,
            name=name,
            **options,
        )
    else:
        panel = AssayPanel.from_frame(
            frame,
            smiles_column=m.smiles_column,
            label_columns=label_columns_of(m, list(frame.columns)),
            name=name,
            **options,
        )
    described = _annotations(m, cache, panel.assays)
    panel.descriptions = {a: described[a] for a in panel.assays if a in described}
    panel.title = m.title
    panel.sources[name] = m.sha256 or sha256_file(path)
    return panel


def _annotations(m: Manifest, cache, assays: list[str]) -> dict[str, str]:
    """Descriptions of ``assays`` from the manifest's annotation file (ChEMBL's target table),
    verified like the data; empty when the manifest names none."""
    if not m.annotations:
        return {}
    path = data_home(cache) / m.folder / m.annotations
    if not path.is_file():
        raise DataUnavailableError(
            f"{m.annotations}, named by manifest {m.path}, is not in "
            f"{path.parent}; put it there or set {DATA_ENV}"
        )
    actual = sha256_file(path)
    if m.annotations_sha256 and actual != m.annotations_sha256:
        raise ChecksumError(
            f"{path} has sha256 {actual}, but manifest {m.path} expects {m.annotations_sha256}"
        )
    table = read_table(path)
    if "chembl_id" in table.columns:
        table = table[table["chembl_id"].isin(assays)]
    return describe_chembl_assays(table)
