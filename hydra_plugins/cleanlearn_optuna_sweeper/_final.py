"""The jobs after a search: the best configuration on the test set, and on fresh seeds.

- ``final``: the best trial's overrides in ``<sweep dir>/final/``, the one job of a search that
  scores the test set. Same configuration and seed as the trial, so its objective equals the
  trial's; its test metrics go to best.yaml.
- ``reestimate``: the same configuration on ``n_seeds`` seeds no trial used, in
  ``<sweep dir>/final/reestimate/seed=<n>/`` (no test scoring). The best trial's objective was
  selected as the maximum (or minimum) of many noisy estimates; their mean shows how
  optimistic that selected value is.

Both are ordinary Hydra jobs of the same launcher, marked by ``hydra.sweeper.search_role``
and placed by ``hydra.sweep.subdir`` (Hydra overrides: the job's task overrides stay the best
trial's own).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["FINAL_DIR", "REESTIMATE_DIR", "final_jobs", "fresh_seeds"]

FINAL_DIR = "final"
REESTIMATE_DIR = "final/reestimate"


def _seed_of(overrides: Sequence[str]) -> int | None:
    for override in overrides:
        key, _, value = str(override).partition("=")
        if key.lstrip("+~") == "seed":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def fresh_seeds(trial_overrides: Sequence[Sequence[str]], base_seed, n_seeds: int) -> list[int]:
    """``n_seeds`` seeds above every seed the trials ran with (their ``seed=`` override, else
    the config's ``seed``).

    >>> fresh_seeds([["a=1"], ["a=2", "seed=4"]], base_seed=0, n_seeds=3)
    [5, 6, 7]
    """
    seen = {_seed_of(overrides) for overrides in trial_overrides}
    if None in seen:  # a trial without its own seed ran with the config's
        seen.discard(None)
        if base_seed is not None:
            seen.add(int(base_seed))
    start = max(seen) + 1 if seen else 1
    return list(range(start, start + n_seeds))


def final_jobs(best_overrides: Sequence[str], trial_overrides: Sequence[Sequence[str]], *,
               base_seed, n_seeds: int) -> list[list[str]]:
    """The overrides of the final job, then of the re-estimation jobs (see the module)."""
    jobs = [[*best_overrides, "hydra.sweeper.search_role=final", f"hydra.sweep.subdir={FINAL_DIR}"]]
    without_seed = [o for o in best_overrides if str(o).partition("=")[0].lstrip("+~") != "seed"]
    for seed in fresh_seeds(trial_overrides, base_seed, n_seeds):
        jobs.append([*without_seed, f"seed={seed}", "hydra.sweeper.search_role=reestimate",
                     f"hydra.sweep.subdir='{REESTIMATE_DIR}/seed={seed}'"])
    return jobs
