"""Text domains: reading corpora (one sequence per non-empty line), the shipped domains through
their manifests, and the target's split into a MixMin sample and a held-out part."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from ..datasets import fetch, manifests
from ..errors import DataError

TEXT_SUFFIXES = (".txt", ".txt.gz")


def read_sequences(path: str | os.PathLike) -> list[str]:
    """The non-empty lines of a UTF-8 text file (optionally gzipped), stripped: one sequence each.
    Bytes that are not UTF-8 are an error naming the file and byte offset.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    list of str
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read text file {path}: {exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{path} is not UTF-8: byte {exc.start} "
            f"({raw[exc.start : exc.start + 1]!r}) on line {line}"
        ) from exc
    lines = [s for s in (line.strip() for line in text.splitlines()) if s]
    if not lines:
        raise DataError(f"{path} holds no text (no non-empty line)")
    return lines


def text_domains() -> list[str]:
    """Names of the text domains described in ``data_manifests/text``.

    Returns
    -------
    list of str
    """
    return sorted(n for n, m in manifests().items() if m.folder == "text")


def load_text_domain(name: str) -> list[str]:
    """A shipped text domain's sequences, fetched through the data cache and checksum-verified.

    Parameters
    ----------
    name : str
        One of :func:`text_domains`.

    Returns
    -------
    list of str
    """
    return read_sequences(fetch(name))


def read_domain_dir(folder: str | os.PathLike) -> dict[str, list[str]]:
    """Every ``*.txt``/``*.txt.gz`` file of ``folder`` as a domain named by its file stem.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder.

    Returns
    -------
    dict of str to list of str
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"domain folder {folder} does not exist")
    files = sorted(p for p in folder.iterdir() if p.name.endswith(TEXT_SUFFIXES))
    if not files:
        raise DataError(f"{folder} has no .txt or .txt.gz domain files")
    names = [p.name.removesuffix(".gz").removesuffix(".txt") for p in files]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        same = [p.name for p, n in zip(files, names, strict=True) if n == clash[0]]
        raise DataError(f"{folder}: files {same} are one domain {clash[0]!r}; keep one of them")
    return {n: read_sequences(p) for n, p in zip(names, files, strict=True)}


def split_target(
    texts: list[str], sample: int | float = 0.2, *, random_state: int = 0
) -> tuple[list[str], list[str]]:
    """Shuffle the target's sequences and cut a MixMin sample from the held-out rest used for
    evaluation.

    Parameters
    ----------
    texts : list of str
        The target's sequences.
    sample : int or float, default=0.2
        Sequences MixMin sees: a count, or a fraction of ``texts``.
    random_state : int, default=0
        Seed of the shuffle.

    Returns
    -------
    sample : list of str
    held_out : list of str
    """
    n = len(texts)
    k = round(sample * n) if isinstance(sample, float) else int(sample)
    if n < 2 or not 1 <= k < n:
        raise DataError(
            f"the target has {n} sequences; a sample of {sample} leaves no held-out "
            "part (need >= 1 sequence on each side)"
        )
    order = np.random.default_rng(random_state).permutation(n)
    return [texts[i] for i in order[:k]], [texts[i] for i in order[k:]]
