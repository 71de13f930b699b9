"""Sphinx configuration of cleanlearn's documentation site.

Built offline: no intersphinx (other projects' names are listed in ``nitpick_ignore_regex``,
so that ``-n`` still reports a broken reference to one of ours), no asset from a CDN (MathJax
is copied from the ``django-static-mathjax`` wheel, a PyPI package that vendors MathJax 3,
into the built site). The runner's reference (config groups, metrics, command lines) is
generated at build time by ``_ext/runner_reference.py``; the tutorials are executed by myst-nb.

Build: ``python -m sphinx -W --keep-going -n -b html docs docs/_build/html``.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(DOCS / "_ext"))
# The executed tutorials run in a kernel that must import cleanlearn and runner from this tree.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
os.environ.setdefault("MPLBACKEND", "agg")

project = "cleanlearn"
author = "the cleanlearn developers"
copyright = "2026, the cleanlearn developers"  # noqa: A001
release = version = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
    "runner_reference",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
exclude_patterns = ["_build", "_generated", "**.ipynb_checkpoints", "jupyter_execute"]
templates_path = ["_templates"]

# -- autodoc / autosummary / numpydoc -------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": False}
autodoc_typehints = "none"  # numpydoc's Parameters section says the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# -- nitpicky without intersphinx: names of other projects are not ours to resolve ----------
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|pandas|pd|scipy|sklearn|joblib|dask|zarr|hydra|omegaconf|matplotlib|optuna|mlflow|torch|keras|cleanlab)(\..*)?"),
    # Private modules and functions named in the public modules' docstrings (not documented).
    (r"py:.*", r"(cleanlearn\._core|cleanlearn\.validation)(\..*)?|_\w+"),
    (r"py:.*", r"(array-like|array_like|ndarray|DataFrame|Series|optional|callable|Generator|RandomState|estimator|object|int|float|str|bool|dict|list|tuple|None|default.*|shape.*)"),
]

# -- MyST / myst-nb -------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
# Every build runs the tutorials (their outputs come from this code); NB_EXECUTION_MODE=cache
# reruns only the changed ones while editing the docs.
nb_execution_mode = os.environ.get("NB_EXECUTION_MODE", "force")
# Not executed (NB_EXECUTION_MODE=off, a quick -W -n check of the API pages), a notebook has no
# kernel to name its code's language, the one thing this warning reports: ignored then only.
suppress_warnings = ["myst-nb.lexer"] if nb_execution_mode == "off" else []
nb_execution_timeout = 300
nb_execution_raise_on_error = True  # a failing cell fails the build
nb_execution_show_tb = True
nb_merge_streams = True

# -- HTML -----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = "cleanlearn"
html_favicon = "_static/favicon.svg"  # else browsers ask the server for /favicon.ico
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "icon_links": [],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": []}
# Without a default mode the theme logs a console error on a reader's first visit.
html_context = {"default_mode": "auto"}
html_show_sourcelink = True
html_copy_source = True

# MathJax 3 (SVG output: one file, no web fonts) served from the site itself.
_mathjax = Path(str(importlib.metadata.distribution("django-static-mathjax").locate_file(
    "mathjax/static/mathjax/es5/tex-svg.js")))
html_js_files: list = []
html_extra_path: list = []
mathjax_path = "mathjax/tex-svg.js"


def _copy_mathjax(app, exception):
    if exception is None and app.builder.format == "html":
        target = Path(app.outdir) / "_static" / "mathjax"
        target.mkdir(parents=True, exist_ok=True)
        (target / "tex-svg.js").write_bytes(_mathjax.read_bytes())


def setup(app):
    app.connect("build-finished", _copy_mathjax)
