"""One console line per finished job of a sweep: ``[12/84] ok  filter_by=both seed=3  issue_f1=0.812
elapsed 1m40s, about 8m left``, and the lines that open and close a sweep.

At the start the sweep dir is printed on a line of its own; at exit of the sweep process
(however it ends: done, a failed job, Ctrl-C) the summary is brought up to date with every
planned job (``not run`` for those that never started), and the end lines name results.md,
print the sweep dir again and, unless every job is ok, the exact command that resumes the
sweep in that dir (``hydra.sweep.dir=<dir>``).

The sweep's job count, swept keys and start time are recorded in ``.progress.json`` of the sweep
dir when it starts (:func:`start_progress`); each job's end adds one under a lock
(:func:`report_progress`), so parallel launchers count right.
"""

from __future__ import annotations

import atexit
import logging
import math
import shlex
import sys
import time
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from runner.core.io import atomic_write_json, locked, remove_orphaned_temporaries
from runner.core.layout import read_json, sweep_dir_of
from runner.results.settings import SummarySettings
from runner.results.summarize import NOT_RUN, PLANNED_JOBS

__all__ = ["console", "end_of_sweep", "progress_line", "report_progress", "resume_command", "start_progress"]

# Console only (conf/hydra/job_logging/runner.yaml): progress lines stay out of job logs.
console_logger = logging.getLogger("runner.console")
PROGRESS_FILE = ".progress.json"
PROGRESS_LOCK = ".progress.lock"


def console(line: str) -> None:
    """A line on the console of the launching process, as it is (no log prefix: a path on a
    line of its own can be copied)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def start_progress(config: DictConfig) -> None:
    """Record the sweep's job count, swept keys and start time for the per-job lines; say
    where the sweep goes (its dir on a line of its own) and, at exit, how it ended."""
    total, swept = _planned_jobs(config)
    sweep_dir = sweep_dir_of(config)
    # a resumed search runs only its missing trials: count the earlier ones as finished
    done = _search_started(sweep_dir) if config.hydra.sweeper.get("n_trials") is not None else 0
    with _locked_progress(sweep_dir):
        # a sweep killed while writing them left temporaries; this sweep owns the dir now
        for name in (PROGRESS_FILE, PLANNED_JOBS):
            remove_orphaned_temporaries(sweep_dir / name)
        atomic_write_json(sweep_dir / PROGRESS_FILE,
                          {"total": total, "swept": swept, "started": time.time(), "finished": done,
                           "resumed": done})
    planned = _planned_overrides(config)
    if planned is not None:  # the summary lists the jobs not run yet (runner.results.summarize)
        atomic_write_json(sweep_dir / PLANNED_JOBS, planned)
    console(f"sweep of {total} jobs, into:" if total else "sweep, into:")
    console(str(sweep_dir.resolve()))
    atexit.register(end_of_sweep, sweep_dir, sys.argv[1:], SummarySettings.from_config(config.get("summary")))


def _planned_overrides(config: DictConfig) -> list[list[str]] | None:
    """The overrides of every job of a grid sweep (None for a search: trials are not known)."""
    if not str(config.hydra.sweeper.get("_target_", "")).endswith("BasicSweeper"):
        return None
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    params = config.hydra.sweeper.get("params") or {}
    arguments = [f"{key}={value}" for key, value in params.items()]
    arguments += OmegaConf.to_container(config.hydra.overrides.task, resolve=False)
    jobs = BasicSweeper.split_arguments(OverridesParser.create().parse_overrides(arguments), None)[0]
    return [[str(o) for o in job] for job in jobs]


def resume_command(arguments: list[str], sweep_dir: Path) -> str:
    """``python -m runner -m ... hydra.sweep.dir=<dir>``: the same sweep, in the same dir (a
    plain rerun would start a new dir and run everything again)."""
    kept = [a for a in arguments if not a.startswith("hydra.sweep.dir=")]
    return shlex.join(["python", "-m", "runner", *kept, f"hydra.sweep.dir={sweep_dir.resolve()}"])


def end_of_sweep(sweep_dir: Path, arguments: list[str], settings: SummarySettings) -> None:
    """At exit of the sweep process, whatever ended it: the summary lists every job (``not
    run``, ``interrupted`` where it applies), then the end lines: the counts and results.md,
    the sweep dir on its own line and, unless every job is ok, the command that resumes it."""
    from runner.results.summarize import summarize

    try:
        counts = _counts_recorded(sweep_dir)
        if counts is None:  # not every planned job recorded its row: read the job dirs
            frame = summarize(sweep_dir, write=False)
            counts = frame["status"].value_counts().to_dict() if len(frame) else {}
        if set(counts) - {"ok"}:
            frame = summarize(sweep_dir, plot=False, settings=settings)  # after an interrupt: every job
            counts = frame["status"].value_counts().to_dict()
    except Exception as error:  # noqa: BLE001 - the end lines still say where the sweep is
        logging.getLogger(__name__).warning("could not update the sweep summary: %s", error)
        counts = {}
    results = sweep_dir.resolve() / "results.md"
    n_jobs, n_ok = sum(counts.values()), counts.get("ok", 0)
    if counts and n_ok == n_jobs:
        console(f"sweep finished: {n_ok} of {n_jobs} jobs ok; results: {results}")
        console(str(sweep_dir.resolve()))
        return
    states = ", ".join(f"{counts[state]} {state}" for state in ("ok", "failed", "interrupted", "incomplete",
                                                                 NOT_RUN) if counts.get(state))
    console(f"sweep stopped: {states or 'no job finished'} (of {n_jobs}); results so far: {results}")
    console(str(sweep_dir.resolve()))
    console(f"resume it (finished jobs are kept): {resume_command(arguments, sweep_dir)}")


def _counts_recorded(sweep_dir: Path) -> dict[str, int] | None:
    """{status: jobs} from the rows the jobs recorded as they ended (runner.sweep.incremental)
    when every planned job of a grid sweep has one and all are ok; else None. A sweep of
    1,000 jobs would otherwise read 1,000 job dirs again for its last two lines."""
    from runner.sweep.incremental import recorded_statuses

    total = (read_json(sweep_dir / PROGRESS_FILE, unreadable="none") or {}).get("total")
    if not isinstance(total, int) or not (sweep_dir / PLANNED_JOBS).is_file():  # a search: no plan
        return None
    statuses = recorded_statuses(sweep_dir)
    if len(statuses) != total:
        return None
    if set(statuses.values()) != {"ok"}:
        return None  # failed, interrupted or not run: the job dirs say which (and summary.* lists them)
    return {"ok": total}


def _planned_jobs(config: DictConfig) -> tuple[int | None, list[str]]:
    """(number of jobs, keys with several values) of a basic sweep; of a search (a sweeper
    with ``n_trials``): (n_trials, the keys of its search space); (None, []) for others."""
    if not str(config.hydra.sweeper.get("_target_", "")).endswith("BasicSweeper"):
        n_trials = config.hydra.sweeper.get("n_trials")
        if not isinstance(n_trials, int):
            return None, []
        from hydra.core.override_parser.overrides_parser import OverridesParser

        params = config.hydra.sweeper.get("params") or {}
        arguments = [f"{key}={value}" for key, value in params.items()]
        arguments += OmegaConf.to_container(config.hydra.overrides.task, resolve=False)
        searched: dict[str, bool] = {}  # a later plain value of a key replaces its search range
        for override in OverridesParser.create().parse_overrides(arguments):
            searched[override.get_key_element()] = override.is_sweep_override()
        return n_trials, [key for key, swept in searched.items() if swept]
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    params = config.hydra.sweeper.get("params") or {}
    arguments = [f"{key}={value}" for key, value in params.items()]
    arguments += OmegaConf.to_container(config.hydra.overrides.task, resolve=False)
    overrides = OverridesParser.create().parse_overrides(arguments)
    swept = list(dict.fromkeys(o.get_key_element() for o in overrides if o.is_sweep_override()))
    jobs = BasicSweeper.split_arguments(overrides, None)[0]
    # a later plain value of a key replaces its sweep (the command line narrows a preset)
    swept = [key for key in swept if len({_value_of(job, key) for job in jobs}) > 1]
    return len(jobs), swept


def _value_of(job_overrides: list[str], key: str) -> str | None:
    for override in job_overrides:
        name, _, value = override.partition("=")
        if name == key:
            return value
    return None


def _search_started(sweep_dir: Path) -> int:
    """Trials of an earlier run of a resumed search: job dirs that ended (ok or failed)."""
    if not sweep_dir.is_dir():
        return 0
    return sum(
        (read_json(job_dir / "status.json", unreadable="none") or {}).get("status") in ("ok", "failed")
        for job_dir in sweep_dir.iterdir() if job_dir.is_dir() and job_dir.name != "final"
    )


def report_progress(config: DictConfig, frame: pd.DataFrame | None) -> None:
    if OmegaConf.select(config, "hydra.sweeper.search_role", default=None) not in (None, "trial"):
        return  # a search's runs after the trials (final/): the sweeper reports them
    sweep_dir = sweep_dir_of(config)
    with _locked_progress(sweep_dir):
        path = sweep_dir / PROGRESS_FILE
        progress = read_json(path, unreadable="none") or {"total": None, "swept": [], "started": None,
                                                          "finished": 0}
        progress["finished"] += 1
        atomic_write_json(path, progress)
    job_dir = Path(str(config.hydra.runtime.output_dir))
    row = {}
    if frame is not None and "dir" in frame:
        match = frame[frame["dir"].astype(str) == job_dir.name]
        row = match.iloc[-1].to_dict() if len(match) else {}
    overrides = OmegaConf.to_container(config.hydra.overrides.task, resolve=False)
    settings = SummarySettings.from_config(config.get("summary"))
    # a search's line shows its objective (a trial has no test metric to show)
    metric = OmegaConf.select(config, "hydra.sweeper.optimize.metric", default=None) or settings.compare_metric
    console_logger.info(progress_line(progress, overrides, row, job_dir, metric))


def progress_line(progress: dict, overrides: list[str], row: dict, job_dir: Path,
                  metric: str | None = None, now: float | None = None) -> str:
    """'[12/84] ok  filter_by=both seed=3  issue_f1=0.812  elapsed 1m40s, about 8m left'."""
    finished, total = progress["finished"], progress.get("total")
    status = str(row.get("status", "incomplete"))
    swept = progress.get("swept") or []
    values = {key: value for key, _, value in (str(o).partition("=") for o in overrides)}
    names = [key.rsplit(".", 1)[-1] for key in swept]
    if len(set(names)) < len(names):
        names = list(swept)
    setting = " ".join(f"{name}={values[key]}" for name, key in zip(names, swept, strict=True) if key in values)
    parts = [f"[{finished}/{total if total else '?'}] {status}", setting]
    if status == "ok":
        for name in ([metric] if metric else []) + ["issue_f1", "test_accuracy_cleanlearning"]:
            value = row.get(name)  # a search's trials have no test metric: their objective shows
            if isinstance(value, (int, float)) and not math.isnan(value):
                parts.append(f"{name}={value:.3f}")
                break
    else:
        parts.append(f"see {job_dir / 'status.json'}")
    started = progress.get("started")
    if started is not None:
        elapsed = (time.time() if now is None else now) - started
        timing = f"elapsed {_duration(elapsed)}"
        ran = finished - progress.get("resumed", 0)  # jobs of this run (a resumed search's are fewer)
        if total and 0 < ran and finished < total:
            timing += f", about {_duration(elapsed / ran * (total - finished))} left"
        parts.append(timing)
    return "  ".join(part for part in parts if part)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _locked_progress(sweep_dir: Path):
    sweep_dir.mkdir(parents=True, exist_ok=True)
    return locked(sweep_dir / PROGRESS_LOCK)
