"""Shared output helper for the benchmark scripts: print a table, write it as Markdown, CSV and
JSON under benchmarks/results/."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import pandas as pd

from bioassay_mix._utils import write_json_atomic, write_text_atomic
from bioassay_mix.report import markdown_table

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> str:
    import os

    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def write_tables(name: str, title: str, tables: dict[str, pd.DataFrame], notes: list[str],
                 extra: dict | None = None) -> Path:
    """Write ``results/<name>.md`` (all tables), ``<name>_<table>.csv`` and ``<name>.json``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    parts = [f"# {title}", "", *notes, ""]
    for key, frame in tables.items():
        parts += [f"## {key}", "", markdown_table(frame, ".4g"), ""]
        with open(RESULTS / f"{name}_{key}.csv", "w") as fh:
            frame.to_csv(fh, index=False)
        print(f"\n== {key} ==\n{frame.to_string(index=False)}")
    write_text_atomic(RESULTS / f"{name}.md", "\n".join(parts))
    payload = {"title": title, "notes": notes, "machine": machine(), **(extra or {}),
               "tables": {k: json.loads(v.to_json(orient="records")) for k, v in tables.items()}}
    write_json_atomic(RESULTS / f"{name}.json", payload)
    return RESULTS / f"{name}.md"
