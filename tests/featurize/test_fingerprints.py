"""Every built-in fingerprint equals RDKit's own generator, bit for bit, on real compounds
parsed by RDKit's own ``Chem.MolFromSmiles``."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import MACCSkeys, rdFingerprintGenerator

from bioassay_mix.featurize import (
    AtomPairFingerprint,
    MACCSKeys,
    MorganFingerprint,
    TopologicalTorsionFingerprint,
)


def rdkit_reference(featurizer, smiles: list[str]) -> np.ndarray:
    """RDKit's generator called per molecule on ``Chem.MolFromSmiles``; zeros where it fails."""
    if isinstance(featurizer, MACCSKeys):

        def one(m):
            return np.asarray(list(MACCSkeys.GenMACCSKeys(m)), dtype=np.float32)

        width = 167
    else:
        gen = _reference_generator(featurizer)
        fn = gen.GetCountFingerprintAsNumPy if featurizer.counts else gen.GetFingerprintAsNumPy

        def one(m):
            return fn(m).astype(np.float32)

        width = featurizer.n_bits
    out = np.zeros((len(smiles), width), dtype=np.float32)
    for i, s in enumerate(smiles):
        mol = Chem.MolFromSmiles(s)
        if mol is not None:
            out[i] = one(mol)
    return out


def _reference_generator(f):
    if isinstance(f, MorganFingerprint):
        inv = rdFingerprintGenerator.GetMorganFeatureAtomInvGen() if f.use_features else None
        return rdFingerprintGenerator.GetMorganGenerator(
            radius=f.radius,
            fpSize=f.n_bits,
            includeChirality=f.include_chirality,
            atomInvariantsGenerator=inv,
        )
    if isinstance(f, AtomPairFingerprint):
        return rdFingerprintGenerator.GetAtomPairGenerator(
            minDistance=f.min_distance,
            maxDistance=f.max_distance,
            includeChirality=f.include_chirality,
            fpSize=f.n_bits,
        )
    return rdFingerprintGenerator.GetTopologicalTorsionGenerator(
        includeChirality=f.include_chirality, torsionAtomCount=f.torsion_atom_count, fpSize=f.n_bits
    )


@pytest.mark.slow
def test_morgan_bits_equal_rdkit_on_every_panel_compound(panel_smiles):
    fp = MorganFingerprint(strict=False, n_jobs=2).fit()
    ours, invalid = fp.transform_with_invalid(panel_smiles)
    assert ours.shape == (len(panel_smiles), 2048)
    expected = rdkit_reference(fp, panel_smiles)
    diff = np.flatnonzero(np.abs(ours.toarray() - expected).sum(axis=1))
    assert diff.size == 0, f"{diff.size} compounds differ, e.g. {panel_smiles[diff[0]]!r}"
    # the rows RDKit cannot parse are the ones we report (all-zero rows, listed as invalid)
    failing = [i for i, s in enumerate(panel_smiles) if Chem.MolFromSmiles(s) is None]
    assert invalid["row"].tolist() == failing and len(failing) == 30


@pytest.mark.slow
@pytest.mark.parametrize(
    "featurizer",
    [
        MorganFingerprint(counts=True),
        MorganFingerprint(use_features=True),
        MorganFingerprint(radius=3, n_bits=1024, include_chirality=True),
        AtomPairFingerprint(),
        AtomPairFingerprint(counts=True, max_distance=10, n_bits=1024),
        TopologicalTorsionFingerprint(),
        TopologicalTorsionFingerprint(include_chirality=True),
        MACCSKeys(),
    ],
    ids=lambda f: f"{type(f).__name__}-{f.spec()['params']}",
)
def test_every_fingerprint_equals_rdkit_on_a_panel_sample(featurizer, smiles_sample):
    ours = featurizer.set_params(strict=False).fit().transform(smiles_sample).toarray()
    expected = rdkit_reference(featurizer, smiles_sample)
    diff = np.flatnonzero(np.abs(ours - expected).sum(axis=1))
    assert diff.size == 0, f"{diff.size} compounds differ, e.g. {smiles_sample[diff[0]]!r}"
    assert ours.sum() > 0


def test_stereo_and_explicit_hydrogens_follow_rdkit():
    fp = MorganFingerprint(include_chirality=True).fit()
    X = fp.transform(["F/C=C/F", "F/C=C\\F"]).toarray()
    assert not np.array_equal(X[0], X[1]), "E/Z isomers must differ with include_chirality"
    # explicit [H] atoms are removed as RDKit does: methanol has RDKit's 3 bits, not 6
    assert fp.transform(["[H]C([H])([H])O"]).nnz == fp.transform(["CO"]).nnz == 3


def test_counts_are_not_capped():
    # a long chain has one Morgan environment repeated far more than 255 times
    X = MorganFingerprint(counts=True, radius=0).fit().transform(["C" * 400])
    assert X.max() == 398


def test_featurizers_differ_from_each_other():
    smiles = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]
    shapes = {
        type(f).__name__ + str(f.spec()["params"].get("use_features", "")): f.fit()
        .transform(smiles)
        .toarray()
        .tobytes()
        for f in (
            MorganFingerprint(),
            MorganFingerprint(use_features=True),
            AtomPairFingerprint(),
            TopologicalTorsionFingerprint(),
        )
    }
    assert len(set(shapes.values())) == 4
