"""The critical-difference diagram: readable at column width, byte-identical saves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text
from PIL import Image

from runner.statistics import cd_diagram, rank_analysis, save_figure

NAMES = ["baseline", "confident_learning", "both", "prune_by_class", "prune_by_noise_rate",
         "predicted_neq_given", "low_self_confidence"]


def analysis():
    rng = np.random.default_rng(0)
    values = pd.DataFrame(0.8 + np.linspace(0, 0.02, 7) + rng.normal(0, 0.01, (10, 7)), columns=NAMES)
    return rank_analysis(values, population="seeds")


def test_diagram_is_one_column_wide_with_readable_text_and_names_its_test():
    result = analysis()
    fig = cd_diagram(result.average_ranks, result.nemenyi_cd, result.cliques("nemenyi"),
                     title="Nemenyi CD (alpha 0.05), 10 seeds")
    assert fig.get_size_inches()[0] == pytest.approx(3.4)
    texts = [t for t in fig.findobj(Text) if t.get_text()]
    assert min(t.get_fontsize() for t in texts) >= 8
    contents = " ".join(t.get_text() for t in texts)
    assert "Nemenyi" in contents and "CD = " in contents
    assert all(name in contents for name in NAMES)
    # Every label lies inside the figure (long method names switch to one-sided labels).
    renderer = FigureCanvasAgg(fig).get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    for text in texts:
        box = text.get_window_extent(renderer)
        assert box.x0 >= -1 and box.x1 <= width + 1 and box.y0 >= -1 and box.y1 <= height + 1, text


def test_save_figure_is_byte_identical_and_200_dpi(tmp_path):
    result = analysis()

    def draw():
        return cd_diagram(result.average_ranks, None, result.cliques(),
                          title="Wilcoxon signed-rank, Holm over 21 pairs, 10 seeds")

    first = save_figure(draw(), tmp_path / "one" / "cd")
    second = save_figure(draw(), tmp_path / "two" / "cd")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
    assert first[0].read_bytes().startswith(b"%PDF")
    with Image.open(first[1]) as image:
        assert image.size[0] == pytest.approx(3.4 * 200, abs=1)
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["cd.pdf", "cd.png"]


def test_unknown_methods_and_small_fonts_are_refused():
    with pytest.raises(ValueError, match="cliques name methods without a rank: \\['z'\\]"):
        cd_diagram({"a": 1.0, "b": 2.0}, None, [["a", "z"]], title="t")
    with pytest.raises(ValueError, match="font_size must be at least 8"):
        cd_diagram({"a": 1.0, "b": 2.0}, None, [], title="t", font_size=6)


def test_label_width_is_at_least_the_ink_of_the_text():
    """The CD diagram's room for labels: the laid-out width, never narrower than the glyphs."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    from runner.statistics.cd_diagram import _text_width

    texts = ["(2.35) prune_by_noise_rate", "low_self_confidence (3.10)", "both", "W"]
    for text in texts:
        ink = TextPath((0, 0), text, prop=FontProperties(size=8)).get_extents().width / 72.0
        assert ink <= _text_width([text], 8) <= ink * 1.25 + 0.05
    assert _text_width(texts, 8) == max(_text_width([t], 8) for t in texts)
    assert _text_width([], 8) == 0.0
