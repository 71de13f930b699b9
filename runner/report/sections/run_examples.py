"""Run report: the flagged examples worst first, and the true errors the run missed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from runner.report.context import RunContext
from runner.report.examples import Examples, example_cell
from runner.report.html import Row, Section, cell, note, table
from runner.report.sections import report_section


@report_section("run", rank=30)
def flagged_section(run: RunContext) -> list[Section]:
    shown = min(run.top_k, len(run.flagged))
    source = (f" Examples: {run.examples.source}." if run.examples is not None else f" {run.examples_note}.")
    parts = [note("Sorted by label quality (lower = more likely wrong). Click a column to sort." + source)]
    if run.figure:
        parts.append(run.figure)
    parts.append(examples_table(run.flagged.head(run.top_k), run.examples, run.has_truth, "flagged",
                                _id_column(run)))
    return [Section(f"Flagged examples, worst first ({shown} of {len(run.flagged)})", parts)]


@report_section("run", rank=40)
def missed_section(run: RunContext) -> list[Section]:
    if not run.has_truth:
        return [Section("True errors missed", [note("The true labels are not known for this run.")])]
    issues = run.issues
    missed = issues[issues["is_true_error"].astype(bool) & ~issues["is_label_issue"].astype(bool)]
    missed = missed.sort_values("label_quality", kind="stable")
    n_true = int(issues["is_true_error"].astype(bool).sum())
    heading = f"True errors missed ({len(missed)} of {n_true} not flagged; {min(run.top_k, len(missed))} shown)"
    return [Section(heading, [examples_table(missed.head(run.top_k), run.examples, run.has_truth, "missed",
                                             _id_column(run))])]


def _id_column(run: RunContext) -> str | None:
    """The label_issues.csv column of ``dataset.id_column`` (a table's ids), when there is one."""
    name = (run.cfg.get("dataset") or {}).get("id_column")
    return str(name) if name is not None and str(name) in run.issues.columns else None


def examples_table(rows: pd.DataFrame, examples: Examples | None, has_truth: bool, table_id: str,
                   id_column: str | None = None):
    if rows.empty:
        return note("None.")
    header = ["rank", "index"] + ([id_column] if id_column else []) + ["given", "suggested", "label quality"]
    if has_truth:
        header += ["true label", "detection"]
    header.append("example")
    image_range = None
    if examples is not None and examples.kind == "image":
        values = np.asarray(examples.values)
        image_range = (float(values.min()), float(values.max()))
    lines = []
    for rank, row in enumerate(rows.itertuples(index=False), start=1):
        css = ""
        cells = [cell(rank, "num"), cell(row.index, "num")]
        if id_column:
            cells.append(cell(rows[id_column].iloc[rank - 1]))
        cells += [cell(row.given_label), cell(row.predicted_label),
                  cell(f"{row.label_quality:.3g}", "num", sort=repr(row.label_quality))]
        if has_truth:
            is_error = bool(row.is_true_error)
            css = "true-error" if is_error else "false-detection"
            if not row.is_label_issue:
                css, verdict = "missed", "missed"
            else:
                verdict = "true error" if is_error else "false detection"
            cells += [cell(row.true_label), cell(verdict, "detection")]
        cells.append(cell(example_cell(examples, int(row.index), image_range)))
        lines.append(Row(cells, css))
    return table(table_id, header, lines)
