"""Panels joined on canonical SMILES."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..errors import DataError
from ._core import AssayPanel
from ._layout import check_conflict_rule
from ._read import from_long_table


def compose(
    panels: Sequence[AssayPanel], *, name: str = "composed", on_conflict: str = "missing"
) -> AssayPanel:
    """Join panels on canonical SMILES.

    Parameters
    ----------
    panels : sequence of AssayPanel
        At least one.
    name : str, default="composed"
        The joined panel's name.
    on_conflict : {"missing", "any_active", "raise"}, default="missing"
        An assay present in several panels is merged; its disagreeing labels are reported
        and resolved as in :meth:`AssayPanel.from_frame`.

    Returns
    -------
    AssayPanel
    """
    if not panels:
        raise DataError("compose() needs at least one panel")
    check_conflict_rule(on_conflict)
    issues: list[dict] = []
    for p in panels:
        issues += [
            {**rec, "detail": f"{rec['detail']} [{p.name}]"} for rec in p.issues.to_dict("records")
        ]
    long = pd.concat([p.to_long() for p in panels], ignore_index=True)
    long["row"] = -1  # composed records no longer map to one input row
    assays = list(dict.fromkeys(a for p in panels for a in p.assays))
    sources = {k: v for p in panels for k, v in p.sources.items()}
    joined = from_long_table(AssayPanel, long, assays, name, on_conflict, issues, sources)
    joined.descriptions = {a: d for p in panels for a, d in p.descriptions.items()}
    joined.title = "; ".join(dict.fromkeys(p.title for p in panels if p.title))
    return joined
