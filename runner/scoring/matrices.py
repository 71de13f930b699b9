"""matrices.png of a run: the confident joint (counts), the estimated and the true noise matrix
on one shared colour scale (so their colours can be compared), and "estimated - true" on a
diverging scale centred on 0. Cached across the jobs of a sweep that draw the same figure."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from runner.core.cache import ArrayCache, fingerprint
from runner.core.io import pdf_bytes, png_bytes

__all__ = ["matrices_png", "plot_matrices"]

# Numbers in cells stay readable up to this many classes; above, the CSVs have the values.
# Each number is a matplotlib Text (~1 ms to draw); the figure is cached across a sweep.
MAX_ANNOTATED_CLASSES = 10
ESTIMATED, TRUE, JOINT = "estimated noise matrix", "true noise matrix", "confident joint"
DIFFERENCE = "estimated - true"


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
    font_size = 8  # never smaller: a number that cannot be read is not shown (MAX_ANNOTATED_CLASSES)
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


def matrices_png(frames: dict[str, pd.DataFrame], cache: ArrayCache, figure_title: str) -> dict[str, bytes]:
    """{"png": 200 dpi PNG bytes, "pdf": vector PDF bytes} of matrices.png/.pdf, from the cache
    when the same matrices were drawn before.

    The confident joint and noise matrices do not depend on the filter settings, so every job
    of a sweep over them draws the same figure; drawing it is most of a cached job's cost.
    """
    import matplotlib

    key = {
        "title": figure_title,
        "matrices": fingerprint(*(x for title, frame in frames.items() for x in (title, frame))),
        "plot_code": fingerprint(np.frombuffer(Path(__file__).read_bytes(), dtype=np.uint8)),
        "matplotlib": matplotlib.__version__,
    }

    def draw() -> dict[str, np.ndarray]:
        figure = plot_matrices(frames, figure_title)
        return {"png": np.frombuffer(png_bytes(figure, dpi=200), dtype=np.uint8),
                "pdf": np.frombuffer(pdf_bytes(figure), dtype=np.uint8)}

    arrays = cache.get_or_compute("matrices_png", key, draw, names=["png", "pdf"])
    return {name: arrays[name].tobytes() for name in ("png", "pdf")}
