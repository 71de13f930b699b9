"""The exact signed-rank test against scipy, against brute-force enumeration, and its interval."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from runner.statistics.signed_rank import (
    hodges_lehmann,
    signed_rank_null_distribution,
    signed_rank_p_value,
    signed_rank_test,
)


def brute_force_p(differences) -> float:
    """Two-sided p by listing all 2^n sign vectors (zeros dropped, mid-ranks)."""
    d = np.asarray(differences, dtype=float)
    d = d[d != 0]
    ranks = stats.rankdata(np.abs(d))
    observed = ranks[d > 0].sum()
    signs = np.array(list(itertools.product([0, 1], repeat=d.shape[0])), dtype=float)
    sums = signs @ ranks
    low, high = np.mean(sums <= observed + 1e-9), np.mean(sums >= observed - 1e-9)
    return min(1.0, 2 * min(low, high))


def inside(result, value) -> bool:
    above = result.low < value if result.low_open else result.low <= value
    below = value < result.high if result.high_open else value <= result.high
    return above and below


@pytest.mark.parametrize("n", range(1, 21))
def test_p_value_equals_scipy_exact_without_ties_or_zeros(n):
    rng = np.random.default_rng(n)
    for _ in range(5):
        differences = rng.normal(0.3, 1.0, n)
        p_value, statistic, n_nonzero = signed_rank_p_value(differences)
        reference = stats.wilcoxon(differences, method="exact")
        assert p_value == pytest.approx(reference.pvalue, rel=1e-12, abs=1e-15)
        ranks = stats.rankdata(np.abs(differences))
        assert statistic == ranks[differences > 0].sum()
        assert n_nonzero == n


def test_p_value_equals_brute_force_with_ties_and_zeros():
    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(400):
        differences = rng.integers(-3, 4, rng.integers(1, 12)).astype(float)
        if not differences.any():
            continue
        assert signed_rank_p_value(differences)[0] == pytest.approx(brute_force_p(differences), abs=1e-13)
        checked += 1
    assert checked > 300


def test_null_distribution_equals_enumeration_of_doubled_ranks():
    doubled = np.array([1, 3, 3, 6, 8, 8, 11]) * 1  # doubled mid-ranks can be odd
    pmf = signed_rank_null_distribution(doubled)
    sums = np.array(list(itertools.product([0, 1], repeat=7))) @ doubled
    expected = np.bincount(sums, minlength=doubled.sum() + 1) / 2 ** 7
    np.testing.assert_array_equal(pmf, expected)


def test_zeros_are_dropped_not_ranked():
    with_zeros = [0.0, 0.0, 1.0, 2.0, -3.0, 4.0, 5.0, 6.0]
    p_value, _, n_nonzero = signed_rank_p_value(with_zeros)
    assert n_nonzero == 6
    assert p_value == pytest.approx(signed_rank_p_value(with_zeros[2:])[0])
    assert p_value == pytest.approx(stats.wilcoxon(with_zeros, zero_method="wilcox", method="exact").pvalue)


def test_float_rounding_does_not_break_ties():
    # 0.3 - 0.2 and 0.1 differ in the last bit; ranked as ties they give the brute-force p.
    differences = np.array([0.3 - 0.2, 0.1, 0.2, -0.1, 0.4, 0.5])
    assert signed_rank_p_value(differences)[0] == pytest.approx(brute_force_p(np.round(differences, 9)))


def test_hodges_lehmann_is_the_median_of_walsh_averages():
    d = np.array([0.5, -0.1, 0.3, 0.9, 0.2])
    walsh = [(d[i] + d[j]) / 2 for i in range(5) for j in range(i, 5)]
    assert hodges_lehmann(d) == pytest.approx(np.median(walsh))


def test_interval_without_ties_is_the_classical_walsh_interval():
    rng = np.random.default_rng(1)
    for n in range(3, 21):
        d = rng.normal(0.5, 1.0, n)
        result = signed_rank_test(d, alpha=0.05)
        walsh = np.sort([(d[i] + d[j]) / 2 for i in range(n) for j in range(i, n)])
        m = walsh.shape[0]
        # c: the largest W+ whose two-sided exact p is below alpha (from scipy's exact p).
        ranks = np.arange(1, n + 1)
        if n <= 12:  # by enumeration; beyond, the DP checked against enumeration above
            sums = np.array(list(itertools.product([0, 1], repeat=n))) @ ranks
            cdf = np.array([np.mean(sums <= c) for c in range(m + 1)])
        else:
            cdf = np.cumsum(signed_rank_null_distribution(2 * ranks))[::2]
        below = np.flatnonzero(2 * cdf < 0.05)
        if below.shape[0] == 0:
            assert (result.low, result.high) == (-np.inf, np.inf)
            continue
        c = below.max()
        assert (result.low, result.high) == (walsh[c], walsh[m - 1 - c])


def test_interval_excludes_zero_exactly_when_p_is_below_alpha_under_heavy_ties():
    rng = np.random.default_rng(2)
    for _ in range(800):
        d = rng.integers(-4, 7, rng.integers(2, 13)).astype(float) / 10
        if not d.any():
            continue
        for alpha in (0.05, 0.2):
            result = signed_rank_test(d, alpha=alpha)
            assert inside(result, 0.0) == (not result.p_value < alpha), (d, alpha, result)


def test_constant_differences_give_the_sign_test_and_a_degenerate_interval():
    for n in (3, 5, 6, 9):
        result = signed_rank_test(np.full(n, -0.02))
        assert result.p_value == 2 / 2 ** n
        if 2 / 2 ** n < 0.05:
            assert (result.low, result.high) == (-0.02, -0.02)
        else:  # the sign test cannot reject any shift with so few pairs
            assert (result.low, result.high) == (-np.inf, np.inf)


def test_large_n_runs_by_dynamic_programming():
    d = np.random.default_rng(3).normal(0.1, 1.0, 60)
    result = signed_rank_test(d)
    assert result.p_value == pytest.approx(stats.wilcoxon(d, method="exact").pvalue, rel=1e-9)


def test_bad_input_is_refused_with_its_value():
    with pytest.raises(ValueError, match="finite; got nan at position 1"):
        signed_rank_p_value([1.0, np.nan])
    with pytest.raises(ValueError, match="alpha must be"):
        signed_rank_test([1.0, 2.0], alpha=1.5)
