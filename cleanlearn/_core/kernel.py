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

__all__ = ["KERNEL", "guess_true_labels_kernel", "reduce_extremes", "uses_kernel"]


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
        block = np.ascontiguousarray(pred_probs[block_start:block_stop])  # (a copy only if not C-contiguous)
        found, *extremes = KERNEL.joint_rows(
            block,
            np.ascontiguousarray(labels[block_start:block_stop], dtype=np.int64),
            cutoffs,
            true_label_guess[block_start:block_stop],
            at_least_one_confident[block_start:block_stop],
            None if contested is None else contested[block_start:block_stop],
            None if margins is None else margins[block_start:block_stop],
            None if near_given is None else near_given[block_start:block_stop],
            found_rows[: block_stop - block_start],
            block_start,
            check_values,
        )
        if found:
            off_diagonal_rows.append(found_rows[:found].astype(np.intp))
        block_extremes.append(extremes)
    extremes = reduce_extremes(block_extremes) if check_values else None
    if not off_diagonal_rows:
        return extremes, np.empty(0, dtype=np.intp)
    return extremes, np.concatenate(off_diagonal_rows)


def reduce_extremes(block_extremes: list) -> tuple[float, float, float]:
    """``(minimum entry, largest row sum, smallest row sum)`` over the blocks' extremes; a NaN
    in any of them comes out (so the caller's test fails and its plain check raises)."""
    columns = np.array(block_extremes, dtype=np.float64)
    return columns[:, 0].min(), columns[:, 1].max(), columns[:, 2].min()
