"""Features computed per partition of compounds, one executor task each (Dask: on the workers,
left there; see :mod:`bioassay_mix.executor`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import scipy.sparse as sp

from .._utils import sha256_bytes
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
    """Features of valid ``smiles``, one ``executor`` task per partition of
    ``partition_size`` compounds, left where they were computed (a list of futures on a Dask
    executor); with ``featurizer.cache_dir`` each partition is cached on its own (keyed by its
    SMILES), so a lost or restarted worker reloads instead of recomputing. ``stack`` joins them."""
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
    """The partitions' rows as one CSR matrix."""
    return sp.vstack(blocks, format="csr")


def _partition_task(part: list[str], *, spec: dict, cache_dir) -> sp.csr_matrix:
    folder = None
    if cache_dir is not None:
        folder = Path(cache_dir) / f"part-{sha256_bytes(chr(10).join(part).encode())[:16]}"
    return featurizer_from_spec(spec, cache_dir=folder).transform_valid(part)
