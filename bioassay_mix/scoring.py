"""Score compound libraries with a bundle: streamed in chunks, featurized once, every target.

Input: CSV/TSV (optionally .gz), Parquet, SMILES (``.smi``: SMILES, then an optional name) or
SDF (optionally .gz). Output: one row per input row, in input order, with the input row number,
the compound id, the SMILES, one probability column per target and an ``error`` column; a row
that cannot be scored keeps its place with null scores and the reason.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ._files import atomic_path, output_lock, remove_stale_temporaries
from ._utils import progress, resolve_n_jobs
from .bundle import OUTPUT_COLUMNS, Bundle
from .compound_files import DEFAULT_CHUNK_SIZE, read_compounds, rechunk
from .errors import DataError
from .featurize import featurizer_from_spec
from .featurize.engine import Block, featurize_stream

__all__ = ["ScoreSummary", "score", "score_file"]

logger = logging.getLogger(__name__)


@dataclass
class ScoreSummary:
    """What a :func:`score_file` call did: rows, failures and where the time went.

    Parameters
    ----------
    path : pathlib.Path
        The scores file written.
    n_rows : int
        Compounds scored.
    n_errors : int
        Rows that could not be scored (their reason is in the file).
    targets : list of str
        The targets scored.
    device : str
        Where the models ran.
    timings : dict of str to float, default={}
        Wall seconds per stage, ``wall_s`` the whole call.
    """

    path: Path
    n_rows: int
    n_errors: int
    targets: list[str]
    device: str
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def compounds_per_s(self) -> float:
        """Compounds scored per wall second.

        Returns
        -------
        float
        """
        return self.n_rows / max(self.timings.get("wall_s", 0.0), 1e-9)


# -- featurizing and predicting -------------------------------------------------------------
def _scored(chunk: pd.DataFrame, block: Block, bundle: Bundle, id_name: str) -> pd.DataFrame:
    ok = chunk["error"].isna().to_numpy()
    errors = chunk["error"].to_numpy(dtype=object).copy()
    errors[np.flatnonzero(ok)] = block.reasons
    valid = pd.isna(errors)
    proba = np.full((len(chunk), len(bundle.targets)), np.nan, dtype=np.float32)
    proba[valid] = bundle.predict_proba(block.X[block.valid])
    # the id takes its output name before the targets' columns join it: a target named
    # "id" scored with another id column must not meet the input's own "id"
    out = chunk[["row", "id", "smiles"]].rename(columns={"id": id_name})
    scores = pd.DataFrame(proba, columns=bundle.targets, index=out.index)
    out = pd.concat([out, scores], axis=1)
    out["error"] = errors
    return out


def _scored_chunks(
    bundle: Bundle, chunks: Iterable[pd.DataFrame], *, n_jobs: int, timings: dict, id_name: str
) -> Iterator[pd.DataFrame]:
    """Chunks featurized by the engine (``n_jobs`` worker processes, a few blocks ahead, so
    memory stays flat in the input size) and predicted here, in order."""
    timings.update(featurize_cpu_s=0.0, predict_s=0.0)
    read: deque[pd.DataFrame] = deque()

    def readable_smiles() -> Iterator[list]:
        for chunk in chunks:
            read.append(chunk)
            yield chunk["smiles"][chunk["error"].isna()].tolist()

    kernel = featurizer_from_spec(bundle.featurizer).kernel()
    for block in featurize_stream(readable_smiles(), kernel, n_jobs=n_jobs):
        timings["featurize_cpu_s"] += block.cpu_s
        start = time.perf_counter()
        scored = _scored(read.popleft(), block, bundle, id_name)
        timings["predict_s"] += time.perf_counter() - start
        yield scored


def _prepare(
    bundle: Bundle | str | os.PathLike, targets, device, chunk_size: int, id_column: str | None
) -> tuple[Bundle, str]:
    if (
        not isinstance(chunk_size, int | np.integer)
        or isinstance(chunk_size, bool)
        or chunk_size < 1
    ):
        raise DataError(f"chunk_size must be an integer >= 1, got {chunk_size!r}")
    bundle = bundle if isinstance(bundle, Bundle) else Bundle.load(bundle, targets=targets)
    bundle = bundle.select(targets)
    reserved = (*OUTPUT_COLUMNS, _id_name(id_column))
    clash = [t for t in bundle.targets if t in reserved]
    if clash:
        raise DataError(
            f"target name {clash[0]!r} clashes with an output column "
            f"{sorted(set(reserved))}; choose another --id-column"
        )
    return bundle, bundle.to_device(device)


def _check_output(out: Path, input_path: Path, overwrite: bool) -> None:
    """Refuse an output path before any scoring: it must be a Parquet file name, not a folder,
    not under a file, not the input itself."""
    if out.suffix.lower() not in (".parquet", ".pq"):
        raise DataError(
            f"output {out} must end in .parquet or .pq (scores are written as "
            "Parquet; convert with pandas if you need CSV)"
        )
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
def score(
    bundle: Bundle | str | os.PathLike,
    compounds,
    *,
    smiles_column: str = "smiles",
    id_column: str | None = None,
    targets: list[str] | None = None,
    device: str | None = "auto",
    n_jobs: int | None = 1,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> pd.DataFrame:
    """Score compounds against every target of a bundle.

    Parameters
    ----------
    bundle : Bundle or str or os.PathLike
        A bundle or its folder.
    compounds : DataFrame, Series or sequence of str
        A frame with a SMILES column, or the SMILES.
    smiles_column : str, default="smiles"
        A frame's SMILES column.
    id_column : str or None, default=None
        A frame's compound id column, copied to the output.
    targets : list of str or None, default=None
        Score only these targets of the bundle.
    device : {"auto", "cpu", "cuda"} or None, default="auto"
        Where XGBoost models predict.
    n_jobs : int or None, default=1
        Featurizing worker processes (inputs over one chunk).
    chunk_size : int, default=20000
        Rows per chunk.

    Returns
    -------
    pandas.DataFrame
        One row per input, in order (a pandas input keeps its index): the id, the SMILES, one
        probability column per target and an ``error`` column, set where a SMILES failed
        (its probabilities are then NaN).
    """
    bundle, _ = _prepare(bundle, targets, device, chunk_size, id_column)
    frame = _as_frame(compounds, smiles_column, id_column)
    chunks = rechunk([frame], chunk_size)
    jobs = resolve_n_jobs(n_jobs) if len(frame) > chunk_size else 1
    out = pd.concat(
        list(_scored_chunks(bundle, chunks, n_jobs=jobs, timings={}, id_name=_id_name(id_column))),
        ignore_index=True,
    )
    if isinstance(compounds, pd.DataFrame | pd.Series):
        out.index = compounds.index  # pandas in, pandas out: the caller's index is kept
    return out


def _as_frame(compounds, smiles_column: str, id_column: str | None) -> pd.DataFrame:
    if isinstance(compounds, pd.DataFrame):
        missing = [c for c in (smiles_column, id_column) if c and c not in compounds.columns]
        if missing:
            raise DataError(
                f"input has no column {missing[0]!r} (columns: {list(compounds.columns)[:20]})"
            )
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
    return pa.schema(
        [
            ("row", pa.int64()),
            (id_name, pa.string()),
            ("smiles", pa.string()),
            *((t, pa.float32()) for t in bundle.targets),
            ("error", pa.string()),
        ]
    )


def score_file(
    bundle: Bundle | str | os.PathLike,
    input_path: str | os.PathLike,
    out_path: str | os.PathLike,
    *,
    smiles_column: str = "smiles",
    id_column: str | None = None,
    targets: list[str] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    device: str | None = "auto",
    n_jobs: int | None = 1,
    overwrite: bool = False,
    verbose: bool = True,
) -> ScoreSummary:
    """Stream a compound file through a bundle into a Parquet file.

    The output is written incrementally to a temporary file beside ``out_path`` and renamed at
    the end, so an interrupted run never leaves a partial file under the final name.

    Parameters
    ----------
    bundle : Bundle or str or os.PathLike
        A bundle or its folder.
    input_path : str or os.PathLike
        CSV/TSV (optionally .gz), Parquet, ``.smi`` or SDF (optionally .gz).
    out_path : str or os.PathLike
        The Parquet file to write.
    smiles_column : str, default="smiles"
        A table's SMILES column.
    id_column : str or None, default=None
        A table's compound id column (an SDF's title line is the id).
    targets : list of str or None, default=None
        Score only these targets of the bundle.
    chunk_size : int, default=20000
        Rows per chunk: memory stays flat in the input's size.
    device : {"auto", "cpu", "cuda"} or None, default="auto"
        Where XGBoost models predict.
    n_jobs : int or None, default=1
        Featurizing worker processes.
    overwrite : bool, default=False
        Replace an existing ``out_path`` (never the input).
    verbose : bool, default=True
        Show progress.

    Returns
    -------
    ScoreSummary
        Rows scored and failed, timings, the device used.
    """
    start = time.perf_counter()
    out = Path(out_path)
    _check_output(out, Path(input_path), overwrite)
    bundle, device_used = _prepare(bundle, targets, device, chunk_size, id_column)
    with output_lock(out, what="scores"):
        for tmp in remove_stale_temporaries(out):
            logger.info("removed %s, left by an interrupted run", tmp)
        return _score_file_locked(
            bundle,
            input_path,
            out,
            device_used,
            start,
            smiles_column=smiles_column,
            id_column=id_column,
            chunk_size=chunk_size,
            n_jobs=n_jobs,
            verbose=verbose,
        )


def _score_file_locked(
    bundle: Bundle,
    input_path,
    out: Path,
    device_used: str,
    start: float,
    *,
    smiles_column: str,
    id_column: str | None,
    chunk_size: int,
    n_jobs: int | None,
    verbose: bool,
) -> ScoreSummary:
    chunks = read_compounds(
        input_path, smiles_column=smiles_column, id_column=id_column, chunk_size=chunk_size
    )
    id_name = _id_name(id_column)
    schema = _schema(bundle, id_name)
    timings: dict[str, float] = {}
    n_rows = n_errors = 0
    with atomic_path(out) as tmp, pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        scored = _scored_chunks(
            bundle, chunks, n_jobs=resolve_n_jobs(n_jobs), timings=timings, id_name=id_name
        )
        for part in progress(scored, desc="scoring chunks", verbose=verbose):
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
        logger.warning(
            "none of the %d compounds could be scored (invalid SMILES or unreadable "
            "records); see the error column of %s",
            n_rows,
            out,
        )
    elif n_errors:
        logger.warning(
            "%d of %d compounds could not be scored; see the error column of %s",
            n_errors,
            n_rows,
            out,
        )
    return ScoreSummary(
        out,
        n_rows,
        n_errors,
        bundle.targets,
        device_used,
        {k: round(v, 3) for k, v in timings.items()},
    )
