"""Lending idle workers to the wrapped classifier.

With ``n_jobs`` workers, cross-validation runs folds side by side, but two stretches leave
workers idle: the last round when the folds do not divide evenly (5 folds on 2 workers: the
fifth fold runs alone) and the final fit on the cleaned data. A classifier with its own,
unset ``n_jobs`` parameter (random forests, extra trees, k-NN, ...) gets those workers for its
``fit``. Its ``predict_proba`` always runs with its own setting, so the predicted
probabilities are computed exactly as in a serial run (a forest's threaded predict_proba
sums the trees in whichever order the threads finish).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from joblib import effective_n_jobs


def n_workers(n_jobs: int | None) -> int:
    """How many workers ``n_jobs`` means (None and 1: one; -1: every core available)."""
    return 1 if n_jobs is None else int(effective_n_jobs(n_jobs))


def lendable(clf) -> bool:
    """True when ``clf`` has an ``n_jobs`` parameter left at None (its own choice is kept)."""
    return _n_jobs_key(clf) is not None


def _n_jobs_key(clf) -> str | None:
    """The parameter that sets ``clf``'s workers when it is left at None: ``n_jobs``, or for a
    Pipeline that of its final step (``"clf__n_jobs"``; the preprocessing steps keep theirs)."""
    get_params = getattr(clf, "get_params", None)
    if get_params is None:
        return None
    params = get_params(deep=False)
    if "n_jobs" in params:
        return "n_jobs" if params["n_jobs"] is None and not _n_jobs_ignored(clf) else None
    steps = params.get("steps")
    if isinstance(steps, list) and steps and isinstance(steps[-1], tuple) and len(steps[-1]) == 2:
        name, final_step = steps[-1]
        key = _n_jobs_key(final_step)
        return None if key is None else f"{name}__{key}"
    return None


# Estimators whose n_jobs does nothing from a scikit-learn version on (and warns when set):
# (module, class) -> first such version. LogisticRegression: deprecated in 1.8, removed in 1.10.
N_JOBS_IGNORED = {("sklearn.linear_model._logistic", "LogisticRegression"): (1, 8)}


def _n_jobs_ignored(clf) -> bool:
    since = N_JOBS_IGNORED.get((type(clf).__module__, type(clf).__name__))
    if since is None:
        return False
    import sklearn

    major, minor = (int(part) for part in sklearn.__version__.split(".")[:2])
    return (major, minor) >= since


@contextlib.contextmanager
def fitting_with(model, workers: int) -> Iterator[None]:
    """Within the block, ``model`` (an unfitted clone owned by the caller) fits on ``workers``
    through its ``n_jobs`` (its final step's, for a Pipeline); afterwards that ``n_jobs`` is
    None again, as the user set it."""
    key = _n_jobs_key(model) if workers > 1 else None
    if key is None:
        yield
        return
    model.set_params(**{key: workers})
    try:
        yield
    finally:
        model.set_params(**{key: None})
