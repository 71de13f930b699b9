"""Find the examples of a multi-label dataset with a wrong annotation for some class.

A drop-in for ``cleanlab.multilabel_classification.filter`` 2.9.0. Each class is a binary
problem (does the class apply to the example or not) solved by confident learning exactly as
cleanlab's single-label ``find_label_issues`` would solve it; an example is an issue when any
of its classes is. The work is vectorised over examples, one pass per class, with no
process pool (``n_jobs`` threads over classes on large inputs; results never depend on it).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from cleanlearn._core.multilabel.filter import (
    check_filter_args,
    per_class_flags,
    ranked,
    ranked_per_class,
)
from cleanlearn._core.multilabel.inputs import check_multilabel_inputs
from cleanlearn._core.multilabel.scores import DEFAULT_AGGREGATOR, multilabel_scores
from cleanlearn._core.progress import report
from cleanlearn._core.selection import take_smallest

__all__ = ["find_label_issues", "find_multilabel_issues_per_class"]

# The number of issues is logged where the single-label filter logs it (cleanlab's
# multi-label filter runs the single-label one), so one logger configures both.
logger = logging.getLogger("cleanlearn.filter")


def find_label_issues(
    labels: list,
    pred_probs: Any,
    return_indices_ranked_by: str | None = None,
    rank_by_kwargs: dict | None = None,
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    num_to_remove_per_class: Any = None,
    min_examples_per_class: int = 1,
    confident_joint: Any = None,
    n_jobs: int | None = None,
    verbose: bool = False,
    low_memory: bool = False,
) -> np.ndarray:
    """Flag the examples whose annotation looks wrong for at least one class.

    Parameters
    ----------
    labels : list of lists of int
        For each example, the class indices 0..K-1 it was annotated with (may be empty).
    pred_probs : array-like of shape (N, K)
        Out-of-sample predicted probability of each class; rows need not sum to 1.
    return_indices_ranked_by : {None, "self_confidence", "normalized_margin",
        "confidence_weighted_entropy"}
        None returns a boolean mask; otherwise the indices of the flagged examples by
        ascending multi-label quality score (that per-class score, aggregated over classes
        by an exponential moving average, see :func:`cleanlearn.multilabel_classification.rank.get_label_quality_scores`).
    rank_by_kwargs : dict, optional
        ``{"adjust_pred_probs": bool}`` for the ranking score.
    filter_by : str, default "prune_by_noise_rate"
        As in :func:`cleanlearn.filter.find_label_issues`, applied to each class's binary
        problem. "low_self_confidence" and "low_normalized_margin" both flag, as the
        reference does, as many examples as "confident_learning" finds, those with the
        lowest default multi-label score.
    frac_noise : float in (0, 1], default 1.0
        As in :func:`cleanlearn.filter.find_label_issues`, per binary problem.
    num_to_remove_per_class : int or sequence of K ints, optional
        For class k, flag ``num_to_remove_per_class[k]`` examples among those *not*
        annotated with k (the reference's ``[n_k, 0]`` per binary problem); pruning
        filters only.
    min_examples_per_class : int >= 0, default 1
        As in :func:`cleanlearn.filter.find_label_issues`, per binary problem.
    confident_joint : array of shape (K, 2, 2), optional
        One-vs-rest confident joint (``cleanlearn.count.compute_confident_joint(...,
        multi_label=True)``); computed when not given. A single-label (K, K) joint is
        ignored with a warning, as in the reference.
    n_jobs : None, -1 or int >= 1
        Threads for the per-class work on large inputs (-1: all cores; None or 1: this
        thread). Results do not depend on it.
    verbose : bool
        Log the number of issues found (logging level INFO).
    low_memory : bool
        Must be False (cleanlab switches to an approximate algorithm there).

    Returns
    -------
    numpy.ndarray
        A boolean mask of shape (N,), or the ranked indices of flagged examples.

    Notes
    -----
    Same masks and rankings as cleanlab 2.9's
    ``cleanlab.multilabel_classification.filter.find_label_issues``. Different on purpose:
    labels that are not a list of lists, class indices outside 0..K-1 and NaN raise errors
    naming the example; a class annotated for every example gets an answer;
    ``low_memory=True`` is refused (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = [[0], [0, 1], [1], [1], [0], [], [0, 1], [1]]
    >>> pred_probs = np.array([[0.9, 0.1], [0.8, 0.9], [0.2, 0.8], [0.1, 0.9],
    ...                        [0.1, 0.9], [0.1, 0.2], [0.9, 0.8], [0.3, 0.7]])
    >>> from cleanlearn.multilabel_classification.filter import find_label_issues
    >>> find_label_issues(labels, pred_probs)
    array([False, False, False, False,  True, False, False, False])
    """
    adjust_pred_probs = check_filter_args(
        filter_by=filter_by,
        return_indices_ranked_by=return_indices_ranked_by,
        rank_by_kwargs=rank_by_kwargs,
        frac_noise=frac_noise,
        num_to_remove_per_class=num_to_remove_per_class,
        min_examples_per_class=min_examples_per_class,
        n_jobs=n_jobs,
        verbose=verbose,
        low_memory=low_memory,
        caller="find_label_issues",
    )
    labels_by_class, probs_by_class = check_multilabel_inputs(labels, pred_probs)
    if filter_by in ("low_normalized_margin", "low_self_confidence"):
        # The reference: as many issues as confident_learning finds, taken as the lowest
        # default multi-label scores (self-confidence, EMA), whichever of the two is asked.
        num_issues = int(
            np.count_nonzero(
                per_class_flags(
                    labels_by_class, probs_by_class, filter_by="confident_learning", n_jobs=n_jobs
                ).any(axis=0)
            )
        )
        scores = multilabel_scores(
            labels_by_class,
            probs_by_class,
            method="self_confidence",
            adjust_pred_probs=False,
            aggregator=DEFAULT_AGGREGATOR,
        )
        issue_mask = take_smallest(scores, num_issues)
    else:
        issue_mask = per_class_flags(
            labels_by_class,
            probs_by_class,
            filter_by=filter_by,
            frac_noise=frac_noise,
            num_to_remove_per_class=num_to_remove_per_class,
            min_examples_per_class=min_examples_per_class,
            confident_joint=confident_joint,
            n_jobs=n_jobs,
        ).any(axis=0)
    report(logger, verbose, "Number of label issues found: %d", np.count_nonzero(issue_mask))
    if return_indices_ranked_by is None:
        return issue_mask
    return ranked(
        issue_mask, labels_by_class, probs_by_class, return_indices_ranked_by, adjust_pred_probs
    )


def find_multilabel_issues_per_class(
    labels: list,
    pred_probs: Any,
    return_indices_ranked_by: str | None = None,
    rank_by_kwargs: dict | None = None,
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    num_to_remove_per_class: Any = None,
    min_examples_per_class: int = 1,
    confident_joint: Any = None,
    n_jobs: int | None = None,
    verbose: bool = False,
    low_memory: bool = False,
):
    """Flag, for each class, the examples whose annotation of that class looks wrong.

    Parameters
    ----------
    labels : list of lists of int
        For each example, the class indices 0..K-1 it was annotated with (may be empty).
    pred_probs : array-like of shape (N, K)
        Out-of-sample predicted probability of each class; rows need not sum to 1.
    return_indices_ranked_by : {None, "self_confidence", "normalized_margin",
        "confidence_weighted_entropy"}
        None returns a boolean mask; otherwise, per class, the indices of the flagged
        examples by ascending binary label quality score (see Returns).
    rank_by_kwargs : dict, optional
        ``{"adjust_pred_probs": bool}`` for the ranking score.
    filter_by : str, default "prune_by_noise_rate"
        As in :func:`cleanlearn.filter.find_label_issues`, applied to each class's binary
        problem (the "low_*" filters too, as in the reference).
    frac_noise : float in (0, 1], default 1.0
        As in :func:`cleanlearn.filter.find_label_issues`, per binary problem.
    num_to_remove_per_class : int or sequence of K ints, optional
        For class k, flag ``num_to_remove_per_class[k]`` examples among those *not*
        annotated with k (the reference's ``[n_k, 0]`` per binary problem); pruning
        filters only.
    min_examples_per_class : int >= 0, default 1
        As in :func:`cleanlearn.filter.find_label_issues`, per binary problem.
    confident_joint : array of shape (K, 2, 2), optional
        One-vs-rest confident joint (``cleanlearn.count.compute_confident_joint(...,
        multi_label=True)``); computed when not given. A single-label (K, K) joint is
        ignored with a warning, as in the reference.
    n_jobs : None, -1 or int >= 1
        Threads for the per-class work on large inputs (-1: all cores; None or 1: this
        thread). Results do not depend on it.
    verbose : bool
        Report the number of issues found in each class (INFO on the ``cleanlearn`` logger;
        on stderr when logging is not configured).
    low_memory : bool
        Must be False (cleanlab switches to an approximate algorithm there).

    Returns
    -------
    numpy.ndarray or tuple of three lists
        Without ranking, an (N, K) boolean mask: ``[i, k]`` is True when class k looks wrongly
        annotated for example i. With ``return_indices_ranked_by``, ``(label_issues_list,
        labels_list, pred_probs_list)``, one entry per class: the flagged indices by
        ascending binary quality score, the binary labels (int, 1 = class annotated) and
        the binary pred_probs ``(1 - p, p)`` of shape (N, 2).

    Notes
    -----
    Same masks as cleanlab 2.9's; errors and edge cases as :func:`find_label_issues` (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = [[0], [0, 1], [1], [1], [0], [], [0, 1], [1]]
    >>> pred_probs = np.array([[0.9, 0.1], [0.8, 0.9], [0.2, 0.8], [0.1, 0.9],
    ...                        [0.1, 0.9], [0.1, 0.2], [0.9, 0.8], [0.3, 0.7]])
    >>> from cleanlearn.multilabel_classification.filter import find_multilabel_issues_per_class
    >>> find_multilabel_issues_per_class(labels, pred_probs)  # (N, K): one column per class
    array([[False, False],
           [False, False],
           [False, False],
           [False, False],
           [ True,  True],
           [False, False],
           [False, False],
           [False, False]])
    """
    adjust_pred_probs = check_filter_args(
        filter_by=filter_by,
        return_indices_ranked_by=return_indices_ranked_by,
        rank_by_kwargs=rank_by_kwargs,
        frac_noise=frac_noise,
        num_to_remove_per_class=num_to_remove_per_class,
        min_examples_per_class=min_examples_per_class,
        n_jobs=n_jobs,
        verbose=verbose,
        low_memory=low_memory,
        caller="find_multilabel_issues_per_class",
    )
    labels_by_class, probs_by_class = check_multilabel_inputs(labels, pred_probs)
    flags_by_class = per_class_flags(
        labels_by_class,
        probs_by_class,
        filter_by=filter_by,
        frac_noise=frac_noise,
        num_to_remove_per_class=num_to_remove_per_class,
        min_examples_per_class=min_examples_per_class,
        confident_joint=confident_joint,
        n_jobs=n_jobs,
    )
    report(logger, verbose, "Label issues found per class: %s", np.count_nonzero(flags_by_class, axis=1).tolist())
    if return_indices_ranked_by is None:
        return np.ascontiguousarray(flags_by_class.T)
    return ranked_per_class(
        labels_by_class, probs_by_class, flags_by_class, return_indices_ranked_by, adjust_pred_probs
    )
