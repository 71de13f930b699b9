"""Sweep summaries built from what is on disk: summary.*, results.*, comparisons.*, table.*.

``summarize(sweep_dir)`` reads every job dir of a sweep (.hydra/overrides.yaml,
status.json, metrics.json), so it can run at any time: after each job, at the end of the
sweep, or by hand (``python -m runner.summarize SWEEP_DIR``) on a sweep that was killed.
summary.csv has one row per job: job number, dir, the override values, status, every metric,
the error. From it runner.results computes the groups of replicates (results.*), the paired
comparisons (comparisons.*), the paper table (table.*) and results.png, as the ``summary.*``
settings say (the sweep's multirun.yaml, or given on the command line).
``summarize_sweeps(dirs, out_dir)`` merges several sweeps into one set of files.

Status: "ok" (DONE marker present), "failed" or "interrupted" (status.json says so),
"incomplete" (no status yet, or killed before the marker: running, killed, or never started),
"not run" (a planned job of the sweep that has no dir yet, :data:`PLANNED_JOBS`).

Parallel launchers call this from several processes at once; a lock file serialises the
read-and-write, so the last summary written was read after every job before it finished.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from runner.core.io import atomic_write_csv, atomic_write_text, locked
from runner.core.layout import DONE, is_sweep_dir, job_dirs, read_json, read_yaml
from runner.results.rendering import finish_rendering
from runner.results.settings import RESULT_FILES, SummarySettings, summary_columns
from runner.results.tables import write_results
from runner.scoring.metrics import without_held_out

__all__ = ["summarize", "summarize_sweeps", "sweep_settings", "read_job", "job_dirs", "SUMMARY_FILES"]

logger = logging.getLogger(__name__)

SUMMARY_FILES = ("summary.csv", "summary.md", "summary.png", "summary.pdf")
# A grid sweep's planned jobs (runner.sweep.progress writes it at the start): those without a
# dir yet are listed with status NOT_RUN (after an interrupt, the summary shows every job).
PLANNED_JOBS, NOT_RUN = ".planned_jobs.json", "not run"
LOCK_NAME = ".summary.lock"
# Bar-chart panels of summary.png: (title, metrics drawn side by side for each job).
PANELS = (
    ("test accuracy", ("test_accuracy_baseline", "test_accuracy_cleanlearning")),
    ("label-issue detection", ("issue_precision", "issue_recall", "issue_f1", "issue_auprc")),
)


def summarize(
    sweep_dir: str | Path,
    write: bool = True,
    plot: bool | None = True,
    settings: SummarySettings | None = None,
) -> pd.DataFrame:
    """One row per job dir of ``sweep_dir``; with ``write``, also every summary and result file.

    ``plot=False`` skips summary.png and results.png (most of the cost), ``None`` draws them
    only when some job has failed (see SweepSummaryCallback). ``settings``: the summary.*
    config; None reads it from the sweep's multirun.yaml (defaults without one).
    """
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise FileNotFoundError(f"sweep_dir {str(sweep_dir)!r} is not a directory")
    if not write:
        return _summary_frame(sweep_dir)
    with locked(sweep_dir / LOCK_NAME):
        _remove_orphans(sweep_dir)
        frame = _summary_frame(sweep_dir)
        _write_all(sweep_dir, frame, settings or sweep_settings(sweep_dir), plot)
        finish_rendering()  # figures handed to a helper process: written before the lock is let go
    return frame


def summarize_sweeps(
    sweep_dirs: list[str | Path],
    out_dir: str | Path,
    settings: SummarySettings | None = None,
    plot: bool = True,
) -> pd.DataFrame:
    """Merge several sweeps (e.g. more seeds, or another dataset) into one set of files in ``out_dir``.

    ``dir`` holds each job dir's path. An override set in some sweeps only gets its value in
    the others from the job's own config (a default dataset becomes ``dataset=digits``).
    """
    sweep_dirs = [Path(d) for d in sweep_dirs]
    for sweep_dir in sweep_dirs:
        if not sweep_dir.is_dir():
            raise FileNotFoundError(f"sweep_dir {str(sweep_dir)!r} is not a directory")
    frames, paths, override_columns = [], [], []
    for sweep_dir in sweep_dirs:
        frame = _summary_frame(sweep_dir)
        override_columns += [c for c in summary_columns(frame) if c not in override_columns]
        paths += [sweep_dir / name for name in frame["dir"]]
        frame["dir"] = [str(sweep_dir / name) for name in frame["dir"]]
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    frame = _order_columns(frame, override_columns)
    frame = _fill_missing_overrides(frame, override_columns, paths)
    # the same number typed (or filled in) two ways, 0 and 0.0, is one value of an axis
    for column in override_columns:
        frame[column] = frame[column].map(_canonical_number)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with locked(out_dir / LOCK_NAME):
        _remove_orphans(out_dir)
        _write_all(out_dir, frame, settings or sweep_settings(sweep_dirs[0]), plot)
        finish_rendering()
    return frame


def sweep_settings(sweep_dir: str | Path) -> SummarySettings:
    """The summary.* settings of a sweep, from its multirun.yaml (defaults when absent)."""
    config = read_yaml(Path(sweep_dir) / "multirun.yaml") or {}
    return SummarySettings.from_config(config.get("summary"))


def _write_all(out_dir: Path, frame: pd.DataFrame, settings: SummarySettings, plot) -> None:
    atomic_write_csv(out_dir / "summary.csv", frame)
    atomic_write_text(out_dir / "summary.md", _markdown_table(frame))
    if plot is None:
        plot = bool((frame["status"] == "failed").any()) if "status" in frame else False
    if plot:
        _plot_summary(frame, out_dir / "summary.png")
    write_results(out_dir, frame, settings, plot=plot)


def _remove_orphans(out_dir: Path) -> None:
    """Holding the lock, any temporary summary file is an orphan of a killed writer."""
    # figures of earlier versions (runner.statistics.save_figure) named their temporaries .NAME.XXXX
    figures = (".summary.p??.*", ".results.p??.*", ".cd.p??.*", ".cd_*.p??.*")
    for pattern in (".summary.*.tmp", *(f".{name}.*.tmp" for name in RESULT_FILES), *figures):
        for leftover in out_dir.glob(pattern):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def read_job(job_dir: Path) -> dict[str, object]:
    """Job number, override values, status, metrics and error of one job dir, flat."""
    job_dir = Path(job_dir)
    hydra_dir = job_dir / ".hydra"
    overrides = read_yaml(hydra_dir / "overrides.yaml") or []
    status = read_json(job_dir / "status.json", unreadable="warn") or {}
    metrics = read_json(job_dir / "metrics.json", unreadable="warn") or {}

    state = status.get("status", "incomplete")
    if state == "ok" and not (job_dir / DONE).is_file():
        state = "incomplete"  # killed between status.json and the marker
    row: dict[str, object] = {"job": _job_number(job_dir), "dir": job_dir.name}
    row.update(_parse_overrides(overrides))
    row["status"] = state
    if state == "ok":
        if _job_meta(job_dir)[1] is not None:  # a search's job: never a test metric (registry)
            metrics = without_held_out(metrics)
        row.update(_flatten(metrics))
        row.update(_cache_state(job_dir / "runner.log"))
    if state == "failed":
        row["error"] = str(status.get("error", "")).splitlines()[0] if status.get("error") else ""
    return row


# ---------------------------------------------------------------------------------------
# building the table


def _summary_frame(sweep_dir: Path) -> pd.DataFrame:
    # A search's runs of its best configuration (final/: the only ones that score the test
    # set) are reported in best.yaml, never beside the trials (hydra_plugins' _final).
    dirs = [job_dir for job_dir in job_dirs(sweep_dir) if _job_meta(job_dir)[1] in (None, "trial")]
    rows = [read_job(job_dir) for job_dir in dirs]
    rows += _not_run(sweep_dir, {str(row["dir"]) for row in rows})
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=["job", "dir", "status"])
    columns = list(frame.columns)
    override_columns = summary_columns(frame)
    if "dataset" in override_columns and "noise" not in override_columns:
        # A dataset option may choose its own noise default (csv, parquet and precomputed:
        # noise=none), so a sweep over datasets changes the noise between jobs: show it.
        noise = [_config_value(job_dir, "noise") for job_dir in dirs]
        if len(set(noise)) > 1:
            frame.insert(columns.index("status"), "noise", noise)
            override_columns = [*override_columns, "noise"]
    frame = _order_columns(frame, override_columns)
    # Job dirs are named by their overrides (runner.sweep.check): list the jobs in launch
    # order, by job number (after an extension, numbers may repeat: then by dir).
    return frame.sort_values(["job", "dir"], na_position="last", kind="stable").reset_index(drop=True)


def _not_run(sweep_dir: Path, present: set[str]) -> list[dict[str, object]]:
    """Rows of the planned jobs (written by runner.sweep.progress) that have no dir yet."""
    from runner.core.layout import job_dir_name

    planned = read_json(sweep_dir / PLANNED_JOBS, unreadable="none") or []
    rows = []
    for overrides in planned:
        name = job_dir_name(overrides)
        if name not in present:
            rows.append({"job": None, "dir": name, **_parse_overrides(overrides), "status": NOT_RUN})
    return rows


def _order_columns(frame: pd.DataFrame, override_columns: list[str]) -> pd.DataFrame:
    """job, dir, overrides..., status, metrics (timings last), error."""
    head = ["job", "dir"]
    metric_columns = [c for c in frame.columns if c not in (*head, *override_columns, "status", "error")]
    metric_columns.sort(key=lambda name: name.endswith("_seconds"))
    tail = ["error"] if "error" in frame.columns else []
    frame = frame[head + override_columns + ["status"] + metric_columns + tail]
    frame["job"] = frame["job"].astype("Int64")
    return frame.reset_index(drop=True)


def _fill_missing_overrides(frame: pd.DataFrame, override_columns: list[str], paths: list[Path]) -> pd.DataFrame:
    """An override key missing from some jobs (merged sweeps): its value from the job's config.

    Group choices (dataset=digits) come from .hydra/hydra.yaml, other keys from .hydra/config.yaml.
    """
    for column in override_columns:
        for row in np.flatnonzero(frame[column].isna().to_numpy()):
            value = _config_value(paths[row], column)
            if value is not None:
                frame.loc[row, column] = value
    return frame


def _canonical_number(value):
    """'0.0' -> '0', '0.40' -> '0.4', '1e-3' -> '0.001'; anything else unchanged."""
    if not isinstance(value, str) or not value or not all(c in "0123456789.eE+-" for c in value):
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    if not math.isfinite(number):
        return value
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def _config_value(job_dir: Path, key: str) -> str | None:
    hydra_cfg = read_yaml(job_dir / ".hydra" / "hydra.yaml") or {}
    with contextlib.suppress(AttributeError, KeyError, TypeError):
        choice = hydra_cfg["hydra"]["runtime"]["choices"][key]
        return None if choice is None else str(choice)
    node = read_yaml(job_dir / ".hydra" / "config.yaml") or {}
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return None if node is None or isinstance(node, (dict, list)) else str(node)


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


def _cache_state(log: Path) -> dict[str, int]:
    """cache_hits / cache_misses: the cache reads and fills of a job, from its runner.log (the
    "cache hit:" / "cache miss:" lines of runner.core.cache); nothing without a log."""
    try:
        stat = log.stat()
    except FileNotFoundError:
        return {}
    return _cache_state_in(str(log), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=65536)
def _cache_state_in(path: str, mtime_ns: int, size: int) -> dict[str, int]:
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return {"cache_hits": text.count("][INFO] - cache hit: "), "cache_misses": text.count("][INFO] - cache miss: ")}


def _job_number(job_dir: Path) -> int | None:
    number = _job_meta(job_dir)[0]
    if number is not None:
        return number
    with contextlib.suppress(ValueError):
        return int(job_dir.name)
    return None


def _job_meta(job_dir: Path) -> tuple[int | None, str | None]:
    """(hydra.job.num, hydra.sweeper.search_role) of a job dir; (None, None) without hydra.yaml."""
    path = Path(job_dir) / ".hydra" / "hydra.yaml"
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None, None
    return _job_meta_in(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=65536)
def _job_meta_in(path: str, mtime_ns: int, size: int) -> tuple[int | None, str | None]:
    """hydra.job.num and hydra.sweeper.search_role of a hydra.yaml, cached by file version: the
    summary after every job of a sweep reads every job's (the largest file of a job dir), and
    finished jobs never change."""
    hydra_cfg = read_yaml(Path(path))
    number = role = None
    with contextlib.suppress(AttributeError, KeyError, TypeError, ValueError):
        number = int(hydra_cfg["hydra"]["job"]["num"])
    with contextlib.suppress(AttributeError, KeyError, TypeError):
        role = hydra_cfg["hydra"]["sweeper"].get("search_role")
    return number, role


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
    """Per-job bars, drawn by runner.results.figures.plot_summary (PDF and 200 dpi PNG)."""
    from runner.results.figures import plot_summary, render_figure

    render_figure(functools.partial(plot_summary, frame), path.with_suffix(""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m runner.summarize",
        description="Rebuild summary.*, results.*, comparisons.*, table.* and the figures of one "
        "sweep from its job dirs (into the sweep dir), or merge several sweeps (into --out). "
        "summary.KEY=VALUE arguments override the sweep's summary settings, e.g. "
        "summary.replicate_by=seed summary.compare_metric=issue_auroc summary.method_axes=[classifier].",
    )
    parser.add_argument("sweep_dir", type=str, nargs="+",
                        help="sweep output dir(s) (hydra.sweep.dir), and summary.KEY=VALUE settings")
    parser.add_argument("--out", type=Path, default=None,
                        help="output dir (required with several sweep dirs; default: the sweep dir)")
    args = parser.parse_intermixed_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(name)s][%(levelname)s] - %(message)s")
    overrides = [a for a in args.sweep_dir if "=" in a and a.startswith("summary.")]
    sweep_dirs = [Path(a) for a in args.sweep_dir if a not in overrides]
    if not sweep_dirs:
        parser.error("give at least one sweep dir")
    for sweep_dir in sweep_dirs:
        if not sweep_dir.is_dir():
            parser.error(f"sweep_dir {str(sweep_dir)!r} is not a directory")
        if not is_sweep_dir(sweep_dir):
            parser.error(f"sweep_dir {str(sweep_dir)!r} is not a sweep's dir (no multirun.yaml, no job dir "
                         "with .hydra/overrides.yaml); a single run's results are in its metrics.json")
    if len(sweep_dirs) > 1 and args.out is None:
        parser.error(f"--out is required to merge {len(sweep_dirs)} sweep dirs")
    try:
        settings = _settings_with(sweep_settings(sweep_dirs[0]), overrides)
    except ValueError as error:
        parser.error(str(error))
    out_dir = args.out or sweep_dirs[0]
    if len(sweep_dirs) == 1 and out_dir.resolve() == sweep_dirs[0].resolve():
        frame = summarize(sweep_dirs[0], settings=settings)
    else:
        frame = summarize_sweeps(sweep_dirs, out_dir, settings=settings)
    counts = frame["status"].value_counts().to_dict() if len(frame) else {}
    logger.info("summary of %d job(s) %s written to %s", len(frame), counts, out_dir)
    return 0


def _settings_with(settings: SummarySettings, overrides: list[str]) -> SummarySettings:
    """Apply summary.KEY=VALUE (values in YAML: seed, [seed, fold], null) to ``settings``."""
    node = {"replicate_by": list(settings.replicate_by), "compare_metric": settings.compare_metric,
            "method_axes": None if settings.method_axes is None else list(settings.method_axes)}
    for override in overrides:
        key, _, value = override.partition("=")
        node[key.removeprefix("summary.")] = yaml.safe_load(value) if value else None
    return SummarySettings.from_config(node)


if __name__ == "__main__":
    raise SystemExit(main())
