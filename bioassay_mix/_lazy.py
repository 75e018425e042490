"""Public names a package imports on first use (PEP 562), so that importing it stays cheap: a
featurizing worker process imports the package for one module and should not pay for the rest.
Also: recognising a pandas object without importing pandas."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def lazy_exports(
    package: str, exports: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package`` whose names ``exports`` maps to the
    submodule defining each.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : dict of str to str
        Public name to the (relative) name of the submodule that defines it.

    Returns
    -------
    getattr : callable
        The module-level ``__getattr__``: imports the submodule on first use and keeps the name.
    dir : callable
        The module-level ``__dir__``.
    """

    def __getattr__(name: str) -> Any:
        if name in exports:
            value = getattr(importlib.import_module(f".{exports[name]}", package), name)
            setattr(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __getattr__, __dir__


def is_pandas(obj: Any, name: str) -> bool:
    """Whether ``obj`` is pandas' ``name`` (a class, or the ``NA`` singleton), without importing
    pandas: an object of a module nobody imported cannot be one of its instances. Keeps the
    modules that ask light for the featurizing worker processes that import them."""
    pandas = sys.modules.get("pandas")
    if pandas is None:
        return False
    kind = getattr(pandas, name)
    return obj is kind if name == "NA" else isinstance(obj, kind)
