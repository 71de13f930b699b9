"""The multi-label COUNT half: thresholds, one-vs-rest confident joints, their calibration,
the joint and the number of issues, as ``cleanlab.count`` 2.9.0 computes them with
``multi_label=True``.

cleanlab treats a multi-label dataset with K classes as K independent binary problems (see
:mod:`cleanlearn._core.multilabel.binary`) and runs its single-label functions on each. Here
each binary problem is solved in closed form on one contiguous row of the transposed
pred_probs; the loop runs over classes, all work inside it is vectorised over examples.

What :mod:`cleanlearn.count` calls with ``multi_label=True``. Never imports a filter: the
number of issues is counted here, from the binary problems' confident joints
(:func:`cleanlearn._core.multilabel.binary.binary_issues`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cleanlearn._core.confident_joint import calibrate_confident_joint as calibrate_binary_joint
from cleanlearn._core.constants import TINY_VALUE
from cleanlearn._core.multilabel.binary import (
    binary_confident_joint,
    binary_guesses,
    binary_issues,
    binary_thresholds,
    label_counts,
)
from cleanlearn._core.multilabel.inputs import check_multilabel_inputs, check_multilabel_labels
from cleanlearn._core.validation import validate_params


def get_confident_thresholds(labels: Any, pred_probs: Any) -> np.ndarray:
    """``(K, 2)`` float64: row k holds the thresholds of class k's binary problem."""
    labels_by_class, probs_by_class = check_multilabel_inputs(labels, pred_probs)
    thresholds = np.empty((probs_by_class.shape[0], 2))
    for k, (has_class, p) in enumerate(zip(labels_by_class, probs_by_class, strict=True)):
        thresholds[k] = binary_thresholds(has_class, p, 1 - p)
    return thresholds


def checked_multilabel_thresholds(thresholds: Any, n_classes: int) -> np.ndarray:
    """Thresholds as a (K, 2) array: (K, 2) is one pair per class (as
    :func:`get_confident_thresholds` returns them); a pair of shape (2,) applies to every
    class, which is what the reference does with any thresholds it accepts. The dtype is
    kept (float32 thresholds are compared in float32, as in the reference)."""
    array = np.asarray(thresholds)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"thresholds must be numeric; got dtype {array.dtype}.")
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    if array.shape == (2,):
        array = np.broadcast_to(array, (n_classes, 2))
    if array.shape != (n_classes, 2):
        raise ValueError(
            f"thresholds must have shape ({n_classes}, 2) (one pair per class, as "
            f"get_confident_thresholds(..., multi_label=True) returns) or (2,); got {np.shape(thresholds)}."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError("thresholds must be finite.")
    return array


def compute_confident_joint(
    labels: Any,
    pred_probs: Any,
    *,
    thresholds: Any = None,
    calibrate: bool = True,
    return_indices_of_off_diagonals: bool = False,
):
    """``(K, 2, 2)`` int64 one-vs-rest confident joint (and, when asked, the list of K
    index arrays of the examples counted off each class's diagonal)."""
    validate_params(
        {
            "calibrate": calibrate,
            "return_indices_of_off_diagonals": return_indices_of_off_diagonals,
        },
        {"calibrate": ["boolean"], "return_indices_of_off_diagonals": ["boolean"]},
        caller="compute_confident_joint",
    )
    labels_by_class, probs_by_class = check_multilabel_inputs(labels, pred_probs)
    if thresholds is not None:
        thresholds = checked_multilabel_thresholds(thresholds, probs_by_class.shape[0])
    confident_joint, off_diagonal = confident_joints(
        labels_by_class, probs_by_class, thresholds=thresholds, calibrate=calibrate
    )
    if return_indices_of_off_diagonals:
        return confident_joint, off_diagonal
    return confident_joint


def confident_joints(
    labels_by_class: np.ndarray,
    probs_by_class: np.ndarray,
    *,
    thresholds=None,
    calibrate: bool = True,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each class's 2x2 confident joint, stacked, and its off-diagonal example indices."""
    n_classes = probs_by_class.shape[0]
    confident_joint = np.empty((n_classes, 2, 2), dtype=np.int64)
    off_diagonal = []
    for k, (has_class, p) in enumerate(zip(labels_by_class, probs_by_class, strict=True)):
        not_p = 1 - p
        class_thresholds = (
            binary_thresholds(has_class, p, not_p) if thresholds is None else thresholds[k]
        )
        counted, guess_in = binary_guesses(p, not_p, class_thresholds)
        confident_joint[k] = binary_confident_joint(
            has_class, counted, guess_in, calibrate=calibrate
        )
        off_diagonal.append(np.flatnonzero(counted & (guess_in != has_class)))
    return confident_joint, off_diagonal


def checked_multilabel_joint(
    confident_joint: Any, n_classes: int | None, name: str = "confident_joint"
) -> np.ndarray:
    """A (K, 2, 2) array of finite, non-negative numbers."""
    array = np.asarray(confident_joint)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a numeric (K, 2, 2) array; got dtype {array.dtype}.")
    expected = "(K, 2, 2)" if n_classes is None else f"({n_classes}, 2, 2)"
    if (
        array.ndim != 3
        or array.shape[1:] != (2, 2)
        or (n_classes is not None and array.shape[0] != n_classes)
    ):
        raise ValueError(
            f"{name} must have shape {expected} in multi-label classification (one 2x2 one-vs-rest "
            f"joint per class, as compute_confident_joint(..., multi_label=True) returns); got shape {array.shape}."
        )
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must hold finite, non-negative counts.")
    return array


def calibrate_confident_joint(confident_joint: Any, labels: Any) -> np.ndarray:
    """Calibrate each class's 2x2 joint to its binary label counts: ``(K, 2, 2)`` int64.

    K is the confident joint's; the reference takes it from the number of distinct classes
    in ``labels`` instead (a class without examples shifts or drops the others' joints).
    """
    confident_joint = checked_multilabel_joint(confident_joint, None)
    labels_by_class = check_multilabel_labels(labels, n_classes=confident_joint.shape[0])
    calibrated = np.empty(confident_joint.shape, dtype=np.int64)
    for k, has_class in enumerate(labels_by_class):
        calibrated[k] = calibrate_binary_joint(confident_joint[k], label_counts(has_class))
    return calibrated


def estimate_joint(
    labels: Any, pred_probs: Any = None, *, confident_joint: Any = None
) -> np.ndarray:
    """``(K, 2, 2)`` float64: each class's calibrated joint divided by its sum.

    As in the reference, the joint (computed calibrated, or the one given) is calibrated to
    the label counts once more before normalising.
    """
    if confident_joint is None:
        labels_by_class, probs_by_class = check_multilabel_inputs(labels, pred_probs)
        confident_joint, _ = confident_joints(labels_by_class, probs_by_class, calibrate=True)
    elif pred_probs is not None:  # (pred_probs only gives K here)
        labels_by_class, probs_by_class = check_multilabel_inputs(labels, pred_probs)
        confident_joint = checked_multilabel_joint(confident_joint, probs_by_class.shape[0])
    else:
        confident_joint = checked_multilabel_joint(confident_joint, None)
        labels_by_class = check_multilabel_labels(labels, n_classes=confident_joint.shape[0])
    joint = np.empty(confident_joint.shape)
    for k, has_class in enumerate(labels_by_class):
        calibrated = calibrate_binary_joint(confident_joint[k], label_counts(has_class))
        joint[k] = calibrated / np.clip(float(np.sum(calibrated)), a_min=TINY_VALUE, a_max=None)
    return joint


def num_label_issues(labels: Any, pred_probs: Any) -> int:
    """Examples with a confident_learning issue in at least one class (the reference's
    multi-label count, whatever the estimation method): what
    ``find_label_issues(filter_by="confident_learning", multi_label=True)`` flags."""
    labels_by_class, probs_by_class = check_multilabel_inputs(labels, pred_probs)
    is_issue = np.zeros(labels_by_class.shape[1], dtype=bool)
    for has_class, p in zip(labels_by_class, probs_by_class, strict=True):
        is_issue |= binary_issues(has_class, p, 1 - p)
    return int(np.count_nonzero(is_issue))
