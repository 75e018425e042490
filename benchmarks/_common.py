"""Shared helpers of the benchmark scripts: print a table and write it as Markdown, CSV and
JSON under benchmarks/results/; peak memory of a process and its workers; paired comparisons
of methods over targets; the Tox21 bundle."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
from scipy import stats

from bioassay_mix import Compute, RunConfig, load_panel, run
from bioassay_mix.report import write_tables as _write_tables

RESULTS = Path(__file__).resolve().parent / "results"
CACHE = RESULTS / "cache" / "scoring"
#: Mean AP differences within which two methods tie on a target.
TIE = 0.005
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


def versus(wide: pd.DataFrame, ours: str) -> pd.DataFrame:
    """Per size, ``ours`` against every other method, target by target (``wide``: mean AP per
    size and target, a column per method): mean gain, win/tie/loss, paired Wilcoxon p and the
    share of targets on which ``ours`` is not worse."""
    rows = []
    for size, part in wide.groupby(level="size"):
        for other in part.columns.drop(ours):
            diff = (part[ours] - part[other]).dropna().to_numpy()
            if not len(diff):  # a variant not scored at this size
                continue
            p = stats.wilcoxon(diff).pvalue if len(diff) > 1 and np.any(diff) else float("nan")
            rows.append(
                {
                    "size": size,
                    "against": other,
                    "n_targets": len(diff),
                    "mean_gain": float(diff.mean()),
                    "win": int((diff > TIE).sum()),
                    "tie": int((np.abs(diff) <= TIE).sum()),
                    "loss": int((diff < -TIE).sum()),
                    "wilcoxon_p": p,
                    "share_not_worse": float((diff >= -TIE).mean()),
                }
            )
    return pd.DataFrame(rows)


def measured(command: list[str], *, env: dict | None = None) -> dict:
    """Run ``command``; its wall seconds, peak RSS (itself and its children, sampled every
    0.2 s) and stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    me, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            rss = me.memory_info().rss + sum(
                c.memory_info().rss for c in me.children(recursive=True)
            )
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.2)
    out, err = proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"{command} failed ({proc.returncode}): {err[-2000:]}")
    return {"wall_s": time.perf_counter() - start, "peak_gib": peak / 2**30, "stdout": out}
