"""The architecture contract (pyproject.toml's [tool.importlinter], run by `lint-imports` in
.ci/run) bites: on a copy of the packages, a deliberate violation breaks it.

Each case copies cleanlearn/ and runner/ to a temporary dir, adds one import (inside a
function: lazy imports count too) and runs lint-imports on the copy with the project's own
contracts; the unchanged copy keeps the runner's contracts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def copy_tree(tmp_path: Path) -> Path:
    root = tmp_path / "copy"
    for package in ("cleanlearn", "runner"):
        shutil.copytree(REPO / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def lint(root: Path, *contracts: str) -> subprocess.CompletedProcess:
    command = [str(LINT_IMPORTS), "--no-cache", "--no-logo", *(f"--contract={c}" for c in contracts)]
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=300)


def add_lazy_import(path: Path, statement: str) -> None:
    """Append a function whose body imports (a lazy import, as most of the library's cycle was)."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"\n\ndef _deliberate_violation():\n    {statement}  # noqa\n")


def test_the_runner_contracts_hold_on_an_unchanged_copy(tmp_path):
    result = lint(copy_tree(tmp_path), "runner-acyclic", "runner-layers")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_a_cycle_between_runner_subpackages_breaks_the_acyclic_and_layers_contracts(tmp_path):
    root = copy_tree(tmp_path)
    add_lazy_import(root / "runner" / "core" / "io.py", "from runner.report import html")  # core -> report -> core
    result = lint(root, "runner-acyclic", "runner-layers")
    assert result.returncode == 1
    assert "No import cycle between the sibling modules and subpackages of runner BROKEN" in result.stdout
    assert "runner's layers import downwards only BROKEN" in result.stdout
    assert "runner.core.io -> runner.report.html" in result.stdout


@pytest.mark.parametrize(("importer", "statement"), [
    ("runner/experiment/pipeline.py", "from runner.job import lifecycle"),  # experiment never imports job
    ("runner/results/tables.py", "from runner.job.lifecycle import run_job"),  # results never the job lifecycle
    ("runner/report/run.py", "import runner.job.lifecycle"),
])
def test_an_upward_import_breaks_the_layers_contract(tmp_path, importer, statement):
    root = copy_tree(tmp_path)
    add_lazy_import(root / importer, statement)
    result = lint(root, "runner-layers")
    assert result.returncode == 1
    assert "runner's layers import downwards only BROKEN" in result.stdout


def test_the_library_contracts_refuse_runner_hydra_and_filter_from_count(tmp_path):
    root = copy_tree(tmp_path)
    add_lazy_import(root / "cleanlearn" / "rank.py", "import omegaconf")
    add_lazy_import(root / "cleanlearn" / "noise.py", "from runner.core import io")
    add_lazy_import(root / "cleanlearn" / "count.py", "from cleanlearn.filter import find_label_issues")
    result = lint(root, "library-stands-alone", "count-below-filter")
    assert result.returncode == 1
    assert "cleanlearn never imports the runner, Hydra or OmegaConf BROKEN" in result.stdout
    assert "cleanlearn.rank -> omegaconf" in result.stdout and "cleanlearn.noise -> runner.core.io" in result.stdout
    assert "cleanlearn.count never imports cleanlearn.filter" in result.stdout
    assert "cleanlearn.count -> cleanlearn.filter" in result.stdout


def test_a_cycle_inside_the_library_breaks_its_acyclic_contract(tmp_path):
    root = copy_tree(tmp_path)
    add_lazy_import(root / "cleanlearn" / "validation.py", "from cleanlearn import rank")
    add_lazy_import(root / "cleanlearn" / "rank.py", "from cleanlearn import validation")
    result = lint(root, "cleanlearn-acyclic")
    assert result.returncode == 1
    assert "No import cycle between the sibling modules and subpackages of cleanlearn BROKEN" in result.stdout
