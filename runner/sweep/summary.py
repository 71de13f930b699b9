"""Hydra callbacks of the runner (registered in conf/config.yaml under hydra.callbacks)."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from hydra.core.utils import JobReturn
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig

from runner.core.layout import sweep_dir_of
from runner.results.settings import SummarySettings
from runner.results.summarize import summarize
from runner.sweep.progress import report_progress, start_progress

__all__ = ["SweepSummaryCallback"]

logger = logging.getLogger(__name__)


class SweepSummaryCallback(Callback):
    """Keep summary.csv/.md/.png of a sweep up to date.

    Written after every job (on_job_end, in the job's own process, so also with the joblib
    and submitit launchers) and once more at the end of the sweep. Hydra skips
    on_multirun_end when a job failed, which is why the per-job rewrite matters: the one
    after the last job to finish already lists every job. summarize() reads the job dirs
    from disk under a lock, so concurrent rewrites are safe and the last one is complete.
    summary.png, the costly part, is drawn per job only once some job has failed (from then
    on the end-of-sweep hook may not come); otherwise once, at the end.
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        try:
            start_progress(config)
        except Exception as error:  # noqa: BLE001 - progress lines are a convenience
            logger.warning("no progress lines: %s", error)

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if config.hydra.mode == RunMode.MULTIRUN:
            frame = self._write(config, plot=None)
            try:
                report_progress(config, frame)
            except Exception as error:  # noqa: BLE001 - never fail a job for a console line
                logger.warning("no progress line: %s", error)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        self._write(config, plot=True)

    @staticmethod
    def _write(config: DictConfig, plot: bool | None) -> pd.DataFrame | None:
        # A broken summary must never fail a job or the sweep: the job results are on disk
        # and `python -m runner.summarize SWEEP_DIR` rebuilds it.
        try:
            frame = summarize(sweep_dir_of(config), plot=plot, settings=_settings(config))
            if plot or "failed" in set(frame["status"]):  # as summary.png (the end may not come)
                from runner.report import write_sweep_report

                write_sweep_report(sweep_dir_of(config))
            return frame
        except Exception as error:  # noqa: BLE001 - reported, not raised
            logger.warning("could not write the sweep summary: %s", error)
            return None


def _settings(config: DictConfig) -> SummarySettings:
    return SummarySettings.from_config(config.get("summary"))


