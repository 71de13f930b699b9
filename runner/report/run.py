"""The report of one run: ``report.html`` (and, for image data, ``flagged_examples.png``).

Built only from what the run left on disk (resolved_config.yaml, metrics.json,
label_issues.csv, the matrices, class_health.csv, ...), so it can be rebuilt at any time, for
old runs too; a section whose file is missing says so. The sections are
runner.report.sections' (``report_section("run", ...)``); label_issues.csv's ``index`` is
the example's row in the original dataset.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from runner.core.io import atomic_write_bytes, atomic_write_text
from runner.core.layout import FLAGGED_FIGURE, REPORT, read_json, read_yaml
from runner.experiment.titles import run_title
from runner.report.context import RunContext
from runner.report.examples import load_examples
from runner.report.figures import flagged_examples_png
from runner.report.html import image, note, page, piece
from runner.report.sections import sections_of

__all__ = ["DEFAULT_TOP_K", "write_run_report"]

logger = logging.getLogger("runner.report")

DEFAULT_TOP_K = 50
FIGURE_MAX_EXAMPLES = 40  # the grid of flagged_examples.png: 5 rows of 8


def write_run_report(run_dir: str | Path, *, top_k: int | None = None, on_error: str = "raise") -> Path | None:
    """Write report.html (and flagged_examples.png for image data) into ``run_dir``.

    ``top_k``: flagged examples listed (default: the run's ``report.top_k``, else 50).
    ``on_error="warn"`` logs a failure instead of raising (the job hook: a report must never
    fail a job whose results are on disk; ``python -m runner.report`` rebuilds it).
    """
    if on_error not in ("raise", "warn"):
        raise ValueError(f"on_error must be 'raise' or 'warn'; got {on_error!r}")
    try:
        return _write_run_report(Path(run_dir), top_k)
    except Exception as error:
        if on_error == "raise":
            raise
        logger.warning("could not write the report of %s: %s: %s", run_dir, type(error).__name__, error)
        return None


def _write_run_report(run_dir: Path, top_k: int | None) -> Path:
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run_dir {str(run_dir)!r} is not a directory")
    issues_path = run_dir / "label_issues.csv"
    if not issues_path.is_file():
        raise FileNotFoundError(f"{issues_path} does not exist: not a finished run's dir")
    cfg = read_yaml(run_dir / "resolved_config.yaml") or {}
    metrics = read_json(run_dir / "metrics.json") or {}
    top_k = _top_k(cfg, top_k)
    issues = pd.read_csv(issues_path)
    has_truth = "is_true_error" in issues.columns
    # Worst first: lowest label quality; a stable sort keeps ties in file order.
    flagged = issues[issues["is_label_issue"].astype(bool)].sort_values("label_quality", kind="stable")
    examples, examples_note = load_examples(cfg)
    title = run_title(cfg) if cfg else run_dir.name
    figure = ""
    if examples is not None and examples.kind == "image":
        shown = flagged.head(min(top_k, FIGURE_MAX_EXAMPLES))
        grid = flagged_examples_png(
            examples.values[shown["index"].to_numpy()],
            [f"#{i}: {g} -> {s}" for i, g, s in zip(shown["index"], shown["given_label"], shown["predicted_label"],
                                                   strict=True)],
            shown["is_true_error"].astype(bool).tolist() if has_truth else [None] * len(shown),
            title=f"{title}\nworst {len(shown)} flagged (given -> suggested)"
                  + ("; red outline = true error" if has_truth else ""),
        )
        atomic_write_bytes(run_dir / FLAGGED_FIGURE, grid)
        figure = image(run_dir / FLAGGED_FIGURE, "flagged examples", css="figure grid")

    run = RunContext(run_dir, cfg, metrics, issues, flagged, examples, examples_note, top_k, has_truth, figure)
    sections = [part for section in sections_of("run") for part in section.render(run)]
    path = run_dir / REPORT
    atomic_write_text(path, page(title, [_result_line(run_dir, metrics)], sections))
    return path


def _top_k(cfg: Mapping, top_k: int | None) -> int:
    if top_k is None:
        top_k = ((cfg.get("report") or {}).get("top_k")) or DEFAULT_TOP_K
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k must be an int >= 1; got {top_k!r}")
    return top_k


def _result_line(run_dir: Path, metrics: Mapping):
    """The run's own "result:" log line; for runs without a log, one built from the metrics."""
    line = None
    log_path = run_dir / "runner.log"
    if log_path.is_file():
        for text in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if " - result: " in text:
                line = text.split(" - result: ", 1)[1]
    if line is None and metrics:
        parts = [f"{metrics.get('n_label_issues')} issues in {metrics.get('n_examples')} examples"]
        parts += [f"{name.removeprefix('issue_')} {metrics[name]:.3f}"
                  for name in ("issue_precision", "issue_recall", "issue_f1", "issue_auprc") if name in metrics]
        if "test_accuracy_baseline" in metrics and "test_accuracy_cleanlearning" in metrics:
            parts.append(f"test accuracy {metrics['test_accuracy_baseline']:.4f} -> "
                         f"{metrics['test_accuracy_cleanlearning']:.4f}")
        line = "; ".join(parts)
    if line is None:
        return note("No metrics.json in this dir.")
    return piece("result_line", line)
