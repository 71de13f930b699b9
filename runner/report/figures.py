"""flagged_examples.png of a run: the worst flagged images, given -> suggested label, true
errors outlined.

Drawn straight into pixels with Pillow (which matplotlib brings): the images are pasted on a
white canvas, each scaled by a whole number of pixels (nearest neighbour, so every image
pixel stays a sharp block) and each caption drawn with matplotlib's own DejaVu Sans. A
matplotlib figure of the same grid cost ~0.1 s per run (Agg drawing 40 captions and
resampling the mosaic), a third of a digits job; this costs ~0.02 s.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

__all__ = ["draw_flagged_examples", "flagged_examples_png", "tile_corners"]

TRUE_ERROR_COLOR, FALSE_DETECTION_COLOR, UNKNOWN_COLOR = "#d62728", "#7f7f7f", "#bbbbbb"
TILE_PIXELS = 120  # an image's longer side on the figure: small images grow by a whole factor, large ones shrink
CAPTION_PIXELS, GAP_PIXELS, MARGIN_PIXELS = 18, 16, 10
CAPTION_FONT_PIXELS, TITLE_FONT_PIXELS, TITLE_LINE_PIXELS = 10, 13, 17


def draw_flagged_examples(
    images: np.ndarray,
    captions: Sequence[str],
    is_true_error: Sequence[bool | None],
    title: str | None = None,
    n_columns: int = 8,
):
    """A grid of images (n, h, w) or (n, h, w, channels) as a ``PIL.Image``, each captioned
    (e.g. "#12: 3 -> 5"); true errors outlined in red (3 px), false detections in grey,
    unknown truth in light grey (1 px). One value scale for every image, so tiles compare;
    grayscale is drawn dark ink on white. ``title``: lines centred above the grid.
    """
    from PIL import Image, ImageDraw

    if len(captions) != len(images) or len(is_true_error) != len(images):
        raise ValueError(f"captions ({len(captions)}) and is_true_error ({len(is_true_error)}) must have one "
                         f"entry per image ({len(images)})")
    images = np.asarray(images, dtype=float)
    title_lines = title.splitlines() if title else []
    title_height = len(title_lines) * TITLE_LINE_PIXELS + MARGIN_PIXELS if title_lines else 0
    if len(images) == 0:
        canvas = Image.new("RGB", (400, title_height + 60), "white")
        draw = ImageDraw.Draw(canvas)
        _draw_title(draw, title_lines, canvas.width)
        draw.text((200, title_height + 30), "no flagged examples", fill="black", font=_font(TITLE_FONT_PIXELS),
                  anchor="mm")
        return canvas
    tiles = _tiles(images)
    height, width = images.shape[1:3]
    scale = max(1, TILE_PIXELS // max(height, width))
    if max(height, width) > TILE_PIXELS:
        shrink = TILE_PIXELS / max(height, width)
        tile_h, tile_w = max(1, round(height * shrink)), max(1, round(width * shrink))
    else:
        tile_h, tile_w = height * scale, width * scale
    n_columns = min(n_columns, len(images))
    n_rows = -(-len(images) // n_columns)
    cell_w, cell_h = _cell_size(tile_h, tile_w)
    canvas = Image.new("RGB", (n_columns * cell_w + MARGIN_PIXELS, title_height + n_rows * cell_h + MARGIN_PIXELS),
                       "white")
    draw = ImageDraw.Draw(canvas)
    _draw_title(draw, title_lines, canvas.width)
    font = _font(CAPTION_FONT_PIXELS)
    resampling = getattr(Image, "Resampling", Image)
    for position, (left, top) in enumerate(tile_corners(len(images), n_columns, (tile_h, tile_w), title_height)):
        tile = Image.fromarray(tiles[position])
        if (tile_h, tile_w) != (height, width):
            tile = tile.resize((tile_w, tile_h), resampling.NEAREST if scale > 1 else resampling.BOX)
        canvas.paste(tile, (left, top))
        truth = is_true_error[position]
        colour = UNKNOWN_COLOR if truth is None else TRUE_ERROR_COLOR if truth else FALSE_DETECTION_COLOR
        line = 3 if truth else 1
        draw.rectangle((left - line, top - line, left + tile_w - 1 + line, top + tile_h - 1 + line),
                       outline=colour, width=line)
        draw.text((left + tile_w / 2, top - line - 3), captions[position], font=font, anchor="ms",
                  fill=TRUE_ERROR_COLOR if truth else "black")
    return canvas


def tile_corners(n_images: int, n_columns: int, tile_size: tuple[int, int], title_height: int = 0):
    """(left, top) in pixels of each image of the grid, row by row."""
    n_columns = min(n_columns, n_images)
    cell_w, cell_h = _cell_size(*tile_size)
    return [(MARGIN_PIXELS // 2 + GAP_PIXELS // 2 + (position % n_columns) * cell_w,
             title_height + (position // n_columns) * cell_h + CAPTION_PIXELS) for position in range(n_images)]


def _cell_size(tile_h: int, tile_w: int) -> tuple[int, int]:
    """(width, height) in pixels of one grid cell: the image, its caption above, the gap."""
    return tile_w + GAP_PIXELS, CAPTION_PIXELS + tile_h + GAP_PIXELS


def flagged_examples_png(*args, **kwargs) -> bytes:
    """:func:`draw_flagged_examples` as PNG bytes (no metadata: the same grid, the same bytes)."""
    buffer = io.BytesIO()
    draw_flagged_examples(*args, **kwargs).save(buffer, format="png")
    return buffer.getvalue()


def _tiles(images: np.ndarray) -> np.ndarray:
    """uint8 pixels: grayscale as ink (255 - value) on white, colour as it is (alpha dropped)."""
    low, high = float(images.min()), float(images.max())
    scaled = (images - low) / (high - low if high > low else 1.0)
    if images.ndim == 4 and images.shape[3] == 1:
        scaled = scaled[..., 0]
    if scaled.ndim == 3:
        return np.round(255 * (1.0 - scaled)).astype(np.uint8)
    if scaled.ndim == 4 and scaled.shape[3] in (3, 4):
        return np.ascontiguousarray(np.round(255 * scaled[..., :3]).astype(np.uint8))
    raise ValueError(f"images must have shape (n, h, w) or (n, h, w, 1|3|4); got {images.shape}")


def _draw_title(draw, lines: list[str], width: int) -> None:
    font = _font(TITLE_FONT_PIXELS)
    for number, text in enumerate(lines):
        draw.text((width / 2, MARGIN_PIXELS // 2 + number * TITLE_LINE_PIXELS), text, font=font, anchor="mt",
                  fill="black")


@cache
def _font(size: int):
    """matplotlib's DejaVu Sans (always installed with it): the same glyphs on every machine."""
    import matplotlib
    from PIL import ImageFont

    return ImageFont.truetype(str(Path(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf")), size)
