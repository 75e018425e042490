"""Reading panel files: CSV and Parquet tables, FS-Mol's per-task ``jsonl.gz`` files, and
ChEMBL assay descriptions."""

from __future__ import annotations

import csv
import gzip
import json
import os
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import DataError, DataUnavailableError


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read CSV, TSV (optionally gzipped) or Parquet, with an error that names the file.

    Parameters
    ----------
    path : str or os.PathLike
        The file; its suffix picks the reader. Repeated column names are refused.

    Returns
    -------
    pandas.DataFrame
    """
    path = Path(path)
    if not path.exists():
        raise DataUnavailableError(f"no such file: {path}")
    suffixes = "".join(path.suffixes[-2:]).lower()
    try:
        if suffixes.endswith((".parquet", ".pq")):
            frame = pd.read_parquet(path)
        elif suffixes.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz")):
            sep = "\t" if ".tsv" in suffixes else ","
            _refuse_duplicate_columns(path, _header(path, sep))
            frame = pd.read_csv(path, sep=sep, low_memory=False)
        else:
            raise DataError(f"{path}: unsupported file type (use .csv, .csv.gz, .tsv or .parquet)")
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path} is empty") from exc
    except (
        pd.errors.ParserError,
        UnicodeDecodeError,
        OSError,
        EOFError,
        zlib.error,
        pa.ArrowException,
    ) as exc:
        # a truncated .gz raises EOFError or zlib.error from inside the reader, a corrupt
        # Parquet file pyarrow's ArrowInvalid
        raise DataError(
            f"{path} could not be read ({type(exc).__name__}): {str(exc)[:200]}"
        ) from exc
    if frame.shape[0] == 0:
        raise DataError(f"{path} has a header but no rows")
    return frame


#: FS-Mol's per-compound keys, and the long table's columns they become.
FSMOL_FIELDS = {
    "SMILES": "smiles",
    "Property": "label",
    "RegressionProperty": "value",
    "LogRegressionProperty": "log_value",
    "Relation": "relation",
    "AssayType": "assay_type",
}


def read_fsmol_tasks(path: str | os.PathLike) -> pd.DataFrame:
    """Read FS-Mol's own layout: one ``<task>.jsonl.gz`` per assay (a JSON object per compound
    with ``SMILES`` and ``Property`` "0.0"/"1.0"), or a folder of them.

    Parameters
    ----------
    path : str or os.PathLike
        A task file, or a folder whose ``*.jsonl.gz`` files are read in name order (FS-Mol's
        ``datasets/train``, unpacked from its archive).

    Returns
    -------
    pandas.DataFrame
        One row per compound: ``task`` (the file name's stem, a ChEMBL assay id), ``smiles``,
        ``label`` (0/1), ``value``, ``log_value``, ``relation``, ``assay_type``; the columns
        of FS-Mol's slim CSV. The precomputed fingerprints and graphs are not kept.

    Raises
    ------
    DataError
        A file that is not gzip, truncated, or has a line that is not a JSON object with
        ``SMILES`` and ``Property``: named by file and line.

    Examples
    --------
    >>> import os
    >>> tasks = read_fsmol_tasks(os.path.join(data_home(), "fsmol", "raw"))  # doctest: +SKIP
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.jsonl.gz"))
        if not files:
            raise DataError(f"{path} holds no FS-Mol task files (*.jsonl.gz)")
    elif path.is_file():
        files = [path]
    else:
        raise DataUnavailableError(f"no such file or folder: {path}")
    frames = [_read_fsmol_task(f) for f in files]
    return pd.concat(frames, ignore_index=True)


def _read_fsmol_task(path: Path) -> pd.DataFrame:
    task = path.name.removesuffix(".gz").removesuffix(".jsonl")
    records, lines, line = [], [], 0
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise DataError(f"{path}, line {line}: not JSON ({exc.msg})") from exc
                if not isinstance(obj, dict) or "SMILES" not in obj or "Property" not in obj:
                    raise DataError(
                        f"{path}, line {line}: not an FS-Mol compound record "
                        "(a JSON object with 'SMILES' and 'Property')"
                    )
                records.append({col: obj.get(key) for key, col in FSMOL_FIELDS.items()})
                lines.append(line)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        # gzip raises BadGzipFile (an OSError) for a file that is not gzip, EOFError for one cut
        raise DataError(
            f"{path}: unreadable after line {line} ({type(exc).__name__}: "
            f"{str(exc)[:120]}); is it a complete FS-Mol .jsonl.gz?"
        ) from exc
    if not records:
        raise DataError(f"{path} holds no compound records")
    frame = pd.DataFrame(records, columns=list(FSMOL_FIELDS.values()))
    labels = pd.to_numeric(frame["label"], errors="coerce")
    bad = labels.isna() | ~labels.isin([0, 1])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        value = frame["label"].iloc[i]
        value = value.item() if isinstance(value, np.generic) else value
        raise DataError(f"{path}, line {lines[i]}: Property {value!r} is not 0/1")
    frame["label"] = labels.astype(np.int8)
    for col in ("value", "log_value"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    frame.insert(0, "task", task)
    return frame


def _header(path: Path, sep: str) -> list[str]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle, delimiter=sep), [])


def _refuse_duplicate_columns(path: Path, names: list[str]) -> None:
    repeated = [n for n in names if names.count(n) > 1]
    if repeated:
        raise DataError(
            f"{path}: column {repeated[0]!r} appears {names.count(repeated[0])} "
            f"times; rename one (it would silently become {repeated[0]!r}.1)"
        )


#: Assay types of ChEMBL, as FS-Mol's ``assay_type`` letters.
ASSAY_TYPES = {
    "B": "binding",
    "F": "functional",
    "A": "ADMET",
    "T": "toxicity",
    "P": "physicochemical",
    "U": "unclassified",
}


def describe_chembl_assays(table: pd.DataFrame) -> dict[str, str]:
    """One line per ChEMBL assay from a target table such as FS-Mol's ``target_info.csv``:
    target name, protein family and assay type, e.g. ``"Cyclin-dependent kinase 2 (kinase;
    enzyme), binding"``.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``chembl_id`` and any of ``pref_name``, ``protein_family``,
        ``protein_super_family``, ``assay_type``, ``assay_organism``.

    Returns
    -------
    dict of str to str
        By ChEMBL assay id.

    Examples
    --------
    >>> describe_chembl_assays(pd.DataFrame({"chembl_id": ["CHEMBL1"], "assay_type": ["F"],
    ...     "pref_name": ["Thrombin"], "protein_family": ["protease"]}))
    {'CHEMBL1': 'Thrombin (protease), functional'}
    """
    if "chembl_id" not in table.columns:
        raise DataError(
            f"an assay annotation table needs a 'chembl_id' column; it has "
            f"{list(table.columns)[:10]}"
        )

    def text(row: pd.Series, column: str) -> str:
        value = row.get(column)
        return "" if value is None or pd.isna(value) else str(value).strip()

    out = {}
    for _, row in table.iterrows():
        families = [
            f for f in (text(row, "protein_family"), text(row, "protein_super_family")) if f
        ]
        target = text(row, "pref_name") or "no single-protein target"
        if families:
            target += f" ({'; '.join(dict.fromkeys(families))})"
        kind = ASSAY_TYPES.get(text(row, "assay_type"), text(row, "assay_type"))
        organism = text(row, "assay_organism")
        out[text(row, "chembl_id")] = ", ".join(p for p in (target, kind, organism) if p)
    return out
