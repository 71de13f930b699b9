"""Figures of a sweep: summary.png (per-job bars) and results.pdf/.png (the compare metric across
the swept axes, with 95% intervals); every figure as PDF beside a 200 dpi PNG, no text below 8 pt.

results: against a numeric axis, one line and one band per method (colour and marker), ticks
at the swept values; over categorical axes only, dot-and-interval plots (the axis fitted to the
values, not from 0), the no-cleaning baseline drawn, and significance visible: a filled dot is
the best method or not significantly different from it (Holm-adjusted p >= 0.05 in the
all-pairs family), a hollow one is significantly worse.

Every function returns a matplotlib ``Figure`` built without pyplot (no global figure state,
no GUI backend), so tests can inspect the artists and callers decide where the bytes go.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from runner.results.frames import (
    first_of_each,
    frame_groups,
    is_missing,
    rows_matching,
    short_names,
    value_text,
)
from runner.results.rendering import current_renderer
from runner.results.settings import ACCURACY, Axes, summary_columns
from runner.results.statistics import ok_jobs, t_interval

__all__ = ["job_label_names", "plot_results", "plot_summary", "save_figure_pair"]

FONT = 8  # points: the smallest text of any figure


def save_figure_pair(figure, stem) -> tuple:
    """stem.pdf and stem.png (200 dpi), byte-stable (no creation date, no software stamp), each
    written atomically with the permissions of any result file (runner.core.io).

    Inside ``runner.results.rendering.rendering_in`` the figure is pickled to the worker, which
    renders both files (the same bytes: the same figure, the same savefig calls); one the worker
    could not write is written here when ``finish_rendering`` waits for it, never lost."""
    from pathlib import Path

    stem = Path(stem)
    worker = current_renderer()
    if worker is not None:
        import pickle

        try:
            worker.submit(f"figure {stem}", _render_pair, pickle.dumps(figure), str(stem))
            return stem.with_name(stem.name + ".pdf"), stem.with_name(stem.name + ".png")
        except Exception:  # noqa: BLE001 - not picklable or no worker: render it here
            pass
    return _save_pair(figure, stem)


def render_figure(build, stem) -> tuple:
    """``save_figure_pair(build(), stem)``, where the figure is drawn as well as saved by a
    worker that shares this process's memory (runner.sweep.side_work.ForkedRenderer: the
    figure's construction leaves the calling process too); elsewhere as save_figure_pair."""
    from pathlib import Path

    stem = Path(stem)
    worker = current_renderer()
    if worker is not None and getattr(worker, "forks", False):
        worker.submit(f"figure {stem}", _build_and_save, build, stem)
        return stem.with_name(stem.name + ".pdf"), stem.with_name(stem.name + ".png")
    return save_figure_pair(build(), stem)


def _build_and_save(build, stem) -> None:
    _save_pair(build(), stem)


def _render_pair(pickled: bytes, stem: str) -> None:
    """The worker's side of save_figure_pair."""
    import pickle
    from pathlib import Path

    _save_pair(pickle.loads(pickled), Path(stem))


def _save_pair(figure, stem) -> tuple:
    from runner.core.io import atomic_savefig

    pdf = atomic_savefig(figure, stem.with_name(stem.name + ".pdf"), format="pdf", metadata={"CreationDate": None})
    png = atomic_savefig(figure, stem.with_name(stem.name + ".png"), format="png", dpi=200)
    return pdf, png


# ---------------------------------------------------------------------------------------
# summary.png



# (title, metrics side by side, value format). Panels without any of their metrics are left out.
SUMMARY_PANELS = (
    ("test accuracy", ("test_accuracy_baseline", "test_accuracy_cleanlearning"), "{:.3f}"),
    ("label-issue detection", ("issue_precision", "issue_recall", "issue_f1", "issue_auprc", "issue_auroc"),
     "{:.3f}"),
    ("issues flagged vs true errors", ("n_label_issues", "n_true_errors"), "{:.0f}"),
    ("noise matrix error (mean abs.)", ("noise_matrix_error",), "{:.3f}"),
)


# Up to this many jobs summary.png draws one labelled bar per job and metric (about 0.8 inch of
# height per job); a larger sweep gets one point per job against its number instead, a figure
# of fixed size (bars of 1,000 jobs would be a 800-inch figure past Agg's 65,536-pixel limit).
MAX_BAR_JOBS = 24


def plot_summary(frame: pd.DataFrame) -> Figure:
    """Horizontal grouped bars of a sweep's summary frame: one row per job, one panel per metric
    group, the x axis fitted to the values, each bar labelled; jobs that are not ok are marked.
    Above :data:`MAX_BAR_JOBS` jobs, points against the job number (same panels and colours)."""
    frame = frame.reset_index(drop=True)
    if "n_label_issues" in frame and {"true_noise_rate", "n_examples"} <= set(frame.columns):
        frame = frame.assign(n_true_errors=(pd.to_numeric(frame["true_noise_rate"], errors="coerce")
                                            * pd.to_numeric(frame["n_examples"], errors="coerce")).round())
    panels = []
    for title, names, fmt in SUMMARY_PANELS:
        present = [m for m in names if m in frame.columns and pd.to_numeric(frame[m], errors="coerce").notna().any()]
        if present:
            panels.append((title, present, fmt))
    n_jobs = len(frame)
    if not panels:
        figure = Figure(figsize=(6.0, 2.0))
        axes = figure.subplots(1, 1)
        axes.axis("off")
        axes.text(0.5, 0.5, f"{n_jobs} job(s); no metrics to plot yet", ha="center", va="center")
        return figure
    if n_jobs > MAX_BAR_JOBS:
        return _plot_summary_points(frame, panels)

    labels = _job_labels(frame)
    label_width = min(5.0, 0.5 + 0.065 * max(len(label) for label in labels))
    n_bars = max(len(names) for _, names, _ in panels)
    # about 0.14 inch per bar (room for its value label) and a gap between jobs
    figure = Figure(figsize=(label_width + 4.2 * len(panels), 1.4 + n_jobs * (0.14 * max(2, n_bars) + 0.1)))
    axes_row = figure.subplots(1, len(panels), squeeze=False, sharey=True)[0]
    rows = np.arange(n_jobs)
    status = frame["status"] if "status" in frame else pd.Series(["ok"] * n_jobs)
    for axes, (title, names, fmt) in zip(axes_row, panels, strict=True):
        height = 0.8 / len(names)
        drawn = []
        for position, name in enumerate(names):
            values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
            offsets = rows - 0.4 + height * (position + 0.5)
            shown = np.nan_to_num(values, nan=0.0)
            bars = axes.barh(offsets, shown, height=height, label=_metric_label(name))
            axes.bar_label(bars, labels=["" if np.isnan(v) else fmt.format(v) for v in values],
                           padding=2, fontsize=FONT)
            drawn.append(values)
        low, high = _fitted_limits(np.concatenate(drawn), from_zero=fmt == "{:.0f}" or "error" in title)
        axes.set_xlim(low, high)
        axes.xaxis.set_major_locator(MaxNLocator(nbins=5))
        axes.tick_params(axis="x", labelsize=8)
        for row, state in zip(rows, status, strict=True):
            if state != "ok":
                axes.text(low + 0.02 * (high - low), row, str(state), va="center", fontsize=8,
                          color="firebrick")
        axes.set_title(title, fontsize=10)
        axes.grid(axis="x", alpha=0.3)
        axes.legend(fontsize=FONT, loc="upper center", bbox_to_anchor=(0.5, -0.04), ncol=min(3, len(names)),
                    frameon=False)
    axes_row[0].set_yticks(rows)
    axes_row[0].set_yticklabels(labels, fontsize=8)
    axes_row[0].invert_yaxis()  # job 0 on top, as in summary.md
    figure.tight_layout()
    return figure


def _plot_summary_points(frame: pd.DataFrame, panels: list) -> Figure:
    """The summary of a large sweep: per panel, each metric's value of every job against the job
    number; jobs that are not ok are marked with their status below the axis."""
    n_jobs = len(frame)
    jobs = (pd.to_numeric(frame["job"], errors="coerce").to_numpy(dtype=float) if "job" in frame
            else np.arange(n_jobs, dtype=float))
    status = frame["status"].astype(str).to_numpy() if "status" in frame else np.full(n_jobs, "ok")
    figure = Figure(figsize=(4.2 * len(panels) + 0.6, 3.6))
    axes_row = figure.subplots(1, len(panels), squeeze=False)[0]
    marker_size = max(2.0, min(16.0, 1600.0 / n_jobs))
    for axes, (title, names, _fmt) in zip(axes_row, panels, strict=True):
        for name in names:
            values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
            axes.scatter(jobs, values, s=marker_size, label=_metric_label(name), linewidths=0)
        failed = status != "ok"
        if failed.any():
            low = axes.get_ylim()[0]
            axes.scatter(jobs[failed], np.full(int(failed.sum()), low), marker="x", s=20, color="firebrick",
                         label="not ok", clip_on=False)
        axes.set_title(title, fontsize=10)
        axes.set_xlabel("job number", fontsize=FONT)
        axes.tick_params(labelsize=FONT)
        axes.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        axes.grid(alpha=0.3)
        legend = axes.legend(fontsize=FONT, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3, frameon=False)
        for handle in legend.legend_handles:  # legend markers of one readable size
            handle.set_sizes([20.0])
    figure.suptitle(f"{n_jobs} jobs, one point per job (every value in summary.csv)", fontsize=10)
    figure.tight_layout()
    return figure


def _fitted_limits(values: np.ndarray, from_zero: bool) -> tuple[float, float]:
    """x limits around the finite values, with room on the right for the value labels."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    span = high - low if high > low else max(abs(high), 1e-3) * 0.1
    if from_zero or low - 0.5 * span <= 0 <= low:
        low = min(0.0, low)
    else:
        low -= 0.5 * span
    return low, high + 0.35 * (high - low if high > low else span)


SHORT_LABELS = {"n_label_issues": "flagged", "n_true_errors": "true errors", "noise_matrix_error": "noise matrix error"}


def _metric_label(name: str) -> str:
    return SHORT_LABELS.get(name, name.removeprefix("test_accuracy_").removeprefix("issue_"))


def job_label_names(override_columns: Sequence[str]) -> list[str]:
    """How a job's swept keys are written in figures: in full (``noise.rate``), except
    CleanLearning's own parameters, which go by their parameter name (``filter_by``) unless
    two swept keys would then read alike."""
    names = [c.rsplit(".", 1)[-1] if c.startswith("cleanlearning.") else c for c in override_columns]
    if len(set(names)) < len(names):
        return list(override_columns)
    return names


def _job_labels(frame: pd.DataFrame) -> list[str]:
    """'#3 noise.rate=0.3 filter_by=both' from the override columns that differ between jobs."""
    varying = [c for c in summary_columns(frame) if frame[c].astype(str).nunique() > 1]
    names = job_label_names(varying)
    labels = []
    for _, row in frame.iterrows():
        job = "" if "job" not in row or pd.isna(row["job"]) else f"#{row['job']}"
        parts = [f"{name}={row[column]}" for name, column in zip(names, varying, strict=True)]
        labels.append(" ".join([job, *parts]).strip() or str(row.get("dir", "")))
    return labels



# ---------------------------------------------------------------------------------------
# results.png

# Above this many lines a panel draws dodged interval bars instead of bands (one band per method
# is the rule; 7 overlapping bands are unreadable).
MAX_BANDS = 3
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
# What a swept numeric axis measures, for the x-axis label.
AXIS_LABELS = {
    "noise.rate": "noise.rate: nominal (realised) fraction of training labels flipped",
    "noise.sparsity": "noise.sparsity (fraction of zero off-diagonal noise rates)",
    "cleanlearning.cv_n_folds": "cv_n_folds (cross-validation folds)",
    "cleanlearning.find_label_issues_kwargs.frac_noise": "frac_noise (fraction of the estimated errors flagged)",
    "dataset.n_samples": "dataset.n_samples (examples)",
    "dataset.test_size": "dataset.test_size (fraction held out)",
}


def plot_results(summary: pd.DataFrame, axes: Axes, metric: str | None, bold=None):
    """The compare metric (and test accuracy) across the axes, with 95% t intervals.

    A numeric axis swept: lines against the numeric axis with the most values, one line per
    method (or per value of another axis), one panel column per value of the remaining axes.
    Only categorical axes: dots with 95% intervals (methods side by side), filled where the method
    is the best or not significantly different from it (``bold(metric, condition)``, from the
    comparison families), the baseline as a dashed line.
    """
    from matplotlib.figure import Figure  # no pyplot: no global figure state, no GUI backend

    ok = ok_jobs(summary, axes)
    metrics = [m for m in dict.fromkeys([metric, ACCURACY[1]])
               if m is not None and m in ok and ok[m].notna().any()]
    if not metrics:
        figure = Figure(figsize=(6.0, 1.6))
        subplot = figure.subplots()
        subplot.axis("off")
        subplot.text(0.5, 0.5, f"{len(summary)} job(s); no finished job with a metric to plot",
                     ha="center", va="center")
        return figure
    numeric = [a for a in axes.groups if _is_numeric(ok[a])]
    if numeric:
        x_axis = max(numeric, key=lambda a: ok[a].nunique())
        rest = [a for a in axes.groups if a != x_axis]
        series_axes = [a for a in rest if a in axes.methods] or rest[:1]
        facet_axes = [a for a in rest if a not in series_axes]
    else:
        x_axis = None
        # methods side by side under each condition; without conditions, one bar per method
        series_axes = list(axes.methods) if axes.conditions else []
        facet_axes = []
    facets = [key for key, _ in frame_groups(ok, facet_axes)]
    series = [key for key, _ in frame_groups(ok, series_axes)]
    names = short_names(list(axes.groups))

    n_bars = len(series) * len([key for key, _ in frame_groups(ok, [a for a in axes.groups if a not in series_axes])])
    width = 1.0 + 4.2 * len(facets) if x_axis is not None else max(5.2, 1.5 + 0.45 * n_bars)
    figure = Figure(figsize=(width, 0.9 + 3.0 * len(metrics) + 0.22 * math.ceil(len(series) / 2)))
    grid = figure.subplots(len(metrics), len(facets), squeeze=False, sharey="row")
    for row, name in enumerate(metrics):
        for column, facet in enumerate(facets):
            panel = grid[row, column]
            jobs = ok[rows_matching(ok, facet_axes, facet)]
            if x_axis is not None:
                _draw_lines(panel, jobs, x_axis, series_axes, series, name)
                if name == ACCURACY[1]:
                    _draw_baseline(panel, jobs, x_axis, axes, series_axes)
                panel.set_xlabel(AXIS_LABELS.get(x_axis, x_axis), fontsize=FONT)
                _swept_ticks(panel, jobs, x_axis)
            else:
                _draw_dots(panel, jobs, axes, series_axes, series, name, bold)
            title = ", ".join(f"{names[a]}={value_text(v)}" for a, v in zip(facet_axes, facet, strict=True))
            if title:
                panel.set_title(title, fontsize=FONT + 1)
            panel.set_ylabel(f"{name}\n(mean, 95% CI)", fontsize=FONT)
            panel.grid(alpha=0.3)
            panel.tick_params(labelsize=FONT)
    handles, labels = [], []
    for panel in grid[:, 0]:
        for handle, label in zip(*panel.get_legend_handles_labels(), strict=True):
            if label not in labels and label not in metrics:  # a metric name: one unnamed series
                handles.append(handle)
                labels.append(label)
    n_columns = max(1, min(4, len(labels), int(figure.get_figwidth() / 2.3)))
    if len(labels) > 1:
        figure.legend(handles, labels, loc="lower center", ncol=n_columns, fontsize=8,
                      frameon=False, title=", ".join(names[a] for a in series_axes), title_fontsize=8)
    # room at the bottom for the legend: its title and one line per n_columns entries
    legend_inches = 0.3 + 0.22 * math.ceil(len(labels) / n_columns) if len(labels) > 1 else 0.0
    figure.tight_layout(rect=(0, legend_inches / figure.get_figheight(), 1, 1))
    return figure


def _swept_ticks(panel, jobs, x_axis: str) -> None:
    """Ticks at the swept values; for noise.rate with the realised rate below the nominal one."""
    from runner.results.formatting import realised_rate

    ticks = sorted({float(v) for v in pd.to_numeric(jobs[x_axis], errors="coerce").dropna()})
    labels = []
    for tick in ticks:
        label = f"{tick:g}"
        if x_axis == "noise.rate":
            realised = realised_rate(jobs[pd.to_numeric(jobs[x_axis], errors="coerce") == tick])
            if realised is not None and abs(realised[0] - tick) > 0.005:
                label += f"\n({realised[0]:.2f})"
        labels.append(label)
    panel.set_xticks(ticks, labels)


def _line_with_band(jobs, x_axis: str, metric: str):
    """(xs, means, ci95 lows, ci95 highs) of ``metric`` over the replicates at each value of
    the numeric ``x_axis``, sorted by x."""
    points = []
    for (x_value,), group in frame_groups(jobs, [x_axis]):
        mean, _, low, high = t_interval(pd.to_numeric(group[metric], errors="coerce"))
        points.append((float(x_value), mean, low, high))
    points.sort(key=lambda point: point[0])
    return tuple(np.asarray(column, dtype=float) for column in zip(*points, strict=True)) if points else (
        np.empty(0),) * 4


def _draw_lines(panel, jobs, x_axis, series_axes, series, metric) -> None:
    names = short_names(series_axes)
    for index, key in enumerate(series):
        xs, means, lows, highs = _line_with_band(jobs[rows_matching(jobs, series_axes, key)], x_axis, metric)
        colour = COLOURS[index % len(COLOURS)]
        label = ", ".join(value_text(v) if len(series_axes) == 1 else f"{names[a]}={value_text(v)}"
                          for a, v in zip(series_axes, key, strict=True)) or metric
        if len(series) > MAX_BANDS and np.isfinite(lows).any():
            # many methods: overlapping bands hide each other; dodged interval bars instead
            span = float(np.ptp(xs)) if len(xs) > 1 else 1.0
            dodged = xs + span * 0.012 * (index - (len(series) - 1) / 2)
            panel.errorbar(dodged, means, yerr=[means - lows, highs - means], fmt="none", ecolor=colour,
                           elinewidth=0.9, capsize=2, alpha=0.8)
            panel.plot(dodged, means, marker=MARKERS[index % len(MARKERS)], color=colour, label=label,
                       linewidth=1.4, markersize=5, alpha=0.9)
            continue
        panel.plot(xs, means, marker=MARKERS[index % len(MARKERS)], color=colour, label=label,
                   linewidth=1.4, markersize=5, alpha=0.9)
        if np.isfinite(lows).any():
            panel.fill_between(xs, lows, highs, color=colour, alpha=0.12, linewidth=0)


def _draw_baseline(panel, jobs, x_axis, axes: Axes, series_axes) -> None:
    """"no cleaning": the baseline's test accuracy, when it is one line (it does not depend on
    the cleaning settings, only on the classifier)."""
    if ACCURACY[0] not in jobs or jobs[ACCURACY[0]].isna().all():
        return
    if any(not a.startswith(("cleanlearning", "quality_score")) for a in series_axes):
        return  # a baseline per classifier: the lines of the methods already tell them apart
    others = [a for a in axes.groups if a not in series_axes]
    baseline = first_of_each(jobs, [*others, *axes.replicate])
    xs, means, lows, highs = _line_with_band(baseline, x_axis, ACCURACY[0])
    panel.plot(xs, means, color="black", linestyle="--", marker="x", linewidth=1.2, markersize=5,
               label="no cleaning (baseline)")
    if np.isfinite(lows).any():
        panel.fill_between(xs, lows, highs, color="black", alpha=0.08, linewidth=0)


def _draw_dots(panel, jobs, axes: Axes, series_axes, series, metric, bold) -> None:
    """Dot-and-interval per (position, series); filled = best or not significantly different from
    it, hollow = significantly worse; the baseline's test accuracy as a dashed line."""
    position_axes = [a for a in axes.groups if a not in series_axes]
    positions = [key for key, _ in frame_groups(jobs, position_axes)]
    names = short_names(list(axes.groups))
    width = 0.8 / max(1, len(series))
    values = []
    for index, key in enumerate(series):
        label = ", ".join(value_text(v) if len(series_axes) == 1 else f"{names[a]}={value_text(v)}"
                          for a, v in zip(series_axes, key, strict=True)) or metric
        for place, position in enumerate(positions):
            selected = jobs[rows_matching(jobs, series_axes, key) & rows_matching(jobs, position_axes, position)]
            mean, _, low, high = t_interval(pd.to_numeric(selected[metric], errors="coerce"))
            if is_missing(mean):
                continue
            method = label if series_axes else ", ".join(value_text(v) for v in position)
            condition = tuple(position) if series_axes else ()
            marked = bold(metric, condition)[0] if bold is not None else set()
            colour = COLOURS[(index if len(series) > 1 else place) % len(COLOURS)]
            offset = place - 0.4 + width * (index + 0.5)
            error = None if is_missing(low) else [[mean - low], [high - mean]]
            panel.errorbar([offset], [mean], yerr=error, fmt=MARKERS[index % len(MARKERS)], color=colour,
                           markerfacecolor=colour if (method in marked or not marked) else "white",
                           markersize=6, capsize=3, linewidth=1.2,
                           label=label if place == 0 and len(series) > 1 else None)
            values += [mean] + ([] if is_missing(low) else [low, high])
        if ACCURACY[0] in jobs and metric == ACCURACY[1] and index == 0:
            _baseline_marks(panel, jobs, position_axes, positions, values)
    panel.set_xticks(np.arange(len(positions)))
    single = len(position_axes) == 1
    panel.set_xlabel(", ".join(names[a] for a in position_axes), fontsize=FONT)
    panel.set_xticklabels(
        ["\n".join(value_text(v) if single else f"{names[a]}={value_text(v)}" for a, v in zip(position_axes, p, strict=True))
         or "all" for p in positions], fontsize=FONT, rotation=30 if single and len(positions) > 3 else 0,
        ha="right" if single and len(positions) > 3 else "center")
    if values:
        low, high = min(values), max(values)
        span = (high - low) or max(abs(high), 1e-3) * 0.1
        panel.set_ylim(low - 0.15 * span, high + 0.15 * span)
    if bold is not None:
        panel.text(0.99, 0.01, "filled: best or not significantly different (Holm p >= 0.05)",
                   transform=panel.transAxes, ha="right", va="bottom", fontsize=FONT, color="0.3")


def _baseline_marks(panel, jobs, position_axes, positions, values) -> None:
    """The no-cleaning baseline's mean test accuracy at each position, as a dashed segment."""
    for place, position in enumerate(positions):
        selected = jobs[rows_matching(jobs, position_axes, position)]
        baseline = pd.to_numeric(selected[ACCURACY[0]], errors="coerce").mean()
        if is_missing(baseline):
            continue
        panel.hlines(baseline, place - 0.45, place + 0.45, colors="black", linestyles="--", linewidth=1.2,
                     label="no cleaning (baseline)" if place == 0 else None)
        if place == 0:
            panel.annotate("no cleaning", (place - 0.45, baseline), xytext=(0, 2), textcoords="offset points",
                           fontsize=FONT, va="bottom")
        values.append(float(baseline))


def _is_numeric(column: pd.Series) -> bool:
    values = pd.to_numeric(column.dropna(), errors="coerce")
    return len(values) > 0 and values.notna().all() and not pd.api.types.is_bool_dtype(column)
