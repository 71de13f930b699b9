"""Multi-label confident learning: cleanlab 2.9.0's one-vs-rest reduction, vectorised.

cleanlab treats a multi-label dataset with K classes as K independent binary problems (see
:mod:`cleanlearn._multilabel_binary`) and runs its single-label functions on each: per class
an (N, 2) copy, a full validation and, in find_label_issues, a process pool. Here each binary
problem is solved in closed form on one contiguous row of the transposed pred_probs; the loop
runs over classes, all work inside it is vectorised over examples, and the K answers are
combined as the reference combines them (any class flagged -> the example is flagged).

What cleanlearn.count and cleanlearn.filter call with ``multi_label=True``, and what
:mod:`cleanlearn.multilabel_classification` is built on.
"""

from __future__ import annotations

import logging
import warnings
from functools import partial
from typing import Any

import numpy as np
from joblib import Parallel, cpu_count, delayed

from cleanlearn._multilabel_binary import (
    binary_confident_joint,
    binary_guesses,
    binary_near_given,
    binary_pruned,
    binary_scores,
    binary_thresholds,
    label_counts,
)
from cleanlearn._multilabel_inputs import check_multilabel_inputs, check_multilabel_labels
from cleanlearn._multilabel_scores import (
    DEFAULT_AGGREGATOR,
    check_rank_by_kwargs,
    multilabel_scores,
)
from cleanlearn.count import TINY_VALUE, _calibrate_confident_joint
from cleanlearn.filter import (
    OTHER_FILTERS,
    PARAMETER_CONSTRAINTS,
    PRUNING_FILTERS,
    _prune_counts,
    _prune_counts_to_remove,
    _take_smallest,
)
from cleanlearn.validation import check_n_jobs, validate_params

logger = logging.getLogger("cleanlearn.filter")

# Below this many pred_probs entries the per-class loop runs in one thread.
_THREADS_MIN_SIZE = 1 << 20


# ---------------------------------------------------------------------------------------
# count: thresholds, confident joints, joint, number of issues
# ---------------------------------------------------------------------------------------


def get_confident_thresholds(labels: Any, pred_probs: Any) -> np.ndarray:
    """``(K, 2)`` float64: row k holds the thresholds of class k's binary problem."""
    labels_by_class, probs_by_class = check_multilabel_inputs(labels, pred_probs)
    thresholds = np.empty((probs_by_class.shape[0], 2))
    for k, (has_class, p) in enumerate(zip(labels_by_class, probs_by_class, strict=True)):
        thresholds[k] = binary_thresholds(has_class, p, 1 - p)
    return thresholds


def _checked_multilabel_thresholds(thresholds: Any, n_classes: int) -> np.ndarray:
    """Thresholds as a (K, 2) array: (K, 2) is one pair per class (as
    :func:`get_confident_thresholds` returns them); a pair of shape (2,) applies to every
    class, which is what the reference does with any thresholds it accepts. The dtype is
    kept (float32 thresholds are compared in float32, as in the reference)."""
    array = np.asarray(thresholds)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"thresholds must be numeric; got dtype {array.dtype}.")
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    if array.shape == (2,):
        array = np.broadcast_to(array, (n_classes, 2))
    if array.shape != (n_classes, 2):
        raise ValueError(
            f"thresholds must have shape ({n_classes}, 2) (one pair per class, as "
            f"get_confident_thresholds(..., multi_label=True) returns) or (2,); got {np.shape(thresholds)}."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError("thresholds must be finite.")
    return array


def compute_confident_joint(
    labels: Any,
    pred_probs: Any,
    *,
    thresholds: Any = None,
    calibrate: bool = True,
    return_indices_of_off_diagonals: bool = False,
):
    """``(K, 2, 2)`` int64 one-vs-rest confident joint (and, when asked, the list of K
    index arrays of the examples counted off each class's diagonal)."""
    validate_params(
        {
            "calibrate": calibrate,
            "return_indices_of_off_diagonals": return_indices_of_off_diagonals,
        },
        {"calibrate": ["boolean"], "return_indices_of_off_diagonals": ["boolean"]},
        caller="compute_confident_joint",
    )
    labels_by_class, probs_by_class = check_multilabel_inputs(labels, pred_probs)
    if thresholds is not None:
        thresholds = _checked_multilabel_thresholds(thresholds, probs_by_class.shape[0])
    confident_joint, off_diagonal = _confident_joints(
        labels_by_class, probs_by_class, thresholds=thresholds, calibrate=calibrate
    )
    if return_indices_of_off_diagonals:
        return confident_joint, off_diagonal
    return confident_joint


def _confident_joints(
    labels_by_class: np.ndarray,
    probs_by_class: np.ndarray,
    *,
    thresholds=None,
    calibrate: bool = True,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each class's 2x2 confident joint, stacked, and its off-diagonal example indices."""
    n_classes = probs_by_class.shape[0]
    confident_joint = np.empty((n_classes, 2, 2), dtype=np.int64)
    off_diagonal = []
    for k, (has_class, p) in enumerate(zip(labels_by_class, probs_by_class, strict=True)):
        not_p = 1 - p
        class_thresholds = (
            binary_thresholds(has_class, p, not_p) if thresholds is None else thresholds[k]
        )
        counted, guess_in = binary_guesses(p, not_p, class_thresholds)
        confident_joint[k] = binary_confident_joint(
            has_class, counted, guess_in, calibrate=calibrate
        )
        off_diagonal.append(np.flatnonzero(counted & (guess_in != has_class)))
    return confident_joint, off_diagonal


def _checked_multilabel_joint(
    confident_joint: Any, n_classes: int | None, name: str = "confident_joint"
) -> np.ndarray:
    """A (K, 2, 2) array of finite, non-negative numbers."""
    array = np.asarray(confident_joint)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a numeric (K, 2, 2) array; got dtype {array.dtype}.")
    expected = "(K, 2, 2)" if n_classes is None else f"({n_classes}, 2, 2)"
    if (
        array.ndim != 3
        or array.shape[1:] != (2, 2)
        or (n_classes is not None and array.shape[0] != n_classes)
    ):
        raise ValueError(
            f"{name} must have shape {expected} in multi-label classification (one 2x2 one-vs-rest "
            f"joint per class, as compute_confident_joint(..., multi_label=True) returns); got shape {array.shape}."
        )
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must hold finite, non-negative counts.")
    return array


def calibrate_confident_joint(confident_joint: Any, labels: Any) -> np.ndarray:
    """Calibrate each class's 2x2 joint to its binary label counts: ``(K, 2, 2)`` int64.

    K is the confident joint's; the reference takes it from the number of distinct classes
    in ``labels`` instead (a class without examples shifts or drops the others' joints).
    """
    confident_joint = _checked_multilabel_joint(confident_joint, None)
    labels_by_class = check_multilabel_labels(labels, n_classes=confident_joint.shape[0])
    calibrated = np.empty(confident_joint.shape, dtype=np.int64)
    for k, has_class in enumerate(labels_by_class):
        calibrated[k] = _calibrate_confident_joint(confident_joint[k], label_counts(has_class))
    return calibrated


def estimate_joint(
    labels: Any, pred_probs: Any = None, *, confident_joint: Any = None
) -> np.ndarray:
    """``(K, 2, 2)`` float64: each class's calibrated joint divided by its sum.

    As in the reference, the joint (computed calibrated, or the one given) is calibrated to
    the label counts once more before normalising.
    """
    if confident_joint is None:
        labels_by_class, probs_by_class = check_multilabel_inputs(labels, pred_probs)
        confident_joint, _ = _confident_joints(labels_by_class, probs_by_class, calibrate=True)
    elif pred_probs is not None:  # (pred_probs only gives K here)
        labels_by_class, probs_by_class = check_multilabel_inputs(labels, pred_probs)
        confident_joint = _checked_multilabel_joint(confident_joint, probs_by_class.shape[0])
    else:
        confident_joint = _checked_multilabel_joint(confident_joint, None)
        labels_by_class = check_multilabel_labels(labels, n_classes=confident_joint.shape[0])
    joint = np.empty(confident_joint.shape)
    for k, has_class in enumerate(labels_by_class):
        calibrated = _calibrate_confident_joint(confident_joint[k], label_counts(has_class))
        joint[k] = calibrated / np.clip(float(np.sum(calibrated)), a_min=TINY_VALUE, a_max=None)
    return joint


def num_label_issues(labels: Any, pred_probs: Any) -> int:
    """Examples flagged by ``find_label_issues(filter_by="confident_learning")``: the
    reference's multi-label count, whatever the estimation method."""
    return int(
        np.count_nonzero(find_label_issues(labels, pred_probs, filter_by="confident_learning"))
    )


# ---------------------------------------------------------------------------------------
# filter: per-class flags and the multi-label find_label_issues
# ---------------------------------------------------------------------------------------


def _check_filter_args(
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
            stacklevel=4,
        )
    return adjust_pred_probs


def _check_num_to_remove(num_to_remove_per_class: Any, n_classes: int) -> np.ndarray | None:
    """None, or (K,) non-negative ints; a scalar applies to every class."""
    if num_to_remove_per_class is None:
        return None
    array = np.asarray(num_to_remove_per_class)
    if array.ndim == 0:
        array = np.full(n_classes, array)
    if array.dtype.kind not in "iuf" or array.ndim != 1:
        raise TypeError(
            "num_to_remove_per_class must be a non-negative int or a 1-D sequence of them (one per "
            f"class); got {num_to_remove_per_class!r}."
        )
    if array.shape[0] != n_classes:
        raise ValueError(
            f"num_to_remove_per_class must have one entry per class ({n_classes}); got {array.shape[0]} entries."
        )
    if not np.all(np.isfinite(array) & (array == np.round(array)) & (array >= 0)):
        raise ValueError(
            f"num_to_remove_per_class must hold non-negative whole numbers; got {array.tolist()}."
        )
    return array.astype(np.int64)


def _checked_filter_joint(confident_joint: Any, n_classes: int) -> np.ndarray | None:
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
            stacklevel=4,
        )
        return None
    return _checked_multilabel_joint(confident_joint, n_classes)


def _predicted_neq_given(has_class, p, not_p, **_) -> tuple[np.ndarray, list]:
    return (p > not_p) != has_class, []


def _off_diagonal(has_class, p, not_p, **_) -> tuple[np.ndarray, list]:
    """confident_learning: the examples counted off the diagonal (a given joint is ignored)."""
    counted, guess_in = binary_guesses(p, not_p, binary_thresholds(has_class, p, not_p))
    return counted & (guess_in != has_class), []


def _lowest_scores(has_class, p, not_p, *, method: str, **_) -> tuple[np.ndarray, list]:
    """low_*: as many as confident_learning finds (the binary num_label_issues, post-filter
    included), those with the lowest ``method`` scores. No post-filter after, as the reference."""
    off_diagonal, _ = _off_diagonal(has_class, p, not_p)
    num_issues = int(np.count_nonzero(off_diagonal & ~binary_near_given(has_class, p, not_p)))
    return _take_smallest(binary_scores(has_class, p, method=method), num_issues), []


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
    prune_counts = _prune_counts(
        class_joint, min_examples_per_class=min_examples_per_class, frac_noise=frac_noise
    )
    if remove_count is not None:
        # The reference asks each binary problem to remove [n_k, 0]: n_k examples among
        # those *without* class k, none among those with it.
        prune_counts = _prune_counts_to_remove(
            prune_counts, label_counts(has_class), np.array([remove_count, 0])
        )
    return binary_pruned(
        has_class,
        p,
        not_p,
        prune_counts,
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


def _issues_by_class(
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

    n_threads = _n_threads(n_jobs, n_tasks=n_classes, size=probs_by_class.size)
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
            stacklevel=4,
        )
    return flags_by_class


def _n_threads(n_jobs: int | None, *, n_tasks: int, size: int) -> int:
    """n_jobs threads (-1: all cores) for the per-class loop; one for None, 1 and small inputs."""
    if n_jobs is None or n_jobs == 1 or n_tasks < 2 or size < _THREADS_MIN_SIZE:
        return 1
    return max(1, min(cpu_count() if n_jobs == -1 else n_jobs, n_tasks))


def _ranked(
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


def find_multilabel_issues_per_class(
    labels: Any,
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
    """See :func:`cleanlearn.multilabel_classification.filter.find_multilabel_issues_per_class`."""
    adjust_pred_probs = _check_filter_args(
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
    flags_by_class = _per_class_flags(
        labels_by_class,
        probs_by_class,
        filter_by=filter_by,
        frac_noise=frac_noise,
        num_to_remove_per_class=num_to_remove_per_class,
        min_examples_per_class=min_examples_per_class,
        confident_joint=confident_joint,
        n_jobs=n_jobs,
    )
    if return_indices_ranked_by is None:
        return np.ascontiguousarray(flags_by_class.T)
    label_issues_list, labels_list, pred_probs_list = [], [], []
    for has_class, p, flags in zip(labels_by_class, probs_by_class, flags_by_class, strict=True):
        issue_indices = np.flatnonzero(flags)
        scores = binary_scores(
            has_class, p, method=return_indices_ranked_by, adjust_pred_probs=adjust_pred_probs
        )
        label_issues_list.append(issue_indices[np.argsort(scores[issue_indices])])
        labels_list.append(has_class.astype(np.int64))
        pred_probs_list.append(np.vstack((1 - p, p)).T)  # the reference's stack_complement
    return label_issues_list, labels_list, pred_probs_list


def _per_class_flags(
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
    """:func:`_issues_by_class` after the checks of num_to_remove_per_class and the joint
    (inputs already checked; the defaults are those of find_label_issues)."""
    n_classes = probs_by_class.shape[0]
    if filter_by == "confident_learning" and confident_joint is not None:
        warnings.warn(
            "The supplied confident_joint is ignored when filter_by='confident_learning': the "
            "confident joint is re-estimated from labels and pred_probs (as in cleanlab).",
            stacklevel=4,
        )
        confident_joint = None
    return _issues_by_class(
        labels_by_class,
        probs_by_class,
        filter_by=filter_by,
        frac_noise=frac_noise,
        num_to_remove_per_class=_check_num_to_remove(num_to_remove_per_class, n_classes),
        min_examples_per_class=min_examples_per_class,
        confident_joint=_checked_filter_joint(confident_joint, n_classes),
        n_jobs=n_jobs,
    )


def find_label_issues(
    labels: Any,
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
    """See :func:`cleanlearn.multilabel_classification.filter.find_label_issues`."""
    adjust_pred_probs = _check_filter_args(
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
                _per_class_flags(
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
        issue_mask = _take_smallest(scores, num_issues)
    else:
        issue_mask = _per_class_flags(
            labels_by_class,
            probs_by_class,
            filter_by=filter_by,
            frac_noise=frac_noise,
            num_to_remove_per_class=num_to_remove_per_class,
            min_examples_per_class=min_examples_per_class,
            confident_joint=confident_joint,
            n_jobs=n_jobs,
        ).any(axis=0)
    if verbose:
        logger.info("Number of label issues found: %d", np.count_nonzero(issue_mask))
    if return_indices_ranked_by is None:
        return issue_mask
    return _ranked(
        issue_mask, labels_by_class, probs_by_class, return_indices_ranked_by, adjust_pred_probs
    )


def find_predicted_neq_given(labels: Any, pred_probs: Any) -> np.ndarray:
    """Examples where, for some class, ``p >= 0.5`` disagrees with the given annotation
    (the binary argmax of ``(1 - p, p)``; no post-filter, as in the reference)."""
    labels_by_class, probs_by_class = check_multilabel_inputs(labels, pred_probs)
    return ((probs_by_class > 1 - probs_by_class) != labels_by_class).any(axis=0)
