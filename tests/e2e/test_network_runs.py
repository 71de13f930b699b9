"""`python -m runner` with the network options, end to end (subprocess): same config, same bytes.

Reduced epochs keep each run to seconds; the defaults' own timing and accuracy are measured
in docs/guide/networks.md, not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner.core.layout import sweep_jobs

torch = pytest.importorskip("torch")  # the test extra installs it: this skip never fires in CI
pytest.importorskip("skorch")  # keras comes with the same test extra (importing it here would pick its backend)

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "runner", *args], cwd=REPO, capture_output=True, text=True,
                            timeout=600, env={**os.environ, "HYDRA_FULL_ERROR": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _job_dir(sweep_dir: Path, override: str) -> Path:
    """The one job dir of the sweep whose overrides include ``override``, found by its
    .hydra/overrides.yaml: a long cache_dir path makes the dir name end in a hash
    (runner.core.layout.job_dir_name), which may cut the classifier off the name."""
    [name] = [name for name, overrides in sweep_jobs(sweep_dir).items() if override in overrides]
    return sweep_dir / name


@pytest.mark.slow
def test_torch_cnn_on_digit_images_twice_gives_the_same_label_issues(tmp_path):
    overrides = ["dataset=digits", "dataset.as_images=true", "classifier=torch_cnn", "classifier.max_epochs=4",
                 "cache_dir=null"]
    for name in ("first", "second"):
        run_cli(*overrides, f"hydra.run.dir={tmp_path / name}")
    first, second = ((tmp_path / name / "label_issues.csv").read_bytes() for name in ("first", "second"))
    assert first == second
    log = (tmp_path / "first" / "runner.log").read_text()
    assert "images of shape (1, 8, 8)" in log and "TorchNetClassifier" in log
    metrics = json.loads((tmp_path / "first" / "metrics.json").read_text())
    assert metrics["issue_recall"] > 0.5 and metrics["test_accuracy_baseline"] > 0.6  # it learned the digits


@pytest.mark.slow
def test_torch_mlp_and_keras_mlp_on_digit_features_rerun_to_the_same_bytes(tmp_path):
    # One sweep per rerun: both options in one process; own caches, so nothing is reused.
    for name in ("first", "second"):
        run_cli("-m", "classifier=torch_mlp,keras_mlp", "classifier.max_epochs=4", "cleanlearning.cv_n_folds=3",
                f"hydra.sweep.dir={tmp_path / name}", f"cache_dir={tmp_path / name / 'cache'}")
    for option in ("torch_mlp", "keras_mlp"):
        first, second = (_job_dir(tmp_path / name, f"classifier={option}") for name in ("first", "second"))
        assert (first / "label_issues.csv").read_bytes() == (second / "label_issues.csv").read_bytes(), option
        metrics = json.loads((first / "metrics.json").read_text())
        assert metrics["test_accuracy_baseline"] > 0.8 and metrics["issue_recall"] > 0.5, (option, metrics)
    # The cached pred_probs record where and with what they were computed.
    manifests = [json.loads(path.read_text()) for path in (tmp_path / "first" / "cache").rglob("manifest.json")]
    runtimes = [m["runtime"] for m in manifests if m["kind"] == "cv_pred_probs"]
    assert len(runtimes) == 2
    for runtime in runtimes:
        [(target, identity)] = runtime.items()
        device = "cuda" if torch.cuda.is_available() else "cpu"  # device: auto
        assert target.startswith("runner.model.") and identity["device"] == device and identity["threads"] == 1
        assert "torch" in identity["versions"]
