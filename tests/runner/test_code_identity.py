"""Code identity is the static import closure of the config's dotted paths (runner.core.code_identity):
a helper two imports away, an import inside a method, a relative import, a class given as a
parameter and a literal importlib call all count; the stdlib and installed distributions stop
the walk; nothing is imported to find it."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import sklearn

import runner.core.code_identity as code_identity_module
from runner.core.cache import ArrayCache
from runner.core.code_identity import code_identity, dotted_paths

REPO = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def sha(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def user_code(tmp_path, monkeypatch):
    """myclf -> helper -> constants (two imports away); a package with relative and lazy imports."""
    root = tmp_path / "code"
    write(root / "myclf.py", """
        import helper
        from sklearn.linear_model import LogisticRegression

        class MyClassifier(LogisticRegression):
            def fit(self, X, y, sample_weight=None):
                return super().fit(X * helper.scale(), y)
        """)
    write(root / "helper.py", "from constants import SCALE\n\ndef scale():\n    return SCALE\n")
    write(root / "constants.py", "SCALE = 1.0\n")
    write(root / "userpkg/__init__.py", "")
    write(root / "userpkg/nets.py", """
        from . import layers
        from .. import nothing_above  # noqa: a relative import past the top: ignored

        class Net:
            def forward(self):
                import userpkg.lazy  # imported inside a method, after any cache lookup
                import importlib
                importlib.import_module("userpkg.plugin")
                return layers.WIDTH
        """)
    write(root / "userpkg/layers.py", "WIDTH = 8\n")
    write(root / "userpkg/lazy.py", "import json\nimport numpy\n")
    write(root / "userpkg/plugin.py", "")
    write(root / "userpkg/unused.py", "")
    monkeypatch.syspath_prepend(str(root))
    return root


def test_a_helper_two_imports_away_is_in_the_identity(user_code):
    key = {"classifier": {"_target_": "myclf.MyClassifier", "C": 1.0}}
    identity = code_identity(key)
    assert identity["myclf"] == sha(user_code / "myclf.py")
    assert identity["helper"] == sha(user_code / "helper.py")
    assert identity["constants"] == sha(user_code / "constants.py")
    assert identity["sklearn"] == f"scikit-learn=={sklearn.__version__}"  # the walk stops there
    assert not any(name.startswith("sklearn.") for name in identity)
    assert "myclf" not in sys.modules  # found by reading, not importing

    before = ArrayCache(None).key_hash("cv_pred_probs", key)
    write(user_code / "constants.py", "SCALE = 2.0\n")  # same size, same second: still a new key
    assert ArrayCache(None).key_hash("cv_pred_probs", key) != before


def test_imports_inside_functions_relative_and_literal_importlib_count(user_code):
    # a class given as a parameter by its path (a skorch module=), beside a _target_
    identity = code_identity({"classifier": {"_target_": "sklearn.linear_model.LogisticRegression",
                                             "module": "userpkg.nets.Net"}})
    assert {"userpkg", "userpkg.nets", "userpkg.layers", "userpkg.lazy", "userpkg.plugin"} <= set(identity)
    assert "userpkg.unused" not in identity  # not imported by anything reachable
    assert identity["numpy"] == f"numpy=={np.__version__}" and "json" not in identity  # the stdlib is not listed


def test_an_imported_module_found_nowhere_is_recorded_absent(user_code):
    write(user_code / "optional.py", "try:\n    import not_installed_anywhere\nexcept ImportError:\n    pass\n")
    assert code_identity({"x": {"_target_": "optional.f"}})["not_installed_anywhere"] == "absent"


def test_the_reused_closure_follows_edits_new_imports_and_modules_that_appear(user_code):
    """A process reuses the last walk while the files' bytes are the same: an edit that adds an
    import, and an absent module that appears, still give the identity a fresh walk gives."""
    key = {"x": {"_target_": "optional.f"}}
    write(user_code / "optional.py", "try:\n    import appears_later\nexcept ImportError:\n    pass\n")
    first = code_identity(key)
    assert first["appears_later"] == "absent" and code_identity(key) == first
    write(user_code / "appears_later.py", "")
    assert code_identity(key)["appears_later"] == sha(user_code / "appears_later.py")
    write(user_code / "optional.py", "import appears_later\nimport helper\n")
    assert {"helper", "constants"} <= set(code_identity(key))
    reused = code_identity(key)
    code_identity_module._CLOSURES.clear()  # a fresh walk
    assert code_identity(key) == reused


def test_dotted_paths_are_targets_and_class_valued_parameters_not_numbers_or_file_names():
    key = {"classifier": {"_target_": "a.b.C", "steps": [["s", {"_target_": "d.E"}]], "module": "f.G",
                          "loss": "log_loss", "path": "data/x.csv", "rate": "0.1"}}
    assert sorted(dotted_paths(key)) == ["a.b.C", "d.E", "f.G"]


def test_the_project_source_is_hashed_file_by_file():
    identity = code_identity({}, roots=["cleanlearn", "runner.experiment.pipeline"])
    library = REPO / "cleanlearn" / "filter.py"
    assert identity["cleanlearn.filter"] == sha(library)
    assert identity["runner.experiment.pipeline"] == sha(REPO / "runner" / "experiment" / "pipeline.py")
    assert identity["runner.model.preprocessing"].startswith("sha256:")


CACHE_LINE = re.compile(r"cache (hit|miss): cv_pred_probs")


@pytest.mark.slow
def test_editing_a_helper_two_imports_away_between_two_runs_recomputes(user_code, tmp_path):
    """Issue 19, case 1: the helper's edit used to be a cache hit mixing old and new code."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(user_code), os.environ.get("PYTHONPATH")]))}

    def run(name: str) -> tuple[str, bytes]:
        run_dir = tmp_path / name
        result = subprocess.run(
            [sys.executable, "-m", "runner", f"hydra.run.dir={run_dir}", f"cache_dir={tmp_path / 'cache'}",
             "experiment=quick", "classifier=custom", "classifier._target_=myclf.MyClassifier"],
            cwd=REPO, capture_output=True, text=True, timeout=300, env=env,
        )
        assert result.returncode == 0, result.stderr
        return CACHE_LINE.search((run_dir / "runner.log").read_text()).group(1), (run_dir / "label_issues.csv").read_bytes()

    assert run("first")[0] == "miss"
    same, same_bytes = run("same code")
    assert same == "hit"
    write(user_code / "constants.py", "SCALE = 0.001\n")
    edited, edited_bytes = run("edited helper")
    assert edited == "miss"
    assert edited_bytes != same_bytes  # the new code's pred_probs, not the old ones
