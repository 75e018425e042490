"""Fingerprints from RDKit's fingerprint generators, as sparse matrices.

Fingerprints are returned as SciPy CSR matrices (float32): a 2048-bit Morgan fingerprint has
about 50 bits set, and XGBoost's ``hist`` builds its histograms over non-zeros only, which makes
training on large pooled mixtures several times faster than on dense arrays. Every class here
equals RDKit's own generator bit for bit on the molecules ``Chem.MolFromSmiles`` gives (tested on
every compound of the shared panels).
"""

from __future__ import annotations

from numbers import Integral
from typing import ClassVar

from sklearn.utils._param_validation import Interval

from .base import Featurizer


class _GeneratorFingerprint(Featurizer):
    """A fingerprint from an RDKit ``FingerprintGenerator``: bits or counts, folded to
    ``n_bits``, computed in bulk (parallelism is the engine's worker processes)."""

    _parameter_constraints: ClassVar[dict] = {
        **Featurizer._parameter_constraints,
        # 2**24 bits: far beyond any fingerprint's use, and memory each row can address
        "n_bits": [Interval(Integral, 1, 2**24, closed="both")],
        "counts": ["boolean"],
        "include_chirality": ["boolean"],
    }

    def _n_features(self) -> int:
        return int(self.n_bits)


class MorganFingerprint(_GeneratorFingerprint):
    """Morgan (circular, ECFP-like) fingerprints; FCFP with ``use_features=True``.

    Parameters
    ----------
    radius : int, default=2
        Morgan radius (2 gives ECFP4).
    n_bits : int, default=2048
        Folded length.
    counts : bool, default=False
        Occurrence counts instead of bits.
    include_chirality : bool, default=False
        Chirality in the atom invariants.
    use_features : bool, default=False
        Pharmacophoric feature invariants (donor, acceptor, aromatic, halogen, basic, acidic):
        the feature-Morgan fingerprint, FCFP.
    n_jobs : int or None, default=1
        Worker processes (-1: all cores), used from
        :data:`~bioassay_mix.featurize.engine.PARALLEL_MIN` distinct SMILES are to be computed.
    cache_dir : str or path-like or None, default=None
        Folder of an on-disk cache keyed by the SMILES text, :meth:`spec` and RDKit's version.
    strict : bool, default=True
        Raise on an invalid SMILES; with ``False`` its row stays, all zeros, and
        :meth:`~bioassay_mix.featurize.Featurizer.transform_with_invalid` lists it.

    Examples
    --------
    >>> X = MorganFingerprint(n_bits=1024).fit_transform(["CCO", "c1ccccc1O"])
    >>> X.shape, X.format
    ((2, 1024), 'csr')
    """

    kind = "morgan"
    _parameter_constraints: ClassVar[dict] = {
        **_GeneratorFingerprint._parameter_constraints,
        "radius": [Interval(Integral, 0, None, closed="left")],
        "use_features": ["boolean"],
    }

    def __init__(
        self,
        radius: int = 2,
        n_bits: int = 2048,
        counts: bool = False,
        include_chirality: bool = False,
        use_features: bool = False,
        n_jobs: int | None = 1,
        cache_dir=None,
        strict: bool = True,
    ):
        self.radius = radius
        self.n_bits = n_bits
        self.counts = counts
        self.include_chirality = include_chirality
        self.use_features = use_features
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.strict = strict


class AtomPairFingerprint(_GeneratorFingerprint):
    """Atom-pair fingerprints (Carhart et al. 1985): pairs of atom types and their
    topological distance.

    Parameters
    ----------
    n_bits : int, default=2048
    counts : bool, default=False
    include_chirality : bool, default=False
    min_distance, max_distance : int, default=1, 30
        Bond distances of the pairs counted.
    n_jobs, cache_dir, strict
        As in :class:`MorganFingerprint`.

    Examples
    --------
    >>> AtomPairFingerprint(n_bits=512).fit_transform(["CCO"]).nnz
    3
    """

    kind = "atompair"
    max_atoms = 500  # pairs grow with the square of size: 29 s for a 1,999-atom chain
    _parameter_constraints: ClassVar[dict] = {
        **_GeneratorFingerprint._parameter_constraints,
        "min_distance": [Interval(Integral, 1, None, closed="left")],
        "max_distance": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_bits: int = 2048,
        counts: bool = False,
        include_chirality: bool = False,
        min_distance: int = 1,
        max_distance: int = 30,
        n_jobs: int | None = 1,
        cache_dir=None,
        strict: bool = True,
    ):
        self.n_bits = n_bits
        self.counts = counts
        self.include_chirality = include_chirality
        self.min_distance = min_distance
        self.max_distance = max_distance
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.strict = strict

    def fit(self, X=None, y=None) -> AtomPairFingerprint:
        """Validate the parameters, and that ``min_distance`` does not exceed
        ``max_distance``; nothing is learned from ``X``.

        Parameters
        ----------
        X : ignored
        y : ignored

        Returns
        -------
        self : AtomPairFingerprint
        """
        super().fit(X, y)
        if self.min_distance > self.max_distance:
            raise ValueError(
                f"min_distance ({self.min_distance}) must not exceed max_distance "
                f"({self.max_distance})"
            )
        return self


class TopologicalTorsionFingerprint(_GeneratorFingerprint):
    """Topological-torsion fingerprints (Nilakantan et al. 1987): paths of
    ``torsion_atom_count`` bonded atoms.

    Parameters
    ----------
    n_bits : int, default=2048
    counts : bool, default=False
    include_chirality : bool, default=False
    torsion_atom_count : int, default=4
    n_jobs, cache_dir, strict
        As in :class:`MorganFingerprint`.

    Examples
    --------
    >>> TopologicalTorsionFingerprint().fit_transform(["CCCCO"]).nnz
    2
    """

    kind = "torsion"
    _parameter_constraints: ClassVar[dict] = {
        **_GeneratorFingerprint._parameter_constraints,
        "torsion_atom_count": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(
        self,
        n_bits: int = 2048,
        counts: bool = False,
        include_chirality: bool = False,
        torsion_atom_count: int = 4,
        n_jobs: int | None = 1,
        cache_dir=None,
        strict: bool = True,
    ):
        self.n_bits = n_bits
        self.counts = counts
        self.include_chirality = include_chirality
        self.torsion_atom_count = torsion_atom_count
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.strict = strict


class MACCSKeys(Featurizer):
    """The 166 MACCS structural keys (RDKit's 167-bit layout; bit 0 is always unset).

    Parameters
    ----------
    n_jobs, cache_dir, strict
        As in :class:`MorganFingerprint`.

    Examples
    --------
    >>> MACCSKeys().fit_transform(["c1ccccc1"]).shape
    (1, 167)
    """

    kind = "maccs"

    def __init__(self, n_jobs: int | None = 1, cache_dir=None, strict: bool = True):
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.strict = strict

    def _n_features(self) -> int:
        return 167
