"""paired_comparison: each test's p and interval from the same model, degenerate pairs, companions."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from runner.statistics import paired_comparison, probability_of_improvement, wilson_interval


def test_t_matches_scipy_ttest_rel_and_the_t_interval():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0.8, 0.02, 7), rng.normal(0.79, 0.02, 7)
    result = paired_comparison(a, b, "t")
    d = a - b
    half = stats.t.ppf(0.975, 6) * d.std(ddof=1) / math.sqrt(7)
    assert result.p_value == pytest.approx(stats.ttest_rel(a, b).pvalue, rel=1e-12)
    assert (result.low, result.high) == pytest.approx((d.mean() - half, d.mean() + half), rel=1e-12)
    assert result.estimate == pytest.approx(d.mean())
    assert result.standardised_effect == pytest.approx(d.mean() / d.std(ddof=1))


def test_corrected_t_is_nadeau_bengio_by_hand():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0.8, 0.02, 10), rng.normal(0.78, 0.02, 10)
    result = paired_comparison(a, b, "corrected_t", n_train=800, n_test=200)
    d = a - b
    se = d.std(ddof=1) * math.sqrt(1 / 10 + 200 / 800)
    t = d.mean() / se
    assert result.statistic == pytest.approx(t)
    assert result.p_value == pytest.approx(2 * stats.t.sf(abs(t), 9))
    half = stats.t.ppf(0.975, 9) * se
    assert (result.low, result.high) == pytest.approx((d.mean() - half, d.mean() + half))
    # Wider than the plain t: the correction makes it conservative.
    plain = paired_comparison(a, b, "t")
    assert result.high - result.low > plain.high - plain.low


@pytest.mark.parametrize("missing", [{}, {"n_train": 800}, {"n_test": 200, "n_train": 0}])
def test_corrected_t_is_refused_without_split_sizes(missing):
    with pytest.raises(ValueError, match="corrected_t.*needs the split sizes.*re-split test part"):
        paired_comparison([1.0, 2.0, 3.0], [1.1, 2.3, 2.9], "corrected_t", **missing)


@pytest.mark.parametrize("test", ["t", "corrected_t", "wilcoxon"])
def test_interval_excludes_zero_exactly_when_p_is_below_alpha(test):
    rng = np.random.default_rng({"t": 2, "corrected_t": 3, "wilcoxon": 4}[test])
    significant = 0
    for _ in range(300):
        n = int(rng.integers(2, 15))
        a = rng.normal(0, 1, n)
        # Discrete metrics (accuracies on a finite test set) give ties and zeros: include them.
        b = a - np.round(rng.normal(rng.uniform(-0.8, 0.8), 1, n), 1 if test == "wilcoxon" else 8)
        result = paired_comparison(a, b, test, n_train=900, n_test=100)
        if result.status != "ok":
            continue
        assert result.excludes_zero == (result.p_value < 0.05), (a - b, result)
        significant += result.p_value < 0.05
    assert 20 < significant < 280  # both outcomes were exercised


def test_identical_results_have_no_test():
    result = paired_comparison([0.8, 0.7, 0.9], [0.8, 0.7, 0.9], "t")
    assert result.status == "identical"
    assert math.isnan(result.p_value) and math.isnan(result.low) and math.isnan(result.high)
    assert (result.wins, result.ties, result.losses) == (0, 3, 0)


@pytest.mark.parametrize("test", ["t", "corrected_t", "wilcoxon"])
@pytest.mark.parametrize("n", [3, 5, 6, 8])
def test_constant_differences_get_the_exact_sign_test_never_zero(test, n):
    a = np.linspace(0.7, 0.8, n)
    b = a - 0.01  # constant up to float rounding
    with warnings.catch_warnings():  # scipy warns about the cancellation, then returns ~0
        warnings.simplefilter("ignore", RuntimeWarning)
        assert stats.ttest_rel(a, b).pvalue < 1e-10
    result = paired_comparison(a, b, test, n_train=800, n_test=200)
    assert result.status == "constant"
    assert result.p_value == 2 / 2 ** n
    assert result.estimate == pytest.approx(0.01)
    if 2 / 2 ** n < 0.05:
        assert (result.low, result.high) == pytest.approx((0.01, 0.01))
    else:
        assert (result.low, result.high) == (-math.inf, math.inf)
    assert result.excludes_zero == (result.p_value < 0.05)


def test_fewer_than_two_pairs_have_no_test():
    result = paired_comparison([0.8], [0.7])
    assert result.status == "too_few" and math.isnan(result.p_value)


def test_wilcoxon_p_beside_another_test_only_from_six_nonzero_differences():
    rng = np.random.default_rng(5)
    a = rng.normal(0.8, 0.02, 7)
    b = a - rng.normal(0.01, 0.01, 7)
    b[:2] = a[:2]  # two zero differences: 5 non-zero
    assert math.isnan(paired_comparison(a, b, "t").wilcoxon_p)
    b[1] = a[1] - 0.005  # 6 non-zero
    result = paired_comparison(a, b, "t")
    assert result.wilcoxon_p == pytest.approx(stats.wilcoxon(a - b, method="exact").pvalue)


def test_wilcoxon_gives_hodges_lehmann_and_exact_p():
    a = np.array([0.81, 0.79, 0.84, 0.80, 0.83, 0.82, 0.78])
    b = np.array([0.80, 0.76, 0.80, 0.81, 0.79, 0.775, 0.75])
    result = paired_comparison(a, b, "wilcoxon")
    d = a - b
    assert result.p_value == pytest.approx(stats.wilcoxon(d, method="exact").pvalue)
    walsh = [(d[i] + d[j]) / 2 for i in range(7) for j in range(i, 7)]
    assert result.estimate == pytest.approx(np.median(walsh))


@pytest.mark.parametrize("better,expected", [("higher", (2, 1, 1)), ("lower", (1, 1, 2)),
                                             ("closest to 0", (0, 1, 3))])
def test_wins_ties_losses_follow_the_metric_direction(better, expected):
    a = [0.5, 0.9, -0.3, 0.2]
    b = [0.5, 0.1, -0.1, 0.1]
    result = paired_comparison(a, b, "t", better=better)
    assert (result.wins, result.ties, result.losses) == expected
    wins, ties, _ = expected
    assert result.prob_improvement == pytest.approx((wins + ties / 2) / 4)


@pytest.mark.parametrize("successes,n", [(0, 5), (3, 5), (5, 5), (7, 10), (10, 10)])
def test_wilson_interval_equals_statsmodels(successes, n):
    assert wilson_interval(successes, n) == pytest.approx(
        proportion_confint(successes, n, alpha=0.05, method="wilson"), abs=1e-12)


def test_probability_of_improvement_counts_ties_as_half():
    estimate, low, high = probability_of_improvement(6, 2, 2)
    assert estimate == pytest.approx(0.7)
    assert (low, high) == pytest.approx(wilson_interval(7, 10))
    assert low < estimate < high


def test_bad_arguments_name_the_value():
    with pytest.raises(ValueError, match="test must be one of.*'ttest'"):
        paired_comparison([1, 2], [1, 3], "ttest")
    with pytest.raises(ValueError, match="must pair up: got 2 and 3"):
        paired_comparison([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="better must be one of.*'up'"):
        paired_comparison([1, 2], [1, 3], better="up")
