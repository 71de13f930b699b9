"""What a report section may read: a run's files and config, or a sweep's summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from runner.report.examples import Examples

__all__ = ["RunContext", "SweepContext"]


@dataclass(frozen=True)
class RunContext:
    """One run's dir, as read by its report (see runner.report.run)."""

    run_dir: Path
    cfg: Mapping[str, Any]  # resolved_config.yaml ({} when absent)
    metrics: Mapping[str, Any]  # metrics.json ({} when absent)
    issues: pd.DataFrame  # label_issues.csv
    flagged: pd.DataFrame  # its flagged rows, worst (lowest label quality) first
    examples: Examples | None
    examples_note: str  # why there are no examples, when there are none
    top_k: int
    has_truth: bool  # label_issues.csv has is_true_error
    figure: Any  # the flagged examples' image (Markup), or "" without image data


@dataclass(frozen=True)
class SweepContext:
    """One sweep's dir and its per-job summary (see runner.report.sweep)."""

    sweep_dir: Path
    frame: pd.DataFrame  # summary.csv's rows, as runner.results.summarize builds them
    dirs: Mapping[str, Path]  # job dir name -> path
    varying: list[str]  # override columns that differ between jobs

    def job_dir(self, name) -> Path | None:
        """The job dir of a summary row: its ``dir`` is the dir's name (or, merged, its path)."""
        return self.dirs.get(str(name)) or self.dirs.get(Path(str(name)).name)
