"""One class of a multi-label dataset as cleanlab 2.9.0 sees it: a binary problem.

For class k, the binary label of example i is whether k is among ``labels[i]`` ("in", binary
class 1; otherwise "out", binary class 0) and its predicted probabilities are
``(1 - p[i, k], p[i, k])``. The reference runs its single-label functions on that (N, 2)
array; with two classes each of their steps has a closed form on the column ``p`` and its
complement ``not_p = 1 - p``, computed here with the reference's expressions on arrays of the
same values, order and dtype (float32 stays float32), so that thresholds, counts, selected
examples (ties included) and scores are identical.
"""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

from cleanlearn._core.confident_joint import calibrate_confident_joint
from cleanlearn._core.constants import (
    CLIPPING_LOWER_BOUND,
    CONFIDENT_THRESHOLDS_LOWER_BOUND,
    FLOATING_POINT_COMPARISON,
    MISSING_CLASS_THRESHOLD,
)

__all__ = [
    "binary_confident_joint",
    "binary_guesses",
    "binary_issues",
    "binary_near_given",
    "binary_off_diagonal",
    "binary_scores",
    "binary_thresholds",
    "label_counts",
]


def label_counts(has_class: np.ndarray) -> np.ndarray:
    """``[examples without the class, examples with it]``, the binary label counts."""
    n_in = int(np.count_nonzero(has_class))
    return np.array([has_class.shape[0] - n_in, n_in])


def binary_thresholds(has_class: np.ndarray, p: np.ndarray, not_p: np.ndarray) -> np.ndarray:
    """The reference's thresholds of the binary problem: ``[mean(1 - p) without k, mean(p)
    with k]`` (2 for a binary class without examples), clipped below at 2e-6.

    The same list expression as the reference, so its dtype (float32 means stay float32)
    and hence the later comparisons are the same too.
    """
    n_out, n_in = label_counts(has_class)
    return np.clip(
        [
            np.mean(not_p[~has_class]) if n_out else MISSING_CLASS_THRESHOLD,
            np.mean(p[has_class]) if n_in else MISSING_CLASS_THRESHOLD,
        ],
        a_min=CONFIDENT_THRESHOLDS_LOWER_BOUND,
        a_max=None,
    )


def binary_guesses(
    p: np.ndarray, not_p: np.ndarray, thresholds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(counted, guess_in)``: whether the example is confidently counted, and whether its
    guessed true binary label is "in" (class k applies)."""
    cutoffs = np.asarray(thresholds) - FLOATING_POINT_COMPARISON  # in the thresholds' dtype
    confident_out = not_p >= cutoffs[0]
    confident_in = p >= cutoffs[1]
    counted = confident_out | confident_in
    # Both confident: the argmax of (1 - p, p), the first on a tie.
    guess_in = np.where(confident_out & confident_in, p > not_p, confident_in)
    return counted, guess_in


def binary_confident_joint(
    has_class: np.ndarray, counted: np.ndarray, guess_in: np.ndarray, *, calibrate: bool
) -> np.ndarray:
    """The (2, 2) confident joint ``C[given, guessed]`` of one binary problem.

    Built as the transpose of a (guessed, given) count matrix, i.e. Fortran-ordered like the
    reference's ``confusion_matrix(...).T``: the calibration sums in memory order.
    """
    # Four counts from boolean masks (no gathers): C[in, in], then the margins of C.
    counted_in = counted & has_class
    n_in_in = np.count_nonzero(counted_in & guess_in)
    n_guessed_in = np.count_nonzero(counted & guess_in)
    n_given_in = np.count_nonzero(counted_in)
    n_out_out = np.count_nonzero(counted) - n_guessed_in - n_given_in + n_in_in
    confident_joint = np.asfortranarray(
        [[n_out_out, n_guessed_in - n_in_in], [n_given_in - n_in_in, n_in_in]], dtype=np.int64
    )
    np.fill_diagonal(confident_joint, confident_joint.diagonal().clip(min=1))
    if calibrate:
        confident_joint = calibrate_confident_joint(confident_joint, label_counts(has_class))
    return confident_joint


def binary_near_given(has_class: np.ndarray, p: np.ndarray, not_p: np.ndarray) -> np.ndarray:
    """The reference's post-filter: True where the given binary label is the argmax of the
    two probabilities after 1e-6 is added to the given one (in pred_probs' dtype)."""
    boosted = np.where(has_class, p, not_p) + FLOATING_POINT_COMPARISON
    return np.where(has_class, boosted > not_p, boosted >= p)


def binary_off_diagonal(has_class: np.ndarray, p: np.ndarray, not_p: np.ndarray) -> np.ndarray:
    """The examples counted off the diagonal of the binary confident joint (default
    thresholds): confidently guessed, and the guess is not the given binary label."""
    counted, guess_in = binary_guesses(p, not_p, binary_thresholds(has_class, p, not_p))
    return counted & (guess_in != has_class)


def binary_issues(has_class: np.ndarray, p: np.ndarray, not_p: np.ndarray) -> np.ndarray:
    """The reference's confident_learning issues of one binary problem: off the diagonal,
    minus the post-filter (what its single-label num_label_issues counts)."""
    return binary_off_diagonal(has_class, p, not_p) & ~binary_near_given(has_class, p, not_p)


def binary_scores(
    has_class: np.ndarray, p: np.ndarray, *, method: str, adjust_pred_probs: bool = False
) -> np.ndarray:
    """The single-label ``method`` score of class k's binary problem ``(1 - p, p)``."""
    not_p = 1 - p
    if adjust_pred_probs:
        # The reference's adjustment: subtract each binary class's threshold, shift by the
        # largest, renormalise each row (its sum is the sum of its two entries).
        thresholds = binary_thresholds(has_class, p, not_p)
        adjusted_out, adjusted_in = not_p - thresholds[0], p - thresholds[1]
        adjusted_out += thresholds.max()
        adjusted_in += thresholds.max()
        row_sums = adjusted_out + adjusted_in
        adjusted_out /= row_sums
        adjusted_in /= row_sums
        not_p, p = adjusted_out, adjusted_in
    own = np.where(has_class, p, not_p)
    if method == "self_confidence":
        return own
    if method == "normalized_margin":
        return (own - np.where(has_class, not_p, p) + 1) / 2
    # confidence_weighted_entropy
    if np.any(p < 0) or np.any(p > 1) or np.any(not_p < 0) or np.any(not_p > 1):
        raise ValueError("All probabilities are required to be in the interval [0, 1].")
    normalized_entropy = -(xlogy(not_p, not_p) + xlogy(p, p)) / np.log(2)
    scores = normalized_entropy / np.clip(own, a_min=CLIPPING_LOWER_BOUND, a_max=None)
    return np.log(scores + 1) / np.clip(scores, a_min=CLIPPING_LOWER_BOUND, a_max=None)
