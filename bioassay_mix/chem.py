"""RDKit parsing: canonical SMILES with a reason for every failure, and Bemis-Murcko scaffolds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rdkit import Chem, RDLogger
from rdkit.Chem.Scaffolds import MurckoScaffold

# RDKit prints parse errors to stderr; we collect them per row instead.
RDLogger.DisableLog("rdApp.*")


@dataclass(frozen=True)
class Parsed:
    """One parsed input: ``mol`` and ``smiles`` (canonical) or ``reason`` why it failed."""

    mol: Chem.Mol | None
    smiles: str | None
    reason: str | None


def parse_smiles(smiles: object, *, canonical: bool = True) -> Parsed:
    """Parse one SMILES; never raises. With ``canonical=False`` the input text is kept as
    ``smiles`` (canonicalisation costs as much as parsing and scoring does not need it)."""
    if smiles is None or (isinstance(smiles, float) and smiles != smiles):
        return Parsed(None, None, "missing SMILES")
    if not isinstance(smiles, str):
        return Parsed(None, None, f"SMILES must be text, got {type(smiles).__name__}")
    text = smiles.strip()
    if not text:
        return Parsed(None, None, "empty SMILES")
    mol = Chem.MolFromSmiles(text, sanitize=False)
    if mol is None:
        return Parsed(None, None, "SMILES syntax error")
    try:
        Chem.SanitizeMol(mol)
    except Exception as exc:  # RDKit raises several sanitisation exception types
        return Parsed(None, None, f"sanitisation failed: {exc}")
    if mol.GetNumAtoms() == 0:
        return Parsed(None, None, "molecule has no atoms")
    return Parsed(mol, Chem.MolToSmiles(mol) if canonical else text, None)


def parse_many(smiles: Iterable[object], *, canonical: bool = True) -> list[Parsed]:
    return [parse_smiles(s, canonical=canonical) for s in smiles]


def scaffold(mol: Chem.Mol) -> str:
    """Bemis-Murcko scaffold SMILES; acyclic molecules share the empty scaffold ``''``."""
    return MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=False)
