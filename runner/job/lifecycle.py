"""The job wrapper: one Hydra job from the config check to the completion marker.

``run_job(cfg)`` is what ``python -m runner`` calls for every job (single run or one job of a
``-m`` sweep). Files in the job's output dir, in the order they are written:

    .hydra/{config,hydra,overrides}.yaml   what Hydra would write; we write them ourselves
    resolved_config.yaml                   OmegaConf.to_yaml(cfg, resolve=True)
    label_issues.csv, ... matrices.png     written by runner.experiment.pipeline.run
    metrics.json                           the dict experiment.run returned
    status.json                            {"status": "ok" | "failed" | "interrupted", ...}
    provenance.json                        versions, git commit, platform, command line
    DONE                                   completion marker, always last

Every file goes through runner.core.io (temporary name + rename), so a SIGKILL leaves either
the previous file or the new one, never a truncated one. A dir without DONE is not finished
and is rerun from scratch.

Interrupts: SIGINT or SIGTERM during a job (Ctrl-C; Slurm on timeout or preemption) stops it
as soon as the work returns, even when the classifier swallowed the KeyboardInterrupt
(runner.core.signals): status.json says ``interrupted`` with the signal, no DONE is written, the
cache keeps nothing computed after the signal, and the process exits 130 (SIGINT) or 143
(SIGTERM). A resumed sweep runs the job again.

Resume: a job whose dir holds DONE and the same resolved config is skipped without touching
a single byte or mtime in its dir. That is why conf/config.yaml sets
``hydra.output_subdir: null`` (Hydra would otherwise rewrite .hydra/ before this function
runs; we write .hydra/ here, only for jobs that actually run), why the job log file is
opened lazily (conf/hydra/job_logging/runner.yaml, ``delay: true``) and why the "skipping"
line goes to the console-only logger ``runner.console``. The ``summary`` and ``report``
settings are read by the summary and the reports only: a finished job whose config differs
in them alone is finished.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import logging
import os
import signal
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

from hydra.core.hydra_config import HydraConfig
from hydra.errors import CompactHydraException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict

from runner import config as runner_config
from runner.config import checked_config, config_problems
from runner.config.report_setting import report_now
from runner.core import signals
from runner.core.io import atomic_write_json, atomic_write_text
from runner.core.layout import (
    DONE,
    HYDRA_SUBDIR,
    RESULT_FILES,
    job_identity,
    read_json,
    register_resolvers,
)
from runner.job.provenance import collect_provenance, git_state_in_background
from runner.sweep.launchers import jobs_side_by_side, parallel_thread_budget

__all__ = ["JobFailedError", "is_finished", "parallel_thread_budget", "run_job"]

# Launcher workers import this module when they unpickle the task: the resolver of the job dir
# names (hydra.sweep.subdir) must exist there before Hydra resolves a job's output dir.
register_resolvers()

logger = logging.getLogger(__name__)
# Configured console-only in conf/hydra/job_logging/runner.yaml: lines about a finished job
# must not append to that job's log file.
console_logger = logging.getLogger("runner.console")
# Configured file-only: the failure of a single run is one line on the console (its SystemExit
# message) and still in the job log.
file_logger = logging.getLogger("runner.file")


class JobFailedError(CompactHydraException, RuntimeError):
    """A job failed; the message is one line, the traceback is in the job's status.json.

    A CompactHydraException: when a sweep ends with failed jobs, Hydra prints this one line
    instead of a traceback.
    """


def run_job(cfg: DictConfig) -> dict:
    """Run one job into Hydra's output dir and return its metrics.

    Raises JobFailedError in a sweep, SystemExit with the same one line in a single run,
    after recording the failure in status.json; with HYDRA_FULL_ERROR=1 the original
    exception instead. On SIGINT/SIGTERM: SystemExit(130/143) after recording the interrupt.
    """
    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    job_name = _job_label(hydra_cfg)
    single_run = hydra_cfg.mode != RunMode.MULTIRUN
    started = time.perf_counter()
    cfg = _with_search_role(cfg, hydra_cfg)

    # 1) config: schema checks and every interpolation resolved, before any work
    try:
        resolved_config = checked_config(cfg)
    except Exception as error:
        if single_run and not _full_error_requested():
            # Normally refused before Hydra makes the run dir (runner.sweep.check); here it
            # exists already: remove it, and the dated dirs above it, if they hold nothing else.
            _remove_empty_dirs(out_dir, stop_at=Path(str(hydra_cfg.runtime.cwd or os.getcwd())))
            raise SystemExit(f"config error: {config_problems(cfg)}") from None
        _start_fresh(out_dir, cfg, resolved_config=None)
        _fail(out_dir, error, stage="config", single_run=single_run)

    # 2) resume: a finished job with the same resolved config is left exactly as it is
    if is_finished(out_dir, resolved_config):
        console_logger.info("%s: skipping finished job in %s", job_name, out_dir)
        return read_json(out_dir / "metrics.json")

    # 3) run the experiment; 4) record the success, DONE last. A signal stops either.
    _start_fresh(out_dir, cfg, resolved_config)
    git = git_state_in_background()  # recorded in provenance.json; runs beside the job's work
    logger.info("%s: running into %s", job_name, out_dir)
    stage = "run"
    with signals.interrupt_guard():
        try:
            try:
                from runner.experiment import pipeline as experiment

                # a single run is the only job: the launcher's n_jobs caps nothing
                with _capped_threads(None if single_run else hydra_cfg.launcher) as thread_budget:
                    metrics = experiment.run(_with_thread_budget(cfg, thread_budget), out_dir)
                signals.raise_if_interrupted()  # the work returned, but after a signal
            except Exception as error:
                signals.raise_if_interrupted()  # a failure caused by the signal is an interrupt
                _fail(out_dir, error, stage="run", single_run=single_run)

            stage = "record"
            try:
                atomic_write_json(out_dir / "metrics.json", metrics)
                atomic_write_json(
                    out_dir / "status.json",
                    {"status": "ok", "time": _now(), "wall_seconds": round(time.perf_counter() - started, 3)},
                )
                atomic_write_json(
                    out_dir / "provenance.json",
                    collect_provenance(_overrides(hydra_cfg, "task"), _overrides(hydra_cfg, "hydra"), git=git()),
                )
                if report_now(cfg, single_run, side_by_side=jobs_side_by_side(hydra_cfg.launcher)):
                    from runner.report import write_run_report  # report.html: never fails the job

                    write_run_report(out_dir, on_error="warn")
                signals.raise_if_interrupted()
                atomic_write_text(out_dir / DONE, "")
            except Exception as error:  # e.g. a metric that is not JSON-serialisable
                signals.raise_if_interrupted()
                _fail(out_dir, error, stage="record", single_run=single_run)
        except signals.Interrupted as interrupt:
            _interrupted(out_dir, interrupt.signum, stage=stage)
    logger.info("%s: result %s", job_name, _format_metrics(metrics, hide_test=cfg.get("search_role") is not None))
    return metrics


def is_finished(out_dir: Path, resolved_config: str) -> bool:
    """True when ``out_dir`` holds a completed run of exactly this resolved config."""
    out_dir = Path(out_dir)
    if not (out_dir / DONE).is_file():
        return False
    try:
        recorded = (out_dir / "resolved_config.yaml").read_text(encoding="utf-8")
        if read_json(out_dir / "metrics.json") is None:
            return False
    except (OSError, ValueError):
        return False
    if job_identity(recorded) != job_identity(resolved_config):
        logger.info("config changed since %s finished; running it again", out_dir)
        return False
    return True


# ---------------------------------------------------------------------------------------
# helpers


def _start_fresh(out_dir: Path, cfg: DictConfig, resolved_config: str | None) -> None:
    """Clear a previous attempt's results (DONE first) and record what this attempt runs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in RESULT_FILES:
        with contextlib.suppress(FileNotFoundError):
            (out_dir / name).unlink()
    hydra_dir = out_dir / HYDRA_SUBDIR
    # temporaries of writes a SIGKILL interrupted (runner.core.io names them .<name>.<random>.tmp)
    for leftover in [*out_dir.glob(".*.tmp"), *hydra_dir.glob(".*.tmp")]:
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    atomic_write_text(hydra_dir / "config.yaml", OmegaConf.to_yaml(cfg))
    atomic_write_text(hydra_dir / "hydra.yaml", OmegaConf.to_yaml(HydraConfig.instance().cfg))
    atomic_write_text(
        hydra_dir / "overrides.yaml", OmegaConf.to_yaml(HydraConfig.get().overrides.task)
    )
    if resolved_config is not None:
        atomic_write_text(out_dir / "resolved_config.yaml", resolved_config)


def _remove_empty_dirs(directory: Path, stop_at: Path) -> None:
    """rmdir ``directory`` and then its parents while they are empty, never ``stop_at`` or above."""
    directory, stop_at = directory.resolve(), stop_at.resolve()
    while directory != stop_at and stop_at in directory.parents:
        try:
            directory.rmdir()  # fails on a non-empty dir: nothing of anyone else is removed
        except OSError:
            return
        directory = directory.parent


def _fail(out_dir: Path, error: Exception, *, stage: str, single_run: bool) -> NoReturn:
    """Record ``error`` in status.json, log one line, and raise the short form of it.

    The traceback goes to status.json only: on the console a failure is one line (the
    message of the SystemExit of a single run, or the job's log line in a sweep).
    """
    message = str(error) if isinstance(error, runner_config.ConfigError) else _short(error)
    status_path = out_dir / "status.json"
    atomic_write_json(
        status_path,
        {
            "status": "failed",
            "stage": stage,
            "error": message,
            "traceback": traceback.format_exc(),
            "time": _now(),
        },
    )
    short = f"{'config error' if stage == 'config' else 'job failed'}: {message} (traceback in {status_path})"
    (file_logger if single_run else logger).error("%s", short)
    if _full_error_requested():
        raise error
    if single_run:
        raise SystemExit(short)
    raise JobFailedError(short) from None


def _interrupted(out_dir: Path, signum: int, *, stage: str) -> NoReturn:
    """Record the interrupt (no DONE), say so in one line, exit 128 + the signal's number."""
    name = signal.Signals(signum).name
    with contextlib.suppress(FileNotFoundError):
        (out_dir / DONE).unlink()
    atomic_write_json(
        out_dir / "status.json",
        # the traceback says where the work was when it stopped
        {"status": "interrupted", "signal": name, "stage": stage, "time": _now(),
         "traceback": traceback.format_exc()},
    )
    logger.warning("interrupted by %s during the %s stage: no result recorded; run it again to redo it",
                   name, stage)
    raise SystemExit(signals.exit_code(signum))


def _short(error: BaseException) -> str:
    """'TypeName: message' on one line (OmegaConf's messages span several)."""
    text = "; ".join(" ".join(line.split()) for line in str(error).splitlines() if line.strip())
    return f"{type(error).__name__}: {text}"


@contextlib.contextmanager
def _capped_threads(launcher_cfg) -> Iterator[int | None]:
    """Limit BLAS/OpenMP threads and joblib's default n_jobs when jobs run in parallel
    (``launcher_cfg`` None: no cap)."""
    budget = None if launcher_cfg is None else parallel_thread_budget(launcher_cfg)
    if budget is None:
        yield None
        return
    import joblib
    from threadpoolctl import threadpool_limits

    logger.info("parallel launcher: capping this job at %d thread(s)", budget)
    with threadpool_limits(limits=budget), joblib.parallel_config(n_jobs=budget):
        yield budget


def _with_thread_budget(cfg: DictConfig, thread_budget: int | None) -> DictConfig:
    """Pass the budget to cleanlearning.n_jobs when the config leaves it unset (null).

    n_jobs never changes results, and resolved_config.yaml keeps the value as configured.
    """
    cleanlearning = cfg.get("cleanlearning")
    if thread_budget is None or not isinstance(cleanlearning, DictConfig):
        return cfg
    if "n_jobs" not in cleanlearning or cleanlearning.n_jobs is not None:
        return cfg
    capped = copy.deepcopy(cfg)
    with open_dict(capped):
        capped.cleanlearning.n_jobs = thread_budget
    return capped


def _with_search_role(cfg: DictConfig, hydra_cfg) -> DictConfig:
    """The job's config with ``search_role`` from the search sweeper that launched it.

    A search sweeper marks each job it launches with ``hydra.sweeper.search_role`` (trial,
    final, reestimate: a Hydra override, so neither the job dir's name nor the sweep's
    identity changes); the job's own ``search_role`` key carries it into resolved_config.yaml,
    so a trial's results and identity say that it never scored the test part.
    """
    role = OmegaConf.select(hydra_cfg, "sweeper.search_role", default=None)
    if role is None or cfg.get("search_role") == role:
        return cfg
    marked = copy.deepcopy(cfg)
    with open_dict(marked):
        marked.search_role = role
    return marked


def _job_label(hydra_cfg) -> str:
    overrides = " ".join(_overrides(hydra_cfg, "task")) or "defaults"
    if hydra_cfg.mode == RunMode.MULTIRUN:
        return f"job {hydra_cfg.job.num} ({overrides})"
    return f"run ({overrides})"


def _overrides(hydra_cfg, kind: str) -> list[str]:
    """The command-line overrides as typed: "seed=${x}" must stay text, not be resolved."""
    return OmegaConf.to_container(hydra_cfg.overrides[kind], resolve=False)


def _format_metrics(metrics: dict, hide_test: bool = False) -> str:
    """One line of the non-timing metrics, e.g. 'n_label_issues=17 issue_f1=0.8123'.

    ``hide_test``: a search's jobs leave the test metrics out of the console (the final run's
    are in best.yaml and its own dir).
    """
    from runner.scoring.metrics import is_held_out

    parts = []
    for key, value in metrics.items():
        if key.endswith("_seconds") or (hide_test and is_held_out(key)):
            continue
        parts.append(f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}")
    return " ".join(parts)


def _full_error_requested() -> bool:
    return os.environ.get("HYDRA_FULL_ERROR", "") == "1"


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
