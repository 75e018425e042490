"""The assay panel: compounds x assays, binary labels with gaps (stored sparse), and a report of
what was fixed."""

from ._compose import compose
from ._core import AssayPanel
from ._layout import CONFLICT_RULES, DENSE_LIMIT, ISSUE_COLUMNS

__all__ = ["CONFLICT_RULES", "DENSE_LIMIT", "ISSUE_COLUMNS", "AssayPanel", "compose"]
