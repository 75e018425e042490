"""Getting a library: load a saved one, or build one and keep it in a cache keyed by content."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._files import sha256_bytes
from ..errors import DataError, ModelFileError
from ..featurize import Featurizer
from ..panel import AssayPanel
from ._build import default_proxy
from ._core import ProxyLibrary
from ._layout import LIBRARY_FORMAT, MANIFEST, estimator_spec

logger = logging.getLogger(__name__)


def cached_library(
    panels: Sequence[AssayPanel],
    *,
    featurizer: Featurizer,
    proxy: Any = None,
    min_labels: int = 50,
    random_state: int = 0,
    device: str = "auto",
    n_jobs: int | None = 1,
    cache: str | os.PathLike,
    verbose: bool = True,
) -> ProxyLibrary:
    """The library of ``panels`` from ``cache``, built and saved there the first time. Keyed by
    content: the panels' checksums, the featurizer's spec, the proxy's class and parameters,
    ``min_labels`` and the seed, so another panel file of the same name builds another
    library. A cache that cannot be written costs the cache, not the library.

    Parameters
    ----------
    panels : sequence of AssayPanel
        The source panels.
    featurizer : Featurizer
        As in :meth:`ProxyLibrary.build`.
    proxy : classifier or None, default=None
        As in :meth:`ProxyLibrary.build` (default: :func:`default_proxy` of the sizes).
    min_labels : int, default=50
        As in :meth:`ProxyLibrary.build`.
    random_state : int, default=0
        Seed of every proxy.
    device : {"auto", "cpu", "cuda"}, default="auto"
        XGBoost's device.
    n_jobs : int or None, default=1
        Proxies trained at once.
    cache : str or os.PathLike
        The cache folder; each library gets a subfolder named by its key.
    verbose : bool, default=True
        Progress bar.

    Returns
    -------
    ProxyLibrary
    """
    sizes = [n for p in panels for n in p.summary()["n_labelled"] if n >= min_labels]
    template = proxy if proxy is not None else default_proxy(sizes, device=device)
    key = {
        "panels": [p.checksum() for p in panels],
        "featurizer": featurizer.spec(),
        "proxy": estimator_spec(template),
        "min_labels": min_labels,
        "random_state": random_state,
        "format": LIBRARY_FORMAT,
    }
    digest = sha256_bytes(json.dumps(key, sort_keys=True, default=str).encode())[:20]
    folder = Path(cache) / f"{'+'.join(p.name for p in panels)[:60]}-{digest}"
    if (folder / MANIFEST).is_file():
        try:
            return ProxyLibrary.load(folder)
        except ModelFileError as exc:
            logger.warning("cached library %s is unusable (%s); building it again", folder, exc)
    lib = ProxyLibrary.build(
        list(panels),
        featurizer=featurizer,
        proxy=template,
        min_labels=min_labels,
        random_state=random_state,
        device=device,
        n_jobs=n_jobs,
        verbose=verbose,
    )
    try:
        lib.save(folder, overwrite=True)
    except (OSError, DataError) as exc:  # a full or read-only cache costs the cache only
        logger.warning(
            "the library of %s could not be cached in %s (%s); it is used without being saved",
            [p.name for p in panels],
            folder,
            exc,
        )
        lib.path = None
        return lib
    logger.info("library of %s saved to %s", [p.name for p in panels], folder)
    return lib


def load_library(path: str | os.PathLike, *, n_jobs: int | None = 1) -> ProxyLibrary:
    """Read a library folder: :meth:`ProxyLibrary.load`.

    Parameters
    ----------
    path : str or os.PathLike
        The library folder.
    n_jobs : int or None, default=1
        Threads reading proxies.

    Returns
    -------
    ProxyLibrary
    """
    return ProxyLibrary.load(path, n_jobs=n_jobs)
