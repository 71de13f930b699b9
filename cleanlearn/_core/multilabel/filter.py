"""The multi-label FILTER half: per-class flags of every filter, their checks, the ranking.

cleanlab runs its single-label find_label_issues on each class's binary problem (see
:mod:`cleanlearn._core.multilabel.binary`): per class an (N, 2) copy, a full validation and a
process pool. Here each binary problem is solved in closed form on one contiguous row of the
transposed pred_probs; the loop runs over classes, all work inside it is vectorised over
examples, and the K answers are combined as the reference combines them (any class flagged
-> the example is flagged).

The public functions are :mod:`cleanlearn.multilabel_classification.filter`'s (also what
:func:`cleanlearn.filter.find_label_issues` calls with ``multi_label=True``) and
:mod:`cleanlearn.multilabel_classification.dataset`'s.
"""

from __future__ import annotations

import warnings
from functools import partial
from typing import Any

import numpy as np
from joblib import Parallel, delayed

from cleanlearn._core.caller import outside_stacklevel
from cleanlearn._core.multilabel.binary import (
    binary_confident_joint,
    binary_guesses,
    binary_issues,
    binary_near_given,
    binary_off_diagonal,
    binary_scores,
    binary_thresholds,
    label_counts,
)
from cleanlearn._core.multilabel.count import checked_multilabel_joint
from cleanlearn._core.multilabel.inputs import check_multilabel_inputs
from cleanlearn._core.multilabel.scores import (
    DEFAULT_AGGREGATOR,
    check_rank_by_kwargs,
    multilabel_scores,
)
from cleanlearn._core.selection import (
    OTHER_FILTERS,
    PARAMETER_CONSTRAINTS,
    PRUNING_FILTERS,
    check_num_to_remove,
    prune_counts,
    prune_counts_to_remove,
    take_smallest,
)
from cleanlearn._core.validation import check_n_jobs, per_class_threads, validate_params

# ---------------------------------------------------------------------------------------
# Checks, per-class flags, ranking
# ---------------------------------------------------------------------------------------


def check_filter_args(
    *,
    filter_by,
    return_indices_ranked_by,
    rank_by_kwargs,
    frac_noise,
    num_to_remove_per_class,
    min_examples_per_class,
    n_jobs,
    verbose,
    low_memory,
    caller: str,
) -> bool:
    """Check every argument of the multi-label filters; return adjust_pred_probs."""
    validate_params(
        {
            "filter_by": filter_by,
            "return_indices_ranked_by": return_indices_ranked_by,
            "rank_by_kwargs": rank_by_kwargs,
            "frac_noise": frac_noise,
            "min_examples_per_class": min_examples_per_class,
            "verbose": verbose,
            "low_memory": low_memory,
        },
        {**PARAMETER_CONSTRAINTS, "low_memory": ["boolean"]},
        caller=caller,
    )
    check_n_jobs(n_jobs)
    if low_memory:
        raise ValueError(
            "low_memory=True is not supported: cleanlab switches to a different, approximate "
            "algorithm there; the exact multi-label filter already works class by class."
        )
    adjust_pred_probs = check_rank_by_kwargs(rank_by_kwargs, return_indices_ranked_by)
    if filter_by in OTHER_FILTERS and num_to_remove_per_class is not None:
        raise ValueError(
            f"num_to_remove_per_class is not supported with filter_by={filter_by!r}; use one "
            f"of {', '.join(map(repr, PRUNING_FILTERS))}."
        )
    if filter_by in OTHER_FILTERS and frac_noise != 1.0:
        warnings.warn(
            "frac_noise applies only to filter_by "
            f"{', '.join(map(repr, PRUNING_FILTERS))}; it is ignored by {filter_by!r}.",
            stacklevel=outside_stacklevel(),
        )
    return adjust_pred_probs


def checked_filter_joint(confident_joint: Any, n_classes: int) -> np.ndarray | None:
    """The reference's handling: (K, 2, 2) is used; a single-label (K, K) joint is ignored
    with a warning; any other shape is an error."""
    if confident_joint is None:
        return None
    shape = np.shape(confident_joint)
    if shape == (n_classes, n_classes):
        warnings.warn(
            "The recommended format for `confident_joint` in multi-label settings is (num_classes, 2, 2) "
            "as output by compute_confident_joint(..., multi_label=True). Your K x K confident_joint "
            "in the old format is being ignored.",
            stacklevel=outside_stacklevel(),
        )
        return None
    return checked_multilabel_joint(confident_joint, n_classes)


def _predicted_neq_given(has_class, p, not_p, **_) -> tuple[np.ndarray, list]:
    return (p > not_p) != has_class, []


def _off_diagonal(has_class, p, not_p, **_) -> tuple[np.ndarray, list]:
    """confident_learning: the examples counted off the diagonal (a given joint is ignored)."""
    return binary_off_diagonal(has_class, p, not_p), []


def _lowest_scores(has_class, p, not_p, *, method: str, **_) -> tuple[np.ndarray, list]:
    """low_*: as many as confident_learning finds (the binary num_label_issues, post-filter
    included), those with the lowest ``method`` scores. No post-filter after, as the reference."""
    num_issues = int(np.count_nonzero(binary_issues(has_class, p, not_p)))
    return take_smallest(binary_scores(has_class, p, method=method), num_issues), []


def binary_pruned(
    has_class: np.ndarray,
    p: np.ndarray,
    not_p: np.ndarray,
    prune_counts: np.ndarray,
    *,
    by_class: bool,
    by_noise_rate: bool,
    min_examples_per_class: int,
) -> tuple[np.ndarray, list[int]]:
    """Flags of prune_by_class / prune_by_noise_rate / both on one binary problem, before the
    post-filter; also the binary classes with too few examples to be pruned."""
    flags = np.zeros(has_class.shape[0], dtype=bool)
    too_few = []
    for given, (own, other) in enumerate(((not_p, p), (p, not_p))):
        rows = np.flatnonzero(has_class) if given else np.flatnonzero(~has_class)
        n_rows = rows.shape[0]
        if n_rows <= min_examples_per_class:
            too_few.append(given)
            continue
        if n_rows <= 1:  # the reference writes a class's flags back only with 2+ examples
            continue
        own_rows = own[rows]
        selected = None
        if by_class:
            selected = take_smallest(own_rows, n_rows - prune_counts[given, given])
        if by_noise_rate:
            count = prune_counts[1 - given, given]
            if count > 0:
                # Exactly the reference's -(p_other - p_own), so argsort agrees on ties.
                by_margin = take_smallest(-(other[rows] - own_rows), count)
            else:
                by_margin = np.zeros(n_rows, dtype=bool)
            selected = by_margin if selected is None else selected & by_margin
        flags[rows[selected]] = True
    return flags, too_few


def _pruned(
    has_class,
    p,
    not_p,
    *,
    by_class,
    by_noise_rate,
    class_joint,
    remove_count,
    frac_noise,
    min_examples_per_class,
) -> tuple[np.ndarray, list]:
    """prune_by_class / prune_by_noise_rate / both with the binary (calibrated) joint."""
    if class_joint is None:
        counted, guess_in = binary_guesses(p, not_p, binary_thresholds(has_class, p, not_p))
        class_joint = binary_confident_joint(has_class, counted, guess_in, calibrate=True)
    counts_to_prune = prune_counts(
        class_joint, min_examples_per_class=min_examples_per_class, frac_noise=frac_noise
    )
    if remove_count is not None:
        # The reference asks each binary problem to remove [n_k, 0]: n_k examples among
        # those *without* class k, none among those with it.
        counts_to_prune = prune_counts_to_remove(
            counts_to_prune, label_counts(has_class), np.array([remove_count, 0])
        )
    return binary_pruned(
        has_class,
        p,
        not_p,
        counts_to_prune,
        by_class=by_class,
        by_noise_rate=by_noise_rate,
        min_examples_per_class=min_examples_per_class,
    )


# Per class: (flags before the post-filter, binary classes too small to prune).
_CLASS_FILTERS = {
    "prune_by_noise_rate": partial(_pruned, by_class=False, by_noise_rate=True),
    "prune_by_class": partial(_pruned, by_class=True, by_noise_rate=False),
    "both": partial(_pruned, by_class=True, by_noise_rate=True),
    "confident_learning": _off_diagonal,
    "predicted_neq_given": _predicted_neq_given,
    "low_normalized_margin": partial(_lowest_scores, method="normalized_margin"),
    "low_self_confidence": partial(_lowest_scores, method="self_confidence"),
}
_NO_POST_FILTER = ("low_normalized_margin", "low_self_confidence")


def issues_by_class(
    labels_by_class: np.ndarray,
    probs_by_class: np.ndarray,
    *,
    filter_by: str,
    frac_noise: float,
    num_to_remove_per_class: np.ndarray | None,
    min_examples_per_class: int,
    confident_joint: np.ndarray | None,
    n_jobs: int | None = None,
) -> np.ndarray:
    """(K, N) bool: row k flags the examples whose class-k annotation looks wrong (the
    reference's single-label find_label_issues on class k's binary problem).

    Classes run in ``n_jobs`` threads (None or 1: this thread; numpy releases the GIL in
    the passes over each column); each writes its own row, so results never depend on it.
    """
    n_classes, n_samples = probs_by_class.shape
    flags_by_class = np.zeros((n_classes, n_samples), dtype=bool)
    class_filter = _CLASS_FILTERS[filter_by]

    def flag_class(k: int) -> list:
        has_class, p = labels_by_class[k], probs_by_class[k]
        not_p = 1 - p
        flags, too_few = class_filter(
            has_class,
            p,
            not_p,
            class_joint=None if confident_joint is None else confident_joint[k],
            remove_count=None if num_to_remove_per_class is None else num_to_remove_per_class[k],
            frac_noise=frac_noise,
            min_examples_per_class=min_examples_per_class,
        )
        if filter_by not in _NO_POST_FILTER:
            flags &= ~binary_near_given(has_class, p, not_p)
        flags_by_class[k] = flags
        return [(k, bool(given)) for given in too_few]

    n_threads = per_class_threads(n_jobs, n_tasks=n_classes, size=probs_by_class.size)
    if n_threads == 1:
        too_few = [flag_class(k) for k in range(n_classes)]
    else:
        too_few = Parallel(n_jobs=n_threads, prefer="threads")(
            delayed(flag_class)(k) for k in range(n_classes)
        )
    too_few = [pair for pairs in too_few for pair in pairs]
    if too_few:
        warnings.warn(
            "May not flag all label issues of (class, in given label) "
            f"{too_few}: too few examples (see argument: min_examples_per_class).",
            stacklevel=outside_stacklevel(),
        )
    return flags_by_class


def ranked(
    issue_mask: np.ndarray, labels_by_class, probs_by_class, rank_by: str, adjust_pred_probs: bool
):
    """Indices of the flagged examples, by ascending multi-label quality score (the
    ``rank_by`` score of each class, aggregated by the default exponential moving average)."""
    issue_indices = np.flatnonzero(issue_mask)
    scores = multilabel_scores(
        labels_by_class,
        probs_by_class,
        method=rank_by,
        adjust_pred_probs=adjust_pred_probs,
        aggregator=DEFAULT_AGGREGATOR,
    )
    return issue_indices[np.argsort(scores[issue_indices])]


def ranked_per_class(
    labels_by_class: np.ndarray,
    probs_by_class: np.ndarray,
    flags_by_class: np.ndarray,
    rank_by: str,
    adjust_pred_probs: bool,
) -> tuple[list, list, list]:
    """find_multilabel_issues_per_class's ranked output: per class, the flagged indices by
    ascending binary ``rank_by`` score, the binary labels (int) and the binary pred_probs
    ``(1 - p, p)``."""
    label_issues_list, labels_list, pred_probs_list = [], [], []
    for has_class, p, flags in zip(labels_by_class, probs_by_class, flags_by_class, strict=True):
        issue_indices = np.flatnonzero(flags)
        scores = binary_scores(has_class, p, method=rank_by, adjust_pred_probs=adjust_pred_probs)
        label_issues_list.append(issue_indices[np.argsort(scores[issue_indices])])
        labels_list.append(has_class.astype(np.int64))
        pred_probs_list.append(np.vstack((1 - p, p)).T)  # the reference's stack_complement
    return label_issues_list, labels_list, pred_probs_list


def per_class_flags(
    labels_by_class: np.ndarray,
    probs_by_class: np.ndarray,
    *,
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    num_to_remove_per_class: Any = None,
    min_examples_per_class: int = 1,
    confident_joint: Any = None,
    n_jobs: int | None = None,
) -> np.ndarray:
    """:func:`issues_by_class` after the checks of num_to_remove_per_class and the joint
    (inputs already checked; the defaults are those of find_label_issues)."""
    n_classes = probs_by_class.shape[0]
    if filter_by == "confident_learning" and confident_joint is not None:
        warnings.warn(
            "The supplied confident_joint is ignored when filter_by='confident_learning': the "
            "confident joint is re-estimated from labels and pred_probs (as in cleanlab).",
            stacklevel=outside_stacklevel(),
        )
        confident_joint = None
    return issues_by_class(
        labels_by_class,
        probs_by_class,
        filter_by=filter_by,
        frac_noise=frac_noise,
        num_to_remove_per_class=(
            None
            if num_to_remove_per_class is None
            else check_num_to_remove(num_to_remove_per_class, n_classes)
        ),
        min_examples_per_class=min_examples_per_class,
        confident_joint=checked_filter_joint(confident_joint, n_classes),
        n_jobs=n_jobs,
    )


def find_predicted_neq_given(labels: Any, pred_probs: Any) -> np.ndarray:
    """Examples where, for some class, ``p >= 0.5`` disagrees with the given annotation
    (the binary argmax of ``(1 - p, p)``; no post-filter, as in the reference)."""
    labels_by_class, probs_by_class = check_multilabel_inputs(labels, pred_probs)
    return ((probs_by_class > 1 - probs_by_class) != labels_by_class).any(axis=0)
