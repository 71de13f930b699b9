"""Sweep report: one line per job, linking to the job's own report."""

from __future__ import annotations

from urllib.parse import quote

from runner.core.layout import REPORT
from runner.report.context import SweepContext
from runner.report.html import Row, Section, cell, note, piece, table
from runner.report.sections import report_section
from runner.results.figures import job_label_names

KEY_METRICS = ("n_label_issues", "issue_f1", "issue_auroc", "test_accuracy_cleanlearning")


@report_section("sweep", rank=40)
def jobs_section(sweep: SweepContext) -> list[Section]:
    frame = sweep.frame
    if frame.empty:
        return [Section("Jobs", [note("No jobs.")])]
    key_metrics = [m for m in KEY_METRICS if m in frame.columns]
    header = ["job", *job_label_names(sweep.varying), "status", *key_metrics, "report"]
    rows = []
    for _, row in frame.iterrows():
        job_dir = sweep.job_dir(row["dir"])
        report = job_dir / REPORT if job_dir is not None else None
        link = (piece("link", f"{quote(job_dir.name)}/{REPORT}", f"{job_dir.name}/{REPORT}")
                if report is not None and report.is_file() else piece("none_note"))
        status = str(row["status"])
        if status == "failed" and isinstance(row.get("error"), str):
            status += f": {row['error']}"
        cells = [cell(row["job"], "num"), *(cell(row[c]) for c in sweep.varying),
                 cell(status, "" if row["status"] == "ok" else "failed"),
                 *(cell(row[m], "num") for m in key_metrics), cell(link)]
        rows.append(Row(cells))
    return [Section("Jobs", [table("jobs", header, rows)])]
