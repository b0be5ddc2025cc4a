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
    "matplotlib.sphinxext.plot_directive",
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
# numpydoc docstrings carry the types in the domain's words; annotations would be noise
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "imported-members": True, "show-inheritance": False}
# numpy/attrs annotations cannot all be cross-referenced; the docstrings carry the types
nitpicky = False
# docstrings list their References for the reader even when the text cites none by label
suppress_warnings = ["myst.xref_missing", "ref.citation"]

html_theme = "furo"
html_theme_options = {"navigation_with_keys": True}

# every chart's docstring example is drawn at build time (matplotlib's plot directive)
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]
plot_rcparams = {"figure.max_open_warning": 0}
html_title = f"crmkit {version}"


def _unique_citations(app, what, name, obj, options, lines):  # noqa: ANN001, ANN202, ARG001, PLR0917
    """Make numpydoc reference labels ([1]) unique per object, as numpydoc itself does.

    Several docstrings on one page each cite their own ``[1]``; docutils would see duplicates.
    """
    import re  # noqa: PLC0415

    prefix = re.sub(r"\W", "", name.rsplit(".", 1)[-1]) or "ref"
    for i, line in enumerate(lines):
        line = re.sub(r"^(\s*)\.\. \[(\w+)\]", rf"\1.. [{prefix}-\2]", line)  # noqa: PLW2901
        lines[i] = re.sub(r"\[(\w+)\]_", rf"[{prefix}-\1]_", line)


def _skip_listed_properties(app, what, name, obj, skip, options):  # noqa: ANN001, ANN202, ARG001, PLR0917
    """Skip a property its class already lists under Attributes (napoleon renders it there).

    Results keep some table columns as properties (labels built from integer codes);
    documenting them twice would be a duplicate object description.
    """
    import inspect  # noqa: PLC0415
    import sys  # noqa: PLC0415

    if not isinstance(obj, property) or obj.fget is None:
        return skip
    owner_name = obj.fget.__qualname__.rsplit(".", 1)[0]
    owner = getattr(sys.modules.get(obj.fget.__module__), owner_name, None)
    doc = inspect.getdoc(owner) or ""
    listed = any(
        line.split(" : ")[0].strip() == name or name in line.split(" : ")[0].split(", ")
        for line in doc.split("Attributes\n----------\n", 1)[-1].split("\n\n", 1)[0].splitlines()
        if " : " in line
    )
    return True if listed and "Attributes\n----------" in doc else skip


def setup(app):  # noqa: ANN001, ANN201
    """Register the docstring hooks."""
    app.connect("autodoc-process-docstring", _unique_citations)
    app.connect("autodoc-skip-member", _skip_listed_properties)
