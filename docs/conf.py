"""Sphinx configuration of the bioassay-mix site.

Build: ``pip install -e ".[docs]"`` then ``sphinx-build -W -b html docs docs/_build/html``.
The test suite builds it the same way (``tests/test_docs.py``), warnings as errors.
"""

from __future__ import annotations

import os

import bioassay_mix

project = "bioassay-mix"
author = "bioassay-mix developers"
copyright = "2026, bioassay-mix developers"
release = version = bioassay_mix.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
templates_path = ["_templates"]

autosummary_generate = True
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False  # the class pages list their methods themselves
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# No network here or in CI: cross-references to other projects are written as plain names.
intersphinx_mapping: dict = {}

myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
# The example notebooks (notebooks/ at the repository root, linked into docs/examples/) run at
# every build, so each page shows real outputs, and a cell that fails fails the build. Under
# the test suite (BIOASSAY_MIX_NOTEBOOK_SMALL=1) quickstart and your_assay run their small
# cases (small models; two Tox21 targets, one ToxCast target); reproduce_paper shows the
# committed benchmarks/results either way. BIOASSAY_MIX_DOCS_EXECUTE=0 builds without running.
nb_execution_mode = "off" if os.environ.get("BIOASSAY_MIX_DOCS_EXECUTE") == "0" else "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True

html_theme = "pydata_sphinx_theme"
html_title = "bioassay-mix"
html_theme_options = {
    "navbar_end": ["navbar-icon-links"],
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
html_static_path: list[str] = []
html_show_sourcelink = False
