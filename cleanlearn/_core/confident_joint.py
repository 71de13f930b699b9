"""The confident joint of single-label data on validated inputs: thresholds, counts, calibration.

The cores of :mod:`cleanlearn.count`'s public functions (which validate their arguments,
then call these), shared with :mod:`cleanlearn.filter`, :mod:`cleanlearn.rank` and
:mod:`cleanlearn.dataset` so that a long pipeline validates ``labels`` and ``pred_probs``
once, not once per helper (each validation is a few full passes over pred_probs). Every
function here expects checked inputs: labels an int array 0..K-1, pred_probs (N, K).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cleanlearn._core import blocks
from cleanlearn._core.constants import (
    CONFIDENT_THRESHOLDS_LOWER_BOUND,
    FLOATING_POINT_COMPARISON,
    MISSING_CLASS_THRESHOLD,
    TINY_VALUE,
)
from cleanlearn._core.kernel import guess_true_labels_kernel, reduce_extremes, uses_kernel
from cleanlearn._core.validation import (
    ROW_SUM_ATOL,
    check_labels,
    check_labels_and_pred_probs,
    check_pred_probs,
    check_pred_probs_shape,
    check_thresholds,
    map_row_ranges,
    resolve_n_threads,
)

# Up to this many classes the thresholds group the self-confidences with one boolean mask
# per class instead of a sort (same values, same order, so the same means).
MASKED_GROUPING_MAX_CLASSES = 8


@dataclass
class RowQuantities:
    """Per-example quantities that :func:`compute_confident_joint` computes on the way, for
    callers that need them too (the filters): each one costs a fraction of a pass over
    pred_probs instead of a pass of its own. Ask by setting a ``want_*`` flag; the matching
    array (None otherwise) is filled in.

    - ``self_confidence``: ``p[i, labels[i]]`` by example (the thresholds' gather).
    - ``class_order``, ``grouped_self_confidence``: the stable sort of the labels (rows of each
      class in original order, int32 when N < 2**31) and the self-confidences in that order
      (the thresholds' grouping; None with few classes, which group by masks).
    - ``contested``: True where another class scores at least the given one.
    - ``normalized_margin``: the normalized margin score ``(p_y - max_{k != y} p_k + 1) / 2``,
      with the reference's operations in its order (:func:`cleanlearn._core.scores.normalized_margin`);
      only with more than MASKED_GROUPING_MAX_CLASSES classes.
    - ``near_given``: the post-filter's mask (:func:`reduce_issues`) for every example; only
      computed by the C kernel (:mod:`cleanlearn._core.kernel`), where it is nearly free.
      Left None by the numpy path, whose callers post-filter their flagged examples instead.

    With few classes (at most MASKED_GROUPING_MAX_CLASSES) only ``contested`` is kept: the
    other arrays held through the joint's pass would weigh as much as pred_probs itself, so
    the callers compute them afterwards.
    """

    want_self_confidence: bool = False
    want_grouped: bool = False
    want_contested: bool = False
    want_normalized_margin: bool = False
    want_near_given: bool = False
    self_confidence: np.ndarray | None = None
    class_order: np.ndarray | None = None
    grouped_self_confidence: np.ndarray | None = None
    contested: np.ndarray | None = None
    normalized_margin: np.ndarray | None = None
    near_given: np.ndarray | None = None


def confident_thresholds(
    labels: np.ndarray, pred_probs: np.ndarray, *, n_jobs: int | None = None, keep: RowQuantities | None = None
) -> np.ndarray:
    """Per-class threshold: the mean of ``pred_probs[:, k]`` over the examples labelled k (2
    for a class without examples), clipped below at 2e-6 (see
    :func:`cleanlearn.count.get_confident_thresholds`). ``keep`` receives the
    self-confidences (and their grouping by class) it asks for."""
    n_classes = pred_probs.shape[1]
    # Self-confidences grouped by class, each group in ascending example order: the values
    # (and their order) the reference averages with np.mean, so the float sums are identical.
    self_confidence = self_confidence_by_example(labels, pred_probs, n_jobs=n_jobs)
    if keep is not None and keep.want_self_confidence and n_classes > MASKED_GROUPING_MAX_CLASSES:
        keep.self_confidence = self_confidence
    if n_classes <= MASKED_GROUPING_MAX_CLASSES:
        # Few classes: one boolean mask per class (K cheap passes over the labels) keeps the
        # temporaries small next to pred_probs, which then has only a few entries a row.
        groups = (self_confidence[labels == k] for k in range(n_classes))
    else:
        # (a stable sort of small ints is a radix sort: O(n))
        sort_dtype = np.uint8 if n_classes <= 1 << 8 else np.uint16 if n_classes <= 1 << 16 else labels.dtype
        order = np.argsort(labels.astype(sort_dtype, copy=False), kind="stable")
        if order.size < 1 << 31:  # (int32: less memory next to the self-confidences)
            order = order.astype(np.int32)
        grouped = self_confidence[order]
        if keep is not None and keep.want_grouped:
            keep.class_order, keep.grouped_self_confidence = order, grouped
        del order, self_confidence
        bounds = np.concatenate(([0], np.cumsum(np.bincount(labels, minlength=n_classes))))
        groups = (grouped[bounds[k] : bounds[k + 1]] for k in range(n_classes))
    thresholds = [np.mean(group) if group.size else MISSING_CLASS_THRESHOLD for group in groups]
    return np.clip(thresholds, a_min=CONFIDENT_THRESHOLDS_LOWER_BOUND, a_max=None)


def self_confidence_by_example(labels: np.ndarray, pred_probs: np.ndarray, *, n_jobs: int | None = None) -> np.ndarray:
    """``pred_probs[i, labels[i]]`` for every i, one block of rows at a time (a flat take is
    ~1.5x faster than 2-D fancy indexing on a C-contiguous block; one cache line per row, in
    threads for large inputs). No (N,) index array: pred_probs may be a memory map."""
    n_samples, n_classes = pred_probs.shape
    self_confidence = np.empty(n_samples, dtype=pred_probs.dtype)

    def take_rows(start: int, stop: int) -> None:
        step = blocks.block_rows(stop - start, n_classes)
        offsets = np.arange(step, dtype=np.intp) * n_classes  # row * K, plus the label below
        for block_start in range(start, stop, step):
            block_stop = min(block_start + step, stop)
            block = pred_probs[block_start:block_stop]
            positions = offsets[: block_stop - block_start] + labels[block_start:block_stop]
            if block.flags.c_contiguous:
                block.reshape(-1).take(positions, out=self_confidence[block_start:block_stop])
            else:
                self_confidence[block_start:block_stop] = block[
                    np.arange(block_stop - block_start), labels[block_start:block_stop]
                ]

    map_row_ranges(take_rows, n_samples, resolve_n_threads(n_jobs, n_entries=pred_probs.size))
    return self_confidence


def checked_thresholds(thresholds, n_classes: int) -> np.ndarray:
    """Validated thresholds of shape (K,), keeping a float32 array float32: the reference
    subtracts the 1e-6 slack in the thresholds' own dtype."""
    checked = check_thresholds(thresholds, n_classes=n_classes)
    given = np.asarray(thresholds)
    return given.reshape(n_classes) if given.dtype == np.float32 else checked


def compute_confident_joint(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    thresholds: np.ndarray | None = None,
    calibrate: bool = True,
    return_indices_of_off_diagonals: bool = False,
    n_jobs: int | None = None,
    check_values: bool = False,
    need_joint: bool = True,
    rows: RowQuantities | None = None,
):
    """:func:`cleanlearn.count.compute_confident_joint` on already validated inputs.

    Large inputs are processed in ``n_jobs`` threads (None: the cores available, see
    :func:`cleanlearn.validation.resolve_n_threads`); the result does not depend on it.
    With ``check_values``, pred_probs has passed only the shape checks: its value checks
    (finite, non-negative, rows summing to 1) run in the same pass over the data and raise
    before anything is counted (see :func:`check_and_compute_confident_joint`). Without
    ``need_joint`` only the off-diagonal indices are computed: ``(None, indices)``.
    ``rows`` (:class:`RowQuantities`) receives the per-example quantities it asks for,
    computed in the same passes.
    """
    n_samples, n_classes = pred_probs.shape
    if thresholds is None:
        with np.errstate(all="ignore"):  # unchecked values may overflow; they raise below
            thresholds = confident_thresholds(labels, pred_probs, n_jobs=n_jobs, keep=rows)
    cutoffs = thresholds - FLOATING_POINT_COMPARISON
    if rows is not None and rows.want_contested:
        rows.contested = np.empty(n_samples, dtype=bool)
    # (few classes: a copy of each block, its argmax and the scores next to the joint's
    # per-example arrays would outweigh pred_probs; the caller scores in a pass of its own)
    if rows is not None and rows.want_normalized_margin and n_classes > MASKED_GROUPING_MAX_CLASSES:
        rows.normalized_margin = np.empty(n_samples, dtype=pred_probs.dtype)

    # 1) Guess the true label of each example: threads over contiguous row ranges, each
    # walked in cache-sized blocks. The guess starts as the given label.
    # (int16 while the pair codes guess * K + label fit: a quarter of the memory of intp)
    true_label_guess = labels.astype(np.int16 if n_classes * n_classes < 1 << 15 else np.intp, copy=True)
    at_least_one_confident = np.empty(n_samples, dtype=bool)

    def guess_rows(start: int, stop: int):
        return guess_true_labels(
            pred_probs, labels, cutoffs, start, stop, true_label_guess, at_least_one_confident, check_values, rows
        )

    if rows is not None and rows.want_near_given and uses_kernel(pred_probs):
        rows.near_given = np.empty(n_samples, dtype=bool)
    range_results = map_row_ranges(guess_rows, n_samples, resolve_n_threads(n_jobs, n_entries=pred_probs.size))
    if check_values:
        # The usual case from the extremes of the row sums and entries, with no (N,) array of
        # row sums; anything else is checked again by the plain check, which raises the
        # error it would have raised before any counting.
        extremes = np.array([extreme for extreme, _ in range_results])  # (lowest, max sum, min sum)
        lowest, highest_sum, lowest_sum = extremes[:, 0].min(), extremes[:, 1].max(), extremes[:, 2].min()
        # (the sums were added in another order than the check's: a margin for rounding)
        tolerance = ROW_SUM_ATOL - 4 * n_classes * np.finfo(pred_probs.dtype).eps
        if not (highest_sum - 1.0 <= tolerance and 1.0 - lowest_sum <= tolerance and lowest >= 0):
            check_pred_probs(pred_probs, n_jobs=n_jobs)
    # the ranges are in order, so their off-diagonal rows are too
    off_diagonal = np.concatenate([rows for _, rows in range_results])
    if not need_joint:
        return None, off_diagonal

    # 2) Count (given, guessed) pairs of the confident examples: confusion matrix via bincount
    # of guessed * K + given, computed in place in the guesses (not needed after this).
    # Built as the transpose of a (guessed, given) matrix, i.e. in Fortran order like the
    # reference's confusion_matrix(...).T: the float sums in the calibration follow memory
    # order, so the layout decides the last bits and hence ties in the rounding.
    pair_codes = true_label_guess
    np.multiply(pair_codes, n_classes, out=pair_codes)
    np.add(pair_codes, labels, out=pair_codes)
    counts = np.bincount(pair_codes[at_least_one_confident], minlength=n_classes * n_classes)
    confident_joint = counts.astype(np.int64, copy=False).reshape(n_classes, n_classes).T

    # 3) At least one correctly labelled example counted in every class.
    np.fill_diagonal(confident_joint, confident_joint.diagonal().clip(min=1))

    if calibrate:
        confident_joint = calibrate_confident_joint(confident_joint, np.bincount(labels, minlength=n_classes))
    if return_indices_of_off_diagonals:
        return confident_joint, off_diagonal
    return confident_joint


def guess_true_labels(
    pred_probs: np.ndarray,
    labels: np.ndarray,
    cutoffs: np.ndarray,
    start: int,
    stop: int,
    true_label_guess: np.ndarray,
    at_least_one_confident: np.ndarray,
    check_values: bool = False,
    rows: RowQuantities | None = None,
):
    """Fill rows start..stop of ``at_least_one_confident`` and, where the guess is not the
    given label, of ``true_label_guess`` (which holds the given labels on entry). With
    ``check_values``, also compute the extremes the value checks of pred_probs need, while
    each block is in cache: the minimum entry and the largest and smallest row sums. With
    ``rows``, fill rows start..stop of its ``contested`` and ``normalized_margin`` arrays (those
    that are not None) from the same blocks.

    Returns ``((minimum entry, largest row sum, smallest row sum) or None, ascending indices
    of the rows counted off the diagonal)``.

    The reference's rule: no confident class -> not counted; one -> that class; several ->
    the argmax over all classes. Per cache-sized block of rows, few numpy calls (their fixed
    cost adds up over many blocks): one flat comparison against the cutoffs tiled to the
    block (2x faster than broadcasting over rows of K entries), the number of confident
    classes per row (einsum: 1.5-2x faster than a sum along short rows) and whether the
    given label is confident. A row whose only confident class is its label (most confident
    rows) needs nothing more; the others (one other class confident, or several; usually a
    few percent) get their guess while the block is in memory, so nothing of size K per row
    outlives its block (pred_probs may be a memory map larger than RAM: it is read once, in
    order).
    """
    if uses_kernel(pred_probs):
        return guess_true_labels_kernel(
            pred_probs, labels, cutoffs, start, stop, true_label_guess, at_least_one_confident, check_values,
            contested=None if rows is None else rows.contested,
            margins=None if rows is None else rows.normalized_margin,
            near_given=None if rows is None else rows.near_given,
        )
    n_classes = pred_probs.shape[1]
    step = blocks.block_rows(stop - start, n_classes)
    # bool counts summed as bytes (einsum keeps the input's dtype): fast
    count_dtype = np.uint8 if n_classes < 256 else np.int64
    confident_buffer = np.empty(step * n_classes, dtype=bool)
    tiled_cutoffs = np.tile(cutoffs, step)  # same dtype, so the same comparison as broadcasting
    n_confident = np.empty(stop - start, dtype=count_dtype)
    label_confident = np.empty(stop - start, dtype=bool)
    # Start of each row of a block within the block's flattened comparison (per block, not
    # per example: an (N,) index array would outweigh pred_probs itself with few classes).
    row_offsets = np.arange(step) * n_classes
    label_positions = np.empty(step, dtype=np.intp)
    off_diagonal_rows, block_extremes = [], []
    sums_buffer = np.empty(step, dtype=pred_probs.dtype) if check_values else None
    contested = None if rows is None else rows.contested
    margins = None if rows is None else rows.normalized_margin
    at_least_given = np.empty(step * n_classes, dtype=bool) if contested is not None else None
    others_buffer = np.empty(step * n_classes, dtype=pred_probs.dtype) if margins is not None else None
    # (ufuncs called directly, not through np.sum/np.min: their wrappers' fixed cost adds
    # up over thousands of blocks)
    for block_start in range(start, stop, step):
        block_stop = min(block_start + step, stop)
        n_rows = block_stop - block_start
        local = slice(block_start - start, block_stop - start)
        block = pred_probs[block_start:block_stop]
        flat = block.reshape(-1)  # (a copy only if the block is not C-contiguous)
        if check_values:
            # (NaN and inf propagate into the sums; only a tolerance is checked on them)
            sums = sums_buffer[:n_rows]
            np.einsum("ij->i", block, out=sums)
            block_extremes.append((np.minimum.reduce(flat), np.maximum.reduce(sums), np.minimum.reduce(sums)))
        confident_flat = confident_buffer[: flat.size]
        np.greater_equal(flat, tiled_cutoffs[: flat.size], out=confident_flat)
        confident_bytes = confident_flat.view(np.uint8).reshape(block.shape)
        _count_per_row(confident_bytes, n_confident[local])
        positions = label_positions[:n_rows]
        np.add(row_offsets[:n_rows], labels[block_start:block_stop], out=positions)
        confident_flat.take(positions, out=label_confident[local])
        if contested is not None or margins is not None:
            given = flat.take(positions)
        if contested is not None:
            # Contested: at least two entries (the label's and another) are >= the label's.
            # A flat comparison against the repeated self-confidences: 2x faster than a
            # broadcast over rows.
            at_least = at_least_given[: flat.size]
            np.greater_equal(flat, np.repeat(given, n_classes), out=at_least)
            counts = np.empty(n_rows, dtype=count_dtype)
            _count_per_row(at_least.view(np.uint8).reshape(block.shape), counts)
            np.greater_equal(counts, 2, out=contested[block_start:block_stop])
        if margins is not None:
            # The row without its label's entry (set to -inf in a copy): its maximum, via
            # argmax and a gather (faster than max along short rows), exactly.
            others = others_buffer[: flat.size]
            np.copyto(others, flat)
            others[positions] = -np.inf
            best = others.reshape(block.shape).argmax(axis=1)
            best += row_offsets[:n_rows]
            normalized_margin_from(given, others.take(best), out=margins[block_start:block_stop])
        # More confident classes than the label alone: another class is the only confident
        # one (the guess), or several are (the guess is the argmax over all classes).
        others_confident = np.greater(n_confident[local], label_confident[local]).nonzero()[0]
        if others_confident.size:
            guess = confident_bytes[others_confident].argmax(axis=1)
            several = np.flatnonzero(n_confident[local][others_confident] > 1)
            if several.size:
                guess[several] = block[others_confident[several]].argmax(axis=1)
            guessed_rows = others_confident + block_start
            true_label_guess[guessed_rows] = guess
            off_diagonal_rows.append(guessed_rows[guess != labels[guessed_rows]])
    # NaN propagates through max and min (np.maximum), so a NaN row fails the caller's test.
    extremes = reduce_extremes(block_extremes) if block_extremes else None
    np.greater(n_confident, 0, out=at_least_one_confident[start:stop])
    if not off_diagonal_rows:
        return extremes, np.empty(0, dtype=np.intp)
    return extremes, np.concatenate(off_diagonal_rows)


def _count_per_row(flags_as_bytes: np.ndarray, out: np.ndarray) -> None:
    """Number of nonzero bytes (0/1) in each row of a 2-D uint8 array, into ``out`` (uint8
    when rows are shorter than 256, else int64)."""
    if out.dtype == np.uint8:
        np.einsum("ij->i", flags_as_bytes, out=out)
    else:
        np.add.reduce(flags_as_bytes, axis=1, dtype=out.dtype, out=out)


def check_and_compute_confident_joint(labels, pred_probs, *, n_jobs: int | None = None, **kwargs):
    """``check_labels_and_pred_probs(labels, pred_probs)`` then ``compute_confident_joint``
    (default thresholds) with one pass over pred_probs instead of two: the value checks of
    pred_probs run in the confident joint's pass. The same errors are raised, in the same
    order, as by the two calls one after the other.

    Returns ``(labels, pred_probs, result of compute_confident_joint)``.
    """
    labels = check_labels(labels)
    pred_probs = check_pred_probs_shape(pred_probs, n_examples=None, name="pred_probs", min_classes=2)
    if pred_probs.shape[0] != labels.shape[0] or labels.max() >= pred_probs.shape[1]:
        # Inconsistent inputs: the usual order of checks raises the right error first.
        labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs, n_jobs=n_jobs)
    result = compute_confident_joint(labels, pred_probs, n_jobs=n_jobs, check_values=True, **kwargs)
    return labels, pred_probs, result


def calibrate_confident_joint(confident_joint: np.ndarray, label_counts: np.ndarray) -> np.ndarray:
    """Rows scaled to ``label_counts``, the matrix to their total, rounded preserving row
    totals (see :func:`cleanlearn.count.calibrate_confident_joint`)."""
    # The expressions (and their evaluation order) are the reference's, so the float values
    # entering the rounding are bit-identical.
    calibrated = (
        confident_joint.T / np.clip(confident_joint.sum(axis=1), a_min=TINY_VALUE, a_max=None) * label_counts
    ).T
    calibrated = calibrated / np.clip(np.sum(calibrated), a_min=TINY_VALUE, a_max=None) * sum(label_counts)
    return round_preserving_row_totals(calibrated)


def round_preserving_row_totals(confident_joint) -> np.ndarray:
    """Round a float (K, K) matrix to ints so that each row keeps its (rounded) total.

    Same result as the reference's per-row loop (``np.round`` half to even, then add 1 to the
    entries with the largest ``float - int`` residual, or subtract 1 from those with the
    smallest, in ``np.argsort`` order, until the row total matches), in closed form: a row
    is off by at most its length, so one pass of ``|row deficit|`` unit changes always suffices.
    """
    floats = np.asarray(confident_joint, dtype=float)
    if floats.ndim != 2:
        raise ValueError(f"confident_joint must be a 2-D matrix; got shape {floats.shape}.")
    if not np.all(np.isfinite(floats)):
        raise ValueError("confident_joint must be finite; it contains NaN or inf.")
    floats = np.ascontiguousarray(floats)
    n_cols = floats.shape[1]
    ints = floats.round()
    # deficit > 0: add 1 to that many entries; < 0: subtract 1. Row sums along the contiguous
    # axis use numpy's pairwise summation exactly as the reference's per-row np.sum does.
    deficit = np.round(floats.sum(axis=1).round() - ints.sum(axis=1).round()).astype(np.int64)
    if not deficit.any():
        return ints.astype(int)
    order = np.argsort(floats - ints, axis=1)  # the reference's order, row by row
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(n_cols)[None, :].repeat(floats.shape[0], axis=0), axis=1)
    changes = np.minimum(np.abs(deficit), n_cols)[:, None]
    # Additions take the reversed argsort order (largest residual first), subtractions the order.
    add = (deficit > 0)[:, None] & (rank >= n_cols - changes)
    subtract = (deficit < 0)[:, None] & (rank < changes)
    return (ints + add - subtract).astype(int)


def normalized_margin_from(self_confidence: np.ndarray, max_other: np.ndarray, *, out: np.ndarray) -> np.ndarray:
    """``(p_y - max_other + 1) / 2`` into ``out``, with the reference's operations in its
    order (so the same bits)."""
    np.subtract(self_confidence, max_other, out=out)
    np.add(out, 1, out=out)
    np.divide(out, 2, out=out)
    return out


def reduce_issues(pred_probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Post-filter mask: True where the given label is (nearly) the model's prediction.

    Equals ``argmax(pred_probs + 1e-6 * onehot(labels), axis=1) == labels`` of the reference
    without the (N, K) copy: with ``boosted = p_y + 1e-6`` (in pred_probs' dtype), the label
    is the first maximum iff ``boosted > p_k`` for every ``k < y`` and ``boosted >= p_k`` for
    every ``k > y``. Against the row maximum M: ``boosted > M`` wins, ``boosted < M`` loses,
    and only the rare exact ties ``boosted == M`` look at the columns before y.
    Inputs are assumed validated (used by count's and filter's post-filters on large arrays).
    """
    n_samples = labels.shape[0]
    boosted = pred_probs[np.arange(n_samples), labels] + FLOATING_POINT_COMPARISON
    row_max = blocks.row_max(pred_probs)
    mask = boosted > row_max
    tied = np.flatnonzero(boosted == row_max)
    if tied.size:
        tied_rows = pred_probs[tied]
        before_label = np.arange(pred_probs.shape[1])[None, :] < labels[tied, None]
        earlier_equal = ((tied_rows == boosted[tied, None]) & before_label).any(axis=1)
        mask[tied] = ~earlier_equal
    return mask

