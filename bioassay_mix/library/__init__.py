"""The source side of MixMin, built once and reused for any number of targets.

MixMin needs, per source assay, only a proxy's predictions on the target's compounds (the
matrix P) and, for the final model, the source's training rows. A :class:`ProxyLibrary` holds
both for every source of one or more panels: the fitted proxy (any scikit-learn classifier), the
features of its training compounds (one sparse matrix shared by all sources, since a compound is
measured in many assays) and their labels, and the source's manifest entry. Built once, it
answers every target: the proxies cost minutes to train, a target's P a matrix product or a
pass of every proxy over its compounds (``benchmarks/library_fit.py``,
``benchmarks/chembl_scale.py``).

A library is saved as a folder::

    library.json        format, versions, featurizer spec, proxy spec, per source: model file
                        and its sha256, dataset, counts; the sha256 of every data file
    features.npz        features of every training compound (SciPy CSR, no pickle)
    compounds.parquet   their canonical SMILES, in the features' row order
    rows.npz            every source's row positions into the features and 0/1 labels,
                        concatenated in source order, and each source's offset into them
    proxies/            one model per source (XGBoost UBJ, a logistic regression's weights as
                        .npy, or skops for other estimators)

Loading checks the format, the package version and every checksum before any file is read,
and rebuilds the featurizer from its spec; nothing is unpickled.
"""

from ._access import cached_library, load_library
from ._build import CHECKPOINT_BATCH, LINEAR_PROXY_MEDIAN, default_proxy, remove_checkpoint
from ._core import ProxyLibrary, is_feature_matrix
from ._layout import LIBRARY_FORMAT, MANIFEST, TARGET

__all__ = [
    "CHECKPOINT_BATCH",
    "LIBRARY_FORMAT",
    "LINEAR_PROXY_MEDIAN",
    "MANIFEST",
    "TARGET",
    "ProxyLibrary",
    "cached_library",
    "default_proxy",
    "is_feature_matrix",
    "load_library",
    "remove_checkpoint",
]
