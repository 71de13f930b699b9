"""Latent structures of confident learning: thresholds, confident joint, noise matrices, priors.

A drop-in for ``cleanlab.count`` (2.9.0) for single-label classification: the same function
names, parameters and defaults, and the same numbers on the same inputs. Terms used below:

* ``labels``: the given (possibly noisy) class index of each example, shape (n_samples,).
* ``pred_probs``: out-of-sample predicted probabilities, shape (n_samples, n_classes).
* confident joint ``C[i, j]``: number of examples with given label i confidently counted as
  true class j (rows = given label, columns = guessed true label).
* noise matrix ``P(given=i | true=j)`` (columns sum to 1), inverse noise matrix
  ``P(true=i | given=j)`` (columns sum to 1), ``py`` = ``P(true=k)``, ``ps`` = ``P(given=k)``.

Differences from the reference, on purpose: inputs are validated (``ValueError``/``TypeError``
naming the argument), no mutable default arguments, no Python loop over examples, and the
cross-validation folds can run in parallel (``n_jobs``) with results identical to serial.
"""

from __future__ import annotations

import itertools
import logging
import warnings
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse
import sklearn.base
from joblib import Parallel, delayed
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from cleanlearn import _blocks, _rows, _workers
from cleanlearn.validation import (
    ROW_SUM_ATOL,
    Interval,
    Options,
    _check_pred_probs_shape,
    check_labels,
    check_labels_and_pred_probs,
    check_n_jobs,
    check_pred_probs,
    check_square_matrix,
    check_thresholds,
    map_row_ranges,
    resolve_n_threads,
    validate_params,
)

__all__ = [
    "calibrate_confident_joint",
    "compute_confident_joint",
    "estimate_confident_joint_and_cv_pred_proba",
    "estimate_cv_predicted_probabilities",
    "estimate_joint",
    "estimate_latent",
    "estimate_noise_matrices",
    "estimate_py_and_noise_matrices_from_probabilities",
    "estimate_py_noise_matrices_and_cv_pred_proba",
    "get_confident_thresholds",
    "num_label_issues",
    "round_preserving_row_totals",
]

logger = logging.getLogger(__name__)

# Constants of the reference (cleanlab.internal.constants), kept bit-for-bit.
FLOATING_POINT_COMPARISON = 1e-6  # slack in "p >= threshold" and in the post-filter
CLIPPING_LOWER_BOUND = 1e-6  # smallest class prior after estimation
CONFIDENT_THRESHOLDS_LOWER_BOUND = 2 * FLOATING_POINT_COMPARISON
TINY_VALUE = 1e-100  # guards divisions by zero
MISSING_CLASS_THRESHOLD = 2  # above any probability: a class without examples is never confident
CONVERGED_PRIOR_LOWER_BOUND = 1e-5  # py clip after converging the latent estimates
MAX_NOISE_RATE = 0.9999

PY_METHODS = ("cnt", "eqn", "marginal", "marginal_ps")
ESTIMATION_METHODS = ("off_diagonal", "off_diagonal_calibrated", "off_diagonal_custom")

# Rows of pred_probs processed at once by the chunked passes: ~64k entries keep every
# temporary (bool mask, block copy) cache-sized whatever the number of classes (measured:
# 2**14..2**18 entries are all within 10%; 2**23 is ~40% slower).
_CHUNK_ENTRIES = 1 << 16


def _block_rows(n_rows: int, n_classes: int) -> int:
    """Rows per block: about _CHUNK_ENTRIES entries, and at most an eighth of the rows, so the
    blocks' temporaries stay a small fraction of pred_probs on small inputs too."""
    return max(1, min(_CHUNK_ENTRIES // max(n_classes, 1), -(-n_rows // 8)))


# Up to this many classes the thresholds group the self-confidences with one boolean mask
# per class instead of a sort (same values, same order, so the same means).
_MASKED_GROUPING_MAX_CLASSES = 8


def _row_chunks(n_samples: int, n_classes: int):
    """Yield slices of rows covering range(n_samples), each of at most _CHUNK_ENTRIES entries."""
    step = _block_rows(n_samples, n_classes)
    for start in range(0, n_samples, step):
        yield slice(start, min(start + step, n_samples))


# Up to this many classes, a row maximum runs column by column (K strided passes of length
# N) rather than along rows: numpy's per-row overhead dominates short rows (measured at
# N=1e6: 10x faster at K=3, 1.4x at K=10, 2x slower at K=16).
_COLUMNWISE_MAX_CLASSES = 12


def _row_max(pred_probs: np.ndarray) -> np.ndarray:
    """Maximum of each row (exact), without an (N, K) temporary."""
    n_samples, n_classes = pred_probs.shape
    if n_classes <= _COLUMNWISE_MAX_CLASSES:
        result = pred_probs[:, 0].copy()
        for column in range(1, n_classes):
            np.maximum(result, pred_probs[:, column], out=result)
        return result
    # argmax then gather beats max(axis=1) along rows (numpy's argmax loop is vectorised);
    # block by block, as numpy's argmax along rows copies its input.
    return _blocks.map_rows(
        lambda block: block[np.arange(block.shape[0]), block.argmax(axis=1)], pred_probs, dtype=pred_probs.dtype
    )


def _is_multi_label(multi_label: Any, caller: str) -> bool:
    """Check multi_label; when True the caller delegates to cleanlearn._multilabel."""
    validate_params({"multi_label": multi_label}, {"multi_label": ["boolean"]}, caller=caller)
    return bool(multi_label)


# ---------------------------------------------------------------------------------------
# Thresholds, confident joint, calibration
# ---------------------------------------------------------------------------------------


def get_confident_thresholds(labels, pred_probs, multi_label: bool = False) -> np.ndarray:
    """Per-class threshold: the mean of ``pred_probs[:, k]`` over the examples labelled ``k``.

    A class without examples gets threshold 2 (never reached); all thresholds are clipped
    below at 2e-6. Returns a float64 array of shape (n_classes,).
    """
    if _is_multi_label(multi_label, "get_confident_thresholds"):
        from cleanlearn import _multilabel  # labels: a list of lists of class indices

        return _multilabel.get_confident_thresholds(labels, pred_probs)
    labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs)
    return _confident_thresholds(labels, pred_probs)


def _confident_thresholds(labels: np.ndarray, pred_probs: np.ndarray, *, n_jobs: int | None = None) -> np.ndarray:
    n_classes = pred_probs.shape[1]
    # Self-confidences grouped by class, each group in ascending example order: the values
    # (and their order) the reference averages with np.mean, so the float sums are identical.
    self_confidence = _self_confidence(labels, pred_probs, n_jobs=n_jobs)
    if n_classes <= _MASKED_GROUPING_MAX_CLASSES:
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
        del order, self_confidence
        bounds = np.concatenate(([0], np.cumsum(np.bincount(labels, minlength=n_classes))))
        groups = (grouped[bounds[k] : bounds[k + 1]] for k in range(n_classes))
    thresholds = [np.mean(group) if group.size else MISSING_CLASS_THRESHOLD for group in groups]
    return np.clip(thresholds, a_min=CONFIDENT_THRESHOLDS_LOWER_BOUND, a_max=None)


def _self_confidence(labels: np.ndarray, pred_probs: np.ndarray, *, n_jobs: int | None = None) -> np.ndarray:
    """``pred_probs[i, labels[i]]`` for every i, one block of rows at a time (a flat take is
    ~1.5x faster than 2-D fancy indexing on a C-contiguous block; one cache line per row, in
    threads for large inputs). No (N,) index array: pred_probs may be a memory map."""
    n_samples, n_classes = pred_probs.shape
    self_confidence = np.empty(n_samples, dtype=pred_probs.dtype)

    def take_rows(start: int, stop: int) -> None:
        step = _block_rows(stop - start, n_classes)
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


def compute_confident_joint(
    labels,
    pred_probs,
    *,
    thresholds=None,
    calibrate: bool = True,
    multi_label: bool = False,
    return_indices_of_off_diagonals: bool = False,
):
    """Count examples by (given label, confidently guessed true label): a (K, K) int matrix.

    An entry ``pred_probs[i, k]`` is confident when ``>= thresholds[k] - 1e-6``. Rows with no
    confident class are skipped; with one, that class is the guess; with several, the guess is
    the argmax over all classes (first maximum). The diagonal is raised to at least 1. With
    ``calibrate`` the matrix is rescaled to the label counts (:func:`calibrate_confident_joint`).
    With ``return_indices_of_off_diagonals`` also returns the (ascending) indices of the
    examples counted off the diagonal: ``(confident_joint, indices)``. Large inputs are
    processed in threads, one per available core (see
    :func:`cleanlearn.validation.resolve_n_threads`); the result does not depend on it.

    pred_probs may be memory-mapped or a Zarr array, larger than RAM (see
    :func:`cleanlearn.filter.find_label_issues`, Notes): 3 sequential passes (checks,
    thresholds, confident joint; 2 with ``thresholds``), a few bytes per example kept.
    """
    if _is_multi_label(multi_label, "compute_confident_joint"):
        from cleanlearn import _multilabel  # (K, 2, 2) one-vs-rest joints

        return _multilabel.compute_confident_joint(
            labels,
            pred_probs,
            thresholds=thresholds,
            calibrate=calibrate,
            return_indices_of_off_diagonals=return_indices_of_off_diagonals,
        )
    validate_params(
        {"calibrate": calibrate, "return_indices_of_off_diagonals": return_indices_of_off_diagonals},
        {"calibrate": ["boolean"], "return_indices_of_off_diagonals": ["boolean"]},
        caller="compute_confident_joint",
    )
    labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs)
    n_classes = pred_probs.shape[1]
    if thresholds is not None:
        thresholds = _checked_thresholds(thresholds, n_classes)
    return _compute_confident_joint(
        labels,
        pred_probs,
        thresholds=thresholds,
        calibrate=calibrate,
        return_indices_of_off_diagonals=return_indices_of_off_diagonals,
    )


def _checked_thresholds(thresholds, n_classes: int) -> np.ndarray:
    """Validated thresholds of shape (K,), keeping a float32 array float32: the reference
    subtracts the 1e-6 slack in the thresholds' own dtype."""
    checked = check_thresholds(thresholds, n_classes=n_classes)
    given = np.asarray(thresholds)
    return given.reshape(n_classes) if given.dtype == np.float32 else checked


def _compute_confident_joint(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    thresholds: np.ndarray | None = None,
    calibrate: bool = True,
    return_indices_of_off_diagonals: bool = False,
    n_jobs: int | None = None,
    check_values: bool = False,
    need_joint: bool = True,
):
    """:func:`compute_confident_joint` on already validated inputs (for sibling modules).

    Large inputs are processed in ``n_jobs`` threads (None: the cores available, see
    :func:`cleanlearn.validation.resolve_n_threads`); the result does not depend on it.
    With ``check_values``, pred_probs has passed only the shape checks: its value checks
    (finite, non-negative, rows summing to 1) run in the same pass over the data and raise
    before anything is counted (see :func:`_check_and_compute_confident_joint`). Without
    ``need_joint`` only the off-diagonal indices are computed: ``(None, indices)``.
    """
    n_samples, n_classes = pred_probs.shape
    if thresholds is None:
        with np.errstate(all="ignore"):  # unchecked values may overflow; they raise below
            thresholds = _confident_thresholds(labels, pred_probs, n_jobs=n_jobs)
    cutoffs = thresholds - FLOATING_POINT_COMPARISON

    # 1) Guess the true label of each example: threads over contiguous row ranges, each
    # walked in cache-sized blocks. The guess starts as the given label.
    # (int16 while the pair codes guess * K + label fit: a quarter of the memory of intp)
    true_label_guess = labels.astype(np.int16 if n_classes * n_classes < 1 << 15 else np.intp, copy=True)
    at_least_one_confident = np.empty(n_samples, dtype=bool)

    def guess_rows(start: int, stop: int):
        return _guess_true_labels(
            pred_probs, labels, cutoffs, start, stop, true_label_guess, at_least_one_confident, check_values
        )

    range_results = map_row_ranges(guess_rows, n_samples, resolve_n_threads(n_jobs, n_entries=pred_probs.size))
    if check_values:
        # The usual case from the extremes of the row sums and entries, with no (N,) array of
        # row sums; anything else is checked again by the plain check, which raises the
        # error it would have raised before any counting.
        extremes = np.array([extreme for extreme, _ in range_results])  # (lowest, max sum, min sum)
        lowest, highest_sum, lowest_sum = extremes[:, 0].min(), extremes[:, 1].max(), extremes[:, 2].min()
        if not (highest_sum - 1.0 <= ROW_SUM_ATOL and 1.0 - lowest_sum <= ROW_SUM_ATOL and lowest >= 0):
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
        confident_joint = _calibrate_confident_joint(confident_joint, np.bincount(labels, minlength=n_classes))
    if return_indices_of_off_diagonals:
        return confident_joint, off_diagonal
    return confident_joint


def _guess_true_labels(
    pred_probs: np.ndarray,
    labels: np.ndarray,
    cutoffs: np.ndarray,
    start: int,
    stop: int,
    true_label_guess: np.ndarray,
    at_least_one_confident: np.ndarray,
    check_values: bool = False,
):
    """Fill rows start..stop of ``at_least_one_confident`` and, where the guess is not the
    given label, of ``true_label_guess`` (which holds the given labels on entry). With
    ``check_values``, also compute the extremes the value checks of pred_probs need, while
    each block is in cache: the minimum entry and the largest and smallest row sums.

    Returns ``((minimum entry, largest row sum, smallest row sum) or None, ascending indices
    of the rows counted off the diagonal)``.

    The reference's rule: no confident class -> not counted; one -> that class; several ->
    the argmax over all classes. Per cache-sized block of rows, few numpy calls (their fixed
    cost adds up over many blocks): one flat comparison against the cutoffs tiled to the
    block (2x faster than broadcasting over rows of K entries), the number of confident
    classes per row and whether the given label is confident. A row whose only confident
    class is its label (most confident rows) needs nothing more; the others (one other
    class confident, or several; usually a few percent) get their guess while the block is
    in memory, so nothing of size K per row outlives its block (pred_probs may be a memory
    map larger than RAM: it is read once, in order).
    """
    n_classes = pred_probs.shape[1]
    step = _block_rows(stop - start, n_classes)
    count_dtype = np.uint8 if n_classes < 256 else np.int64  # bool counts summed as bytes: fast
    confident_buffer = np.empty(step * n_classes, dtype=bool)
    tiled_cutoffs = np.tile(cutoffs, step)  # same dtype, so the same comparison as broadcasting
    ones = np.ones(n_classes, dtype=pred_probs.dtype)
    n_confident = np.empty(stop - start, dtype=count_dtype)
    label_confident = np.empty(stop - start, dtype=bool)
    # Start of each row of a block within the block's flattened comparison (per block, not
    # per example: an (N,) index array would outweigh pred_probs itself with few classes).
    row_offsets = np.arange(step) * n_classes
    label_positions = np.empty(step, dtype=np.intp)
    off_diagonal_rows, block_extremes = [], []
    sums_buffer = np.empty(step, dtype=np.result_type(pred_probs.dtype, ones.dtype)) if check_values else None
    # (ufuncs called directly, not through np.sum/np.min: their wrappers' fixed cost adds
    # up over thousands of blocks)
    for block_start in range(start, stop, step):
        block_stop = min(block_start + step, stop)
        local = slice(block_start - start, block_stop - start)
        block = pred_probs[block_start:block_stop]
        if check_values:
            sums = sums_buffer[: block_stop - block_start]
            np.matmul(block, ones, out=sums)
            block_extremes.append(
                (np.minimum.reduce(block, axis=None), np.maximum.reduce(sums), np.minimum.reduce(sums))
            )
        confident_flat = confident_buffer[: block.size]
        np.greater_equal(block.reshape(-1), tiled_cutoffs[: block.size], out=confident_flat)
        confident_bytes = confident_flat.view(np.uint8).reshape(block.shape)
        np.add.reduce(confident_bytes, axis=1, dtype=count_dtype, out=n_confident[local])
        positions = label_positions[: block_stop - block_start]
        np.add(row_offsets[: block_stop - block_start], labels[block_start:block_stop], out=positions)
        confident_flat.take(positions, out=label_confident[local])
        # More confident classes than the label alone: another class is the only confident
        # one (the guess), or several are (the guess is the argmax over all classes).
        others = np.greater(n_confident[local], label_confident[local]).nonzero()[0]
        if others.size:
            guess = confident_bytes[others].argmax(axis=1)
            several = np.flatnonzero(n_confident[local][others] > 1)
            if several.size:
                guess[several] = block[others[several]].argmax(axis=1)
            rows = others + block_start
            true_label_guess[rows] = guess
            off_diagonal_rows.append(rows[guess != labels[rows]])
    # NaN propagates through max and min (np.maximum), so a NaN row fails the caller's test.
    extremes = None
    if block_extremes:
        columns = np.array(block_extremes, dtype=np.float64)
        extremes = (columns[:, 0].min(), columns[:, 1].max(), columns[:, 2].min())
    np.greater(n_confident, 0, out=at_least_one_confident[start:stop])
    if not off_diagonal_rows:
        return extremes, np.empty(0, dtype=np.intp)
    return extremes, np.concatenate(off_diagonal_rows)


def _check_and_compute_confident_joint(labels, pred_probs, *, n_jobs: int | None = None, **kwargs):
    """``check_labels_and_pred_probs(labels, pred_probs)`` then ``_compute_confident_joint``
    (default thresholds) with one pass over pred_probs instead of two: the value checks of
    pred_probs run in the confident joint's pass. The same errors are raised, in the same
    order, as by the two calls one after the other.

    Returns ``(labels, pred_probs, result of _compute_confident_joint)``.
    """
    labels = check_labels(labels)
    pred_probs = _check_pred_probs_shape(pred_probs, n_examples=None, name="pred_probs", min_classes=2)
    if pred_probs.shape[0] != labels.shape[0] or labels.max() >= pred_probs.shape[1]:
        # Inconsistent inputs: the usual order of checks raises the right error first.
        labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs, n_jobs=n_jobs)
    result = _compute_confident_joint(labels, pred_probs, n_jobs=n_jobs, check_values=True, **kwargs)
    return labels, pred_probs, result


def calibrate_confident_joint(confident_joint, labels, *, multi_label: bool = False) -> np.ndarray:
    """Rescale ``confident_joint`` so row i sums to the count of label i and the total to N.

    Rows are scaled to the label counts, the matrix to ``len(labels)``, then rounded to ints
    preserving the row totals (:func:`round_preserving_row_totals`).
    """
    if _is_multi_label(multi_label, "calibrate_confident_joint"):
        from cleanlearn import _multilabel

        return _multilabel.calibrate_confident_joint(confident_joint, labels)
    confident_joint = check_square_matrix(confident_joint, n_classes=None, name="confident_joint")
    n_classes = confident_joint.shape[0]
    labels = check_labels(labels, n_classes=n_classes)
    return _calibrate_confident_joint(confident_joint, np.bincount(labels, minlength=n_classes))


def _calibrate_confident_joint(confident_joint: np.ndarray, label_counts: np.ndarray) -> np.ndarray:
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


def _reduce_issues(pred_probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Post-filter mask: True where the given label is (nearly) the model's prediction.

    Equals ``argmax(pred_probs + 1e-6 * onehot(labels), axis=1) == labels`` of the reference
    without the (N, K) copy: with ``boosted = p_y + 1e-6`` (in pred_probs' dtype), the label
    is the first maximum iff ``boosted > p_k`` for every ``k < y`` and ``boosted >= p_k`` for
    every ``k > y``. Against the row maximum M: ``boosted > M`` wins, ``boosted < M`` loses,
    and only the rare exact ties ``boosted == M`` look at the columns before y.
    Inputs are assumed validated (used by cleanlearn.filter on large arrays).
    """
    n_samples = labels.shape[0]
    boosted = pred_probs[np.arange(n_samples), labels] + FLOATING_POINT_COMPARISON
    row_max = _row_max(pred_probs)
    mask = boosted > row_max
    tied = np.flatnonzero(boosted == row_max)
    if tied.size:
        tied_rows = pred_probs[tied]
        before_label = np.arange(pred_probs.shape[1])[None, :] < labels[tied, None]
        earlier_equal = ((tied_rows == boosted[tied, None]) & before_label).any(axis=1)
        mask[tied] = ~earlier_equal
    return mask


# ---------------------------------------------------------------------------------------
# Joint, priors and noise matrices
# ---------------------------------------------------------------------------------------


def estimate_joint(labels, pred_probs=None, *, confident_joint=None, multi_label: bool = False) -> np.ndarray:
    """Estimate the joint ``P(given=i, true=j)``: the calibrated confident joint over its sum.

    If ``confident_joint`` is given it is (re)calibrated with ``labels`` (used as-is when
    ``labels`` is None) and ``pred_probs`` is not used; otherwise it is computed from
    ``labels`` and ``pred_probs``.
    """
    if _is_multi_label(multi_label, "estimate_joint"):
        from cleanlearn import _multilabel

        return _multilabel.estimate_joint(labels, pred_probs, confident_joint=confident_joint)
    if confident_joint is None:
        labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs)
        calibrated = _compute_confident_joint(labels, pred_probs, calibrate=True)
    else:
        confident_joint = check_square_matrix(confident_joint, n_classes=None, name="confident_joint")
        if labels is not None:
            n_classes = confident_joint.shape[0]
            labels = check_labels(labels, n_classes=n_classes)
            calibrated = _calibrate_confident_joint(confident_joint, np.bincount(labels, minlength=n_classes))
        else:
            calibrated = confident_joint
    return calibrated / np.clip(float(np.sum(calibrated)), a_min=TINY_VALUE, a_max=None)


def _clip_noise_rates(noise_matrix: np.ndarray) -> np.ndarray:
    """Clip off-diagonal noise rates to [0, 0.9999], keep the diagonal, renormalise columns."""
    diagonal = np.diagonal(noise_matrix)
    clipped = np.clip(noise_matrix, 0, MAX_NOISE_RATE)
    np.fill_diagonal(clipped, diagonal)
    return clipped / np.clip(clipped.sum(axis=0), a_min=TINY_VALUE, a_max=None)


def _clip_values(values: np.ndarray, low: float, high: float, new_sum: float) -> np.ndarray:
    """Clip to [low, high] and rescale to sum to ``new_sum``."""
    clipped = np.clip(values, low, high)
    return clipped * new_sum / np.clip(np.sum(clipped), a_min=TINY_VALUE, a_max=None)


def _compute_py(
    ps: np.ndarray,
    noise_matrix: np.ndarray,
    inverse_noise_matrix: np.ndarray,
    *,
    py_method: str = "cnt",
    true_labels_class_counts: np.ndarray | None = None,
) -> np.ndarray:
    """Latent prior ``py = P(true=k)`` from ``ps = P(given=k)`` and the noise matrices."""
    if py_method == "cnt":
        # Ratio of diagonals: robust when off-diagonal noise rates are poorly estimated.
        py = inverse_noise_matrix.diagonal() / np.clip(noise_matrix.diagonal(), a_min=TINY_VALUE, a_max=None) * ps
    elif py_method == "eqn":
        py = np.linalg.inv(noise_matrix).dot(ps)
    elif py_method == "marginal":
        py = true_labels_class_counts / np.clip(float(sum(true_labels_class_counts)), a_min=TINY_VALUE, a_max=None)
    else:  # "marginal_ps"
        py = np.dot(inverse_noise_matrix, ps)
    return _clip_values(py, low=CLIPPING_LOWER_BOUND, high=1.0, new_sum=1.0)


def _compute_inverse_noise_matrix(py: np.ndarray, noise_matrix: np.ndarray, ps: np.ndarray) -> np.ndarray:
    joint = noise_matrix * py
    inverse_noise_matrix = joint.T / np.clip(ps, a_min=TINY_VALUE, a_max=None)
    return _clip_noise_rates(inverse_noise_matrix)


def _compute_noise_matrix_from_inverse(ps: np.ndarray, inverse_noise_matrix: np.ndarray, py: np.ndarray) -> np.ndarray:
    joint = (inverse_noise_matrix * ps).T
    noise_matrix = joint / np.clip(py, a_min=TINY_VALUE, a_max=None)
    return _clip_noise_rates(noise_matrix)


def _converge_estimates(
    ps: np.ndarray,
    py: np.ndarray,
    noise_matrix: np.ndarray,
    inverse_noise_matrix: np.ndarray,
    *,
    inv_noise_matrix_iterations: int = 5,
    noise_matrix_iterations: int = 3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Iterate the closed-form identities linking py, the noise and inverse noise matrices.

    The inverse noise matrix and py are converged first (inner loop) because the noise
    matrix depends only on ps (known); then the noise matrix is recomputed (outer loop).
    """
    for _ in range(noise_matrix_iterations):
        for _ in range(inv_noise_matrix_iterations):
            inverse_noise_matrix = _compute_inverse_noise_matrix(py, noise_matrix, ps)
            py = _compute_py(ps, noise_matrix, inverse_noise_matrix)
        noise_matrix = _compute_noise_matrix_from_inverse(ps, inverse_noise_matrix, py)
    return py, noise_matrix, inverse_noise_matrix


def estimate_latent(
    confident_joint,
    labels,
    *,
    py_method: str = "cnt",
    converge_latent_estimates: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From a confident joint, estimate ``(py, noise_matrix, inverse_noise_matrix)``.

    ``noise_matrix = C / column sums`` (P(given | true)), ``inverse_noise_matrix = C.T / row
    sums`` (P(true | given)); ``py`` by ``py_method`` ("cnt", "eqn", "marginal",
    "marginal_ps") before the noise rates are clipped. ``converge_latent_estimates`` iterates
    the identities between them (3 x 5 times), then clips py at 1e-5.
    """
    validate_params(
        {"py_method": py_method, "converge_latent_estimates": converge_latent_estimates},
        {"py_method": [Options(PY_METHODS)], "converge_latent_estimates": ["boolean"]},
        caller="estimate_latent",
    )
    confident_joint = check_square_matrix(confident_joint, n_classes=None, name="confident_joint")
    labels = check_labels(labels, n_classes=confident_joint.shape[0])
    return _estimate_latent(confident_joint, labels, py_method=py_method, converge_latent_estimates=converge_latent_estimates)


def _estimate_latent(
    confident_joint: np.ndarray,
    labels: np.ndarray,
    *,
    py_method: str = "cnt",
    converge_latent_estimates: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_classes = confident_joint.shape[0]
    label_counts = np.bincount(labels, minlength=n_classes)
    ps = label_counts / float(len(labels))  # P(given label = k)
    given_class_counts = confident_joint.sum(axis=1).astype(float)  # per given label
    true_class_counts = confident_joint.sum(axis=0).astype(float)  # per guessed true label
    noise_matrix = confident_joint / np.clip(true_class_counts, a_min=TINY_VALUE, a_max=None)
    inverse_noise_matrix = confident_joint.T / np.clip(given_class_counts, a_min=TINY_VALUE, a_max=None)
    # The prior uses the unclipped matrices.
    py = _compute_py(
        ps, noise_matrix, inverse_noise_matrix, py_method=py_method, true_labels_class_counts=true_class_counts
    )
    noise_matrix = _clip_noise_rates(noise_matrix)
    inverse_noise_matrix = _clip_noise_rates(inverse_noise_matrix)
    if converge_latent_estimates:
        py, noise_matrix, inverse_noise_matrix = _converge_estimates(ps, py, noise_matrix, inverse_noise_matrix)
        py = _clip_values(py, low=CONVERGED_PRIOR_LOWER_BOUND, high=1.0, new_sum=1.0)
        noise_matrix = _clip_noise_rates(noise_matrix)
        inverse_noise_matrix = _clip_noise_rates(inverse_noise_matrix)
    return py, noise_matrix, inverse_noise_matrix


def estimate_py_and_noise_matrices_from_probabilities(
    labels,
    pred_probs,
    *,
    thresholds=None,
    converge_latent_estimates: bool = True,
    py_method: str = "cnt",
    calibrate: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Confident joint then latent estimates: ``(py, noise_matrix, inverse_noise_matrix,
    confident_joint)``. Note the default ``converge_latent_estimates=True`` (as the reference).
    pred_probs may be memory-mapped or a Zarr array: the passes of
    :func:`compute_confident_joint`."""
    validate_params(
        {"py_method": py_method, "converge_latent_estimates": converge_latent_estimates, "calibrate": calibrate},
        {"py_method": [Options(PY_METHODS)], "converge_latent_estimates": ["boolean"], "calibrate": ["boolean"]},
        caller="estimate_py_and_noise_matrices_from_probabilities",
    )
    labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs)
    if thresholds is not None:
        thresholds = _checked_thresholds(thresholds, pred_probs.shape[1])
    confident_joint = _compute_confident_joint(labels, pred_probs, thresholds=thresholds, calibrate=calibrate)
    py, noise_matrix, inverse_noise_matrix = _estimate_latent(
        confident_joint, labels, py_method=py_method, converge_latent_estimates=converge_latent_estimates
    )
    return py, noise_matrix, inverse_noise_matrix, confident_joint


# ---------------------------------------------------------------------------------------
# Cross-validated predicted probabilities
# ---------------------------------------------------------------------------------------


def _append_rows(X_train, X_holdout, positions: list[int]):
    """X_train with rows ``positions`` of X_holdout appended (the reference's duplication)."""
    if not positions:
        return X_train
    extra = _rows.take_rows(X_holdout, np.asarray(positions))
    if isinstance(X_train, np.ndarray):
        return np.concatenate([X_train, extra])
    if hasattr(X_train, "iloc"):
        return pd.concat([X_train, extra]).reset_index(drop=True)
    if scipy.sparse.issparse(X_train):
        return scipy.sparse.vstack([X_train, extra], format=X_train.format)
    if isinstance(X_train, list):
        return X_train + list(extra)
    raise TypeError(f"Cannot append rows to X of type {type(X_train).__name__} (a class is missing from a fold).")


def _plan_folds(labels: np.ndarray, n_classes: int, cv_n_folds: int, seed) -> list[tuple]:
    """Fold splits plus, per fold, the holdout positions duplicated into training.

    A class missing from a training fold gets its first holdout example copied into it
    (that example's holdout prediction is later set to one-hot), as the reference does.
    """
    splitter = StratifiedKFold(n_splits=cv_n_folds, shuffle=True, random_state=seed)
    folds = []
    for train_index, holdout_index in splitter.split(X=labels, y=labels):
        train_classes = np.flatnonzero(np.bincount(labels[train_index], minlength=n_classes))
        duplicated = {}  # missing class -> its first position in the holdout fold
        if train_classes.size < n_classes:
            # The same set operation as the reference: the examples are appended in this set's
            # iteration order (not always ascending), and row order changes a fit's last bits.
            missing_classes = set(range(n_classes)).difference(set(train_classes.tolist()))
            warnings.warn(
                "Duplicated some data across multiple folds to ensure training does not fail "
                f"because these classes do not have enough data for proper cross-validation: "
                f"{missing_classes}.",
                stacklevel=4,  # the caller of estimate_cv_predicted_probabilities & co.
            )
            holdout_labels = labels[holdout_index]
            for missing_class in missing_classes:
                duplicated[missing_class] = int(np.flatnonzero(holdout_labels == missing_class)[0])
        folds.append((train_index, holdout_index, duplicated))
    return folds


def _fit_predict_fold(
    X, labels, clf, train_index, holdout_index, duplicated, clf_kwargs, validation_func, n_classes, fit_workers=1
):
    """Fit a clone of clf on one training fold; return its predicted probabilities on the holdout.

    ``fit_workers`` > 1 lends that many workers to the clone's fit (see ``_workers``)."""
    try:
        model = sklearn.base.clone(clf)
    except Exception as error:
        raise ValueError(
            "clf must be clonable via sklearn.base.clone(clf) (implement get_params()), or compute "
            "out-of-sample pred_probs yourself and pass them in."
        ) from error
    X_train, X_holdout = _rows.take_rows(X, train_index), _rows.take_rows(X, holdout_index)
    labels_train, labels_holdout = labels[train_index], labels[holdout_index]
    positions = list(duplicated.values())
    if positions:
        labels_train = np.append(labels_train, labels_holdout[positions])
        X_train = _append_rows(X_train, X_holdout, positions)
    validation_kwargs = {} if validation_func is None else validation_func(X_holdout, labels_holdout)
    with _workers.fitting_with(model, fit_workers):
        model.fit(X_train, labels_train, **clf_kwargs, **validation_kwargs)
    fold_pred_probs = np.array(model.predict_proba(X_holdout))  # a copy: rows are edited below
    if fold_pred_probs.ndim != 2 or fold_pred_probs.shape != (len(holdout_index), n_classes):
        raise ValueError(
            f"clf.predict_proba returned shape {fold_pred_probs.shape} on a holdout fold of "
            f"{len(holdout_index)} examples; expected ({len(holdout_index)}, {n_classes})."
        )
    for missing_class, position in duplicated.items():
        # The duplicated example was trained on: predict its given label with full confidence.
        fold_pred_probs[position] = 0.0
        fold_pred_probs[position, missing_class] = 1.0
    return fold_pred_probs


def _check_cv_inputs(X, labels, clf, cv_n_folds, seed, clf_kwargs, validation_func, n_jobs, caller):
    validate_params(
        {"cv_n_folds": cv_n_folds, "seed": seed},
        {"cv_n_folds": [Interval(Integral, 2, None)], "seed": [None, Interval(Integral, 0, None), np.random.RandomState]},
        caller=caller,
    )
    n_jobs = check_n_jobs(n_jobs)
    if X is None:
        raise TypeError(f"X is required by {caller}; got None.")
    labels = check_labels(labels)
    n_classes = int(labels.max()) + 1
    present = np.bincount(labels, minlength=n_classes) > 0
    if not present.all():
        raise ValueError(
            f"labels must contain every class 0..{n_classes - 1} for cross-validation; "
            f"classes {np.flatnonzero(~present).tolist()} have no examples."
        )
    if n_classes < 2:
        raise ValueError("labels must contain at least 2 classes for cross-validation.")
    n_rows = _rows.n_samples(X)
    if n_rows != labels.shape[0]:
        raise ValueError(f"X has {n_rows} rows but labels has {labels.shape[0]} entries; they must match.")
    if clf is None:
        clf = LogisticRegression(solver="lbfgs")
    else:
        for method in ("fit", "predict_proba"):
            if not callable(getattr(clf, method, None)):
                raise TypeError(f"clf must implement fit and predict_proba; {type(clf).__name__} lacks {method}.")
    if clf_kwargs is None:
        clf_kwargs = {}
    elif not isinstance(clf_kwargs, dict):
        raise TypeError(f"clf_kwargs must be a dict of keyword arguments for clf.fit; got {type(clf_kwargs).__name__}.")
    if validation_func is not None and not callable(validation_func):
        raise TypeError("validation_func must be a callable with arguments (X_val, y_val).")
    return labels, n_classes, clf, clf_kwargs, n_jobs


def _cv_pred_probs(X, labels, n_classes, clf, cv_n_folds, seed, clf_kwargs, validation_func, n_jobs) -> np.ndarray:
    folds = _plan_folds(labels, n_classes, cv_n_folds, seed)
    workers = _workers.n_workers(n_jobs)
    # Full rounds of `workers` folds side by side; the folds of a last, partial round get the
    # idle workers lent to their fit instead, when the classifier can use them.
    n_tail = len(folds) % workers if workers > 1 and _workers.lendable(clf) else 0
    n_head = len(folds) - n_tail

    def run(fold_plans, n_parallel, fit_workers):
        jobs = (
            delayed(_fit_predict_fold)(
                X, labels, clf, train, holdout, dup, clf_kwargs, validation_func, n_classes, fit_workers
            )
            for train, holdout, dup in fold_plans
        )
        if n_parallel <= 1:
            return (function(*args, **kwargs) for function, args, kwargs in jobs)
        # Results arrive in fold order; as a generator, so each fold is logged when it is done.
        return Parallel(n_jobs=n_parallel, return_as="generator")(jobs)

    fold_results = itertools.chain(
        run(folds[:n_head], workers, 1), run(folds[n_head:], n_tail, workers // max(n_tail, 1))
    )
    pred_probs = np.zeros(shape=(len(labels), n_classes))
    for fold, ((_, holdout_index, _), fold_pred_probs) in enumerate(zip(folds, fold_results, strict=True)):
        pred_probs[holdout_index] = fold_pred_probs
        logger.info("cross-validation fold %d/%d done (%d held out)", fold + 1, len(folds), len(holdout_index))
    return pred_probs


def estimate_confident_joint_and_cv_pred_proba(
    X,
    labels,
    clf=None,
    *,
    cv_n_folds: int = 5,
    thresholds=None,
    seed=None,
    calibrate: bool = True,
    clf_kwargs: dict | None = None,
    validation_func=None,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Cross-validated ``pred_probs`` (StratifiedKFold, shuffled with ``seed``) and their
    confident joint: ``(confident_joint, pred_probs)``.

    ``clf`` defaults to ``LogisticRegression()``; each fold fits ``sklearn.base.clone(clf)``
    (``clf`` itself is never fitted) with ``clf.fit(X_train, y_train, **clf_kwargs,
    **validation_func(X_holdout, y_holdout))``. ``n_jobs`` (None/1 serial, -1 all cores) runs
    the folds in parallel with joblib; the result is identical to serial.
    """
    caller = "estimate_confident_joint_and_cv_pred_proba"
    validate_params({"calibrate": calibrate}, {"calibrate": ["boolean"]}, caller=caller)
    labels, n_classes, clf, clf_kwargs, n_jobs = _check_cv_inputs(
        X, labels, clf, cv_n_folds, seed, clf_kwargs, validation_func, n_jobs, caller
    )
    if thresholds is not None:
        thresholds = _checked_thresholds(thresholds, n_classes)
    pred_probs = _cv_pred_probs(X, labels, n_classes, clf, cv_n_folds, seed, clf_kwargs, validation_func, n_jobs)
    confident_joint = _compute_confident_joint(labels, pred_probs, thresholds=thresholds, calibrate=calibrate)
    return confident_joint, pred_probs


def estimate_py_noise_matrices_and_cv_pred_proba(
    X,
    labels,
    clf=None,
    *,
    cv_n_folds: int = 5,
    thresholds=None,
    converge_latent_estimates: bool = False,
    py_method: str = "cnt",
    seed=None,
    clf_kwargs: dict | None = None,
    validation_func=None,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cross-validated pred_probs and everything estimated from them:
    ``(py, noise_matrix, inverse_noise_matrix, confident_joint, pred_probs)``."""
    validate_params(
        {"py_method": py_method, "converge_latent_estimates": converge_latent_estimates},
        {"py_method": [Options(PY_METHODS)], "converge_latent_estimates": ["boolean"]},
        caller="estimate_py_noise_matrices_and_cv_pred_proba",
    )
    confident_joint, pred_probs = estimate_confident_joint_and_cv_pred_proba(
        X,
        labels,
        clf,
        cv_n_folds=cv_n_folds,
        thresholds=thresholds,
        seed=seed,
        clf_kwargs=clf_kwargs,
        validation_func=validation_func,
        n_jobs=n_jobs,
    )
    labels = check_labels(labels)
    py, noise_matrix, inverse_noise_matrix = _estimate_latent(
        confident_joint, labels, py_method=py_method, converge_latent_estimates=converge_latent_estimates
    )
    return py, noise_matrix, inverse_noise_matrix, confident_joint, pred_probs


def estimate_cv_predicted_probabilities(
    X,
    labels,
    clf=None,
    *,
    cv_n_folds: int = 5,
    seed=None,
    clf_kwargs: dict | None = None,
    validation_func=None,
    n_jobs: int | None = None,
) -> np.ndarray:
    """Out-of-sample predicted probabilities of every example by cross-validation, (N, K)."""
    labels, n_classes, clf, clf_kwargs, n_jobs = _check_cv_inputs(
        X, labels, clf, cv_n_folds, seed, clf_kwargs, validation_func, n_jobs, "estimate_cv_predicted_probabilities"
    )
    return _cv_pred_probs(X, labels, n_classes, clf, cv_n_folds, seed, clf_kwargs, validation_func, n_jobs)


def estimate_noise_matrices(
    X,
    labels,
    clf=None,
    *,
    cv_n_folds: int = 5,
    thresholds=None,
    converge_latent_estimates: bool = True,
    seed=None,
    clf_kwargs: dict | None = None,
    validation_func=None,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(noise_matrix, inverse_noise_matrix)`` estimated with cross-validated pred_probs."""
    return estimate_py_noise_matrices_and_cv_pred_proba(
        X,
        labels,
        clf,
        cv_n_folds=cv_n_folds,
        thresholds=thresholds,
        converge_latent_estimates=converge_latent_estimates,
        seed=seed,
        clf_kwargs=clf_kwargs,
        validation_func=validation_func,
        n_jobs=n_jobs,
    )[1:-2]


# ---------------------------------------------------------------------------------------
# Number of label issues
# ---------------------------------------------------------------------------------------


def num_label_issues(
    labels,
    pred_probs,
    *,
    confident_joint=None,
    estimation_method: str = "off_diagonal",
    multi_label: bool = False,
) -> int:
    """Estimate how many examples have label issues.

    * "off_diagonal": examples counted off the diagonal of the (uncalibrated) confident
      joint, minus those whose label is the model's prediction up to 1e-6 (the post-filter);
      equals ``find_label_issues(filter_by="confident_learning").sum()``.
    * "off_diagonal_calibrated": ``rint((1 - trace(joint)) * N)`` with the calibrated joint.
    * "off_diagonal_custom": the same with the given ``confident_joint``.
    """
    multi_label = _is_multi_label(multi_label, "num_label_issues")
    validate_params(
        {"estimation_method": estimation_method},
        {"estimation_method": [Options(ESTIMATION_METHODS)]},
        caller="num_label_issues",
    )
    if confident_joint is not None and estimation_method != "off_diagonal_custom":
        warnings.warn(
            "The supplied `confident_joint` is ignored as `confident_joint` is recomputed internally using "
            "the supplied `labels` and `pred_probs`. If you still want to use custom `confident_joint` call "
            "function with `estimation_method='off_diagonal_custom'`.",
            stacklevel=2,
        )
    if multi_label:  # as the reference: the confident_learning count, whatever the method
        from cleanlearn import _multilabel

        return _multilabel.num_label_issues(labels, pred_probs)
    labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs)
    n_samples, n_classes = pred_probs.shape
    if np.all(labels == labels[0]):  # as the reference: no issues to count within one class
        raise ValueError(f"labels must contain at least 2 classes; all {n_samples} labels are {labels[0]}.")

    if estimation_method == "off_diagonal":
        _, off_diagonal_indices = _compute_confident_joint(
            labels, pred_probs, calibrate=False, return_indices_of_off_diagonals=True
        )
        is_issue = np.zeros(n_samples, dtype=bool)
        is_issue[off_diagonal_indices] = True
        is_issue[_reduce_issues(pred_probs, labels)] = False
        return int(np.sum(is_issue))

    if estimation_method == "off_diagonal_calibrated":
        confident_joint = _compute_confident_joint(labels, pred_probs, calibrate=True)
    elif confident_joint is None:
        raise ValueError(
            "estimation_method='off_diagonal_custom' needs a pre-computed confident_joint "
            "(e.g. from compute_confident_joint); got confident_joint=None."
        )
    else:
        confident_joint = check_square_matrix(confident_joint, n_classes=n_classes, name="confident_joint")
    # estimate_joint recalibrates to the label counts, as the reference does.
    calibrated = _calibrate_confident_joint(confident_joint, np.bincount(labels, minlength=n_classes))
    joint = calibrated / np.clip(float(np.sum(calibrated)), a_min=TINY_VALUE, a_max=None)
    fraction_of_issues = 1.0 - joint.trace()
    return int(np.rint(fraction_of_issues * n_samples))
