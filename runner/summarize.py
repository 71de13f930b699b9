"""Sweep summaries built from what is on disk: summary.csv, summary.md and summary.png.

``summarize(sweep_dir)`` reads every job dir of a sweep (.hydra/overrides.yaml,
status.json, metrics.json), so it can run at any time: after each job, at the end of the
sweep, or by hand (``python -m runner.summarize SWEEP_DIR``) on a sweep that was killed.
One row per job: job number, dir, the override values, status, every metric, the error.

Status: "ok" (DONE marker present), "failed" (status.json says so), "incomplete" (no status
yet, or killed before the marker: running, killed, or never started its work).

Parallel launchers call this from several processes at once; a lock file serialises the
read-and-write, so the last summary written was read after every job before it finished.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import yaml

from runner.io import atomic_savefig, atomic_write_csv, atomic_write_text

__all__ = ["summarize", "read_job", "job_dirs", "SUMMARY_FILES"]

logger = logging.getLogger(__name__)

SUMMARY_FILES = ("summary.csv", "summary.md", "summary.png")
LOCK_NAME = ".summary.lock"
# Bar-chart panels of summary.png: (title, metrics drawn side by side for each job).
PANELS = (
    ("test accuracy", ("test_accuracy_baseline", "test_accuracy_cleanlearning")),
    ("label-issue detection", ("issue_precision", "issue_recall", "issue_f1", "issue_auprc")),
)


def summarize(sweep_dir: str | Path, write: bool = True, plot: bool | None = True) -> pd.DataFrame:
    """One row per job dir of ``sweep_dir``; with ``write``, also the three summary files.

    ``plot=False`` skips summary.png (a third of the cost), ``None`` draws it only when some
    job has failed (see SweepSummaryCallback).
    """
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise FileNotFoundError(f"sweep_dir {str(sweep_dir)!r} is not a directory")
    if not write:
        return _summary_frame(sweep_dir)
    with _locked(sweep_dir / LOCK_NAME):
        # Holding the lock, any temporary summary file is an orphan of a killed writer.
        for leftover in sweep_dir.glob(".summary.*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        frame = _summary_frame(sweep_dir)
        atomic_write_csv(sweep_dir / "summary.csv", frame)
        atomic_write_text(sweep_dir / "summary.md", _markdown_table(frame))
        if plot is None:
            plot = bool((frame["status"] == "failed").any()) if "status" in frame else False
        if plot:
            _plot_summary(frame, sweep_dir / "summary.png")
    return frame


def job_dirs(sweep_dir: Path) -> list[Path]:
    """The job dirs of a sweep: its visible subdirectories (.submitit/ and the like are not)."""
    return sorted(
        (path for path in Path(sweep_dir).iterdir() if path.is_dir() and not path.name.startswith(".")),
        key=_dir_sort_key,
    )


def read_job(job_dir: Path) -> dict[str, object]:
    """Job number, override values, status, metrics and error of one job dir, flat."""
    job_dir = Path(job_dir)
    hydra_dir = job_dir / ".hydra"
    overrides = _load_yaml(hydra_dir / "overrides.yaml") or []
    status = _load_json(job_dir / "status.json") or {}
    metrics = _load_json(job_dir / "metrics.json") or {}

    state = status.get("status", "incomplete")
    if state == "ok" and not (job_dir / "DONE").is_file():
        state = "incomplete"  # killed between status.json and the marker
    row: dict[str, object] = {"job": _job_number(job_dir), "dir": job_dir.name}
    row.update(_parse_overrides(overrides))
    row["status"] = state
    if state == "ok":
        row.update(_flatten(metrics))
    if state == "failed":
        row["error"] = str(status.get("error", "")).splitlines()[0] if status.get("error") else ""
    return row


# ---------------------------------------------------------------------------------------
# building the table


def _summary_frame(sweep_dir: Path) -> pd.DataFrame:
    rows = [read_job(job_dir) for job_dir in job_dirs(sweep_dir)]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=["job", "dir", "status"])
    # job, dir, overrides..., status, metrics (timings last), error
    columns = list(frame.columns)
    head = ["job", "dir"]
    override_columns = columns[2 : columns.index("status")]
    metric_columns = [c for c in columns if c not in (*head, *override_columns, "status", "error")]
    metric_columns.sort(key=lambda name: name.endswith("_seconds"))
    tail = ["error"] if "error" in columns else []
    frame = frame[head + override_columns + ["status"] + metric_columns + tail]
    frame["job"] = frame["job"].astype("Int64")
    return frame.reset_index(drop=True)


def _parse_overrides(overrides: list) -> dict[str, str]:
    """["noise.rate=0.1", "+foo=2", "~bar"] -> {"noise.rate": "0.1", "foo": "2", "bar": None}."""
    values = {}
    for override in overrides:
        key, separator, value = str(override).partition("=")
        values[key.lstrip("+~")] = value if separator else None
    return values


def _flatten(metrics: dict, prefix: str = "") -> dict[str, object]:
    flat = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, prefix=f"{name}."))
        else:
            flat[name] = value
    return flat


def _job_number(job_dir: Path) -> int | None:
    hydra_cfg = _load_yaml(job_dir / ".hydra" / "hydra.yaml")
    with contextlib.suppress(AttributeError, KeyError, TypeError, ValueError):
        return int(hydra_cfg["hydra"]["job"]["num"])
    with contextlib.suppress(ValueError):
        return int(job_dir.name)
    return None


def _dir_sort_key(path: Path) -> tuple:
    return (0, int(path.name), "") if path.name.isdigit() else (1, 0, path.name)


def _load_json(path: Path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None
    except ValueError as error:  # cannot happen with atomic writers; report, don't crash
        logger.warning("unreadable %s: %s", path, error)
        return None


def _load_yaml(path: Path):
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        return None


# ---------------------------------------------------------------------------------------
# writing


def _markdown_table(frame: pd.DataFrame) -> str:
    columns = list(frame.columns)
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(value) for value in row) + " |")
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _plot_summary(frame: pd.DataFrame, path: Path) -> None:
    """Per-job bars, drawn by runner.plots.plot_summary."""
    from runner.plots import plot_summary

    atomic_savefig(plot_summary(frame), path, dpi=100)


def _job_labels(frame: pd.DataFrame) -> list[str]:
    """'#3 rate=0.3' from the override columns whose values differ between jobs.

    Keys are shortened to their last part (filter_by=both) unless that would be ambiguous.
    """
    override_columns = list(frame.columns[2 : list(frame.columns).index("status")])
    varying = [c for c in override_columns if frame[c].astype(str).nunique() > 1]
    short_names = [c.rsplit(".", 1)[-1] for c in varying]
    if len(set(short_names)) < len(short_names):
        short_names = varying
    labels = []
    for _, row in frame.iterrows():
        job = "" if pd.isna(row["job"]) else f"#{row['job']}"
        parts = [f"{name}={row[column]}" for name, column in zip(short_names, varying, strict=True)]
        labels.append(" ".join([job, *parts]).strip() or str(row["dir"]))
    return labels


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """An exclusive advisory lock (POSIX flock); a no-op where fcntl does not exist."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(lock_path, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m runner.summarize",
        description="Rebuild summary.csv, summary.md and summary.png of a sweep from its job dirs.",
    )
    parser.add_argument("sweep_dir", type=Path, help="the sweep's output dir (hydra.sweep.dir)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(name)s][%(levelname)s] - %(message)s")
    if not args.sweep_dir.is_dir():
        parser.error(f"sweep_dir {str(args.sweep_dir)!r} is not a directory")
    from runner.sweep_check import is_sweep_dir

    if not is_sweep_dir(args.sweep_dir):
        parser.error(f"sweep_dir {str(args.sweep_dir)!r} is not a sweep's dir (no multirun.yaml, no job dir "
                     "with .hydra/overrides.yaml); a single run's results are in its metrics.json")
    frame = summarize(args.sweep_dir)
    counts = frame["status"].value_counts().to_dict() if len(frame) else {}
    logger.info("summary of %d job(s) %s written to %s", len(frame), counts, args.sweep_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
