"""comparisons.*, ranks.*, bold, power and figures of a sweep, recomputed independently.

Each summary is built synthetically in the shape runner.results.summarize writes (no jobs run);
every expected number comes from scipy.stats / statsmodels on summary-shaped data, never from
runner.statistics.
"""

from __future__ import annotations

import math
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy import stats
from statsmodels.stats.multitest import multipletests

from runner.results import figures, settings, tables
from runner.results.settings import SummarySettings
from runner.results.summarize import read_job

# statsmodels' Holm runs gc.collect() per call: see conftest.frozen_heap
pytestmark = pytest.mark.usefixtures("frozen_heap")

REPO = Path(__file__).resolve().parents[2]
FILTER = "cleanlearning.find_label_issues_kwargs.filter_by"
METHODS = ["prune_by_noise_rate", "prune_by_class", "both", "confident_learning", "predicted_neq_given",
           "low_normalized_margin", "low_self_confidence"]


def make_summary(rows: list[dict], overrides: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    metrics = [c for c in frame.columns if c not in (*overrides, "status")]
    frame.insert(0, "job", range(len(frame)))
    frame.insert(1, "dir", [str(i) for i in range(len(frame))])
    return frame[["job", "dir", *overrides, "status", *metrics]]


def compare_filters(n_seeds: int = 10, conditions=((("noise.rate", "0.2"),),), seed: int = 0) -> pd.DataFrame:
    """7 filters x n_seeds per condition; `predicted_neq_given` is `both` + 0.01 on issue_f1 in every
    seed (constant difference) and `low_normalized_margin` equals `confident_learning` (identical)."""
    rng = np.random.default_rng(seed)
    rows = []
    for condition in conditions:
        for s in range(n_seeds):
            baseline = 0.85 + rng.normal(0, 0.01)
            noise = 0.17 + rng.normal(0, 0.005)
            f1 = {m: 0.75 + 0.01 * i + rng.normal(0, 0.02) for i, m in enumerate(METHODS)}
            f1["predicted_neq_given"] = f1["both"] + 0.01
            f1["low_normalized_margin"] = f1["confident_learning"]
            for i, method in enumerate(METHODS):
                rows.append({"experiment": "compare_filters", **dict(condition), FILTER: method, "seed": str(s),
                             "status": "ok", "issue_f1": f1[method], "test_accuracy_baseline": baseline,
                             "test_accuracy_cleanlearning": baseline + 0.005 * i + rng.normal(0, 0.01),
                             "true_noise_rate": noise, "n_examples": 1347, "n_test_examples": 450,
                             "total_seconds": 1.0 + rng.random()})
    keys = [k for k, _ in conditions[0]]
    return make_summary(rows, ["experiment", *keys, FILTER, "seed"])


def written(tmp_path, summary, **config):
    tables.write_results(tmp_path, summary, SummarySettings.from_config(config) if config else None, plot=True)
    return (pd.read_csv(tmp_path / "comparisons.csv"), pd.read_csv(tmp_path / "ranks.csv"),
            (tmp_path / "results.md").read_text())


def test_every_pair_and_the_gain_of_cleaning_equal_scipy_and_statsmodels(tmp_path):
    summary = compare_filters()
    comparisons, ranks, results = written(tmp_path, summary)
    wide = summary.pivot(index="seed", columns=FILTER, values="issue_f1")[METHODS]
    pairs = comparisons.query("kind == 'pair' and metric == 'issue_f1'")
    assert pairs[["method_a", "method_b"]].values.tolist() == [list(p) for p in combinations(METHODS, 2)]
    p_values = []
    for row in pairs.itertuples():
        a, b = wide[row.method_a].to_numpy(), wide[row.method_b].to_numpy()
        d = a - b
        if {row.method_a, row.method_b} == {"confident_learning", "low_normalized_margin"}:
            assert row.status == "identical" and math.isnan(row.p_value) and math.isnan(row.low)
            p_values.append(math.nan)
            continue
        if {row.method_a, row.method_b} == {"both", "predicted_neq_given"}:
            assert row.status == "constant" and row.p_value == pytest.approx(2 / 2**10)  # never 0
            p_values.append(row.p_value)
            continue
        test = stats.ttest_rel(a, b)
        interval = test.confidence_interval(0.95)
        assert row.status == "ok"
        assert row.p_value == pytest.approx(test.pvalue, rel=1e-9)
        assert (row.low, row.high) == pytest.approx((interval.low, interval.high), rel=1e-9)
        assert (row.low > 0 or row.high < 0) == (row.p_value < 0.05)  # one test: interval and p agree
        assert row.wilcoxon_p == pytest.approx(stats.wilcoxon(d, method="exact").pvalue, rel=1e-9)
        assert row.prob_improvement == pytest.approx(((d > 0).sum() + 0.5 * (d == 0).sum()) / len(d))
        assert row.standardised_effect == pytest.approx(d.mean() / d.std(ddof=1))
        p_values.append(test.pvalue)
    present = ~np.isnan(p_values)
    expected = multipletests(np.asarray(p_values)[present], method="holm")[1]
    assert pairs["p_holm"].to_numpy()[present] == pytest.approx(expected, rel=1e-9)
    assert (pairs["n_comparisons"] == 21).all() and pairs["detectable_difference"].notna().any()

    gain = comparisons.query("kind == 'cleaning'")
    assert gain["method_a"].tolist() == METHODS and set(gain["method_b"]) == {"baseline"}
    gain_p = []
    for row in gain.itertuples():
        jobs = summary[summary[FILTER] == row.method_a]
        test = stats.ttest_rel(jobs["test_accuracy_cleanlearning"], jobs["test_accuracy_baseline"])
        assert row.p_value == pytest.approx(test.pvalue, rel=1e-9)
        assert (row.low, row.high) == pytest.approx(tuple(test.confidence_interval(0.95)), rel=1e-9)
        gain_p.append(test.pvalue)
    assert gain["p_holm"].to_numpy() == pytest.approx(multipletests(gain_p, method="holm")[1], rel=1e-9)

    # ranks over the seeds: Friedman, average ranks, pairwise exact Wilcoxon with Holm
    rank_rows = ranks.query("kind == 'rank'").set_index("method")
    assert set(rank_rows["population"]) == {"seeds"} and (rank_rows["n_blocks"] == 10).all()
    expected_ranks = pd.Series(stats.rankdata(-wide.to_numpy(), axis=1).mean(axis=0), index=METHODS)
    assert rank_rows.loc[METHODS, "average_rank"].to_numpy() == pytest.approx(expected_ranks.to_numpy())
    friedman = stats.friedmanchisquare(*wide.to_numpy().T)
    assert rank_rows["friedman_p"].iloc[0] == pytest.approx(friedman.pvalue, rel=1e-9)
    rank_pairs = ranks.query("kind == 'pair'")
    exact = [stats.wilcoxon(wide[a] - wide[b], method="exact").pvalue if not (wide[a] == wide[b]).all() else np.nan
             for a, b in rank_pairs[["method", "method_b"]].values]
    present = ~np.isnan(exact)
    assert rank_pairs["p_value"].to_numpy()[present] == pytest.approx(np.asarray(exact)[present], rel=1e-9)
    assert rank_pairs["p_holm"].to_numpy()[present] == pytest.approx(
        multipletests(np.asarray(exact)[present], method="holm")[1], rel=1e-9)
    markdown = (tmp_path / "comparisons.md").read_text()
    assert "Test: paired t-test (`summary.test=t`); it assumes" in markdown
    assert "unadjusted" in markdown and "Versus the best (a reading aid" in markdown
    assert "Population: seeds; 10 blocks, 7 methods." in (tmp_path / "ranks.md").read_text()
    assert "Smallest detectable difference" in results and "given the observed sd" in results


def test_wilcoxon_test_gives_the_hodges_lehmann_estimate_and_the_exact_p(tmp_path):
    summary = compare_filters()
    comparisons, _, _ = written(tmp_path, summary, test="wilcoxon")
    wide = summary.pivot(index="seed", columns=FILTER, values="issue_f1")
    row = comparisons.query("kind == 'pair' and method_a == 'prune_by_noise_rate' and method_b == 'both'").iloc[0]
    d = (wide["prune_by_noise_rate"] - wide["both"]).to_numpy()
    assert row.p_value == pytest.approx(stats.wilcoxon(d, method="exact").pvalue, rel=1e-9)
    walsh = [(d[i] + d[j]) / 2 for i in range(len(d)) for j in range(i, len(d))]
    assert row.estimate == pytest.approx(np.median(walsh))
    assert "exact Wilcoxon signed-rank test (`summary.test=wilcoxon`)" in (tmp_path / "comparisons.md").read_text()


def test_six_conditions_rank_over_condition_means_with_a_cd_diagram(tmp_path):
    conditions = tuple(((("noise.rate", r), ("noise.sparsity", s))) for r in ("0.2", "0.4", "0.7") for s in ("0", "0.4"))
    summary = compare_filters(n_seeds=3, conditions=conditions)
    comparisons, ranks, results = written(tmp_path, summary)
    across = ranks.query("kind == 'rank' and population == 'conditions (mean over seeds)'").set_index("method")
    assert (across["n_blocks"] == 6).all()
    means = summary.groupby(["noise.rate", "noise.sparsity", FILTER])["issue_f1"].mean().unstack(FILTER)[METHODS]
    assert across["friedman_p"].iloc[0] == pytest.approx(stats.friedmanchisquare(*means.to_numpy().T).pvalue)
    assert across.loc[METHODS, "average_rank"].to_numpy() == pytest.approx(
        stats.rankdata(-means.to_numpy(), axis=1).mean(axis=0))
    assert (tmp_path / "cd.pdf").read_bytes().startswith(b"%PDF") and (tmp_path / "cd.png").is_file()
    assert len(list(tmp_path.glob("cd_*.png"))) == 6  # one per condition (seeds as blocks)
    assert Image.open(tmp_path / "cd.png").info["dpi"][0] == pytest.approx(200, abs=1)
    assert Image.open(tmp_path / "results.png").info["dpi"][0] == pytest.approx(200, abs=1)
    assert (tmp_path / "results.pdf").read_bytes().startswith(b"%PDF")
    ranks_md = (tmp_path / "ranks.md").read_text()
    assert "Population: conditions (mean over seeds); 6 blocks" in ranks_md
    assert "## Does cleaning help?" in ranks_md
    # families per condition: 21 pairs each, Holm within each
    pairs = comparisons.query("kind == 'pair' and metric == 'issue_f1'")
    assert len(pairs) == 6 * 21 and (pairs["n_comparisons"] == 21).all()
    # the realised noise rate beside the nominal one
    assert "rate 0.2 (realised 0.17 ± 0.0" in (tmp_path / "table.md").read_text()
    assert "### rate 0.2 (realised 0.17" in results
    # 3 seeds, Wilcoxon-Holm over 21 pairs of seeds cannot reach 0.05: said, with the blocks needed
    assert "wilcoxon-holm cannot reach 0.05 with 3 blocks; it needs 10." in ranks_md


def test_unreachable_significance_is_said_with_the_seeds_that_would_reach_it_and_nothing_is_bold(tmp_path):
    summary = compare_filters(n_seeds=5)
    _, _, results = written(tmp_path, summary, test="wilcoxon")
    assert "0.05 is unreachable for the 21 method pairs of `issue_f1`" in results
    assert "10 seeds with non-zero differences would" in results
    assert "**" not in results.split("## Timings")[0]
    table = (tmp_path / "table.md").read_text()
    assert "Nothing is bold: 0.05 is unreachable after Holm" in table and "**" not in table
    assert "0.05 is unreachable here" in (tmp_path / "comparisons.md").read_text()
    # one replicate, paired t: unreachable, 2 seeds would reach it
    _, _, one = written(tmp_path, compare_filters(n_seeds=1))
    assert "with 1 seed(s) no comparison can reach 0.05" in one and "2 seeds" in one
    assert "one replicate" in (tmp_path / "table.md").read_text()


def test_bold_is_per_condition_and_never_on_method_independent_metrics_or_timings(tmp_path):
    summary = compare_filters()
    _, _, results = written(tmp_path, summary)
    lines = [line.split(" | ") for line in results.split("## Timings")[0].splitlines() if line.startswith("| ")]
    head = lines[0]
    baseline = head.index("test_accuracy_baseline ↑")
    assert not any("**" in cells[baseline] for cells in lines[2:])
    assert "`test_accuracy_baseline`: the metric is equal across the methods" in results
    f1 = head.index("issue_f1 ↑")
    bold = {cells[0].lstrip("| ") for cells in lines[2:] if "**" in cells[f1]}
    comparisons = pd.read_csv(tmp_path / "comparisons.csv").query("kind == 'pair' and metric == 'issue_f1'")
    best = summary.groupby(FILTER)["issue_f1"].mean().idxmax()
    against = comparisons[(comparisons["method_a"] == best) | (comparisons["method_b"] == best)]
    same = {a if b == best else b for a, b, p in against[["method_a", "method_b", "p_holm"]].values
            if not p < 0.05}
    assert bold == {best} | same
    assert "**" not in results.split("## Timings")[1].split("## Power")[0]


def test_corrected_t_is_refused_in_one_line_where_it_does_not_apply():
    problems = settings.summary_problems({"test": "corrected_t"})
    assert len(problems) == 1 and "only to metrics measured on the re-split test part (test_*)" in problems[0]
    node = {"test": "corrected_t", "compare_metric": "test_accuracy_cleanlearning"}
    assert settings.summary_problems(node) == []
    assert "dataset=precomputed" in settings.summary_problems(node, {"name": "precomputed"})[0]
    assert "dataset.test_size=0" in settings.summary_problems(node, {"name": "csv", "test_size": 0})[0]
    assert "summary.test must be one of" in settings.summary_problems({"test": "anova"})[0]


def test_corrected_t_fails_the_config_check_in_one_line():
    from hydra import compose, initialize_config_dir

    from runner.config import ConfigError, register_configs, validate_config

    register_configs()
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        cfg = compose("config", overrides=["summary.test=corrected_t"])
    with pytest.raises(ConfigError) as error:
        validate_config(cfg)
    assert str(error.value).count("\n") == 0 and "summary.test=corrected_t applies only" in str(error.value)


def test_corrected_t_inflates_the_variance_by_n_test_over_n_train(tmp_path):
    summary = compare_filters()
    comparisons, _, _ = written(tmp_path, summary, test="corrected_t", compare_metric="test_accuracy_cleanlearning")
    row = comparisons.query("kind == 'pair' and metric == 'test_accuracy_cleanlearning'").iloc[0]
    wide = summary.pivot(index="seed", columns=FILTER, values="test_accuracy_cleanlearning")
    d = (wide[row.method_a] - wide[row.method_b]).to_numpy()
    t = d.mean() / (d.std(ddof=1) * math.sqrt(1 / 10 + 450 / 1347))
    assert row.p_value == pytest.approx(2 * stats.t.sf(abs(t), 9), rel=1e-9)
    assert row.test == "corrected_t"


def test_figures_are_pdf_and_png_with_no_text_below_8_points(tmp_path):
    from matplotlib.text import Text

    summary = compare_filters()
    axes = settings.find_axes(summary, SummarySettings())
    for figure in (figures.plot_results(summary, axes, "issue_f1"), figures.plot_summary(summary.head(14))):
        sizes = [t.get_fontsize() for t in figure.findobj(Text) if t.get_text() and t.get_visible()]
        assert sizes and min(sizes) >= 8
    conditions = tuple(((("noise.rate", r),)) for r in ("0.1", "0.2", "0.4"))
    numeric = compare_filters(n_seeds=3, conditions=conditions)
    figure = figures.plot_results(numeric, settings.find_axes(numeric, SummarySettings()), "issue_f1")
    panel = figure.axes[0]
    assert list(panel.get_xticks()) == pytest.approx([0.1, 0.2, 0.4])  # ticks at the swept values
    assert panel.get_xticklabels()[1].get_text().startswith("0.2\n(0.17")  # the realised rate below
    from matplotlib.container import ErrorbarContainer

    # 7 methods: no overlapping bands, one dodged interval bar per method and value
    assert not panel.collections or all(c.__class__.__name__ == "LineCollection" for c in panel.collections)
    assert sum(isinstance(c, ErrorbarContainer) for c in panel.containers) == 7
    assert len({line.get_marker() for line in panel.lines if not line.get_label().startswith("_")}) == 7
    two = numeric[numeric[FILTER].isin(METHODS[:2])]
    figure = figures.plot_results(two, settings.find_axes(two, SummarySettings()), "issue_f1")
    assert len(figure.axes[0].collections) == 2  # few methods: one band each


def test_the_cache_state_of_each_job_comes_from_its_log(tmp_path):
    job = tmp_path / "0"
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text("- seed=0\n")
    (job / "status.json").write_text('{"status": "ok"}')
    (job / "DONE").write_text("")
    (job / "metrics.json").write_text('{"issue_f1": 0.5}')
    (job / "runner.log").write_text("[t][runner.core.cache][INFO] - cache miss: cv_pred_probs ab (computing)\n"
                                    "[t][runner.core.cache][INFO] - cache hit: baseline cd\n")
    row = read_job(job)
    assert (row["cache_hits"], row["cache_misses"]) == (1, 1)
    assert tables._cache_cell(pd.DataFrame({"cache_hits": [2, 3, 0], "cache_misses": [1, 0, 0]})) == (
        "1 hit, 1 miss, 1 no cache")


def test_the_same_summary_gives_the_same_bytes_in_every_file(tmp_path):
    summary = compare_filters(n_seeds=4, conditions=tuple(((("noise.rate", r),)) for r in ("0.1", "0.2")))
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        out.mkdir()
        tables.write_results(out, summary, plot=True)
    names = sorted(p.name for p in first.iterdir())
    assert {"cd.pdf", "cd.png", "results.pdf", "results.png", "ranks.md", "comparisons.csv"} <= set(names)
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert oct((first / "cd.png").stat().st_mode & 0o777) != "0o600"  # as readable as any result file
