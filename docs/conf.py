"""Sphinx configuration.

Build: ``pip install -e ".[docs]" && sphinx-build -W docs docs/_build/html``. Without a
network (CI), set ``STBALANCE_DOCS_OFFLINE=1``: intersphinx links to NumPy, MNE,
braindecode, ... are then left out instead of failing the build.
"""

import os

import braindecode_stbalance

project = "braindecode-stbalance"
author = "braindecode-stbalance developers"
release = version = braindecode_stbalance.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates", "README_*.md"]
autosummary_generate = True
numpydoc_show_class_members = False
html_theme = "pydata_sphinx_theme"
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "pandas": ("https://pandas.pydata.org/docs", None),
    "torch": ("https://pytorch.org/docs/stable", None),
    "mne": ("https://mne.tools/stable", None),
    "braindecode": ("https://braindecode.org/stable", None),
}
if os.environ.get("STBALANCE_DOCS_OFFLINE"):
    intersphinx_mapping = {}
