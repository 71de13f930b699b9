"""Seeded generators of realistic test inputs (labels, pred_probs) shared by the test modules.

Every generator takes a ``seed`` and uses its own ``np.random.default_rng``; no global state.
"""

from __future__ import annotations

import numpy as np

__all__ = ["make_classification_data", "make_pred_probs", "quantize_rows"]


def quantize_rows(pred_probs: np.ndarray, levels: int) -> np.ndarray:
    """Round each row to multiples of ``1 / levels`` keeping the row sum exactly ``levels``.

    Largest-remainder rounding: floor, then the leftover units go to the largest remainders.
    Many entries then tie, within rows and across rows (``levels`` 10 or 100 = 1 or 2
    decimals).
    """
    scaled = pred_probs * levels
    units = np.floor(scaled)
    leftover = (levels - units.sum(axis=1)).astype(np.int64)
    order = np.argsort(-(scaled - units), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(pred_probs.shape[1])[None, :].repeat(len(order), axis=0), axis=1)
    units += rank < leftover[:, None]
    return units / levels


def make_pred_probs(
    n: int,
    k: int,
    noise: float = 0.2,
    seed: int = 0,
    ties: bool = False,
    *,
    levels: int = 100,
    dtype=np.float64,
    rare_class: int | None = None,
    rare_count: int = 1,
    never_predicted: int | None = None,
    imbalance: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(labels, pred_probs)``: probabilities correlated with the true class, with a
    fraction ``noise`` of the labels flipped to another class uniformly at random.

    - ``imbalance`` > 0 makes class priors geometric (class 0 most frequent).
    - ``rare_class``: that class keeps only ``rare_count`` labelled examples (the rest are
      relabelled to other classes).
    - ``never_predicted``: that column is pushed down so it is never a row's argmax.
    - ``ties``: rows quantized to multiples of ``1 / levels`` (many exact ties).
    """
    rng = np.random.default_rng(seed)
    prior = np.exp(-imbalance * np.arange(k))
    prior /= prior.sum()
    true_labels = rng.choice(k, size=n, p=prior)
    # Every class appears at least once in the true labels (when n allows it).
    true_labels[: min(n, k)] = np.arange(min(n, k))
    rng.shuffle(true_labels)

    # Per-example sharpness: some examples are easy (confident), some hard (flat).
    sharpness = rng.gamma(shape=2.0, scale=1.5, size=(n, 1))
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), true_labels] += sharpness[:, 0] + 0.5
    if never_predicted is not None:
        logits[:, never_predicted] -= 8.0
    logits -= logits.max(axis=1, keepdims=True)
    pred_probs = np.exp(logits)
    pred_probs /= pred_probs.sum(axis=1, keepdims=True)

    labels = true_labels.copy()
    flip = rng.random(n) < noise
    labels[flip] = (labels[flip] + rng.integers(1, k, size=int(flip.sum()))) % k
    if rare_class is not None:
        members = np.flatnonzero(labels == rare_class)
        moved = members[rare_count:]
        labels[moved] = (rare_class + rng.integers(1, k, size=moved.size)) % k
        if members.size < rare_count:  # ensure the rare class has exactly rare_count labels
            others = np.flatnonzero(labels != rare_class)[: rare_count - members.size]
            labels[others] = rare_class
    if ties:
        pred_probs = quantize_rows(pred_probs, levels)
    return labels.astype(np.int64), pred_probs.astype(dtype)


def make_classification_data(n: int, k: int, n_features: int = 5, noise: float = 0.1, seed: int = 0):
    """Return ``(X, labels)``: Gaussian blobs (one per class) with noisy labels, for CV tests."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=2.0, size=(k, n_features))
    true_labels = np.arange(n) % k
    rng.shuffle(true_labels)
    X = centers[true_labels] + rng.normal(size=(n, n_features))
    labels = true_labels.copy()
    flip = rng.random(n) < noise
    labels[flip] = (labels[flip] + rng.integers(1, k, size=int(flip.sum()))) % k
    return X, labels.astype(np.int64)


# Bad (labels, pred_probs) pairs with the error and message every public function taking
# them must give (they all go through cleanlearn.validation).
GOOD_LABELS = np.array([0, 1, 2, 0, 1, 2])
GOOD_PROBS = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]] * 2)
BAD_LABELS_AND_PRED_PROBS = [
    ([0, 1, 3, 0, 1, 2], GOOD_PROBS, ValueError, "labels must be class indices 0..2"),
    ([0, 1, -1, 0, 1, 2], GOOD_PROBS, ValueError, "negative label"),
    ([0, 1, 2.5, 0, 1, 2], GOOD_PROBS, ValueError, "non-integer"),
    (np.zeros((6, 2), dtype=int), GOOD_PROBS, ValueError, "1-D"),
    (["a", "b", "c", "a", "b", "c"], GOOD_PROBS, TypeError, "CleanLearning"),
    ([0, 1, 2, 0, 1], GOOD_PROBS, ValueError, "must match"),
    (GOOD_LABELS, np.full(6, 0.5), ValueError, "2-D"),
    (GOOD_LABELS, np.where(np.eye(3)[[0, 1, 2] * 2] == 1, np.nan, 0.1), ValueError, "finite"),
    (GOOD_LABELS, np.where(np.eye(3)[[0, 1, 2] * 2] == 1, np.inf, 0.1), ValueError, "finite"),
    (GOOD_LABELS, GOOD_PROBS - 0.15, ValueError, "negative"),
    (GOOD_LABELS, GOOD_PROBS * 2, ValueError, "sum to 1"),
    (GOOD_LABELS, GOOD_PROBS[:, :2] / GOOD_PROBS[:, :2].sum(1, keepdims=True), ValueError, "too few columns"),
    ([], np.empty((0, 3)), ValueError, "empty"),
]
