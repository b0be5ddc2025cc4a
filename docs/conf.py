"""Sphinx configuration: MyST pages, numpydoc docstrings via napoleon, warnings as errors."""

from crmkit import __version__

project = "crmkit"
author = "crmkit developers"
copyright = "2026, crmkit developers"
release = __version__
version = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_preprocess_types = True
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "imported-members": True, "show-inheritance": False}
# numpy/attrs annotations cannot all be cross-referenced; the docstrings carry the types
nitpicky = False
suppress_warnings = ["myst.xref_missing"]

html_theme = "alabaster"
html_title = f"crmkit {version}"
