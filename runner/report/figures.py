"""flagged_examples.png of a run: the worst flagged images, given -> suggested label, true
errors outlined (a Figure built without pyplot)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

__all__ = ["plot_flagged_examples"]

TRUE_ERROR_COLOR, FALSE_DETECTION_COLOR, UNKNOWN_COLOR = "#d62728", "#7f7f7f", "#bbbbbb"


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
        # add_artist, not add_patch: the outlines lie inside the image, whose extent already set
        # the limits, and add_patch's update of the data limits costs ~1 ms per outline
        axes.add_artist(Rectangle((left - 0.5, top - 0.5), width, height, fill=False, edgecolor=color,
                                 linewidth=3.0 if truth else 1.0, label="true error" if truth else None))
        axes.text(left - 0.5 + width / 2, top - 0.7, captions[position], ha="center", va="bottom", fontsize=7,
                  color=TRUE_ERROR_COLOR if truth else "black")
    if title:
        figure.suptitle(title, fontsize=9, y=1 - 0.08 / figure.get_figheight(), va="top")
    return figure


