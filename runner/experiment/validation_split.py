"""A validation part carved from the training part, so that a search never selects on the test set.

``dataset.validation_size`` (a fraction of the training part; 0, the default, carves nothing)
sets aside a stratified, seeded share of the training examples *after* the label noise is
injected: their labels are the given labels, as a user holding noisy data would have them.
They take no part in the cross-validation, the filtering or the final fit; the run scores
the final CleanLearning model on them as ``val_accuracy_cleanlearning``. A search maximises
that metric; its trials never score the test part, which only the final run of the best
configuration does (runner.experiment.held_out, docs/guide/search.md).

The validation accuracy is measured against given (possibly noisy) labels, so it is a proxy:
under noise that keeps every true class's own label the most likely one (the usual case, and
always under uniform noise) a model that is more accurate on the true labels is also expected
to score higher here, which is what the search needs.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import numpy as np
from omegaconf import DictConfig
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

__all__ = ["ValidationPart", "carve_validation", "score_validation"]


class ValidationPart(NamedTuple):
    features: Any  # (n_validation, n_features): an array, or a DataFrame for tables
    labels: np.ndarray  # (n_validation,) given class indices
    index: np.ndarray  # (n_validation,) row of each example in the original dataset


def carve_validation(data: Any, given_labels: np.ndarray, dataset: DictConfig, *, seed: int):
    """Split ``data``'s training part into training and validation parts.

    Returns ``(data, given_labels, validation)``: the training arrays of ``data`` (a frozen
    dataclass with ``X_train``, ``labels_train``, ``index_train``) and ``given_labels`` reduced to
    the examples kept for training, and the :class:`ValidationPart` (None when
    ``validation_size`` is 0, in which case the inputs come back unchanged).
    """
    validation_size = float(dataset.get("validation_size", 0) or 0)
    if validation_size == 0:
        return data, given_labels, None
    n_train = given_labels.shape[0]
    positions = np.arange(n_train)
    # Its own seed, derived from the split seed, so the test split is the same with or without it.
    validation_seed = int(np.random.SeedSequence(seed).spawn(1)[0].generate_state(1)[0])
    try:
        keep, held_out = train_test_split(
            positions, test_size=validation_size, stratify=given_labels, random_state=validation_seed
        )
    except ValueError as error:  # e.g. a class with a single example
        raise ValueError(
            f"dataset.validation_size={validation_size} cannot give a stratified split of the "
            f"{n_train} training examples: {error}"
        ) from error
    keep, held_out = np.sort(keep), np.sort(held_out)  # keep the training order of the rows
    # Every per-training-row field follows (features may be a DataFrame: rows by position).
    per_row = {"X_train": data.X_train, "labels_train": data.labels_train, "index_train": data.index_train}
    for name in ("true_labels_train", "label_errors_train"):
        if getattr(data, name, None) is not None:
            per_row[name] = getattr(data, name)
    reduced = dataclasses.replace(data, **{name: _rows(values, keep) for name, values in per_row.items()})
    validation = ValidationPart(
        features=_rows(data.X_train, held_out), labels=given_labels[held_out], index=data.index_train[held_out]
    )
    return reduced, given_labels[keep], validation


def _rows(values, positions: np.ndarray):
    """Rows of an array or a DataFrame by position."""
    return values.iloc[positions] if hasattr(values, "iloc") else np.asarray(values)[positions]


def score_validation(model, validation: ValidationPart | None) -> dict[str, float]:
    """``{"val_accuracy_cleanlearning": ...}`` of the fitted ``model``; {} without a validation part."""
    if validation is None:
        return {}
    predictions = model.predict(validation.features)
    return {"val_accuracy_cleanlearning": float(accuracy_score(validation.labels, predictions))}
