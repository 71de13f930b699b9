"""Map Optuna trials to Hydra jobs: ask a batch, launch it, tell each job's metric, repeat.

1. The search space is ``hydra.sweeper.params`` plus the command line, in Hydra's sweep
   syntax: ``choice(a,b)`` / ``a,b`` -> categorical, ``range(lo,hi,step)`` -> int (or stepped
   float) over the values range() gives, ``interval(lo,hi)`` -> float, ``tag(log, ...)`` ->
   log scale, ``tag(int, interval(...))`` -> int. Other overrides are passed to every job.
2. The study lives in ``storage`` (default ``sqlite:///<sweep dir>/optuna.db``). Only this
   process touches it (the jobs never do), so parallel trials cannot lock it.
3. A rerun of the same command loads the study: ``n_trials`` counts the trials it already
   holds, so only the missing ones run. Trials left RUNNING by a killed sweep are marked
   FAIL (without a ``job_status``: interrupted, not counted) and the study goes on. The
   sampler's state is not stored; a resumed sampler is seeded from ``seed`` and the number of
   trials in the study, so it does not draw the first trials' random points again.
4. Trial number = Hydra job number, so a trial's job dir is its number (under the default
   ``hydra.sweep.subdir``), and the same number across reruns.
5. A failed job is a failed trial. After every batch the search outputs are rewritten from
   the study (trials.csv, best.yaml, optimization_history.png in the sweep dir), so a killed
   search leaves them as of its last finished batch.
6. No selection on the test set: every trial is launched with the role ``trial``
   (``hydra.sweeper.search_role``, copied into the job's ``search_role``), so it never scores
   the test part, and no test metric (runner.scoring.metrics.is_held_out) is stored in the
   study. When the search ends, the best configuration runs once more with the role
   ``final`` in ``<sweep dir>/final/``, the only job that scores the test set, and with the
   role ``reestimate`` on ``reestimate_seeds`` seeds the search never saw
   (``final/reestimate/seed=<n>/``); best.yaml gets both (``_final``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, Transformer
from hydra.core.plugins import Plugins
from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from runner.scoring.metrics import without_held_out

try:
    import optuna
    from optuna.distributions import (
        BaseDistribution,
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )
    from optuna.trial import TrialState
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "hydra/sweeper=optuna needs Optuna >= 4: pip install 'cleanlearn[optuna]'"
    ) from error

log = logging.getLogger(__name__)

DIRECTIONS = ("maximize", "minimize")
# Trial user attributes (kept in the study, so the outputs can be rebuilt from it alone).
JOB_STATUS = "job_status"  # "ok" | "failed"; absent on a trial interrupted by a killed sweep
JOB_DIR, OVERRIDES, METRICS, ERROR = "job_dir", "overrides", "metrics", "error"
# The Hydra override that marks a trial's job (runner.job.lifecycle reads it): no test scoring.
TRIAL_ROLE = "hydra.sweeper.search_role=trial"


# ---------------------------------------------------------------------------------------
# Search space


def distribution_from_override(override: Override) -> BaseDistribution | None:
    """The Optuna distribution of a sweep override; None for a plain (fixed) value."""
    if not override.is_sweep_override():
        return None
    key = override.get_key_element()
    if override.is_choice_sweep():
        return CategoricalDistribution(list(override.sweep_iterator(transformer=Transformer.encode)))
    if override.is_range_sweep():
        sweep = override.value()
        values = list(override.sweep_iterator(transformer=Transformer.encode))
        if sweep.shuffle:
            return CategoricalDistribution(values)
        if not values:
            raise ValueError(f"hydra.sweeper.params: {key}={override.get_value_string()} is empty")
        if all(isinstance(v, int) for v in (sweep.start, sweep.stop, sweep.step)):
            return IntDistribution(int(values[0]), int(values[-1]), step=int(sweep.step))
        return FloatDistribution(float(values[0]), float(values[-1]), step=float(sweep.step))
    if override.is_interval_sweep():
        sweep = override.value()
        log_scale = "log" in sweep.tags
        if "int" in sweep.tags:
            return IntDistribution(int(sweep.start), int(sweep.end), log=log_scale)
        return FloatDistribution(float(sweep.start), float(sweep.end), log=log_scale)
    raise ValueError(f"hydra.sweeper.params: {override.input_line!r} is not a sweep the Optuna sweeper supports")


def search_space(arguments: Sequence[str]) -> tuple[dict[str, BaseDistribution], list[str]]:
    """``(distributions by override key, fixed overrides)``; a later value of a key wins."""
    distributions: dict[str, BaseDistribution] = {}
    fixed: dict[str, str] = {}
    for override in OverridesParser.create().parse_overrides(list(arguments)):
        key = override.get_key_element()
        distributions.pop(key, None)
        fixed.pop(key, None)
        distribution = distribution_from_override(override)
        if distribution is None:
            fixed[key] = override.input_line if override.input_line else f"{key}={override.get_value_element_as_str()}"
        else:
            distributions[key] = distribution
    return distributions, list(fixed.values())


def format_value(value: Any) -> str:
    """A trial's parameter value as override text."""
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    return str(value)


# ---------------------------------------------------------------------------------------
# The sweeper


class OptunaSweeperImpl(Sweeper):
    def __init__(
        self,
        sampler: DictConfig,
        optimize: DictConfig,
        n_trials: int,
        n_jobs: int,
        storage: str | None,
        study_name: str,
        params: DictConfig | None,
        reestimate_seeds: int = 3,
        search_role: str | None = None,  # a job's mark (see config.py), not the sweeper's
    ) -> None:
        from runner.scoring.metrics import is_held_out

        self.sampler_config = sampler
        self.metric = str(optimize.metric)
        if is_held_out(self.metric):
            raise ValueError(
                f"hydra.sweeper.optimize.metric={self.metric} is a test-set metric: a search never scores the "
                "test set; optimise a validation metric (val_accuracy_cleanlearning with dataset.validation_size)"
            )
        if not isinstance(reestimate_seeds, int) or reestimate_seeds < 0:
            raise ValueError(f"hydra.sweeper.reestimate_seeds must be an int >= 0; got {reestimate_seeds!r}")
        self.reestimate_seeds = reestimate_seeds
        self.direction = str(optimize.direction)
        if self.direction not in DIRECTIONS:
            raise ValueError(f"hydra.sweeper.optimize.direction must be one of {DIRECTIONS}; got {self.direction!r}")
        if not isinstance(n_trials, int) or n_trials < 1:
            raise ValueError(f"hydra.sweeper.n_trials must be an int >= 1; got {n_trials!r}")
        if not isinstance(n_jobs, int) or n_jobs < 1:
            raise ValueError(f"hydra.sweeper.n_jobs must be an int >= 1; got {n_jobs!r}")
        self.n_trials = n_trials
        self.n_jobs = n_jobs
        self.storage = storage
        self.study_name = study_name
        self.params = {} if params is None else OmegaConf.to_container(params, resolve=True)

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=task_function
        )
        self.sweep_dir = Path(str(config.hydra.sweep.dir))

    def sweep(self, arguments: list[str]) -> list[JobReturn]:
        param_overrides = [f"{key}={value}" for key, value in self.params.items()]
        distributions, fixed = search_space([*param_overrides, *arguments])
        if not distributions:
            raise ValueError("hydra/sweeper=optuna needs a search space: hydra.sweeper.params or sweep overrides")
        study = self._load_study()
        mark_interrupted(study)

        returns: list[JobReturn] = []
        failed = 0
        while (to_go := self.n_trials - len(counted_trials(study))) > 0:
            trials = [study.ask(distributions) for _ in range(min(to_go, self.n_jobs))]
            job_overrides = [
                [*fixed, *(f"{key}={format_value(trial.params[key])}" for key in distributions)]
                for trial in trials
            ]
            numbers = [trial.number for trial in trials]
            try:
                # Trial number = job number: consecutive, since this process alone asks.
                if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
                    raise RuntimeError(f"trials {numbers} are not consecutive: is another sweep using {self.storage_url}?")
                batch = self.launcher.launch([[*overrides, TRIAL_ROLE] for overrides in job_overrides],
                                             initial_job_idx=numbers[0])
            except BaseException:
                for trial in trials:  # not counted: a rerun asks for them again
                    study.tell(trial, state=TrialState.FAIL)
                raise
            problem = None
            for trial, overrides, job_return in zip(trials, job_overrides, batch, strict=True):
                try:
                    failed += not self._tell(study, trial, overrides, job_return)
                except ValueError as error:  # every trial of the batch is told before raising
                    problem = problem or error
            if problem is not None:
                raise problem
            returns.extend(batch)
            write_search_outputs(study, self.sweep_dir, self.metric, self.direction)

        write_search_outputs(study, self.sweep_dir, self.metric, self.direction)
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        log.info(
            "search: %d trials in the study (%d completed), %d failed in this run; best %s=%.6g (trial %d)",
            len(counted_trials(study)), len(complete), failed, self.metric,
            study.best_value if complete else math.nan, study.best_trial.number if complete else -1,
        )
        if not complete:
            raise RuntimeError(f"no trial of the search completed; see {self.sweep_dir / 'trials.csv'}")
        returns.extend(self._final(study))
        write_search_outputs(study, self.sweep_dir, self.metric, self.direction)
        log.info("search: the best configuration's test metrics and re-estimated %s are in %s",
                 self.metric, self.sweep_dir / "best.yaml")
        return returns

    def _final(self, study: optuna.Study) -> list[JobReturn]:
        """The best configuration once more: scored on the test set (final/) and re-estimated
        on seeds no trial used (final/reestimate/seed=<n>/), in one batch of the launcher."""
        from ._final import final_jobs

        seen = [t.user_attrs.get(OVERRIDES, []) for t in study.get_trials(deepcopy=False)]
        jobs = final_jobs(list(study.best_trial.user_attrs.get(OVERRIDES, [])), seen,
                          base_seed=self.config.get("seed"), n_seeds=self.reestimate_seeds)
        log.info("search: running the best configuration (trial %d) on the test set in %s%s",
                 study.best_trial.number, self.sweep_dir / "final",
                 f", and on {len(jobs) - 1} fresh seed(s)" if len(jobs) > 1 else "")
        batch = self.launcher.launch(jobs, initial_job_idx=self.n_trials)
        for job_return in batch:
            if job_return.status != JobStatus.COMPLETED:
                error = str(job_return._return_value).strip().splitlines()
                log.warning("search: a run of the best configuration failed: %s", error[0] if error else "")
        return list(batch)

    # -----------------------------------------------------------------------------------

    def _load_study(self) -> optuna.Study:
        self.sweep_dir.mkdir(parents=True, exist_ok=True)
        self.storage_url = self.storage or f"sqlite:///{(self.sweep_dir / 'optuna.db').resolve()}"
        sampler = instantiate(self.sampler_config)
        study = optuna.create_study(
            storage=self.storage_url, study_name=self.study_name, sampler=sampler,
            direction=self.direction, load_if_exists=True,
        )
        n_existing = len(study.get_trials(deepcopy=False))
        if n_existing and self.sampler_config.get("seed") is not None:
            # A resumed study: a sampler seeded as before would draw the first trials' random
            # (startup) points again. Seed it from the seed and the study's length instead.
            seed = np.random.SeedSequence([int(self.sampler_config.seed), n_existing]).generate_state(1)[0]
            sampler = instantiate(self.sampler_config, seed=int(seed))
            study.sampler = sampler
        recorded = study.user_attrs.get("metric")
        if recorded is None:
            study.set_user_attr("metric", self.metric)
        elif recorded != self.metric:
            raise ValueError(
                f"hydra.sweeper.optimize.metric is {self.metric!r} but the study in {self.storage_url} "
                f"optimises {recorded!r}: use another hydra.sweep.dir or study_name"
            )
        if study.direction.name.lower() != self.direction:
            raise ValueError(
                f"hydra.sweeper.optimize.direction is {self.direction!r} but the study in {self.storage_url} "
                f"was created to {study.direction.name.lower()}"
            )
        log.info(
            "study %r in %s: %s %s with %s, %d of %d trials done",
            self.study_name, self.storage_url, self.direction, self.metric, type(sampler).__name__,
            len(counted_trials(study)), self.n_trials,
        )
        return study

    def _tell(self, study: optuna.Study, trial: optuna.Trial, overrides: list[str], job_return: JobReturn) -> bool:
        """Record the job's result in its trial; True when the trial completed."""
        job_dir = Path(str(job_return.hydra_cfg.hydra.runtime.output_dir)) if job_return.hydra_cfg else None
        if job_dir is not None:
            trial.set_user_attr(JOB_DIR, _relative(job_dir, self.sweep_dir))
        trial.set_user_attr(OVERRIDES, list(overrides))
        if job_return.status != JobStatus.COMPLETED:
            error = str(job_return._return_value).strip().splitlines()
            trial.set_user_attr(JOB_STATUS, "failed")
            trial.set_user_attr(ERROR, error[0] if error else "")
            study.tell(trial, state=TrialState.FAIL)
            log.warning("trial %d failed: %s", trial.number, error[0] if error else "")
            return False
        metrics = job_return.return_value
        if not isinstance(metrics, dict) or self.metric not in metrics:
            study.tell(trial, state=TrialState.FAIL)  # not counted: the search itself is misconfigured
            known = ", ".join(sorted(metrics)) if isinstance(metrics, dict) else type(metrics).__name__
            raise ValueError(f"hydra.sweeper.optimize.metric {self.metric!r} is not a metric of the job (it has: {known})")
        trial.set_user_attr(JOB_STATUS, "ok")
        # Never a test metric in the study (the trials compute none; this is the guard).
        trial.set_user_attr(METRICS, {k: v for k, v in without_held_out(metrics).items() if not k.endswith("_seconds")})
        value = float(metrics[self.metric])
        if math.isnan(value):
            trial.set_user_attr(ERROR, f"{self.metric} is NaN")
            study.tell(trial, state=TrialState.FAIL)
            return False
        study.tell(trial, value)
        return True


def counted_trials(study: optuna.Study) -> list:
    """The trials that count toward n_trials: every one whose job ran to an end."""
    return [t for t in study.get_trials(deepcopy=False) if JOB_STATUS in t.user_attrs]


def mark_interrupted(study: optuna.Study) -> list[int]:
    """Fail the trials a killed sweep left RUNNING; returns their numbers."""
    numbers = [t.number for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))]
    for number in numbers:
        study.tell(number, state=TrialState.FAIL)
    if numbers:
        log.warning("trials %s were left running by an interrupted sweep: marked failed", numbers)
    return numbers


def write_search_outputs(study: optuna.Study, sweep_dir: Path, metric: str, direction: str) -> None:
    from runner.sweep.search_results import write_search_outputs as write

    write(study, sweep_dir, metric=metric, direction=direction)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
