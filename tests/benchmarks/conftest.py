"""The benchmarks are scripts beside each other, not a package: a test imports one of them
(and, through it, its neighbours) with ``benchmarks/`` on the path for that test only."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def benchmark_module(monkeypatch):
    """``benchmark_module(name)``: the benchmark script ``benchmarks/<name>.py`` as a module."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module
