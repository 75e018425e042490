"""Mixture models too large for one worker, trained across a Dask cluster with ``xgboost.dask``.

The fingerprint partitions stay on the workers that computed them. Each worker cuts its own
mixture rows out of its partitions (only row indices, labels and weights leave the client), and
XGBoost's distributed ``hist`` grows every tree from gradient histograms summed across workers,
so no feature row moves. Fingerprint bits are 0/1, so the histogram cuts, and with them the
trees, are those of a single-machine fit on the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import xgboost as xgb

from ..mixture import DEFAULT_PRUNE
from ..proxies import make_classifier
from .baselines import SourceRows, mixture_rows


def fit_mixture_dask(
    client,
    parts: Sequence,
    data: SourceRows,
    weights: pd.Series | None,
    *,
    params: Mapping[str, Any] | None = None,
    prune: float = DEFAULT_PRUNE,
    device: str | None = "cpu",
    random_state: int = 0,
) -> xgb.XGBClassifier:
    """:func:`~bioassay_mix.protocol.baselines.fit_mixture` on the cluster behind ``client``.

    ``parts`` are the fingerprint partitions (futures on that cluster, in panel row order).
    Returns an ordinary ``XGBClassifier`` holding the trained booster; each worker trains with
    its own thread count.
    """
    from dask import array as da
    from xgboost import dask as dxgb

    idx, y, sw = mixture_rows(data, weights, prune=prune)  # idx is sorted
    shapes = client.gather(client.map(_shape, list(parts), pure=False))
    n_features = shapes[0][1]
    bounds = np.concatenate([[0], np.cumsum([s[0] for s in shapes])]).astype(np.int64)
    if bounds[-1] <= idx[-1]:
        raise ValueError(f"partitions hold {bounds[-1]} rows; the mixture uses row {idx[-1]}")
    cuts = np.searchsorted(idx, bounds)
    meta = sp.csr_matrix((0, n_features), dtype=np.float32)
    chunks, lengths = [], []
    for p, (lo, hi) in enumerate(pairwise(cuts)):
        if hi > lo:  # this partition's rows, taken where the partition lives
            rows = idx[lo:hi] - bounds[p]
            piece = client.submit(_take_rows, parts[p], rows, pure=False)
            chunks.append(
                da.from_delayed(piece, shape=(len(rows), n_features), dtype=np.float32, meta=meta)
            )
            lengths.append(int(hi - lo))
    split = (tuple(lengths),)
    template = make_classifier(params, device=device, n_jobs=None, random_state=random_state)
    model = dxgb.DaskXGBClassifier(**{**template.get_params(), "n_jobs": None})
    model.client = client
    model.fit(
        da.concatenate(chunks),
        da.from_array(y, chunks=split),
        sample_weight=da.from_array(sw, chunks=split),
    )
    template.load_model(bytearray(model.get_booster().save_raw("ubj")))
    return template


def _shape(part: sp.csr_matrix) -> tuple[int, int]:
    return part.shape


def _take_rows(part: sp.csr_matrix, rows: np.ndarray) -> sp.csr_matrix:
    return part[rows].astype(np.float32)
