"""The metrics of a run that score the label-issue detection, and which way each one is better.

``detection_metrics(is_true_error, is_label_issue, label_quality)`` needs only the true-error
mask, not the true classes: a dataset that says which labels are wrong (a manual audit) is
scored the same way as injected noise. With ``e`` the mask and ``q`` the label quality
(lower = more likely wrong):

    metric                          definition                                        absent when
    true_noise_rate                 mean(e)
    issue_precision                 precision of the flagged set against e
    issue_recall, issue_f1          recall and F1 of the flagged set                   no error
    issue_auprc                     average_precision_score(e, -q)                     no error
    issue_auroc                     roc_auc_score(e, -q)                               no or all errors
    issue_lift_at_num_errors        mean(e[lowest k of q]) / mean(e), k = sum(e)       no or all errors
    issue_lift_at_100               the same with k = 100                              also N < 100
    issue_precision_at_num_errors   mean(e[lowest k of q]), k = sum(e)                 no error
    n_label_issues_minus_true       sum(flagged) - sum(e)

AUROC, lift at k and precision at k are the measures of Kuan & Mueller (2022), "Model-agnostic
label quality scoring to detect real-world label errors". The k lowest scores are taken with
a stable sort, so tied scores are taken in row order (the first rows first).

Their definitions (direction, meaning) are registered below, next to the code.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_fscore_support, roc_auc_score

from runner.scoring.metrics import HIGHER, ZERO, Metric, register

__all__ = ["detection_metrics", "lift_at_k", "lowest_k", "precision_at_k"]

register(
    Metric("true_noise_rate", None, "fraction of training labels that are truly wrong (the injected noise "
           "actually changed them, or the known error mask)", labels="true", rank=20),
    Metric("issue_precision", HIGHER, "fraction of the flagged examples that are true errors", labels="true",
           rank=30),
    Metric("issue_recall", HIGHER, "fraction of the true errors that are flagged", labels="true", rank=31),
    Metric("issue_f1", HIGHER, "harmonic mean of issue precision and recall", labels="true", rank=32),
    Metric("issue_auprc", HIGHER, "average precision of `label_quality` as a ranking of the true errors "
           "(threshold-free): `average_precision_score(e, -q)`", labels="true", rank=33),
    Metric("issue_auroc", HIGHER, "ROC AUC of the same ranking: `roc_auc_score(e, -q)`; 0.5 = chance "
           "(absent when no or every label is wrong)", labels="true", rank=34),
    Metric("issue_lift_at_num_errors", HIGHER, "`mean(e[lowest k of q]) / mean(e)` with k = `sum(e)`, the "
           "number of true errors; 1 = chance (absent as AUROC)", labels="true", rank=35),
    Metric("issue_lift_at_100", HIGHER, "the same with k = 100 (absent below 100 examples)", labels="true",
           rank=36),
    Metric("issue_precision_at_num_errors", HIGHER, "`mean(e[lowest k of q])`, k = `sum(e)`: the fraction of "
           "true errors among the k worst-scored labels", labels="true", rank=37),
    Metric("n_label_issues_minus_true", ZERO, "`sum(flagged) - sum(e)`: how well the amount of noise is "
           "estimated (best: 0)", labels="true", rank=38),
)


def detection_metrics(is_true_error, is_label_issue, label_quality) -> dict[str, float | int]:
    """How well the flagged examples and the label quality ranking find the true errors.

    is_true_error, is_label_issue: (n_examples,) bool; label_quality: (n_examples,) float.
    """
    is_true_error = _bool_vector(is_true_error, "is_true_error")
    is_label_issue = _bool_vector(is_label_issue, "is_label_issue")
    label_quality = np.asarray(label_quality, dtype=float)
    n_examples = is_true_error.shape[0]
    if is_label_issue.shape != (n_examples,) or label_quality.shape != (n_examples,):
        raise ValueError(
            f"is_true_error, is_label_issue and label_quality must have the same length; got "
            f"{n_examples}, {is_label_issue.shape[0]} and {label_quality.shape[0]}"
        )
    if np.isnan(label_quality).any():
        raise ValueError(f"label_quality must not contain NaN; got {int(np.isnan(label_quality).sum())} NaN")

    n_true_errors = int(is_true_error.sum())
    precision, recall, f1, _ = precision_recall_fscore_support(
        is_true_error, is_label_issue, average="binary", zero_division=0.0
    )
    metrics: dict[str, float | int] = {
        "true_noise_rate": float(is_true_error.mean()) if n_examples else 0.0,
        "issue_precision": float(precision),
        "n_label_issues_minus_true": int(is_label_issue.sum()) - n_true_errors,
    }
    if n_true_errors == 0:  # recall, F1 and every ranking measure are undefined
        return metrics
    metrics["issue_recall"] = float(recall)
    metrics["issue_f1"] = float(f1)
    # Low label quality = likely error, so the ranking score is -label_quality.
    metrics["issue_auprc"] = float(average_precision_score(is_true_error, -label_quality))
    metrics["issue_precision_at_num_errors"] = precision_at_k(is_true_error, label_quality, n_true_errors)
    if n_true_errors < n_examples:  # both classes present
        metrics["issue_auroc"] = float(roc_auc_score(is_true_error, -label_quality))
        metrics["issue_lift_at_num_errors"] = lift_at_k(is_true_error, label_quality, n_true_errors)
        if n_examples >= 100:
            metrics["issue_lift_at_100"] = lift_at_k(is_true_error, label_quality, 100)
    return metrics


def lowest_k(label_quality, k: int) -> np.ndarray:
    """Row positions of the k lowest scores; ties in row order (stable sort)."""
    label_quality = np.asarray(label_quality, dtype=float)
    if not 1 <= k <= label_quality.shape[0]:
        raise ValueError(f"k must be in [1, {label_quality.shape[0]}] (the number of examples); got {k}")
    return np.argsort(label_quality, kind="stable")[:k]


def precision_at_k(is_true_error, label_quality, k: int) -> float:
    """Fraction of true errors among the k examples with the lowest label quality."""
    is_true_error = _bool_vector(is_true_error, "is_true_error")
    return float(is_true_error[lowest_k(label_quality, k)].mean())


def lift_at_k(is_true_error, label_quality, k: int) -> float:
    """precision_at_k divided by the overall true-error rate (1 = no better than chance)."""
    is_true_error = _bool_vector(is_true_error, "is_true_error")
    rate = is_true_error.mean()
    if rate == 0:
        raise ValueError("lift is undefined without any true error (is_true_error is all False)")
    return float(precision_at_k(is_true_error, label_quality, k) / rate)


def _bool_vector(values, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {array.shape}")
    if array.dtype != bool:
        if not np.isin(array, (0, 1)).all():
            raise ValueError(f"{name} must be a boolean mask; got values {np.unique(array)[:5].tolist()}")
        array = array.astype(bool)
    return array
