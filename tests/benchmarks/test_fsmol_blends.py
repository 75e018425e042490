"""The FS-Mol blends: every combination that holds the default, ranks scaled per method, so a
blend ranks the query as the average of its members' rankings."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def fsmol_blends(benchmark_module):
    return benchmark_module("fsmol_blends")


def test_every_blend_holds_the_default_and_averages_ranks(fsmol_blends):
    proba = {
        "default": np.array([0.9, 0.1, 0.5]),
        "ensemble_default": np.array([0.2, 0.3, 0.1]),
        "profile": np.array([0.6, 0.5, 0.4]),
        "target_only_rf": np.array([0.1, 0.2, 0.3]),
    }
    out = fsmol_blends.blends(proba)
    made = [m for m in out if m not in proba]
    assert len(made) == 7 + 3  # rank: 3 pairs, 3 triples, all four; proba: 3 pairs
    assert all(m.split("_", 1)[1].startswith("def") for m in made)
    np.testing.assert_allclose(out["rank_def+ens"], [3 / 3 + 2 / 3, 1 / 3 + 3 / 3, 2 / 3 + 1 / 3])
    np.testing.assert_allclose(out["proba_def+rf"], [1.0, 0.3, 0.8])
