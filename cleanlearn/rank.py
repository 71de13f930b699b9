"""Label quality scores: how likely each given label is correct (low score = likely an issue).

A drop-in for the single-label part of ``cleanlab.rank`` (2.9.0): same function names,
parameters, defaults and scores (bit-identical, so orderings with ties match too). The scores
are computed block by block over ``pred_probs`` (which may be a memory map or a Zarr
array larger than RAM) without (N, K) copies, the adjusted probabilities
(``adjust_pred_probs=True``) included: every score is a function of its row alone.
"""

from __future__ import annotations

import logging
import warnings
from numbers import Integral

import numpy as np
from sklearn.metrics import log_loss

from cleanlearn._core import blocks
from cleanlearn._core import scores as scoring
from cleanlearn._core.constants import CLIPPING_LOWER_BOUND
from cleanlearn._core.progress import report
from cleanlearn._core.validation import (
    Interval,
    Options,
    check_labels_and_pred_probs,
    validate_params,
)

__all__ = [
    "find_top_issues",
    "get_confidence_weighted_entropy_for_each_label",
    "get_label_quality_ensemble_scores",
    "get_label_quality_scores",
    "get_normalized_margin_for_each_label",
    "get_self_confidence_for_each_label",
    "order_label_issues",
]

logger = logging.getLogger(__name__)

ENSEMBLE_WEIGHTINGS = ("uniform", "accuracy", "log_loss_search", "custom")
DEFAULT_LOG_LOSS_SEARCH_T_VALUES = (1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 2e2)


def get_self_confidence_for_each_label(labels, pred_probs) -> np.ndarray:
    """Self-confidence ``pred_probs[i, labels[i]]`` of each example (in pred_probs' dtype).

    Parameters
    ----------
    labels : array_like of shape (n_samples,)
        Given (possibly noisy) class index of each example, integers 0..K-1.
    pred_probs : array_like of shape (n_samples, n_classes)
        Out-of-sample predicted class probabilities.

    Returns
    -------
    np.ndarray of shape (n_samples,)
        Self-confidence of each example (lower: more likely mislabelled).

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.rank.get_self_confidence_for_each_label``.
    Differs only in its errors: bad input raises ValueError or TypeError naming the argument
    and the value (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.rank import get_self_confidence_for_each_label
    >>> get_self_confidence_for_each_label(labels, pred_probs)
    array([0.8, 0.7, 0.2, 0.8, 0.7, 0.6, 0.8, 0.7, 0.7])
    """
    labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs)
    return blocks.map_rows(scoring.self_confidence, pred_probs, labels)


def get_normalized_margin_for_each_label(labels, pred_probs) -> np.ndarray:
    """Normalized margin ``(p_y - max_{k != y} p_k + 1) / 2`` of each example, in [0, 1].

    Parameters
    ----------
    labels : array_like of shape (n_samples,)
        Given (possibly noisy) class index of each example, integers 0..K-1.
    pred_probs : array_like of shape (n_samples, n_classes)
        Out-of-sample predicted class probabilities.

    Returns
    -------
    np.ndarray of shape (n_samples,)
        Normalized margin, in [0, 1], of each example (lower: more likely mislabelled).

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.rank.get_normalized_margin_for_each_label``.
    Differs only in its errors: bad input raises ValueError or TypeError naming the argument
    and the value (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.rank import get_normalized_margin_for_each_label
    >>> get_normalized_margin_for_each_label(labels, pred_probs).round(3)
    array([0.85, 0.75, 0.25, 0.85, 0.75, 0.65, 0.85, 0.75, 0.75])
    """
    labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs)
    return blocks.map_rows(scoring.normalized_margin, pred_probs, labels)


def get_confidence_weighted_entropy_for_each_label(labels, pred_probs) -> np.ndarray:
    """Score ``log(s + 1) / max(s, 1e-6)`` with ``s = entropy(p) / log(K) / max(p_y, 1e-6)``.

    Parameters
    ----------
    labels : array_like of shape (n_samples,)
        Given (possibly noisy) class index of each example, integers 0..K-1.
    pred_probs : array_like of shape (n_samples, n_classes)
        Out-of-sample predicted class probabilities.

    Returns
    -------
    np.ndarray of shape (n_samples,)
        Confidence-weighted entropy score of each example (lower: more likely mislabelled).

    Notes
    -----
    Same result as cleanlab 2.9's
    ``cleanlab.rank.get_confidence_weighted_entropy_for_each_label``. Differs only in its
    errors: bad input raises ValueError or TypeError naming the argument and the value (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.rank import get_confidence_weighted_entropy_for_each_label
    >>> get_confidence_weighted_entropy_for_each_label(labels, pred_probs).round(3)
    array([0.752, 0.685, 0.421, 0.752, 0.685, 0.631, 0.752, 0.685, 0.685])
    """
    labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs)
    return scoring.scores_of_rows(labels, pred_probs, method="confidence_weighted_entropy")


def get_label_quality_scores(
    labels,
    pred_probs,
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
) -> np.ndarray:
    """Label quality score of each example, in [0, 1]; lower means more likely mislabelled.

    ``method``: "self_confidence" (``p_y``), "normalized_margin" (``(p_y - max_{k!=y} p_k +
    1) / 2``) or "confidence_weighted_entropy". ``adjust_pred_probs`` first subtracts the
    per-class thresholds (not available with "confidence_weighted_entropy").

    pred_probs may be memory-mapped or a Zarr array, larger than RAM: scored a block of rows
    at a time, 2 sequential passes (checks, scores; 3 with ``adjust_pred_probs``), the
    scores (one float per example) the only per-example allocation besides the checks'
    row sums (8 bytes per example).

    Parameters
    ----------
    labels : array_like of shape (n_samples,)
        Given (possibly noisy) class index of each example, integers 0..K-1.
    pred_probs : array_like of shape (n_samples, n_classes)
        Out-of-sample predicted class probabilities.
    method : {"self_confidence", "normalized_margin", "confidence_weighted_entropy"}, default "self_confidence"
        The label quality score.
    adjust_pred_probs : bool, default False
        Account for class imbalance: subtract the per-class confident thresholds from
        ``pred_probs`` (rows shifted and renormalised, as cleanlab does) before scoring; not
        with "confidence_weighted_entropy".

    Returns
    -------
    np.ndarray of shape (n_samples,)
        Label quality score, in [0, 1], of each example (lower: more likely mislabelled).

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.rank.get_label_quality_scores``. Differs only
    in its errors: bad input raises ValueError or TypeError naming the argument and the
    value (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.rank import get_label_quality_scores
    >>> get_label_quality_scores(labels, pred_probs).round(3)
    array([0.8, 0.7, 0.2, 0.8, 0.7, 0.6, 0.8, 0.7, 0.7])
    >>> get_label_quality_scores(labels, pred_probs, method='normalized_margin').round(3)
    array([0.85, 0.75, 0.25, 0.85, 0.75, 0.65, 0.85, 0.75, 0.75])
    """
    scoring.check_scoring("method", method, adjust_pred_probs, caller="get_label_quality_scores")
    labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs)
    return scoring.label_quality_scores(labels, pred_probs, method=method, adjust_pred_probs=adjust_pred_probs)


def order_label_issues(
    label_issues_mask,
    labels,
    pred_probs,
    *,
    rank_by: str = "self_confidence",
    rank_by_kwargs: dict | None = None,
) -> np.ndarray:
    """Indices of the flagged examples, sorted by ascending label quality score.

    Ties are ordered as the reference orders them (``np.argsort``'s default kind on the
    same, bit-identical scores).

    Parameters
    ----------
    label_issues_mask : array_like of bool, shape (n_samples,)
        True for the examples to rank (e.g. the mask of :func:`cleanlearn.filter.find_label_issues`).
    labels : array_like of shape (n_samples,)
        Given (possibly noisy) class index of each example, integers 0..K-1.
    pred_probs : array_like of shape (n_samples, n_classes)
        Out-of-sample predicted class probabilities.
    rank_by : {"self_confidence", "normalized_margin", "confidence_weighted_entropy"}, default "self_confidence"
        The label quality score to sort by.
    rank_by_kwargs : dict, optional
        Keyword arguments for the score, e.g. ``{"adjust_pred_probs": True}``.

    Returns
    -------
    np.ndarray of int
        Indices of the flagged examples, lowest label quality score first.

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.rank.order_label_issues``. Differs only in its
    errors: bad input raises ValueError or TypeError naming the argument and the value (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.filter import find_label_issues
    >>> from cleanlearn.rank import order_label_issues
    >>> mask = find_label_issues(labels, pred_probs, filter_by='predicted_neq_given')
    >>> order_label_issues(mask, labels, pred_probs)
    array([2])
    """
    adjust_pred_probs = scoring.check_rank_by(rank_by, rank_by_kwargs)
    labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs)
    label_issues_mask = np.asarray(label_issues_mask)
    if label_issues_mask.dtype != bool or label_issues_mask.shape != labels.shape:
        raise ValueError(
            f"label_issues_mask must be a boolean array of shape {labels.shape}; got dtype "
            f"{label_issues_mask.dtype} and shape {label_issues_mask.shape}."
        )
    return scoring.order_label_issues(label_issues_mask, labels, pred_probs, rank_by=rank_by, adjust_pred_probs=adjust_pred_probs)


def find_top_issues(quality_scores, *, top: int = 10) -> np.ndarray:
    """Indices of the ``top`` lowest quality scores, lowest first (all of them if ``top`` is
    None or larger than their number).

    Parameters
    ----------
    quality_scores : array_like of shape (n_samples,)
        A score per example, lower meaning more likely an issue.
    top : int or None, default 10
        How many indices to return; None or more than the number of scores returns all.

    Returns
    -------
    np.ndarray of int, shape (min(top, n_samples),)
        Indices of the lowest scores, lowest first.

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.rank.find_top_issues``. Differs only in its
    errors: bad input raises ValueError or TypeError naming the argument and the value (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> from cleanlearn.rank import find_top_issues
    >>> find_top_issues(np.array([0.9, 0.2, 0.7, 0.1, 0.5]), top=3)
    array([3, 1, 4])
    """
    validate_params({"top": top}, {"top": [None, Interval(Integral, 0, None)]}, caller="find_top_issues")
    quality_scores = np.asarray(quality_scores)
    if quality_scores.ndim != 1:
        raise ValueError(f"quality_scores must be a 1-D array; got shape {quality_scores.shape}.")
    if top is None or top > len(quality_scores):
        top = len(quality_scores)
    return quality_scores.argsort()[:top]


def get_label_quality_ensemble_scores(
    labels,
    pred_probs_list,
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
    weight_ensemble_members_by: str = "accuracy",
    custom_weights=None,
    log_loss_search_T_values=DEFAULT_LOG_LOSS_SEARCH_T_VALUES,
    verbose: bool = True,
) -> np.ndarray:
    """Weighted average of the label quality scores of several models' ``pred_probs``.

    ``weight_ensemble_members_by``: "uniform", "accuracy" (each model's accuracy on the given
    labels), "log_loss_search" (weights ``exp(-t * log_loss)`` with the ``t`` among
    ``log_loss_search_T_values`` whose weighted-average pred_probs have the lowest log loss)
    or "custom" (``custom_weights``). ``verbose`` reports the weights through logging.

    Parameters
    ----------
    labels : array_like of shape (n_samples,)
        Given (possibly noisy) class index of each example, integers 0..K-1.
    pred_probs_list : list of array_like, each of shape (n_samples, n_classes)
        One array of out-of-sample predicted probabilities per model of the ensemble.
    method : {"self_confidence", "normalized_margin", "confidence_weighted_entropy"}, default "self_confidence"
        The label quality score computed for each model.
    adjust_pred_probs : bool, default False
        As in :func:`get_label_quality_scores`; not with "confidence_weighted_entropy".
    weight_ensemble_members_by : {"uniform", "accuracy", "log_loss_search", "custom"}, default "accuracy"
        How the models' scores are weighted (see above).
    custom_weights : array_like of shape (n_models,), optional
        The weights, required by (and only allowed with) "custom".
    log_loss_search_T_values : sequence of float, default (1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 200)
        The temperatures ``t`` tried by "log_loss_search".
    verbose : bool, default True
        Log the weighting scheme and the member weights (logging, INFO).

    Returns
    -------
    np.ndarray of shape (n_samples,)
        Weighted average label quality score of each example (lower: more likely mislabelled).

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.rank.get_label_quality_ensemble_scores``.
    Differs only in its errors: bad input raises ValueError or TypeError naming the argument
    and the value (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.rank import get_label_quality_ensemble_scores
    >>> second_model = (pred_probs + 1 / 3) / 2
    >>> get_label_quality_ensemble_scores(labels, [pred_probs, second_model]).round(3)
    array([0.683, 0.608, 0.233, 0.683, 0.608, 0.533, 0.683, 0.608, 0.608])
    """
    validate_params(
        {
            "method": method,
            "adjust_pred_probs": adjust_pred_probs,
            "weight_ensemble_members_by": weight_ensemble_members_by,
            "verbose": verbose,
        },
        {
            "method": [Options(scoring.RANKINGS)],
            "adjust_pred_probs": ["boolean"],
            "weight_ensemble_members_by": [Options(ENSEMBLE_WEIGHTINGS)],
            "verbose": ["verbose"],
        },
        caller="get_label_quality_ensemble_scores",
    )
    if not isinstance(pred_probs_list, list):
        raise TypeError(f"pred_probs_list must be a list of pred_probs arrays; got {type(pred_probs_list).__name__}.")
    if not pred_probs_list:
        raise ValueError("pred_probs_list is empty; pass one pred_probs array per model.")
    if len(pred_probs_list) == 1:
        warnings.warn(
            "pred_probs_list only has one element; consider get_label_quality_scores() for a single "
            "array of pred_probs.",
            stacklevel=2,
        )
    checked = [check_labels_and_pred_probs(labels, pred_probs) for pred_probs in pred_probs_list]
    labels = checked[0][0]
    pred_probs_list = [pred_probs for _, pred_probs in checked]
    if len({pred_probs.shape for pred_probs in pred_probs_list}) > 1:
        raise ValueError("pred_probs_list arrays must all have the same shape (n_examples, n_classes).")
    if adjust_pred_probs and method == "confidence_weighted_entropy":
        raise ValueError(f"adjust_pred_probs=True is not supported with method={method!r}.")
    if custom_weights is not None and weight_ensemble_members_by != "custom":
        raise ValueError(
            "custom_weights were given but weight_ensemble_members_by is "
            f"{weight_ensemble_members_by!r}; set weight_ensemble_members_by='custom' to use them."
        )
    n_models = len(pred_probs_list)
    if weight_ensemble_members_by == "custom":
        if custom_weights is None:
            raise ValueError("weight_ensemble_members_by='custom' needs custom_weights (one weight per model).")
        custom_weights = np.asarray(custom_weights, dtype=float)
        if custom_weights.shape != (n_models,):
            raise ValueError(
                f"custom_weights must have one weight per model, shape ({n_models},); got shape {custom_weights.shape}."
            )

    if weight_ensemble_members_by == "log_loss_search":
        weights = _log_loss_search_weights(labels, pred_probs_list, log_loss_search_T_values)
    elif weight_ensemble_members_by == "accuracy":
        accuracies = [(pred_probs.argmax(axis=1) == labels).mean() for pred_probs in pred_probs_list]
        weights = np.array(accuracies) / sum(accuracies)
    elif weight_ensemble_members_by == "custom":
        weights = custom_weights
    else:
        weights = None
    report(logger, verbose, "Weighting scheme for ensemble: %s; member weights: %s", weight_ensemble_members_by, weights)

    scores = np.vstack(
        [
            scoring.label_quality_scores(labels, pred_probs, method=method, adjust_pred_probs=adjust_pred_probs)
            for pred_probs in pred_probs_list
        ]
    ).T  # (n_examples, n_models)
    if weights is None:
        return scores.mean(axis=1)
    return (scores * weights).sum(axis=1)


def _log_loss_search_weights(labels: np.ndarray, pred_probs_list: list, t_values) -> np.ndarray:
    """Weights ``exp(-t * log_loss_m)`` (normalised) for the ``t`` whose weighted average of
    the pred_probs has the lowest log loss (the first such ``t`` on ties)."""
    best_log_loss, best_weights = float("inf"), None
    for t in t_values:
        member_weights = []
        for pred_probs in pred_probs_list:
            clipped = np.clip(pred_probs, a_min=CLIPPING_LOWER_BOUND, a_max=None)
            clipped /= clipped.sum(axis=1)[:, np.newaxis]
            member_weights.append(np.exp(-t * log_loss(labels, clipped)))
        weights = np.array(member_weights) / sum(member_weights)
        averaged = sum(weights[i] * pred_probs for i, pred_probs in enumerate(pred_probs_list))
        ensemble_log_loss = log_loss(labels, averaged)
        if best_log_loss > ensemble_log_loss:
            best_log_loss, best_weights = ensemble_log_loss, weights.copy()
    if best_weights is None:
        raise ValueError("log_loss_search_T_values must contain at least one finite value of t.")
    return best_weights
