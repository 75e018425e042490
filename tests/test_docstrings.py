"""Every example in the public API's docstrings runs, and gives what it says."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["bioassay_mix.chem", "bioassay_mix.compound_files", "bioassay_mix.featurize",
           "bioassay_mix.featurize.spec", "bioassay_mix.featurize.engine",
           "bioassay_mix.featurize.fingerprints", "bioassay_mix.featurize.descriptors",
           "bioassay_mix.library", "bioassay_mix.estimator", "bioassay_mix.mixture",
           "bioassay_mix.proxies", "bioassay_mix.lm.ngram", "bioassay_mix.experiment.config"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
