"""Per-run label health: class_health.csv, overlapping_classes.csv and label_health_score.

Computed with :mod:`cleanlearn.dataset` from the run's given labels and the confident joint
that CleanLearning estimated (the one written to confident_joint.csv), i.e. the reference's
``health_summary(labels=..., confident_joint=...)`` call form, with the dataset's own label
values as class names.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cleanlearn import dataset
from runner.core.io import atomic_write_csv

HEALTH_FILES = ("class_health.csv", "overlapping_classes.csv")


def write_label_health(
    out_dir: Path, given_labels: np.ndarray, confident_joint: np.ndarray, classes: np.ndarray, *, float_format: str
) -> float:
    """Write class_health.csv (classes, lowest label quality first) and overlapping_classes.csv
    (pairs of classes, most confused first) into ``out_dir``; return the label health score."""
    summary = dataset.health_summary(
        labels=given_labels, confident_joint=confident_joint, class_names=list(classes), verbose=False
    )
    atomic_write_csv(out_dir / "class_health.csv", summary["classes_by_label_quality"], float_format=float_format)
    atomic_write_csv(out_dir / "overlapping_classes.csv", summary["overlapping_classes"], float_format=float_format)
    return float(summary["overall_label_health_score"])
