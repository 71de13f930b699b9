"""One console line per finished job of a sweep: ``[12/84] ok  filter_by=both seed=3  issue_f1=0.812
elapsed 1m40s, about 8m left``.

The sweep's job count, swept keys and start time are recorded in ``.progress.json`` of the sweep
dir when it starts (:func:`start_progress`); each job's end adds one under a lock
(:func:`report_progress`), so parallel launchers count right.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from runner.core.io import atomic_write_json, locked
from runner.core.layout import read_json, sweep_dir_of
from runner.results.settings import SummarySettings

__all__ = ["console", "progress_line", "report_progress", "start_progress"]

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
    """Record the sweep's job count, swept keys and start time for the per-job lines."""
    total, swept = _planned_jobs(config)
    sweep_dir = sweep_dir_of(config)
    with _locked_progress(sweep_dir):
        atomic_write_json(sweep_dir / PROGRESS_FILE,
                          {"total": total, "swept": swept, "started": time.time(), "finished": 0})


def _planned_jobs(config: DictConfig) -> tuple[int | None, list[str]]:
    """(number of jobs, keys with several values) of a basic sweep; (None, []) for others."""
    if not str(config.hydra.sweeper.get("_target_", "")).endswith("BasicSweeper"):
        return None, []
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


def report_progress(config: DictConfig, frame: pd.DataFrame | None) -> None:
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
    console_logger.info(progress_line(progress, overrides, row, job_dir, settings.compare_metric))


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
            value = row.get(name)
            if isinstance(value, (int, float)) and not math.isnan(value):
                parts.append(f"{name}={value:.3f}")
                break
    else:
        parts.append(f"see {job_dir / 'status.json'}")
    started = progress.get("started")
    if started is not None:
        elapsed = (time.time() if now is None else now) - started
        timing = f"elapsed {_duration(elapsed)}"
        if total and finished < total:
            timing += f", about {_duration(elapsed / finished * (total - finished))} left"
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
