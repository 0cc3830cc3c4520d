"""Sphinx configuration.

Build: ``pip install -e ".[docs]" && sphinx-build -W docs docs/_build/html``. Without a
network (CI), set ``STBALANCE_DOCS_OFFLINE=1``: intersphinx links to NumPy, MNE,
braindecode, ... are then left out instead of failing the build.

The gallery (``examples/plot_*.py``, rendered into ``docs/auto_examples``) is executed by
default, so its figures and outputs appear in the docs (a few minutes on a 2-core CPU).
``STBALANCE_PLOT_GALLERY=0`` builds the pages without running the examples (what the test
suite does, ``tests/test_docs.py``; the examples themselves run in ``tests/test_examples.py``).
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
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates", "README_*.md", "sg_execution_times.rst"]
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


sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # STBALANCE_PLOT_GALLERY=0 (or false/no) renders the examples without executing them
    "plot_gallery": os.environ.get("STBALANCE_PLOT_GALLERY", "1").strip().lower()
    not in ("0", "false", "no", "off"),
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    "download_all_examples": False,
}
