"""Sphinx configuration: MyST Markdown pages, math rendered by MathJax."""
project = "homeostasis"
author = "the homeostasis developers"
extensions = ["myst_parser", "sphinx.ext.mathjax"]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_title = "homeostasis"
