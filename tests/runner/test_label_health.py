"""The run's label health files: class_health.csv, overlapping_classes.csv, label_health_score.

Recomputed independently from the run's own files (label_issues.csv, confident_joint.csv)
with cleanlab.dataset 2.9.0, the reference.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from cleanlab import dataset as reference
from hydra import compose, initialize_config_dir

from runner.config import register_configs, validate_config
from runner.experiment.pipeline import run

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"

register_configs()


def _run(tmp_path, *overrides):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=["cache_dir=null", "dataset=iris", "cleanlearning.cv_n_folds=3", *overrides])
    validate_config(cfg)
    return run(cfg, tmp_path), tmp_path


def test_health_files_match_the_reference_on_the_runs_own_estimates(tmp_path):
    metrics, out_dir = _run(tmp_path, "noise.rate=0.3")
    issues = pd.read_csv(out_dir / "label_issues.csv")
    confident_joint_frame = pd.read_csv(out_dir / "confident_joint.csv", index_col=0)
    confident_joint = confident_joint_frame.to_numpy()
    classes = np.array([int(c) for c in confident_joint_frame.columns])
    codes = np.searchsorted(classes, issues["given_label"].to_numpy())

    expected = reference.health_summary(
        labels=codes, confident_joint=confident_joint, class_names=list(classes), verbose=False
    )
    class_health = pd.read_csv(out_dir / "class_health.csv")
    pd.testing.assert_frame_equal(class_health, expected["classes_by_label_quality"], check_exact=False, rtol=1e-9)
    overlapping = pd.read_csv(out_dir / "overlapping_classes.csv")
    pd.testing.assert_frame_equal(overlapping, expected["overlapping_classes"], check_exact=False, rtol=1e-9)
    assert len(overlapping) == 3  # iris: 3 classes, 3 unordered pairs
    assert metrics["label_health_score"] == expected["overall_label_health_score"]
    assert 0 < metrics["label_health_score"] <= 1
    # More noise, lower health (a property the score must have on the same data and seed).
    clean_metrics, _ = _run(tmp_path / "less", "noise.rate=0.05")
    assert clean_metrics["label_health_score"] > metrics["label_health_score"]
