"""What a saved library's folder holds, its format, and the names no source may take."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..errors import DataError
from ..mixture import TARGET

#: 2: each XGBoost proxy's scikit-learn parameters are recorded beside its UBJ file, so a
#: loaded library's proxy template is the proxies' estimator, not XGBoost's default.
#: 3: rows.npz holds three concatenated arrays, not two per source; logistic-regression
#: proxies are saved as their weights (``persist``'s ``linear-npy``), not through skops.
LIBRARY_FORMAT = 3
MANIFEST = "library.json"
DATA_FILES = ("features.npz", "compounds.parquet", "rows.npz")

INFO_COLUMNS = ("dataset", "title", "description", "n_train", "n_positive")


def check_source_names(names: Iterable[str]) -> None:
    if TARGET in names:
        raise DataError(
            f"a source is named {TARGET!r}, the name MixMin gives the target's own "
            "column; rename that assay (or leave it out with assays=)"
        )


def estimator_spec(model: Any) -> dict[str, Any]:
    params = {k: plain(v) for k, v in model.get_params(deep=False).items()}
    return {"class": f"{type(model).__module__}.{type(model).__qualname__}", "params": params}


def plain(value: Any) -> Any:
    """A JSON-ready version of a parameter or count (NumPy scalars to Python, others to str)."""
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
