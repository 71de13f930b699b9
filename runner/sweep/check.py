"""A sweep is checked whole before its first job, and a sweep dir belongs to one sweep.

Registered as a Hydra callback in conf/config.yaml (``hydra.callbacks.sweep_check``):

- ``on_multirun_start`` runs in the launching process before the sweeper creates the sweep
  dir or launches anything, whatever the launcher (basic, joblib, submitit). It expands the
  sweep exactly as Hydra's BasicSweeper will (``hydra.sweeper.params`` then the command-line
  overrides, through ``BasicSweeper.split_arguments``), composes every combination with
  Hydra's own config loader and runs the job's config checks on each (runner.config
  :func:`~runner.config.config_problems`: schema, values, files, interpolations). One message
  lists every bad combination and the sweep stops (exit 1) before any job dir exists.
  Under a search sweeper (one that is not the BasicSweeper: trials are not known up front)
  each choice and each interval end of the search space is checked instead, one axis at a
  time (:func:`search_space_values`).
- Then it refuses a sweep dir that holds the jobs of another sweep: other override keys
  than this sweep's (``summary.*`` aside: they change the summary, not the jobs). Extending
  the same sweep (more values on an axis, other ``summary.*``) and resuming it are allowed.
- ``on_run_start`` (a single run, before Hydra creates the run dir): a sweep preset used
  without ``-m`` is refused with one line, and a config error stops the run with one short
  message, so neither leaves an empty run dir behind.

Hydra catches any Exception a callback raises and turns it into a warning, so the checks
stop the command with SystemExit (one message on stderr, exit status 1).

Job dirs are named by their overrides (:func:`runner.core.layout.job_dir_name`, the
``runner_job_dir`` resolver used by ``hydra.sweep.subdir``), not numbered: adding a value to an axis renumbers
Hydra's jobs but never moves, reruns or overwrites a finished one. Readers take a job's
identity from its ``.hydra/overrides.yaml``.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from runner.config import config_problems
from runner.config.hints import composition_hint
from runner.config.validate import memoized_checks
from runner.core.layout import identity_key, is_identity_override, sweep_dir_of, sweep_jobs
from runner.sweep.composition import split_hydra
from runner.sweep.lock import own_sweep_dir, release_sweep_dir

__all__ = ["SweepCheckCallback", "describe_sweep", "different_sweep_message", "search_space_values"]

# Combinations listed in the message of a bad sweep (the count of the others follows).
MAX_LISTED = 30


def describe_sweep(jobs: Iterable[Sequence[str]]) -> str:
    """"seed=0,1 noise.rate=0.1": each key with its values across the jobs (summary.* aside)."""
    axes: dict[str, list[str]] = {}
    for overrides in jobs:
        for override in overrides:
            if not is_identity_override(override):
                continue
            key, _, value = str(override).partition("=")
            values = axes.setdefault(key, [])
            if value not in values:
                values.append(value)
    return " ".join(f"{key}={','.join(values)}" for key, values in sorted(axes.items())) or "(no overrides)"


def sweep_identity(jobs: Iterable[Sequence[str]]) -> frozenset[str]:
    """The override keys of a sweep; two sweeps with the same keys are one sweep, extended."""
    return frozenset(identity_key(o) for overrides in jobs for o in overrides if is_identity_override(o))


def different_sweep_message(sweep_dir: Path, jobs: Sequence[Sequence[str]]) -> str | None:
    """Why ``jobs`` must not run in ``sweep_dir`` (it holds another sweep's jobs), or None."""
    if (sweep_dir / ".hydra" / "overrides.yaml").is_file():
        return (f"hydra.sweep.dir={sweep_dir} is the dir of a single run, not of a sweep; "
                "choose another hydra.sweep.dir")
    existing = sweep_jobs(sweep_dir)
    if not existing:
        return None
    theirs, ours = sweep_identity(existing.values()), sweep_identity(jobs)
    if theirs == ours:
        return None
    other = sorted(theirs ^ ours)
    return (
        f"hydra.sweep.dir={sweep_dir} holds the {len(existing)} job(s) of another sweep "
        f"({describe_sweep(existing.values())}); this sweep ({describe_sweep(jobs)}) differs in "
        f"{', '.join(other)}. Use another hydra.sweep.dir (the same overrides, with more values "
        "on an axis, resume or extend a sweep)"
    )


# ---------------------------------------------------------------------------------------
# Expanding and checking a sweep


def sweep_overrides(config: DictConfig) -> list[str]:
    """``hydra.sweeper.params`` then the command line's task overrides, as BasicSweeper reads them."""
    params = config.hydra.sweeper.get("params") or {}
    return [f"{key}={value}" for key, value in params.items()] + [
        str(o) for o in OmegaConf.to_container(config.hydra.overrides.task, resolve=False)
    ]


def expand_sweep(config: DictConfig, config_loader) -> list[list[str]]:
    """The overrides of every job of the sweep, in Hydra's order (BasicSweeper's own expansion)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create(config_loader=config_loader)
    overrides = parser.parse_overrides(sweep_overrides(config))
    (jobs,) = BasicSweeper.split_arguments(overrides, None)
    return jobs


def search_space_values(config: DictConfig, config_loader) -> tuple[list[str], dict[str, list[str]]]:
    """(fixed overrides, {key: values to check}) of a search sweeper's space.

    Choices and ranges give each value; an interval gives its two ends. Values of the
    search space that the grammar cannot enumerate are left to the trials.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, RangeSweep

    parser = OverridesParser.create(config_loader=config_loader)
    fixed: list[str] = []
    axes: dict[str, list[str]] = {}
    for override in parser.parse_overrides(sweep_overrides(config)):
        key = override.get_key_element()
        if not override.is_sweep_override():
            fixed.append(f"{key}={override.get_value_element_as_str()}")
            continue
        value = override.value()
        if isinstance(value, IntervalSweep):
            values = [value.start, value.end]
        elif isinstance(value, (ChoiceSweep, RangeSweep)):
            values = list(override.sweep_string_iterator())
        else:
            continue
        axes[key] = [str(v) for v in values]
    return fixed, axes


def check_jobs(config: DictConfig, config_loader, jobs: Sequence[Sequence[str]], *, distinct: bool = False
               ) -> list[tuple[list[str], str]]:
    """[(overrides, problem)] for every job whose config does not compose or validate; with
    ``distinct`` (a grid), also every job whose composed config is that of an earlier one (the
    same value typed twice, ``noise.rate=0,0.0``: one job run twice, into two dirs)."""
    from hydra.core.hydra_config import HydraConfig

    bad = []
    seen: dict[str, list[str]] = {}
    saved = HydraConfig.instance().cfg
    try:
        with memoized_checks():
            for overrides in jobs:
                try:
                    job_config = config_loader.load_sweep_config(config, list(overrides))
                    task_config, HydraConfig.instance().cfg = split_hydra(job_config)  # ${hydra:...} per job
                    problem = config_problems(task_config)
                    if not problem and distinct:
                        problem = _same_as_earlier(task_config, list(overrides), seen)
                except Exception as error:  # noqa: BLE001 - a composition error of this combination
                    problem = short_error(error)
                if problem:
                    bad.append((list(overrides), problem))
    finally:
        HydraConfig.instance().cfg = saved
    return bad


def _same_as_earlier(task_config: DictConfig, overrides: list[str], seen: dict[str, list[str]]) -> str:
    """"" for a config not seen before (then recorded); else what it duplicates."""
    import json

    from runner.core.identity import canonical_numbers  # 0 and 0.0 for a float-declared parameter

    config = canonical_numbers(OmegaConf.to_container(task_config, resolve=False))
    key = json.dumps(config, sort_keys=True, default=repr)
    earlier = seen.setdefault(key, overrides)
    if earlier is overrides:
        return ""
    return (f"the same config as [{' '.join(earlier)}]: one value given twice (as 0 and 0.0?); "
            "give each value once")


def short_error(error: BaseException) -> str:
    """One line from an exception and its cause (Hydra's and OmegaConf's span several)."""
    hint = composition_hint(error)  # an unknown key or option: the closest valid name
    if hint is not None:
        return hint
    parts = [str(error)]
    if error.__cause__ is not None and str(error.__cause__) not in parts[0]:
        parts.append(str(error.__cause__))
    lines = [" ".join(line.split()) for part in parts for line in part.splitlines()]
    return "; ".join(line for line in lines if line and not line.startswith(("full_key", "object_type")))


def bad_sweep_message(bad: Sequence[tuple[list[str], str]], n_jobs: int, varying: set[str], what: str) -> str:
    lines = [f"{what}: {len(bad)} of {n_jobs} bad, no job was started:"]
    for overrides, problem in bad[:MAX_LISTED]:
        label = " ".join(o for o in overrides if identity_key(o) in varying) or " ".join(overrides)
        lines.append(f"  [{label}] {problem.replace(chr(10), '; ')}")
    if len(bad) > MAX_LISTED:
        lines.append(f"  ... and {len(bad) - MAX_LISTED} more")
    return "\n".join(lines)


def _varying_keys(jobs: Sequence[Sequence[str]]) -> set[str]:
    values: dict[str, set[str]] = {}
    for overrides in jobs:
        for override in overrides:
            values.setdefault(identity_key(override), set()).add(str(override))
    return {key for key, seen in values.items() if len(seen) > 1}


def launcher_problem(launcher: DictConfig) -> str | None:
    """What is wrong with the launcher's settings that the runner reads (its jobs at once), or None."""
    from runner.sweep.launchers import jobs_at_once

    try:
        jobs_at_once(launcher)
    except (ValueError, TypeError) as error:
        return str(error)
    return None


def _is_basic_sweeper(config: DictConfig) -> bool:
    return str(config.hydra.sweeper.get("_target_", "")).endswith("basic_sweeper.BasicSweeper")


class SweepCheckCallback(Callback):
    """Whole-sweep checks before the first job; one-line refusals of single runs (see module)."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        from runner.sweep.composition import use_composition_cache

        config_loader = use_composition_cache()  # each distinct defaults list composed once
        problem = launcher_problem(config.hydra.launcher)
        if problem:
            raise SystemExit(problem)
        if _is_basic_sweeper(config):
            jobs = expand_sweep(config, config_loader)
            bad = check_jobs(config, config_loader, jobs, distinct=True)
            if bad:
                raise SystemExit(bad_sweep_message(bad, len(jobs), _varying_keys(jobs), "sweep combinations"))
        else:  # a search: trials are chosen as it runs; check what the search space can give
            fixed, axes = search_space_values(config, config_loader)
            jobs = [fixed + [f"{key}={value}"] for key, values in axes.items() for value in values]
            bad = check_jobs(config, config_loader, jobs or [fixed])
            if bad:
                raise SystemExit(bad_sweep_message(bad, len(jobs), set(axes), "search space values"))
        # Owned under a lock for the whole sweep, the check below made under it (runner.sweep.lock).
        own_sweep_dir(sweep_dir_of(config), lambda: different_sweep_message(sweep_dir_of(config), jobs))

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        release_sweep_dir(sweep_dir_of(config))  # the last end hook: after the summary

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        params = config.hydra.sweeper.get("params") or {}
        if params:
            task = [str(o) for o in OmegaConf.to_container(config.hydra.overrides.task, resolve=False)]
            presets = [o for o in task if identity_key(o) == "experiment"] or ["the config"]
            raise SystemExit(
                f"{' '.join(presets)} is a sweep (over {', '.join(params)}); add -m: "
                f"python -m runner -m {' '.join(task)}"
            )
        if os.environ.get("HYDRA_FULL_ERROR", "") == "1":
            return  # the job records it in status.json and shows the full traceback
        from hydra.core.hydra_config import HydraConfig

        task_config = copy.deepcopy(config)
        with read_write(task_config), open_dict(task_config):
            del task_config["hydra"]
        saved = HydraConfig.instance().cfg
        HydraConfig.instance().set_config(config)  # for ${hydra:runtime.cwd} and the like
        try:
            problem = config_problems(task_config)
        finally:
            HydraConfig.instance().cfg = saved
        if problem:
            raise SystemExit(f"config error: {problem}")
