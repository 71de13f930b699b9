"""Figures of the runner: a run's matrices and flagged examples, a sweep's per-job bars.

Every function returns a matplotlib ``Figure`` built without pyplot (no global figure state,
no GUI backend), so tests can inspect the artists and callers decide where the bytes go.

- ``plot_matrices``: the confident joint (counts), the estimated and the true noise matrix on
  one shared colour scale (so their colours can be compared), and "estimated - true" on a
  diverging scale centred on 0.
- ``plot_summary``: one row of bars per job of a sweep, one panel per metric group, each axis
  fitted to its data and every bar labelled with its value.
- ``plot_flagged_examples``: the worst flagged images of a run, given -> suggested label,
  true errors outlined.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = [
    "describe_noise",
    "job_label_names",
    "matrices_title",
    "plot_flagged_examples",
    "plot_matrices",
    "plot_summary",
    "png_bytes",
    "run_title",
]

# Numbers in cells stay readable up to this many classes; above, the CSVs have the values.
# Each number is a matplotlib Text (~1 ms to draw); the figure is cached across a sweep.
MAX_ANNOTATED_CLASSES = 10
ESTIMATED, TRUE, JOINT = "estimated noise matrix", "true noise matrix", "confident joint"
DIFFERENCE = "estimated - true"
TRUE_ERROR_COLOR, FALSE_DETECTION_COLOR, UNKNOWN_COLOR = "#d62728", "#7f7f7f", "#bbbbbb"


# ---------------------------------------------------------------------------------------
# Titles: a run's identity, from its resolved config


def describe_noise(noise: Mapping) -> str:
    """'asymmetric (rate=0.2, sparsity=0.0)'; 'none' for no noise. Any noise model's parameters."""
    name = noise.get("name") or str(noise.get("_target_", "noise")).rsplit(".", 1)[-1]
    params = [f"{key}={value}" for key, value in noise.items() if key not in ("name", "_target_")]
    return f"{name} ({', '.join(params)})" if params else str(name)


def matrices_title(cfg: Mapping) -> str:
    """What the matrices depend on: dataset, classifier, noise, folds and seed (not filter_by,
    so a sweep over filter settings draws, and caches, one figure)."""
    parts = [_dataset_name(cfg), _classifier_name(cfg), f"noise {describe_noise(cfg['noise'])}"]
    folds = (cfg.get("cleanlearning") or {}).get("cv_n_folds")
    if folds is not None and _classifier_name(cfg) != "precomputed pred_probs":
        parts.append(f"{folds} folds")
    parts.append(f"seed {cfg.get('seed')}")
    return " · ".join(parts)


def run_title(cfg: Mapping) -> str:
    """Dataset, classifier, noise, filter_by and seed of a run."""
    filter_by = ((cfg.get("cleanlearning") or {}).get("find_label_issues_kwargs") or {}).get("filter_by")
    parts = [_dataset_name(cfg), _classifier_name(cfg), f"noise {describe_noise(cfg['noise'])}",
             f"filter_by={filter_by}", f"seed {cfg.get('seed')}"]
    return " · ".join(parts)


def _dataset_name(cfg: Mapping) -> str:
    dataset = cfg["dataset"]
    return str(dataset.get("name") or str(dataset.get("_target_", "dataset")).rsplit(".", 1)[-1])


def _classifier_name(cfg: Mapping) -> str:
    if _dataset_name(cfg) == "precomputed":
        return "precomputed pred_probs"
    target = (cfg.get("classifier") or {}).get("_target_", "classifier")
    return str(target).rsplit(".", 1)[-1]


# ---------------------------------------------------------------------------------------
# matrices.png


def plot_matrices(matrices: Mapping[str, pd.DataFrame], title: str | None = None) -> Figure:
    """One heatmap per matrix (title -> square DataFrame, class values as index and columns).

    Rows are the given label, columns the true label (as in the CSVs). The estimated and the
    true noise matrix share one colour scale, and when both are given a third panel shows
    their difference on a diverging scale symmetric around 0.
    """
    panels = dict(matrices)
    noise_limits = None
    if ESTIMATED in panels and TRUE in panels:
        estimated, true = panels[ESTIMATED], panels[TRUE]
        panels[DIFFERENCE] = estimated - true.to_numpy()
        noise_limits = (0.0, float(max(estimated.to_numpy().max(), true.to_numpy().max(), 1e-12)))

    n_panels = len(panels)
    fig = Figure(figsize=(4.6 * n_panels, 4.8 if title else 4.4))
    axes = fig.subplots(1, n_panels, squeeze=False)[0]
    for panel, (axis, (name, frame)) in enumerate(zip(axes, panels.items(), strict=True)):
        values = frame.to_numpy(dtype=float)
        if name == DIFFERENCE:
            limit = float(max(np.abs(values).max(), 1e-12))
            image = axis.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        elif name in (ESTIMATED, TRUE) and noise_limits is not None:
            image = axis.imshow(values, cmap="viridis", vmin=noise_limits[0], vmax=noise_limits[1],
                                interpolation="nearest")
        else:
            image = axis.imshow(values, cmap="viridis", interpolation="nearest")
        n_classes = values.shape[0]
        ticks = range(n_classes)
        axis.set_xticks(ticks, [str(c) for c in frame.columns], rotation=90 if n_classes > 5 else 0)
        axis.set_yticks(ticks, [str(c) for c in frame.index])
        axis.set_xlabel(frame.columns.name or "true label")
        if panel == 0:  # the same for every panel; elsewhere it would crowd the colorbar
            axis.set_ylabel(frame.index.name or "given label")
        axis.set_title(name)
        if n_classes <= MAX_ANNOTATED_CLASSES:
            _annotate(axis, values, image, signed=name == DIFFERENCE)
        fig.colorbar(image, ax=axis, fraction=0.046, pad=0.04)
    if title:
        fig.suptitle(title, fontsize=11)
    # Fixed margins: tight_layout would cost a second full draw of every annotation.
    # Room on the left for the longest class name (about 0.07 inch per character).
    longest = max(len(str(c)) for frame in panels.values() for c in frame.index)
    left_inches = 0.45 + 0.07 * longest
    fig.subplots_adjust(left=left_inches / fig.get_figwidth(), right=0.95, bottom=0.16,
                        top=0.86 if title else 0.92, wspace=0.2 + left_inches / 4.6)
    return fig


def _annotate(axis, values: np.ndarray, image, signed: bool) -> None:
    """Rounded numbers in the cells, dark or light to stay readable on the cell's colour."""
    is_count = bool((values == values.round()).all()) and not signed
    compact = values.shape[0] > 6
    font_size = 7 if compact else 8
    low, high = image.get_clim()
    for (row, col), value in np.ndenumerate(values):
        if is_count:
            text = f"{value:.0f}"
        elif abs(value) < 0.005:
            text = "0"
        else:
            text = f"{value:+.2f}" if signed else f"{value:.2f}"
            if compact:  # ".07" and "-.02": short enough for 10 columns
                text = text.replace("0.", ".", 1).removeprefix("+")
        # viridis is dark at the low end; RdBu is dark at both ends
        position = (value - low) / (high - low) if high > low else 0.0
        dark = abs(position - 0.5) > 0.3 if signed else position < 0.5
        axis.text(col, row, text, ha="center", va="center", fontsize=font_size,
                  color="white" if dark else "black")


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


def plot_summary(frame: pd.DataFrame) -> Figure:
    """Horizontal grouped bars of a sweep's summary frame: one row per job, one panel per metric
    group, the x axis fitted to the values, each bar labelled; jobs that are not ok are marked."""
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
                           padding=2, fontsize=7)
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
        axes.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.04), ncol=min(3, len(names)),
                    frameon=False)
    axes_row[0].set_yticks(rows)
    axes_row[0].set_yticklabels(labels, fontsize=8)
    axes_row[0].invert_yaxis()  # job 0 on top, as in summary.md
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
    columns = list(frame.columns)
    override_columns = columns[2: columns.index("status")] if "status" in columns else []
    varying = [c for c in override_columns if frame[c].astype(str).nunique() > 1]
    names = job_label_names(varying)
    labels = []
    for _, row in frame.iterrows():
        job = "" if "job" not in row or pd.isna(row["job"]) else f"#{row['job']}"
        parts = [f"{name}={row[column]}" for name, column in zip(names, varying, strict=True)]
        labels.append(" ".join([job, *parts]).strip() or str(row.get("dir", "")))
    return labels


# ---------------------------------------------------------------------------------------
# flagged_examples.png


def plot_flagged_examples(
    images: np.ndarray,
    captions: Sequence[str],
    is_true_error: Sequence[bool | None],
    title: str | None = None,
    n_columns: int = 8,
) -> Figure:
    """A grid of images (n, h, w) or (n, h, w, channels), each captioned "given -> suggested";
    true errors outlined in red, false detections in grey, unknown truth in light grey.

    The images are tiled into one mosaic on one axes (one axes per image would cost ~10 ms
    each); each tile's outline is a Rectangle patch and its caption a Text.
    """
    from matplotlib.patches import Rectangle

    images = np.asarray(images, dtype=float)
    n_images = len(images)
    if n_images == 0:
        figure = Figure(figsize=(4.0, 1.2))
        axes = figure.subplots(1, 1)
        axes.axis("off")
        axes.text(0.5, 0.5, "no flagged examples", ha="center", va="center")
        return figure
    n_columns = min(n_columns, n_images)
    n_rows = -(-n_images // n_columns)
    height, width = images.shape[1:3]
    pad, caption = max(1, width // 4), max(2, height // 3)  # blank margin, room for the caption
    cell_width, cell_height = width + pad, height + caption + pad
    # One scale for every image: the values are comparable across tiles.
    low, high = float(images.min()), float(images.max())
    scaled = (images - low) / (high - low if high > low else 1.0)
    colour = images.ndim == 4
    blank = 1.0 if colour else 0.0  # white in RGB, and in gray_r (dark ink on white)
    mosaic = np.full((n_rows * cell_height, n_columns * cell_width, *images.shape[3:]), blank)
    for position in range(n_images):
        row, col = divmod(position, n_columns)
        top, left = row * cell_height + caption, col * cell_width + pad // 2
        mosaic[top: top + height, left: left + width] = scaled[position]

    inches_per_unit = 1.2 / cell_width
    figure = Figure(figsize=(n_columns * cell_width * inches_per_unit,
                             n_rows * cell_height * inches_per_unit + (0.6 if title else 0.05)))
    axes = figure.add_axes((0, 0, 1, 1 - (0.6 if title else 0.05) / figure.get_figheight()))
    axes.imshow(mosaic, cmap=None if colour else "gray_r", vmin=0, vmax=1, interpolation="nearest")
    axes.axis("off")
    for position in range(n_images):
        row, col = divmod(position, n_columns)
        top, left = row * cell_height + caption, col * cell_width + pad // 2
        truth = is_true_error[position]
        color = UNKNOWN_COLOR if truth is None else TRUE_ERROR_COLOR if truth else FALSE_DETECTION_COLOR
        axes.add_patch(Rectangle((left - 0.5, top - 0.5), width, height, fill=False, edgecolor=color,
                                 linewidth=3.0 if truth else 1.0, label="true error" if truth else None))
        axes.text(left - 0.5 + width / 2, top - 0.7, captions[position], ha="center", va="bottom", fontsize=7,
                  color=TRUE_ERROR_COLOR if truth else "black")
    if title:
        figure.suptitle(title, fontsize=9, y=1 - 0.08 / figure.get_figheight(), va="top")
    return figure


def png_bytes(figure: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes; metadata pinned so the same figure gives the same bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()
