"""RDKit parsing: canonical SMILES with a reason for every failure, and Bemis-Murcko scaffolds.

A molecule is parsed exactly as RDKit's own ``Chem.MolFromSmiles`` does by default (sanitised,
explicit hydrogens removed, stereochemistry assigned), so every featurizer sees the molecule a
chemist gets from RDKit: ``F/C=C/F`` and ``F/C=C\\F`` stay distinct and ``[H]C([H])([H])O`` is
methanol with two heavy atoms. Only an input that fails is parsed a second time, without
sanitisation, to say why it failed. A featurizer whose output ignores stereochemistry (a hashed
fingerprint without chirality) asks for the same parse without its last step, stereo
perception, which changes nothing it computes (``benchmarks/chembl_scale.py`` measures the
gain).

Work per molecule is bounded: RDKit's canonicaliser recurses over the molecular graph, and a
chain of 20,000 atoms (``'C' * 20000``) crashed the process with a segmentation fault. The
largest compound in the shared panels has 492 heavy atoms (SIDER), so molecules above
:data:`MAX_ATOMS` are reported as invalid like any other unusable SMILES.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rdkit import Chem, RDLogger

# RDKit prints parse errors to stderr; we collect them per row instead.
RDLogger.DisableLog("rdApp.*")

#: Heavy atoms above which a molecule is refused (reported as invalid, with the count).
MAX_ATOMS = 2_000
_WHITESPACE = re.compile(r"\s")


@dataclass(frozen=True)
class Parsed:
    """One parsed input: ``mol`` and ``smiles`` (canonical) or ``reason`` why it failed."""

    mol: Chem.Mol | None
    smiles: str | None
    reason: str | None


def parse_smiles(
    smiles: object,
    *,
    canonical: bool = True,
    max_atoms: int = MAX_ATOMS,
    limit_of: str | None = None,
    stereo: bool = True,
) -> Parsed:
    """Parse one SMILES as ``Chem.MolFromSmiles`` does; never raises.

    Parameters
    ----------
    smiles : object
        The input; anything but a non-empty string is reported, not raised.
    canonical : bool, default=True
        Return RDKit's canonical SMILES as ``smiles``. With ``False`` the input text is kept
        (canonicalisation costs about as much as parsing, and scoring does not need it).
    max_atoms : int, default=MAX_ATOMS
        Molecules with more heavy atoms are refused with the reason.
    limit_of : str or None, default=None
        Whose limit ``max_atoms`` is (a featurizer's name), for the reason.
    stereo : bool, default=True
        Perceive stereochemistry as ``Chem.MolFromSmiles`` does. With ``False`` that last
        step is skipped: atoms, bonds, charges, hydrogens and aromaticity are RDKit's own, so
        features that ignore stereochemistry are unchanged.

    Examples
    --------
    >>> parse_smiles("OCC").smiles
    'CCO'
    >>> parse_smiles("C1CC").reason
    'SMILES syntax error'
    """
    if smiles is None or (isinstance(smiles, float) and smiles != smiles):
        return Parsed(None, None, "missing SMILES")
    if not isinstance(smiles, str):
        return Parsed(None, None, f"SMILES must be text, got {type(smiles).__name__}")
    text = smiles.strip()
    if not text:
        return Parsed(None, None, "empty SMILES")
    # RDKit stops reading at whitespace (what follows is a name) and skips some characters
    # outside ASCII: 'CCO CCN' would silently be ethanol and 'CCÖ' ethane
    odd = None
    if not text.isascii() or _WHITESPACE.search(text):
        odd = next(c for c in text if c.isspace() or not c.isascii())
    if odd is not None:
        what = "whitespace" if odd.isspace() else f"the non-ASCII character {odd!r}"
        return Parsed(None, None, f"SMILES contains {what}; RDKit would read only part of it")
    mol = Chem.MolFromSmiles(text) if stereo else _without_stereo(text)
    if mol is None:
        return Parsed(None, None, _failure_reason(text))
    n_atoms = mol.GetNumAtoms()
    if n_atoms == 0:
        return Parsed(None, None, "molecule has no atoms")
    if n_atoms > max_atoms:
        whose = f"{limit_of}'s" if limit_of else "the"
        return Parsed(None, None, f"{n_atoms} heavy atoms, above {whose} limit of {max_atoms}")
    return Parsed(mol, Chem.MolToSmiles(mol) if canonical else text, None)


def _without_stereo(text: str) -> Chem.Mol | None:
    # Chem.MolFromSmiles's own steps up to its stereo perception: sanitise while removing
    # explicit hydrogens, updating the atoms' explicit hydrogen counts
    mol = Chem.MolFromSmiles(text, sanitize=False)
    if mol is None:
        return None
    try:
        return Chem.RemoveHs(mol, implicitOnly=False, updateExplicitCount=True, sanitize=True)
    except Exception:  # RDKit raises several sanitisation exception types
        return None


def _failure_reason(text: str) -> str:
    mol = Chem.MolFromSmiles(text, sanitize=False)
    if mol is None:
        return "SMILES syntax error"
    try:
        Chem.SanitizeMol(mol)
    except Exception as exc:  # RDKit raises several sanitisation exception types
        return f"sanitisation failed: {exc}"
    return "RDKit could not finish the molecule (hydrogen removal or stereo assignment)"


def parse_many(smiles: Iterable[object], *, canonical: bool = True) -> list[Parsed]:
    """:func:`parse_smiles` of every input, in order."""
    return [parse_smiles(s, canonical=canonical) for s in smiles]


def canonical_many(smiles: Iterable[object]) -> list[tuple[str | None, str | None]]:
    """Each input's canonical SMILES and failure reason (one of the two is ``None``); unlike
    :func:`parse_many` it returns no molecules, so it can run in a worker process.

    Examples
    --------
    >>> canonical_many(["OCC", "C1CC"])
    [('CCO', None), (None, 'SMILES syntax error')]
    """
    return [(p.smiles, p.reason) for p in map(parse_smiles, smiles)]


def scaffold(mol: Chem.Mol) -> str:
    """Bemis-Murcko scaffold SMILES; acyclic molecules share the empty scaffold ``''``."""
    # imported here: it loads RDKit's AllChem, which a featurizing worker never needs
    from rdkit.Chem.Scaffolds import MurckoScaffold

    return MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=False)
