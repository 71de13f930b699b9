"""The report of a sweep: ``report.html`` in the sweep dir, built from its job dirs on disk.

Results and comparisons, the figures, one line per job linking to its report, and how the
swept methods agree on what they flag: the sections are runner.report.sections'
(``report_section("sweep", ...)``).
"""

from __future__ import annotations

from pathlib import Path

from runner.core.io import atomic_write_text
from runner.core.layout import REPORT, job_dirs
from runner.report.context import SweepContext
from runner.report.html import note, page
from runner.report.sections import sections_of
from runner.results.settings import summary_columns

__all__ = ["write_sweep_report"]


def write_sweep_report(sweep_dir: str | Path) -> Path:
    """Write the sweep's report.html: results and comparisons, one line per job linking to its
    report, and how the swept methods agree on what they flag."""
    from runner.results.summarize import summarize

    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise FileNotFoundError(f"sweep_dir {str(sweep_dir)!r} is not a directory")
    frame = summarize(sweep_dir, write=False)
    dirs = {path.name: path for path in job_dirs(sweep_dir)}
    override_columns = summary_columns(frame)
    varying = [c for c in override_columns if frame[c].astype(str).nunique() > 1]
    constant = [c for c in override_columns if c not in varying]
    counts = frame["status"].value_counts().to_dict() if len(frame) else {}
    title = f"Sweep {sweep_dir.name}: {len(frame)} job(s)"
    intro = [note(", ".join(f"{n} {state}" for state, n in counts.items()) or "No jobs yet."),
             note("Swept: " + (", ".join(varying) or "nothing") + ". Same in every job: "
                  + (", ".join(f"{c}={frame[c].iloc[0]}" for c in constant) or "nothing") + ".")]
    sweep = SweepContext(sweep_dir, frame, dirs, varying)
    sections = [part for section in sections_of("sweep") for part in section.render(sweep)]
    path = sweep_dir / REPORT
    atomic_write_text(path, page(title, intro, sections))
    return path
