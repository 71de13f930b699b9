"""Holm families over all method pairs, power and reachability."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestPower

from runner.statistics import (
    best_and_indistinguishable,
    holm,
    minimum_p_value,
    pairs_needed,
    pairwise_comparisons,
    reachability,
    signed_rank_p_value,
    smallest_detectable_difference,
)

# statsmodels' Holm runs gc.collect() per call: see conftest.frozen_heap
pytestmark = pytest.mark.usefixtures("frozen_heap")


def test_holm_equals_statsmodels_and_skips_nan():
    rng = np.random.default_rng(0)
    for _ in range(50):
        p = rng.uniform(0, 0.2, rng.integers(1, 25))
        np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], rtol=1e-12)
    p = np.array([0.01, np.nan, 0.04, 0.03])
    adjusted = holm(p)
    assert math.isnan(adjusted[1])
    np.testing.assert_allclose(adjusted[[0, 2, 3]], multipletests(p[[0, 2, 3]], method="holm")[1])


def seven_methods(n_seeds=10, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    shift = np.linspace(0, 0.02, 7)
    return pd.DataFrame(0.8 + shift + rng.normal(0, 0.01, (n_seeds, 7)),
                        columns=[f"method_{i}" for i in range(7)])


@pytest.mark.parametrize("test", ["t", "wilcoxon"])
def test_family_is_all_pairs_with_holm_recomputed_by_scipy(test):
    values = seven_methods()
    table = pairwise_comparisons(values, test)
    assert len(table) == 21 and (table["n_comparisons"] == 21).all()
    assert list(zip(table["method_a"], table["method_b"], strict=True)) == list(combinations(values.columns, 2))
    if test == "t":
        raw = [stats.ttest_rel(values[a], values[b]).pvalue for a, b in combinations(values.columns, 2)]
    else:
        raw = [stats.wilcoxon(values[a] - values[b], method="exact").pvalue
               for a, b in combinations(values.columns, 2)]
    np.testing.assert_allclose(table["p_value"], raw, rtol=1e-10)
    np.testing.assert_allclose(table["p_holm"], multipletests(raw, method="holm")[1], rtol=1e-10)
    # Holm levels: alpha / (m - i) by the rank of the raw p.
    order = np.argsort(raw, kind="stable")
    np.testing.assert_allclose(table["holm_level"].to_numpy()[order], 0.05 / (21 - np.arange(21)))


def test_missing_runs_drop_only_the_pairs_that_need_them():
    values = seven_methods().iloc[:, :3].copy()
    values.iloc[0, 0] = np.nan
    table = pairwise_comparisons(values, "t")
    assert table["n_pairs"].tolist() == [9, 9, 10]


# (5, 0.05 / 21) is left out: there statsmodels 0.15's solver returns an effect whose own power is
# 0.54 (scipy's nct gives NaN in a far tail); test_detectable_difference_has_the_asked_power
# covers that corner.
@pytest.mark.parametrize("n,alpha", [(3, 0.05), (5, 0.01), (10, 0.05 / 6), (30, 0.01)])
def test_detectable_difference_equals_statsmodels_ttestpower(n, alpha):
    sd = 0.013
    effect = TTestPower().solve_power(nobs=n, alpha=alpha, power=0.8, alternative="two-sided")
    detectable = smallest_detectable_difference(sd, n, alpha, 0.8, "t")
    # statsmodels' solver stops at about 1e-6 relative; ours solves the same equation tighter:
    assert detectable == pytest.approx(effect * sd, rel=1e-5)
    assert TTestPower().power(detectable / sd, n, alpha) == pytest.approx(0.8, abs=1e-8)


@pytest.mark.parametrize("n,alpha", [(3, 0.05 / 21), (5, 0.05 / 21), (10, 0.05 / 6), (50, 0.001)])
def test_detectable_difference_has_the_asked_power(n, alpha):
    """Power recomputed from the noncentral t, both tails written as upper tails."""
    sd = 0.02
    delta = smallest_detectable_difference(sd, n, alpha) / (sd / math.sqrt(n))
    critical = stats.t.ppf(1 - alpha / 2, n - 1)
    power = stats.nct.sf(critical, n - 1, delta) + stats.nct.sf(critical, n - 1, -delta)
    assert power == pytest.approx(0.8, abs=1e-9)


def test_detectable_difference_of_corrected_t_uses_its_standard_error():
    plain = smallest_detectable_difference(0.01, 10, 0.05, test="t")
    corrected = smallest_detectable_difference(0.01, 10, 0.05, test="corrected_t", n_train=800, n_test=200)
    assert corrected / plain == pytest.approx(math.sqrt((1 / 10 + 200 / 800) / (1 / 10)))


def test_detectable_difference_is_reported_per_comparison_at_its_holm_level():
    values = seven_methods()
    table = pairwise_comparisons(values, "t")
    assert table["holm_level"].nunique() == 21
    for row in table.itertuples():
        se = row.sd_difference / math.sqrt(row.n_pairs)
        delta = row.detectable_difference / se
        critical = stats.t.ppf(1 - row.holm_level / 2, row.n_pairs - 1)
        power = (stats.nct.sf(critical, row.n_pairs - 1, delta)
                 + stats.nct.sf(critical, row.n_pairs - 1, -delta))
        assert power == pytest.approx(0.8, abs=1e-9)


def test_wilcoxon_with_holm_needs_8_pairs_over_6_comparisons_and_10_over_21():
    assert pairs_needed(6, 0.05, "wilcoxon") == 8
    assert pairs_needed(21, 0.05, "wilcoxon") == 10
    # Independently: the real test's p on the most extreme data of n pairs.
    for m, needed in ((6, 8), (21, 10)):
        smallest = {n: signed_rank_p_value(np.arange(1.0, n + 1))[0] for n in range(1, 12)}
        assert min(n for n, p in smallest.items() if p < 0.05 / m) == needed
        assert smallest[needed - 1] >= 0.05 / m


def test_minimum_p_values():
    assert minimum_p_value(5, "wilcoxon") == 2 / 32
    assert minimum_p_value(6, "sign") == 2 / 64
    assert minimum_p_value(3, "t") == 0.0
    assert minimum_p_value(1, "t") == 1.0


def test_unreachable_family_says_so_and_nothing_is_bold():
    # 5 seeds, 7 methods, Wilcoxon: 2/2^5 = 0.0625 is never below 0.05 / 21.
    values = seven_methods(n_seeds=5)
    table = pairwise_comparisons(values, "wilcoxon")
    assert not table["reachable"].any()
    assert (table["pairs_needed"] == 10).all()
    assert "cannot reach 0.05 after Holm over 21 comparisons" in table["reachability"].iloc[0]
    assert "10 non-zero differences would" in table["reachability"].iloc[0]
    assert table["detectable_difference"].isna().all()
    marked, why = best_and_indistinguishable(values.mean(), table)
    assert marked == set() and "unreachable" in why
    assert reachability(5, 21).reachable is False and reachability(10, 21).reachable is True


def test_constant_differences_under_t_are_bounded_by_the_sign_test():
    base = np.linspace(0.7, 0.8, 5)
    values = pd.DataFrame({"a": base, "b": base - 0.01, "c": base - 0.02})
    table = pairwise_comparisons(values, "t")
    assert (table["status"] == "constant").all()
    assert not table["reachable"].any()  # 2/2^5 >= 0.05/3


def test_bold_is_the_best_and_those_not_significantly_worse():
    rng = np.random.default_rng(3)
    values = pd.DataFrame({"good": 0.9 + rng.normal(0, 0.002, 12),
                           "tied": 0.9 + rng.normal(0, 0.002, 12),
                           "bad": 0.8 + rng.normal(0, 0.002, 12)})
    table = pairwise_comparisons(values, "t")
    marked, _ = best_and_indistinguishable(values.mean(), table)
    assert marked == {"good", "tied"}
    lower = pairwise_comparisons(values, "t", better="lower")
    assert best_and_indistinguishable(values.mean(), lower, better="lower")[0] == {"bad"}
    same = pd.DataFrame({"x": np.full(4, 0.5), "y": np.full(4, 0.5)})
    assert best_and_indistinguishable(same.mean(), pairwise_comparisons(same))[0] == set()
