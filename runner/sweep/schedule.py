"""Which jobs of a sweep go to the same worker of a parallel launcher.

Jobs that differ only in how the label issues are found or scored (``cleanlearning.*`` but
the number of folds, ``quality_score``) or in what is written about them (``summary.*``,
``report.*``) share the cached work of one cell: the data, the noise, the cross-validated
pred_probs and the baseline (runner.experiment.pipeline: the cache key is the dataset, the
noise, the classifier, the preprocessing, the seed and the folds). Run on two workers at
once, the second waits for the first's cross-validation (runner.core.compute_lock); run on
one, the first computes it and the others read it. So :func:`shared_work_groups` groups a
sweep's jobs by every other override; a launcher hands each group to one worker.

Only where a job runs depends on it, never what it computes: a grouping that misses a shared
entry costs a wait, never a different result.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["shared_work_groups", "work_key"]

# Overrides that leave a job's cached work as it is (prefixes of the key).
SAME_CACHED_WORK = ("cleanlearning.", "quality_score", "summary.", "report.", "logger")
# ... except this one, which the cross-validation depends on.
CHANGES_CACHED_WORK = ("cleanlearning.cv_n_folds",)


def work_key(overrides: Sequence[str]) -> tuple[str, ...]:
    """The overrides of a job that its cached work may depend on."""
    key = []
    for override in overrides:
        name = str(override).partition("=")[0].lstrip("~+")
        if name.startswith(SAME_CACHED_WORK) and not name.startswith(CHANGES_CACHED_WORK):
            continue
        key.append(str(override))
    return tuple(key)


def shared_work_groups(job_overrides: Sequence[Sequence[str]]) -> list[list[int]]:
    """Indices of the jobs, grouped by :func:`work_key`, groups and jobs in sweep order."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, overrides in enumerate(job_overrides):
        groups.setdefault(work_key(overrides), []).append(index)
    return list(groups.values())
