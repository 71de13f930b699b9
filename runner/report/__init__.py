"""HTML reports of a run and of a sweep, built from the files on disk.

``write_run_report(run_dir)`` (runner.report.run) writes a run's ``report.html``;
``write_sweep_report(sweep_dir)`` (runner.report.sweep) a sweep's. ``python -m runner.report
DIR`` rebuilds them at any time, for old runs too.

A report is one self-contained file: inline CSS, images embedded as base64 data URIs, a few
lines of plain JavaScript to sort tables, nothing fetched from the network. It opens from disk
in any browser. The page is written from template files (``templates/``, Jinja2); each
section is a module of ``runner.report.sections`` that registers itself.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from runner.core.layout import DONE, job_dirs
from runner.report.examples import load_examples
from runner.report.run import DEFAULT_TOP_K, write_run_report
from runner.report.sweep import write_sweep_report

__all__ = ["DEFAULT_TOP_K", "load_examples", "main", "write_run_report", "write_sweep_report"]

logger = logging.getLogger(__name__)


def _is_run_dir(path: Path) -> bool:
    return (path / "label_issues.csv").is_file() or (path / "resolved_config.yaml").is_file()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m runner.report",
        description="(Re)build report.html of a run dir, or of a sweep dir and each of its finished jobs.",
    )
    parser.add_argument("dir", type=Path, help="a run's output dir, or a sweep's (hydra.sweep.dir)")
    parser.add_argument("--top-k", type=int, default=None,
                        help="flagged examples listed per run (default: the run's report.top_k, else 50)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(name)s][%(levelname)s] - %(message)s")
    if not args.dir.is_dir():
        parser.error(f"dir {str(args.dir)!r} is not a directory")
    if args.top_k is not None and args.top_k < 1:
        parser.error(f"--top-k must be >= 1; got {args.top_k}")
    try:
        if _is_run_dir(args.dir):
            logger.info("wrote %s", write_run_report(args.dir, top_k=args.top_k))
            return 0
        for job_dir in job_dirs(args.dir):
            if (job_dir / DONE).is_file() and (job_dir / "label_issues.csv").is_file():
                write_run_report(job_dir, top_k=args.top_k)
        logger.info("wrote %s", write_sweep_report(args.dir))
    except (OSError, ValueError) as error:  # a dir that is not a finished run: one line
        parser.exit(1, f"{parser.prog}: error: {error}\n")
    return 0
