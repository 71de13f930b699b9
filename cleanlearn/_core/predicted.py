"""The model's prediction against the given label, in the pass that checks pred_probs.

``filter_by="predicted_neq_given"`` needs, per example, only whether ``argmax(p)`` differs
from the given label and whether the post-filter (the given label within 1e-6 of the best
score) clears it. Both come from the row's argmax, maximum and self-confidence, so they are
computed in the same pass over pred_probs as the value checks (finite, non-negative, rows
summing to 1): one pass instead of the three of check, argmax and post-filter. Blocks of
rows are cache-sized, in contiguous ranges, one per thread.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cleanlearn._core import blocks, kernel
from cleanlearn._core.confident_joint import reduce_issues
from cleanlearn._core.constants import FLOATING_POINT_COMPARISON
from cleanlearn._core.validation import (
    ROW_SUM_ATOL,
    check_labels,
    check_labels_and_pred_probs,
    check_pred_probs,
    check_pred_probs_shape,
    map_row_ranges,
    resolve_n_threads,
)


def check_and_flag_predicted_neq_given(
    labels: Any, pred_probs: Any, *, n_jobs: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``check_labels_and_pred_probs(labels, pred_probs)``, then the predicted_neq_given
    flags after the near-given post-filter, in one pass over pred_probs. The same errors are
    raised as by the check alone, before any result is returned.

    Returns ``(labels, pred_probs, mask)``: mask is ``argmax(p) != labels`` minus the rows
    where ``argmax(p + 1e-6 * onehot(labels)) == labels`` (the reference's post-filter).
    """
    labels = check_labels(labels)
    pred_probs = check_pred_probs_shape(pred_probs, n_examples=None, name="pred_probs", min_classes=2)
    if pred_probs.shape[0] != labels.shape[0] or labels.max() >= pred_probs.shape[1]:
        # Inconsistent inputs: the usual order of checks raises the right error first.
        labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs, n_jobs=n_jobs)
    n_samples, n_classes = pred_probs.shape
    mask = np.empty(n_samples, dtype=bool)

    def scan(start: int, stop: int):
        return _scan_rows(pred_probs, labels, start, stop, mask)

    with np.errstate(all="ignore"):  # unchecked values may overflow; they raise below
        results = map_row_ranges(scan, n_samples, resolve_n_threads(n_jobs, n_entries=pred_probs.size))
    extremes = np.array([extreme for extreme, _ in results], dtype=np.float64)
    lowest, highest_sum, lowest_sum = extremes[:, 0].min(), extremes[:, 1].max(), extremes[:, 2].min()
    # (the sums were added in another order than the check's: a margin for rounding)
    tolerance = ROW_SUM_ATOL - 4 * n_classes * np.finfo(pred_probs.dtype).eps
    if not (highest_sum - 1.0 <= tolerance and 1.0 - lowest_sum <= tolerance and lowest >= 0):
        check_pred_probs(pred_probs, n_jobs=n_jobs)  # raises the check's error, if any
    # Flagged rows whose boosted self-confidence ties the row maximum: the post-filter then
    # depends on which columns come first (rare; those rows are read again).
    tied = np.concatenate([rows for _, rows in results])
    if tied.size:
        mask[tied[reduce_issues(pred_probs[tied], labels[tied])]] = False
    return labels, pred_probs, mask


def _scan_rows(pred_probs: np.ndarray, labels: np.ndarray, start: int, stop: int, mask: np.ndarray):
    """Rows start..stop: fill ``mask`` (flagged and not cleared by the post-filter, ties
    aside) and return ``((minimum entry, largest row sum, smallest row sum), tied rows)``."""
    if kernel.uses_kernel(pred_probs):
        return _scan_rows_kernel(pred_probs, labels, start, stop, mask)
    n_classes = pred_probs.shape[1]
    step = blocks.block_rows(stop - start, n_classes)
    row_offsets = np.arange(step) * n_classes
    sums = np.empty(step, dtype=pred_probs.dtype)
    block_extremes, tied_rows = [], []
    for block_start in range(start, stop, step):
        block_stop = min(block_start + step, stop)
        n_rows = block_stop - block_start
        block = pred_probs[block_start:block_stop]
        flat = block.reshape(-1)
        np.einsum("ij->i", block, out=sums[:n_rows])
        block_extremes.append(
            (np.minimum.reduce(flat), np.maximum.reduce(sums[:n_rows]), np.minimum.reduce(sums[:n_rows]))
        )
        block_labels = labels[block_start:block_stop]
        predicted = block.argmax(axis=1)
        flagged = predicted != block_labels
        predicted += row_offsets[:n_rows]
        row_max = flat.take(predicted)
        # The post-filter's boosted self-confidence, in pred_probs' dtype as the reference's
        # pred_probs + 1e-6 * onehot: above the maximum clears the flag, equal is a tie.
        boosted = flat.take(row_offsets[:n_rows] + block_labels) + FLOATING_POINT_COMPARISON
        cleared = boosted > row_max
        np.greater(flagged, cleared, out=mask[block_start:block_stop])
        ties = np.flatnonzero(flagged & (boosted == row_max))
        if ties.size:
            tied_rows.append(ties + block_start)
    return kernel.reduce_extremes(block_extremes), (np.concatenate(tied_rows) if tied_rows else np.empty(0, dtype=np.intp))


def _scan_rows_kernel(pred_probs: np.ndarray, labels: np.ndarray, start: int, stop: int, mask: np.ndarray):
    """:func:`_scan_rows` in the confident joint's C kernel, with no class confident (cutoffs
    at +inf: nothing counted or guessed). With ``m`` the largest entry other than the
    label's: ``argmax(p) != y`` needs ``m >= p_y`` (contested), and when ``m == p_y`` the
    post-filter clears the row (``p_y + 1e-6 > m``); so the mask is contested and not near
    the given label, ties at ``p_y + 1e-6`` included (the kernel resolves them). No row is
    left to read again."""
    n_classes = pred_probs.shape[1]
    step = blocks.block_rows(stop - start, n_classes)
    cutoffs = np.full(n_classes, np.inf)
    unused_guesses, counted = np.empty(step, dtype=np.int16), np.empty(step, dtype=bool)
    near_given, no_rows = np.empty(step, dtype=bool), np.empty(step, dtype=np.int64)
    block_extremes = []
    for block_start in range(start, stop, step):
        block_stop = min(block_start + step, stop)
        n_rows = block_stop - block_start
        contested = mask[block_start:block_stop]
        _, extremes = kernel.joint_rows(
            pred_probs,
            labels,
            slice(block_start, block_stop),
            cutoffs,
            guess=unused_guesses[:n_rows],
            counted=counted[:n_rows],
            found_rows=no_rows[:n_rows],
            contested=contested,
            near_given=near_given[:n_rows],
            check_values=True,
        )
        np.greater(contested, near_given[:n_rows], out=contested)  # contested and not near
        block_extremes.append(extremes)
    return kernel.reduce_extremes(block_extremes), np.empty(0, dtype=np.intp)
