"""Find the examples of a classification dataset whose given label is likely wrong.

A drop-in for ``cleanlab.filter`` 2.9.0 (single-label classification): the same functions,
parameters and defaults, and the same masks and ranked indices on the same inputs.

How the reference's results are reproduced, fast:

- The reference groups examples by given label with one boolean mask per class (K passes
  over the data) and copies each class's rows; here one stable sort of the labels gives
  every class's row indices, in the original order.
- The reference selects "the c smallest" with a full ``np.argsort`` per (class, class)
  pair. Here ``np.partition`` finds the cutoff value and everything up to it is taken; only
  when several examples tie at the cutoff (so that which of them ``argsort`` would take
  depends on its internal order) is ``np.argsort`` run, on exactly the array the
  reference sorts, so the same examples are taken. See :func:`cleanlearn._core.selection.take_smallest`.
- prune_by_noise_rate flags the largest margins ``p_j - p_k``. Rows where another class
  scores at least as high as the given one ("contested") are the only ones with a margin
  >= 0; the selection runs on them alone, and on a class's full column only where they
  cannot decide it. See :func:`_flag_by_noise_rate`.
  With many classes only the few margins within a bound of each cutoff (from the minima
  of groups of rows) are sorted, not the whole columns.
- prune_by_class needs only ``p[i, labels[i]]``, gathered once, by the thresholds' pass.
- Whatever else a filter needs per example (contested rows, self-confidences, normalized
  margins; predicted_neq_given's argmax and post-filter) is computed in the passes that
  check pred_probs and count the confident joint, not in passes of its own
  (:class:`cleanlearn._core.confident_joint.RowQuantities`, :mod:`cleanlearn._core.predicted`).
- The post-filter (unflag examples whose prediction is within 1e-6 of the given label) is
  evaluated on flagged examples only, with no copy of ``pred_probs``; with the C kernel
  (below), for every example in the confident joint's pass, where it costs nearly nothing.
- The confident joint's pass is one compiled loop over each row where the optional C kernel
  is built (:func:`cleanlearn._core.kernel.uses_kernel`): the value checks, the
  counts, the guesses, the contested rows, the normalized margins and the post-filter from a
  single read of the row, instead of a dozen numpy calls over each block. Same bits.
- The passes and the per-class loop run in threads (``n_jobs``); no process pool, no data copies.

Out of core: ``pred_probs`` may be a memory-mapped ``.npy`` (``np.load(path, mmap_mode="r")``),
an ``np.memmap`` or a Zarr array, larger than RAM (see :mod:`cleanlearn._core.blocks`). Every pass
reads it a block of rows at a time, in order, and keeps a few bytes per example; rows are
gathered out of order only for the examples that need them (contested rows of a class,
flagged rows). Results are the same bits as for the in-memory array: blocks only split
row-wise computations. Passes and memory are stated in :func:`find_label_issues`.
"""

from __future__ import annotations

import logging
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

# The cores of count and rank on already validated inputs (cleanlearn._core): find_label_issues
# validates labels and pred_probs once, not once per helper call (each validation is a few
# full passes over pred_probs).
from cleanlearn._core import blocks, selection
from cleanlearn._core import confident_joint as joint_core
from cleanlearn._core import scores as scoring
from cleanlearn._core.predicted import check_and_flag_predicted_neq_given
from cleanlearn._core.progress import report

# The filters' and rankings' names are this module's constants too (FILTERS, RANKINGS, ...).
from cleanlearn._core.scores import RANKINGS  # noqa: F401
from cleanlearn._core.selection import (
    FILTERS,
    OTHER_FILTERS,
    PARAMETER_CONSTRAINTS,
    PRUNING_FILTERS,
)
from cleanlearn._core.validation import (
    Options,
    check_labels_and_pred_probs,
    check_n_jobs,
    check_square_matrix,
    map_row_ranges,
    per_class_threads,
    resolve_n_threads,
    validate_params,
)

__all__ = [
    "find_label_issues",
    "find_label_issues_using_argmax_confusion_matrix",
    "find_predicted_neq_given",
]

logger = logging.getLogger(__name__)

# cleanlab 2.9.0's words (cleanlab/filter.py), so that callers filtering on them keep working.
MULTI_LABEL_DEPRECATION = (
    "The multi_label argument to filter.find_label_issues() is deprecated and will be removed in "
    "future versions. Please use `multilabel_classification.filter.find_label_issues()` instead."
)

# In prune_by_noise_rate, rows asking for at most this many examples share one vectorised
# partition per class; rows asking for more are partitioned one by one.
_BATCH_SELECT_MAX = 256
# prune_by_noise_rate bounds each column's cutoff by the minima of groups of at least this
# many times as many contested rows as the largest count, then sorts the entries within the
# bound only (:func:`_select_within_group_bounds`), when they are at most
# 1/_MARKED_ENTRIES_RATIO of the class's margins; otherwise it partitions whole columns.
_GROUPS_PER_COUNT = 4
_MARKED_ENTRIES_RATIO = 8
# prune_by_noise_rate's negated margins of a class's contested rows are held for at most
# this many (column, row) pairs at once (32 MB in float64); more columns are done in groups.
_MARGIN_BUDGET_ENTRIES = 1 << 22
# Rows are checked for being contested in blocks of about this many entries (2 MB in float64).
_CONTESTED_BLOCK_ENTRIES = 1 << 18
# The post-filter gathers flagged rows in blocks of about this many entries (8 MB in float64).
_POST_FILTER_BLOCK_ENTRIES = 1 << 20


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------


def find_label_issues(
    labels: Any,
    pred_probs: Any,
    *,
    return_indices_ranked_by: str | None = None,
    rank_by_kwargs: dict | None = None,
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    num_to_remove_per_class: Any = None,
    min_examples_per_class: int = 1,
    confident_joint: Any = None,
    n_jobs: int | None = None,
    verbose: bool = False,
    multi_label: bool = False,
) -> np.ndarray:
    """Flag the examples whose given label is likely wrong (confident learning).

    Parameters follow ``cleanlab.filter.find_label_issues`` 2.9.0 (see its documentation).

    Parameters
    ----------
    labels : array-like of shape (n_samples,)
        Given (possibly noisy) class indices 0..K-1.
    pred_probs : array-like of shape (n_samples, n_classes)
        Out-of-sample predicted class probabilities.
    return_indices_ranked_by : {None, "self_confidence", "normalized_margin",
        "confidence_weighted_entropy"}
        None returns a boolean mask; otherwise the indices of flagged examples, ordered by
        ascending label quality score.
    rank_by_kwargs : dict, optional
        Keyword arguments for the ranking score (e.g. ``{"adjust_pred_probs": True}``).
    filter_by : str, default "prune_by_noise_rate"
        One of "prune_by_noise_rate", "prune_by_class", "both", "confident_learning",
        "predicted_neq_given", "low_normalized_margin", "low_self_confidence".
    frac_noise : float in (0, 1], default 1.0
        Keep only this fraction of the estimated noise (pruning filters only).
    num_to_remove_per_class : array-like of K non-negative ints, or one int for every class, optional
        How many examples to flag per given class (pruning filters only).
    min_examples_per_class : int >= 0, default 1
        Never leave fewer than this many examples of a class unflagged.
    confident_joint : array-like of shape (K, K), optional
        A precomputed (calibrated) confident joint; computed when not given. Ignored by
        "confident_learning", which always recomputes it (as the reference does).
    n_jobs : None, -1 or int >= 1
        Threads. The passes over large pred_probs (checks, confident joint) use n_jobs
        threads, None meaning the cores available (capped by an enclosing
        ``joblib.parallel_config(n_jobs=...)`` and threadpoolctl limits), as the
        reference's None means all cores. The per-class work of the pruning filters uses
        n_jobs threads (-1: all cores; 1: this thread only; None: as the passes for
        prune_by_noise_rate's selections on large inputs, else this thread). Threads, not
        processes: no data is copied and it works inside any launcher's worker. Results do
        not depend on it.
    verbose : bool
        Log the number of issues found (logging level INFO).
    multi_label : bool
        True for multi-label data: ``labels`` is then a list with one list of class indices
        per example, and pred_probs holds one probability per class (rows need not sum to
        1). Same as :func:`cleanlearn.multilabel_classification.filter.find_label_issues`.

    Returns
    -------
    numpy.ndarray
        A boolean mask of shape (n_samples,), or the ranked indices of flagged examples.

    Notes
    -----
    **Out of core.** pred_probs (and labels) may be memory-mapped (``np.load(path,
    mmap_mode="r")``, ``np.memmap``) or, pred_probs only, a Zarr array (the ``[zarr]``
    extra; first copied block by block into an unnamed temporary memory map in
    ``$TMPDIR``: one more pass and one copy on disk). The result is bit-identical to the
    in-memory one.

    **Passes over pred_probs**, each sequential, a block of rows at a time:

    - pruning filters (default): 2, i.e. (1) the per-class thresholds (one entry per row;
      their self-confidences, grouped by class, serve prune_by_class), (2) the value checks,
      the confident joint and the contested rows; with at most 8 classes prune_by_class
      reads the self-confidences in a third. 2 when ``confident_joint`` is given (checks;
      contested rows and self-confidences). Then out-of-order reads of a subset of rows:
      per class, its contested rows (another class scores at least the given one), in
      groups of columns if they exceed ``_MARGIN_BUDGET_ENTRIES``; per (class, column) cell
      whose count is not decided among them (too few contested rows, or a tie at the
      cutoff), two entries of each row of the class; and the flagged rows (post-filter),
      unless the C kernel computed the post-filter in pass (2) (below).
    - confident_learning: 2 (thresholds; checks and confident joint), then flagged rows
      (post-filter; not with the C kernel).
    - predicted_neq_given: 1 (checks, argmax and post-filter), then the rare rows whose
      post-filter ties.
    - low_normalized_margin, low_self_confidence: 2 (thresholds; checks, confident joint and
      scores); 3 with at most 8 classes (the scores in a pass of their own).
    - ranking (``return_indices_ranked_by``): the flagged rows only; +1 pass for the
      thresholds with ``adjust_pred_probs``.

    **Memory** (numpy's allocations, as tracemalloc counts them; a memory map's pages are
    the operating system's page cache, not counted): at most about 24 bytes per example plus
    the fixed blocks (under 64 MB whatever the number of classes), with int64 labels (other
    integer dtypes are converted: 8 more bytes per example). Per example: the result mask
    (1), the rows sorted by class (4), contested flags (1), the post-filter's flags (1,
    with the C kernel), the confident joint's guesses (3), prune_by_class's
    self-confidences (one item), and, briefly and before all of these, the thresholds'
    self-confidences grouped by class (at most two items plus 12 bytes). On
    top of that, the exact selection in one class of ``n_k`` examples takes up to ``3 *
    itemsize + 2`` bytes per example of that class (a column of margins, its partition copy,
    two masks), and where examples tie at the cutoff (the reference's ``np.argsort`` then
    decides which of the tied are taken) 8 more bytes per example of that class for the
    argsort. With balanced classes that is a small part of the whole (``n_k / N`` of it);
    with one class holding 70% of the examples, float64, ties included, the peak measured
    is 22 bytes per example (``tests/cleanlearn/test_out_of_core.py``); a class holding nearly all
    examples, with ties at its cutoff, can take the peak to about 40.

    **The C kernel.** Pass (2) runs in one compiled loop over each row
    (``cleanlearn/_core/_joint_kernel.c``, built at install when a C compiler is present)
    for float32 and float64 pred_probs in the machine's byte order; otherwise in numpy, a
    dozen calls per block of rows. The results are the same bits either way.

    Same masks and rankings as cleanlab 2.9's ``cleanlab.filter.find_label_issues`` for
    every ``filter_by``. Different on purpose: bad input raises ValueError or TypeError
    naming the argument; ``n_jobs`` uses threads, not a process pool, and the result never
    depends on it; memory-mapped and Zarr ``pred_probs`` are read in row blocks with exact
    results (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.filter import find_label_issues
    >>> find_label_issues(labels, pred_probs)
    array([False, False,  True, False, False, False, False, False, False])
    >>> find_label_issues(labels, pred_probs, filter_by='prune_by_class', return_indices_ranked_by='self_confidence')
    array([2])
    """
    # 1) Check every argument before any work.
    validate_params({"multi_label": multi_label}, {"multi_label": ["boolean"]}, caller="find_label_issues")
    if multi_label:  # labels: a list of lists of class indices
        # (imported here: single-label users do not pay for the multi-label package)
        from cleanlearn.multilabel_classification import filter as multilabel_filter

        if isinstance(labels, list):  # as cleanlab 2.9: a non-list is refused before the warning
            warnings.warn(MULTI_LABEL_DEPRECATION, DeprecationWarning, stacklevel=2)

        return multilabel_filter.find_label_issues(
            labels,
            pred_probs,
            return_indices_ranked_by=return_indices_ranked_by,
            rank_by_kwargs=rank_by_kwargs,
            filter_by=filter_by,
            frac_noise=frac_noise,
            num_to_remove_per_class=num_to_remove_per_class,
            min_examples_per_class=min_examples_per_class,
            confident_joint=confident_joint,
            n_jobs=n_jobs,
            verbose=verbose,
        )
    validate_params(
        {
            "filter_by": filter_by,
            "return_indices_ranked_by": return_indices_ranked_by,
            "rank_by_kwargs": rank_by_kwargs,
            "frac_noise": frac_noise,
            "min_examples_per_class": min_examples_per_class,
            "verbose": verbose,
        },
        PARAMETER_CONSTRAINTS,
        caller="find_label_issues",
    )
    check_n_jobs(n_jobs)
    if return_indices_ranked_by is not None:  # the ranking options are checked before any work
        adjust_pred_probs = scoring.check_rank_by(return_indices_ranked_by, rank_by_kwargs)
    # When a confident joint is needed, the value checks of pred_probs run in its pass over
    # the data (one pass instead of two), raising the same errors at this same point.
    # The per-example quantities a filter needs beyond the joint are computed in the same
    # passes (thresholds, joint), not in passes of their own.
    computed_joint = off_diagonal = predicted_neq_given = None
    row_quantities = joint_core.RowQuantities(
        want_grouped=filter_by in ("prune_by_class", "both"),
        want_contested=filter_by in ("prune_by_noise_rate", "both"),
        want_self_confidence=filter_by == "low_self_confidence",
        want_normalized_margin=filter_by == "low_normalized_margin",
        # the post-filter's mask of every example, when the C kernel computes the joint
        want_near_given=filter_by != "predicted_neq_given",
    )
    if filter_by == "confident_learning" or filter_by in _LOWEST_SCORE_FILTERS:
        labels, pred_probs, (_, off_diagonal) = joint_core.check_and_compute_confident_joint(
            labels,
            pred_probs,
            calibrate=False,
            return_indices_of_off_diagonals=True,
            need_joint=False,
            n_jobs=n_jobs,
            rows=row_quantities,
        )
    elif filter_by in PRUNING_FILTERS and confident_joint is None:
        labels, pred_probs, computed_joint = joint_core.check_and_compute_confident_joint(
            labels, pred_probs, n_jobs=n_jobs, rows=row_quantities
        )
    elif filter_by == "predicted_neq_given":
        labels, pred_probs, predicted_neq_given = check_and_flag_predicted_neq_given(labels, pred_probs, n_jobs=n_jobs)
    else:
        labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs, n_jobs=n_jobs)
    n_samples, n_classes = pred_probs.shape
    if num_to_remove_per_class is not None:
        num_to_remove_per_class = selection.check_num_to_remove(num_to_remove_per_class, n_classes)
    if confident_joint is not None:
        confident_joint = check_square_matrix(
            confident_joint, n_classes=n_classes, name="confident_joint"
        )
    if filter_by in OTHER_FILTERS and (frac_noise != 1.0 or num_to_remove_per_class is not None):
        warnings.warn(
            "frac_noise and num_to_remove_per_class apply only to filter_by "
            f"{', '.join(map(repr, PRUNING_FILTERS))}; they are ignored by {filter_by!r}.",
            stacklevel=2,
        )
    if filter_by in OTHER_FILTERS and num_to_remove_per_class is not None:
        raise ValueError(
            f"num_to_remove_per_class is not supported with filter_by={filter_by!r}; use one "
            f"of {', '.join(map(repr, PRUNING_FILTERS))}."
        )
    if filter_by == "confident_learning" and confident_joint is not None:
        warnings.warn(
            "The supplied confident_joint is ignored when filter_by='confident_learning': the "
            "confident joint is re-estimated from labels and pred_probs (as in cleanlab). "
            "Use another filter_by to use your confident_joint.",
            stacklevel=2,
        )

    # 2) Flag examples with the chosen method.
    if filter_by in PRUNING_FILTERS:
        if confident_joint is None:
            confident_joint = computed_joint
        label_counts = np.bincount(labels, minlength=n_classes)
        prune_counts = selection.prune_counts(
            confident_joint, min_examples_per_class=min_examples_per_class, frac_noise=frac_noise
        )
        if num_to_remove_per_class is not None:
            prune_counts = selection.prune_counts_to_remove(prune_counts, label_counts, num_to_remove_per_class)
        # Two steps, so that the per-class work's index arrays are freed before the post-filter.
        flags = _flag_pruned(
            labels,
            pred_probs,
            prune_counts,
            label_counts,
            by_class=filter_by in ("prune_by_class", "both"),
            by_noise_rate=filter_by in ("prune_by_noise_rate", "both"),
            min_examples_per_class=min_examples_per_class,
            n_jobs=n_jobs,
            row_quantities=row_quantities,
        )
        near_given, row_quantities.near_given = row_quantities.near_given, None
        del row_quantities  # (the self-confidences and contested flags are freed here)
        label_issues_mask = _drop_near_given_threaded(flags, labels, pred_probs, n_jobs, near_given=near_given)
    elif filter_by == "predicted_neq_given":
        label_issues_mask = predicted_neq_given
    else:
        label_issues_mask = _OTHER_FILTER_FUNCTIONS[filter_by](
            labels, pred_probs, off_diagonal=off_diagonal, row_quantities=row_quantities, n_jobs=n_jobs
        )
        del row_quantities

    report(logger, verbose, "Number of label issues found: %d", np.count_nonzero(label_issues_mask))

    # 3) Rank the flagged examples, if asked.
    if return_indices_ranked_by is not None:
        return scoring.order_label_issues(
            label_issues_mask, labels, pred_probs, rank_by=return_indices_ranked_by, adjust_pred_probs=adjust_pred_probs
        )
    return label_issues_mask


def find_predicted_neq_given(labels: Any, pred_probs: Any, *, multi_label: bool = False) -> np.ndarray:
    """Flag examples whose predicted class ``argmax(pred_probs)`` differs from the given label.

    Parameters
    ----------
    labels : array_like of shape (n_samples,)
        Given class index of each example, integers 0..K-1 (multi-label: a list of per-example
        label lists).
    pred_probs : array_like of shape (n_samples, n_classes)
        Out-of-sample predicted class probabilities.
    multi_label : bool, default False
        True: flag an example when, for some class, ``p > 0.5`` (the binary argmax of
        ``(1 - p, p)``) disagrees with whether the class is among its labels.

    Returns
    -------
    np.ndarray of shape (n_samples,)
        Boolean mask, True for the flagged examples.

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.filter.find_predicted_neq_given``. Differs only
    in its errors: bad input raises ValueError or TypeError naming the argument and the
    value (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.filter import find_predicted_neq_given
    >>> find_predicted_neq_given(labels, pred_probs)
    array([False, False,  True, False, False, False, False, False, False])
    """
    validate_params({"multi_label": multi_label}, {"multi_label": ["boolean"]}, caller="find_predicted_neq_given")
    if multi_label:
        from cleanlearn._core.multilabel.filter import find_predicted_neq_given

        return find_predicted_neq_given(labels, pred_probs)
    labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs)
    return blocks.row_argmax(pred_probs) != labels


def find_label_issues_using_argmax_confusion_matrix(
    labels: Any,
    pred_probs: Any,
    *,
    calibrate: bool = True,
    filter_by: str = "prune_by_noise_rate",
) -> np.ndarray:
    """Baseline: :func:`find_label_issues` with the confusion matrix of ``argmax(pred_probs)``
    vs the given labels as the confident joint (calibrated when ``calibrate``).

    Parameters
    ----------
    labels : array_like of shape (n_samples,)
        Given (possibly noisy) class index of each example, integers 0..K-1.
    pred_probs : array_like of shape (n_samples, n_classes)
        Out-of-sample predicted class probabilities.
    calibrate : bool, default True
        Calibrate the confusion matrix to the label counts before pruning.
    filter_by : str, default "prune_by_noise_rate"
        The filter of :func:`find_label_issues` applied with that matrix.

    Returns
    -------
    np.ndarray of shape (n_samples,)
        Boolean mask, True for examples flagged as label issues.

    Notes
    -----
    Same result as cleanlab 2.9's
    ``cleanlab.filter.find_label_issues_using_argmax_confusion_matrix``. Differs only in its
    errors: bad input raises ValueError or TypeError naming the argument and the value (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.filter import find_label_issues_using_argmax_confusion_matrix
    >>> find_label_issues_using_argmax_confusion_matrix(labels, pred_probs)
    array([False, False,  True, False, False, False, False, False, False])
    """
    validate_params(
        {"calibrate": calibrate, "filter_by": filter_by},
        {"calibrate": ["boolean"], "filter_by": [Options(FILTERS)]},
        caller="find_label_issues_using_argmax_confusion_matrix",
    )
    labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs)
    n_classes = pred_probs.shape[1]
    predicted = blocks.row_argmax(pred_probs)
    # confusion[predicted, given], transposed like the reference's
    # confusion_matrix(predicted, labels).T (the memory layout decides float rounding later).
    # Unlike sklearn's confusion_matrix, classes absent from both vectors keep their row and
    # column, so the matrix is always (K, K).
    confusion = np.bincount(predicted * n_classes + labels, minlength=n_classes * n_classes)
    confident_joint = confusion.reshape(n_classes, n_classes).T
    if calibrate:
        confident_joint = joint_core.calibrate_confident_joint(
            confident_joint, np.bincount(labels, minlength=n_classes)
        )
    return find_label_issues(
        labels=labels,
        pred_probs=pred_probs,
        confident_joint=confident_joint,
        filter_by=filter_by,
    )


# ---------------------------------------------------------------------------------------
# Filters that do not prune a confident joint
# ---------------------------------------------------------------------------------------


def _filter_confident_learning(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    off_diagonal: np.ndarray | None = None,
    row_quantities: joint_core.RowQuantities | None = None,
    n_jobs: int | None = None,
    **_,
) -> np.ndarray:
    """Examples counted off the diagonal of the (uncalibrated) confident joint, whose
    indices ``off_diagonal`` are computed here unless given, minus those whose given label
    is (within 1e-6) the predicted one (``row_quantities.near_given`` when the joint's pass
    computed it). Large inputs use ``n_jobs`` threads."""
    if off_diagonal is None:
        row_quantities = joint_core.RowQuantities(want_near_given=True)
        off_diagonal = _off_diagonal_rows(labels, pred_probs, row_quantities, n_jobs)
    near_given = None if row_quantities is None else row_quantities.near_given
    label_issues_mask = np.zeros(labels.shape[0], dtype=bool)
    label_issues_mask[off_diagonal] = True
    return _drop_near_given_threaded(label_issues_mask, labels, pred_probs, n_jobs, near_given=near_given)


def _off_diagonal_rows(
    labels: np.ndarray, pred_probs: np.ndarray, row_quantities: joint_core.RowQuantities, n_jobs: int | None
) -> np.ndarray:
    """Indices of the examples counted off the diagonal of the uncalibrated confident joint
    (the joint itself is not built), filling ``row_quantities`` in the same pass."""
    _, off_diagonal = joint_core.compute_confident_joint(
        labels,
        pred_probs,
        calibrate=False,
        return_indices_of_off_diagonals=True,
        need_joint=False,
        n_jobs=n_jobs,
        rows=row_quantities,
    )
    return off_diagonal


def _drop_near_given_threaded(
    label_issues_mask: np.ndarray,
    labels: np.ndarray,
    pred_probs: np.ndarray,
    n_jobs: int | None,
    *,
    near_given: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`_drop_near_given` over contiguous row ranges in ``n_jobs`` threads, or, given
    the post-filter's mask of every example (``near_given``, from the C kernel's pass), that
    mask applied (in place)."""
    if near_given is not None:
        return np.greater(label_issues_mask, near_given, out=label_issues_mask)  # flagged and not near

    def drop_near_given(start: int, stop: int) -> None:  # ranges own disjoint rows: thread-safe
        _drop_near_given(label_issues_mask, labels, pred_probs, rows_range=(start, stop))

    map_row_ranges(drop_near_given, labels.shape[0], resolve_n_threads(n_jobs, n_entries=pred_probs.size))
    return label_issues_mask


def _filter_predicted_neq_given(labels: np.ndarray, pred_probs: np.ndarray, **_) -> np.ndarray:
    label_issues_mask = blocks.row_argmax(pred_probs) != labels
    return _drop_near_given(label_issues_mask, labels, pred_probs)


def _filter_lowest_score(method: str):
    """The num_label_issues() examples with the lowest (unadjusted) ``method`` score."""

    def filter_lowest(
        labels: np.ndarray,
        pred_probs: np.ndarray,
        *,
        off_diagonal: np.ndarray | None = None,
        row_quantities: joint_core.RowQuantities | None = None,
        n_jobs: int | None = None,
    ) -> np.ndarray:
        # count.num_label_issues(labels, pred_probs) is by definition the number of
        # confident_learning issues; counting them here skips its re-validation. The
        # scores' per-example quantities come from the confident joint's passes when the
        # caller had them computed there.
        scores_name = "normalized_margin" if method == "normalized_margin" else "self_confidence"
        if off_diagonal is None:
            row_quantities = joint_core.RowQuantities(**{f"want_{scores_name}": True}, want_near_given=True)
            off_diagonal = _off_diagonal_rows(labels, pred_probs, row_quantities, n_jobs)
        mask = _filter_confident_learning(
            labels, pred_probs, off_diagonal=off_diagonal, row_quantities=row_quantities, n_jobs=n_jobs
        )
        num_issues = int(np.count_nonzero(mask))
        del mask, off_diagonal
        scores = None if row_quantities is None else getattr(row_quantities, scores_name)
        if scores is None:  # not computed in the joint's passes (few classes): a pass of its own
            scores = scoring.label_quality_scores(labels, pred_probs, method=method, adjust_pred_probs=False)
        else:
            setattr(row_quantities, scores_name, None)
        return selection.take_smallest(scores, num_issues)

    return filter_lowest


_OTHER_FILTER_FUNCTIONS = {
    "confident_learning": _filter_confident_learning,
    "predicted_neq_given": _filter_predicted_neq_given,
    "low_normalized_margin": _filter_lowest_score("normalized_margin"),
    "low_self_confidence": _filter_lowest_score("self_confidence"),
}
_LOWEST_SCORE_FILTERS = ("low_normalized_margin", "low_self_confidence")


def _drop_near_given(
    label_issues_mask: np.ndarray, labels: np.ndarray, pred_probs: np.ndarray, rows_range: tuple | None = None
) -> np.ndarray:
    """Unflag examples whose given label is (within 1e-6) the predicted one (in place), among
    the rows ``range(*rows_range)`` (default: all).

    Only flagged rows are read, a cache-sized block of them at a time, so the cost scales
    with the number of issues and no large copy of pred_probs is made.
    """
    start, stop = (0, labels.shape[0]) if rows_range is None else rows_range
    flagged = np.flatnonzero(label_issues_mask[start:stop])
    flagged += start
    block_rows = max(1, min(_POST_FILTER_BLOCK_ENTRIES // pred_probs.shape[1], -(-(stop - start) // 8)))
    for start in range(0, flagged.size, block_rows):
        rows = flagged[start : start + block_rows]
        near_given = joint_core.reduce_issues(pred_probs[rows], labels[rows])
        label_issues_mask[rows[near_given]] = False
    return label_issues_mask


# ---------------------------------------------------------------------------------------
# Prune counts: how many examples to flag in each (true class, given class) cell
# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# Pruning: flag examples class by class
# ---------------------------------------------------------------------------------------


def _flag_pruned(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    prune_counts: np.ndarray,
    label_counts: np.ndarray,
    *,
    by_class: bool,
    by_noise_rate: bool,
    min_examples_per_class: int,
    n_jobs: int | None,
    row_quantities: joint_core.RowQuantities | None = None,
) -> np.ndarray:
    """The flags of prune_by_class, prune_by_noise_rate or both (AND), before the near-given
    post-filter (:func:`_drop_near_given`, applied by the caller). The contested flags, the
    stable sort of the labels and the self-confidences grouped by it are taken from
    ``row_quantities`` (which lets go of them) when the confident joint's passes computed
    them, else computed here in one pass.

    For given class k with rows ``rows_k`` (in original order, as the reference's
    ``pred_probs[labels == k]``):
    - by class: flag the ``n_k - prune_counts[k, k]`` rows with the lowest ``p[:, k]``;
    - by noise rate: for each j != k, flag the ``prune_counts[j, k]`` rows with the largest
      margin ``p[:, j] - p[:, k]``; OR over j.
    Classes with at most ``min_examples_per_class`` examples, or with one example, are
    never flagged.
    """
    n_samples, n_classes = pred_probs.shape
    label_issues_mask = np.zeros(n_samples, dtype=bool)

    rows_by_class = contested = self_confidence = None
    if row_quantities is not None:
        contested = row_quantities.contested
        if row_quantities.grouped_self_confidence is not None:
            rows_by_class, self_confidence = row_quantities.class_order, row_quantities.grouped_self_confidence
        row_quantities.contested = row_quantities.class_order = row_quantities.grouped_self_confidence = None
    if rows_by_class is None:
        # Row indices of each class, in original order: one stable sort (radix sort on small
        # integer types) instead of one boolean mask per class.
        sort_dtype = np.uint8 if n_classes <= 256 else np.uint16 if n_classes <= 65536 else np.int64
        rows_by_class = np.argsort(labels.astype(sort_dtype), kind="stable")
        if n_samples < 1 << 31:  # half the memory, kept for the whole loop
            rows_by_class = rows_by_class.astype(np.int32)
    class_ends = np.cumsum(label_counts)
    class_starts = class_ends - label_counts

    too_few = label_counts <= min_examples_per_class
    if too_few.any():
        warnings.warn(
            f"May not flag all label issues in classes {np.flatnonzero(too_few).tolist()}: "
            "they have too few examples (see argument: min_examples_per_class).",
            stacklevel=3,
        )
    # The reference writes a class's flags back only when the class has 2+ examples.
    prunable = ~too_few & (label_counts > 1)

    # One pass over pred_probs, in order, for what the joint's passes did not compute: the
    # contested rows (by noise rate) and the self-confidences p[i, labels[i]] grouped by
    # class like rows_by_class (by class).
    need_contested, need_self_confidence = by_noise_rate and contested is None, by_class and self_confidence is None
    if need_contested or need_self_confidence:
        computed_contested, computed_self_confidence = _contested_rows(
            pred_probs, labels, contested=need_contested, rows_by_class=rows_by_class if need_self_confidence else None
        )
        contested = computed_contested if need_contested else contested
        self_confidence = computed_self_confidence if need_self_confidence else self_confidence

    def flag_by_class(k: int) -> None:
        rows = rows_by_class[class_starts[k] : class_ends[k]]
        class_self_confidence = self_confidence[class_starts[k] : class_ends[k]]
        label_issues_mask[rows[selection.take_smallest(class_self_confidence, label_counts[k] - prune_counts[k, k])]] = True

    def flag_by_noise_rate(k: int) -> None:
        rows = rows_by_class[class_starts[k] : class_ends[k]]
        flags = _flag_by_noise_rate(pred_probs, rows, contested[rows], prune_counts[:, k], k)
        if by_class:  # both: AND with the by-class flags already in the mask
            label_issues_mask[rows] &= flags
        else:
            label_issues_mask[rows[flags]] = True

    classes = np.flatnonzero(prunable)
    # By class first, for every class, so that its self-confidences are freed before the
    # noise-rate selections (both: at most one of the two sets of temporaries at a time).
    steps = ([flag_by_class] if by_class else []) + ([flag_by_noise_rate] if by_noise_rate else [])
    for step in steps:
        sizes = pred_probs.size if step is flag_by_noise_rate else n_samples
        if n_jobs is None:
            # Default: the cores available for large inputs, as the passes (the noise-rate
            # selections gather and compare a quarter of pred_probs; threads halve their time
            # on 2 cores); the by-class selections are too small to gain.
            n_threads = min(resolve_n_threads(None, n_entries=sizes), max(1, classes.size))
        else:
            n_threads = per_class_threads(n_jobs, n_tasks=classes.size, size=sizes)
        if n_threads == 1:
            for k in classes:
                step(k)
        else:  # classes own disjoint rows: thread-safe
            # numpy releases the GIL in the gathers, subtractions and partitions of each class.
            with ThreadPoolExecutor(max_workers=n_threads) as executor:
                for _ in executor.map(step, classes.tolist()):
                    pass
        if step is flag_by_class:
            self_confidence = None  # freed: flag_by_class was its last user
    return label_issues_mask


def _contested_rows(
    pred_probs: np.ndarray, labels: np.ndarray, *, contested: bool, rows_by_class: np.ndarray | None
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(contested, self_confidence)``, each None unless asked for, in one pass over
    pred_probs, block by block, in order.

    contested: True where another class scores at least as high as the given one
    (``p_j >= p_y`` for some ``j != y``): the only rows with a margin ``p_j - p_y >= 0``.
    ``p_y`` itself is always ``>= p_y``, so a row is contested when at least two entries are.
    self_confidence (when ``rows_by_class``, the stable sort of the labels, is given):
    ``p[i, labels[i]]`` in the order of ``rows_by_class``, so that each class's values are a
    slice; each block's values are written straight to their sorted positions.
    """
    n_samples, n_classes = pred_probs.shape
    if not contested and rows_by_class is None:
        return None, None
    count_dtype = np.uint8 if n_classes < 1 << 8 else np.uint16 if n_classes < 1 << 16 else np.int64
    contested_rows = np.empty(n_samples, dtype=bool) if contested else None
    self_confidence = sorted_position = None
    if rows_by_class is not None:
        self_confidence = np.empty(n_samples, dtype=pred_probs.dtype)
        sorted_position = np.empty(n_samples, dtype=rows_by_class.dtype)  # inverse of the sort
    step = max(1, min(_CONTESTED_BLOCK_ENTRIES // n_classes, -(-n_samples // 8)))  # small inputs: small blocks
    if rows_by_class is not None:
        for start in range(0, n_samples, step):  # (no (N,) arange next to it)
            stop = min(start + step, n_samples)
            sorted_position[rows_by_class[start:stop]] = np.arange(start, stop, dtype=rows_by_class.dtype)
    for start in range(0, n_samples, step):
        block = pred_probs[start : start + step]
        given = block[np.arange(block.shape[0]), labels[start : start + step]]
        if rows_by_class is not None:
            self_confidence[sorted_position[start : start + step]] = given
        if contested:
            at_least_given = block >= given[:, None]
            contested_rows[start : start + step] = at_least_given.view(np.uint8).sum(axis=1, dtype=count_dtype) >= 2
    return contested_rows, self_confidence


def _flag_by_noise_rate(
    pred_probs: np.ndarray, rows: np.ndarray, contested: np.ndarray, counts_to_flag: np.ndarray, k: int
) -> np.ndarray:
    """Mask over ``rows`` (the examples labelled k, in order): OR over j != k of the
    ``counts_to_flag[j]`` rows with the largest margin ``p[:, j] - p[:, k]``, taken as the
    reference's ``np.argsort(-margin)[:count]`` takes them.

    Each count is first looked for among the ``contested`` rows (margin >= 0 for some j):
    if column j has at least ``count`` non-negative margins, the count-th largest margin is
    >= 0 and every row at or above it is contested, so a selection among the contested
    rows finds it: with many classes, a sort of the few entries within a bound of each
    column's cutoff (:func:`_select_within_group_bounds`); otherwise (or when ties put too
    many entries within the bounds) a partition per column
    (:func:`_select_over_contested_columns`). Other columns (and columns with ties at the
    cutoff) are selected exactly over all rows of the class.
    """
    n_rows = rows.shape[0]
    flags = np.zeros(n_rows, dtype=bool)
    counts = np.where(counts_to_flag > 0, counts_to_flag, 0)
    counts[k] = 0  # the diagonal counts kept examples
    if not counts.any():
        return flags
    if counts.max() >= n_rows:
        flags[:] = True
        return flags

    # Negated margins p_k - p_j equal the reference's -(p_j - p_k) exactly (IEEE subtraction
    # is sign-symmetric) up to the sign of zero, which no comparison sees.
    n_classes = pred_probs.shape[1]
    contested_positions = np.flatnonzero(contested)
    n_contested = contested_positions.size
    over_all_rows = None
    if n_contested * n_classes <= _MARGIN_BUDGET_ENTRIES and 2 * _GROUPS_PER_COUNT * counts.max() <= n_contested:
        selected = _select_within_group_bounds(pred_probs, rows[contested_positions], counts, k)
        if selected is not None:
            flagged, over_all_rows = selected
            flags[contested_positions[flagged]] = True
    if over_all_rows is None:
        over_all_rows = _select_over_contested_columns(pred_probs, rows, contested_positions, counts, flags, k)
    negated_margin = np.empty(n_rows, dtype=pred_probs.dtype) if len(over_all_rows) else None
    for j in over_all_rows:
        # Exactly the array the reference sorts, so argsort (if ties need it) agrees; built a
        # block of rows at a time (one (n_rows,) array, no temporaries of that size).
        for block in blocks.row_blocks(n_rows, 2):
            block_rows = rows[block]
            np.negative(pred_probs[block_rows, j] - pred_probs[block_rows, k], out=negated_margin[block])
        flags |= selection.take_smallest(negated_margin, counts[j])
    return flags


def _select_within_group_bounds(
    pred_probs: np.ndarray, contested_rows: np.ndarray, counts: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """The noise-rate selection of class k among its contested rows, sorting only the
    entries within a bound of each column's cutoff (many classes: few entries per column).

    With the contested rows split into ``g >= counts[j]`` groups, the ``counts[j]``-th
    smallest group minimum of column j's negated margins is at least its ``counts[j]``-th
    smallest value (that many distinct entries lie at or below it); capped at 0 (contested
    rows hold every non-positive negated margin of the class), it bounds the cutoff, so the
    entries at or below it hold the whole selection whenever there are ``counts[j]`` of them.

    Returns ``(positions flagged among contested_rows, columns left to the exact selection
    over all rows)``, or None when too many entries lie within the bounds (ties).
    """
    n_contested, n_classes = contested_rows.shape[0], pred_probs.shape[1]
    # Negated margins p_k - p_j, one row per contested row: (n_contested, K), in place.
    negated_margins = pred_probs[contested_rows]
    np.subtract(negated_margins[:, k].copy()[:, None], negated_margins, out=negated_margins)
    wanted = np.flatnonzero(counts > 0)
    n_groups = min(n_contested, _GROUPS_PER_COUNT * int(counts.max()))
    group_size = n_contested // n_groups
    group_minima = negated_margins[: n_groups * group_size].reshape(n_groups, group_size, n_classes).min(axis=1)
    group_minima = np.sort(group_minima[:, wanted], axis=0)  # (n_groups, wanted columns)
    bounds = np.full(n_classes, -np.inf, dtype=negated_margins.dtype)  # (-inf: nothing marked)
    bounds[wanted] = np.minimum(group_minima[counts[wanted] - 1, np.arange(wanted.size)], 0)
    within = negated_margins <= bounds
    entries = np.flatnonzero(within)
    if entries.size * _MARKED_ENTRIES_RATIO > within.size:
        return None
    del within
    positions, columns = np.divmod(entries, n_classes)
    taken, undecided = selection.smallest_among_marked(negated_margins.reshape(-1)[entries], columns, counts)
    return positions[taken], undecided


def _select_over_contested_columns(
    pred_probs: np.ndarray,
    rows: np.ndarray,
    contested_positions: np.ndarray,
    counts: np.ndarray,
    flags: np.ndarray,
    k: int,
) -> list:
    """The noise-rate selection of class k among its contested rows, a partition per column
    (few classes), setting ``flags``; returns the columns left to the exact selection over
    all rows (too few non-negative margins among the contested rows, or a tie at the cutoff)."""
    # Negated margins of the contested rows, one row per column j that asks for examples:
    # (columns, n_contested), filled a block of rows at a time (nothing of size K per row
    # outlives its block) and, when that would exceed _MARGIN_BUDGET_ENTRIES, for a group of
    # columns at a time.
    n_classes = pred_probs.shape[1]
    n_contested = contested_positions.size
    wanted = np.flatnonzero(counts > 0)
    group_size = max(1, _MARGIN_BUDGET_ENTRIES // max(n_contested, 1))
    over_all_rows = []
    for group_start in range(0, wanted.size, group_size):
        group = wanted[group_start : group_start + group_size]
        negated_margins = np.empty((group.size, n_contested), dtype=pred_probs.dtype)
        for block in blocks.row_blocks(n_contested, n_classes):
            probs = pred_probs[rows[contested_positions[block]]]
            np.subtract(probs[:, k], probs[:, group].T, out=negated_margins[:, block])
        group_counts = counts[group]
        non_negative_margins = np.count_nonzero(negated_margins <= 0, axis=1)
        found_among_contested = group_counts <= non_negative_margins
        over_all_rows.extend(group[~found_among_contested])
        if not found_among_contested.any():
            continue
        if found_among_contested.all():
            candidates, column_counts = negated_margins, group_counts
        else:
            candidates, column_counts = negated_margins[found_among_contested], group_counts[found_among_contested]
        del negated_margins
        cutoffs = _kth_smallest_per_row(candidates, column_counts)
        at_or_below = candidates <= cutoffs[:, None]
        exact = np.count_nonzero(at_or_below, axis=1) == column_counts
        flags[contested_positions[(at_or_below if exact.all() else at_or_below[exact]).any(axis=0)]] = True
        # Ties at the cutoff: which tied rows argsort takes depends on all the rows.
        over_all_rows.extend(group[found_among_contested][~exact])
        del candidates, at_or_below
    return over_all_rows


def _kth_smallest_per_row(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``np.sort(values, axis=1)[row, counts[row] - 1]`` for each row; -inf where the count
    is 0 (so that nothing is at or below it)."""
    cutoffs = np.full(values.shape[0], -np.inf, dtype=values.dtype)
    batched = (counts > 0) & (counts <= _BATCH_SELECT_MAX)
    if batched.any():
        # When most rows are in the batch, partition all rows (the others cheaply, at 1)
        # rather than gather the batch.
        all_rows = 2 * np.count_nonzero(batched) > batched.size
        batch_values = values if all_rows else values[batched]
        batch_counts = np.where(batched, counts, 1) if all_rows else counts[batched]
        largest_count = int(batch_counts.max())
        # One partition for all rows puts each row's largest_count smallest values first;
        # sorting those few gives every row's cutoff.
        smallest = np.partition(batch_values, largest_count - 1, axis=1)[:, :largest_count]
        smallest.sort(axis=1)
        found = smallest[np.arange(batch_counts.size), batch_counts - 1]
        cutoffs[batched] = found[batched] if all_rows else found
    for row in np.flatnonzero(counts > _BATCH_SELECT_MAX):
        cutoffs[row] = np.partition(values[row], counts[row] - 1)[counts[row] - 1]
    return cutoffs


# ---------------------------------------------------------------------------------------
# Argument checks specific to this module
# ---------------------------------------------------------------------------------------


