"""Every example in the public API's docstrings runs, and gives what it says."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "bioassay_mix.chem",
    "bioassay_mix.compound_files",
    "bioassay_mix.featurize.names",
    "bioassay_mix.featurize.base",
    "bioassay_mix.featurize.engine",
    "bioassay_mix.featurize.fingerprints",
    "bioassay_mix.featurize.descriptors",
    "bioassay_mix.library._core",
    "bioassay_mix.estimator._classifier",
    "bioassay_mix.natural_prior",
    "bioassay_mix.mixture",
    "bioassay_mix.proxies",
    "bioassay_mix.lm.ngram",
    "bioassay_mix.protocol.config",
    "bioassay_mix.panel._core",
    "bioassay_mix.datasets._manifest",
    "bioassay_mix.datasets._read",
    "bioassay_mix.datasets._load",
    "bioassay_mix.solver",
    "bioassay_mix.solver.prior",
]


@pytest.mark.slow
@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0


def _modules_with_all() -> list[str]:
    """Every module of the package that declares ``__all__`` (the command-line entry point
    aside: importing it runs nothing, but it has no names to hold)."""
    import pkgutil

    import bioassay_mix as bm

    found = []
    for info in pkgutil.walk_packages(bm.__path__, "bioassay_mix."):
        if info.name.endswith("__main__"):
            continue
        if hasattr(importlib.import_module(info.name), "__all__"):
            found.append(info.name)
    return found


def _public_api() -> list[str]:
    """Every name in the ``__all__`` of the package and of each of its modules, and the public
    methods and properties their classes define or inherit from this package."""
    import inspect

    import bioassay_mix as bm

    objects = [getattr(bm, n) for n in bm.__all__ if n != "__version__"]
    for module in _modules_with_all():
        mod = importlib.import_module(module)
        objects += [getattr(mod, n) for n in mod.__all__]
    names = set()
    for obj in objects:
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        names.add(f"{obj.__module__}.{obj.__qualname__}")
        if inspect.isclass(obj):
            names |= {
                f"{obj.__module__}.{obj.__qualname__}.{attr}"
                for klass in obj.__mro__
                if klass.__module__.startswith("bioassay_mix")
                for attr, member in vars(klass).items()
                if not attr.startswith("_")
                and (
                    inspect.isfunction(member)
                    or isinstance(member, classmethod | staticmethod | property)
                )
            }
    return sorted(names)


#: numpydoc's checks that every public name must pass: it has a docstring, every parameter is
#: documented and no unknown one is, and what it returns is described.
NUMPYDOC_CHECKS = {"GL08", "PR01", "PR02", "RT01"}


@pytest.mark.parametrize("name", _public_api())
def test_public_names_have_numpydoc_docstrings(name):
    from numpydoc.validate import validate

    errors = [
        f"{code}: {message}"
        for code, message in validate(name)["errors"]
        if code in NUMPYDOC_CHECKS
    ]
    assert not errors, errors


@pytest.mark.parametrize("name", _modules_with_all())
def test_module_all_lists_what_it_defines(name):
    module = importlib.import_module(name)
    assert len(module.__all__) == len(set(module.__all__))
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing
