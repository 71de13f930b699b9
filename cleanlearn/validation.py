"""Input checks shared by every public function of cleanlearn (see :mod:`cleanlearn._core.validation`).

Kept as a module of its own name so that ``from cleanlearn.validation import check_labels``
and the docs' references keep working; the checks live in ``cleanlearn._core``, below
every public module.
"""

from cleanlearn._core.validation import (
    ROW_SUM_ATOL,
    Interval,
    Options,
    check_callable_methods,
    check_labels,
    check_labels_and_pred_probs,
    check_n_jobs,
    check_noise_matrix,
    check_pred_probs,
    check_square_matrix,
    check_thresholds,
    map_row_ranges,
    resolve_n_threads,
    validate_params,
)

__all__ = [
    "ROW_SUM_ATOL",
    "Interval",
    "Options",
    "check_callable_methods",
    "check_labels",
    "check_labels_and_pred_probs",
    "check_n_jobs",
    "check_noise_matrix",
    "check_pred_probs",
    "check_square_matrix",
    "check_thresholds",
    "map_row_ranges",
    "resolve_n_threads",
    "validate_params",
]
