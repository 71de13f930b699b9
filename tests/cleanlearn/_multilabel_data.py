"""Seeded multi-label test inputs: labels as a list of lists of class indices, pred_probs (N, K).

Every generator takes a ``seed`` and uses its own ``np.random.default_rng``; no global state.
"""

from __future__ import annotations

import numpy as np

__all__ = ["make_multilabel", "to_lists"]


def to_lists(binary: np.ndarray) -> list[list[int]]:
    """An (N, K) 0/1 matrix as cleanlab's multi-label format: one list of classes per row."""
    return [np.flatnonzero(row).tolist() for row in binary]


def make_multilabel(
    n: int,
    k: int,
    *,
    noise: float = 0.2,
    seed: int = 0,
    dtype=np.float64,
    levels: int | None = None,
    missing_class: int | None = None,
    everywhere_class: int | None = None,
    rare_class: int | None = None,
) -> tuple[list[list[int]], np.ndarray]:
    """Return ``(labels, pred_probs)``: each class applies to an example with its own prior
    (0.05..0.5), per-class probabilities are sigmoids of a noisy score that separates the
    two cases (wider apart with more classes), and about a fraction ``noise`` of the examples have one class annotation
    flipped (some class added or dropped).

    - ``levels``: probabilities rounded to multiples of ``1 / levels`` (many exact ties).
    - ``missing_class``: that class is annotated for no example (its column still scores).
    - ``everywhere_class``: that class is annotated for every example.
    - ``rare_class``: that class is annotated for exactly one example.
    """
    rng = np.random.default_rng(seed)
    prior = rng.uniform(0.05, 0.5, size=k)
    truth = rng.random((n, k)) < prior
    # More classes, more separated scores: a few percent of the examples get some class wrong.
    separation = 2.0 + 0.4 * np.log(k)
    scores = rng.normal(size=(n, k)) + np.where(truth, separation, -separation)
    pred_probs = 1 / (1 + np.exp(-scores))
    if levels is not None:
        pred_probs = np.round(pred_probs * levels) / levels
    given = truth.copy()
    flipped_rows = np.flatnonzero(rng.random(n) < noise)
    given[flipped_rows, rng.integers(0, k, size=flipped_rows.size)] ^= True
    if missing_class is not None:
        given[:, missing_class] = False
    if everywhere_class is not None:
        given[:, everywhere_class] = True
    if rare_class is not None:
        given[:, rare_class] = False
        given[rng.integers(n), rare_class] = True
    return to_lists(given), pred_probs.astype(dtype)
