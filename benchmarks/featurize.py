"""SMILES to Morgan bits, and scoring distinct compounds: this project's engine against
scikit-fingerprints and RDKit called directly, in one run.

    python benchmarks/featurize.py [--repeats 3] [--score-rows 1000000] [--skfp-python PATH]

scikit-fingerprints lives in its own environment, made once (2.1.0 pinned RDKit 2026.03.5):
``python3 -m venv /tmp/skfp-venv && /tmp/skfp-venv/bin/pip install scikit-fingerprints``.

Featurizing: every distinct SMILES of the shared panels, to a 2048-bit radius-2 CSR matrix, by
(a) ``MorganFingerprint`` with ``n_jobs`` 1 and 2 (no cache, so nothing is served from disk);
(b) scikit-fingerprints' ``ECFPFingerprint(sparse=True)`` with ``n_jobs`` 1 and 2, in its own
virtual environment (it pins RDKit below this project's, so that environment's RDKit is also
timed, to tell the library from the RDKit build); (c) RDKit's generator called directly, per
molecule and in bulk, on one core, and per molecule in two independent processes on half the
strings each (what two cores give RDKit alone: the ceiling of any parallel featurizer). Methods
are interleaved, best of ``--repeats``; worker pools are started before timing (a first call's
start, measured in a fresh process, is its own row).

Scoring: ``score_file`` with the Tox21 bundle on HIV's distinct SMILES, and on
``--score-rows`` distinct randomised SMILES of real molecules (RDKit's
``MolToRandomSmilesVect`` of every panel molecule, seeded, keeping each string once, so no
string repeats and nothing can be deduplicated), against one core of RDKit parsing and
fingerprinting the same strings (the first 100,000). Each score runs in its own process, so its
peak RSS (main plus workers) is its own; 100,000 rows against ``--score-rows`` shows whether
memory is flat in input size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from _common import PANELS, RESULTS, PeakRSS, tox21_bundle, write_tables
from rdkit import Chem, rdBase
from rdkit.Chem import rdFingerprintGenerator

from bioassay_mix import load_panel, score_file
from bioassay_mix.featurize import MorganFingerprint

CACHE = RESULTS / "cache" / "featurize"
SKFP_PYTHON = "/tmp/skfp-venv/bin/python"
SKFP_ENV = "scikit-fingerprints' environment"

# Run by --skfp-python in its own environment: warm up, then time one transform.
SKFP_SCRIPT = """
import json, sys, time
import rdkit
import numpy as np
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator
from rdkit import RDLogger
RDLogger.DisableLog("rdApp.*")
smiles = open(sys.argv[1]).read().split("\\n")
method, n_jobs = sys.argv[2], int(sys.argv[3])
if method == "skfp":
    from skfp.fingerprints import ECFPFingerprint
    fp = ECFPFingerprint(fp_size=2048, radius=2, sparse=True, n_jobs=n_jobs)
    fp.transform(smiles[:3000])
    start = time.perf_counter()
    X = fp.transform(smiles)
else:
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    start = time.perf_counter()
    X = [np.asarray(gen.GetFingerprint(Chem.MolFromSmiles(s)).GetOnBits()) for s in smiles]
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rdkit": rdkit.__version__}))
"""


# Two processes of RDKit per molecule, each on half the SMILES, started together: what two
# cores of this machine give RDKit alone, the ceiling for any parallel featurizer here.
CEILING_SCRIPT = """
import sys, time
import numpy as np
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator
from rdkit import RDLogger
RDLogger.DisableLog("rdApp.*")  # as in this process, where bioassay_mix.chem disables it
smiles = open(sys.argv[1]).read().split("\\n")
part, start = int(sys.argv[2]), float(sys.argv[3])
smiles = smiles[part::2]
gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
while time.time() < start:
    time.sleep(0.01)
X = [np.asarray(gen.GetFingerprint(Chem.MolFromSmiles(s)).GetOnBits()) for s in smiles]
print(time.time())
"""


def rdkit_two_processes(path: Path) -> float:
    """Wall seconds from a common start until both halves are done."""
    start = time.time() + 3.0  # both interpreters have imported RDKit by then
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CEILING_SCRIPT, str(path), str(k), repr(start)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for k in (0, 1)
    ]
    ends = [float(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    return max(ends) - start


def panel_smiles() -> list[str]:
    return list(pd.Index([s for p in PANELS for s in load_panel(p).smiles]).unique())


def rdkit_per_molecule(smiles: list[str]) -> sp.csr_matrix:
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    cols = [
        np.asarray(gen.GetFingerprint(Chem.MolFromSmiles(s)).GetOnBits(), dtype=np.int32)
        for s in smiles
    ]
    return _csr(cols)


def rdkit_bulk(smiles: list[str]) -> sp.csr_matrix:
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    return _csr([np.asarray(fp.GetOnBits(), dtype=np.int32) for fp in gen.GetFingerprints(mols)])


def _csr(cols: list[np.ndarray]) -> sp.csr_matrix:
    indptr = np.concatenate([[0], np.cumsum([len(c) for c in cols])])
    return sp.csr_matrix(
        (np.ones(indptr[-1], np.float32), np.concatenate(cols), indptr), shape=(len(cols), 2048)
    )


def skfp(path: Path, method: str, n_jobs: int, python: str) -> dict:
    done = subprocess.run(
        [python, "-c", SKFP_SCRIPT, str(path), method, str(n_jobs)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def featurize_table(smiles: list[str], repeats: int, python: str | None) -> pd.DataFrame:
    text = CACHE / "panel_smiles.txt"
    text.write_text("\n".join(smiles))
    ours = {n: MorganFingerprint(n_jobs=n).fit() for n in (1, 2)}
    ours[2].transform(smiles[:5000])  # start the worker pool before timing
    expected = rdkit_per_molecule(smiles[:5000])
    assert abs(ours[2].transform(smiles[:5000]) - expected).sum() == 0, "bits differ from RDKit"
    methods = {
        "bioassay-mix MorganFingerprint, n_jobs=1": lambda: ours[1].transform(smiles),
        "bioassay-mix MorganFingerprint, n_jobs=2": lambda: ours[2].transform(smiles),
        "RDKit generator per molecule, 1 core": lambda: rdkit_per_molecule(smiles),
        "RDKit generator in bulk, 1 core": lambda: rdkit_bulk(smiles),
    }
    methods["RDKit per molecule, 2 independent processes (the ceiling)"] = lambda: (
        rdkit_two_processes(text)
    )
    external = {}
    if python:
        external = {
            "scikit-fingerprints ECFP, n_jobs=1": ("skfp", 1),
            "scikit-fingerprints ECFP, n_jobs=2": ("skfp", 2),
            "RDKit per molecule in skfp's environment, 1 core": ("rdkit", 1),
        }
    seconds: dict[str, list[float]] = {m: [] for m in [*methods, *external]}
    versions = {"this environment": rdBase.rdkitVersion}
    for rep in range(repeats):
        for name, call in methods.items():
            start = time.perf_counter()
            inner = call()
            seconds[name].append(inner if isinstance(inner, float) else time.perf_counter() - start)
        for name, (method, n_jobs) in external.items():
            row = skfp(text, method, n_jobs, python)  # type: ignore[arg-type]
            seconds[name].append(row["seconds"])
            versions[SKFP_ENV] = row["rdkit"]
        print(
            f"repeat {rep + 1}: " + ", ".join(f"{v[-1]:.1f}" for v in seconds.values()), flush=True
        )
    table = pd.DataFrame(
        {
            "method": list(seconds),
            "best_s": [min(v) for v in seconds.values()],
            "all_s": [" ".join(f"{x:.2f}" for x in v) for v in seconds.values()],
        }
    )
    table.insert(1, "molecules", len(smiles))
    table["molecules_per_s"] = len(smiles) / table["best_s"]
    table.attrs["versions"] = versions
    return table


def cold_start(smiles: list[str]) -> float:
    """Seconds of the first n_jobs=2 transform of 5,000 SMILES in a fresh process."""
    code = (
        "import sys, time; from bioassay_mix.featurize import MorganFingerprint; "
        "s = open(sys.argv[1]).read().split('\\n')[:5000]; t = time.perf_counter(); "
        "MorganFingerprint(n_jobs=2).fit().transform(s); print(time.perf_counter() - t)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(CACHE / "panel_smiles.txt")],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def randomised(rows: int, smiles: list[str], seed: int = 0) -> Path:
    path = CACHE / f"randomised-{rows}-seed{seed}.parquet"
    if path.exists():
        return path
    seen: dict[str, None] = {}
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    per = -(-rows // len(mols)) + 1
    for i, mol in enumerate(mols):
        for text in Chem.MolToRandomSmilesVect(mol, per, randomSeed=seed + i):
            seen.setdefault(text, None)
    out = list(seen)[:rows]
    if len(out) < rows:
        raise SystemExit(f"only {len(out):,} distinct randomised SMILES; ask for fewer rows")
    rng = np.random.default_rng(seed)
    pd.DataFrame({"smiles": np.asarray(out, dtype=object)[rng.permutation(rows)]}).to_parquet(path)
    return path


def score_in_subprocess(path: Path, n_jobs: int) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--measure-score", str(path), str(n_jobs)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_score(path: Path, n_jobs: int) -> dict:
    rss = PeakRSS()
    out = CACHE / f"scores-{path.stem}.parquet"
    summary = score_file(tox21_bundle(), path, out, n_jobs=n_jobs, overwrite=True, verbose=False)
    return {
        "input": path.stem,
        "rows": summary.n_rows,
        "errors": summary.n_errors,
        "wall_s": summary.timings["wall_s"],
        **rss.stop(),
    }


def rdkit_rate(smiles: list[str]) -> float:
    start = time.perf_counter()
    rdkit_per_molecule(smiles)
    return len(smiles) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--molecules",
        type=int,
        default=None,
        help="featurize only the first N distinct panel SMILES (a quick check)",
    )
    ap.add_argument("--score-rows", type=int, default=1_000_000)
    ap.add_argument(
        "--skfp-python",
        default=SKFP_PYTHON,
        help="python of a virtual environment with scikit-fingerprints ('' skips)",
    )
    ap.add_argument("--measure-score", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    if args.measure_score:
        print(json.dumps(measure_score(Path(args.measure_score[0]), int(args.measure_score[1]))))
        return
    python = args.skfp_python if args.skfp_python and Path(args.skfp_python).exists() else None
    smiles = panel_smiles()[: args.molecules]
    features = featurize_table(smiles, args.repeats, python)
    cold = cold_start(smiles)

    tox21_bundle()
    hiv = list(load_panel("hiv").smiles)
    hiv_path = CACHE / "hiv.parquet"
    pd.DataFrame({"smiles": hiv}).to_parquet(hiv_path)
    big = randomised(args.score_rows, smiles)
    small = CACHE / "randomised-100000.parquet"
    sample = pd.read_parquet(big)["smiles"].tolist()[:100_000]
    pd.DataFrame({"smiles": sample}).to_parquet(small)
    references = {hiv_path.stem: rdkit_rate(hiv), small.stem: rdkit_rate(sample)}
    references[big.stem] = references[small.stem]
    scores = pd.DataFrame([score_in_subprocess(p, 2) for p in (hiv_path, small, big)])
    scores["compounds_per_s"] = scores["rows"] / scores["wall_s"]
    scores["rdkit_1_core_per_s"] = scores["input"].map(references)
    scores["ratio_to_rdkit_1_core"] = scores["compounds_per_s"] / scores["rdkit_1_core_per_s"]

    best = features.set_index("method")["molecules_per_s"]
    ours2 = best["bioassay-mix MorganFingerprint, n_jobs=2"]
    ours1 = best["bioassay-mix MorganFingerprint, n_jobs=1"]
    direct = best["RDKit generator per molecule, 1 core"]
    ceiling = best["RDKit per molecule, 2 independent processes (the ceiling)"]
    ratios = {
        "n_jobs=2 / RDKit per molecule (1 core)": ours2 / direct,
        "two RDKit processes / one (this machine's ceiling)": ceiling / direct,
        "n_jobs=2 / the ceiling": ours2 / ceiling,
        "n_jobs=1 / RDKit per molecule (1 core)": ours1 / direct,
        "first n_jobs=2 call on 5,000 SMILES, fresh process (s)": cold,
    }
    if python:
        skfp_best = max(
            best["scikit-fingerprints ECFP, n_jobs=1"], best["scikit-fingerprints ECFP, n_jobs=2"]
        )
        ratios["n_jobs=2 / scikit-fingerprints' best"] = ours2 / skfp_best
        ratios["skfp's RDKit / this RDKit, per molecule"] = (
            best["RDKit per molecule in skfp's environment, 1 core"] / direct
        )
    summary = pd.DataFrame({"measure": list(ratios), "value": list(ratios.values())})
    versions = features.attrs["versions"]
    notes = [
        f"{len(smiles):,} distinct SMILES of {', '.join(PANELS)} (their canonical form, as panels "
        "store them) to 2048-bit radius-2 Morgan bits as CSR; best of "
        f"{args.repeats}, methods interleaved; {len(os.sched_getaffinity(0))} cores. Worker "
        "pools started before timing; the cold start is its own row.",
        f"RDKit {versions['this environment']} here"
        + (
            f", {versions.get(SKFP_ENV)} in scikit-fingerprints' environment (it pins RDKit "
            "below the current release)"
            if python
            else "; scikit-fingerprints not measured (no --skfp-python)"
        )
        + ".",
        f"Scoring: Tox21 bundle (12 targets), 2 featurizing processes. Inputs: HIV's "
        f"{len(hiv):,} distinct SMILES; {args.score_rows:,} distinct randomised SMILES "
        f"(MolToRandomSmilesVect of the {len(smiles):,} panel molecules, seed 0, each string "
        "once, shuffled) and its first 100,000. rdkit_1_core_per_s: MolFromSmiles + Morgan on "
        "one core on the same strings (the first 100,000 for the randomised sets).",
    ]
    write_tables(
        "featurize",
        "Featurization engine: speed against scikit-fingerprints and "
        "RDKit, and scoring distinct compounds",
        {"featurize": features, "ratios": summary, "score": scores},
        notes,
        {"ratios": ratios},
    )


if __name__ == "__main__":
    main()
