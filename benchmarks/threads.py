"""Threads on a quiet and on a loaded machine: OpenMP's barrier spinning and the final models.

    python benchmarks/threads.py

Each setting runs ``bioassay-mix run --panel tox21 --targets NR-AR SR-MMP`` from scratch (a new
output folder, so no cache serves it) in its own process, at ``--n-jobs 1`` and ``-1``, on a
quiet machine and beside one busy-loop process per core (another user's job). The final
models (XGBoost, ``n_jobs`` threads) are the stage that collapsed under load (issue 19: 126.5 s
against 1.4 s); the table gives their seconds from the run's metadata and the run's wall time.
Settings: libgomp's own default (``GOMP_SPINCOUNT=300000``), this package's default
(``GOMP_SPINCOUNT=10000``, set in ``bioassay_mix/__init__.py``) and ``OMP_WAIT_POLICY=PASSIVE``.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from _common import write_tables

SETTINGS = {
    "libgomp default (spin 300,000)": {"GOMP_SPINCOUNT": "300000"},
    "package default (spin 10,000)": {},
    "OMP_WAIT_POLICY=PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},
}


def _spin(stop) -> None:
    while not stop.is_set():
        pass


def timed_run(n_jobs: int, loaded: bool, env: dict[str, str]) -> tuple[float, float]:
    stop = mp.Event()
    hogs = (
        [mp.Process(target=_spin, args=(stop,)) for _ in range(os.cpu_count() or 1)]
        if loaded
        else []
    )
    for h in hogs:
        h.start()
    try:
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bioassay_mix.cli",
                    "run",
                    "--panel",
                    "tox21",
                    "--targets",
                    "NR-AR",
                    "SR-MMP",
                    "--out",
                    str(Path(out) / "r"),
                    "--n-jobs",
                    str(n_jobs),
                    "--quiet",
                ],
                check=True,
                env={**os.environ, "BIOASSAY_MIX_PROGRESS": "0", **env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            wall = time.perf_counter() - start
            timings = json.loads((Path(out) / "r" / "metadata.json").read_text())["timings_s"]
            # the per-target stage: each target's MixMin solve (milliseconds on Tox21) and its
            # final models
            return wall, timings["targets"]
    finally:
        stop.set()
        for h in hogs:
            h.join()


def main() -> None:
    rows = []
    for name, env in SETTINGS.items():
        for loaded in (False, True):
            for n_jobs in (1, -1):
                wall, final = timed_run(n_jobs, loaded, env)
                rows.append(
                    {
                        "setting": name,
                        "load": "busy loop per core" if loaded else "quiet",
                        "n_jobs": n_jobs,
                        "final_models_s": round(final, 2),
                        "wall_s": round(wall, 1),
                    }
                )
                print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    one = table[table["n_jobs"] == 1].set_index(["setting", "load"])["final_models_s"]
    table["final_vs_1_thread"] = [
        round(r.final_models_s / one[(r.setting, r.load)], 2) for r in table.itertuples()
    ]
    notes = [
        f"{os.cpu_count()} cores; one run per setting (machines here vary by about 20%).",
        "final_vs_1_thread: the final models' seconds over the same setting's at "
        "--n-jobs 1 on the same load; above 1, threads slow the run down.",
    ]
    write_tables("threads", "Threads on a quiet and a loaded machine", {"runs": table}, notes)


if __name__ == "__main__":
    main()
