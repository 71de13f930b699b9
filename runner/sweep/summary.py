"""Hydra callbacks of the runner (registered in conf/config.yaml under hydra.callbacks)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.core.utils import JobReturn
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig

from runner.core.layout import DONE, REPORT, read_json, sweep_dir_of
from runner.results.rendering import rendering_in
from runner.results.settings import SummarySettings
from runner.results.summarize import summarize
from runner.sweep.incremental import append_row, mark_final, reset_rows
from runner.sweep.progress import PROGRESS_FILE, report_progress, start_progress
from runner.sweep.side_work import (
    SideWorker,
    forked_renderer_for,
    side_worker_for,
    write_job_report,
)

__all__ = ["SweepSummaryCallback", "write_deferred_reports"]

logger = logging.getLogger(__name__)


class SweepSummaryCallback(Callback):
    """Keep summary.csv/.md of a sweep up to date, and build every summary file once at the end.

    After each job (on_job_end, in the job's own process, so also with the joblib and submitit
    launchers) its row is appended (runner.sweep.incremental: no job dir but its own is read).
    When the last planned job has ended, the whole summary (summary.*, results.*,
    comparisons.*, table.*, the figures and report.html) is rebuilt once from the job dirs, as
    ``python -m runner.summarize`` writes it; that happens in on_job_end because Hydra skips
    on_multirun_end when a job failed. A search (trials not known up front) rebuilds the
    summary after each trial, its figures only once a trial failed, and everything at the end.
    With a launcher running one job at a time a helper process (runner.sweep.side_work) writes
    the job reports as the jobs end and renders the final summary's figures; under the local
    launcher's parallel workers the worker writing the final summary renders its figures in
    forks of itself (runner.sweep.side_work.ForkedRenderer).
    """

    def __init__(self) -> None:
        self._side: SideWorker | None = None  # report.run=end, one job at a time (side_work)
        self._side_asked_again = False

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._side = _side_worker(config)
        try:
            start_progress(config)
        except Exception as error:  # noqa: BLE001 - progress lines are a convenience
            logger.warning("no progress lines: %s", error)
        try:
            reset_rows(sweep_dir_of(config))
        except Exception as error:  # noqa: BLE001 - the end-of-sweep summary still comes
            logger.warning("no interim summary: %s", error)

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if config.hydra.mode != RunMode.MULTIRUN:
            return
        sweep_dir = sweep_dir_of(config)
        total = _planned_jobs(sweep_dir)
        if total is None:  # a search: the summary after each trial, as before
            frame = self._write(config, plot=None)
        else:
            frame = None
            try:
                if self._side is None and not self._side_asked_again:
                    # the local launcher chooses one worker at launch when the sweep's jobs all
                    # share their cached work: its jobs then say n_jobs=1 (hydra_plugins)
                    self._side_asked_again = True
                    self._side = _side_worker(config)
                job_dir = Path(str(config.hydra.runtime.output_dir))
                row, finished = append_row(sweep_dir, job_dir)
                frame = pd.DataFrame([row])
                if self._side is not None and row.get("status") == "ok":
                    if _report_due(job_dir, _sweep_started(sweep_dir)):
                        self._side.submit(f"report of {job_dir}", write_job_report, str(job_dir))
                if finished >= total and mark_final(sweep_dir):
                    self._write(config, plot=True)  # the last job: every summary file, once
            except Exception as error:  # noqa: BLE001 - reported, not raised
                logger.warning("could not update the sweep summary: %s", error)
        try:
            report_progress(config, frame)
        except Exception as error:  # noqa: BLE001 - never fail a job for a console line
            logger.warning("no progress line: %s", error)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        try:
            final = mark_final(sweep_dir_of(config))
        except Exception:  # noqa: BLE001 - then build it anyway
            final = True
        if final:
            self._write(config, plot=True)

    def _write(self, config: DictConfig, plot: bool | None) -> pd.DataFrame | None:
        # A broken summary must never fail a job or the sweep: the job results are on disk
        # and `python -m runner.summarize SWEEP_DIR` rebuilds it.
        try:
            # the final summary's figures are rendered by the helper while the tables are
            # computed, before the job reports it has not started yet (shared out at the end)
            if plot and self._side is not None:
                self._side.postpone_unstarted()
            renderer = (self._side or forked_renderer_for(config)) if plot else None
            with rendering_in(renderer):
                frame = summarize(sweep_dir_of(config), plot=plot, settings=_settings(config))
            if plot or "failed" in set(frame["status"]):  # as summary.png (the end may not come)
                from runner.report import write_sweep_report

                if plot:
                    if self._side is not None:  # the reports it is still drawing, then no more
                        self._side.close()
                        self._side = None
                    write_deferred_reports(config, frame)
                write_sweep_report(sweep_dir_of(config))
            return frame
        except Exception as error:  # noqa: BLE001 - reported, not raised
            logger.warning("could not write the sweep summary: %s", error)
            return None


def _side_worker(config: DictConfig) -> SideWorker | None:
    from runner.config.report_setting import report_when

    return side_worker_for(config) if report_when(config) == "end" else None


def _planned_jobs(sweep_dir: Path) -> int | None:
    """The sweep's number of jobs (runner.sweep.progress records it); None for a search."""
    progress = read_json(sweep_dir / PROGRESS_FILE, unreadable="none") or {}
    total = progress.get("total")
    return total if isinstance(total, int) and total > 0 else None


def write_deferred_reports(config: DictConfig, frame: pd.DataFrame) -> None:
    """report.run=end: the report.html of each job this sweep ran that is still missing once it
    has ended (all of them without a helper process; with one, those it could not write).

    Only jobs finished since the sweep started (their DONE is newer than its start): a job a
    resumed sweep skipped is left exactly as it is, report or not (runner.job.lifecycle).
    """
    from runner.config.report_setting import report_when
    from runner.report import write_run_report

    if report_when(config) != "end" or "dir" not in frame:
        return
    sweep_dir = sweep_dir_of(config)
    started = _sweep_started(sweep_dir)
    for name, status in zip(frame["dir"], frame["status"], strict=True):
        job_dir = sweep_dir / str(name)
        if status == "ok" and _report_due(job_dir, started):
            write_run_report(job_dir, on_error="warn")


def _sweep_started(sweep_dir: Path) -> float | None:
    return (read_json(sweep_dir / PROGRESS_FILE, unreadable="none") or {}).get("started")


def _report_due(job_dir: Path, started: float | None) -> bool:
    """A finished job without report.html that this sweep ran (its DONE is newer than the
    sweep's start): a job a resumed sweep skipped keeps exactly what it has."""
    if (job_dir / REPORT).is_file():
        return False
    try:
        return started is None or (job_dir / DONE).stat().st_mtime >= started
    except OSError:
        return False


def _settings(config: DictConfig) -> SummarySettings:
    return SummarySettings.from_config(config.get("summary"))
