"""runner.results on hand-made summaries: groups, intervals, paired tests, Holm, tables, merging.

Each expected value is recomputed here with pandas and scipy.stats, or by hand.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from scipy import stats

from runner.config import register_configs, validate_config
from runner.results import figures, settings, summarize, tables
from runner.results.settings import SummarySettings
from runner.results.statistics import results_frame, t_interval
from runner.sweep.progress import _planned_jobs, progress_line

REPO = Path(__file__).resolve().parents[2]
FILTER = "cleanlearning.find_label_issues_kwargs.filter_by"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

register_configs()


def make_summary(rows: list[dict], overrides: list[str]) -> pd.DataFrame:
    """A summary frame as runner.results.summarize builds it: job, dir, overrides, status, metrics."""
    frame = pd.DataFrame(rows)
    metric_columns = [c for c in frame.columns if c not in (*overrides, "status")]
    frame.insert(0, "job", range(len(frame)))
    frame.insert(1, "dir", [str(i) for i in range(len(frame))])
    return frame[["job", "dir", *overrides, "status", *metric_columns]]


def grid(n_seeds: int = 7, seed: int = 0) -> pd.DataFrame:
    """2 filters x 2 noise rates x n_seeds, plus a failed, an interrupted and an incomplete job."""
    rng = np.random.default_rng(seed)
    rows = []
    for rate in ("0.1", "0.3"):
        for s in range(n_seeds):
            baseline = 0.8 - float(rate) / 2 + rng.normal(0, 0.02)
            for method, shift in (("both", 0.05), ("prune_by_class", 0.0)):
                rows.append({"experiment": "x", "noise.rate": rate, FILTER: method, "seed": str(s), "status": "ok",
                             "issue_f1": 0.6 + shift + rng.normal(0, 0.03),
                             "noise_matrix_error": 0.05 + shift + rng.normal(0, 0.01),
                             "test_accuracy_baseline": baseline,
                             "test_accuracy_cleanlearning": baseline + rng.choice([0.0, 0.01, 0.02, -0.01]),
                             "total_seconds": 1.0 + rng.random()})
    extra = {"experiment": "x", "noise.rate": "0.3", FILTER: "both"}
    rows.append({**extra, "seed": "97", "status": "failed"})
    rows.append({**extra, "seed": "98", "status": "interrupted"})
    rows.append({**extra, "seed": "99", "status": "incomplete"})
    return make_summary(rows, ["experiment", "noise.rate", FILTER, "seed"])


# ---------------------------------------------------------------------------------------
# statistics


def test_t_interval_is_scipys_student_interval():
    values = [0.8, 0.82, 0.79, 0.85]
    mean, std, low, high = t_interval(values)
    expected = stats.t.interval(0.95, 3, loc=np.mean(values), scale=stats.sem(values))
    assert (mean, std) == pytest.approx((np.mean(values), np.std(values, ddof=1)))
    assert (low, high) == pytest.approx(expected)
    one = t_interval([0.5, np.nan])
    assert one[0] == 0.5 and all(math.isnan(v) for v in one[1:])  # empty, not 0
    assert all(math.isnan(v) for v in t_interval([]))


# ---------------------------------------------------------------------------------------
# results.csv


def test_results_recomputed_with_pandas_groupby():
    summary = grid()
    frame = results_frame(summary)
    keys = ["noise.rate", FILTER]  # varying axes; experiment is constant, seed the replicate
    assert list(frame.columns[:6]) == [*keys, "n_ok", "n_failed", "n_interrupted", "n_incomplete"]
    ok = summary[summary["status"] == "ok"]
    grouped = ok.groupby(keys, sort=False)
    for metric in ("issue_f1", "test_accuracy_cleanlearning", "total_seconds"):
        expected = grouped[metric].agg(["mean", "std", "count", "sem"]).reset_index()
        merged = frame.merge(expected, on=keys)
        assert len(merged) == 4
        half = stats.t.ppf(0.975, merged["count"] - 1) * merged["sem"]
        assert np.allclose(merged[f"{metric}_mean"], merged["mean"])
        assert np.allclose(merged[f"{metric}_std"], merged["std"])
        assert np.allclose(merged[f"{metric}_ci95_low"], merged["mean"] - half)
        assert np.allclose(merged[f"{metric}_ci95_high"], merged["mean"] + half)
    counted = frame.set_index(keys).loc[("0.3", "both")]
    assert (counted["n_ok"], counted["n_failed"], counted["n_interrupted"], counted["n_incomplete"]) == (7, 1, 1, 1)
    assert frame["n_ok"].tolist() == [7, 7, 7, 7]


def test_one_replicate_leaves_std_and_interval_empty_and_failed_groups_have_no_statistics():
    summary = make_summary(
        [{"noise.rate": "0.1", "seed": "0", "status": "ok", "issue_f1": 0.5},
         {"noise.rate": "0.3", "seed": "0", "status": "failed", "issue_f1": np.nan}],
        ["noise.rate", "seed"],
    )
    frame = results_frame(summary)
    assert frame.loc[0, "issue_f1_mean"] == 0.5
    assert frame.loc[[0], ["issue_f1_std", "issue_f1_ci95_low", "issue_f1_ci95_high"]].isna().all().all()
    assert frame.loc[1, "n_failed"] == 1 and math.isnan(frame.loc[1, "issue_f1_mean"])


def test_replicate_by_a_list_and_duplicate_jobs_count_once():
    rows = [{"fold": str(f), "seed": str(s), "status": "ok", "issue_f1": 0.1 * f + 0.01 * s}
            for f in range(2) for s in range(3)]
    rows.append({**rows[0], "issue_f1": 0.9})  # the same job listed again (merged sweeps): the last counts
    summary = make_summary(rows, ["fold", "seed"])
    by_seed = results_frame(summary)
    assert by_seed["fold"].tolist() == ["0", "1"]
    assert by_seed.loc[0, "issue_f1_mean"] == pytest.approx(np.mean([0.9, 0.01, 0.02]))
    both = results_frame(summary, SummarySettings(replicate_by=("seed", "fold")))
    assert len(both) == 1 and both.loc[0, "n_ok"] == 7
    assert both.loc[0, "issue_f1_mean"] == pytest.approx(np.mean([0.9, 0.01, 0.02, 0.1, 0.11, 0.12]))


# ---------------------------------------------------------------------------------------
# comparisons.csv


def test_without_true_errors_or_test_split_results_say_why_there_is_no_comparison(tmp_path):
    summary = make_summary(
        [{FILTER: m, "seed": str(s), "status": "ok", "n_label_issues": 3 + s} for m in ("a", "b") for s in range(2)],
        [FILTER, "seed"],
    )
    tables.write_results(tmp_path, summary, plot=True)
    assert pd.read_csv(tmp_path / "comparisons.csv").empty
    text = (tmp_path / "results.md").read_text()
    assert "Methods are not compared: no true errors are known and there is no test split" in text
    assert "Methods are not compared" in (tmp_path / "comparisons.md").read_text()
    assert (tmp_path / "results.png").read_bytes().startswith(PNG_MAGIC)


# ---------------------------------------------------------------------------------------
# written files


def test_results_markdown_shows_constants_once_and_bolds_the_best(tmp_path):
    summary = grid()
    tables.write_results(tmp_path, summary, plot=False)
    text = (tmp_path / "results.md").read_text()
    assert "Constant: `experiment=x`" in text and "| experiment |" not in text
    assert "Replicates: `seed`, 7 finished per group" in text and "95% Student t interval" in text
    metrics = text.split("## Timings")[0]
    assert "### rate 0.1" in metrics and "### rate 0.3" in metrics  # one block per condition
    frame = results_frame(summary)
    row = frame.loc[frame["issue_f1_mean"].idxmax()]
    half = row["issue_f1_ci95_high"] - row["issue_f1_mean"]
    assert f"**{row['issue_f1_mean']:.3f} ± {half:.3f}**" in text
    assert "| both | 7 ok, 1 failed, 1 interrupted, 1 incomplete |" in text
    assert "| both | 7 |" in text
    assert "**" not in text.split("## Timings")[1]  # timings are never bold
    assert pd.read_csv(tmp_path / "results.csv").shape[0] == 4
    comparisons = pd.read_csv(tmp_path / "comparisons.csv")
    assert set(comparisons["kind"]) == {"cleaning", "pair"}
    assert "Holm" in (tmp_path / "comparisons.md").read_text()


def test_paper_table_rows_are_methods_and_no_cleaning_columns_conditions(tmp_path):
    summary = grid()
    tables.write_results(tmp_path, summary, plot=False)
    markdown = (tmp_path / "table.md").read_text()
    assert "| filter_by | rate 0.1 | rate 0.3 |" in markdown
    ok = summary[summary["status"] == "ok"]
    baseline = ok[ok[FILTER] == "both"].groupby("noise.rate")["test_accuracy_baseline"].agg(["mean", "std"])
    cell = f"{baseline.loc['0.1', 'mean']:.3f} ± {baseline.loc['0.1', 'std']:.3f}"
    assert any(line.startswith(f"| no cleaning | {cell}") or line.startswith(f"| no cleaning | **{cell}**")
               for line in markdown.splitlines())
    f1 = ok.groupby([FILTER, "noise.rate"])["issue_f1"].agg(["mean", "std"])
    best = f"**{f1.loc[('both', '0.3'), 'mean']:.3f} ± {f1.loc[('both', '0.3'), 'std']:.3f}**"
    assert best in markdown.split("Label-issue F1")[1]
    tex = (tmp_path / "table.tex").read_text()
    assert tex.count("\\toprule") == 2 and "prune\\_by\\_class" in tex and "$\\pm$" in tex
    assert "\\textbf{" in tex and "\\begin{tabular}{lcc}" in tex


def test_two_condition_axes_get_a_spanning_header_in_latex(tmp_path):
    rows = [{"noise.rate": r, "noise.sparsity": sp, FILTER: m, "seed": str(s), "status": "ok",
             "issue_f1": 0.5 + 0.1 * s, "test_accuracy_baseline": 0.7, "test_accuracy_cleanlearning": 0.8}
            for r in ("0.2", "0.4") for sp in ("0", "0.4") for m in ("both", "prune_by_class") for s in range(2)]
    summary = make_summary(rows, ["noise.rate", "noise.sparsity", FILTER, "seed"])
    tables.write_results(tmp_path, summary, plot=True)
    tex = (tmp_path / "table.tex").read_text()
    assert "\\multicolumn{2}{c}{rate 0.2}" in tex and "\\cmidrule(lr){2-3}" in tex and "\\cmidrule(lr){4-5}" in tex
    header = [line for line in tex.split("\\midrule")[0].splitlines() if not line.startswith("%")]
    assert "method" not in "\n".join(header) and "sparsity 0.4" in tex
    figure = figures.plot_results(summary, settings.find_axes(summary, SummarySettings()), "issue_f1")
    # lines against noise.rate (most values, numeric), one per filter, one panel per sparsity
    assert len(figure.axes[0].lines) == 2 and len(figure.axes) == 4
    assert figure.axes[0].get_xlabel().startswith("noise.rate")


def test_summary_settings_are_checked():
    assert settings.summary_problems({"replicate_by": "seed", "compare_metric": None, "method_axes": None}) == []
    problems = settings.summary_problems({"replicate_by": 3, "compare_metric": "n_examples", "method_axes": "x",
                                         "colour": "red"})
    assert len(problems) == 4
    assert any("summary.colour is not a known key" in p for p in problems)
    assert any("summary.compare_metric must be a metric with a direction" in p and "'n_examples'" in p
               for p in problems)
    with pytest.raises(ValueError, match="summary.replicate_by"):
        SummarySettings.from_config({"replicate_by": [1]})
    assert SummarySettings.from_config({"replicate_by": ["seed", "fold"]}).replicate_by == ("seed", "fold")


# ---------------------------------------------------------------------------------------
# summarize: merging sweeps, settings on the command line


def make_job(sweep_dir: Path, num: int, overrides: list[str], metrics: dict, choices: dict):
    job_dir = sweep_dir / str(num)
    (job_dir / ".hydra").mkdir(parents=True)
    (job_dir / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    (job_dir / ".hydra" / "hydra.yaml").write_text(
        yaml.safe_dump({"hydra": {"job": {"num": num}, "runtime": {"choices": choices}}}))
    (job_dir / ".hydra" / "config.yaml").write_text(yaml.safe_dump({"noise": {"rate": 0.2}}))
    (job_dir / "metrics.json").write_text(json.dumps(metrics))
    (job_dir / "status.json").write_text(json.dumps({"status": "ok"}))
    (job_dir / "DONE").write_text("")


def test_two_sweeps_merge_and_the_dataset_becomes_an_axis(tmp_path, capsys):
    first, second, out = tmp_path / "a", tmp_path / "b", tmp_path / "merged"
    for seed in range(3):  # default dataset: no dataset override
        make_job(first, seed, [f"seed={seed}"], {"issue_f1": 0.5 + seed / 10}, {"dataset": "digits"})
        make_job(second, seed, ["dataset=iris", f"seed={seed}", "noise.rate=0.20"], {"issue_f1": 0.8},
                 {"dataset": "iris"})
    (first / "multirun.yaml").write_text(yaml.safe_dump({"summary": {"replicate_by": "seed"}}))

    with pytest.raises(SystemExit):
        summarize.main([str(first), str(second)])
    assert "--out is required" in capsys.readouterr().err
    assert summarize.main([str(first), str(second), "--out", str(out), "summary.compare_metric=issue_f1"]) == 0
    merged = pd.read_csv(out / "summary.csv")
    assert merged["dataset"].tolist() == ["digits"] * 3 + ["iris"] * 3
    assert merged["dir"].tolist()[0] == str(first / "0")
    # noise.rate: 0.2 in the first sweep's configs, typed 0.20 in the second: one value, no axis
    assert set(merged["noise.rate"]) == {0.2}
    table = pd.read_csv(out / "results.csv")
    assert table["dataset"].tolist() == ["digits", "iris"] and "noise.rate" not in table
    assert table["issue_f1_mean"].tolist() == pytest.approx([0.6, 0.8])
    assert not (first / "results.csv").exists()  # the inputs are left alone

    with pytest.raises(SystemExit):
        summarize.main([str(first), "summary.compare_metric=n_examples"])
    assert "summary.compare_metric must be a metric with a direction" in capsys.readouterr().err
    assert summarize.main([str(first)]) == 0 and (first / "results.md").is_file()


def test_summary_overrides_are_not_axes():
    summary = make_summary(
        [{"summary.compare_metric": v, FILTER: m, "seed": "0", "status": "ok", "issue_f1": 0.5}
         for v, m in (("issue_f1", "a"), ("issue_auroc", "b"))],
        ["summary.compare_metric", FILTER, "seed"],
    )
    assert settings.find_axes(summary, SummarySettings()).groups == (FILTER,)


# ---------------------------------------------------------------------------------------
# progress line, presets


def test_progress_line_reads_like_the_issue_says(tmp_path):
    progress = {"total": 84, "finished": 12, "started": 1000.0, "swept": [FILTER, "seed"]}
    line = progress_line(progress, [f"{FILTER}=both", "seed=3", "experiment=quick"],
                         {"status": "ok", "issue_f1": 0.8123}, tmp_path / "11", now=1100.0)
    assert line == "[12/84] ok  filter_by=both seed=3  issue_f1=0.812  elapsed 1m40s, about 10m00s left"
    failed = progress_line({**progress, "finished": 84}, [f"{FILTER}=x", "seed=1"], {"status": "failed"},
                           tmp_path / "83", now=1100.0)
    assert failed == f"[84/84] failed  filter_by=x seed=1  see {tmp_path / '83' / 'status.json'}  elapsed 1m40s"


def paper_grid_params() -> dict:
    config = yaml.safe_load((REPO / "conf" / "experiment" / "paper_grid.yaml").read_text())
    return config["hydra"]["sweeper"]["params"]


def test_command_line_values_narrow_the_paper_grid():
    sweeper = {"_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper", "params": paper_grid_params()}
    full = OmegaConf.create({"hydra": {"sweeper": sweeper, "overrides": {"task": ["experiment=paper_grid"]}}})
    total, swept = _planned_jobs(full)
    assert total == 7 * 3 * 2 * 5 and set(swept) == {"noise.rate", "noise.sparsity", "seed", FILTER}
    narrowed = OmegaConf.create({"hydra": {"sweeper": sweeper, "overrides": {"task": [
        "experiment=paper_grid", "seed=0,1", "noise.rate=0.2", "noise.sparsity=0"]}}})
    total, swept = _planned_jobs(narrowed)
    assert total == 7 * 2 and swept == ["seed", FILTER]


def compose_config(*overrides: str, hydra_node: bool = False):
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        return compose("config", overrides=["cache_dir=null", *overrides], return_hydra_config=hydra_node)


def test_compare_scores_sweeps_exactly_the_five_valid_scores():
    cfg = compose_config("experiment=compare_scores", hydra_node=True)
    options = cfg.hydra.sweeper.params.quality_score.split(",")
    assert cfg.summary.compare_metric == "issue_auroc"
    pairs = set()
    for option in options:
        composed = compose_config(f"quality_score={option}")
        validate_config(composed)
        kwargs = composed.cleanlearning.label_quality_scores_kwargs
        pairs.add((kwargs.method, kwargs.adjust_pred_probs))
    assert pairs == {("self_confidence", False), ("self_confidence", True), ("normalized_margin", False),
                     ("normalized_margin", True), ("confidence_weighted_entropy", False)}


def test_paper_grid_preset_has_the_papers_shape():
    params = paper_grid_params()
    assert str(params["noise.rate"]).split(",") == ["0.2", "0.4", "0.7"]
    assert str(params["noise.sparsity"]).split(",") == ["0", "0.4"]
    assert len(str(params["seed"]).split(",")) >= 3
    from runner.config import FILTERS

    assert str(params[FILTER]).split(",") == list(FILTERS)
    cfg = compose_config("experiment=paper_grid", "noise.rate=0.7", "noise.sparsity=0.4")
    validate_config(cfg)  # the hardest cell is a valid config on digits
    assert cfg.summary.compare_metric == "issue_f1"


def test_only_categorical_axes_give_dots_with_95_percent_intervals_not_bars_from_zero():
    methods = ["prune_by_noise_rate", "prune_by_class", "both", "confident_learning", "predicted_neq_given",
               "low_normalized_margin", "low_self_confidence"]
    rows = [{FILTER: m, "seed": str(s), "status": "ok", "issue_f1": 0.5 + 0.1 * i + 0.01 * s}
            for i, m in enumerate(methods) for s in range(3)]
    summary = make_summary(rows, [FILTER, "seed"])
    figure = figures.plot_results(summary, settings.find_axes(summary, SummarySettings()), "issue_f1")
    panel = figure.axes[0]
    assert [t.get_text() for t in panel.get_xticklabels()] == methods
    assert not panel.patches  # no bars
    from matplotlib.container import ErrorbarContainer

    dots = [c for c in panel.containers if isinstance(c, ErrorbarContainer)]
    means = [float(c.lines[0].get_ydata()[0]) for c in dots]
    assert means == pytest.approx([0.5 + 0.1 * i + 0.01 for i in range(7)])
    # intervals: the t half-width of [0, 0.01, 0.02] above and below each mean
    half = stats.t.ppf(0.975, 2) * 0.01 / math.sqrt(3)
    for dot, mean in zip(dots, means, strict=True):
        low, high = (np.asarray(line.get_ydata()) for line in dot.lines[1])
        assert (mean - low[0], high[0] - mean) == pytest.approx((half, half))
    assert panel.get_ylim()[0] > 0.3  # fitted to the values, not from 0
    assert len({dot.lines[0].get_color() for dot in dots}) == 7  # a colour per method


def test_without_a_replicate_key_the_methods_are_paired_on_the_shared_default_seed(tmp_path):
    rows = [{FILTER: m, "status": "ok", "issue_f1": f1} for m, f1 in (("both", 0.8), ("prune_by_class", 0.7))]
    summary = make_summary(rows, [FILTER])
    tables.write_results(tmp_path, summary, plot=False)
    pairs = pd.read_csv(tmp_path / "comparisons.csv").query("kind == 'pair'")
    assert pairs[["method_a", "method_b", "n_pairs", "wins", "status"]].values.tolist() == [
        ["both", "prune_by_class", 1, 1, "too_few"]]
    assert pairs["estimate"].iloc[0] == pytest.approx(0.1) and np.isnan(pairs["low"].iloc[0])
    assert "**" not in (tmp_path / "results.md").read_text()  # one replicate: nothing bold
    assert (tmp_path / "table.md").exists()
    tables.write_results(tmp_path, summary, SummarySettings(method_axes=()), plot=False)
    assert not (tmp_path / "table.md").exists() and not (tmp_path / "table.tex").exists()


def test_a_bad_summary_setting_fails_the_config_check_in_one_line():
    from runner.config import ConfigError

    with pytest.raises(ConfigError) as error:
        validate_config(compose_config("summary.compare_metric=n_examples"))
    assert str(error.value).count("\n") == 0 and "summary.compare_metric" in str(error.value)
    validate_config(compose_config("summary.replicate_by=[seed,dataset.test_size]", "summary.method_axes=[classifier]"))
