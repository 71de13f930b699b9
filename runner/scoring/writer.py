"""The per-run output writer: label_issues.csv, the matrices (CSV and PNG), label health, and
the metrics scored from them.

``write_and_score(out_dir, outcome, ...)`` is the last stage of every run (with features or on
precomputed pred_probs): :class:`RunOutcome` carries what the run found, and the detection is
scored where the true errors are known (runner.scoring.metrics.detection).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from runner.core.cache import ArrayCache
from runner.core.io import atomic_write_bytes, atomic_write_csv
from runner.scoring.health import write_label_health
from runner.scoring.matrices import matrices_png
from runner.scoring.metrics.detection import detection_metrics

__all__ = ["FLOAT_FORMAT", "RunOutcome", "write_and_score"]

# label_issues.csv is compared byte for byte between reruns: fix the float text.
FLOAT_FORMAT = "%.10g"


@dataclasses.dataclass(frozen=True)
class RunOutcome:
    """What a run found, for :func:`write_and_score`.

    ``given_labels``, ``true_labels`` and ``label_errors``: (n_examples,) per examined example,
    labels as class indices into ``classes``; ``index``: each example's row in the original
    dataset; ``true_noise_matrix``: (K, K) P(given = i | true = j) when known;
    ``extra_columns``: label_issues.csv columns after the results (ids, the example's features).
    """

    clean_learning: Any  # fitted: label issues found
    label_issues: pd.DataFrame
    classes: np.ndarray
    given_labels: np.ndarray
    index: np.ndarray
    true_labels: np.ndarray | None = None
    true_noise_matrix: np.ndarray | None = None
    label_errors: np.ndarray | None = None
    extra_columns: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)


def write_and_score(out_dir: Path, outcome: RunOutcome, *, metrics: dict[str, Any], cache: ArrayCache,
                    matrices_title: str) -> dict[str, Any]:
    """Write label_issues.csv, the matrices (CSV and PNG); return ``metrics`` completed.

    The detection is scored where the true errors are known: from the true labels, else from
    a known error mask ``label_errors`` (then without the noise-matrix error).
    ``matrices_title`` titles matrices.png (and keys its cache entry).
    """
    clean_learning, label_issues, classes = outcome.clean_learning, outcome.label_issues, outcome.classes
    given_labels, true_labels, index = outcome.given_labels, outcome.true_labels, outcome.index
    true_noise_matrix, label_errors = outcome.true_noise_matrix, outcome.label_errors
    n_examples, n_classes = given_labels.shape[0], len(classes)
    is_label_issue = label_issues["is_label_issue"].to_numpy(dtype=bool)
    label_quality = label_issues["label_quality"].to_numpy(dtype=float)

    # label_issues.csv: one row per examined example, `index` its row in the original dataset.
    columns = {
        "index": index,
        "is_label_issue": is_label_issue,
        "label_quality": label_quality,
        "given_label": classes[given_labels],
        "predicted_label": classes[label_issues["predicted_label"].to_numpy(dtype=np.int64)],
    }
    if "sample_weight" in label_issues.columns:
        columns["sample_weight"] = label_issues["sample_weight"].to_numpy(dtype=float)
    is_true_error = None if label_errors is None else np.asarray(label_errors, dtype=bool)
    if true_labels is not None:
        is_true_error = given_labels != true_labels
        columns["true_label"] = classes[true_labels]
    if is_true_error is not None:
        columns["is_true_error"] = is_true_error
    for name, values in outcome.extra_columns.items():
        columns[name if name not in columns else f"feature_{name}"] = values
    # Most likely wrong first; ties by original row, so reruns give the same bytes.
    order = np.lexsort((index, label_quality))
    table = pd.DataFrame(columns).iloc[order]
    atomic_write_csv(out_dir / "label_issues.csv", table, float_format=FLOAT_FORMAT)

    # Matrices: rows are the given label, columns the true label.
    confident_joint = _fitted(clean_learning, "confident_joint")
    noise_matrix = _fitted(clean_learning, "noise_matrix")
    class_prior = _fitted(clean_learning, "py")  # estimated P(true label = k)
    matrices = {"confident joint": confident_joint, "estimated noise matrix": noise_matrix}
    if true_noise_matrix is not None:
        matrices["true noise matrix"] = true_noise_matrix
    frames = {title: _matrix_frame(matrix, classes) for title, matrix in matrices.items()}
    for title, file_name in (("confident joint", "confident_joint.csv"),
                             ("estimated noise matrix", "noise_matrix.csv"),
                             ("true noise matrix", "true_noise_matrix.csv")):
        if title in frames:
            atomic_write_csv(
                out_dir / file_name, frames[title], index=True, index_label="given_label/true_label",
                float_format=FLOAT_FORMAT,
            )
    figure = matrices_png(frames, cache, matrices_title)
    atomic_write_bytes(out_dir / "matrices.png", figure["png"])
    atomic_write_bytes(out_dir / "matrices.pdf", figure["pdf"])
    health_score = write_label_health(out_dir, given_labels, confident_joint, classes, float_format=FLOAT_FORMAT)

    metrics = {
        "n_examples": int(n_examples),
        "n_classes": int(n_classes),
        "n_label_issues": int(is_label_issue.sum()),
        **metrics,
        # P(given != true) under the estimated joint: 1 - sum_k P(given=k | true=k) P(true=k).
        "estimated_noise_rate": float(1 - np.sum(np.diag(noise_matrix) * class_prior)),
        "label_health_score": health_score,  # trace of the estimated joint (runner/scoring/health.py)
    }
    if is_true_error is not None:
        metrics.update(detection_metrics(is_true_error, is_label_issue, label_quality))
    if true_noise_matrix is not None:
        metrics["noise_matrix_error"] = float(np.mean(np.abs(noise_matrix - true_noise_matrix)))
    return metrics


def _fitted(clean_learning, name: str) -> np.ndarray:
    """A fitted attribute: scikit-learn style ``name_``, else the reference's ``name``."""
    value = getattr(clean_learning, f"{name}_", None)
    if value is None:
        value = getattr(clean_learning, name, None)
    if value is None:
        raise RuntimeError(f"CleanLearning has no fitted {name}_ after finding label issues")
    return np.asarray(value)


def _matrix_frame(matrix: np.ndarray, classes: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        matrix,
        index=pd.Index(classes, name="given label"),
        columns=pd.Index(classes, name="true label"),
    )


