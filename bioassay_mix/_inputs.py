"""The one column of strings (SMILES, texts) that featurizers and language models take."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._lazy import is_pandas
from .errors import DataError


def one_column(X: Any, *, item: str, items: str) -> list:
    """``X``, a sequence, array, Series or one-column frame of ``items`` (SMILES, texts), as a
    list: what estimators that take one column of strings accept."""
    if is_pandas(X, "DataFrame"):
        if X.shape[1] != 1:
            raise DataError(f"expected one {item} column, got {X.shape[1]} columns")
        X = X.iloc[:, 0]
    if isinstance(X, str):
        raise DataError(f"expected a sequence of {items}, got a single string")
    if isinstance(X, np.ndarray) and X.ndim == 2:
        if X.shape[1] != 1:
            raise DataError(f"expected one {item} column, got an array of shape {X.shape}")
        X = X[:, 0]
    try:
        return list(X)
    except TypeError as exc:
        raise DataError(f"expected a sequence of {items}, got {type(X).__name__}") from exc
