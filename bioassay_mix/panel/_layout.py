"""The panel's fixed names and limits, and the check of a conflict rule."""

ISSUE_COLUMNS = ["kind", "row", "column", "smiles", "detail"]
CONFLICT_RULES = ("missing", "raise", "any_active")
#: Cells (compounds x assays) above which :attr:`AssayPanel.labels` refuses a dense frame.
DENSE_LIMIT = 100_000_000


def check_conflict_rule(on_conflict: str) -> None:
    """Refuse an ``on_conflict`` that is none of :data:`CONFLICT_RULES`."""
    if on_conflict not in CONFLICT_RULES:
        raise ValueError(f"on_conflict must be one of {CONFLICT_RULES}, got {on_conflict!r}")
