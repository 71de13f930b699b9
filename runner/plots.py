"""Figures of one run: the confident joint and the noise matrices as annotated heatmaps."""

from __future__ import annotations

import io

import pandas as pd
from matplotlib.figure import Figure  # no pyplot: no global figure state, no GUI backend

__all__ = ["plot_matrices", "png_bytes"]

# Numbers in the cells stay readable up to this many classes. Each number is a matplotlib
# Text (~1 ms to draw), so probability matrices, whose exact values are in the CSVs anyway,
# get numbers only when small; counts (the confident joint) up to the readable limit.
MAX_ANNOTATED_CLASSES = 15
MAX_ANNOTATED_CLASSES_PROBABILITIES = 6


def plot_matrices(matrices: dict[str, pd.DataFrame]) -> Figure:
    """One heatmap per matrix (title -> square DataFrame with class values as index/columns).

    Rows are the given label, columns the true label (as in the CSVs); integer-valued
    matrices (counts) are annotated as integers, the others with two decimals.
    """
    n_panels = len(matrices)
    fig = Figure(figsize=(4.6 * n_panels, 4.4))
    axes = fig.subplots(1, n_panels, squeeze=False)
    for panel, (axis, (title, frame)) in enumerate(zip(axes[0], matrices.items(), strict=True)):
        values = frame.to_numpy(dtype=float)
        image = axis.imshow(values, cmap="viridis", interpolation="nearest")
        n_classes = values.shape[0]
        ticks = range(n_classes)
        axis.set_xticks(ticks, [str(c) for c in frame.columns], rotation=90 if n_classes > 5 else 0)
        axis.set_yticks(ticks, [str(c) for c in frame.index])
        axis.set_xlabel(frame.columns.name or "true label")
        if panel == 0:  # the same for every panel; elsewhere it would crowd the colorbar
            axis.set_ylabel(frame.index.name or "given label")
        axis.set_title(title)
        is_count = bool((values == values.round()).all())
        if n_classes <= (MAX_ANNOTATED_CLASSES if is_count else MAX_ANNOTATED_CLASSES_PROBABILITIES):
            _annotate(axis, values, is_count)
        fig.colorbar(image, ax=axis, fraction=0.046, pad=0.04)
    # Fixed margins: tight_layout would cost a second full draw of every annotation.
    # Room on the left for the longest class name (about 0.07 inch per character).
    longest = max(len(str(c)) for frame in matrices.values() for c in frame.index)
    left_inches = 0.45 + 0.07 * longest
    fig.subplots_adjust(left=left_inches / fig.get_figwidth(), right=0.95, bottom=0.16, top=0.92,
                        wspace=0.2 + left_inches / 4.6)
    return fig


def _annotate(axis, values, is_count: bool) -> None:
    threshold = (values.max() + values.min()) / 2  # light text on dark cells
    font_size = 8 if values.shape[0] <= 10 else 6
    for row, col in ((r, c) for r in range(values.shape[0]) for c in range(values.shape[1])):
        value = values[row, col]
        text = f"{value:.0f}" if is_count else f"{value:.2f}"
        color = "white" if value < threshold else "black"
        axis.text(col, row, text, ha="center", va="center", color=color, fontsize=font_size)


def png_bytes(figure: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes; metadata pinned so the same figure gives the same bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()
