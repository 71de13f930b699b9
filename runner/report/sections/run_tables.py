"""Run report: the matrices figure, the class health and overlapping classes tables."""

from __future__ import annotations

from runner.report.context import RunContext
from runner.report.html import Section, csv_table_or_note, image_or_note
from runner.report.sections import report_section


@report_section("run", rank=50)
def matrices_section(run: RunContext) -> list[Section]:
    return [Section("Matrices", [image_or_note(run.run_dir / "matrices.png", "matrices")])]


@report_section("run", rank=60)
def class_health_section(run: RunContext) -> list[Section]:
    return [Section("Class health", csv_table_or_note(run.run_dir / "class_health.csv", "class_health"))]


@report_section("run", rank=70)
def overlapping_classes_section(run: RunContext) -> list[Section]:
    return [Section("Overlapping classes", csv_table_or_note(run.run_dir / "overlapping_classes.csv", "overlapping",
                                                             max_rows=run.top_k))]
