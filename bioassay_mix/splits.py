"""Per-assay train/test and proxy-train/validation splits, with a leakage guard across assays.

Codes in the returned frame (same shape as ``panel.labels``): 0 unlabelled, 1 proxy-train,
2 validation, 3 test. "train" in the paper's protocol is proxy-train plus validation.

``leakage="strict"`` (default) splits compounds once for the whole panel, so a compound that is in
any assay's test set is in no assay's training rows: a target's test compounds never reach a
source proxy or a mixture model. ``leakage="paper"`` splits each assay on its own (stratified),
as the MixMin authors' scripts do; the same molecule can then be a test compound of the target
and a training row of a source.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from .chem import parse_smiles, scaffold
from .panel import AssayPanel

UNLABELLED, PROXY_TRAIN, VALID, TEST = 0, 1, 2, 3
LEAKAGE_MODES = ("strict", "paper")
STRATEGIES = ("random", "scaffold")
#: The target rows MixMin's weights may be fitted on, by name.
WEIGHT_ROWS = {"proxy_train": PROXY_TRAIN, "validation": VALID}


def make_splits(
    panel: AssayPanel,
    *,
    test_size: float = 0.2,
    valid_size: float = 0.2,
    strategy: str = "random",
    leakage: str = "strict",
    random_state: int = 0,
) -> pd.DataFrame:
    """Split codes for every (compound, assay) label of ``panel``."""
    if leakage not in LEAKAGE_MODES:
        raise ValueError(f"leakage must be one of {LEAKAGE_MODES}, got {leakage!r}")
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    for label, frac in (("test_size", test_size), ("valid_size", valid_size)):
        if not 0 < frac < 1:
            raise ValueError(f"{label} must be in (0, 1), got {frac}")
    labels = panel.labels
    labelled = labels.notna().to_numpy()
    groups = _scaffolds(panel.smiles) if strategy == "scaffold" else None
    codes = np.zeros(labels.shape, dtype=np.int8)
    if leakage == "strict":
        compound_codes = _split_rows(len(labels), test_size, valid_size, random_state, groups)
        codes[:] = compound_codes[:, None]
    else:
        for j, col in enumerate(labels.columns):
            rows = np.flatnonzero(labelled[:, j])
            y = labels[col].to_numpy()[rows]
            sub_groups = None if groups is None else groups[rows]
            seed = random_state + j  # distinct but reproducible per assay
            codes[rows, j] = _split_rows(len(rows), test_size, valid_size, seed, sub_groups, y)
    codes[~labelled] = UNLABELLED
    return pd.DataFrame(codes, index=labels.index, columns=labels.columns)


def _split_rows(
    n: int,
    test_size: float,
    valid_size: float,
    seed: int,
    groups: np.ndarray | None = None,
    y: np.ndarray | None = None,
) -> np.ndarray:
    """Codes (1/2/3) for ``n`` rows: test first, then validation out of the rest."""
    rng = np.random.default_rng(seed)
    idx = np.arange(n)
    if groups is not None:
        test = _group_holdout(groups, test_size, rng)
        rest = idx[~test]
        valid_rest = _group_holdout(groups[rest], valid_size, rng)
        out = np.full(n, PROXY_TRAIN, dtype=np.int8)
        out[test] = TEST
        out[rest[valid_rest]] = VALID
        return out
    stratify = y if y is not None and _can_stratify(y, test_size) else None
    train, test = train_test_split(idx, test_size=test_size, random_state=seed, stratify=stratify)
    y_train = None if y is None else y[train]
    strat2 = y_train if y_train is not None and _can_stratify(y_train, valid_size) else None
    proxy, valid = train_test_split(
        train, test_size=valid_size, random_state=seed + 1, stratify=strat2
    )
    out = np.empty(n, dtype=np.int8)
    out[proxy], out[valid], out[test] = PROXY_TRAIN, VALID, TEST
    return out


def _can_stratify(y: np.ndarray, size: float) -> bool:
    counts = np.unique(y, return_counts=True)[1]
    return len(counts) > 1 and counts.min() >= 2 and counts.min() * size >= 1


def _group_holdout(groups: np.ndarray, size: float, rng: np.random.Generator) -> np.ndarray:
    """Hold out whole scaffold groups until ``size`` of the rows are held out.

    Written here because scikit-learn's group splitters size the split by the number of groups,
    not rows. As in chemprop's balanced scaffold split, groups bigger than half the held-out size
    always stay in training (one huge scaffold must not become the whole test set); the others are
    visited in a seeded random order.
    """
    names, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    budget = size * len(groups)
    big = counts > budget / 2
    order = np.concatenate([rng.permutation(np.flatnonzero(~big)), np.flatnonzero(big)])
    held = np.zeros(len(names), dtype=bool)
    total = 0
    for g in order:
        if big[g] or total >= budget:
            break
        held[g] = True
        total += counts[g]
    return held[inverse]


def _scaffolds(smiles: list[str]) -> np.ndarray:
    return np.asarray([scaffold(parse_smiles(s).mol) for s in smiles], dtype=object)


def rows(codes: pd.DataFrame, assay: str, *which: int) -> np.ndarray:
    """Positions (into the panel's compounds) of ``assay``'s rows with the given split codes."""
    return np.flatnonzero(codes[assay].isin(which).to_numpy())
