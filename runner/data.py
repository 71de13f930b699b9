"""Datasets and label noise for one run.

Every dataset comes out with its labels encoded as class indices 0..n_classes-1 and the
original label values in ``classes`` (``classes[k]`` is class k), so the pipeline works on
integers and only the written results show the dataset's own values (strings, say).

Datasets with features are split into a stratified, seeded training and test part; noise is
injected into the training labels only, and the true labels are kept to score the detection.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig
from sklearn import datasets as sklearn_datasets
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from runner.config import ConfigError

log = logging.getLogger(__name__)

__all__ = ["FeatureData", "PrecomputedData", "inject_noise", "load_dataset"]

_SKLEARN_LOADERS = {
    "digits": sklearn_datasets.load_digits,
    "iris": sklearn_datasets.load_iris,
    "wine": sklearn_datasets.load_wine,
    "breast_cancer": sklearn_datasets.load_breast_cancer,
}


@dataclass(frozen=True)
class FeatureData:
    """Features and true labels, split into training and (possibly empty) test parts."""

    classes: np.ndarray  # (n_classes,) original label values, sorted
    X_train: np.ndarray  # (n_train, n_features)
    labels_train: np.ndarray  # (n_train,) true class indices
    index_train: np.ndarray  # (n_train,) row of each training example in the original dataset
    X_test: np.ndarray | None  # (n_test, n_features); None without a test split
    labels_test: np.ndarray | None  # (n_test,)

    @property
    def n_classes(self) -> int:
        return len(self.classes)


@dataclass(frozen=True)
class PrecomputedData:
    """Out-of-sample pred_probs with their given (and maybe true) labels."""

    classes: np.ndarray  # (n_classes,) original label values, in pred_probs' column order
    pred_probs: np.ndarray  # (n_examples, n_classes)
    labels: np.ndarray  # (n_examples,) given class indices
    true_labels: np.ndarray | None  # (n_examples,) true class indices, when known

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def load_dataset(dataset: DictConfig, *, data_seed: int, split_seed: int) -> FeatureData | PrecomputedData:
    """Load the dataset described by the ``dataset`` config node.

    ``data_seed`` drives synthetic generation, ``split_seed`` the stratified test split.
    """
    if dataset.name == "precomputed":
        return _load_precomputed(dataset)
    if dataset.name in _SKLEARN_LOADERS:
        features, raw_labels = _SKLEARN_LOADERS[dataset.name](return_X_y=True)
    elif dataset.name == "synthetic":
        features, raw_labels = sklearn_datasets.make_classification(
            n_samples=dataset.n_samples,
            n_features=dataset.n_features,
            n_informative=dataset.n_informative,
            n_redundant=0,
            n_classes=dataset.n_classes,
            n_clusters_per_class=dataset.n_clusters_per_class,
            class_sep=dataset.class_sep,
            random_state=data_seed,
        )
    elif dataset.name == "csv":
        features, raw_labels = _read_csv(dataset)
    else:
        raise ConfigError(f"dataset.name is unknown; got {dataset.name!r}")

    classes, labels = np.unique(raw_labels, return_inverse=True)
    features = np.asarray(features, dtype=np.float64)
    return _split(features, labels, classes, dataset, split_seed)


def _split(features, labels, classes, dataset: DictConfig, split_seed: int) -> FeatureData:
    n_examples = labels.shape[0]
    positions = np.arange(n_examples)
    if dataset.test_size == 0:
        train, test = positions, None
    else:
        try:
            train, test = train_test_split(
                positions, test_size=dataset.test_size, stratify=labels, random_state=split_seed
            )
        except ValueError as error:  # e.g. a class with one example, or too small a test part
            raise ValueError(
                f"dataset.test_size={dataset.test_size} cannot give a stratified split of "
                f"{n_examples} examples in {len(classes)} classes: {error}"
            ) from error
    X_train, X_test = features[train], None if test is None else features[test]
    if dataset.standardize:
        # Statistics from the training part only: the test part stays unseen.
        scaler = StandardScaler().fit(X_train)
        X_train = scaler.transform(X_train)
        X_test = None if X_test is None else scaler.transform(X_test)
    return FeatureData(
        classes=classes,
        X_train=X_train,
        labels_train=labels[train],
        index_train=train,
        X_test=X_test,
        labels_test=None if test is None else labels[test],
    )


def _read_csv(dataset: DictConfig) -> tuple[np.ndarray, np.ndarray]:
    frame = pd.read_csv(dataset.path)
    if dataset.label_column not in frame.columns:
        raise ValueError(
            f"dataset.label_column={dataset.label_column!r} is not a column of {dataset.path} "
            f"(columns: {', '.join(map(str, frame.columns))})"
        )
    if dataset.feature_columns is None:
        feature_columns = [c for c in frame.columns if c != dataset.label_column]
    else:
        feature_columns = list(dataset.feature_columns)
        unknown = [c for c in feature_columns if c not in frame.columns]
        if unknown:
            raise ValueError(f"dataset.feature_columns names columns not in {dataset.path}: {unknown}")
    non_numeric = [c for c in feature_columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if non_numeric:
        raise ValueError(f"dataset.feature_columns must be numeric; got non-numeric columns {non_numeric}")
    features = frame[feature_columns].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(features)):
        raise ValueError(f"{dataset.path}: feature values must be finite; found empty cells, NaN or inf")
    labels = frame[dataset.label_column]
    if labels.isna().any():
        raise ValueError(f"{dataset.path}: column {dataset.label_column!r} has empty labels")
    return features, labels.to_numpy()


def _load_precomputed(dataset: DictConfig) -> PrecomputedData:
    pred_probs = _load_npy(dataset, "pred_probs")
    raw_labels = _load_npy(dataset, "labels")
    raw_true = None if dataset.true_labels is None else _load_npy(dataset, "true_labels")
    if pred_probs.ndim != 2 or pred_probs.dtype.kind not in "fiu":
        raise ValueError(
            f"dataset.pred_probs must hold a 2-D numeric array; got shape {pred_probs.shape}, "
            f"dtype {pred_probs.dtype}"
        )
    n_examples, n_classes = pred_probs.shape
    for key, array in (("labels", raw_labels), ("true_labels", raw_true)):
        if array is not None and array.shape != (n_examples,):
            raise ValueError(
                f"dataset.{key} must hold {n_examples} labels (one per row of pred_probs); "
                f"got shape {array.shape}"
            )
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
        pred_probs=pred_probs.astype(np.float64, copy=False),
        labels=encode(raw_labels),
        true_labels=encode(raw_true),
    )


def _load_npy(dataset: DictConfig, key: str) -> np.ndarray:
    path = Path(dataset[key])
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as error:  # an object array, which would need pickle
        raise ValueError(f"dataset.{key}={str(path)!r} cannot be read without pickle: {error}") from error


# ---------------------------------------------------------------------------------------
# Label noise
# ---------------------------------------------------------------------------------------


def inject_noise(
    true_labels: np.ndarray, n_classes: int, noise: DictConfig, *, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return (noisy_labels, noise_matrix) for the ``noise`` config node.

    ``noise_matrix[i, j]`` = P(given label i | true label j) (columns sum to 1), the matrix the
    labels were drawn from: the identity for ``none``, 1 - rate on the diagonal and
    rate / (K - 1) elsewhere for ``uniform``, and the generated matrix for ``asymmetric``.
    """
    if noise.name == "none" or noise.rate == 0:
        return true_labels.copy(), np.eye(n_classes)
    if noise.name == "uniform":
        return _uniform_noise(true_labels, n_classes, noise.rate, seed)
    if noise.name == "asymmetric":
        return _asymmetric_noise(true_labels, n_classes, noise.rate, noise.sparsity, seed)
    raise ConfigError(f"noise.name is unknown; got {noise.name!r}")


def _uniform_noise(true_labels, n_classes, rate, seed):
    rng = np.random.default_rng(seed)
    n_examples = true_labels.shape[0]
    flip = rng.random(n_examples) < rate
    # Adding 1..K-1 modulo K picks each other class with equal probability.
    shift = rng.integers(1, n_classes, size=n_examples)
    noisy_labels = np.where(flip, (true_labels + shift) % n_classes, true_labels)
    noise_matrix = np.full((n_classes, n_classes), rate / (n_classes - 1))
    np.fill_diagonal(noise_matrix, 1 - rate)
    return noisy_labels, noise_matrix


def _asymmetric_noise(true_labels, n_classes, rate, sparsity, seed):
    from cleanlearn.noise import generate_noise_matrix_from_trace, generate_noisy_labels

    matrix_seed, labels_seed = np.random.SeedSequence(seed).spawn(2)
    trace = n_classes * (1 - rate)
    if trace <= 1:
        raise ValueError(
            f"noise.rate={rate} is too high for asymmetric noise on {n_classes} classes: the "
            f"noise matrix needs trace K * (1 - rate) > 1, i.e. rate < {1 - 1 / n_classes:.4g}"
        )
    class_prior = np.bincount(true_labels, minlength=n_classes) / true_labels.shape[0]
    noise_matrix = generate_noise_matrix_from_trace(
        n_classes,
        trace,
        py=class_prior,
        frac_zero_noise_rates=sparsity,
        valid_noise_matrix=True,
        seed=np.random.default_rng(matrix_seed),
    )
    if noise_matrix is None:
        raise ValueError(
            f"no valid noise matrix with noise.rate={rate} and noise.sparsity={sparsity} for "
            f"{n_classes} classes with training class prior {np.round(class_prior, 3).tolist()}; "
            "lower the rate or the sparsity"
        )
    noisy_labels = generate_noisy_labels(true_labels, noise_matrix, seed=np.random.default_rng(labels_seed))
    return noisy_labels, noise_matrix
