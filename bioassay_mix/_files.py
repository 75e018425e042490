"""Files written atomically and locked, folders checked before anything is written, content
hashes and safe file names: everything the package writes goes through here."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ._lazy import is_pandas
from .errors import DataError

_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; renamed over ``path`` if the block succeeds."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    # Keep the final suffix: some writers (XGBoost's save_model) pick the format by extension.
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.tmp-", suffix=final.suffix, dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.chmod(0o666 & ~_umask())
    try:
        yield tmp_path
        os.replace(tmp_path, final)
    finally:
        tmp_path.unlink(missing_ok=True)


def _umask() -> int:
    """The process umask. tempfile creates files 0600 and folders 0700, private to their
    owner, which is right for a temporary but not for a result: results, bundles and libraries
    get the permissions ``open`` and ``mkdir`` would give them."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def check_output_dir(
    final: str | os.PathLike,
    *,
    marker: str,
    overwrite: bool,
    what: str,
    owned: Collection[str] = (),
) -> Path:
    """Refuse ``final`` as the folder of a ``what`` unless it is new, empty, or provably one this
    tool wrote (it holds ``marker``, and, when ``owned`` names what the tool writes there,
    nothing else) and ``overwrite`` is set. Call it before any work, so a refusal costs
    nothing; :func:`write_dir_atomic` checks again."""
    final = Path(final)
    if final.is_symlink():  # write where the link points; the link itself stays
        final = final.resolve()
    if final.exists() and not final.is_dir():
        raise DataError(f"{what} path {final} is a file, not a folder; refusing to replace it")
    if final.is_dir() and any(final.iterdir()):
        if not (final / marker).is_file():
            raise DataError(
                f"{final} is not empty and is not a {what} (it has no {marker}); "
                f"refusing to replace it: choose a new or empty folder"
            )
        if not overwrite:
            raise DataError(
                f"{what} {final} already exists (pass overwrite=True / --overwrite to replace it)"
            )
        foreign = sorted(p.name for p in final.iterdir() if p.name not in {marker, *owned})
        if owned and foreign:
            raise DataError(
                f"{final} holds files this tool did not write there: "
                f"{foreign[:10]}; refusing to replace it: move them out first"
            )
    for parent in final.parents:
        if parent.exists():
            if not parent.is_dir():
                raise DataError(f"{what} path {final} lies under {parent}, which is a file")
            break
    return final


def write_dir_atomic(
    final: str | os.PathLike,
    write: Callable[[Path], None],
    *,
    marker: str,
    overwrite: bool,
    what: str,
    owned: Collection[str] = (),
) -> Path:
    """Fill a temporary folder beside ``final`` with ``write(tmp)``, then put it in ``final``'s
    place. ``final`` must pass :func:`check_output_dir`: a folder the tool did not write is never
    replaced, and an interrupted write leaves the old folder as it was."""
    final = check_output_dir(final, marker=marker, overwrite=overwrite, what=what, owned=owned)
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_dead_folders(final)
    # the pid in the name lets a later write tell a killed writer's folder from a live one's
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-{os.getpid()}-", dir=final.parent))
    tmp.chmod(0o777 & ~_umask())
    try:
        write(tmp)
        if final.is_dir() and any(final.iterdir()):  # one of ours, checked above
            old = final.with_name(f".{final.name}.old-{os.getpid()}")
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:  # new, or an empty folder, which rename replaces
            os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


_HELD_LOCKS: set[Path] = set()


@contextlib.contextmanager
def output_lock(path: str | os.PathLike, *, what: str = "output") -> Iterator[None]:
    """Hold an exclusive lock on the output ``path`` (a folder, or a file's name) while a block
    writes it; a second process asking for it is refused at once, naming the holder. The lock
    is the kernel's (``flock``), so it dies with its process, kill -9 included, and its file is
    removed on release; re-entering it in the same process is a no-op."""
    target = Path(path).resolve()
    if target in _HELD_LOCKS:
        yield
        return
    lock = target.with_name(f".{target.name}.lock")  # beside it: a folder's content stays its own
    lock.parent.mkdir(parents=True, exist_ok=True)
    handle = _acquire(lock, target, what)
    _HELD_LOCKS.add(target)
    try:
        yield
    finally:
        _HELD_LOCKS.discard(target)
        lock.unlink(missing_ok=True)  # before unlocking: a waiter re-checks the inode
        handle.close()


def _acquire(lock: Path, target: Path, what: str):
    import fcntl

    while True:
        handle = open(lock, "a+", encoding="utf-8")  # noqa: SIM115 (held by the caller)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise DataError(
                f"another bioassay-mix process (pid {holder}) is writing {what} "
                f"{target}; wait for it to finish or choose another path"
            ) from None
        try:
            same = os.stat(lock).st_ino == os.fstat(handle.fileno()).st_ino
        except FileNotFoundError:
            same = False
        if same:  # else the holder removed it as we opened it: try the new file
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            return handle
        handle.close()


def remove_stale_temporaries(final: str | os.PathLike) -> list[Path]:
    """Delete what interrupted atomic writes of ``final`` left beside it (hidden
    ``.NAME.tmp-*`` files); call it only while holding ``final``'s :func:`output_lock`."""
    final = Path(final)
    removed = []
    for tmp in final.parent.glob(f".{final.name}.tmp-*"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def remove_dead_folders(final: str | os.PathLike) -> list[Path]:
    """Delete the temporary folders (``.NAME.tmp-PID-*``) and replaced copies
    (``.NAME.old-PID``) that :func:`write_dir_atomic` left beside ``final`` in a process that
    no longer runs (kill -9 mid-write); a live writer's are kept."""
    final = Path(final)
    removed = []
    for kind in ("tmp", "old"):
        for path in final.parent.glob(f".{glob.escape(final.name)}.{kind}-*"):
            pid = path.name[len(final.name) + len(kind) + 3 :].split("-")[0]
            if path.is_dir() and not path.is_symlink() and pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def read_manifest_json(folder: Path, name: str, what: str) -> Any:
    """The JSON file ``name`` that marks ``folder`` as a ``what``; a missing or unreadable one
    is a :class:`ModelFileError` naming it."""
    from .errors import ModelFileError

    file = folder / name
    if not file.is_file():
        raise ModelFileError(f"{folder} is not a {what}: {name} is missing")
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ModelFileError(f"{file} is corrupt: {type(exc).__name__}: {str(exc)[:200]}") from exc


class SavedFolder:
    """``save(path, overwrite=)`` for an object written as one folder by ``self._write(tmp)``,
    marked by the file ``MARKER``: written atomically, an existing one replaced only with
    ``overwrite=True``, a non-empty folder without the marker never."""

    MARKER: str = ""
    KIND: str = ""
    #: Everything ``_write`` puts in the folder besides the marker.
    FILES: tuple[str, ...] = ()
    path: Path | None

    def _write(self, folder: Path) -> None:
        raise NotImplementedError

    def save(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the folder atomically at ``path``.

        Parameters
        ----------
        path : str or os.PathLike
            The folder; its parent is created.
        overwrite : bool, default=False
            Replace a folder this tool wrote before (one holding its marker file). A non-empty
            folder without the marker is never replaced.

        Returns
        -------
        pathlib.Path
            The folder, also set as ``self.path``.
        """
        self.path = write_dir_atomic(
            path,
            self._write,
            marker=self.MARKER,
            overwrite=overwrite,
            what=self.KIND,
            owned=self.FILES,
        )
        return self.path


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json_atomic(path: str | os.PathLike, obj: Any) -> None:
    """``obj`` as strict JSON (NaN and infinities become null, which every parser reads)."""
    text = json.dumps(
        _strict(obj), indent=2, sort_keys=True, default=_json_default, allow_nan=False
    )
    write_text_atomic(path, text + "\n")


def _strict(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strict(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_strict(v) for v in obj]
    if isinstance(obj, np.ndarray | np.generic):
        return _strict(obj.tolist())
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def _json_default(obj: Any) -> Any:
    if is_pandas(obj, "NA"):
        return None
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__} to JSON")


def safe_name(name: str) -> str:
    """A file-system-safe, collision-free stem for an assay or target name."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "assay"
    return f"{stem[:80]}-{sha256_bytes(name.encode())[:8]}"
