"""What each featurizer computes from RDKit molecules, as plain functions of its science
parameters.

The featurizer classes (scikit-learn transformers) validate parameters and describe themselves;
a :class:`Kernel` computes. This module imports only RDKit, NumPy and SciPy, so a featurizing
worker process starts without scikit-learn or pandas: their imports were most of what a first
parallel call paid before any molecule was parsed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any

import numpy as np
import scipy.sparse as sp
from rdkit.Chem import Descriptors, MACCSkeys, rdFingerprintGenerator

#: Every 2-D descriptor RDKit provides, by name, in RDKit's order.
DESCRIPTOR_NAMES: tuple[str, ...] = tuple(name for name, _ in Descriptors._descList)
_DESCRIPTORS = dict(Descriptors._descList)


@dataclass(frozen=True)
class Kernel:
    """A featurizer's computation: ``kind``, its science parameters, its output width and the
    largest molecule it takes (``owner`` names whose cap that is, for the reason).

    Calling it on a list of molecules gives their CSR (float32) or dense (float32) rows.
    Picklable and small: it is what worker processes receive.
    """

    kind: str
    params: tuple[tuple[str, Any], ...]
    width: int
    max_atoms: int
    owner: str

    @property
    def stereo(self) -> bool:
        """Whether the output can depend on stereochemistry: only then are molecules given
        RDKit's stereo perception (a hashed fingerprint without chirality ignores it)."""
        return self.kind not in _HASHED or bool(dict(self.params)["include_chirality"])

    def __call__(self, mols: list) -> sp.csr_matrix | np.ndarray:
        return _KINDS[self.kind](dict(self.params), mols)


def frozen(params: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """``params`` as sorted, hashable pairs (lists become tuples)."""
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))


@lru_cache(maxsize=16)
def _generator(kind: str, params: tuple[tuple[str, Any], ...]):
    p = dict(params)
    chirality, size = bool(p["include_chirality"]), int(p["n_bits"])
    if kind == "morgan":
        invariants = (
            rdFingerprintGenerator.GetMorganFeatureAtomInvGen() if p["use_features"] else None
        )
        return rdFingerprintGenerator.GetMorganGenerator(
            radius=int(p["radius"]),
            fpSize=size,
            includeChirality=chirality,
            atomInvariantsGenerator=invariants,
        )
    if kind == "atompair":
        return rdFingerprintGenerator.GetAtomPairGenerator(
            minDistance=int(p["min_distance"]),
            maxDistance=int(p["max_distance"]),
            includeChirality=chirality,
            fpSize=size,
        )
    return rdFingerprintGenerator.GetTopologicalTorsionGenerator(
        includeChirality=chirality, torsionAtomCount=int(p["torsion_atom_count"]), fpSize=size
    )


def _generated(kind: str) -> Callable[[dict, list], sp.csr_matrix]:
    def compute(params: dict, mols: list) -> sp.csr_matrix:
        gen = _generator(kind, frozen(params))
        if params["counts"]:
            items = [fp.GetNonzeroElements() for fp in gen.GetCountFingerprints(mols)]
            return csr_rows(
                [list(d) for d in items], int(params["n_bits"]), [list(d.values()) for d in items]
            )
        return csr_rows(
            [list(fp.GetOnBits()) for fp in gen.GetFingerprints(mols)], int(params["n_bits"])
        )

    return compute


def _maccs(params: dict, mols: list) -> sp.csr_matrix:
    return csr_rows([list(MACCSkeys.GenMACCSKeys(m).GetOnBits()) for m in mols], 167)


def _descriptors(params: dict, mols: list) -> np.ndarray:
    names = DESCRIPTOR_NAMES if params["names"] is None else params["names"]
    functions = [_DESCRIPTORS[n] for n in names]
    out = np.empty((len(mols), len(functions)), dtype=np.float64)
    for i, mol in enumerate(mols):
        for j, fn in enumerate(functions):
            try:
                out[i, j] = fn(mol)
            except Exception:  # RDKit's own CalcMolDescriptors treats any failure as missing
                out[i, j] = np.nan
    with np.errstate(over="ignore"):
        out = out.astype(np.float32)
    out[~np.isfinite(out)] = np.nan
    return out


_HASHED = ("morgan", "atompair", "torsion")
_KINDS: dict[str, Callable[[dict, list], Any]] = {
    "morgan": _generated("morgan"),
    "atompair": _generated("atompair"),
    "torsion": _generated("torsion"),
    "maccs": _maccs,
    "descriptors": _descriptors,
}


def csr_rows(
    cols: list[list[int]], width: int, vals: list[list[int]] | None = None
) -> sp.csr_matrix:
    """CSR rows from per-molecule lists of columns (and counts; ones if ``None``). Plain lists
    and one ``fromiter`` each, not a NumPy array per molecule."""
    lengths = np.fromiter(map(len, cols), dtype=np.int64, count=len(cols))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.fromiter(chain.from_iterable(cols), dtype=np.int32, count=int(indptr[-1]))
    data = (
        np.ones(len(indices), np.float32)
        if vals is None
        else np.fromiter(chain.from_iterable(vals), dtype=np.float32, count=len(indices))
    )
    out = sp.csr_matrix((data, indices, indptr), shape=(len(cols), width))
    out.sort_indices()
    return out
