"""The optional C kernel of the confident joint's pass (``_joint_kernel.c``), and its use.

One loop over each row of pred_probs computes what the numpy path of
:func:`cleanlearn._core.confident_joint.guess_true_labels` computes with a dozen numpy calls per
block of rows: the value checks, the confident classes and the guess, the contested flag, the
normalized margin and the post-filter. ``setup.py`` builds it when a C compiler is present;
without it (``KERNEL`` is None), or for pred_probs that is not float32 or float64 in the
machine's byte order, the numpy path runs. The results are the same bits either way
(tests/cleanlearn/test_joint_kernel.py runs both).
"""

from __future__ import annotations

import numpy as np

from cleanlearn._core import blocks

try:
    from cleanlearn._core import _joint_kernel as KERNEL
except ImportError:  # pragma: no cover - installs without a C compiler
    KERNEL = None

__all__ = ["KERNEL", "guess_true_labels_kernel", "joint_rows", "reduce_extremes", "uses_kernel"]


def uses_kernel(pred_probs) -> bool:
    """Whether the confident joint's pass over ``pred_probs`` runs in the C kernel: it is
    built, and pred_probs is float32 or float64 in the machine's byte order."""
    dtype = pred_probs.dtype
    return KERNEL is not None and dtype in (np.float32, np.float64) and dtype.isnative


def guess_true_labels_kernel(
    pred_probs: np.ndarray,
    labels: np.ndarray,
    cutoffs: np.ndarray,
    start: int,
    stop: int,
    true_label_guess: np.ndarray,
    at_least_one_confident: np.ndarray,
    check_values: bool,
    *,
    contested: np.ndarray | None = None,
    margins: np.ndarray | None = None,
    near_given: np.ndarray | None = None,
):
    """:func:`cleanlearn._core.confident_joint.guess_true_labels` in the C kernel, the same results: each
    block of rows is read once and every per-example quantity is computed from it."""
    n_classes = pred_probs.shape[1]
    step = blocks.block_rows(stop - start, n_classes)
    cutoffs = np.ascontiguousarray(cutoffs, dtype=np.float64)  # (exact: numpy compares in float64 too)
    found_rows = np.empty(step, dtype=np.int64)  # each block's off-diagonal rows, then kept
    off_diagonal_rows = []
    block_extremes = []
    for block_start in range(start, stop, step):
        block_stop = min(block_start + step, stop)
        rows = slice(block_start, block_stop)
        found, extremes = joint_rows(
            pred_probs,
            labels,
            rows,
            cutoffs,
            guess=true_label_guess[rows],
            counted=at_least_one_confident[rows],
            found_rows=found_rows[: block_stop - block_start],
            contested=None if contested is None else contested[rows],
            margins=None if margins is None else margins[rows],
            near_given=None if near_given is None else near_given[rows],
            check_values=check_values,
        )
        if found:
            off_diagonal_rows.append(found_rows[:found].astype(np.intp))
        block_extremes.append(extremes)
    extremes = reduce_extremes(block_extremes) if check_values else None
    if not off_diagonal_rows:
        return extremes, np.empty(0, dtype=np.intp)
    return extremes, np.concatenate(off_diagonal_rows)


def joint_rows(
    pred_probs: np.ndarray,
    labels: np.ndarray,
    rows: slice,
    cutoffs: np.ndarray,
    *,
    guess: np.ndarray,
    counted: np.ndarray,
    found_rows: np.ndarray,
    contested: np.ndarray | None = None,
    margins: np.ndarray | None = None,
    near_given: np.ndarray | None = None,
    check_values: bool,
) -> tuple[int, list[float]]:
    """The kernel on the block ``pred_probs[rows]`` (``rows``: a slice with a start), the
    outputs being arrays of the block's length: ``(n found, [minimum entry, largest row sum,
    smallest row sum])``, the first n of ``found_rows`` holding the indices (in pred_probs)
    of the rows guessed as another class than their label. The block is made C-contiguous
    (a copy only if it is not) and its labels int64, as the kernel reads them."""
    found, *extremes = KERNEL.joint_rows(
        np.ascontiguousarray(pred_probs[rows]),
        np.ascontiguousarray(labels[rows], dtype=np.int64),
        cutoffs,
        guess,
        counted,
        contested,
        margins,
        near_given,
        found_rows,
        rows.start,
        check_values,
    )
    return found, extremes


def reduce_extremes(block_extremes: list) -> tuple[float, float, float]:
    """``(minimum entry, largest row sum, smallest row sum)`` over the blocks' extremes; a NaN
    in any of them comes out (so the caller's test fails and its plain check raises)."""
    columns = np.array(block_extremes, dtype=np.float64)
    return columns[:, 0].min(), columns[:, 1].max(), columns[:, 2].min()
