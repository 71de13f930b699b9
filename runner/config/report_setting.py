"""``report.run``: when a job's report.html is written. ``true``: by the job itself, as it ends;
``false``: never (``python -m runner.report DIR`` writes it on demand); ``end``: a single run
at its end (as ``true``); a sweep's jobs out of the jobs' way: with the basic launcher by a
helper process on an idle core while the next jobs run (runner.sweep.side_work), the rest once
the sweep has ended, before the sweep's report; with a launcher running jobs side by side, by
each job's own process as it ends (every core is a job's already).
"""

from __future__ import annotations

__all__ = ["REPORT_RUN_VALUES", "report_now", "report_run_problems", "report_when"]

REPORT_RUN_VALUES = (True, False, "end")


DEFAULT = "end"


def report_when(cfg) -> str:
    """"true", "false" or "end" from ``cfg.report.run`` (end when unset)."""
    report = cfg.get("report") if hasattr(cfg, "get") else None
    value = report.get("run", DEFAULT) if report is not None and hasattr(report, "get") else DEFAULT
    return "end" if value == "end" else ("false" if value is False else "true")


def report_now(cfg, single_run: bool, side_by_side: bool = False) -> bool:
    """Whether a job writes its report.html as it ends. ``side_by_side``: the sweep's launcher
    runs its jobs in parallel processes (joblib, submitit), whose cores are all taken by
    jobs: there ``end`` is the job's own process as it ends (the sweep's end would write
    them one after another in one process)."""
    when = report_when(cfg)
    return when == "true" or (when == "end" and (single_run or side_by_side))


def report_run_problems(report) -> list[str]:
    value = report.get("run", DEFAULT)
    if isinstance(value, bool) or value == "end":
        return []
    return [f"report.run must be true, false or end; got {value!r}"]
