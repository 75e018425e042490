"""Dataset manifests, the download cache (pooch + sha256) and loading panels by name or path."""

from __future__ import annotations

import csv
import gzip
import json
import logging
import os
import tomllib
import warnings
import zlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pooch
import pyarrow as pa

from ._utils import sha256_bytes, sha256_file
from .errors import ChecksumError, DataError, DataUnavailableError
from .panel import AssayPanel, compose

__all__ = [
    "DATA_ENV",
    "LAYOUTS",
    "Manifest",
    "data_home",
    "describe_chembl_assays",
    "fetch",
    "get_manifest",
    "load_panel",
    "manifest_dir",
    "manifests",
    "read_fsmol_tasks",
    "read_table",
    "status",
]

logger = logging.getLogger(__name__)

DATA_ENV = "BIOASSAY_MIX_DATA"
#: Layouts of a panel file: a column per assay, or one (compound, assay, label) row per label.
LAYOUTS = ("wide", "long")


@dataclass(frozen=True)
class Manifest:
    """What a dataset is and where it comes from (one TOML file in ``data_manifests/``)."""

    name: str
    title: str
    licence: str
    citation: str
    description: str = ""
    file: str = ""
    folder: str = "bioassay"
    url: str = ""
    sha256: str = ""
    packaged: str = ""
    smiles_column: str = "smiles"
    label_columns: tuple[str, ...] | str = "*"
    id_columns: tuple[str, ...] = ()
    regression_columns: tuple[str, ...] = ()
    rows: int | None = None
    components: tuple[str, ...] = ()
    layout: str = "wide"
    assay_column: str = "assay"
    label_column: str = "label"
    annotations: str = ""
    annotations_sha256: str = ""
    path: Path | None = field(default=None, compare=False)

    @classmethod
    def from_toml(cls, path: Path) -> Manifest:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise DataError(f"manifest {path} is not valid TOML: {exc}") from exc
        known = set(cls.__dataclass_fields__) - {"path"}
        unknown = set(raw) - known
        if unknown:
            raise DataError(f"manifest {path}: unknown keys {sorted(unknown)}")
        for key in ("label_columns", "id_columns", "regression_columns", "components"):
            if isinstance(raw.get(key), list):
                raw[key] = tuple(raw[key])
        if raw.get("layout", "wide") not in LAYOUTS:
            raise DataError(
                f"manifest {path}: layout must be one of {LAYOUTS}, got {raw['layout']!r}"
            )
        try:
            return cls(**raw, path=path)
        except TypeError as exc:
            raise DataError(f"manifest {path}: {exc}") from exc

    @property
    def is_composite(self) -> bool:
        return bool(self.components)


def manifest_dir() -> Path:
    """The manifests shipped in the wheel, or ``data_manifests/`` of a source checkout."""
    packaged = Path(str(resources.files("bioassay_mix") / "data_manifests"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "data_manifests"


def manifests() -> dict[str, Manifest]:
    """Every known dataset: assay panels and, under ``text/``, text domains.

    Returns
    -------
    dict of str to Manifest
        By dataset name.

    Examples
    --------
    >>> "tox21" in manifests()
    True
    """
    found = {}
    for path in sorted(manifest_dir().rglob("*.toml")):
        m = Manifest.from_toml(path)
        found[m.name] = m
    return found


def get_manifest(name: str) -> Manifest:
    known = manifests()
    if name.lower() not in known:
        raise DataError(f"unknown dataset {name!r}; known: {sorted(known)} (or give a file path)")
    return known[name.lower()]


def data_home(path: str | os.PathLike | None = None) -> Path:
    """The data cache: ``path``, else ``$BIOASSAY_MIX_DATA``, else the user cache directory."""
    if path is None:
        env = os.environ.get(DATA_ENV)
        path = env if env else pooch.os_cache("bioassay-mix")
    home = Path(path).expanduser().resolve()
    if home.exists() and not home.is_dir():
        raise DataError(f"the data cache {home} (${DATA_ENV} or cache=) is a file, not a folder")
    return home


def fetch(name: str, *, cache: str | os.PathLike | None = None) -> Path:
    """Path to a dataset's file, verified against its manifest's sha256, downloaded if absent.

    Parameters
    ----------
    name : str
        A dataset of :func:`manifests` (not a composite one).
    cache : str or os.PathLike or None, default=None
        The data cache; default ``$BIOASSAY_MIX_DATA``, else the user cache folder.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataUnavailableError
        Not in the cache and not downloadable.
    ChecksumError
        The file's sha256 differs from its manifest's.
    """
    m = get_manifest(name)
    if m.is_composite:
        raise DataError(f"{name!r} is composed of {list(m.components)}; fetch those instead")
    if m.packaged:
        return _packaged_file(m)
    folder = data_home(cache) / m.folder
    target = folder / m.file
    if target.exists():
        _verify(target, m)
        return target
    if not m.url:
        raise DataUnavailableError(
            f"{m.file} is not in {folder} and {m.name!r} has no URL; put "
            f"the file there or set {DATA_ENV}"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        got = pooch.retrieve(
            m.url,
            known_hash=f"sha256:{m.sha256}" if m.sha256 else None,
            fname=m.file,
            path=folder,
            progressbar=False,
        )
    except ValueError as exc:  # pooch's message for a download whose hash differs
        raise ChecksumError(
            f"downloaded {m.file} from {m.url} but its sha256 differs from the "
            f"manifest {m.path}: {exc}"
        ) from exc
    except Exception as exc:  # network errors come from requests, with many types
        raise DataUnavailableError(
            f"{m.file} is not in {folder} and could not be downloaded from {m.url} ({exc}). "
            f"Set {DATA_ENV} to a folder that holds {m.folder}/{m.file}."
        ) from exc
    target = Path(got)
    _verify(target, m)
    return target


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


def _verify(path: Path, m: Manifest) -> str:
    actual = sha256_file(path)
    if not m.sha256:
        warnings.warn(
            f"{m.name}: the manifest pins no sha256; {path} has sha256 {actual} "
            "(recorded in the run metadata)",
            UserWarning,
            stacklevel=3,
        )
        return actual
    if actual != m.sha256:
        raise ChecksumError(
            f"{path} has sha256 {actual}, but manifest {m.path} expects "
            f"{m.sha256}. Delete the file to download it again, or point "
            f"{DATA_ENV} at a folder with the right copy."
        )
    return actual


def _packaged_file(m: Manifest) -> Path:
    path = Path(str(resources.files("bioassay_mix") / "data" / m.packaged))
    if not path.exists():
        raise DataUnavailableError(f"packaged file {path} for {m.name!r} is missing; reinstall")
    # The manifest's sha256 is of the original (uncompressed) file, so check what we shipped.
    actual = sha256_bytes(gzip.decompress(path.read_bytes()))
    if actual != m.sha256:
        raise ChecksumError(
            f"packaged {path} decompresses to sha256 {actual}, manifest {m.path} expects {m.sha256}"
        )
    return path


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read CSV (optionally .gz) or Parquet, with an error that names the file."""
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
    panel.sources[name] = m.sha256 or sha256_file(path)
    return panel


def status(cache: str | os.PathLike | None = None) -> pd.DataFrame:
    """One row per dataset: file, whether it is cached (or packaged) and its licence."""
    rows = []
    home = data_home(cache)
    for m in manifests().values():
        if m.is_composite:
            where, state = "", "composed of " + ", ".join(m.components)
        elif m.packaged:
            where, state = "inside the package", "packaged"
        else:
            path = home / m.folder / m.file
            where = str(path)
            state = "cached" if path.exists() else "not cached"
            if not m.sha256:
                state += " (sha256 unpinned)"
        rows.append(
            {"name": m.name, "title": m.title, "status": state, "path": where, "licence": m.licence}
        )
    return pd.DataFrame(rows)
