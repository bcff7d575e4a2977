"""Sphinx configuration: MyST pages, an API reference from the numpydoc docstrings, a gallery
built by running ``examples/``, and math typeset by a MathJax copy shipped with the pages.

Nothing in the built HTML may load from the network (a cluster node has none): ``make docs`` runs
``docs/_check_offline.py`` on the output after the build.
"""
import importlib
import os
import pkgutil
import re
from pathlib import Path

from sphinx.util import logging

HERE = Path(__file__).resolve().parent

project = "homeostasis"
author = "the homeostasis developers"
copyright = author
extensions = [
    "myst_parser",
    "sphinx.ext.mathjax",
    # copies MathJax 3 into _static/mathjax and points mathjax_path at it: no CDN
    "sphinx-mathjax-offline",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx_gallery.gen_gallery",
]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# The theme reads well on wide and narrow screens and ships its own assets (no web fonts).
html_theme = "furo"
html_title = "homeostasis"
html_static_path = []

# -- API reference: numpydoc-style docstrings through napoleon ------------------------------------
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True
autodoc_default_options = {"members": True, "member-order": "bysource", "show-inheritance": True}
# annotations go into the parameter lists they describe; none are invented for undocumented ones
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"

# -- Examples gallery ------------------------------------------------------------------------------
# Every script in examples/ runs at build time, so every picture in the docs comes from code.
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"plot_",
    "ignore_pattern": r"__init__\.py|/_",
    # the biology first, then learning with it, then the ANN side; "*" keeps a place for new subsections
    "subsection_order": ["../examples/mechanisms", "../examples/own_models", "../examples/learning", "*", "../examples/ann"],
    "within_subsection_order": "FileNameSortKey",
    # each example calls brian2.start_scope() and names its own objects
    "reset_modules": ("matplotlib",),
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    "min_reported_time": 1,
    # the timing page loads jQuery and DataTables from CDNs; the build log prints the times instead
    "write_computation_times": False,
    # a failing example is a failed docs build, not a warning to skim past
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
}
# One thread per process: the numpy MLP and Brian2 are faster without BLAS oversubscription.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
os.environ.setdefault("MPLBACKEND", "Agg")


def _check_api_pages(app):
    """Warn (an error under -W) for a public module that no page of docs/api/ documents."""
    documented = set()
    for page in (HERE / "api").glob("*.rst"):
        documented |= set(re.findall(r"^\.\. automodule:: ([\w.]+)", page.read_text(), re.MULTILINE))
    for package in ("homeostasis.models", "homeostasis", "homeostasis.simulations"):
        root = importlib.import_module(package)
        names = [info.name for info in pkgutil.walk_packages(root.__path__, package + ".")]
        for name in names:
            if any(part.startswith("_") for part in name.split(".")) or name in documented:
                continue
            if hasattr(importlib.import_module(name), "__path__"):  # a subpackage: its modules count
                continue
            logging.getLogger(__name__).warning(
                f"module {name} is missing from the API reference: add it to a page of docs/api/")


def setup(app):
    app.connect("builder-inited", _check_api_pages)
