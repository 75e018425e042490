"""Compound files: CSV/TSV (optionally .gz), Parquet, SMILES (``.smi``) and SDF (optionally
.gz), read with errors that name the file, line or record.

:func:`read_compounds` streams any of them in fixed-size chunks for scoring (a record that cannot
be read keeps its row, with the reason); :func:`read_records` reads a ``.smi`` or SDF file of
labelled compounds whole, as a table, for a target assay.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from rdkit import Chem

from .chem import MAX_ATOMS
from .errors import DataError, DataUnavailableError

DEFAULT_CHUNK_SIZE = 20_000


def input_format(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    for suffix, kind in (
        (".csv", "csv"),
        (".tsv", "tsv"),
        (".parquet", "parquet"),
        (".pq", "parquet"),
        (".smi", "smi"),
        (".smiles", "smi"),
        (".sdf", "sdf"),
        (".sd", "sdf"),
    ):
        if name.endswith(suffix):
            return kind
    raise DataError(
        f"{path}: unsupported input type (use .csv, .tsv, .parquet, .smi or .sdf, optionally .gz)"
    )


def read_compounds(
    path: str | os.PathLike,
    *,
    smiles_column: str = "smiles",
    id_column: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[pd.DataFrame]:
    """Chunks of the input with columns ``row``, ``id``, ``smiles``, ``error`` (a reason when a
    record could not be read, else ``None``), in input order."""
    path = Path(path)
    if not path.is_file():
        raise DataUnavailableError(f"no such input file: {path}")
    if chunk_size < 1:
        raise DataError(f"chunk_size must be >= 1, got {chunk_size}")
    kind = input_format(path)
    if kind in ("csv", "tsv", "parquet"):
        batches = _table_batches(path, kind, smiles_column, id_column, chunk_size)
    elif kind == "smi":
        batches = _smi_records(path)
    else:
        batches = _sdf_records(path, id_column)
    return rechunk(batches, chunk_size)


def _table_batches(path, kind, smiles_column, id_column, chunk_size) -> Iterator[pd.DataFrame]:
    wanted = [smiles_column] + ([id_column] if id_column else [])
    try:
        if kind == "parquet":
            source = pq.ParquetFile(path)
            names = source.schema_arrow.names
        else:
            parse = pacsv.ParseOptions(delimiter="\t" if kind == "tsv" else ",")
            names = pacsv.open_csv(path, parse_options=parse).schema.names
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"input {path} could not be read: {exc}") from exc
    twice = [c for c in wanted if names.count(c) > 1]
    if twice:
        raise DataError(
            f"input {path} has {names.count(twice[0])} columns named {twice[0]!r}; "
            "rename them so the one to use is unambiguous"
        )
    missing = [c for c in wanted if c not in names]
    if missing:
        raise DataError(
            f"input {path} has no column {missing[0]!r} (columns: {names[:20]}); "
            "set smiles_column / id_column (--smiles-column / --id-column)"
        )
    try:
        if kind == "parquet":
            batches = source.iter_batches(batch_size=chunk_size, columns=wanted)
        else:
            batches = pacsv.open_csv(
                path,
                parse_options=parse,
                convert_options=pacsv.ConvertOptions(
                    include_columns=wanted, column_types={c: pa.string() for c in wanted}
                ),
            )
        for batch in batches:
            frame = batch.to_pandas()
            yield pd.DataFrame(
                {
                    "id": frame[id_column] if id_column else None,
                    "smiles": frame[smiles_column],
                    "error": None,
                }
            )
    except (pa.ArrowInvalid, OSError, EOFError) as exc:
        raise DataError(f"input {path} could not be read: {exc}") from exc


def _open_bytes(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number from 1, text) of a UTF-8 file, optionally gzipped; a byte that is not
    UTF-8, or a truncated gzip stream, is an error naming the file and line."""
    number = 0
    try:
        with _open_bytes(path) as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    yield number, raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise DataError(
                        f"{path}, line {number}: byte {raw[exc.start]:#04x} at "
                        f"column {exc.start + 1} is not UTF-8"
                    ) from exc
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DataError(
            f"{path} is truncated or not gzip after line {number} ({type(exc).__name__}: {exc})"
        ) from exc


def _smi_records(path: Path) -> Iterator[pd.DataFrame]:
    # Blank lines and '#' comments carry no compound and are not rows; a first line whose first
    # field is "smiles" is a header.
    ids, smiles = [], []
    for number, line in _lines(path):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        smi, *name = text.split(maxsplit=1)
        if number == 1 and smi.lower() == "smiles":
            continue
        smiles.append(smi)
        ids.append(name[0] if name else None)
        if len(smiles) >= 10_000:
            yield pd.DataFrame({"id": ids, "smiles": smiles, "error": None})
            ids, smiles = [], []
    yield pd.DataFrame({"id": ids, "smiles": smiles, "error": None})


def _sdf_blocks(path: Path) -> Iterator[str]:
    # RDKit's ForwardSDMolSupplier loses its place after a malformed record: records
    # (valid, "junk\n$$$$", valid x 3) came back as 4 molecules, one valid record lost and the
    # later ones numbered wrongly. Records are cut at their $$$$ terminators here instead, so
    # every record is one row, and each is parsed on its own.
    lines: list[str] = []
    for _, line in _lines(path):
        if line.rstrip("\r\n") == "$$$$":
            yield "".join(lines)
            lines = []
        else:
            lines.append(line)
    if "".join(lines).strip():
        yield "".join(lines)


def _sdf_records(path: Path, id_column: str | None) -> Iterator[pd.DataFrame]:
    rows, seen, found = [], set(), id_column is None
    for number, block in enumerate(_sdf_blocks(path)):
        record = _sdf_record(number, block, id_column)
        rows.append((record.name, record.smiles, record.error))
        found = found or record.name is not None
        seen.update(record.properties)
        if len(rows) >= 10_000:
            _check_id_property(path, id_column, found, seen, len(rows))
            yield pd.DataFrame(rows, columns=["id", "smiles", "error"])
            rows = []
    _check_id_property(path, id_column, found, seen, len(rows))
    yield pd.DataFrame(rows, columns=["id", "smiles", "error"])


def _check_id_property(path: Path, id_column: str | None, found: bool, seen: set, n: int) -> None:
    if not found and n:
        raise DataError(
            f"input {path}: no SD record has the property {id_column!r} given as "
            f"the id column (properties: {sorted(seen)[:20]})"
        )


@dataclass(frozen=True)
class SDFRecord:
    """One SDF record: its name (or ``id_column`` property), canonical SMILES or why there is
    none, and its SD properties as text."""

    name: str | None
    smiles: str | None
    error: str | None
    properties: dict[str, str]


def _sdf_record(number: int, block: str, id_column: str | None) -> SDFRecord:
    supplier = Chem.SDMolSupplier()
    supplier.SetData(block + "$$$$\n", sanitize=False, removeHs=False)
    mol = next(iter(supplier), None)
    if mol is None:
        return SDFRecord(None, None, f"SDF record {number + 1} could not be read", {})
    properties = {key: mol.GetProp(key) for key in mol.GetPropNames()}
    prop = id_column or "_Name"
    name = mol.GetProp(prop) if mol.HasProp(prop) else None
    try:
        Chem.SanitizeMol(mol)
    except Exception as exc:  # RDKit raises several sanitisation exception types
        return SDFRecord(
            name, None, f"SDF record {number + 1}: sanitisation failed: {exc}", properties
        )
    if mol.GetNumHeavyAtoms() > MAX_ATOMS:
        return SDFRecord(
            name,
            None,
            f"SDF record {number + 1}: {mol.GetNumHeavyAtoms()} heavy "
            f"atoms, above the limit of {MAX_ATOMS}",
            properties,
        )
    return SDFRecord(name, Chem.MolToSmiles(mol), None, properties)


def read_records(path: str | os.PathLike) -> tuple[pd.DataFrame, dict[int, str]]:
    """A ``.smi`` or SDF file (optionally .gz) as a table, one row per record, for labelled
    compounds (a target assay); and why a record has no SMILES, by row.

    SDF: a ``smiles`` column (canonical, from the molecule block) and one column per SD
    property. ``.smi``: whitespace-separated fields; a first line whose first field is
    ``smiles`` names the columns, otherwise the fields are ``smiles label`` or ``smiles name
    label``. Blank lines and ``#`` comments are not records.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "assay.smi"
    >>> _ = path.write_text("CCO 1\\nc1ccccc1 0\\n")
    >>> read_records(path)[0]
         smiles label
    0       CCO     1
    1  c1ccccc1     0
    """
    path = Path(path)
    if not path.is_file():
        raise DataUnavailableError(f"no such file: {path}")
    kind = input_format(path)
    if kind == "sdf":
        records = [_sdf_record(n, b, None) for n, b in enumerate(_sdf_blocks(path))]
        frame = pd.DataFrame([{"smiles": r.smiles, **r.properties} for r in records])
        reasons = {i: r.error for i, r in enumerate(records) if r.error}
    elif kind == "smi":
        frame, reasons = _smi_table(path), {}
    else:
        raise DataError(f"{path}: read_records reads .smi and .sdf files, not {kind}")
    if frame.empty:
        raise DataError(f"{path} has no records")
    return frame, reasons


def _smi_table(path: Path) -> pd.DataFrame:
    names: list[str] | None = None
    rows = []
    for number, line in _lines(path):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if names is None:
            if fields[0].lower() == "smiles":
                names = fields
                continue
            names = {2: ["smiles", "label"], 3: ["smiles", "name", "label"]}.get(len(fields))
            if names is None:
                raise DataError(
                    f"{path}, line {number}: {len(fields)} fields; without a header "
                    "line a .smi target has 'smiles label' or 'smiles name label'"
                )
        if len(fields) != len(names):
            raise DataError(
                f"{path}, line {number}: {len(fields)} fields, the header has "
                f"{len(names)} ({' '.join(names)})"
            )
        rows.append(fields)
    return pd.DataFrame(rows, columns=names)


def rechunk(batches: Iterable[pd.DataFrame], size: int) -> Iterator[pd.DataFrame]:
    """Fixed-size chunks with a running ``row`` number, whatever sizes the reader produced."""
    pending: list[pd.DataFrame] = []
    held, start = 0, 0
    for batch in batches:
        pending.append(batch)
        held += len(batch)
        while held >= size:
            whole = pd.concat(pending, ignore_index=True)
            yield _numbered(whole.iloc[:size], start)
            start += size
            pending, held = [whole.iloc[size:]], held - size
    if held:
        yield _numbered(pd.concat(pending, ignore_index=True), start)


def _numbered(frame: pd.DataFrame, start: int) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    frame.insert(0, "row", np.arange(start, start + len(frame), dtype=np.int64))
    return frame
