"""The featurization engine: one parse per distinct string, worker processes that give the same
rows as one process, in order, and a stream consumed only a few blocks ahead."""

from __future__ import annotations

import numpy as np
import pytest

from bioassay_mix.chem import parse_smiles
from bioassay_mix.featurize import (
    AtomPairFingerprint,
    MACCSKeys,
    MorganFingerprint,
    RDKitDescriptors,
    TopologicalTorsionFingerprint,
    engine,
)
from bioassay_mix.featurize.engine import BLOCK_SIZE, featurize, featurize_stream


@pytest.fixture(scope="module")
def mixed(tox21):
    """Real SMILES, more than two blocks, with repeats, a non-canonical spelling and failures
    mixed in at known rows."""
    smiles = list(tox21.smiles[: 2 * BLOCK_SIZE + 500])
    smiles[10], smiles[2500], smiles[4000] = "C1CC", None, 7
    return smiles + smiles[:300] + ["OCC"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "featurizer",
    [
        MorganFingerprint(n_bits=1024, counts=True),
        RDKitDescriptors(names=["MolWt", "TPSA", "BCUT2D_MWHI"]),
    ],
    ids=["morgan_counts", "descriptors"],
)
def test_worker_processes_give_the_rows_of_one_process(featurizer, mixed):
    one = featurizer.set_params(strict=False, n_jobs=1).fit().transform(mixed)
    two, invalid = featurizer.set_params(n_jobs=2).fit().transform_with_invalid(mixed)
    assert invalid["row"].tolist() == [10, 2500, 4000, 2 * BLOCK_SIZE + 500 + 10]
    np.testing.assert_array_equal(_dense(one), _dense(two))
    assert _dense(one).shape == (len(mixed), featurizer.n_features_out_)


def test_a_block_parses_each_distinct_string_once(monkeypatch):
    calls = []
    real = engine.parse_smiles
    monkeypatch.setattr(engine, "parse_smiles", lambda s, **kw: calls.append(s) or real(s, **kw))
    block = engine.featurize_block(
        ["CCO"] * 5 + ["OCC", None, "CCO"], MorganFingerprint(n_bits=64).fit().kernel()
    )
    assert calls == ["CCO", "OCC", None], "one parse per distinct string, one per non-string"
    assert block.reasons == [None] * 6 + ["missing SMILES", None]
    np.testing.assert_array_equal(block.X[5].toarray(), block.X[0].toarray())


@pytest.mark.slow
def test_the_transformer_parses_each_distinct_string_once(monkeypatch, mixed):
    calls = []
    real = engine.parse_smiles
    monkeypatch.setattr(engine, "parse_smiles", lambda s, **kw: calls.append(s) or real(s, **kw))
    MorganFingerprint(strict=False).fit().transform(mixed)
    strings = [c for c in calls if isinstance(c, str)]
    assert len(strings) == len(set(strings)) == len({s for s in mixed if isinstance(s, str)})


@pytest.mark.slow
def test_stream_is_consumed_a_few_blocks_ahead():
    pulled = []

    def chunks():
        for i in range(50):
            pulled.append(i)
            yield ["CCO", "c1ccccc1"] * (BLOCK_SIZE // 2)

    stream = featurize_stream(chunks(), MorganFingerprint(n_bits=64).fit().kernel(), n_jobs=2)
    first = next(stream)
    assert first.X.shape == (BLOCK_SIZE, 64) and first.valid.all()
    assert len(pulled) <= 5, "two blocks per worker in flight, not the whole input"
    assert sum(1 for _ in stream) == 49


def test_small_inputs_stay_in_process_and_empty_input_works():
    kernel = MorganFingerprint(n_bits=64).fit().kernel()
    empty = featurize([], kernel, n_jobs=2)
    assert empty.X.shape == (0, 64) and empty.reasons == []
    block = featurize(["CCO", None, "C1CC"], kernel, n_jobs=2)
    assert block.reasons == [None, "missing SMILES", "SMILES syntax error"]
    assert block.X[1:].nnz == 0 and block.X[0].nnz > 0


@pytest.mark.parametrize(
    ("featurizer", "stereo"),
    [
        (MorganFingerprint(), False),
        (MorganFingerprint(counts=True, use_features=True), False),
        (MorganFingerprint(include_chirality=True), True),
        (AtomPairFingerprint(), False),
        (TopologicalTorsionFingerprint(include_chirality=True), True),
        (MACCSKeys(), True),
        (RDKitDescriptors(names=["NumAtomStereoCenters"]), True),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, bool) else str(v),
)
def test_only_a_kernel_blind_to_stereochemistry_skips_its_perception(
    featurizer, stereo, monkeypatch
):
    assert featurizer.fit().kernel().stereo is stereo
    asked = []
    real = engine.parse_smiles
    monkeypatch.setattr(engine, "parse_smiles", lambda s, **kw: asked.append(kw) or real(s, **kw))
    engine.featurize_block(["CCO"], featurizer.kernel())
    assert asked[0]["stereo"] is stereo


def test_the_parse_without_stereo_perception_gives_rdkits_bits():
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator

    from tests.featurize.conftest import EDGE_CASES

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    for s in [*EDGE_CASES, "C1CC", "c1cccc1", "[Na+].[Cl-]", "[H][C@@](C)(N)C(=O)O", "C/C=C/[H]"]:
        fast = parse_smiles(s, canonical=False, stereo=False)
        full = Chem.MolFromSmiles(s)
        assert (fast.mol is None) == (full is None), s
        if full is not None:
            assert fast.mol.GetNumAtoms() == full.GetNumAtoms(), s
            np.testing.assert_array_equal(
                gen.GetFingerprintAsNumPy(fast.mol), gen.GetFingerprintAsNumPy(full), err_msg=s
            )
        else:
            assert fast.reason == parse_smiles(s, canonical=False).reason


def _dense(X):
    return X.toarray() if hasattr(X, "toarray") else X


@pytest.mark.slow
def test_a_worker_imports_neither_scikit_learn_nor_pandas():
    """What a worker unpickles (the block function, a kernel) and runs stays light: those
    imports were most of a first parallel call's fixed cost."""
    import pickle
    import subprocess
    import sys

    task = pickle.dumps((engine.featurize_block, MorganFingerprint(n_bits=64).fit().kernel()))
    code = (
        "import pickle, sys\n"
        "func, kernel = pickle.loads(sys.stdin.buffer.read())\n"
        "assert func(['CCO', 'C1CC'], kernel).reasons == [None, 'SMILES syntax error']\n"
        "print(sorted(m for m in ('sklearn', 'pandas', 'pyarrow', 'xgboost', "
        "'rdkit.Chem.AllChem') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], input=task, capture_output=True, check=True)
    assert out.stdout.decode().strip() == "[]"
