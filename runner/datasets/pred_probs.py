"""Out-of-sample pred_probs computed elsewhere (.npy files or a .zarr array): no classifier, no CV."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from omegaconf import MISSING, DictConfig

from runner.core.checks import check_file
from runner.datasets.arrays import load_array, load_error_mask
from runner.datasets.base import Dataset, dataset_loader

__all__ = ["PrecomputedDatasetConfig", "precomputed"]


@dataclass
class PrecomputedDatasetConfig:
    """Out-of-sample pred_probs computed elsewhere (.npy files or .zarr); no classifier, no CV."""

    _target_: str = "runner.datasets.precomputed"
    name: str = "precomputed"
    pred_probs: str = MISSING  # (n_examples, n_classes) float array
    labels: str = MISSING  # (n_examples,) given labels (ints 0..K-1, or strings)
    true_labels: str | None = None  # (n_examples,) when known: scores the detection
    label_errors: str | None = None  # (n_examples,) boolean mask of known wrong labels
    mmap: bool | None = None  # null: memory-map pred_probs above 256 MB


def _check_precomputed(dataset: DictConfig) -> list[str]:
    problems = check_file(dataset, "pred_probs", directory_ok=True) + check_file(dataset, "labels")
    for key in ("true_labels", "label_errors"):
        if dataset.get(key) is not None:
            problems += check_file(dataset, key)
    return problems


@dataset_loader(schema=PrecomputedDatasetConfig, schema_name="precomputed", check=_check_precomputed,
                gives_pred_probs=True)
def precomputed(
    pred_probs: str,
    labels: str,
    true_labels: str | None = None,
    label_errors: str | None = None,
    mmap: bool | None = None,
) -> Dataset:
    """Out-of-sample pred_probs computed elsewhere: a .npy file or a .zarr directory.

    pred_probs keep the dtype given (float32 stays float32) and are memory-mapped when
    ``mmap`` is true, or (``mmap`` null) when the file is larger than 256 MB; a .zarr array
    is read lazily, block by block (the ``[zarr]`` extra).
    """
    probabilities = load_array(pred_probs, "pred_probs", mmap=mmap)
    if probabilities.ndim != 2 or probabilities.dtype.kind not in "fiu":
        raise ValueError(
            f"dataset.pred_probs={pred_probs!r} must hold a 2-D numeric array; got shape "
            f"{probabilities.shape}, dtype {probabilities.dtype}"
        )
    _check_probabilities(probabilities, pred_probs)
    n_examples = probabilities.shape[0]
    given = load_array(labels, "labels")
    true = None if true_labels is None else load_array(true_labels, "true_labels")
    for key, array in (("labels", given), ("true_labels", true)):
        if array is not None and array.shape != (n_examples,):
            raise ValueError(
                f"dataset.{key} must hold {n_examples} labels (one per row of pred_probs); "
                f"got shape {array.shape}"
            )
    errors = None if label_errors is None else load_error_mask(label_errors, n_examples)
    return Dataset(features=None, labels=given, true_labels=true, label_errors=errors,
                   pred_probs=probabilities, source=str(pred_probs))


def _check_probabilities(probabilities, path: str, n_rows: int = 1000) -> None:
    """Rows that look like logits get a hint (checked on the first rows: the file may be huge;
    the library checks them all)."""
    head = np.asarray(probabilities[:n_rows], dtype=np.float64)
    if head.size == 0:
        return
    if not np.all(np.isfinite(head)):
        row = int(np.flatnonzero(~np.isfinite(head).all(axis=1))[0])
        raise ValueError(f"{path}: row {row} of pred_probs has NaN or infinite values")
    sums = head.sum(axis=1)
    bad = np.flatnonzero((head < 0).any(axis=1) | (np.abs(sums - 1) > 1e-3))
    if bad.size:
        row = int(bad[0])
        raise ValueError(
            f"{path}: row {row} of pred_probs is not a probability distribution (values "
            f"{np.round(head[row], 4).tolist()}, sum {sums[row]:.4g}); these look like logits or "
            "scores: apply a softmax first (scipy.special.softmax(x, axis=1))"
        )

