"""Label quality scores for multi-label classification, as
``cleanlab.multilabel_classification.rank`` 2.9.0.

Each class k gets the binary label quality score of "is k among the example's labels" with
predicted probabilities ``(1 - p[:, k], p[:, k])`` (``method``, as in
:func:`cleanlearn.rank.get_label_quality_scores`); an example's score aggregates its K class
scores. Scores are in [0, 1]; lower means the annotation more likely contains an error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cleanlearn._core.multilabel.inputs import check_multilabel_inputs
from cleanlearn._core.multilabel.scores import (
    DEFAULT_AGGREGATOR_KWARGS,
    check_aggregator,
    class_scores,
    multilabel_scores,
)
from cleanlearn._core.scores import check_scoring

__all__ = ["get_label_quality_scores", "get_label_quality_scores_per_class"]


def _method_name(method: Any) -> Any:
    # The reference looks methods up case-insensitively ("SELF_CONFIDENCE" works too).
    return method.lower() if isinstance(method, str) else method


def get_label_quality_scores(
    labels: list,
    pred_probs: Any,
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
    aggregator_kwargs: dict = DEFAULT_AGGREGATOR_KWARGS,
) -> np.ndarray:
    """Label quality score of each example, shape (N,).

    Parameters
    ----------
    labels : list of lists of int
        For each example, the class indices it was annotated with.
    pred_probs : array-like of shape (N, K)
        Predicted probability of each class (rows need not sum to 1).
    method : {"self_confidence", "normalized_margin", "confidence_weighted_entropy"}
        The per-class (binary) score.
    adjust_pred_probs : bool
        Subtract each binary class's threshold first (not with "confidence_weighted_entropy").
    aggregator_kwargs : dict, default ``{"method": "exponential_moving_average", "alpha": 0.8}``
        ``"method"``: "exponential_moving_average" (of the class scores sorted from best to
        worst; ``alpha``, default 2 / (K + 1) when None), "softmin" (``temperature``, default
        0.1) or a callable ``f(scores, axis=1, **kwargs)`` such as ``numpy.min``; the other
        keys are passed to it. Empty or None: the default.

    Returns
    -------
    np.ndarray of shape (N,)
        Label quality score of each example, in [0, 1] for the built-in aggregators; lower
        means more likely mislabelled.

    Notes
    -----
    Same scores as cleanlab 2.9's
    ``cleanlab.multilabel_classification.rank.get_label_quality_scores`` for every
    aggregator; errors name the example (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = [[0], [0, 1], [1], [1], [0], [], [0, 1], [1]]
    >>> pred_probs = np.array([[0.9, 0.1], [0.8, 0.9], [0.2, 0.8], [0.1, 0.9],
    ...                        [0.1, 0.9], [0.1, 0.2], [0.9, 0.8], [0.3, 0.7]])
    >>> from cleanlearn.multilabel_classification.rank import get_label_quality_scores
    >>> get_label_quality_scores(labels, pred_probs).round(3)
    array([0.9 , 0.82, 0.8 , 0.9 , 0.1 , 0.82, 0.82, 0.7 ])
    """
    method = _method_name(method)
    check_scoring("method", method, adjust_pred_probs, caller="get_label_quality_scores")
    aggregator = check_aggregator(aggregator_kwargs)
    labels_by_class, probs_by_class = check_multilabel_inputs(labels, pred_probs)
    return multilabel_scores(
        labels_by_class,
        probs_by_class,
        method=method,
        adjust_pred_probs=adjust_pred_probs,
        aggregator=aggregator,
    )


def get_label_quality_scores_per_class(
    labels: list,
    pred_probs: Any,
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
) -> np.ndarray:
    """Label quality score of each class annotation of each example: an (N, K) float array
    whose column k scores whether class k is correctly annotated (present or absent).

    Parameters
    ----------
    labels : list of lists of int
        For each example, the class indices 0..K-1 it was annotated with (may be empty).
    pred_probs : array-like of shape (N, K)
        Predicted probability of each class (rows need not sum to 1).
    method : {"self_confidence", "normalized_margin", "confidence_weighted_entropy"}, default "self_confidence"
        The per-class (binary) score.
    adjust_pred_probs : bool, default False
        Subtract each binary class's threshold first (not with "confidence_weighted_entropy").

    Returns
    -------
    np.ndarray of shape (N, K)
        Float scores; lower means class k's annotation of the example is more likely wrong.

    Notes
    -----
    Same scores as cleanlab 2.9's; errors name the example (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = [[0], [0, 1], [1], [1], [0], [], [0, 1], [1]]
    >>> pred_probs = np.array([[0.9, 0.1], [0.8, 0.9], [0.2, 0.8], [0.1, 0.9],
    ...                        [0.1, 0.9], [0.1, 0.2], [0.9, 0.8], [0.3, 0.7]])
    >>> from cleanlearn.multilabel_classification.rank import get_label_quality_scores_per_class
    >>> get_label_quality_scores_per_class(labels, pred_probs).round(3)
    array([[0.9, 0.9],
           [0.8, 0.9],
           [0.8, 0.8],
           [0.9, 0.9],
           [0.1, 0.1],
           [0.9, 0.8],
           [0.9, 0.8],
           [0.7, 0.7]])
    """
    method = _method_name(method)
    check_scoring("method", method, adjust_pred_probs, caller="get_label_quality_scores_per_class")
    labels_by_class, probs_by_class = check_multilabel_inputs(labels, pred_probs)
    return class_scores(
        labels_by_class, probs_by_class, method=method, adjust_pred_probs=adjust_pred_probs
    )
