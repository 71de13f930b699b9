"""The critical-difference diagram (Demšar 2006, Fig. 1) and a byte-stable figure writer.

Methods sit on an axis of average rank (1 = best, on the left); a thick bar joins each run of
methods not significantly different (from the Nemenyi CD or from pairwise Wilcoxon-Holm: the
caller passes the runs, e.g. ``RankAnalysis.cliques(by=...)``); when a CD is given, a bar of that
length is drawn above the axis. The figure is built on a ``matplotlib.figure.Figure`` (no
pyplot, no global state), 3.4 in wide (one column) with no text below 8 pt.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["COLUMN_WIDTH", "MIN_FONT_SIZE", "cd_diagram", "save_figure"]

COLUMN_WIDTH = 3.4  # inches: one column of a two-column paper
MIN_FONT_SIZE = 8   # points, at COLUMN_WIDTH


def cd_diagram(average_ranks: Mapping[str, float] | pd.Series, cd: float | None,
               cliques: Sequence[Sequence[str]], *, title: str, ax=None,
               width: float = COLUMN_WIDTH, font_size: float = MIN_FONT_SIZE):
    """Draw a critical-difference diagram.

    Parameters
    ----------
    average_ranks : mapping or pandas.Series
        Average rank per method (1 = best).
    cd : float or None
        Nemenyi critical difference to draw as a scale bar (None: no bar, e.g. when the bars
        come from Wilcoxon-Holm).
    cliques : sequence of sequences of str
        Runs of methods not significantly different; each is joined by a bar.
    title : str
        Names the test and population, e.g. "Nemenyi CD = 1.2 (alpha 0.05), 10 seeds" (a
        figure marking significance names its test).
    ax : matplotlib.axes.Axes, optional
        Draw into it; otherwise a new Figure of ``width`` inches is made.
    width : float, default 3.4
    font_size : float, default 8
        At least :data:`MIN_FONT_SIZE`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    if font_size < MIN_FONT_SIZE:
        raise ValueError(f"font_size must be at least {MIN_FONT_SIZE} pt; got {font_size!r}.")
    ranks = pd.Series(average_ranks, dtype=float).sort_values(kind="stable")
    if ranks.empty or ranks.isna().any():
        raise ValueError(f"average_ranks must be non-empty and without NaN; got {dict(ranks)!r}.")
    unknown = {m for clique in cliques for m in clique} - set(ranks.index)
    if unknown:
        raise ValueError(f"cliques name methods without a rank: {sorted(unknown)!r}.")
    k = ranks.shape[0]
    low, high = 1, max(k, int(np.ceil(ranks.max())))
    labels = {name: f"{name} ({rank:.2f})" for name, rank in ranks.items()}
    # Two-sided (Demšar's layout: the better half labelled on the left) when the axis keeps at
    # least 1.4 in between the labels; otherwise every label on the left, one row each.
    left = list(ranks.index[: (k + 1) // 2])
    right = list(ranks.index[(k + 1) // 2:])[::-1]
    pad = 0.25  # inches between a label and the axis end, and at the figure edge
    left_width = _text_width([labels[m] for m in left], font_size) + pad
    right_width = _text_width([labels[m] for m in right], font_size) + pad
    if width - left_width - right_width < 1.4:
        left, right = list(ranks.index), []
        left_width, right_width = _text_width(list(labels.values()), font_size) + pad, pad
    axis_width = width - left_width - right_width - 0.2
    if axis_width < 0.8:
        raise ValueError(f"method names too long for a {width} in wide diagram at {font_size} pt: "
                         f"{max(labels.values(), key=len)!r}; shorten them or widen the figure.")
    rows = max(len(left), len(right))
    # About 60 characters of 8 pt text fit in one column.
    title_lines = textwrap.wrap(title, width=int(60 * width / COLUMN_WIDTH * MIN_FONT_SIZE / font_size)) or [""]
    # Data coordinates: x in rank units, y in rows of 0.2 in, downwards from the title: title
    # lines, the CD bar, tick labels, the axis (y = 0), cliques, labels.
    axis_top = 0.7 + (0.8 if cd is not None and np.isfinite(cd) else 0.0)
    top = axis_top + 0.9 * len(title_lines)
    bottom = -(0.6 + 0.5 * len(cliques) + rows)
    if ax is None:
        fig = Figure(figsize=(width, 0.2 * (top - bottom)))
        ax = fig.add_axes((0, 0, 1, 1))
    else:
        fig = ax.figure
    ax.set_axis_off()
    per_inch = (high - low) / axis_width if high > low else 1.0
    ax.set_xlim(low - (left_width + 0.1) * per_inch, high + (right_width + 0.1) * per_inch)
    ax.set_ylim(bottom, top)
    text = {"fontsize": font_size}
    middle = low + (width / 2 - left_width - 0.1) * per_inch  # the figure's centre
    ax.text(middle, top - 0.1, "\n".join(title_lines), ha="center", va="top", **text)
    ax.plot([low, high], [0, 0], color="black", linewidth=0.8)
    for tick in range(low, high + 1):
        ax.plot([tick, tick], [0, 0.12], color="black", linewidth=0.8)
        ax.text(tick, 0.2, str(tick), ha="center", va="bottom", **text)
    if cd is not None and np.isfinite(cd):
        y = 1.2
        ax.plot([low, low + cd], [y, y], color="black", linewidth=1.2)
        for end in (low, low + cd):
            ax.plot([end, end], [y - 0.15, y + 0.15], color="black", linewidth=0.8)
        ax.text(low + cd + 0.05 * per_inch, y, f"CD = {cd:.2f}", ha="left", va="center", **text)
    # Cliques: thick bars just below the axis, stacked.
    for level, clique in enumerate(cliques):
        y = -0.35 - 0.5 * level
        members = ranks[list(clique)]
        ax.plot([members.min() - 0.03, members.max() + 0.03], [y, y], color="black",
                linewidth=2.5, solid_capstyle="butt")
    label_top = -0.6 - 0.5 * len(cliques)
    gap = 0.1 * per_inch
    for side, names in (("left", left), ("right", right)):
        for row, name in enumerate(names):
            y = label_top - row
            x = ranks[name]
            end = low - gap if side == "left" else high + gap
            ax.plot([x, x, end], [0, y, y], color="0.3", linewidth=0.7)
            label = labels[name] if side == "left" else f"({x:.2f}) {name}"
            ax.text(end - 0.5 * gap if side == "left" else end + 0.5 * gap, y, label,
                    ha="right" if side == "left" else "left", va="center", **text)
    return fig


def _text_width(texts: Sequence[str], font_size: float) -> float:
    """Widest of the texts in inches at font_size: matplotlib's advance width of the laid-out
    string (as wide as the ink or a little wider; no glyph outlines built, 50x faster)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    if not texts:
        return 0.0
    font = FontProperties(size=font_size)
    return max(text_to_path.get_text_width_height_descent(t, font, ismath=False)[0] for t in texts) / 72.0


def save_figure(fig, stem: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``stem.pdf`` and ``stem.png`` (200 dpi), byte-identical across reruns.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    stem : str or path
        Path without suffix.

    Returns
    -------
    (pdf, png) : tuple of Path

    Notes
    -----
    Matplotlib stamps a creation date into PDFs and its version into PNGs (``Software``);
    both are removed (``metadata={"CreationDate": None}`` / ``{"Software": None}``), so the same
    figure gives the same bytes. Each file is written to a temporary file beside it and moved
    into place (``os.replace``), so an interrupted save never leaves half a figure. This is the
    package's only file output.
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, options in ((".pdf", {"metadata": {"CreationDate": None}}),
                            (".png", {"metadata": {"Software": None}, "dpi": 200})):
        target = stem.with_suffix(suffix)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                fig.savefig(out, format=suffix[1:], **options)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(target)
    return written[0], written[1]
