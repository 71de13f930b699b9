"""HTML reports of a run and of a sweep, built from the files on disk.

``write_run_report(run_dir)`` writes ``report.html`` (and, for image data,
``flagged_examples.png``) into a run's dir; ``write_sweep_report(sweep_dir)`` writes a sweep's
``report.html``. Both read only what the run or the sweep left on disk (resolved_config.yaml,
metrics.json, label_issues.csv, the matrices, class_health.csv, ...), so
``python -m runner.report DIR`` rebuilds them at any time, for old runs too; a file an older
run does not have leaves its section out with a line saying so.

A report is one self-contained file: inline CSS, images embedded as base64 data URIs, a few
lines of plain JavaScript to sort tables, nothing fetched from the network. It opens from disk
in any browser.

The examples themselves (a thumbnail, the text, or the feature values) come from the dataset:
a config whose ``_target_`` builds a ``runner.datasets.Dataset`` gives ``examples`` and
``image_shape``; otherwise scikit-learn's bundled datasets and CSV files are read again.
label_issues.csv's ``index`` is the example's row in the original dataset.
"""

from __future__ import annotations

import argparse
import base64
import html
import itertools
import logging
import math
import struct
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from runner.core.io import atomic_write_bytes, atomic_write_text, png_bytes
from runner.core.layout import CONF_DIR, job_dirs, read_json, read_yaml
from runner.experiment.titles import run_title
from runner.report.figures import plot_flagged_examples
from runner.results.figures import job_label_names
from runner.results.settings import METHOD_GROUPS, summary_columns
from runner.scoring.metrics import ordered as ordered_metrics

__all__ = ["DEFAULT_TOP_K", "load_examples", "main", "write_run_report", "write_sweep_report"]

logger = logging.getLogger(__name__)

REPORT = "report.html"
FLAGGED_FIGURE = "flagged_examples.png"
DEFAULT_TOP_K = 50
FIGURE_MAX_EXAMPLES = 40  # the grid of flagged_examples.png: 5 rows of 8
MAX_FEATURES_SHOWN = 8
MAX_TEXT_CHARS = 300
COUNTS = ("n_examples", "n_classes", "n_test_examples")  # the same in every group: not in the results table

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em auto;max-width:1200px;
 padding:0 1em;color:#222}
h1{font-size:1.45em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ddd}
.result{font-family:ui-monospace,monospace;background:#f4f4f4;padding:.5em .8em;border-radius:4px}
.note{color:#666;font-size:.92em}.failed{color:#b00020}
table{border-collapse:collapse;margin:.5em 0;font-size:.92em}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:middle}
th{background:#f0f0f0}table.sortable th{cursor:pointer}table.sortable th:hover{background:#e4e4e4}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.true-error td.detection{color:#1a7f37;font-weight:600}tr.false-detection td.detection{color:#b00020}
.scroll{overflow-x:auto}nav a{color:#0b57d0}
img.thumb{width:36px;height:auto;image-rendering:pixelated;border:1px solid #ccc}
img.figure{max-width:100%;height:auto}img.grid{max-width:760px}
.features{font-family:ui-monospace,monospace;font-size:.85em}.text{max-width:40em}
"""

SORT_SCRIPT = """
document.querySelectorAll("table.sortable th").forEach(function (th) {
  th.addEventListener("click", function () {
    var body = th.closest("table").tBodies[0], col = th.cellIndex;
    var ascending = th.dataset.order !== "asc";
    th.dataset.order = ascending ? "asc" : "desc";
    function key(row) {
      var cell = row.cells[col], text = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent;
      var number = parseFloat(text);
      return isNaN(number) ? text : number;
    }
    Array.from(body.rows).sort(function (a, b) {
      var x = key(a), y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
    }).forEach(function (row) { body.appendChild(row); });
  });
});
"""


# ---------------------------------------------------------------------------------------
# The raw examples of a dataset


@dataclass(frozen=True)
class Examples:
    """The dataset's examples for display, indexable by original row number."""

    kind: str  # "image", "text" or "features"
    values: Any  # ndarray (N, h, w[, c]) for images, a sequence of str, or a DataFrame
    source: str  # where they came from, said in the report


def load_examples(cfg: Mapping) -> tuple[Examples | None, str]:
    """The examples of the run's dataset and a line saying where they come from (or why not)."""
    dataset = cfg.get("dataset") or {}
    if "_target_" not in dataset:  # a config from before datasets were _target_s: its option's loader
        option = read_yaml(CONF_DIR / "dataset" / f"{dataset.get('name')}.yaml") or {}
        if "_target_" not in option:
            return None, f"dataset={dataset.get('name')} names no loader (_target_): no examples to show"
        dataset = {**{k: v for k, v in option.items() if k != "defaults"}, **dataset}
    try:
        return _examples_from_dataset_type(dataset, int(cfg.get("seed") or 0))
    except Exception as error:  # noqa: BLE001 - the report says so and goes on without examples
        return None, f"the examples could not be loaded ({type(error).__name__}: {error})"


def _examples_from_dataset_type(dataset: Mapping, seed: int) -> tuple[Examples | None, str]:
    """A ``runner.datasets.Dataset`` built from the config, as the run built it (the loader
    gets the run's data seed): its examples, else its features."""
    from omegaconf import OmegaConf

    from runner.datasets.base import call_loader
    from runner.experiment.seeds import derive_seeds

    loaded = call_loader(OmegaConf.create(dict(dataset)), data_seed=derive_seeds(seed).data)
    examples = getattr(loaded, "examples", None)
    image_shape = getattr(loaded, "image_shape", None)
    target = dataset["_target_"]
    if examples is not None:
        if isinstance(examples, np.ndarray) and examples.ndim >= 3:
            return Examples("image", examples, f"{target} examples"), ""
        if image_shape:
            images = np.asarray(examples, dtype=float).reshape(len(examples), *image_shape)
            return Examples("image", images, f"{target} examples"), ""
        return Examples("text", [str(e) for e in examples], f"{target} examples"), ""
    features = getattr(loaded, "features", None)
    if features is None:
        return None, f"{target} gives neither examples nor features"
    if image_shape:
        images = np.asarray(features, dtype=float).reshape(len(features), *image_shape)
        return Examples("image", images, f"{target} features reshaped to {tuple(image_shape)}"), ""
    frame = features if isinstance(features, pd.DataFrame) else pd.DataFrame(
        np.asarray(features), columns=getattr(loaded, "feature_names", None))
    return Examples("features", frame, f"{target} feature values"), ""


# ---------------------------------------------------------------------------------------
# Run report


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
    figure_html = ""
    if examples is not None and examples.kind == "image":
        shown = flagged.head(min(top_k, FIGURE_MAX_EXAMPLES))
        figure = plot_flagged_examples(
            examples.values[shown["index"].to_numpy()],
            [f"#{i}: {g} -> {s}" for i, g, s in zip(shown["index"], shown["given_label"], shown["predicted_label"],
                                                   strict=True)],
            shown["is_true_error"].astype(bool).tolist() if has_truth else [None] * len(shown),
            title=f"{title}\nworst {len(shown)} flagged (given -> suggested)"
                  + ("; red outline = true error" if has_truth else ""),
        )
        atomic_write_bytes(run_dir / FLAGGED_FIGURE, png_bytes(figure))
        figure_html = _image(run_dir / FLAGGED_FIGURE, "flagged examples", css="figure grid")

    body = [
        f"<h1>{_e(title)}</h1>",
        _result_line(run_dir, metrics),
        "<h2>Metrics</h2>",
        _metrics_table(metrics),
        "<h2>Noise rate: estimated vs true</h2>",
        _noise_rate(metrics),
        f"<h2>Flagged examples, worst first ({min(top_k, len(flagged))} of {len(flagged)})</h2>",
        _p("Sorted by label quality (lower = more likely wrong). Click a column to sort."
           + (f" Examples: {examples.source}." if examples is not None else f" {examples_note}.")),
        figure_html,
        _examples_table(flagged.head(top_k), examples, has_truth, table_id="flagged"),
    ]
    if has_truth:
        missed = issues[issues["is_true_error"].astype(bool) & ~issues["is_label_issue"].astype(bool)]
        missed = missed.sort_values("label_quality", kind="stable")
        n_true = int(issues["is_true_error"].astype(bool).sum())
        body += [
            f"<h2>True errors missed ({len(missed)} of {n_true} not flagged; "
            f"{min(top_k, len(missed))} shown)</h2>",
            _examples_table(missed.head(top_k), examples, has_truth, table_id="missed"),
        ]
    else:
        body += ["<h2>True errors missed</h2>", _p("The true labels are not known for this run.")]
    body += ["<h2>Matrices</h2>", _image_or_note(run_dir / "matrices.png", "matrices")]
    body += ["<h2>Class health</h2>", _csv_table_or_note(run_dir / "class_health.csv", "class_health")]
    body += ["<h2>Overlapping classes</h2>",
             _csv_table_or_note(run_dir / "overlapping_classes.csv", "overlapping", max_rows=top_k)]
    path = run_dir / REPORT
    atomic_write_text(path, _page(title, body))
    return path


def _top_k(cfg: Mapping, top_k: int | None) -> int:
    if top_k is None:
        top_k = ((cfg.get("report") or {}).get("top_k")) or DEFAULT_TOP_K
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k must be an int >= 1; got {top_k!r}")
    return top_k


def _result_line(run_dir: Path, metrics: Mapping) -> str:
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
        return _p("No metrics.json in this dir.")
    return f'<p class="result">result: {_e(line)}</p>'


def _metrics_table(metrics: Mapping) -> str:
    if not metrics:
        return _p("No metrics.json in this dir.")
    flat = _flatten(metrics)
    timings = {k: v for k, v in flat.items() if k.endswith("_seconds")}
    explanations = {metric.name: metric.meaning.replace("`", "") for metric in ordered_metrics()}
    order = {name: position for position, name in enumerate(explanations)}  # README's order
    names = sorted((k for k in flat if k not in timings), key=lambda k: (order.get(k, len(order)), k))
    rows = [(k, flat[k], explanations.get(k, "")) for k in names]
    html_rows = [f"<tr><td>{_e(k)}</td><td class=num>{_e(_format(v))}</td><td>{_e(text)}</td></tr>"
                 for k, v, text in rows]
    table = ('<table id="metrics"><thead><tr><th>metric</th><th>value</th><th>meaning</th></tr></thead><tbody>'
             + "".join(html_rows) + "</tbody></table>")
    if timings:
        table += _p("Timings (seconds): " + ", ".join(f"{k.removesuffix('_seconds')} {_format(v)}"
                                                      for k, v in timings.items()))
    return table


def _noise_rate(metrics: Mapping) -> str:
    estimated, true = metrics.get("estimated_noise_rate"), metrics.get("true_noise_rate")
    if estimated is None:
        return _p("No estimated noise rate in metrics.json.")
    if true is None:
        return _p(f"Estimated noise rate {estimated:.3f}; the true rate is not known for this run.")
    n = metrics.get("n_examples")
    counts = f" (about {estimated * n:.0f} vs {true * n:.0f} of {n} labels)" if isinstance(n, int) else ""
    return _p(f"Estimated {estimated:.3f} vs true {true:.3f}: off by {estimated - true:+.3f}{counts}. "
              f"Flagged {metrics.get('n_label_issues')} examples.")


def _examples_table(rows: pd.DataFrame, examples: Examples | None, has_truth: bool, table_id: str) -> str:
    if rows.empty:
        return _p("None.")
    header = ["rank", "index", "given", "suggested", "label quality"]
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
        cells = [f"<td class=num>{rank}</td>", f"<td class=num>{row.index}</td>",
                 f"<td>{_e(row.given_label)}</td>", f"<td>{_e(row.predicted_label)}</td>",
                 f'<td class=num data-sort="{row.label_quality!r}">{row.label_quality:.3g}</td>']
        if has_truth:
            is_error = bool(row.is_true_error)
            css = "true-error" if is_error else "false-detection"
            if not row.is_label_issue:
                css, verdict = "missed", "missed"
            else:
                verdict = "true error" if is_error else "false detection"
            cells += [f"<td>{_e(row.true_label)}</td>", f"<td class=detection>{verdict}</td>"]
        cells.append(f"<td>{_example_cell(examples, int(row.index), image_range)}</td>")
        lines.append(f'<tr class="{css}">' + "".join(cells) + "</tr>")
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    return (f'<div class="scroll"><table class="sortable" id="{table_id}"><thead><tr>{head}</tr></thead><tbody>'
            + "\n".join(lines) + "</tbody></table></div>")


def _example_cell(examples: Examples | None, index: int, image_range) -> str:
    if examples is None:
        return ""
    if examples.kind == "image":
        image = np.asarray(examples.values[index], dtype=float)
        return f'<img class="thumb" alt="example {index}" src="data:image/png;base64,{_thumbnail(image, image_range)}">'
    if examples.kind == "text":
        text = examples.values[index]
        short = text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS] + "…"
        return f'<div class="text" title="{_e(text)}">{_e(short)}</div>'
    row = examples.values.iloc[index]
    parts = [f"{name}={_format(value)}" for name, value in itertools.islice(row.items(), MAX_FEATURES_SHOWN)]
    if len(row) > MAX_FEATURES_SHOWN:
        parts.append(f"… ({len(row)} features)")
    return f'<span class="features">{_e(", ".join(parts))}</span>'


def _thumbnail(image: np.ndarray, value_range: tuple[float, float]) -> str:
    """A PNG (base64) of one image: greyscale dark-on-light over the dataset's value range, or RGB."""
    low, high = value_range
    scaled = np.clip((image - low) / (high - low if high > low else 1.0), 0, 1)
    if scaled.ndim == 2:
        pixels = np.round(255 * (1 - scaled)).astype(np.uint8)  # ink dark, as matplotlib's gray_r
    else:
        pixels = np.round(255 * scaled[..., :3]).astype(np.uint8)
    return base64.b64encode(_png(pixels)).decode("ascii")


def _png(pixels: np.ndarray) -> bytes:
    """Minimal PNG encoder: 8-bit greyscale (h, w) or RGB (h, w, 3), no filter; same bytes each time."""
    height, width = pixels.shape[:2]
    color_type = 0 if pixels.ndim == 2 else 2
    raw = np.concatenate([np.zeros((height, 1), np.uint8), pixels.reshape(height, -1)], axis=1).tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


# ---------------------------------------------------------------------------------------
# Sweep report


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

    body = [f"<h1>{_e(title)}</h1>",
            _p(", ".join(f"{n} {state}" for state, n in counts.items()) or "No jobs yet."),
            _p("Swept: " + (", ".join(varying) or "nothing") + ". Same in every job: "
               + (", ".join(f"{c}={frame[c].iloc[0]}" for c in constant) or "nothing") + ".")]
    body += ["<h2>Results</h2>", _results_table(sweep_dir / "results.csv")]
    body += ["<h2>Comparisons</h2>", _csv_table_or_note(
        sweep_dir / "comparisons.csv", "comparisons",
        missing="No comparisons.csv in this sweep (written by the results step of runner.results.summarize).")]
    body += ["<h2>Figures</h2>", _image_or_note(sweep_dir / "results.png", "results"),
             _image_or_note(sweep_dir / "summary.png", "summary")]
    body += ["<h2>Jobs</h2>", _jobs_table(frame, varying, dirs)]
    body += ["<h2>Agreement between methods</h2>", *_agreement_sections(sweep_dir, frame, varying, dirs)]
    path = sweep_dir / REPORT
    atomic_write_text(path, _page(title, body))
    return path


def _results_table(path: Path) -> str:
    """results.csv as a person reads it: groups, counts, and "mean ± CI half-width" per metric."""
    if not path.is_file():
        return _p(f"No {path.name} in this sweep (written by the results step of runner.results.summarize).")
    results = pd.read_csv(path)
    # The metrics of the README's table, in its order (every other one is in results.csv).
    metrics = [m.name for m in ordered_metrics() if f"{m.name}_mean" in results.columns and m.name not in COUNTS]
    derived = {f"{m}{suffix}" for m in results.columns.str.removesuffix("_mean")
               for suffix in ("_mean", "_std", "_ci95_low", "_ci95_high")}
    plain = [c for c in results.columns if c not in derived and not c.endswith("_seconds")]
    header = plain + metrics
    lines = []
    for _, row in results.iterrows():
        cells = [f"<td>{_e(_format(row[c]))}</td>" for c in plain]
        for metric in metrics:
            mean, low, high = (row.get(f"{metric}{s}") for s in ("_mean", "_ci95_low", "_ci95_high"))
            text = _format(mean)
            if _is_number(low) and _is_number(high):
                text += f" ± {(high - low) / 2:.3g}"
            cells.append(f'<td class=num data-sort="{_e(_format(mean))}">{_e(text)}</td>')
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return (_p("mean ± half-width of the 95% confidence interval over the replicates (every metric and the "
               "timings: results.csv).")
            + _table(header, lines, "results"))


def _jobs_table(frame: pd.DataFrame, varying: list[str], dirs: Mapping[str, Path]) -> str:
    if frame.empty:
        return _p("No jobs.")
    key_metrics = [m for m in ("n_label_issues", "issue_f1", "issue_auroc", "test_accuracy_cleanlearning")
                   if m in frame.columns]
    header = ["job", *job_label_names(varying), "status", *key_metrics, "report"]
    lines = []
    for _, row in frame.iterrows():
        job_dir = _job_dir(dirs, row["dir"])
        report = job_dir / REPORT if job_dir is not None else None
        link = (f'<a href="{_e(quote(job_dir.name))}/{REPORT}">{_e(job_dir.name)}/{REPORT}</a>'
                if report is not None and report.is_file() else '<span class="note">none</span>')
        status = str(row["status"])
        if status == "failed" and isinstance(row.get("error"), str):
            status += f": {row['error']}"
        cells = [f"<td class=num>{_e(_format(row['job']))}</td>"]
        cells += [f"<td>{_e(_format(row[c]))}</td>" for c in varying]
        cells.append(f'<td class="{"" if row["status"] == "ok" else "failed"}">{_e(status)}</td>')
        cells += [f"<td class=num>{_e(_format(row[m]))}</td>" for m in key_metrics]
        cells.append(f"<td>{link}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return _table(header, lines, "jobs")


def _method_axes(sweep_dir: Path, frame: pd.DataFrame, varying: list[str], dirs) -> tuple[list[str], list[str]]:
    """(method axes, replicate keys) among the swept keys: ``summary.method_axes`` and
    ``summary.replicate_by`` of the sweep (multirun.yaml, else a job's resolved config) when
    set, else the keys under METHOD_GROUPS, and seed."""
    summary_cfg = ((read_yaml(sweep_dir / "multirun.yaml") or {}).get("summary")) or {}
    for name in ([] if summary_cfg else frame["dir"]):
        job_dir = _job_dir(dirs, name)
        cfg = read_yaml(job_dir / "resolved_config.yaml") if job_dir is not None else None
        if cfg:
            summary_cfg = cfg.get("summary") or {}
            break
    replicate = summary_cfg.get("replicate_by") or "seed"
    replicate = [replicate] if isinstance(replicate, str) else list(replicate)
    axes = summary_cfg.get("method_axes")
    if axes:
        axes = [axes] if isinstance(axes, str) else list(axes)
        methods = [c for c in varying if c in axes]
    else:
        methods = [c for c in varying if c.split(".", 1)[0] in METHOD_GROUPS]
    return methods, [c for c in varying if c in replicate]


def _agreement_sections(sweep_dir: Path, frame: pd.DataFrame, varying: list[str], dirs) -> list[str]:
    if frame.empty:
        return [_p("No jobs.")]
    methods, replicate = _method_axes(sweep_dir, frame, varying, dirs)
    if not methods:
        return [_p("Only one method in this sweep (no classifier, cleanlearning.* or quality_score key is "
                   "swept, nor any of summary.method_axes): nothing to compare.")]
    conditions = [c for c in varying if c not in methods]  # replicates included: same seed = same split
    ok = frame[frame["status"] == "ok"]
    method_names = job_label_names(methods)

    def method_label(row) -> str:
        return " ".join(f"{n}={row[c]}" for n, c in zip(method_names, methods, strict=True))

    # Per condition (seed and other non-method keys): each method's flagged set and the true errors.
    groups: dict[tuple, dict[str, set]] = {}
    truth: dict[tuple, set | None] = {}
    for _, row in ok.iterrows():
        issues = _read_issues(_job_dir(dirs, row["dir"]))
        if issues is None:
            continue
        key = tuple(str(row[c]) for c in conditions)
        groups.setdefault(key, {})[method_label(row)] = set(issues["index"][issues["is_label_issue"].astype(bool)])
        errors = set(issues["index"][issues["is_true_error"].astype(bool)]) if "is_true_error" in issues else None
        truth.setdefault(key, errors)
    if not groups:
        return [_p("No finished job has a label_issues.csv yet.")]

    sections = [_p(f"Methods: the swept {', '.join(methods)}. Flagged sets are compared between jobs with the "
                   f"same {', '.join(conditions) or 'settings'} (same seed = same split, noise and folds).")]
    # 1) Jaccard per pair of methods
    pairs: dict[tuple[str, str], list[float]] = {}
    for flagged in groups.values():
        for a, b in itertools.combinations(sorted(flagged), 2):
            union = flagged[a] | flagged[b]
            pairs.setdefault((a, b), []).append(len(flagged[a] & flagged[b]) / len(union) if union else math.nan)
    lines = [f"<tr><td>{_e(a)}</td><td>{_e(b)}</td><td class=num>{len(v)}</td>"
             f"<td class=num>{_format(float(np.nanmean(v)) if not np.all(np.isnan(v)) else math.nan)}</td>"
             f"<td class=num>{_format(float(np.nanmin(v)) if not np.all(np.isnan(v)) else math.nan)}</td>"
             f"<td class=num>{_format(float(np.nanmax(v)) if not np.all(np.isnan(v)) else math.nan)}</td></tr>"
             for (a, b), v in sorted(pairs.items())]
    sections += ["<h3>Overlap of flagged sets (Jaccard = |A ∩ B| / |A ∪ B|)</h3>",
                 _table(["method A", "method B", "n pairs", "mean Jaccard", "min", "max"], lines, "jaccard")
                 if lines else _p("No two methods ran on the same condition yet.")]
    # 2) true errors missed, per method, and by every method
    if any(errors is None for errors in truth.values()):
        sections.append(_p("The true labels are not known: missed true errors cannot be counted."))
        return sections
    missed: dict[str, list[tuple[int, int]]] = {}
    for key, flagged in groups.items():
        for method, flagged_set in flagged.items():
            missed.setdefault(method, []).append((len(truth[key] - flagged_set), len(truth[key])))
    lines = []
    for method, values in sorted(missed.items()):
        n_missed, n_true = (sum(v) for v in zip(*values, strict=True))
        lines.append(f"<tr><td>{_e(method)}</td><td class=num>{len(values)}</td><td class=num>{n_missed}</td>"
                     f"<td class=num>{n_true}</td><td class=num>{_format(n_missed / n_true if n_true else math.nan)}"
                     "</td></tr>")
    sections += ["<h3>True errors each method misses</h3>",
                 _table(["method", "n jobs", "true errors missed", "true errors", "fraction missed"], lines,
                        "missed-by-method")]
    lines = []
    for key, flagged in sorted(groups.items()):
        nobody = truth[key] - set().union(*flagged.values())
        label = " ".join(f"{c}={v}" for c, v in zip(conditions, key, strict=True)) or "all jobs"
        lines.append(f"<tr><td>{_e(label)}</td><td class=num>{len(flagged)}</td><td class=num>{len(nobody)}</td>"
                     f"<td class=num>{len(truth[key])}</td></tr>")
    sections += ["<h3>True errors no method flags</h3>",
                 _table(["condition", "methods run", "flagged by none", "true errors"], lines, "missed-by-all")]
    return sections


def _job_dir(dirs: Mapping[str, Path], name) -> Path | None:
    """The job dir of a summary row: its ``dir`` is the dir's name (or, merged, its path)."""
    return dirs.get(str(name)) or dirs.get(Path(str(name)).name)


def _read_issues(job_dir: Path | None) -> pd.DataFrame | None:
    if job_dir is None or not (job_dir / "label_issues.csv").is_file():
        return None
    columns = ["index", "is_label_issue", "is_true_error"]
    return pd.read_csv(job_dir / "label_issues.csv", usecols=lambda c: c in columns)


# ---------------------------------------------------------------------------------------
# HTML pieces


def _page(title: str, body: Iterable[str]) -> str:
    """The page: the body parts, each <h2> section anchored and listed in a line of links on top."""
    parts, links = [], []
    for part in (part for part in body if part):
        if part.startswith("<h2>"):
            anchor = f"section-{len(links) + 1}"
            heading = part.removeprefix("<h2>").removesuffix("</h2>")
            links.append(f'<a href="#{anchor}">{heading.split(" (", 1)[0]}</a>')
            part = f'<h2 id="{anchor}">{heading}</h2>'
        parts.append(part)
    if parts and parts[0].startswith("<h1>"):
        parts.insert(1, '<nav class="note">' + " · ".join(links) + "</nav>")
    return ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            f"<title>{_e(title)}</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(parts)
            + f'\n<p class="note">Written by runner.report from the files in this dir; '
              f"rebuild with <code>python -m runner.report DIR</code>.</p>\n<script>{SORT_SCRIPT}</script>\n"
              "</body></html>\n")


def _table(header: Sequence[str], rows: Sequence[str], table_id: str) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    return (f'<div class="scroll"><table class="sortable" id="{_e(table_id)}"><thead><tr>{head}</tr></thead>'
            "<tbody>" + "\n".join(rows) + "</tbody></table></div>")


def _csv_table_or_note(path: Path, table_id: str, max_rows: int | None = None, missing: str | None = None) -> str:
    if not path.is_file():
        return _p(missing or f"No {path.name} in this dir (runs before it was written have none).")
    frame = pd.read_csv(path)
    note = ""
    if max_rows is not None and len(frame) > max_rows:
        note = _p(f"First {max_rows} of {len(frame)} rows; all in {path.name}.")
        frame = frame.head(max_rows)
    lines = ["<tr>" + "".join(
        f"<td class=num>{_e(_format(v))}</td>" if _is_number(v) else f"<td>{_e(_format(v))}</td>" for v in row
    ) + "</tr>" for row in frame.itertuples(index=False)]
    return note + _table([str(c) for c in frame.columns], lines, table_id)


def _image(path: Path, alt: str, css: str = "figure") -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<p><img class="{css}" alt="{_e(alt)}" src="data:image/png;base64,{data}"></p>'


def _image_or_note(path: Path, alt: str) -> str:
    return _image(path, alt) if path.is_file() else _p(f"No {path.name} in this dir.")


def _p(text: str) -> str:
    return f'<p class="note">{_e(text)}</p>'


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and not (isinstance(value, float) and math.isnan(value))


def _format(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


def _flatten(metrics: Mapping, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


# ---------------------------------------------------------------------------------------
# Command line


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
            if (job_dir / "DONE").is_file() and (job_dir / "label_issues.csv").is_file():
                write_run_report(job_dir, top_k=args.top_k)
        logger.info("wrote %s", write_sweep_report(args.dir))
    except (OSError, ValueError) as error:  # a dir that is not a finished run: one line
        parser.exit(1, f"{parser.prog}: error: {error}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
