"""Single-label label quality scores on validated inputs: the scorers, the adjustment, the ranking.

The cores of :mod:`cleanlearn.rank` (which validates, then calls these), shared with
:mod:`cleanlearn.filter` (its ``return_indices_ranked_by`` and its low-score filters) and the
multi-label scores (the option rules). Each scorer computes a row's score from that row
alone, so that it can run on any block of rows (see :func:`scores_of_rows`): the same values
whatever the blocks.
"""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

from cleanlearn._core import blocks
from cleanlearn._core.confident_joint import confident_thresholds, normalized_margin_from
from cleanlearn._core.constants import CLIPPING_LOWER_BOUND
from cleanlearn._core.validation import Options, validate_params

# Up to this many classes the max over k != label runs column by column with a mask
# (measured at N=1e6: 1.7x faster at K=2, equal at K=6, 2x slower at K=10).
COLUMNWISE_MAX_CLASSES = 6


def self_confidence(pred_probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return pred_probs[np.arange(labels.shape[0]), labels]


def max_excluding_label(pred_probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``max_{k != labels[i]} pred_probs[i, k]`` for each row, one cache-sized block at a time.

    Each block is copied (small), its label entries set to -inf, and reduced with max, so
    the values are exactly the reference's max over the row with the label column deleted.
    """
    n_samples, n_classes = pred_probs.shape
    if n_classes <= COLUMNWISE_MAX_CLASSES:  # few classes: column by column, skipping labels
        result = np.full(n_samples, -np.inf, dtype=pred_probs.dtype)
        for column in range(n_classes):
            np.maximum(result, pred_probs[:, column], out=result, where=labels != column)
        return result
    result = np.empty(n_samples, dtype=pred_probs.dtype)
    for rows in blocks.row_chunks(n_samples, n_classes):
        block = np.array(pred_probs[rows])
        block[np.arange(block.shape[0]), labels[rows]] = -np.inf
        result[rows] = block.max(axis=1)
    return result


def normalized_margin(pred_probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    margin = self_confidence(pred_probs, labels)
    # (p_y - max_other + 1) / 2, evaluated in the reference's order, in place
    return normalized_margin_from(margin, max_excluding_label(pred_probs, labels), out=margin)


def normalized_entropy(pred_probs: np.ndarray) -> np.ndarray:
    """Entropy of each row divided by log(K), in [0, 1] (row sums done block by block)."""
    n_samples, n_classes = pred_probs.shape
    row_sums = np.concatenate(
        [np.sum(xlogy(pred_probs[rows], pred_probs[rows]), axis=1) for rows in blocks.row_chunks(n_samples, n_classes)]
    )
    # The same expression as the reference (dividing by log(K) changes the log's base).
    return -row_sums / np.log(n_classes)


def confidence_weighted_entropy(pred_probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    clipped_self_confidence = np.clip(self_confidence(pred_probs, labels), a_min=CLIPPING_LOWER_BOUND, a_max=None)
    scores = normalized_entropy(pred_probs) / clipped_self_confidence
    clipped_scores = np.clip(scores, a_min=CLIPPING_LOWER_BOUND, a_max=None)
    return np.log(scores + 1) / clipped_scores


SCORERS = {
    "self_confidence": self_confidence,
    "normalized_margin": normalized_margin,
    "confidence_weighted_entropy": confidence_weighted_entropy,
}
# The label quality scores' names (rank's ``method``, filter's ``return_indices_ranked_by``).
RANKINGS = tuple(SCORERS)


def adjust(pred_probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Subtracting each class's mean self-confidence corrects for class imbalance; shifting
    by max(t) keeps the entries non-negative. Row by row, so any block of rows works."""
    adjusted = pred_probs - thresholds
    adjusted += thresholds.max()
    adjusted /= adjusted.sum(axis=1, keepdims=True)
    return adjusted


def scores_of_rows(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    method: str,
    thresholds: np.ndarray | None = None,
) -> np.ndarray:
    """The ``method`` score of every row, one block of rows at a time (so pred_probs may be a
    memory map: one pass, nothing of size K per row kept). With ``thresholds``, of the
    adjusted probabilities (:func:`adjust`, computed per block)."""
    scorer = SCORERS[method]
    if thresholds is None:
        return blocks.map_rows(scorer, pred_probs, labels)

    def adjusted_scores(block: np.ndarray, block_labels: np.ndarray) -> np.ndarray:
        return scorer(adjust(block, thresholds), block_labels)

    return blocks.map_rows(adjusted_scores, pred_probs, labels)


def label_quality_scores(
    labels: np.ndarray, pred_probs: np.ndarray, *, method: str = "self_confidence", adjust_pred_probs: bool = False
) -> np.ndarray:
    """:func:`cleanlearn.rank.get_label_quality_scores` on already validated inputs.

    One pass over pred_probs, two with ``adjust_pred_probs`` (the thresholds first), block
    by block: pred_probs may be a memory map larger than RAM."""
    thresholds = confident_thresholds(labels, pred_probs) if adjust_pred_probs else None
    return scores_of_rows(labels, pred_probs, method=method, thresholds=thresholds)


def check_rank_by(rank_by: str, rank_by_kwargs: dict | None) -> bool:
    """Check the ranking options of order_label_issues (and of find_label_issues' ranking);
    return adjust_pred_probs."""
    if rank_by_kwargs is None:
        rank_by_kwargs = {}
    elif not isinstance(rank_by_kwargs, dict):
        raise TypeError(f"rank_by_kwargs must be a dict or None; got {type(rank_by_kwargs).__name__}.")
    unknown = set(rank_by_kwargs) - {"adjust_pred_probs"}
    if unknown:
        raise TypeError(f"rank_by_kwargs has unknown keys {sorted(unknown)}; the only option is 'adjust_pred_probs'.")
    adjust_pred_probs = rank_by_kwargs.get("adjust_pred_probs", False)
    check_scoring("rank_by", rank_by, adjust_pred_probs, caller="order_label_issues")
    return adjust_pred_probs


def check_scoring(name: str, method: str, adjust_pred_probs: bool, *, caller: str) -> None:
    """The scoring method (parameter ``name`` of ``caller``) and adjust_pred_probs: known
    method, a bool, and no adjustment with the entropy method."""
    validate_params(
        {name: method, "adjust_pred_probs": adjust_pred_probs},
        {name: [Options(RANKINGS)], "adjust_pred_probs": ["boolean"]},
        caller=caller,
    )
    if adjust_pred_probs and method == "confidence_weighted_entropy":
        raise ValueError(f"adjust_pred_probs=True is not supported with {name}={method!r}.")


def order_label_issues(
    label_issues_mask: np.ndarray,
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    rank_by: str = "self_confidence",
    adjust_pred_probs: bool = False,
) -> np.ndarray:
    """:func:`cleanlearn.rank.order_label_issues` on already validated inputs.

    Scores are computed row by row, so without adjust_pred_probs (whose thresholds come from
    every row) only the flagged rows are scored: the same values as the reference's scores
    of every row, then subset, at a fraction of the memory.
    """
    issue_indices = np.flatnonzero(label_issues_mask)
    thresholds = confident_thresholds(labels, pred_probs) if adjust_pred_probs else None
    # The flagged rows are gathered a block at a time (nothing of size K per flagged row).
    n_classes = pred_probs.shape[1]
    scores = None
    for block in blocks.row_blocks(issue_indices.size, n_classes):
        rows = issue_indices[block]
        block_scores = scores_of_rows(labels[rows], pred_probs[rows], method=rank_by, thresholds=thresholds)
        if scores is None:
            scores = np.empty(issue_indices.size, dtype=block_scores.dtype)
        scores[block] = block_scores
    if scores is None:
        return issue_indices
    return issue_indices[np.argsort(scores)]
