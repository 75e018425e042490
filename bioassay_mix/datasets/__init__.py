"""Dataset manifests, the download cache (pooch + sha256) and loading panels by name or path."""

from ._fetch import data_home, fetch, status
from ._load import load_panel
from ._manifest import DATA_ENV, LAYOUTS, Manifest, get_manifest, manifest_dir, manifests
from ._read import describe_chembl_assays, read_fsmol_tasks, read_table

__all__ = [
    "DATA_ENV",
    "LAYOUTS",
    "Manifest",
    "data_home",
    "describe_chembl_assays",
    "fetch",
    "get_manifest",
    "load_panel",
    "manifest_dir",
    "manifests",
    "read_fsmol_tasks",
    "read_table",
    "status",
]
