"""The protocol's first stage: featurize the panel, split it, train (or load) one proxy per
assay and predict every compound with every proxy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._files import sha256_bytes
from .._utils import StageClock
from ..device import resolve_device
from ..errors import DataError
from ..executor import DaskExecutor, LocalExecutor, make_executor
from ..featurize import MorganFingerprint, fingerprint_partitions, stack
from ..panel import AssayPanel
from ..splits import PROXY_TRAIN, TEST, make_splits, rows
from .baselines import SourceRows
from .config import WEIGHT_ROWS, RunConfig
from .proxy_training import PAPER_GRID, ProxySet, train_proxies
from .records import Prepared

#: Rows per proxy-prediction task on a Dask executor.
PREDICT_BLOCK = 20_000


def executor_for(cfg: RunConfig) -> LocalExecutor | DaskExecutor:
    """The executor of a run's compute settings (a context manager)."""
    c = cfg.compute
    return make_executor(c.executor, n_jobs=c.n_jobs, scheduler=c.scheduler)


def run_featurizer(cfg: RunConfig) -> MorganFingerprint:
    """The featurizer of a run's settings (unfitted).

    Parameters
    ----------
    cfg : RunConfig
        The run's settings (``radius``, ``n_bits``, ``counts``).

    Returns
    -------
    MorganFingerprint
    """
    return MorganFingerprint(radius=cfg.radius, n_bits=cfg.n_bits, counts=cfg.counts)


def prepare(
    panel: AssayPanel,
    *,
    targets: list[str] | None = None,
    config: RunConfig | None = None,
    out_dir: str | Path | None = None,
    executor: LocalExecutor | DaskExecutor | None = None,
) -> Prepared:
    """Featurize, split, train (or load) the proxies and predict with them.

    Parameters
    ----------
    panel : AssayPanel
        Compounds x assays.
    targets : list of str or None, default=None
        The targets to prepare for (default: every eligible assay).
    config : RunConfig or None, default=None
        The run's settings (default ``RunConfig()``).
    out_dir : str, Path or None, default=None
        Where fingerprints and proxies are cached (keyed by content).
    executor : LocalExecutor, DaskExecutor or None, default=None
        Default: the one ``config.compute`` names, opened and closed here.

    Returns
    -------
    Prepared
    """
    cfg = config or RunConfig()
    if executor is None:
        with executor_for(cfg) as own:
            return prepare(panel, targets=targets, config=cfg, out_dir=out_dir, executor=own)
    out = Path(out_dir) if out_dir is not None else None
    compute = cfg.compute
    device = resolve_device(compute.device)
    clock = StageClock()
    if targets:
        unknown = [t for t in targets if t not in panel.labels.columns]
        if unknown:
            raise DataError(
                f"panel {panel.name!r} has no assay {unknown[0]!r}; "
                f"assays include {panel.assays[:8]}"
            )
    skipped: list[dict] = []
    usable = _usable_assays(panel, cfg, skipped)
    panel = panel.select(usable)
    featurizer = (
        run_featurizer(cfg)
        .set_params(n_jobs=compute.n_jobs, cache_dir=None if out is None else out / "cache")
        .fit()
    )
    parts = None
    if executor.kind == "local":
        X = featurizer.transform_valid(panel.smiles)
    else:  # computed and cached per partition on the workers, joined and kept there
        parts = fingerprint_partitions(featurizer, panel.smiles, executor, verbose=compute.verbose)
        X = executor.combine(stack, parts)
    clock.lap("featurize")
    codes = make_splits(
        panel,
        test_size=cfg.test_size,
        valid_size=cfg.valid_size,
        strategy=cfg.split,
        leakage=cfg.leakage,
        random_state=cfg.seed,
    )
    labels = panel.labels
    train_rows = {}
    for a in usable:
        r = rows(codes, a, PROXY_TRAIN)
        if len(np.unique(labels[a].to_numpy()[r])) < 2:
            skipped.append({"assay": a, "role": "source", "reason": "proxy-train has one class"})
        else:
            train_rows[a] = r
    clock.lap("split")
    proxies = train_proxies(
        X,
        labels,
        train_rows,
        params=cfg.proxy_params,
        grid=PAPER_GRID if cfg.grid_search else None,
        device=device,
        n_jobs=compute.n_jobs,
        random_state=cfg.seed,
        cache_dir=None if out is None else out / "proxies",
        cache_key={
            "compounds": sha256_bytes("\n".join(panel.smiles).encode()),
            "features": featurizer.spec(),
        },
        verbose=compute.verbose,
        executor=executor,
    )
    clock.lap("proxies")
    chosen = _eligible_targets(
        targets or proxies.assays, proxies.assays, codes, labels, cfg, skipped
    )
    if not chosen:
        raise DataError(
            f"no eligible target in panel {panel.name!r}; see the skipped reasons: {skipped[:3]}"
        )
    if executor.kind == "local":
        Qm = proxies.predict_matrix(X)
    else:  # predicted on the workers, a block of rows per task; only predictions come back
        n = labels.shape[0]
        blocks = [(i, min(i + PREDICT_BLOCK, n)) for i in range(0, n, PREDICT_BLOCK)]
        Qm = np.vstack(
            executor.map(
                _predict_rows,
                blocks,
                shared={"X": X, "proxies": proxies},
                desc="proxy predictions",
                verbose=compute.verbose,
            )
        )
    Q = pd.DataFrame(Qm, index=labels.index, columns=proxies.assays)
    clock.lap("proxy_predictions")
    sources = SourceRows(
        train_rows, {a: labels[a].to_numpy()[r].astype(np.int32) for a, r in train_rows.items()}
    )
    return Prepared(
        panel,
        X,
        codes,
        sources,
        proxies,
        Q,
        chosen,
        skipped,
        device,
        clock.timings,
        featurizer,
        parts,
        panel.checksum(),
    )


def _predict_rows(block: tuple[int, int], *, X: sp.csr_matrix, proxies: ProxySet) -> np.ndarray:
    return proxies.predict_matrix(X[block[0] : block[1]])


def _usable_assays(panel: AssayPanel, cfg: RunConfig, skipped: list[dict]) -> list[str]:
    summary = panel.summary()
    usable = []
    for a, row in summary.iterrows():
        if row.n_positive == 0:
            reason = "no positive labels"
        elif row.n_negative == 0:
            reason = "no negative labels"
        elif row.n_labelled < cfg.min_labels:
            reason = f"only {row.n_labelled} labelled compounds (< min_labels={cfg.min_labels})"
        else:
            usable.append(a)
            continue
        skipped.append({"assay": a, "role": "source and target", "reason": reason})
    if len(usable) < 2:
        raise DataError(
            f"panel {panel.name!r} has {len(usable)} usable assay(s); MixMin needs a "
            "target and at least one source"
        )
    return usable


def _eligible_targets(wanted, sources, codes, labels, cfg, skipped) -> list[str]:
    chosen = []
    for t in wanted:
        if t not in sources:
            if not any(s["assay"] == t for s in skipped):
                skipped.append({"assay": t, "role": "target", "reason": "no proxy"})
            continue
        y_test = labels[t].to_numpy()[rows(codes, t, TEST)]
        n_pos = int((y_test == 1).sum())
        if n_pos < cfg.min_test_positives or n_pos == len(y_test):
            skipped.append(
                {
                    "assay": t,
                    "role": "target",
                    "reason": f"{n_pos} test positives of {len(y_test)} (need >= "
                    f"{cfg.min_test_positives} and a negative)",
                }
            )
            continue
        y_weights = labels[t].to_numpy()[rows(codes, t, WEIGHT_ROWS[cfg.weight_rows])]
        if len(np.unique(y_weights)) < 2:
            skipped.append(
                {
                    "assay": t,
                    "role": "target",
                    "reason": f"its {cfg.weight_rows} rows (MixMin's weights) have one class",
                }
            )
            continue
        chosen.append(t)
    return chosen
