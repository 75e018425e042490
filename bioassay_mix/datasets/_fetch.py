"""The download cache: each dataset's file found, fetched (pooch) and checked against its sha256."""

from __future__ import annotations

import gzip
import os
import warnings
from importlib import resources
from pathlib import Path

import pandas as pd
import pooch

from .._files import sha256_bytes, sha256_file
from ..errors import ChecksumError, DataError, DataUnavailableError
from ._manifest import DATA_ENV, Manifest, get_manifest, manifests


def data_home(path: str | os.PathLike | None = None) -> Path:
    """The data cache: ``path``, else ``$BIOASSAY_MIX_DATA``, else the user cache directory.

    Parameters
    ----------
    path : str, os.PathLike or None, default=None
        A folder to use instead of the environment's.

    Returns
    -------
    pathlib.Path
        The resolved folder (it need not exist yet; a file there is refused).
    """
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


def status(cache: str | os.PathLike | None = None) -> pd.DataFrame:
    """One row per dataset: file, whether it is cached (or packaged) and its licence.

    Parameters
    ----------
    cache : str, os.PathLike or None, default=None
        The data cache (:func:`data_home`).

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``title``, ``status``, ``path``, ``licence``.
    """
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
