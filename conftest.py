"""Environment for the whole suite (tests/, and the notebooks the documentation build executes):
the real data in ../shared/data, no progress bars, and the notebooks' small cases."""

import os
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent / "shared" / "data"
# absolute, because the docs build runs each notebook from its own folder
os.environ["BIOASSAY_MIX_DATA"] = str(Path(os.environ.get("BIOASSAY_MIX_DATA", SHARED)).resolve())
os.environ.setdefault("BIOASSAY_MIX_PROGRESS", "0")
os.environ.setdefault("BIOASSAY_MIX_NOTEBOOK_SMALL", "1")
