"""The sweep summary kept up to date after each job at a cost that does not grow with the sweep.

Rebuilding summary.* from every job dir after every job (runner.results.summarize) costs
O(finished jobs) per job, O(N^2) per sweep, and its statistics, tables and figures are most of
it. Instead, after each job:

1. its row is read from its own dir only (:func:`runner.results.summarize.read_job`) and
   appended to ``.summary_rows.jsonl`` in the sweep dir;
2. ``summary.csv`` and ``summary.md`` get that row appended, one line each, when its columns
   fit the header already written (a failed job's missing metrics are empty cells). When it
   brings a new column (the first job, the first failure and its ``error``), both files are
   rewritten from the rows file: that happens a bounded number of times per sweep, not per job.

Everything happens under the sweep's summary lock (``.summary.lock``, the one
runner.results.summarize takes), so parallel launchers append whole rows. When the last job
of the sweep has ended (the count of rows reaches the planned number of jobs recorded by
runner.sweep.progress; Hydra's end-of-sweep hook does not come when a job failed), the whole
summary is rebuilt once from the job dirs by runner.results.summarize, with its statistics,
tables and figures: the final files are those ``python -m runner.summarize SWEEP_DIR`` writes,
byte for byte. The interim summary.csv lists the finished jobs in the order they ended.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from runner.core.io import atomic_write_json, atomic_write_text, locked, remove_orphaned_temporaries
from runner.core.layout import read_json

__all__ = ["ROWS_FILE", "STATE_FILE", "append_row", "mark_final", "recorded_statuses", "reset_rows"]

ROWS_FILE = ".summary_rows.jsonl"
STATE_FILE = ".summary_state.json"  # {"rows": n, "columns": header of summary.csv, "final": bool}
LOCK_NAME = ".summary.lock"  # runner.results.summarize's lock: one writer of summary.* at a time


def reset_rows(sweep_dir: Path) -> None:
    """Start of a sweep (or of its resumption): no row recorded yet."""
    sweep_dir.mkdir(parents=True, exist_ok=True)
    with locked(sweep_dir / LOCK_NAME):
        (sweep_dir / ROWS_FILE).unlink(missing_ok=True)
        remove_orphaned_temporaries(sweep_dir / STATE_FILE)  # of a sweep killed while writing it
        atomic_write_json(sweep_dir / STATE_FILE, {"rows": 0, "columns": [], "final": False})


def append_row(sweep_dir: Path, job_dir: Path) -> tuple[dict, int]:
    """Record the row of ``job_dir`` (see module); returns (the row, rows recorded so far)."""
    from runner.results.summarize import read_job

    row = _plain(read_job(job_dir))
    with locked(sweep_dir / LOCK_NAME):
        state = read_json(sweep_dir / STATE_FILE, unreadable="none") or {"rows": 0, "columns": [], "final": False}
        with open(sweep_dir / ROWS_FILE, "a", encoding="utf-8") as rows:
            rows.write(json.dumps(row) + "\n")
        columns = _columns(state["columns"], row)
        if state["rows"] and columns == state["columns"]:
            _append_lines(sweep_dir, columns, row)
        else:  # a new column: rewrite both files from the rows (bounded times per sweep)
            _rewrite(sweep_dir, columns)
        state = {"rows": state["rows"] + 1, "columns": columns, "final": False}
        atomic_write_json(sweep_dir / STATE_FILE, state)
    return row, state["rows"]


def mark_final(sweep_dir: Path) -> bool:
    """Record that the final summary is being built; False when it already was (by another job
    process, or before Hydra's end-of-sweep hook)."""
    if not sweep_dir.is_dir():
        return True  # nothing recorded: let the summary say what is wrong
    with locked(sweep_dir / LOCK_NAME):
        state = read_json(sweep_dir / STATE_FILE, unreadable="none") or {"rows": 0, "columns": [], "final": False}
        if state.get("final"):
            return False
        atomic_write_json(sweep_dir / STATE_FILE, {**state, "final": True})
    return True


def recorded_statuses(sweep_dir: Path) -> dict[str, str]:
    """{job dir name: status} of the rows recorded since the sweep (or its resumption) started:
    what the end lines count, without reading every job dir again."""
    try:
        lines = (sweep_dir / ROWS_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    statuses = {}
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:  # a line cut short by a kill: that job is counted from its dir
            return {}
        statuses[str(row.get("dir"))] = str(row.get("status"))
    return statuses


# ---------------------------------------------------------------------------------------


def _columns(header: list[str], row: dict) -> list[str]:
    """The header with the row's new keys in summary.csv's layout: job, dir, overrides...,
    status, metrics (timings last), error. A key the header has keeps its place."""
    if set(row) <= set(header):
        return header
    keys = list(row)
    status = keys.index("status")
    overrides = [k for k in keys[:status] if k not in ("job", "dir")]
    metrics = [k for k in keys[status + 1:] if k != "error"]
    old_overrides = header[2:header.index("status")] if "status" in header else []
    old_metrics = [k for k in header[header.index("status") + 1:] if k != "error"] if "status" in header else []
    merged_overrides = old_overrides + [k for k in overrides if k not in old_overrides]
    merged_metrics = old_metrics + [k for k in metrics if k not in old_metrics]
    merged_metrics.sort(key=lambda name: name.endswith("_seconds"))
    error = ["error"] if "error" in header or "error" in row else []
    return ["job", "dir", *merged_overrides, "status", *merged_metrics, *error]


def _append_lines(sweep_dir: Path, columns: list[str], row: dict) -> None:
    with open(sweep_dir / "summary.csv", "a", encoding="utf-8", newline="") as handle:
        handle.write(_csv_line(columns, row))
    with open(sweep_dir / "summary.md", "a", encoding="utf-8") as handle:
        handle.write(_md_line(columns, row))


def _rewrite(sweep_dir: Path, columns: list[str]) -> None:
    rows = [json.loads(line) for line in (sweep_dir / ROWS_FILE).read_text(encoding="utf-8").splitlines() if line]
    atomic_write_text(sweep_dir / "summary.csv", _csv_line(columns, dict(zip(columns, columns, strict=True)))
                      + "".join(_csv_line(columns, row) for row in rows))
    header = "| " + " | ".join(columns) + " |\n" + "|" + "|".join("---" for _ in columns) + "|\n"
    atomic_write_text(sweep_dir / "summary.md", header + "".join(_md_line(columns, row) for row in rows))


def _csv_line(columns: list[str], row: dict) -> str:
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(["" if row.get(c) is None else row[c] for c in columns])
    return buffer.getvalue()


def _md_line(columns: list[str], row: dict) -> str:
    return "| " + " | ".join(_cell(row.get(c)) for c in columns) + " |\n"


def _cell(value) -> str:
    """As runner.results.summarize writes summary.md's cells."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _plain(row: dict) -> dict:
    """JSON-safe values (numpy scalars from metrics become Python ones; NaN becomes None)."""
    plain = {}
    for key, value in row.items():
        if hasattr(value, "item"):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        plain[key] = value
    return plain
