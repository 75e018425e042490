"""Shared helpers of the benchmark scripts: print a table and write it as Markdown, CSV and
JSON under benchmarks/results/; peak memory of a process and its workers; the Tox21 bundle."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import psutil

from bioassay_mix import Compute, RunConfig, load_panel, run
from bioassay_mix.report import write_tables as _write_tables

RESULTS = Path(__file__).resolve().parent / "results"
CACHE = RESULTS / "cache" / "scoring"
#: The shared bioassay panels (every compound of which is a real molecule).
PANELS = ("toxcast", "tox21", "sider", "clintox", "hiv", "bbbp", "bace")


def write_tables(
    name: str,
    title: str,
    tables: dict[str, pd.DataFrame],
    notes: list[str],
    extra: dict | None = None,
) -> Path:
    """Write ``results/<name>.md`` (all tables), ``<name>_<table>.csv`` and ``<name>.json``."""
    return _write_tables(RESULTS, name, title, tables, notes, extra, echo=True)["md"]


def tox21_bundle() -> Path:
    """The MixMin-trained model of every Tox21 target (package defaults, seed 0), built once."""
    path = CACHE / "tox21" / "bundle"
    if not path.exists():
        config = RunConfig(seed=0, compute=Compute(n_jobs=-1, verbose=False))
        result = run(load_panel("tox21"), config=config, out_dir=CACHE / "tox21")
        result.save_bundle(path)
    return path


class PeakRSS(threading.Thread):
    """Samples the RSS of this process and of its featurizing workers every 0.1 s.

    (``getrusage``'s ru_maxrss is not used: Linux carries it over from the parent across
    fork/exec, so a child started by a large parent reports the parent's peak.)
    """

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.main = self.total = 0
        self.done = threading.Event()
        self.start()

    def run(self) -> None:
        me = psutil.Process()
        while not self.done.wait(0.1):
            try:
                main = me.memory_info().rss
                kids = sum(c.memory_info().rss for c in me.children(recursive=True))
            except psutil.Error:
                continue
            self.main, self.total = max(self.main, main), max(self.total, main + kids)

    def stop(self) -> dict:
        self.done.set()
        self.join()
        return {"peak_rss_main_mb": self.main / 2**20, "peak_rss_total_mb": self.total / 2**20}
