"""The sections of the reports: each module of this package registers its own (discovered).

A section is a function ``render(context) -> list[Section]`` registered for the ``"run"`` or
the ``"sweep"`` report with a ``rank`` (its place on the page)::

    @report_section("run", rank=35)
    def calibration(run: RunContext) -> list[Section]:
        return [Section("Calibration", [note("...")])]

Adding a section is one module here; nothing lists them. The contexts (what a section may
read: the run's files and config, or the sweep's summary) are runner.report.context's.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["REPORTS", "ReportSection", "report_section", "sections_of"]

REPORTS = ("run", "sweep")
_REGISTERED: list[ReportSection] = []


@dataclass(frozen=True)
class ReportSection:
    report: str
    rank: float
    render: Callable


def report_section(report: str, *, rank: float) -> Callable:
    """Register ``render`` as a section of the ``report`` ("run" or "sweep") at ``rank``."""
    if report not in REPORTS:
        raise ValueError(f"report must be one of {REPORTS}; got {report!r}")

    def register(render: Callable) -> Callable:
        _REGISTERED.append(ReportSection(report, rank, render))
        return render

    return register


def sections_of(report: str) -> list[ReportSection]:
    """The registered sections of ``report`` in page order."""
    _discover()
    return sorted((s for s in _REGISTERED if s.report == report), key=lambda s: (s.rank, s.render.__name__))


def _discover() -> None:
    for module_info in pkgutil.iter_modules(__path__, prefix=f"{__name__}."):
        importlib.import_module(module_info.name)  # imported once; each registers its sections
