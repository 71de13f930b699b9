"""Checks of multi-label inputs: labels as a list of lists of class indices, pred_probs (N, K).

cleanlab 2.9.0 takes multi-label ``labels`` as a list with one list of class indices per
example (``[[0, 2], [1], [], ...]``) and binarises them with scikit-learn's
MultiLabelBinarizer, which silently drops indices outside 0..K-1; a flat list of ints fails
with a bare AssertionError. Here the labels are read without a Python loop over examples
(``map``/``itertools.chain`` run in C) and bad input raises a ``TypeError``/``ValueError``
naming the example.

The binarised labels are returned transposed, ``(K, N)`` booleans: every multi-label
function works class by class, on contiguous rows.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from cleanlearn._core.constants import FLOATING_POINT_COMPARISON

__all__ = ["check_multilabel_inputs", "check_multilabel_labels", "check_multilabel_pred_probs"]

_EXAMPLE = "e.g. labels=[[0, 2], [1], []]"


def check_multilabel_labels(labels: Any, *, n_classes: int, name: str = "labels") -> np.ndarray:
    """Return the labels binarised and transposed: a ``(n_classes, n_examples)`` bool array
    whose entry ``[k, i]`` says whether class k is among the labels of example i.

    ``labels`` is a list (or tuple, or pandas Series) holding, for each example, a list,
    tuple or 1-D array of class indices 0..n_classes-1 (possibly empty; repeats count once).
    """
    if hasattr(labels, "tolist") and not isinstance(labels, np.ndarray):  # pandas Series
        labels = labels.tolist()
    if not isinstance(labels, (list, tuple)):
        hint = ""
        if isinstance(labels, np.ndarray) and labels.ndim == 2:
            hint = " For a binary (N, K) label matrix Y, pass [np.flatnonzero(row).tolist() for row in Y]."
        raise TypeError(
            f"{name} must be a list with one list of class indices per example when "
            f"multi_label=True ({_EXAMPLE}); got {type(labels).__name__}.{hint}"
        )
    n_examples = len(labels)
    if n_examples == 0:
        raise ValueError(f"{name} is empty; at least one example is needed.")
    try:
        lengths = np.fromiter(map(len, labels), dtype=np.intp, count=n_examples)
    except TypeError:
        row = next(i for i, item in enumerate(labels) if not hasattr(item, "__len__"))
        raise TypeError(
            f"{name} must hold one list of class indices per example when multi_label=True "
            f"({_EXAMPLE}); {name}[{row}] is {labels[row]!r}. For single-label data use multi_label=False."
        ) from None
    try:
        flat = np.asarray(list(itertools.chain.from_iterable(labels)))
    except ValueError:  # ragged nesting, e.g. [[0, [1]]]
        flat = np.empty((0, 0))  # (reported below, with the row)
    if flat.size == 0:
        flat = flat.astype(np.intp)
    if flat.ndim != 1 or flat.dtype.kind not in "iuf":
        row = _row_of(lengths, _first_non_number(labels))
        raise TypeError(
            f"{name} must hold lists of integer class indices ({_EXAMPLE}); {name}[{row}] is {labels[row]!r}."
        )
    if flat.dtype.kind == "f":
        bad = ~np.isfinite(flat) | (flat != np.round(flat))
        if bad.any():
            row = _row_of(lengths, int(np.argmax(bad)))
            raise ValueError(
                f"{name} must hold integer class indices 0..{n_classes - 1}; {name}[{row}] is {labels[row]!r}."
            )
    flat = flat.astype(np.intp, copy=False)
    out_of_range = (flat < 0) | (flat >= n_classes)
    if out_of_range.any():
        position = int(np.argmax(out_of_range))
        row = _row_of(lengths, position)
        raise ValueError(
            f"{name} must hold class indices 0..{n_classes - 1} (K={n_classes} columns of pred_probs); "
            f"{name}[{row}] = {labels[row]!r} contains {flat[position]}."
        )
    binarised = np.zeros((n_classes, n_examples), dtype=bool)
    binarised[flat, np.repeat(np.arange(n_examples), lengths)] = True
    return binarised


def _row_of(lengths: np.ndarray, position: int) -> int:
    """The example whose labels hold position ``position`` of the flattened labels."""
    return int(np.searchsorted(np.cumsum(lengths), position, side="right"))


def _first_non_number(labels) -> int:
    """Position, in the flattened labels, of the first entry that is not a number."""
    for position, value in enumerate(itertools.chain.from_iterable(labels)):  # error path only
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)
        ):
            return position
    return 0


def check_multilabel_pred_probs(
    pred_probs: Any, *, n_examples: int | None, name: str = "pred_probs"
) -> np.ndarray:
    """Return pred_probs as a 2-D float array with one row per example and K >= 1 columns.

    Multi-label rows need not sum to 1; each entry is a probability in [0, 1], within the
    reference's slack of 1e-6. NaN and inf are refused (the reference lets NaN through).
    """
    if pred_probs is None:
        raise TypeError(f"{name} is required; got None.")
    if hasattr(pred_probs, "to_numpy"):
        pred_probs = pred_probs.to_numpy()
    pred_probs = np.asarray(pred_probs)
    if pred_probs.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a numeric array; got dtype {pred_probs.dtype}.")
    if pred_probs.dtype.kind != "f":
        pred_probs = pred_probs.astype(np.float64)
    if pred_probs.ndim != 2 or pred_probs.shape[1] == 0:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_examples, n_classes); got shape {pred_probs.shape}."
        )
    if n_examples is not None and pred_probs.shape[0] != n_examples:
        raise ValueError(
            f"{name} has {pred_probs.shape[0]} rows but labels has {n_examples} entries; they must match."
        )
    lowest, highest = pred_probs.min(), pred_probs.max()
    if not (np.isfinite(lowest) and np.isfinite(highest)):
        raise ValueError(f"{name} must be finite; it contains NaN or inf.")
    if lowest < -FLOATING_POINT_COMPARISON or highest > 1 + FLOATING_POINT_COMPARISON:
        raise ValueError(
            f"{name} must hold probabilities in [0, 1] (one per class; rows need not sum to 1 "
            f"in multi-label classification); got values from {lowest} to {highest}."
        )
    return pred_probs


def check_multilabel_inputs(labels: Any, pred_probs: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(labels_by_class, pred_probs_by_class)``: both transposed, ``(K, N)``, rows contiguous.

    pred_probs is copied once into class-major order (no copy if it is Fortran-ordered); each
    class's binary problem then reads one contiguous row.
    """
    if isinstance(labels, (list, tuple)) or (
        hasattr(labels, "tolist") and not isinstance(labels, np.ndarray)
    ):
        n_examples = len(labels)
    else:
        n_examples = None  # the labels check raises the error
    if n_examples:
        pred_probs = check_multilabel_pred_probs(pred_probs, n_examples=n_examples)
        n_classes = pred_probs.shape[1]
    else:
        n_classes = 1
    labels_by_class = check_multilabel_labels(labels, n_classes=n_classes)
    return labels_by_class, np.ascontiguousarray(pred_probs.T)
