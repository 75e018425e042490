"""Score compound libraries with a bundle: streamed in chunks, featurized once, every target.

Input: CSV/TSV (optionally .gz), Parquet, SMILES (``.smi``: SMILES, then an optional name) or
SDF (optionally .gz). Output: one row per input row, in input order, with the input row number,
the compound id, the SMILES, one probability column per target and an ``error`` column; a row
that cannot be scored keeps its place with null scores and the reason.
"""

from __future__ import annotations

import gzip
import logging
import os
import time
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import scipy.sparse as sp
from rdkit import Chem

from ._utils import (
    atomic_path,
    die_with_parent,
    output_lock,
    progress,
    remove_stale_temporaries,
    resolve_n_jobs,
)
from .bundle import Bundle
from .chem import MAX_ATOMS, parse_many
from .errors import DataError, DataUnavailableError
from .featurize import featurizer_from_spec

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 20_000
RESERVED = ("row", "smiles", "error")
_MOL_BATCH = 2_000


@dataclass
class ScoreSummary:
    """What a :func:`score_file` call did: rows, failures and where the time went."""

    path: Path
    n_rows: int
    n_errors: int
    targets: list[str]
    device: str
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def compounds_per_s(self) -> float:
        return self.n_rows / max(self.timings.get("wall_s", 0.0), 1e-9)


# -- reading ---------------------------------------------------------------------------------
def input_format(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    for suffix, kind in ((".csv", "csv"), (".tsv", "tsv"), (".parquet", "parquet"),
                         (".pq", "parquet"), (".smi", "smi"), (".smiles", "smi"),
                         (".sdf", "sdf"), (".sd", "sdf")):
        if name.endswith(suffix):
            return kind
    raise DataError(f"{path}: unsupported input type (use .csv, .tsv, .parquet, .smi or .sdf, "
                    "optionally .gz)")


def read_compounds(path: str | os.PathLike, *, smiles_column: str = "smiles",
                   id_column: str | None = None,
                   chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[pd.DataFrame]:
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
    return _rechunk(batches, chunk_size)


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
    missing = [c for c in wanted if c not in names]
    if missing:
        raise DataError(f"input {path} has no column {missing[0]!r} (columns: {names[:20]}); "
                        "set smiles_column / id_column (--smiles-column / --id-column)")
    try:
        if kind == "parquet":
            batches = source.iter_batches(batch_size=chunk_size, columns=wanted)
        else:
            batches = pacsv.open_csv(
                path, parse_options=parse,
                convert_options=pacsv.ConvertOptions(include_columns=wanted, column_types={
                    c: pa.string() for c in wanted}))
        for batch in batches:
            frame = batch.to_pandas()
            yield pd.DataFrame({"id": frame[id_column] if id_column else None,
                                "smiles": frame[smiles_column], "error": None})
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
                    raise DataError(f"{path}, line {number}: byte {raw[exc.start]:#04x} at "
                                    f"column {exc.start + 1} is not UTF-8") from exc
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DataError(f"{path} is truncated or not gzip after line {number} "
                        f"({type(exc).__name__}: {exc})") from exc


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
    rows = []
    for number, block in enumerate(_sdf_blocks(path)):
        supplier = Chem.SDMolSupplier()
        supplier.SetData(block + "$$$$\n", sanitize=False, removeHs=False)
        rows.append(_sdf_row(number, next(iter(supplier), None), id_column))
        if len(rows) >= 10_000:
            yield pd.DataFrame(rows, columns=["id", "smiles", "error"])
            rows = []
    yield pd.DataFrame(rows, columns=["id", "smiles", "error"])


def _sdf_row(number: int, mol, id_column: str | None) -> tuple:
    if mol is None:
        return None, None, f"SDF record {number + 1} could not be read"
    prop = id_column or "_Name"
    name = mol.GetProp(prop) if mol.HasProp(prop) else None
    try:
        Chem.SanitizeMol(mol)
    except Exception as exc:  # RDKit raises several sanitisation exception types
        return name, None, f"SDF record {number + 1}: sanitisation failed: {exc}"
    if mol.GetNumHeavyAtoms() > MAX_ATOMS:
        return name, None, (f"SDF record {number + 1}: {mol.GetNumHeavyAtoms()} heavy atoms, "
                            f"above the limit of {MAX_ATOMS}")
    return name, Chem.MolToSmiles(mol), None


def _rechunk(batches: Iterable[pd.DataFrame], size: int) -> Iterator[pd.DataFrame]:
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


# -- featurizing (in worker processes: RDKit parsing holds the GIL) --------------------------
def _featurize(smiles: list, featurizer: dict) -> tuple[sp.csr_matrix, list, float]:
    # featurizer: a spec, rebuilt in the worker (nothing is pickled but plain data)
    # RDKit molecules are large (kilobytes each): parse and fingerprint a few thousand at a time
    # so that a chunk's molecules never all exist at once.
    start = time.process_time()
    fp = featurizer_from_spec(featurizer, n_jobs=1)
    blocks, reasons = [], []
    for i in range(0, len(smiles), _MOL_BATCH):
        parsed = parse_many(smiles[i:i + _MOL_BATCH], canonical=False)
        # CSR whatever the featurizer: the form models are trained on (see ProxyLibrary)
        blocks.append(sp.csr_matrix(fp.transform_mols([p.mol for p in parsed if p.mol]),
                                    dtype=np.float32))
        reasons += [p.reason for p in parsed]
    X = sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix(
        (0, fp.n_features_out_), dtype=np.float32)
    return X, reasons, time.process_time() - start


def _featurized(chunks: Iterable[pd.DataFrame], featurizer: dict,
                n_jobs: int) -> Iterator[tuple[pd.DataFrame, sp.csr_matrix, list, float]]:
    """Featurize chunks in order, ``n_jobs`` processes at a time, at most 2 x n_jobs chunks in
    memory (so memory stays flat in the input size)."""
    todo = ((c, c["smiles"][c["error"].isna()].tolist()) for c in chunks)
    if n_jobs == 1:
        for chunk, smiles in todo:
            yield chunk, *_featurize(smiles, featurizer)
        return
    with ProcessPoolExecutor(n_jobs, mp_context=get_context("spawn"),
                             initializer=die_with_parent) as pool:
        queue: deque = deque()
        try:
            for chunk, smiles in todo:
                queue.append((chunk, pool.submit(_featurize, smiles, featurizer)))
                if len(queue) >= 2 * n_jobs:
                    chunk0, future = queue.popleft()
                    yield chunk0, *future.result()
            while queue:
                chunk0, future = queue.popleft()
                yield chunk0, *future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _scored(chunk: pd.DataFrame, X: sp.csr_matrix, reasons: list,
            bundle: Bundle) -> pd.DataFrame:
    ok = chunk["error"].isna().to_numpy()
    errors = chunk["error"].to_numpy(dtype=object).copy()
    errors[np.flatnonzero(ok)] = reasons
    valid = pd.isna(errors)
    proba = np.full((len(chunk), len(bundle.targets)), np.nan, dtype=np.float32)
    proba[valid] = bundle.predict_proba(X)
    out = chunk[["row", "id", "smiles"]].copy()
    scores = pd.DataFrame(proba, columns=bundle.targets, index=out.index)
    out = pd.concat([out, scores], axis=1)
    out["error"] = errors
    return out


def _scored_chunks(bundle: Bundle, chunks: Iterable[pd.DataFrame], *, n_jobs: int,
                   timings: dict) -> Iterator[pd.DataFrame]:
    timings.update(featurize_cpu_s=0.0, predict_s=0.0)
    for chunk, X, reasons, cpu in _featurized(chunks, bundle.featurizer, n_jobs):
        timings["featurize_cpu_s"] += cpu
        start = time.perf_counter()
        scored = _scored(chunk, X, reasons, bundle)
        timings["predict_s"] += time.perf_counter() - start
        yield scored


def _prepare(bundle: Bundle | str | os.PathLike, targets, device, chunk_size: int,
             id_column: str | None) -> tuple[Bundle, str]:
    if not isinstance(chunk_size, int | np.integer) or isinstance(chunk_size, bool) \
            or chunk_size < 1:
        raise DataError(f"chunk_size must be an integer >= 1, got {chunk_size!r}")
    bundle = bundle if isinstance(bundle, Bundle) else Bundle.load(bundle, targets=targets)
    bundle = bundle.select(targets)
    reserved = (*RESERVED, _id_name(id_column))
    clash = [t for t in bundle.targets if t in reserved]
    if clash:
        raise DataError(f"target name {clash[0]!r} clashes with an output column "
                        f"{sorted(set(reserved))}; choose another --id-column")
    return bundle, bundle.to_device(device)


def _check_output(out: Path, input_path: Path, overwrite: bool) -> None:
    """Refuse an output path before any scoring: it must be a Parquet file name, not a folder,
    not under a file, not the input itself."""
    if out.suffix.lower() not in (".parquet", ".pq"):
        raise DataError(f"output {out} must end in .parquet or .pq (scores are written as "
                        "Parquet; convert with pandas if you need CSV)")
    if out.is_dir():
        raise DataError(f"output {out} is a folder; give a file name")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise DataError(f"output {out} lies under {parent}, which is a file")
            break
    if out.exists():
        if input_path.exists() and out.resolve() == input_path.resolve():
            raise DataError(f"output {out} is the input file; refusing to overwrite it")
        if not overwrite:
            raise DataError(f"output {out} already exists (pass overwrite=True / --overwrite)")


def _id_name(id_column: str | None) -> str:
    return id_column or "id"


# -- public API ------------------------------------------------------------------------------
def score(bundle: Bundle | str | os.PathLike, compounds, *, smiles_column: str = "smiles",
          id_column: str | None = None, targets: list[str] | None = None,
          device: str | None = "auto", n_jobs: int | None = 1,
          chunk_size: int = DEFAULT_CHUNK_SIZE) -> pd.DataFrame:
    """Score ``compounds`` (a DataFrame with a SMILES column, a Series or a list of SMILES)
    against every target of ``bundle``: one row per input, in order, with an ``error`` column."""
    bundle, _ = _prepare(bundle, targets, device, chunk_size, id_column)
    frame = _as_frame(compounds, smiles_column, id_column)
    chunks = _rechunk([frame], chunk_size)
    jobs = resolve_n_jobs(n_jobs) if len(frame) > chunk_size else 1
    out = pd.concat(list(_scored_chunks(bundle, chunks, n_jobs=jobs, timings={})),
                    ignore_index=True)
    if isinstance(compounds, pd.DataFrame | pd.Series):
        out.index = compounds.index  # pandas in, pandas out: the caller's index is kept
    return out.rename(columns={"id": _id_name(id_column)})


def _as_frame(compounds, smiles_column: str, id_column: str | None) -> pd.DataFrame:
    if isinstance(compounds, pd.DataFrame):
        missing = [c for c in (smiles_column, id_column) if c and c not in compounds.columns]
        if missing:
            raise DataError(f"input has no column {missing[0]!r} (columns: "
                            f"{list(compounds.columns)[:20]})")
        ids = compounds[id_column].to_numpy() if id_column else None
        smiles = compounds[smiles_column].to_numpy()
    elif isinstance(compounds, str):
        raise DataError("expected a sequence of SMILES, got a single string")
    else:
        smiles = pd.Series(compounds).to_numpy()
        ids = None
    if len(smiles) == 0:
        raise DataError("no compounds to score: the input is empty")
    return pd.DataFrame({"id": ids, "smiles": smiles, "error": None})


def _schema(bundle: Bundle, id_name: str) -> pa.Schema:
    return pa.schema([("row", pa.int64()), (id_name, pa.string()), ("smiles", pa.string()),
                      *((t, pa.float32()) for t in bundle.targets), ("error", pa.string())])


def score_file(bundle: Bundle | str | os.PathLike, input_path: str | os.PathLike,
               out_path: str | os.PathLike, *, smiles_column: str = "smiles",
               id_column: str | None = None, targets: list[str] | None = None,
               chunk_size: int = DEFAULT_CHUNK_SIZE, device: str | None = "auto",
               n_jobs: int | None = 1, overwrite: bool = False,
               verbose: bool = True) -> ScoreSummary:
    """Stream ``input_path`` through ``bundle`` into a Parquet file at ``out_path``.

    The output is written incrementally to a temporary file beside ``out_path`` and renamed at
    the end, so an interrupted run never leaves a partial file under the final name.
    """
    start = time.perf_counter()
    out = Path(out_path)
    _check_output(out, Path(input_path), overwrite)
    bundle, device_used = _prepare(bundle, targets, device, chunk_size, id_column)
    with output_lock(out, what="scores"):
        for tmp in remove_stale_temporaries(out):
            logger.info("removed %s, left by an interrupted run", tmp)
        return _score_file_locked(bundle, input_path, out, device_used, start,
                                  smiles_column=smiles_column, id_column=id_column,
                                  chunk_size=chunk_size, n_jobs=n_jobs, verbose=verbose)


def _score_file_locked(bundle: Bundle, input_path, out: Path, device_used: str, start: float,
                       *, smiles_column: str, id_column: str | None, chunk_size: int,
                       n_jobs: int | None, verbose: bool) -> ScoreSummary:
    chunks = read_compounds(input_path, smiles_column=smiles_column, id_column=id_column,
                            chunk_size=chunk_size)
    id_name = _id_name(id_column)
    schema = _schema(bundle, id_name)
    timings: dict[str, float] = {}
    n_rows = n_errors = 0
    with atomic_path(out) as tmp, pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        scored = _scored_chunks(bundle, chunks, n_jobs=resolve_n_jobs(n_jobs), timings=timings)
        for part in progress(scored, desc="scoring chunks", verbose=verbose):
            part = part.rename(columns={"id": id_name})
            # a Parquet column of numbers arrives as numbers: each row's error says so
            # (parse_smiles), and the output's text columns hold them as text
            part[id_name] = part[id_name].astype("string")
            part["smiles"] = part["smiles"].astype("string")
            writer.write_table(pa.Table.from_pandas(part, schema=schema, preserve_index=False))
            n_rows += len(part)
            n_errors += int(part["error"].notna().sum())
        if n_rows == 0:
            raise DataError(f"input {input_path} has no compounds")
    timings["wall_s"] = time.perf_counter() - start
    if n_errors == n_rows:
        logger.warning("none of the %d compounds could be scored (invalid SMILES or unreadable "
                       "records); see the error column of %s", n_rows, out)
    elif n_errors:
        logger.warning("%d of %d compounds could not be scored; see the error column of %s",
                       n_errors, n_rows, out)
    return ScoreSummary(out, n_rows, n_errors, bundle.targets, device_used,
                        {k: round(v, 3) for k, v in timings.items()})
