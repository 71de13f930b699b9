"""The dataset of one run: loaded by its ``_target_`` loader, labels encoded, test part split off.

Every dataset comes out with its labels encoded as class indices 0..n_classes-1 and the
original label values in ``classes`` (``classes[k]`` is class k), so the pipeline works on
integers and only the written results show the dataset's own values (strings, say).

Datasets with features are split into a stratified, seeded training and test part
(``dataset.test_size``; 0 examines every row). The features stay as loaded: preprocessing
(imputation, encoding, standardisation) is part of the model and is fitted inside each
cross-validation fold (runner.model.preprocessing), never on rows it then predicts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig
from sklearn.model_selection import train_test_split

from runner.datasets.base import Dataset, call_loader

log = logging.getLogger(__name__)

__all__ = ["FeatureData", "PrecomputedData", "RunSettings", "load_dataset", "run_settings"]


@dataclass(frozen=True)
class RunSettings:
    """The keys of a dataset config the run reads itself (the rest are loader arguments).

    Defaults apply to a user's own loader whose YAML leaves them out: every row is examined
    (test_size 0) with the default preprocessing; the bundled datasets set their own.
    """

    name: str
    test_size: float = 0.0
    standardize: bool = True
    preprocess: str = "auto"  # or "none": the classifier gets the features as loaded
    max_categories: int = 20  # one-hot columns per categorical feature (rarer ones grouped)


def run_settings(dataset: DictConfig) -> RunSettings:
    keys = ("test_size", "standardize", "preprocess", "max_categories")
    values = {key: dataset[key] for key in keys if key in dataset and dataset[key] is not None}
    name = dataset.get("name") or str(dataset._target_).rpartition(".")[2]
    return RunSettings(name=name, **values)


@dataclass(frozen=True)
class FeatureData:
    """Features and labels, split into training and (possibly empty) test parts."""

    classes: np.ndarray  # (n_classes,) original label values, sorted
    X_train: np.ndarray | pd.DataFrame  # (n_train, n_features), as loaded (not preprocessed)
    labels_train: np.ndarray  # (n_train,) given class indices (before any injected noise)
    index_train: np.ndarray  # (n_train,) row of each training example in the original dataset
    X_test: np.ndarray | pd.DataFrame | None  # (n_test, n_features); None without a test split
    labels_test: np.ndarray | None  # (n_test,)
    dataset: Dataset  # every row as the loader returned it (raw examples, ids, ...)
    true_labels_train: np.ndarray | None = None  # (n_train,) the dataset's own true labels
    label_errors_train: np.ndarray | None = None  # (n_train,) its known error mask
    # The same for the test part: test metrics are scored against the true labels when known
    # (runner.experiment.test_scoring), never against the given ones alone.
    true_labels_test: np.ndarray | None = None  # (n_test,)
    label_errors_test: np.ndarray | None = None  # (n_test,)

    @property
    def n_classes(self) -> int:
        return len(self.classes)


@dataclass(frozen=True)
class PrecomputedData:
    """Out-of-sample pred_probs with their given (and maybe true) labels."""

    classes: np.ndarray  # (n_classes,) original label values, in pred_probs' column order
    pred_probs: Any  # (n_examples, n_classes), in the dtype given (maybe memory-mapped)
    labels: np.ndarray  # (n_examples,) given class indices
    true_labels: np.ndarray | None  # (n_examples,) true class indices, when known
    dataset: Dataset
    label_errors: np.ndarray | None = None  # (n_examples,) known error mask, when known

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def load_dataset(dataset: DictConfig, *, data_seed: int, split_seed: int) -> FeatureData | PrecomputedData:
    """Load the dataset described by the ``dataset`` config node.

    ``data_seed`` goes to loaders that generate data (a ``seed`` parameter), ``split_seed``
    drives the stratified test split.
    """
    loaded = call_loader(dataset, data_seed=data_seed)
    if loaded.pred_probs is not None:
        return _precomputed(loaded)
    settings = run_settings(dataset)
    n_examples = _n_rows(loaded.features)
    _check_lengths(loaded, n_examples, "features")
    classes, (labels, true_labels) = _encode(loaded.labels, loaded.true_labels)
    train, test = _split(labels, classes, settings.test_size, split_seed)

    def rows(array, index):
        if array is None or index is None:
            return None
        return array.iloc[index].reset_index(drop=True) if isinstance(array, pd.DataFrame) else array[index]

    features = loaded.features
    if isinstance(features, pd.DataFrame):
        features = features.set_axis(pd.RangeIndex(n_examples), axis=0)
    else:
        features = np.asarray(features)
    return FeatureData(
        classes=classes,
        X_train=rows(features, train),
        labels_train=labels[train],
        index_train=train,
        X_test=rows(features, test),
        labels_test=rows(labels, test),
        dataset=loaded,
        true_labels_train=rows(true_labels, train),
        label_errors_train=rows(_mask(loaded.label_errors), train),
        true_labels_test=rows(true_labels, test),
        label_errors_test=rows(_mask(loaded.label_errors), test),
    )


def _n_rows(features) -> int:
    if features is None:
        raise ValueError("the dataset has neither features nor pred_probs")
    return int(np.shape(features)[0]) if not isinstance(features, pd.DataFrame) else len(features)


def _check_lengths(loaded: Dataset, n_examples: int, against: str) -> None:
    for key in ("labels", "true_labels", "label_errors", "ids"):
        value = getattr(loaded, key)
        if value is not None and len(value) != n_examples:
            raise ValueError(f"the dataset's {key} has {len(value)} entries but its {against} have "
                             f"{n_examples} rows")


def _mask(label_errors) -> np.ndarray | None:
    return None if label_errors is None else np.asarray(label_errors, dtype=bool)


def _encode(labels, true_labels):
    """Sorted classes of the given and true labels together, and both as class indices."""
    given = np.asarray(labels)
    true = None if true_labels is None else np.asarray(true_labels)
    classes = np.unique(given if true is None else np.concatenate([given, true]))
    return classes, tuple(None if a is None else np.searchsorted(classes, a).astype(np.int64)
                          for a in (given, true))


def _split(labels, classes, test_size: float, split_seed: int):
    n_examples = labels.shape[0]
    positions = np.arange(n_examples)
    if test_size == 0:
        return positions, None
    try:
        return train_test_split(positions, test_size=test_size, stratify=labels, random_state=split_seed)
    except ValueError as error:  # e.g. a class with one example, or too small a test part
        raise ValueError(
            f"dataset.test_size={test_size} cannot give a stratified split of "
            f"{n_examples} examples in {len(classes)} classes: {error}"
        ) from error


def _precomputed(loaded: Dataset) -> PrecomputedData:
    pred_probs = loaded.pred_probs
    n_examples, n_classes = pred_probs.shape
    _check_lengths(loaded, n_examples, "pred_probs")
    raw_labels = np.asarray(loaded.labels)
    raw_true = None if loaded.true_labels is None else np.asarray(loaded.true_labels)
    given = raw_labels if raw_true is None else np.concatenate([raw_labels, raw_true])
    if given.dtype.kind in "iu":
        # Integer labels index pred_probs' columns directly (a class may have no example).
        classes = np.arange(n_classes)
        if given.min() < 0 or given.max() >= n_classes:
            raise ValueError(
                f"dataset.labels must be class indices 0..{n_classes - 1} (pred_probs has "
                f"{n_classes} columns); got values in [{given.min()}, {given.max()}]"
            )
    else:
        classes = np.unique(given)
        if len(classes) != n_classes:
            raise ValueError(
                f"dataset.labels has {len(classes)} distinct labels but pred_probs has {n_classes} "
                "columns; with non-integer labels each column must be one label, in sorted order"
            )

    def encode(raw):
        return None if raw is None else np.searchsorted(classes, raw).astype(np.int64)

    return PrecomputedData(
        classes=classes,
        pred_probs=pred_probs,  # dtype and memory map kept: no float64 copy
        labels=encode(raw_labels),
        true_labels=encode(raw_true),
        dataset=loaded,
        label_errors=_mask(loaded.label_errors),
    )
