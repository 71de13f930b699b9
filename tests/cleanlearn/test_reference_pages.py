"""The library reference (docs/reference/) lists every public name, and each has an example.

Each public module's page is an autosummary list (one generated page per name); the list must
be the module's ``__all__``, so that a new public function gets its page or this test fails.
Each public function's docstring has a numpydoc ``Examples`` section (run as doctests by
``.ci/run``: ``python -m pytest --doctest-modules cleanlearn``) and says how it relates to
cleanlab 2.9, and its ``Parameters`` section names exactly the signature's parameters, in
order, followed by a ``Returns`` section. Plain text parsing: no Sphinx or numpydoc needed
(this folder also runs at the lowest declared versions).
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "docs" / "reference"
MODULES = {
    "count": "cleanlearn.count",
    "filter": "cleanlearn.filter",
    "rank": "cleanlearn.rank",
    "dataset": "cleanlearn.dataset",
    "classification": "cleanlearn.classification",
    "noise": "cleanlearn.noise",
    "multilabel_filter": "cleanlearn.multilabel_classification.filter",
    "multilabel_rank": "cleanlearn.multilabel_classification.rank",
    "multilabel_dataset": "cleanlearn.multilabel_classification.dataset",
}


def autosummary_names(page: Path) -> tuple[str, list[str]]:
    """(currentmodule, the names listed under its autosummary directive)."""
    text = page.read_text(encoding="utf-8")
    module = re.search(r"^\.\. currentmodule:: (\S+)$", text, flags=re.M).group(1)
    block = text.split(".. autosummary::", 1)[1]
    names = [line.strip() for line in block.splitlines()[1:]
             if line.startswith("   ") and line.strip() and not line.strip().startswith(":")]
    return module, names


@pytest.mark.parametrize("page", sorted(MODULES))
def test_each_reference_page_lists_exactly_the_modules_all(page):
    module, names = autosummary_names(REFERENCE / f"{page}.rst")
    assert module == MODULES[page]
    assert sorted(names) == sorted(importlib.import_module(module).__all__)
    assert f"\n{page}\n" in (REFERENCE / "index.md").read_text(encoding="utf-8")  # in the toctree


def test_every_public_module_of_the_library_has_a_page():
    pages = {autosummary_names(path)[0] for path in REFERENCE.glob("*.rst") if ".. autosummary::" in path.read_text()}
    assert pages == set(MODULES.values())
    # The package's own __all__: its submodules and re-exports of names documented there.
    package = importlib.import_module("cleanlearn.multilabel_classification")
    for name in package.__all__:
        value = getattr(package, name)
        if inspect.ismodule(value):
            assert value.__name__ in pages, name
        else:
            assert name in importlib.import_module(value.__module__).__all__, name
            assert value.__module__ in pages, name


PUBLIC = [(module, name) for module in MODULES.values() for name in importlib.import_module(module).__all__]


@pytest.mark.parametrize(("module", "name"), PUBLIC, ids=[f"{m}.{n}" for m, n in PUBLIC])
def test_each_public_name_has_a_runnable_example_and_its_cleanlab_difference(module, name):
    doc = inspect.getdoc(getattr(importlib.import_module(module), name))
    examples = doc.split("\nExamples\n--------\n", 1)
    assert len(examples) == 2, f"{module}.{name} has no Examples section"
    calls = [line for line in examples[1].splitlines() if line.startswith(">>> ") and f"{name}(" in line]
    assert calls, f"the Examples section of {module}.{name} never calls it"
    assert "cleanlab 2.9" in examples[0], f"{module}.{name} does not say how it relates to cleanlab 2.9"
    assert ":doc:`/reference/differences`" in examples[0]


def numpydoc_section(doc: str, title: str) -> str | None:
    """The body of a numpydoc section (up to the next underlined heading), or None."""
    match = re.search(rf"^{title}\n-{{{len(title)}}}\n(.*?)(?=^\S[^\n]*\n-+\n|\Z)", doc, flags=re.M | re.S)
    return None if match is None else match.group(1)


def documented_parameters(section: str) -> list[str]:
    """Names of a numpydoc Parameters section: unindented ``name : type`` lines (``a, b : t`` too)."""
    names = []
    for line in section.splitlines():
        if line and not line[0].isspace():
            names += [name.strip() for name in line.split(" : ", 1)[0].split(",")]
    return names


FUNCTIONS = [(module, name) for module, name in PUBLIC
             if inspect.isfunction(getattr(importlib.import_module(module), name))]


@pytest.mark.parametrize(("module", "name"), FUNCTIONS, ids=[f"{m}.{n}" for m, n in FUNCTIONS])
def test_each_public_function_documents_exactly_its_parameters_and_what_it_returns(module, name):
    function = getattr(importlib.import_module(module), name)
    doc = inspect.getdoc(function)
    section = numpydoc_section(doc, "Parameters")
    assert section is not None, f"{module}.{name} has no Parameters section"
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    signature = [p.name for p in inspect.signature(function).parameters.values() if p.kind not in variadic]
    assert documented_parameters(section) == signature, f"{module}.{name}: Parameters differ from the signature"
    assert numpydoc_section(doc, "Returns"), f"{module}.{name} has no Returns section"
    order = [doc.find(f"\n{title}\n") for title in ("Parameters", "Returns", "Notes", "Examples")]
    present = [position for position in order if position >= 0]
    assert present == sorted(present), f"{module}.{name}: sections out of numpydoc order"


def test_the_parameters_parser_reads_numpydoc_text():
    doc = "Summary.\n\nParameters\n----------\nx, y : int\n    Two.\nz : str, optional\n    Z.\n\nReturns\n-------\nint\n"
    assert documented_parameters(numpydoc_section(doc, "Parameters")) == ["x", "y", "z"]
    assert numpydoc_section(doc, "Returns") == "int\n"
    assert numpydoc_section(doc, "Notes") is None
