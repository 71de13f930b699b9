"""Multi-label label quality scores: one binary score per class, aggregated per example.

As cleanlab 2.9.0 (``cleanlab.internal.multilabel_scorer``): class k's score of example i is
the single-label score of the binary problem "is k among labels[i]" with predicted
probabilities ``(1 - p[i, k], p[i, k])``; the K scores of an example are aggregated by an
exponential moving average of the scores sorted from largest to smallest (``alpha`` = 0.8 by
default, so the worst classes weigh most), by a softmin, or by any callable taking
``(scores, axis=1)``. The binary scores are computed in closed form on the column, with the
reference's expressions in the same dtype (:func:`cleanlearn._core.multilabel.binary.binary_scores`),
so they are bit-identical.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from cleanlearn._core.constants import EPSILON
from cleanlearn._core.multilabel.binary import binary_scores
from cleanlearn._core.scores import RANKINGS, check_scoring

__all__ = [
    "AGGREGATORS",
    "DEFAULT_AGGREGATOR",
    "DEFAULT_AGGREGATOR_KWARGS",
    "RANKINGS",
    "class_scores",
    "check_aggregator",
    "check_rank_by_kwargs",
    "exponential_moving_average",
    "multilabel_scores",
    "softmin",
]



# ---------------------------------------------------------------------------------------
# Aggregators: (N, K) class scores -> (N,) example scores
# ---------------------------------------------------------------------------------------


def exponential_moving_average(
    s: np.ndarray, *, alpha: float | None = None, axis: int = 1, **_
) -> np.ndarray:
    """EMA of each row's scores sorted in descending order: ``ema = s_1``, then ``ema = alpha
    * s_t + (1 - alpha) * ema`` for t = 2..K (alpha None: 2 / (K + 1)). The reference's
    expression, one vectorised step per class."""
    n_classes = s.shape[1]
    sorted_scores = np.fliplr(np.sort(s, axis=axis))
    if alpha is None:
        alpha = float(2 / (n_classes + 1))
    if not (0 <= alpha <= 1):
        raise ValueError(f"alpha must be in the interval [0, 1]; got {alpha!r}.")
    by_rank = sorted_scores.T
    ema = by_rank[0]
    for next_scores in by_rank[1:]:
        ema = alpha * next_scores + (1 - alpha) * ema
    return ema


def softmin(s: np.ndarray, *, temperature: float = 0.1, axis: int = 1, **_) -> np.ndarray:
    """Scores weighted by ``softmax((1 - s) / temperature)`` along each row, summed."""
    x = (1 - s) / max(temperature, EPSILON)  # EPSILON: the smallest temperature
    x = x - np.max(x, axis=axis, keepdims=True)  # shifted: no overflow in exp
    weights = np.exp(x)
    weights = weights / np.sum(weights, axis=axis, keepdims=True)
    return np.einsum("ij,ij->i", s, weights)  # the reference's einsum: the same sums


AGGREGATORS = {"exponential_moving_average": exponential_moving_average, "softmin": softmin}
# The reference's default ``aggregator_kwargs``, read-only (a shared default must not change).
DEFAULT_AGGREGATOR_KWARGS = MappingProxyType({"method": "exponential_moving_average", "alpha": 0.8})
DEFAULT_AGGREGATOR = (exponential_moving_average, {"alpha": 0.8})


def check_aggregator(aggregator_kwargs: Any) -> tuple:
    """``(function, kwargs)`` from ``aggregator_kwargs`` = ``{"method": name or callable,
    **kwargs}``; empty or None means the default (EMA with alpha 0.8), as in the reference."""
    if not aggregator_kwargs:
        return DEFAULT_AGGREGATOR
    if not isinstance(aggregator_kwargs, Mapping):
        raise TypeError(
            "aggregator_kwargs must be a dict such as {'method': 'exponential_moving_average', 'alpha': 0.8}; "
            f"got {type(aggregator_kwargs).__name__}."
        )
    kwargs = dict(aggregator_kwargs)
    if "method" not in kwargs:
        raise TypeError(
            f"aggregator_kwargs needs a 'method' ({sorted(AGGREGATORS)} or a callable); got keys {sorted(kwargs)}."
        )
    method = kwargs.pop("method")
    if isinstance(method, str):
        if method not in AGGREGATORS:
            raise ValueError(
                f"aggregator_kwargs['method'] must be one of {sorted(AGGREGATORS)} or a callable; got {method!r}."
            )
        method = AGGREGATORS[method]
    elif not callable(method):
        raise TypeError(
            f"aggregator_kwargs['method'] must be a str or a callable; got {type(method).__name__}."
        )
    alpha = kwargs.get("alpha")
    if method is exponential_moving_average and alpha is not None and not (0 <= alpha <= 1):
        raise ValueError(
            f"aggregator_kwargs['alpha'] must be in the interval [0, 1]; got {alpha!r}."
        )
    return method, kwargs


def _aggregate(class_scores: np.ndarray, aggregator: tuple) -> np.ndarray:
    function, kwargs = aggregator
    return function(class_scores, **{**kwargs, "axis": 1})


# ---------------------------------------------------------------------------------------
# Binary scores of one class, and the (N, K) matrix of them
# ---------------------------------------------------------------------------------------


def check_rank_by_kwargs(rank_by_kwargs: dict | None, rank_by: str | None) -> bool:
    """adjust_pred_probs from rank_by_kwargs (read only when ranking, as the reference)."""
    if rank_by is None or not rank_by_kwargs:
        return False
    unknown = set(rank_by_kwargs) - {"adjust_pred_probs"}
    if unknown:
        raise TypeError(
            f"rank_by_kwargs has unknown keys {sorted(unknown)}; the only option is 'adjust_pred_probs'."
        )
    adjust_pred_probs = rank_by_kwargs["adjust_pred_probs"]
    check_scoring(
        "return_indices_ranked_by", rank_by, adjust_pred_probs, caller="find_label_issues"
    )
    return bool(adjust_pred_probs)


def class_scores(
    labels_by_class: np.ndarray, probs_by_class: np.ndarray, *, method: str, adjust_pred_probs: bool
) -> np.ndarray:
    """(N, K) float64, C-ordered as the reference's: column k = class k's binary scores."""
    n_classes, n_samples = probs_by_class.shape
    scores = np.zeros((n_samples, n_classes))
    for k, (has_class, p) in enumerate(zip(labels_by_class, probs_by_class, strict=True)):
        scores[:, k] = binary_scores(
            has_class, p, method=method, adjust_pred_probs=adjust_pred_probs
        )
    return scores


def multilabel_scores(
    labels_by_class: np.ndarray,
    probs_by_class: np.ndarray,
    *,
    method: str,
    adjust_pred_probs: bool,
    aggregator: tuple,
) -> np.ndarray:
    """(N,) label quality score of each example: its class scores, aggregated."""
    return _aggregate(
        class_scores(
            labels_by_class, probs_by_class, method=method, adjust_pred_probs=adjust_pred_probs
        ),
        aggregator,
    )
