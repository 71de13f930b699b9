"""Class-conditional flips drawn label by label: ``none``, ``symmetric`` (alias ``uniform``), ``pairflip``."""

from __future__ import annotations

import numpy as np

from runner.noise.base import check_rate, check_two_classes, checked_by, raise_problems

__all__ = ["none", "pairflip", "symmetric"]


def _check_nothing(parameters: dict, *, n_classes: int | None, has_features: bool) -> list[str]:
    return []


def _check_flip_rate(parameters: dict, *, n_classes: int | None, has_features: bool) -> list[str]:
    return check_rate(parameters) or check_two_classes("symmetric/pairflip", n_classes)



@checked_by(_check_nothing, injects_nothing=True)
def none(true_labels: np.ndarray, *, n_classes: int, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The labels as given (a copy) and the identity matrix."""
    return np.array(true_labels, copy=True), np.eye(n_classes)


@checked_by(_check_flip_rate)
def symmetric(true_labels: np.ndarray, *, n_classes: int, seed: int, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Each label flips with probability ``rate`` to one of the other K - 1 classes, uniformly.

    The flip never lands on the true class, so ``rate`` is the expected flip rate (papers that
    draw from all K classes flip ``rate * (K - 1) / K``). Matrix: 1 - rate on the diagonal,
    rate / (K - 1) elsewhere. Same draws as the runner's earlier ``uniform`` noise.
    """
    raise_problems(_check_flip_rate, {"rate": rate}, n_classes=n_classes)
    rng = np.random.default_rng(seed)
    n_examples = true_labels.shape[0]
    flip = rng.random(n_examples) < rate
    # Adding 1..K-1 modulo K picks each other class with equal probability.
    shift = rng.integers(1, n_classes, size=n_examples)
    noisy_labels = np.where(flip, (true_labels + shift) % n_classes, true_labels)
    noise_matrix = np.full((n_classes, n_classes), rate / (n_classes - 1))
    np.fill_diagonal(noise_matrix, 1 - rate)
    return noisy_labels, noise_matrix


@checked_by(_check_flip_rate)
def pairflip(true_labels: np.ndarray, *, n_classes: int, seed: int, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Class j flips to class (j + 1) mod K with probability ``rate`` (Han et al. 2018, Co-teaching).

    Matrix: ``(1 - rate) I + rate P`` with P the cyclic shift (``P[(j + 1) % K, j] = 1``).
    """
    raise_problems(_check_flip_rate, {"rate": rate}, n_classes=n_classes)
    rng = np.random.default_rng(seed)
    flip = rng.random(true_labels.shape[0]) < rate
    noisy_labels = np.where(flip, (true_labels + 1) % n_classes, true_labels)
    classes = np.arange(n_classes)
    noise_matrix = (1 - rate) * np.eye(n_classes)
    noise_matrix[(classes + 1) % n_classes, classes] += rate
    return noisy_labels, noise_matrix


