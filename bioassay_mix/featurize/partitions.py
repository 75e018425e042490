"""Features computed per partition of compounds, one executor task each (Dask: on the workers,
left there; see :mod:`bioassay_mix.executor`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import scipy.sparse as sp

from .._files import sha256_bytes
from .base import Featurizer
from .names import featurizer_from_spec


def fingerprint_partitions(
    featurizer: Featurizer,
    smiles: Sequence[str],
    executor,
    *,
    partition_size: int = 20_000,
    verbose: bool = True,
) -> list:
    """Features of valid ``smiles``, one ``executor`` task per partition of ``partition_size``
    compounds, left where they were computed.

    With ``featurizer.cache_dir`` each partition is cached on its own (keyed by its SMILES), so a
    lost or restarted worker reloads instead of recomputing. :func:`stack` joins them.

    Parameters
    ----------
    featurizer : Featurizer
        Fitted; its spec and cache folder travel to the workers.
    smiles : sequence of str
        Valid SMILES.
    executor : executor
        A local or Dask executor (:mod:`bioassay_mix.executor`,
        :mod:`bioassay_mix.protocol.dask_fit`).
    partition_size : int, default=20_000
        Compounds per task.
    verbose : bool, default=True
        Show a progress bar.

    Returns
    -------
    list
        One CSR block per partition, or a future of it on a Dask executor.
    """
    parts = [list(smiles[i : i + partition_size]) for i in range(0, len(smiles), partition_size)]
    if not parts:
        return [featurizer.transform_valid([])]
    return executor.map_keep(
        _partition_task,
        parts,
        shared={"spec": featurizer.spec(), "cache_dir": featurizer.cache_dir},
        desc="fingerprints",
        verbose=verbose,
    )


def stack(blocks: list[sp.csr_matrix]) -> sp.csr_matrix:
    """The partitions' rows as one CSR matrix.

    Parameters
    ----------
    blocks : list of scipy.sparse.csr_matrix
        Partitions in order, as :func:`fingerprint_partitions` gives them (gathered).

    Returns
    -------
    scipy.sparse.csr_matrix
    """
    return sp.vstack(blocks, format="csr")


def _partition_task(part: list[str], *, spec: dict, cache_dir) -> sp.csr_matrix:
    folder = None
    if cache_dir is not None:
        folder = Path(cache_dir) / f"part-{sha256_bytes(chr(10).join(part).encode())[:16]}"
    return featurizer_from_spec(spec, cache_dir=folder).transform_valid(part)
