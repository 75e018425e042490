"""The panel's fixed names and limits."""

ISSUE_COLUMNS = ["kind", "row", "column", "smiles", "detail"]
CONFLICT_RULES = ("missing", "raise", "any_active")
#: Cells (compounds x assays) above which :attr:`AssayPanel.labels` refuses a dense frame.
DENSE_LIMIT = 100_000_000
