"""Dataset manifests: what each named dataset is, where it comes from, how it is checked."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import DataError

DATA_ENV = "BIOASSAY_MIX_DATA"
#: Layouts of a panel file: a column per assay, or one (compound, assay, label) row per label.
LAYOUTS = ("wide", "long")


@dataclass(frozen=True)
class Manifest:
    """What a dataset is and where it comes from (one TOML file in ``data_manifests/``).

    Parameters
    ----------
    name, title, licence, citation : str
        Identity: the name ``load_panel`` takes, a title, the licence and how to cite it.
    description : str, default=""
        A paragraph on the data.
    file, folder : str, default="", "bioassay"
        The file's name and its folder under the data cache.
    url, sha256 : str, default=""
        Public source and checksum (an empty checksum is not pinned).
    packaged : str, default=""
        A file shipped inside the package instead of a download.
    smiles_column : str, default="smiles"
        The column of SMILES.
    label_columns : tuple of str or "*", default="*"
        The assay columns; ``"*"``: every column that is not an id or regression column.
    id_columns, regression_columns : tuple of str, default=()
        Columns that are not binary labels.
    rows : int or None, default=None
        Expected number of rows, checked on load.
    components : tuple of str, default=()
        Other datasets this one joins (a composite panel has no file of its own).
    layout : {"wide", "long"}, default="wide"
        A column per assay, or a (compound, assay, label) row per label.
    assay_column, label_column : str, default="assay", "label"
        The long layout's columns.
    annotations, annotations_sha256 : str, default=""
        A table describing the assays (FS-Mol's ``target_info``) and its checksum.
    path : pathlib.Path or None, default=None
        The manifest file it was read from.
    """

    name: str
    title: str
    licence: str
    citation: str
    description: str = ""
    file: str = ""
    folder: str = "bioassay"
    url: str = ""
    sha256: str = ""
    packaged: str = ""
    smiles_column: str = "smiles"
    label_columns: tuple[str, ...] | str = "*"
    id_columns: tuple[str, ...] = ()
    regression_columns: tuple[str, ...] = ()
    rows: int | None = None
    components: tuple[str, ...] = ()
    layout: str = "wide"
    assay_column: str = "assay"
    label_column: str = "label"
    annotations: str = ""
    annotations_sha256: str = ""
    path: Path | None = field(default=None, compare=False)

    @classmethod
    def from_toml(cls, path: Path) -> Manifest:
        """Read one manifest file, refusing unknown keys and bad layouts by name.

        Parameters
        ----------
        path : pathlib.Path
            The TOML file.

        Returns
        -------
        Manifest
        """
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise DataError(f"manifest {path} is not valid TOML: {exc}") from exc
        known = set(cls.__dataclass_fields__) - {"path"}
        unknown = set(raw) - known
        if unknown:
            raise DataError(f"manifest {path}: unknown keys {sorted(unknown)}")
        for key in ("label_columns", "id_columns", "regression_columns", "components"):
            if isinstance(raw.get(key), list):
                raw[key] = tuple(raw[key])
        if raw.get("layout", "wide") not in LAYOUTS:
            raise DataError(
                f"manifest {path}: layout must be one of {LAYOUTS}, got {raw['layout']!r}"
            )
        try:
            return cls(**raw, path=path)
        except TypeError as exc:
            raise DataError(f"manifest {path}: {exc}") from exc

    @property
    def is_composite(self) -> bool:
        """Whether the dataset joins other datasets instead of having a file.

        Returns
        -------
        bool
        """
        return bool(self.components)


def manifest_dir() -> Path:
    """The manifests shipped in the wheel, or ``data_manifests/`` of a source checkout.

    Returns
    -------
    pathlib.Path
    """
    packaged = Path(str(resources.files("bioassay_mix") / "data_manifests"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "data_manifests"


def manifests() -> dict[str, Manifest]:
    """Every known dataset: assay panels and, under ``text/``, text domains.

    Returns
    -------
    dict of str to Manifest
        By dataset name.

    Examples
    --------
    >>> "tox21" in manifests()
    True
    """
    found = {}
    for path in sorted(manifest_dir().rglob("*.toml")):
        m = Manifest.from_toml(path)
        found[m.name] = m
    return found


def get_manifest(name: str) -> Manifest:
    """The manifest of one dataset, by name (case-insensitive).

    Parameters
    ----------
    name : str
        A name ``bioassay-mix datasets`` lists.

    Returns
    -------
    Manifest
    """
    known = manifests()
    if name.lower() not in known:
        raise DataError(f"unknown dataset {name!r}; known: {sorted(known)} (or give a file path)")
    return known[name.lower()]
