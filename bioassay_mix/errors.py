"""Exceptions raised by bioassay-mix. Each message names the file, row, column or assay at fault."""

from __future__ import annotations

__all__ = [
    "BioassayMixError",
    "ChecksumError",
    "DataError",
    "DataUnavailableError",
    "ModelFileError",
    "UsageError",
]


class BioassayMixError(Exception):
    """Base class of every error bioassay-mix raises on purpose."""


class DataError(BioassayMixError, ValueError):
    """Input data that cannot be used as given (bad SMILES, labels, columns, shapes)."""


class ChecksumError(BioassayMixError):
    """A file whose sha256 differs from the one recorded for it."""


class DataUnavailableError(BioassayMixError, FileNotFoundError):
    """A dataset that is neither in the cache nor downloadable."""


class ModelFileError(BioassayMixError):
    """A saved model or its metadata that is missing, corrupt or from an incompatible run."""


class UsageError(DataError):
    """A command-line option whose value cannot be used, named (the command exits with 2, as
    for the parser's own usage errors; every other error exits with 1)."""
