"""Sweep report: results.csv as a person reads it, comparisons.csv, and the sweep's figures."""

from __future__ import annotations

import pandas as pd

from runner.report.context import SweepContext
from runner.report.html import (
    Row,
    Section,
    cell,
    csv_table_or_note,
    format_value,
    image_or_note,
    is_number,
    note,
    table,
)
from runner.report.sections import report_section
from runner.scoring.metrics import ordered

COUNTS = ("n_examples", "n_classes", "n_test_examples")  # the same in every group: not in the results table


@report_section("sweep", rank=10)
def results_section(sweep: SweepContext) -> list[Section]:
    """Groups, counts, and "mean ± CI half-width" per metric (the registry's metrics, in its order)."""
    path = sweep.sweep_dir / "results.csv"
    if not path.is_file():
        return [Section("Results", [note(f"No {path.name} in this sweep (written by the results step of "
                                         "runner.results.summarize).")])]
    results = pd.read_csv(path)
    metrics = [m.name for m in ordered() if f"{m.name}_mean" in results.columns and m.name not in COUNTS]
    derived = {f"{m}{suffix}" for m in results.columns.str.removesuffix("_mean")
               for suffix in ("_mean", "_std", "_ci95_low", "_ci95_high")}
    plain = [c for c in results.columns if c not in derived and not c.endswith("_seconds")]
    rows = []
    for _, row in results.iterrows():
        cells = [cell(row[c]) for c in plain]
        for metric in metrics:
            mean, low, high = (row.get(f"{metric}{s}") for s in ("_mean", "_ci95_low", "_ci95_high"))
            text = format_value(mean)
            if is_number(low) and is_number(high):
                text += f" ± {(high - low) / 2:.3g}"
            cells.append(cell(text, "num", sort=format_value(mean)))
        rows.append(Row(cells))
    return [Section("Results", [
        note("mean ± half-width of the 95% confidence interval over the replicates (every metric and the "
             "timings: results.csv)."),
        table("results", plain + metrics, rows),
    ])]


@report_section("sweep", rank=20)
def comparisons_section(sweep: SweepContext) -> list[Section]:
    return [Section("Comparisons", csv_table_or_note(
        sweep.sweep_dir / "comparisons.csv", "comparisons",
        missing="No comparisons.csv in this sweep (written by the results step of runner.results.summarize)."))]


@report_section("sweep", rank=30)
def figures_section(sweep: SweepContext) -> list[Section]:
    cd = sweep.sweep_dir / "cd.png"  # the critical-difference diagram (ranks.md), with 3+ methods
    return [Section("Figures", [image_or_note(sweep.sweep_dir / "results.png", "results"),
                                *([image_or_note(cd, "cd")] if cd.is_file() else []),
                                image_or_note(sweep.sweep_dir / "summary.png", "summary")])]
