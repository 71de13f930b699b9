"""Dataset-level summaries of label issues in multi-label classification, as
``cleanlab.multilabel_classification.dataset`` 2.9.0.

Classes are not mutually exclusive, so each class is summarised on its own: how many
examples are annotated with it but likely should not be, and how many lack it but likely
should have it. Same tables (columns, order, values) as the reference; nothing goes to stdout:
:func:`multilabel_health_summary` returns its tables and logs them (logging, level INFO)
when ``verbose`` (on stderr when logging is not configured).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from cleanlearn._core.multilabel.filter import per_class_flags
from cleanlearn._core.multilabel.inputs import check_multilabel_inputs
from cleanlearn._core.progress import report
from cleanlearn.multilabel_classification.filter import find_label_issues

__all__ = [
    "common_multilabel_issues",
    "multilabel_health_summary",
    "overall_multilabel_health_score",
    "rank_classes_by_multilabel_quality",
]

logger = logging.getLogger(__name__)


def _num_examples(labels: Any, confident_joint: Any = None) -> int:
    if labels is None and confident_joint is None:
        raise ValueError(
            "labels is required (or a confident_joint, whose first class counts every example); got None."
        )
    return len(labels) if labels is not None else int(np.sum(np.asarray(confident_joint)[0]))


def _flags_by_class(
    labels_by_class: np.ndarray, probs_by_class: np.ndarray, confident_joint: Any
) -> np.ndarray:
    """(K, N) default per-class flags (prune_by_noise_rate), the reference's
    find_multilabel_issues_per_class."""
    return per_class_flags(
        labels_by_class, probs_by_class, confident_joint=confident_joint
    )


def _common_issues_table(
    labels_by_class, flags_by_class, num_examples: int, class_names
) -> pd.DataFrame:
    """Two rows per class (annotated but should not be; not annotated but should be), by
    descending issue probability, built and sorted exactly as the reference builds them."""
    n_classes = labels_by_class.shape[0]
    counts = np.stack(
        [
            np.count_nonzero(
                labels_by_class & flags_by_class, axis=1
            ),  # in given, not in suggested
            np.count_nonzero(
                ~labels_by_class & flags_by_class, axis=1
            ),  # not in given, in suggested
        ],
        axis=1,
    ).ravel()
    class_index = np.repeat(np.arange(n_classes), 2)
    table: dict[str, Any] = {}
    if class_names is not None:
        table["Class Name"] = [class_names[k] for k in class_index.tolist()]
    table["Class Index"] = class_index
    table["In Given Label"] = [True, False] * n_classes
    table["In Suggested Label"] = [False, True] * n_classes
    table["Num Examples"] = counts
    table["Issue Probability"] = counts / num_examples
    return (
        pd.DataFrame.from_dict(table)
        .sort_values(by=["Issue Probability"], ascending=False)
        .reset_index(drop=True)
    )


def _class_ranking_table(issues: pd.DataFrame, num_examples: int, class_names) -> pd.DataFrame:
    """The reference's regrouping of the common-issues rows into one row per class (classes
    in their order of first appearance there), sorted by ascending label quality."""
    by_class: dict[Any, dict] = defaultdict(dict)
    names = issues["Class Name"] if class_names is not None else [None] * len(issues)
    for name, index, in_given, probability in zip(
        names,
        issues["Class Index"],
        issues["In Given Label"],
        issues["Issue Probability"],
        strict=True,
    ):  # 2K rows
        entry = by_class[index]
        if class_names is not None:
            entry["Class Name"] = name
        if in_given:
            entry["Label Issues"] = int(probability * num_examples)
            entry["Label Noise"] = probability
            entry["Label Quality Score"] = 1 - probability
        else:
            entry["Inverse Label Issues"] = int(probability * num_examples)
            entry["Inverse Label Noise"] = probability
    columns: dict[str, list] = defaultdict(list)
    for index, entry in by_class.items():
        columns["Class Index"].append(index)
        for key, value in entry.items():
            columns[key].append(value)
    return_columns = [
        "Class Index",
        "Label Issues",
        "Inverse Label Issues",
        "Label Noise",
        "Inverse Label Noise",
        "Label Quality Score",
    ]
    if class_names is not None:
        return_columns.insert(0, "Class Name")
    frame = pd.DataFrame.from_dict(columns).sort_values(by="Label Quality Score", ascending=True)
    return frame.reset_index(drop=True)[return_columns]


def common_multilabel_issues(
    labels: list | None = None,
    pred_probs: Any = None,
    *,
    class_names=None,
    confident_joint: Any = None,
) -> pd.DataFrame:
    """Which classes appear most often mislabelled, each on its own.

    Returns a DataFrame with two rows per class: *Class Name* (when ``class_names`` is
    given), *Class Index*, *In Given Label* and *In Suggested Label* (True/False: the class is
    annotated but likely should not be, or the reverse), *Num Examples* (flagged examples of
    that kind) and *Issue Probability* (that over the number of examples), by descending
    issue probability. ``confident_joint``: a (K, 2, 2) one-vs-rest joint, or None.

    Parameters
    ----------
    labels : list of lists of int
        For each example, the class indices 0..K-1 it was annotated with (may be empty).
        Required in practice (the default None is cleanlab's signature; the issues are found
        from ``labels`` and ``pred_probs``).
    pred_probs : array_like of shape (n_samples, n_classes)
        Out-of-sample predicted probability of each class (rows need not sum to 1).
    class_names : sequence of str, optional
        One name per class, in class-index order; adds the ``Class Name`` column.
    confident_joint : array_like of shape (n_classes, 2, 2), optional
        One-vs-rest confident joint used to find the issues (computed when None).

    Returns
    -------
    pd.DataFrame
        Two rows per class, by descending ``Issue Probability``; the columns above.

    Notes
    -----
    Same table as cleanlab 2.9's; errors name the example (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = [[0], [0, 1], [1], [1], [0], [], [0, 1], [1]]
    >>> pred_probs = np.array([[0.9, 0.1], [0.8, 0.9], [0.2, 0.8], [0.1, 0.9],
    ...                        [0.1, 0.9], [0.1, 0.2], [0.9, 0.8], [0.3, 0.7]])
    >>> from cleanlearn.multilabel_classification.dataset import common_multilabel_issues
    >>> common_multilabel_issues(labels, pred_probs, class_names=['sky', 'tree'])
      Class Name  Class Index  ...  Num Examples  Issue Probability
    0        sky            0  ...             1              0.125
    1       tree            1  ...             1              0.125
    2        sky            0  ...             0              0.000
    3       tree            1  ...             0              0.000
    <BLANKLINE>
    [4 rows x 6 columns]
    """
    num_examples = _num_examples(labels, confident_joint)
    labels_by_class, probs_by_class = check_multilabel_inputs(labels, pred_probs)
    flags_by_class = _flags_by_class(labels_by_class, probs_by_class, confident_joint)
    return _common_issues_table(labels_by_class, flags_by_class, num_examples, class_names)


def rank_classes_by_multilabel_quality(
    labels: list | None = None,
    pred_probs: Any = None,
    *,
    class_names=None,
    joint: Any = None,
    confident_joint: Any = None,
) -> pd.DataFrame:
    """One row per class, most problematic first: *Class Name* (when given), *Class Index*,
    *Label Issues* (annotated with the class but likely should not be), *Inverse Label
    Issues* (not annotated but likely should be), *Label Noise* and *Inverse Label Noise*
    (those over the number of examples) and *Label Quality Score* (1 - label noise).

    As in the reference, ``joint`` (a (K, 2, 2) joint) is the one used to find the issues,
    and ``confident_joint`` only gives the number of examples when ``labels`` is None.

    Parameters
    ----------
    labels : list of lists of int
        For each example, the class indices 0..K-1 it was annotated with (may be empty).
        Required in practice (the default None is cleanlab's signature; the issues are found
        from ``labels`` and ``pred_probs``).
    pred_probs : array_like of shape (n_samples, n_classes)
        Out-of-sample predicted probability of each class (rows need not sum to 1).
    class_names : sequence of str, optional
        One name per class, in class-index order; adds the ``Class Name`` column.
    joint : array_like of shape (n_classes, 2, 2), optional
        One-vs-rest joint used to find the issues (computed when None).
    confident_joint : array_like of shape (n_classes, 2, 2), optional
        Used only for the number of examples when ``labels`` is None.

    Returns
    -------
    pd.DataFrame
        One row per class, by ascending ``Label Quality Score``; the columns above.

    Notes
    -----
    Same table as cleanlab 2.9's; errors name the example (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = [[0], [0, 1], [1], [1], [0], [], [0, 1], [1]]
    >>> pred_probs = np.array([[0.9, 0.1], [0.8, 0.9], [0.2, 0.8], [0.1, 0.9],
    ...                        [0.1, 0.9], [0.1, 0.2], [0.9, 0.8], [0.3, 0.7]])
    >>> from cleanlearn.multilabel_classification.dataset import rank_classes_by_multilabel_quality
    >>> rank_classes_by_multilabel_quality(labels, pred_probs, class_names=['sky', 'tree'])
      Class Name  Class Index  ...  Inverse Label Noise  Label Quality Score
    0        sky            0  ...                0.000                0.875
    1       tree            1  ...                0.125                1.000
    <BLANKLINE>
    [2 rows x 7 columns]
    """
    num_examples = _num_examples(labels, confident_joint)
    issues = common_multilabel_issues(
        labels, pred_probs, class_names=class_names, confident_joint=joint
    )
    return _class_ranking_table(issues, num_examples, class_names)


def overall_multilabel_health_score(
    labels: list | None = None, pred_probs: Any = None, *, confident_joint: Any = None
) -> float:
    """1 - the fraction of examples flagged by the default multi-label find_label_issues.

    Parameters
    ----------
    labels : list of lists of int
        For each example, the class indices 0..K-1 it was annotated with (may be empty).
        Required in practice (the default None is cleanlab's signature; the issues are found
        from ``labels`` and ``pred_probs``).
    pred_probs : array_like of shape (n_samples, n_classes)
        Out-of-sample predicted probability of each class (rows need not sum to 1).
    confident_joint : array_like of shape (n_classes, 2, 2), optional
        One-vs-rest confident joint passed to
        :func:`cleanlearn.multilabel_classification.filter.find_label_issues`.

    Returns
    -------
    float
        The health score, in [0, 1].

    Notes
    -----
    Same score as cleanlab 2.9's; errors name the example (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = [[0], [0, 1], [1], [1], [0], [], [0, 1], [1]]
    >>> pred_probs = np.array([[0.9, 0.1], [0.8, 0.9], [0.2, 0.8], [0.1, 0.9],
    ...                        [0.1, 0.9], [0.1, 0.2], [0.9, 0.8], [0.3, 0.7]])
    >>> from cleanlearn.multilabel_classification.dataset import overall_multilabel_health_score
    >>> print(round(overall_multilabel_health_score(labels, pred_probs), 3))
    0.875
    """
    num_examples = _num_examples(labels)
    issues = find_label_issues(labels, pred_probs, confident_joint=confident_joint)
    return 1.0 - np.count_nonzero(issues) / num_examples


def multilabel_health_summary(
    labels: list | None = None,
    pred_probs: Any = None,
    *,
    class_names=None,
    num_examples: int | None = None,
    confident_joint: Any = None,
    verbose: bool = True,
) -> dict:
    """The three summaries at once: ``{"overall_multilabel_health_score": float,
    "classes_by_multilabel_quality": DataFrame, "common_multilabel_issues": DataFrame}``
    (see the functions of those names). Nothing is printed; with ``verbose`` the tables are
    logged (logger ``cleanlearn.multilabel_classification.dataset``, level INFO).

    As in the reference, the class ranking is computed without ``confident_joint`` and the
    other two with it; the per-class issues are found once for each.

    Parameters
    ----------
    labels : list of lists of int
        For each example, the class indices 0..K-1 it was annotated with (may be empty).
        Required in practice (the default None is cleanlab's signature; the issues are found
        from ``labels`` and ``pred_probs``).
    pred_probs : array_like of shape (n_samples, n_classes)
        Out-of-sample predicted probability of each class (rows need not sum to 1).
    class_names : sequence of str, optional
        One name per class, in class-index order; adds the ``Class Name`` column.
    num_examples : int, optional
        Number of examples shown in the logged header; default ``len(labels)``. The tables
        and the score use the number of rows of ``pred_probs``.
    confident_joint : array_like of shape (n_classes, 2, 2), optional
        One-vs-rest confident joint for the common issues and the score.
    verbose : bool, default True
        Log the tables and the score at INFO level.

    Returns
    -------
    dict
        ``overall_multilabel_health_score`` (float), ``classes_by_multilabel_quality`` and
        ``common_multilabel_issues`` (pd.DataFrame).

    Notes
    -----
    Same tables and score as cleanlab 2.9's; with ``verbose`` it logs the tables instead of
    printing them (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = [[0], [0, 1], [1], [1], [0], [], [0, 1], [1]]
    >>> pred_probs = np.array([[0.9, 0.1], [0.8, 0.9], [0.2, 0.8], [0.1, 0.9],
    ...                        [0.1, 0.9], [0.1, 0.2], [0.9, 0.8], [0.3, 0.7]])
    >>> from cleanlearn.multilabel_classification.dataset import multilabel_health_summary
    >>> summary = multilabel_health_summary(labels, pred_probs, verbose=False)
    >>> sorted(summary)
    ['classes_by_multilabel_quality', 'common_multilabel_issues', 'overall_multilabel_health_score']
    """
    if num_examples is None:
        num_examples = _num_examples(labels)
    labels_by_class, probs_by_class = check_multilabel_inputs(labels, pred_probs)
    n_examples = labels_by_class.shape[1]
    flags_without_joint = _flags_by_class(labels_by_class, probs_by_class, None)
    flags = (
        flags_without_joint
        if confident_joint is None
        else _flags_by_class(labels_by_class, probs_by_class, confident_joint)
    )
    class_ranking = _class_ranking_table(
        _common_issues_table(labels_by_class, flags_without_joint, n_examples, class_names),
        n_examples,
        class_names,
    )
    common_issues = _common_issues_table(labels_by_class, flags, n_examples, class_names)
    health_score = 1.0 - np.count_nonzero(flags.any(axis=0)) / n_examples
    report(logger, verbose, "Dataset health summary for a multi-label dataset of %d examples", num_examples)
    report(logger, verbose, "Overall class quality and noise across your dataset:\n%s", class_ranking.to_string())
    report(logger, verbose, "Common multilabel issues:\n%s", common_issues.to_string())
    report(logger, verbose, "Overall multilabel health score: %.4f", health_score)
    return {
        "overall_multilabel_health_score": health_score,
        "classes_by_multilabel_quality": class_ranking,
        "common_multilabel_issues": common_issues,
    }
