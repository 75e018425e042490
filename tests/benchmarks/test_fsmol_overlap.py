"""FS-Mol's overlap groups: a task's share of compounds that some library source trained on."""

from __future__ import annotations

import pandas as pd
import pytest

from bioassay_mix import AssayPanel


def test_a_tasks_overlap_counts_the_sources_training_compounds(
    benchmark_module, tox21, tox21_library
):
    fsmol_overlap = benchmark_module("fsmol_overlap")
    trained = list(tox21.compounds[tox21.positions("NR-AR")[0]][:4])
    novel = ["CCCCCCCCCCCCCCCCCCCCO", "FC(F)(F)c1ccc(C#CC#Cc2ccncc2)cc1"]
    assert not pd.Index(novel).isin(tox21_library.compounds).any()
    panel = AssayPanel.from_long(
        pd.DataFrame(
            {
                "assay": ["seen"] * 4 + ["half"] * 4,
                "smiles": trained + trained[:2] + novel,
                "label": [0, 1, 0, 1] * 2,
            }
        ),
        name="tasks",
    )
    overlap = fsmol_overlap.task_overlap(panel, tox21_library)
    assert overlap.to_dict() == pytest.approx({"seen": 1.0, "half": 0.5})
