"""Which examples to flag: the filters' names and option rules, prune counts, exact selection.

Shared by :mod:`cleanlearn.filter` and the multi-label filters
(:mod:`cleanlearn.multilabel_classification.filter`, :mod:`cleanlearn._core.multilabel.filter`),
which run the single-label filter on each class's binary problem.

- :func:`prune_counts` and :func:`prune_counts_to_remove`: how many examples to flag in each
  (true class, given class) cell of a calibrated confident joint, with the reference's float
  operations on arrays of the same memory layout, so the truncated counts are identical.
- :func:`take_smallest`: the examples ``np.argsort(values)[:count]`` selects, found with
  ``np.partition`` and an ``argsort`` only when ties at the cutoff make the choice depend on
  argsort's internal order.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np

from cleanlearn._core.confident_joint import round_preserving_row_totals
from cleanlearn._core.scores import RANKINGS
from cleanlearn._core.validation import Interval, Options

# The filters that prune a (calibrated) confident joint; frac_noise and
# num_to_remove_per_class apply to these only.
PRUNING_FILTERS = ("prune_by_noise_rate", "prune_by_class", "both")


OTHER_FILTERS = (
    "confident_learning",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
)


FILTERS = PRUNING_FILTERS + OTHER_FILTERS


# The rules of find_label_issues' options, declared once (the multi-label filters use them too).
PARAMETER_CONSTRAINTS = {
    "filter_by": [Options(FILTERS)],
    "return_indices_ranked_by": [None, Options(RANKINGS)],
    "rank_by_kwargs": [None, dict],
    "frac_noise": [Interval(Real, 0, 1, closed="right")],
    "min_examples_per_class": [Interval(Integral, 0, None)],
    "verbose": ["verbose"],
}


def take_smallest(values: np.ndarray, count: int) -> np.ndarray:
    """Boolean mask of the entries ``np.argsort(values)[:count]`` selects.

    Everything strictly below the count-th smallest value is taken. If the values equal to
    it do not all fit, which of them are taken depends on argsort's internal order (quicksort,
    not stable), so argsort is run on ``values`` itself, which reproduces it exactly.
    """
    n_values = values.shape[0]
    if count >= n_values:
        return np.ones(n_values, dtype=bool)
    mask = np.zeros(n_values, dtype=bool)
    if count <= 0:
        return mask
    cutoff = np.partition(values, count - 1)[count - 1]
    at_or_below = values <= cutoff
    if np.count_nonzero(at_or_below) == count:
        return at_or_below
    mask[np.argsort(values)[:count]] = True
    return mask


def smallest_among_marked(
    entry_values: np.ndarray, entry_columns: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Select, column by column, the ``counts[j]`` smallest of a column's values when they are
    all among its marked entries.

    ``entry_values[e]`` is the value of the marked entry e, in column ``entry_columns[e]``.
    The caller marks every entry of column j at or below some bound, so every value the
    column's ``np.argsort(...)[:counts[j]]`` selects is marked if at least ``counts[j]``
    entries are. Only the marked entries are sorted (one sort for all columns).

    Returns ``(taken, undecided)``: a mask over the entries selected in the columns whose
    choice is decided here, and the columns (with ``counts[j] > 0``) left to the caller:
    fewer than ``counts[j]`` marked entries, or the ``counts[j]``-th smallest tied with the
    next one (which of the tied ``argsort`` takes depends on the whole column).
    """
    n_columns = counts.shape[0]
    order = np.lexsort((entry_values, entry_columns))  # by column, then by value
    sorted_values = entry_values[order]
    del order
    per_column = np.bincount(entry_columns, minlength=n_columns)
    starts = np.cumsum(per_column) - per_column
    wanted = np.flatnonzero(counts > 0)
    enough = counts[wanted] <= per_column[wanted]
    decided = wanted[enough]
    cutoffs = np.full(n_columns, -np.inf, dtype=entry_values.dtype)
    if decided.size:
        last_taken = starts[decided] + counts[decided] - 1
        column_cutoffs = sorted_values[last_taken]
        # Exact when the column's marked entries are all taken (the others exceed the bound,
        # hence the cutoff), or the next marked value is larger.
        following = np.minimum(last_taken + 1, sorted_values.size - 1)
        exact = (counts[decided] == per_column[decided]) | (sorted_values[following] > column_cutoffs)
        cutoffs[decided[exact]] = column_cutoffs[exact]
        undecided = np.concatenate([wanted[~enough], decided[~exact]])
    else:
        undecided = wanted
    # (-inf: nothing taken in the other columns; the values are finite)
    return entry_values <= cutoffs[entry_columns], np.sort(undecided)


def prune_counts(confident_joint: np.ndarray, *, min_examples_per_class: int, frac_noise: float) -> np.ndarray:
    """The reference's ``_keep_at_least_n_per_class``: an int (K, K) matrix whose column k
    holds, for given label k, how many examples to flag per true class (row).

    Each step repeats the reference's float operations on an array of the same memory
    layout (``confident_joint.T`` is a transposed view), so sums round identically and the
    final truncation to int gives the same counts.
    """
    prune_counts = confident_joint.T
    diagonal = np.diagonal(prune_counts)
    # 1) Raise the diagonal (kept examples) to at least min_examples_per_class ...
    new_diagonal = np.maximum(diagonal, min_examples_per_class)
    increase_per_column = new_diagonal - diagonal
    # ... taking the increase evenly from the column's nonzero off-diagonal entries.
    nonzero_off_diagonal_per_column = np.maximum(np.count_nonzero(prune_counts, axis=0) - 1.0, 1.0)
    raised = prune_counts - increase_per_column / nonzero_off_diagonal_per_column
    raised[raised < 0] = 0
    np.fill_diagonal(raised, new_diagonal)
    # 2) Keep frac_noise of each off-diagonal count, moving the rest to the diagonal so
    # column totals are unchanged.
    reduced = raised * frac_noise
    np.fill_diagonal(reduced, raised.diagonal())
    np.fill_diagonal(reduced, raised.diagonal() + np.sum(raised - reduced, axis=0))
    # 3) Counts are ints: truncate (not round), as the reference does. Its final
    # round_preserving_row_totals is a no-op on integers, and its result is C-ordered.
    return np.ascontiguousarray(reduced.astype(int))


def prune_counts_to_remove(
    prune_counts: np.ndarray, label_counts: np.ndarray, num_to_remove_per_class: np.ndarray
) -> np.ndarray:
    """Rescale the prune counts so that row k flags ``num_to_remove_per_class[k]`` examples
    (the reference's ``num_to_remove_per_class`` branch, same float operations)."""
    # Column j divided by row total j, exactly as the reference broadcasts it.
    with np.errstate(divide="ignore", invalid="ignore"):
        joint = prune_counts / np.sum(prune_counts, axis=1)
        noise_per_row = joint.sum(axis=1) - joint.diagonal()
        rescaled = (joint.T * num_to_remove_per_class / noise_per_row).T
    np.fill_diagonal(rescaled, label_counts - num_to_remove_per_class)
    # A row without noise yields 0/0 off the diagonal. The reference rounds such a row
    # entry-wise and casts NaN to a huge negative int, i.e. "prune nothing" there: use 0.
    finite_rows = np.all(np.isfinite(rescaled), axis=1)
    result = np.empty(rescaled.shape, dtype=int)
    if finite_rows.any():
        result[finite_rows] = round_preserving_row_totals(rescaled[finite_rows])
    if not finite_rows.all():
        bad_rows = rescaled[~finite_rows]
        result[~finite_rows] = np.where(np.isfinite(bad_rows), np.round(bad_rows), 0).astype(int)
    return result


def check_num_to_remove(num_to_remove_per_class: Any, n_classes: int) -> np.ndarray:
    """Return num_to_remove_per_class as a (K,) int array of non-negative counts; a scalar k
    means k for every class (the reference broadcasts it the same way)."""
    array = np.asarray(num_to_remove_per_class)
    if array.ndim == 0:
        array = np.full(n_classes, array)
    if array.dtype.kind not in "iuf" or array.ndim != 1:
        raise TypeError(
            "num_to_remove_per_class must be a 1-D sequence of non-negative ints (one per "
            f"class); got {num_to_remove_per_class!r}."
        )
    if array.shape[0] != n_classes:
        raise ValueError(
            f"num_to_remove_per_class must have one entry per class ({n_classes}); got "
            f"{array.shape[0]} entries."
        )
    if array.dtype.kind == "f" and not np.all(np.isfinite(array) & (array == np.round(array))):
        raise ValueError(f"num_to_remove_per_class must hold whole numbers; got {array.tolist()}.")
    if np.any(array < 0):
        raise ValueError(f"num_to_remove_per_class must be non-negative; got {array.tolist()}.")
    return array.astype(np.int64)
