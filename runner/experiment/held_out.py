"""The test part: whether a job scores it at all (its search role), and against which labels.

1. Search role (``search_role`` of the config; set by a search sweeper on the jobs it
   launches, runner.job.lifecycle copies it into the job's config): ``null`` for an ordinary
   run or sweep job; ``trial`` and ``reestimate`` for the jobs of a search, which never touch
   the test part (no test metric exists for anything to select on); ``final`` for the one
   run of the best configuration after the search, which scores it.
2. Labels (:func:`label_targets`): every ``test_accuracy_<model>`` is scored against the true
   test labels whenever the run knows them (a dataset's ``true_labels`` /
   ``true_label_column``; with injected noise and no such column, the dataset's labels, which
   the noise never touches on the test part), the given labels only when nothing better is
   known. Beside them, ``test_accuracy_given_<model>`` (given labels, when the dataset brought
   true ones) and ``test_accuracy_known_correct_<model>`` (only an error mask: the test
   examples whose labels are known right). The metric registry (runner.scoring.metrics.accuracy)
   documents the same.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["SEARCH_ROLES", "LabelTarget", "label_targets", "score_test_part", "scores_test_part", "search_role"]

# null: not in a search; the others are set by the search sweeper on the jobs it launches.
SEARCH_ROLES = (None, "trial", "final", "reestimate")
# Roles whose jobs never score the test part.
NO_TEST_ROLES = ("trial", "reestimate")


def search_role(cfg) -> str | None:
    """The job's ``search_role`` (None outside a search); a value not in SEARCH_ROLES is refused."""
    role = cfg.get("search_role") if hasattr(cfg, "get") else None
    if role not in SEARCH_ROLES:
        raise ValueError(f"search_role must be one of {', '.join(map(str, SEARCH_ROLES))}; got {role!r}")
    return role


def scores_test_part(cfg) -> bool:
    """False for a search's trial and re-estimation jobs: they never score the test part."""
    return search_role(cfg) not in NO_TEST_ROLES


class LabelTarget(NamedTuple):
    """One set of labels the test predictions are scored against."""

    prefix: str  # "test_accuracy", "test_accuracy_given", "test_accuracy_known_correct"
    labels: np.ndarray  # (n_test,) class indices
    rows: np.ndarray | None  # positions of the test rows scored; None = every one


def label_targets(labels_test: np.ndarray, *, true_labels_test: np.ndarray | None = None,
                 label_errors_test: np.ndarray | None = None) -> list[LabelTarget]:
    """The label sets the test part is scored against, the true labels first (module docstring).

    ``labels_test`` are the given test labels (injected noise never changes them, so with
    injected noise and no ``true_labels_test`` they are the run's truth).
    """
    if true_labels_test is not None:
        return [LabelTarget("test_accuracy", np.asarray(true_labels_test), None),
                LabelTarget("test_accuracy_given", np.asarray(labels_test), None)]
    targets = [LabelTarget("test_accuracy", np.asarray(labels_test), None)]
    if label_errors_test is not None:
        known_correct = np.flatnonzero(~np.asarray(label_errors_test, dtype=bool))
        if known_correct.size:  # no example known right: no such metric rather than NaN
            targets.append(LabelTarget("test_accuracy_known_correct", np.asarray(labels_test), known_correct))
    return targets


def score_test_part(predictions: dict[str, np.ndarray], targets: list[LabelTarget]) -> dict[str, float]:
    """``{f"{prefix}_{model}": accuracy}`` for every model's test predictions and every target.

    >>> score_test_part({"baseline": np.array([0, 1, 1])},
    ...              label_targets(np.array([0, 0, 1]), true_labels_test=np.array([0, 1, 1])))
    {'test_accuracy_baseline': 1.0, 'test_accuracy_given_baseline': 0.6666666666666666}
    """
    metrics: dict[str, float] = {}
    for model, predicted in predictions.items():
        predicted = np.asarray(predicted)
        for target in targets:
            labels = target.labels if target.rows is None else target.labels[target.rows]
            guessed = predicted if target.rows is None else predicted[target.rows]
            metrics[f"{target.prefix}_{model}"] = float(np.mean(guessed == labels))
    return metrics
