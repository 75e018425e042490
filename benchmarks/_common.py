"""Shared output helper for the benchmark scripts: print a table, write it as Markdown, CSV and
JSON under benchmarks/results/."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bioassay_mix.report import write_tables as _write_tables

RESULTS = Path(__file__).resolve().parent / "results"


def write_tables(name: str, title: str, tables: dict[str, pd.DataFrame], notes: list[str],
                 extra: dict | None = None) -> Path:
    """Write ``results/<name>.md`` (all tables), ``<name>_<table>.csv`` and ``<name>.json``."""
    return _write_tables(RESULTS, name, title, tables, notes, extra, echo=True)["md"]
