"""runner.report and runner.results.figures: what the reports and figures show, recomputed from the files.

Figures are checked through matplotlib's objects (colour limits, panels, texts, patches), not
pixels; reports by parsing their HTML and recomputing each table from label_issues.csv.
"""

from __future__ import annotations

import base64
import io
import json
import logging
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hydra import compose, initialize_config_dir
from matplotlib.image import imread
from sklearn.datasets import load_digits, load_iris

from runner.config import ConfigError, register_configs, validate_config
from runner.experiment.pipeline import run
from runner.experiment.titles import matrices_title, run_title
from runner.report import main, write_run_report, write_sweep_report
from runner.report.figures import draw_flagged_examples, flagged_examples_png, tile_corners
from runner.results.figures import job_label_names, plot_summary
from runner.scoring.matrices import plot_matrices

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
register_configs()


# ---------------------------------------------------------------------------------------
# helpers


class Tables(HTMLParser):
    """Every <table id=...> of a page: rows of (cell texts, cell img srcs); and all img srcs."""

    def __init__(self, text: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.images: dict[str, list[list[list[str]]]] = {}
        self.all_images: list[str] = []
        self.links: list[str] = []
        self._table = self._row = self._cell = None
        self._in_head = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = attrs.get("id")
            self.tables[self._table], self.images[self._table] = [], []
        elif tag == "thead":
            self._in_head = True
        elif tag == "tbody":
            self._in_head = False
        elif tag == "tr" and self._table and not self._in_head:
            self._row = []
            self.tables[self._table].append(self._row)
            self.images[self._table].append([])
        elif tag == "td" and self._row is not None:
            self._cell = []
            self._row.append("")
            self.images[self._table][-1].append(self._cell)
        elif tag == "img":
            self.all_images.append(attrs["src"])
            if self._cell is not None:
                self._cell.append(attrs["src"])
        elif tag == "a":
            self.links.append(attrs.get("href", ""))

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "tr":
            self._row = None
        elif tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._row is not None and self._cell is not None:
            self._row[-1] += data


def decode_png(src: str) -> np.ndarray:
    assert src.startswith("data:image/png;base64,")
    return imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1])), format="png")


def make_run_dir(path: Path, dataset: dict, issues: pd.DataFrame, metrics: dict | None = None, **cfg) -> Path:
    """A run dir as a finished run leaves it, with only the files the report reads."""
    path.mkdir(parents=True, exist_ok=True)
    config = {
        "seed": 0, "dataset": dataset, "classifier": {"_target_": "sklearn.linear_model.LogisticRegression"},
        "noise": {"name": "uniform", "rate": 0.2},
        "cleanlearning": {"cv_n_folds": 3, "find_label_issues_kwargs": {"filter_by": "both"}}, **cfg,
    }
    (path / "resolved_config.yaml").write_text(yaml.safe_dump(config))
    issues.to_csv(path / "label_issues.csv", index=False)
    (path / "metrics.json").write_text(json.dumps(metrics or {"n_examples": len(issues), "n_label_issues": 1}))
    return path


def issues_frame(index, flagged, quality, given, predicted, true=None) -> pd.DataFrame:
    frame = pd.DataFrame({"index": index, "is_label_issue": flagged, "label_quality": quality,
                          "given_label": given, "predicted_label": predicted})
    if true is not None:
        frame["true_label"] = true
        frame["is_true_error"] = np.asarray(given) != np.asarray(true)
    return frame


def make_config(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=["cache_dir=null", *overrides])


# ---------------------------------------------------------------------------------------
# matrices.png


def noise_frames(n_classes: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    index = pd.Index(range(n_classes), name="given label")
    columns = pd.Index(range(n_classes), name="true label")

    def stochastic(diagonal):
        matrix = rng.random((n_classes, n_classes)) * (1 - diagonal) + np.eye(n_classes) * diagonal * 4
        return pd.DataFrame(matrix / matrix.sum(axis=0), index=index, columns=columns)

    joint = pd.DataFrame(rng.integers(0, 50, (n_classes, n_classes)), index=index, columns=columns)
    # The true matrix reaches higher than the estimated one: a shared scale must take its max.
    return {"confident joint": joint, "estimated noise matrix": stochastic(0.5), "true noise matrix": stochastic(0.9)}


def test_matrices_share_one_colour_scale_and_show_the_difference_on_a_diverging_one():
    frames = noise_frames(4)
    figure = plot_matrices(frames, title="iris · LogisticRegression · seed 0")
    axes = {ax.get_title(): ax for ax in figure.axes if ax.get_title()}
    assert list(axes) == ["confident joint", "estimated noise matrix", "true noise matrix", "estimated - true"]
    estimated, true, difference = (axes[t].images[0] for t in
                                   ("estimated noise matrix", "true noise matrix", "estimated - true"))
    highest = max(frames["estimated noise matrix"].to_numpy().max(), frames["true noise matrix"].to_numpy().max())
    assert estimated.get_clim() == true.get_clim() == (0.0, pytest.approx(highest))
    expected = frames["estimated noise matrix"].to_numpy() - frames["true noise matrix"].to_numpy()
    np.testing.assert_allclose(difference.get_array(), expected)
    low, high = difference.get_clim()
    assert low == -high == pytest.approx(-np.abs(expected).max())  # symmetric around 0
    assert difference.get_cmap().name == "RdBu_r"
    # The counts keep their own scale.
    joint = axes["confident joint"].images[0]
    assert joint.get_clim() == (frames["confident joint"].to_numpy().min(), frames["confident joint"].to_numpy().max())
    assert figure._suptitle.get_text() == "iris · LogisticRegression · seed 0"


def test_matrices_without_the_truth_have_no_difference_panel():
    frames = noise_frames(3)
    del frames["true noise matrix"]
    titles = [ax.get_title() for ax in plot_matrices(frames).axes if ax.get_title()]
    assert titles == ["confident joint", "estimated noise matrix"]


@pytest.mark.parametrize("n_classes, annotated", [(10, True), (11, False)])
def test_matrix_cells_carry_rounded_numbers_up_to_ten_classes(n_classes, annotated):
    frames = noise_frames(n_classes)
    figure = plot_matrices(frames)
    axes = {ax.get_title(): ax for ax in figure.axes if ax.get_title()}
    texts = [t.get_text() for t in axes["estimated noise matrix"].texts]
    assert len(texts) == (n_classes**2 if annotated else 0)
    if annotated:
        values = frames["estimated noise matrix"].to_numpy().ravel()
        shown = [0.0 if t == "0" else float(t) for t in texts]  # ".07" -> 0.07
        np.testing.assert_allclose(shown, np.where(np.abs(values) < 0.005, 0, values.round(2)), atol=1e-9)
        counts = [int(t.get_text()) for t in axes["confident joint"].texts]
        assert counts == frames["confident joint"].to_numpy().ravel().tolist()


def test_matrices_title_names_what_the_matrices_depend_on_and_not_filter_by():
    cfg = make_config("dataset=iris", "noise=uniform", "noise.rate=0.3", "seed=4",
                      "cleanlearning.find_label_issues_kwargs.filter_by=both")
    title = matrices_title(cfg)
    for part in ("iris", "LogisticRegression", "uniform (rate=0.3)", "seed 4", "5 folds"):
        assert part in title, (part, title)
    assert "both" not in title  # a sweep over filter_by shares (and caches) one figure
    assert "filter_by=both" in run_title(cfg)


# ---------------------------------------------------------------------------------------
# summary.png


def summary_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "job": [0, 1, 2], "dir": ["0", "1", "2"],
        "noise.rate": ["0.1", "0.3", "0.3"],
        "cleanlearning.find_label_issues_kwargs.filter_by": ["both", "both", "prune_by_class"],
        "status": ["ok", "ok", "failed"],
        "test_accuracy_baseline": [0.91, 0.88, np.nan], "test_accuracy_cleanlearning": [0.93, 0.905, np.nan],
        "issue_f1": [0.81, 0.77, np.nan], "n_label_issues": [30, 95, np.nan], "n_examples": [300, 300, np.nan],
        "true_noise_rate": [0.1, 0.3, np.nan], "noise_matrix_error": [0.012, 0.031, np.nan],
    })


def test_summary_bars_are_fitted_to_the_data_and_labelled_with_their_values():
    figure = plot_summary(summary_frame())
    axes = {ax.get_title(): ax for ax in figure.axes}
    assert list(axes) == ["test accuracy", "label-issue detection", "issues flagged vs true errors",
                          "noise matrix error (mean abs.)"]
    low, high = axes["test accuracy"].get_xlim()
    assert 0.5 < low < 0.88 and 0.93 < high < 1.0  # not a fixed 0-1 axis: 1-5 point gaps stay visible
    texts = {t.get_text() for t in axes["test accuracy"].texts}
    assert {"0.910", "0.930", "0.880", "0.905"} <= texts
    # issues flagged vs true errors: true errors = true_noise_rate * n_examples
    assert {"30", "95", "90"} <= {t.get_text() for t in axes["issues flagged vs true errors"].texts}
    assert axes["issues flagged vs true errors"].get_xlim()[0] == 0  # counts start at 0
    assert {"0.012", "0.031"} <= {t.get_text() for t in axes["noise matrix error (mean abs.)"].texts}
    labels = [t.get_text() for t in axes["test accuracy"].get_yticklabels()]
    assert labels == ["#0 noise.rate=0.1 filter_by=both", "#1 noise.rate=0.3 filter_by=both",
                      "#2 noise.rate=0.3 filter_by=prune_by_class"]
    assert "failed" in {t.get_text() for t in axes["test accuracy"].texts}


def test_summary_labels_stay_unambiguous():
    assert job_label_names(["noise.rate", "dataset.test_size"]) == ["noise.rate", "dataset.test_size"]
    assert job_label_names(["cleanlearning.cv_n_folds", "cleanlearning.find_label_issues_kwargs.filter_by"]) \
        == ["cv_n_folds", "filter_by"]
    clash = ["cleanlearning.a.method", "cleanlearning.b.method"]
    assert job_label_names(clash) == clash


def test_summarize_draws_summary_png_with_plot_summary(tmp_path, monkeypatch):
    from runner.results import figures as figures_module
    from runner.results import summarize as summarize_module

    calls = []
    real = plot_summary
    monkeypatch.setattr(figures_module, "plot_summary", lambda frame: calls.append(len(frame)) or real(frame))
    summarize_module._plot_summary(summary_frame(), tmp_path / "summary.png")
    assert calls == [3] and (tmp_path / "summary.png").read_bytes()[:4] == b"\x89PNG"


# ---------------------------------------------------------------------------------------
# flagged_examples.png


def test_flagged_examples_outline_the_true_errors():
    images = load_digits().images[:5]
    truth = [True, False, True, None, False]
    canvas = draw_flagged_examples(images, [f"{k}: 1 -> 2" for k in range(5)], truth, n_columns=3)
    pixels = np.asarray(canvas)
    # 8x8 digits grow by a whole factor (15) to 120 px; three per row: the fourth sits below the first.
    corners = tile_corners(5, 3, (120, 120))
    assert corners[3][0] == corners[0][0] and corners[3][1] > corners[0][1]
    assert pixels.shape == (2 * (18 + 120 + 16) + 10, 3 * (120 + 16) + 10, 3)
    red, grey, light = (0xD6, 0x27, 0x28), (0x7F, 0x7F, 0x7F), (0xBB, 0xBB, 0xBB)
    for position, (left, top) in enumerate(corners):
        # Each tile holds its image, ink dark on white, on one value scale for all (here 0..16),
        # every image pixel a sharp 15x15 block.
        expected = np.kron(np.round(255 * (1 - images[position] / 16)), np.ones((15, 15)))
        np.testing.assert_array_equal(pixels[top:top + 120, left:left + 120, 0], expected)
        assert (pixels[top:top + 120, left:left + 120] == pixels[top:top + 120, left:left + 120, :1]).all()
        # The outline right around it: 3 px red for a true error, 1 px grey otherwise.
        outline = tuple(pixels[top - 1, left + 60])
        assert outline == {True: red, False: grey, None: light}[truth[position]]
        assert tuple(pixels[top - 3, left + 60]) == (red if truth[position] else (255, 255, 255))
        assert tuple(pixels[top + 60, left + 120 + 2]) == (red if truth[position] else (255, 255, 255))
        # Its caption above the outline, red for a true error.
        caption = pixels[top - 18:top - 3, left:left + 120].reshape(-1, 3)
        inked = caption[(caption != 255).any(axis=1)]
        assert len(inked) > 20
        reddish = (inked[:, 0].astype(int) - inked[:, 1]) > 60
        assert reddish.any() == bool(truth[position])


def test_flagged_examples_png_is_the_same_bytes_each_time_and_takes_colour_and_large_images():
    rng = np.random.default_rng(0)
    colour = rng.uniform(0, 255, size=(3, 300, 200, 3))  # larger than a tile: shrunk to 120 px tall
    first = flagged_examples_png(colour, ["a", "b", "c"], [True, False, None], title="two\nlines")
    assert first[:4] == b"\x89PNG" and flagged_examples_png(colour, ["a", "b", "c"], [True, False, None],
                                                             title="two\nlines") == first
    canvas = draw_flagged_examples(colour, ["a", "b", "c"], [True, False, None], title="two\nlines")
    assert canvas.height == 10 + 2 * 17 + (18 + 120 + 16) + 10 and canvas.width == 3 * (80 + 16) + 10
    assert draw_flagged_examples(np.zeros((0, 8, 8)), [], []).width == 400  # "no flagged examples"
    with pytest.raises(ValueError, match="images must have shape"):
        draw_flagged_examples(np.zeros((2, 8, 8, 2)), ["a", "b"], [True, True])
    with pytest.raises(ValueError, match="one entry per image"):
        draw_flagged_examples(np.zeros((2, 8, 8)), ["a"], [True, True])


# ---------------------------------------------------------------------------------------
# run report


def test_digits_report_lists_the_worst_flagged_first_with_their_images(tmp_path):
    digits = load_digits()
    index = np.array([10, 3, 7, 250, 42, 99])
    given = digits.target[index].copy()
    given[[0, 2, 3]] = (given[[0, 2, 3]] + 1) % 10  # rows 0, 2, 3 are true errors
    issues = issues_frame(index, [True, True, True, False, True, False], [0.2, 0.05, 0.2, 0.01, 0.6, 0.9],
                          given, [1, 2, 3, 4, 5, 6], true=digits.target[index])
    run_dir = make_run_dir(tmp_path, {"name": "digits", "test_size": 0.25}, issues, report={"top_k": 3})
    write_run_report(run_dir)
    page = Tables((run_dir / "report.html").read_text())

    rows = page.tables["flagged"]
    # Flagged, by label quality, ties in file order; report.top_k=3 of the 4 flagged.
    assert [int(r[1]) for r in rows] == [3, 10, 7]
    assert [r[6] for r in rows] == ["false detection", "true error", "true error"]
    for row, images in zip(rows, page.images["flagged"], strict=True):
        (src,) = images[-1]
        pixels = decode_png(src)  # ink dark on white over the dataset's range 0..16
        np.testing.assert_allclose(pixels, np.round(255 * (1 - digits.images[int(row[1])] / 16)) / 255, atol=1e-6)
    # The true error not flagged: index 250.
    assert [int(r[1]) for r in page.tables["missed"]] == [250]
    figure_bytes, page_bytes = (run_dir / "flagged_examples.png").read_bytes(), (run_dir / "report.html").read_bytes()
    assert figure_bytes[:4] == b"\x89PNG"
    write_run_report(run_dir)  # rebuilt from the same files: the same bytes
    assert (run_dir / "flagged_examples.png").read_bytes() == figure_bytes
    assert (run_dir / "report.html").read_bytes() == page_bytes
    # Self-contained: every image inline, nothing fetched.
    html_text = (run_dir / "report.html").read_text()
    assert page.all_images and all(src.startswith("data:image/png;base64,") for src in page.all_images)
    assert "http://" not in html_text and "https://" not in html_text
    # Sections whose files this run lacks say so.
    assert "No class_health.csv in this dir" in html_text and "No matrices.png in this dir" in html_text


def test_table_report_shows_feature_values_and_the_health_tables(tmp_path):
    iris = load_iris()
    issues = issues_frame([5, 120], [True, True], [0.1, 0.3], [0, 2], [1, 1])  # no true labels
    run_dir = make_run_dir(tmp_path, {"name": "iris"}, issues)
    pd.DataFrame({"class_index": [0, 1], "label_issues": [3, 1], "label_quality_score": [0.8, 0.95]}).to_csv(
        run_dir / "class_health.csv", index=False)
    write_run_report(run_dir)
    page = Tables((run_dir / "report.html").read_text())
    rows = page.tables["flagged"]
    assert [int(r[1]) for r in rows] == [5, 120]
    assert len(rows[0]) == 6  # rank, index, given, suggested, quality, example: no truth columns
    name = iris.feature_names[0]
    assert f"{name}={iris.data[5, 0]:.4g}" in rows[0][-1] and f"{name}={iris.data[120, 0]:.4g}" in rows[1][-1]
    assert page.tables["class_health"] == [["0", "3", "0.8"], ["1", "1", "0.95"]]
    assert "missed" not in page.tables and not (run_dir / "flagged_examples.png").exists()


def test_report_of_a_real_run_agrees_with_its_label_issues(tmp_path):
    cfg = make_config("dataset=iris", "cleanlearning.cv_n_folds=3", "noise.rate=0.3", "report.top_k=7")
    validate_config(cfg)
    metrics = run(cfg, tmp_path)
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    (tmp_path / "resolved_config.yaml").write_text(yaml.safe_dump(
        __import__("omegaconf").OmegaConf.to_container(cfg, resolve=True)))
    write_run_report(tmp_path)
    page = Tables((tmp_path / "report.html").read_text())
    issues = pd.read_csv(tmp_path / "label_issues.csv")
    flagged = issues[issues["is_label_issue"]].sort_values("label_quality", kind="stable")
    assert [int(r[1]) for r in page.tables["flagged"]] == flagged["index"].head(7).tolist()
    assert [r[5] for r in page.tables["flagged"]] == flagged["true_label"].head(7).astype(str).tolist()
    missed = issues[issues["is_true_error"] & ~issues["is_label_issue"]]
    assert len(page.tables["missed"]) == min(7, len(missed))
    shown = {r[0]: r[1] for r in page.tables["metrics"]}
    assert float(shown["issue_f1"]) == pytest.approx(metrics["issue_f1"], abs=1e-4)
    assert "total_seconds" not in shown  # timings go to their own line
    assert len(page.all_images) == 1  # matrices.png; iris has no images


def test_report_top_k_is_checked_with_the_config():
    validate_config(make_config("report.top_k=5"))
    with pytest.raises(ConfigError, match=r"report.top_k must be an int >= 1; got 0"):
        validate_config(make_config("report.top_k=0"))


def test_a_dir_without_results_raises_or_warns(tmp_path, caplog):
    with pytest.raises(FileNotFoundError, match="label_issues.csv"):
        write_run_report(tmp_path)
    with caplog.at_level(logging.WARNING, logger="runner.report"):
        assert write_run_report(tmp_path, on_error="warn") is None
    assert "could not write the report" in caplog.text
    with pytest.raises(ValueError, match="on_error must be"):
        write_run_report(tmp_path, on_error="ignore")


# ---------------------------------------------------------------------------------------
# sweep report


def make_sweep(sweep_dir: Path) -> Path:
    """Two filters x two seeds; hand-picked flagged sets and true errors per seed."""
    flagged = {("a", 0): {1, 2, 3}, ("b", 0): {2, 3, 4}, ("a", 1): {1, 5}, ("b", 1): {1, 5}}
    true_errors = {0: {1, 2, 5}, 1: {1, 6}}
    for number, ((method, seed), flags) in enumerate(sorted(flagged.items(), key=lambda item: item[0][::-1])):
        job = sweep_dir / str(number)
        (job / ".hydra").mkdir(parents=True)
        overrides = [f"cleanlearning.find_label_issues_kwargs.filter_by={method}", f"seed={seed}"]
        (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
        (job / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump({"hydra": {"job": {"num": number}}}))
        index = np.arange(8)
        given = np.zeros(8, dtype=int)
        true = np.where(np.isin(index, list(true_errors[seed])), 1, 0)
        issues = issues_frame(index, np.isin(index, list(flags)), np.linspace(0.1, 0.8, 8), given, given, true)
        make_run_dir(job, {"name": "synthetic"}, issues, metrics={"issue_f1": 0.5 + number / 10})
        (job / "status.json").write_text(json.dumps({"status": "ok"}))
        (job / "DONE").write_text("")
    return sweep_dir


def test_sweep_report_measures_agreement_from_the_flagged_sets(tmp_path):
    sweep_dir = make_sweep(tmp_path)
    assert main([str(sweep_dir)]) == 0  # job reports first, then the sweep's
    page = Tables((sweep_dir / "report.html").read_text())
    # Jaccard: seed 0 |{2,3}| / |{1,2,3,4}| = 0.5; seed 1 identical sets = 1.
    assert page.tables["jaccard"] == [["filter_by=a", "filter_by=b", "2", "0.75", "0.5", "1"]]
    # Misses: a misses {5} and {6}; b misses {1,5} and {6}; no one flags 5 (seed 0) or 6 (seed 1).
    assert page.tables["missed-by-method"] == [["filter_by=a", "2", "2", "5", "0.4"],
                                               ["filter_by=b", "2", "3", "5", "0.6"]]
    assert page.tables["missed-by-all"] == [["seed=0", "2", "1", "3"], ["seed=1", "2", "1", "2"]]
    # One line per job, linking to its report (written by the command above).
    assert len(page.tables["jobs"]) == 4
    links = [link for link in page.links if not link.startswith("#")]  # not the section links
    assert links == [f"{n}/report.html" for n in range(4)]
    assert all((sweep_dir / link).is_file() for link in links)
    assert "No results.csv in this sweep" in (sweep_dir / "report.html").read_text()


def test_sweep_report_renders_results_with_their_intervals(tmp_path):
    sweep_dir = make_sweep(tmp_path)
    pd.DataFrame({"cleanlearning.find_label_issues_kwargs.filter_by": ["a", "b"], "n_ok": [2, 2],
                  "issue_f1_mean": [0.81, 0.7], "issue_f1_std": [0.02, 0.01],
                  "issue_f1_ci95_low": [0.75, np.nan], "issue_f1_ci95_high": [0.87, np.nan],
                  "total_seconds_mean": [1.0, 2.0]}).to_csv(sweep_dir / "results.csv", index=False)
    pd.DataFrame({"axis": ["filter_by"], "value": ["b"], "versus": ["a"], "mean_diff": [-0.11]}).to_csv(
        sweep_dir / "comparisons.csv", index=False)
    write_sweep_report(sweep_dir)
    page = Tables((sweep_dir / "report.html").read_text())
    assert page.tables["results"] == [["a", "2", "0.81 ± 0.06"], ["b", "2", "0.7"]]
    assert page.tables["comparisons"] == [["filter_by", "b", "a", "-0.11"]]


def test_sweep_without_a_method_axis_says_there_is_nothing_to_compare(tmp_path):
    sweep_dir = make_sweep(tmp_path)
    for job in sweep_dir.iterdir():
        overrides = yaml.safe_load((job / ".hydra" / "overrides.yaml").read_text())
        (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump([overrides[1], f"noise.rate=0.{job.name}"]))
    text = write_sweep_report(sweep_dir).read_text()
    assert "Only one method in this sweep" in text and 'id="jaccard"' not in text
    # summary.method_axes of the sweep (multirun.yaml) names the methods instead.
    (sweep_dir / "multirun.yaml").write_text(yaml.safe_dump({"summary": {"method_axes": ["noise.rate"]}}))
    page = Tables(write_sweep_report(sweep_dir).read_text())
    # seed 0: jobs 0 (a, rate 0.0) and 1 (b, rate 0.1); seed 1: jobs 2 (a) and 3 (b)
    assert [r[:3] for r in page.tables["jaccard"]] == [["noise.rate=0.0", "noise.rate=0.1", "1"],
                                                      ["noise.rate=0.2", "noise.rate=0.3", "1"]]


def test_report_cli_refuses_a_missing_dir(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main([str(tmp_path / "nope")])
    assert "is not a directory" in capsys.readouterr().err
    unfinished = tmp_path / "run"
    unfinished.mkdir()
    (unfinished / "resolved_config.yaml").write_text("seed: 0\n")
    with pytest.raises(SystemExit) as exit_info:
        main([str(unfinished)])
    assert exit_info.value.code == 1
    assert "label_issues.csv does not exist: not a finished run's dir" in capsys.readouterr().err


def test_examples_come_from_the_dataset_loader_when_the_config_names_one(tmp_path, monkeypatch):
    """A dataset config with _target_ (runner.datasets): its loader's examples, text here."""
    import types

    from runner.datasets import base as dataset_base
    from runner.experiment.seeds import derive_seeds

    texts = [f"review number {k} <b>" for k in range(6)]
    calls = []

    def call_loader(dataset, *, data_seed):
        calls.append((dataset["_target_"], dataset["path"], data_seed))
        return types.SimpleNamespace(examples=texts, image_shape=None, features=None)

    monkeypatch.setattr(dataset_base, "call_loader", call_loader)
    issues = issues_frame([4, 1], [True, True], [0.1, 0.2], ["pos", "neg"], ["neg", "pos"])
    dataset = {"_target_": "my.loaders.reviews", "name": "reviews", "path": "reviews.csv", "test_size": 0.25}
    run_dir = make_run_dir(tmp_path, dataset, issues, seed=3)
    write_run_report(run_dir)
    assert calls == [("my.loaders.reviews", "reviews.csv", derive_seeds(3).data)]
    rows = Tables((run_dir / "report.html").read_text()).tables["flagged"]
    assert [r[-1] for r in rows] == [texts[4], texts[1]]  # by original row; escaped markup shown as text
