"""Dataset-level label health: which classes are noisiest, which pairs of classes overlap.

A drop-in for ``cleanlab.dataset`` (cleanlab 2.9.0): the same four functions, parameters,
defaults, table columns and numbers. Everything is read off the estimated joint distribution
``joint[i, j] = P(given label = i, true label = j)`` (:func:`cleanlearn.count.estimate_joint`,
the calibrated confident joint over its sum) or, for the health score with both ``labels`` and
``pred_probs``, off :func:`cleanlearn.count.num_label_issues`.

Parity notes: the tables are built with the reference's columns in its order and sorted with
the same pandas call (``sort_values``, its default quicksort), so ties between classes come out
in the same order. The only difference is the output channel: the library does not print.
``health_summary`` returns its tables; with ``verbose`` they and the score are logged at INFO
level (``logging.getLogger("cleanlearn.dataset")``, on stderr when the application configured
no logging).
"""

from __future__ import annotations

import logging
from numbers import Integral

import numpy as np
import pandas as pd

from cleanlearn import count
from cleanlearn._core.constants import EPSILON
from cleanlearn._core.progress import report
from cleanlearn._core.validation import Interval, check_square_matrix, validate_params

__all__ = [
    "find_overlapping_classes",
    "health_summary",
    "overall_label_health_score",
    "rank_classes_by_label_quality",
]

logger = logging.getLogger(__name__)



# ---------------------------------------------------------------------------------------
# Shared input handling
# ---------------------------------------------------------------------------------------


def _reject_multi_label(multi_label, replacement: str) -> None:
    validate_params({"multi_label": multi_label}, {"multi_label": ["boolean"]}, caller="cleanlearn.dataset")
    if multi_label:
        raise ValueError(f"For multi-label data call cleanlearn.multilabel_classification.dataset.{replacement}() instead.")


def _joint(labels, pred_probs, joint, confident_joint) -> np.ndarray:
    """The given ``joint`` (checked), else estimated from labels and pred_probs / confident_joint."""
    if joint is not None:
        joint = check_square_matrix(joint, n_classes=None, name="joint")
        if abs(joint.sum() - 1.0) > 1e-6:
            raise ValueError(f"joint must be a distribution P(given label, true label) summing to 1; it sums to {joint.sum()!r}.")
        return joint
    if confident_joint is None and (labels is None or pred_probs is None):
        raise ValueError("Give labels and pred_probs, or a confident_joint, or a joint (with num_examples).")
    return count.estimate_joint(labels, pred_probs, confident_joint=confident_joint)


def _num_examples(num_examples, labels, confident_joint) -> int:
    """``num_examples`` if given, else the number of labels, else the confident joint's total."""
    if num_examples is not None:
        validate_params(
            {"num_examples": num_examples}, {"num_examples": [Interval(Integral, 1, None)]},
            caller="cleanlearn.dataset",
        )
        return int(num_examples)
    if labels is not None:
        return len(labels)
    if confident_joint is not None:
        return int(np.sum(confident_joint))
    raise ValueError(
        "num_examples is needed: give labels or a confident_joint, or num_examples with the joint."
    )


def _check_class_names(class_names, n_classes: int):
    if class_names is not None and len(class_names) != n_classes:
        raise ValueError(f"class_names must have one name per class ({n_classes}); got {len(class_names)} names.")
    return class_names


# ---------------------------------------------------------------------------------------
# The four public functions
# ---------------------------------------------------------------------------------------


def rank_classes_by_label_quality(
    labels=None,
    pred_probs=None,
    *,
    class_names=None,
    num_examples=None,
    joint=None,
    confident_joint=None,
    multi_label=False,
) -> pd.DataFrame:
    """One row per class, the class with the lowest label quality first.

    Columns: ``Class Name`` (when ``class_names`` are given), ``Class Index``, ``Label
    Issues`` (examples labelled k whose true class is another, estimated), ``Inverse Label
    Issues`` (examples of true class k labelled otherwise), ``Label Noise`` = P(true != k |
    given = k), ``Inverse Label Noise`` = P(given != k | true = k) and ``Label Quality Score``
    = 1 - Label Noise.

    Parameters
    ----------
    labels : array_like of shape (n_samples,), optional
        Given (possibly noisy) class index of each example, integers 0..K-1.
    pred_probs : array_like of shape (n_samples, n_classes), optional
        Out-of-sample predicted class probabilities; with ``labels``, estimates the joint
        when neither ``joint`` nor ``confident_joint`` is given.
    class_names : sequence of str, optional
        One name per class, in class-index order; adds the name column(s).
    num_examples : int >= 1, optional
        Number of examples the counts are scaled to; default ``len(labels)``, else the total
        of ``confident_joint``. Needed when only ``joint`` is given.
    joint : array_like of shape (n_classes, n_classes), optional
        Estimated ``P(given=i, true=j)`` summing to 1 (:func:`cleanlearn.count.estimate_joint`);
        used in place of ``labels``/``pred_probs``/``confident_joint`` when given.
    confident_joint : array_like of shape (n_classes, n_classes), optional
        A precomputed confident joint (:func:`cleanlearn.count.compute_confident_joint`).
    multi_label : bool, default False
        Must be False: multi-label data raises ValueError pointing to
        :mod:`cleanlearn.multilabel_classification.dataset`.

    Returns
    -------
    pd.DataFrame
        One row per class, sorted by ascending ``Label Quality Score``; the columns above.

    Notes
    -----
    Same table as cleanlab 2.9's ``cleanlab.dataset.rank_classes_by_label_quality``.
    Different on purpose: errors name the argument, and ``confident_joint=`` without
    ``labels`` works (cleanlab fails) (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.dataset import rank_classes_by_label_quality
    >>> rank_classes_by_label_quality(labels, pred_probs, class_names=['cat', 'dog', 'fox'])
      Class Name  Class Index  ...  Inverse Label Noise  Label Quality Score
    0        cat            0  ...                 0.00             0.666667
    1        dog            1  ...                 0.25             1.000000
    2        fox            2  ...                 0.00             1.000000
    <BLANKLINE>
    [3 rows x 7 columns]
    """
    _reject_multi_label(multi_label, "rank_classes_by_multilabel_quality")  # cleanlab 2.9 names overall_multilabel_health_score here
    joint = _joint(labels, pred_probs, joint, confident_joint)
    num_examples = _num_examples(num_examples, labels, confident_joint)
    n_classes = joint.shape[0]
    class_names = _check_class_names(class_names, n_classes)

    given_totals, true_totals = joint.sum(axis=1), joint.sum(axis=0)  # P(given = k), P(true = k)
    given_label_noise = given_totals - joint.diagonal()  # P(given = k, true != k)
    true_label_noise = true_totals - joint.diagonal()  # P(given != k, true = k)
    given_conditional_noise = given_label_noise / np.clip(given_totals, a_min=EPSILON, a_max=None)
    true_conditional_noise = true_label_noise / np.clip(true_totals, a_min=EPSILON, a_max=None)
    frame = pd.DataFrame(
        {
            "Class Index": np.arange(n_classes),
            "Label Issues": (given_label_noise * num_examples).round().astype(int),
            "Inverse Label Issues": (true_label_noise * num_examples).round().astype(int),
            "Label Noise": given_conditional_noise,
            "Inverse Label Noise": true_conditional_noise,
            "Label Quality Score": 1 - given_conditional_noise,
        }
    )
    if class_names is not None:
        frame.insert(loc=0, column="Class Name", value=class_names)
    return frame.sort_values(by="Label Quality Score", ascending=True).reset_index(drop=True)


def find_overlapping_classes(
    labels=None,
    pred_probs=None,
    *,
    asymmetric=False,
    class_names=None,
    num_examples=None,
    joint=None,
    confident_joint=None,
    multi_label=False,
) -> pd.DataFrame:
    """Pairs of classes, the most often confused first (candidates for merging).

    One row per pair: ``Class Index A``, ``Class Index B`` (with ``Class Name A`` / ``B`` when
    ``class_names`` are given), ``Num Overlapping Examples`` and ``Joint Probability``. By
    default a pair (A < B) counts both directions, ``joint[A, B] + joint[B, A]``; with
    ``asymmetric`` every ordered pair A != B is its own row with ``joint[A, B]``.

    Parameters
    ----------
    labels : array_like of shape (n_samples,), optional
        Given (possibly noisy) class index of each example, integers 0..K-1.
    pred_probs : array_like of shape (n_samples, n_classes), optional
        Out-of-sample predicted class probabilities; with ``labels``, estimates the joint
        when neither ``joint`` nor ``confident_joint`` is given.
    asymmetric : bool, default False
        False: one row per unordered pair, both directions summed; True: one row per ordered
        pair.
    class_names : sequence of str, optional
        One name per class, in class-index order; adds the name column(s).
    num_examples : int >= 1, optional
        Number of examples the counts are scaled to; default ``len(labels)``, else the total
        of ``confident_joint``. Needed when only ``joint`` is given.
    joint : array_like of shape (n_classes, n_classes), optional
        Estimated ``P(given=i, true=j)`` summing to 1 (:func:`cleanlearn.count.estimate_joint`);
        used in place of ``labels``/``pred_probs``/``confident_joint`` when given.
    confident_joint : array_like of shape (n_classes, n_classes), optional
        A precomputed confident joint (:func:`cleanlearn.count.compute_confident_joint`).
    multi_label : bool, default False
        Must be False: multi-label data raises ValueError pointing to
        :mod:`cleanlearn.multilabel_classification.dataset`.

    Returns
    -------
    pd.DataFrame
        One row per pair of classes, sorted by descending ``Joint Probability``; the columns
        above.

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.dataset.find_overlapping_classes``. Differs
    only in its errors: bad input raises ValueError or TypeError naming the argument and the
    value (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.dataset import find_overlapping_classes
    >>> find_overlapping_classes(labels, pred_probs)
       Class Index A  Class Index B  Num Overlapping Examples  Joint Probability
    0              0              1                         1           0.111111
    1              0              2                         0           0.000000
    2              1              2                         0           0.000000
    """
    validate_params({"asymmetric": asymmetric}, {"asymmetric": ["boolean"]}, caller="find_overlapping_classes")
    _reject_multi_label(multi_label, "common_multilabel_issues")
    joint = _joint(labels, pred_probs, joint, confident_joint)
    num_examples = _num_examples(num_examples, labels, confident_joint)
    n_classes = joint.shape[0]
    class_names = _check_class_names(class_names, n_classes)

    # The pairs in row-major order, as the reference enumerates the matrix.
    if asymmetric:
        class_a, class_b = np.nonzero(~np.eye(n_classes, dtype=bool))
        joint_probability = joint[class_a, class_b]
    else:
        class_a, class_b = np.triu_indices(n_classes, k=1)
        joint_probability = joint[class_a, class_b] + joint[class_b, class_a]
    frame = pd.DataFrame(
        {
            "Class Index A": class_a.astype(np.int64),
            "Class Index B": class_b.astype(np.int64),
            "Joint Probability": joint_probability,
        }
    )
    frame.insert(loc=2, column="Num Overlapping Examples", value=(joint_probability * num_examples).round().astype(int))
    if class_names is not None:
        names = pd.Series(list(class_names))
        frame.insert(loc=0, column="Class Name A", value=names.iloc[class_a].to_numpy())
        frame.insert(loc=1, column="Class Name B", value=names.iloc[class_b].to_numpy())
    return frame.sort_values(by="Joint Probability", ascending=False).reset_index(drop=True)


def overall_label_health_score(
    labels=None,
    pred_probs=None,
    *,
    num_examples=None,
    confident_joint=None,
    joint=None,
    multi_label=False,
    verbose=True,
) -> float:
    """Fraction of the labels estimated to be correct (1 = no label issues).

    With both ``labels`` and ``pred_probs``: ``1 - num_label_issues / num_examples``
    (:func:`cleanlearn.count.num_label_issues`, using ``confident_joint`` when given);
    otherwise the trace of the joint. ``verbose`` logs the score (INFO level).

    Parameters
    ----------
    labels : array_like of shape (n_samples,), optional
        Given (possibly noisy) class index of each example, integers 0..K-1.
    pred_probs : array_like of shape (n_samples, n_classes), optional
        Out-of-sample predicted class probabilities; with ``labels``, estimates the joint
        when neither ``joint`` nor ``confident_joint`` is given.
    num_examples : int >= 1, optional
        Number of examples the counts are scaled to; default ``len(labels)``, else the total
        of ``confident_joint``. Needed when only ``joint`` is given.
    confident_joint : array_like of shape (n_classes, n_classes), optional
        A precomputed confident joint (:func:`cleanlearn.count.compute_confident_joint`),
        passed to :func:`cleanlearn.count.num_label_issues` or, without ``labels`` or
        ``pred_probs``, turned into the joint.
    joint : array_like of shape (n_classes, n_classes), optional
        Estimated ``P(given=i, true=j)`` summing to 1 (:func:`cleanlearn.count.estimate_joint`);
        its trace is the score when ``labels`` or ``pred_probs`` is missing and no
        ``confident_joint`` is given.
    multi_label : bool, default False
        Must be False: multi-label data raises ValueError pointing to
        :mod:`cleanlearn.multilabel_classification.dataset`.
    verbose : bool, default True
        Log the score and the estimated number of issues at INFO level (logger ``cleanlearn.dataset``).

    Returns
    -------
    float
        The health score, in [0, 1].

    Notes
    -----
    Same score as cleanlab 2.9's ``cleanlab.dataset.overall_label_health_score``. Different
    on purpose: with ``verbose`` it logs the score (logger ``cleanlearn.dataset``) instead
    of printing it; errors name the argument (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.dataset import overall_label_health_score
    >>> print(round(overall_label_health_score(labels, pred_probs, verbose=False), 3))
    0.889
    """
    _reject_multi_label(multi_label, "overall_multilabel_health_score")
    validate_params({"verbose": verbose}, {"verbose": ["verbose"]}, caller="overall_label_health_score")
    num_examples = _num_examples(num_examples, labels, confident_joint)
    if pred_probs is None or labels is None:
        joint = _joint(labels, pred_probs, joint, confident_joint)
        joint_trace = joint.trace()
        num_issues = int(np.round(num_examples * (1 - joint_trace)))
        health_score = joint_trace
    else:
        num_issues = count.num_label_issues(labels, pred_probs, confident_joint=confident_joint)
        health_score = 1 - num_issues / num_examples
    report(
        logger, verbose,
        "Overall, about %.0f%% (%s of the %s) labels in your dataset have potential issues; "
        "the overall label health score is %.2f.",
        100 * (1 - health_score), f"{num_issues:,}", f"{num_examples:,}", health_score,
    )
    return health_score


def health_summary(
    labels=None,
    pred_probs=None,
    *,
    asymmetric=False,
    class_names=None,
    num_examples=None,
    joint=None,
    confident_joint=None,
    multi_label=False,
    verbose=True,
) -> dict:
    """The dataset's label health in one call: a dict with ``overall_label_health_score``,
    ``joint``, ``classes_by_label_quality`` (:func:`rank_classes_by_label_quality`) and
    ``overlapping_classes`` (:func:`find_overlapping_classes`). ``verbose`` logs the two tables
    and the score (INFO level) where the reference prints them.

    Parameters
    ----------
    labels : array_like of shape (n_samples,), optional
        Given (possibly noisy) class index of each example, integers 0..K-1.
    pred_probs : array_like of shape (n_samples, n_classes), optional
        Out-of-sample predicted class probabilities; with ``labels``, estimates the joint
        when neither ``joint`` nor ``confident_joint`` is given.
    asymmetric : bool, default False
        False: one row per unordered pair, both directions summed; True: one row per ordered
        pair.
    class_names : sequence of str, optional
        One name per class, in class-index order; adds the name column(s).
    num_examples : int >= 1, optional
        Number of examples the counts are scaled to; default ``len(labels)``, else the total
        of ``confident_joint``. Needed when only ``joint`` is given.
    joint : array_like of shape (n_classes, n_classes), optional
        Estimated ``P(given=i, true=j)`` summing to 1 (:func:`cleanlearn.count.estimate_joint`);
        the tables use it in place of ``labels``/``pred_probs``/``confident_joint``; the
        score uses it only when it cannot be estimated from those.
    confident_joint : array_like of shape (n_classes, n_classes), optional
        A precomputed confident joint (:func:`cleanlearn.count.compute_confident_joint`).
    multi_label : bool, default False
        Must be False: multi-label data raises ValueError pointing to
        :mod:`cleanlearn.multilabel_classification.dataset`.
    verbose : bool, default True
        Log the two tables and the score at INFO level (logger ``cleanlearn.dataset``).

    Returns
    -------
    dict
        ``overall_label_health_score`` (float), ``joint`` (np.ndarray of shape (n_classes,
        n_classes)), ``classes_by_label_quality`` and ``overlapping_classes`` (pd.DataFrame).

    Notes
    -----
    Same tables and score as cleanlab 2.9's ``cleanlab.dataset.health_summary``. Different
    on purpose: with ``verbose`` (the default, as in cleanlab) it logs the tables instead of
    printing a banner, and ``joint=...`` with ``num_examples=...`` works (cleanlab fails)
    (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.dataset import health_summary
    >>> summary = health_summary(labels, pred_probs, verbose=False)
    >>> sorted(summary)
    ['classes_by_label_quality', 'joint', 'overall_label_health_score', 'overlapping_classes']
    >>> print(round(summary['overall_label_health_score'], 3))
    0.889
    """
    _reject_multi_label(multi_label, "multilabel_health_summary")
    validate_params({"verbose": verbose}, {"verbose": ["verbose"]}, caller="health_summary")
    joint = _joint(labels, pred_probs, joint, confident_joint)
    num_examples = _num_examples(num_examples, labels, confident_joint)
    report(logger, verbose, "Label health summary of %s examples in %d classes.", f"{num_examples:,}", joint.shape[0])
    classes_by_label_quality = rank_classes_by_label_quality(
        labels, pred_probs, class_names=class_names, num_examples=num_examples, joint=joint,
        confident_joint=confident_joint,
    )
    report(logger, verbose, "Class quality and noise, lowest quality first:\n%s", classes_by_label_quality.to_string())
    overlapping_classes = find_overlapping_classes(
        labels, pred_probs, asymmetric=asymmetric, class_names=class_names, num_examples=num_examples,
        joint=joint, confident_joint=confident_joint,
    )
    report(
        logger, verbose, "Class overlap (you may want to merge the classes of the top rows):\n%s",
        overlapping_classes.to_string(),
    )
    # As the reference: the score comes from labels and pred_probs (or the confident joint).
    # Given neither, the reference fails; the given joint is then used.
    estimable = confident_joint is not None or (labels is not None and pred_probs is not None)
    health_score = overall_label_health_score(
        labels, pred_probs, num_examples=num_examples, confident_joint=confident_joint,
        joint=None if estimable else joint, verbose=verbose,
    )
    return {
        "overall_label_health_score": health_score,
        "joint": joint,
        "classes_by_label_quality": classes_by_label_quality,
        "overlapping_classes": overlapping_classes,
    }
