"""Ranks across methods: Friedman, Iman-Davenport, Nemenyi (against its table and
scikit-posthocs), pairwise Wilcoxon-Holm, minimum blocks, cleaning gain."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scikit_posthocs
from scipy import stats
from statsmodels.stats.multitest import multipletests

from runner.statistics import (
    average_ranks,
    cleaning_gain,
    cliques,
    iman_davenport,
    minimum_blocks,
    nemenyi_cd,
    nemenyi_q,
    rank_analysis,
)

# statsmodels' Holm runs gc.collect() per call: see conftest.frozen_heap
pytestmark = pytest.mark.usefixtures("frozen_heap")

# Demšar (2006), Table 5(a): Nemenyi's q_0.05 for k = 2..10 (published values).
DEMSAR_Q_05 = [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164]
DEMSAR_Q_10 = [1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920]


def blocks(n_blocks=12, k=5, seed=0, decimals=3) -> pd.DataFrame:
    """Accuracy-like values; 3 decimals give ties, as accuracies on a finite test set do."""
    rng = np.random.default_rng(seed)
    values = np.round(0.8 + np.linspace(0, 0.03, k) + rng.normal(0, 0.01, (n_blocks, k)), decimals)
    return pd.DataFrame(values, columns=[f"m{i}" for i in range(k)])


def test_average_ranks_by_hand_with_ties():
    values = pd.DataFrame({"a": [0.9, 0.5, 0.7], "b": [0.8, 0.5, 0.9], "c": [0.7, 0.4, 0.9]})
    # block 1: a1 b2 c3; block 2: a1.5 b1.5 c3; block 3: a3 b1.5 c1.5
    assert average_ranks(values).tolist() == pytest.approx([5.5 / 3, 5 / 3, 7.5 / 3])
    assert average_ranks(values, "lower").tolist() == pytest.approx([6.5 / 3, 7 / 3, 4.5 / 3])
    signed = pd.DataFrame({"a": [0.1, -0.3], "b": [-0.2, 0.1]})
    assert average_ranks(signed, "closest to 0").tolist() == [1.5, 1.5]


def test_friedman_and_iman_davenport_by_scipy():
    values = blocks()
    result = rank_analysis(values, population="seeds of one condition")
    reference = stats.friedmanchisquare(*values.to_numpy().T)
    assert result.friedman_statistic == pytest.approx(reference.statistic)
    assert result.friedman_p == pytest.approx(reference.pvalue)
    n, k = values.shape
    f = (n - 1) * reference.statistic / (n * (k - 1) - reference.statistic)
    assert result.iman_davenport_statistic == pytest.approx(f)
    assert result.iman_davenport_p == pytest.approx(stats.f.sf(f, k - 1, (k - 1) * (n - 1)))
    assert result.population == "seeds of one condition" and result.n_blocks == 12


def test_iman_davenport_is_undefined_when_every_block_agrees():
    statistic, p = iman_davenport(chi_square=2 * 6, k=3, n_blocks=6)
    assert statistic == math.inf and math.isnan(p)


@pytest.mark.parametrize("alpha,table", [(0.05, DEMSAR_Q_05), (0.10, DEMSAR_Q_10)])
def test_nemenyi_q_equals_demsar_table_5(alpha, table):
    for k, published in zip(range(2, 11), table, strict=True):
        assert nemenyi_q(k, alpha) == pytest.approx(published, abs=1.5e-3)


def test_nemenyi_cd_agrees_with_scikit_posthocs():
    values = blocks(n_blocks=15, k=6, seed=1)
    result = rank_analysis(values, population="conditions")
    assert result.nemenyi_cd == pytest.approx(nemenyi_cd(6, 15))
    p = scikit_posthocs.posthoc_nemenyi_friedman(values.to_numpy())
    for row in result.pairwise.itertuples():
        i, j = int(row.method_a[1:]), int(row.method_b[1:])
        assert row.nemenyi_different == (p.iloc[i, j] < 0.05)
    assert result.pairwise["nemenyi_different"].any()  # the check saw both outcomes
    assert not result.pairwise["nemenyi_different"].all()


def test_pairwise_wilcoxon_holm_over_blocks_by_scipy():
    values = blocks(decimals=12)
    result = rank_analysis(values, population="conditions")
    compared = 0
    for row in result.pairwise.itertuples():
        d = (values[row.method_a] - values[row.method_b]).round(9)  # 3-decimal data: exact ties
        if d.eq(0).any() or d.abs().nunique() < len(d):
            continue  # scipy's exact path applies without zeros and ties only
        assert row.p_value == pytest.approx(stats.wilcoxon(d, method="exact").pvalue)
        compared += 1
    assert compared >= 3
    np.testing.assert_allclose(result.pairwise["p_holm"],
                               multipletests(result.pairwise["p_value"], method="holm")[1])


def test_minimum_blocks():
    needed = minimum_blocks(7)
    assert needed["wilcoxon_holm"] == 10
    # Friedman's most extreme chi2 = N (k - 1): with k = 3, p = exp(-N) < 0.05 from N = 3.
    assert minimum_blocks(3)["friedman"] == 3
    for k in range(3, 9):
        n = minimum_blocks(k)["nemenyi"]
        assert k - 1 > nemenyi_cd(k, n) and not k - 1 > nemenyi_cd(k, n - 1)


def test_few_blocks_are_named_in_the_notes():
    result = rank_analysis(blocks(n_blocks=4, k=7), population="conditions")
    assert any("only 4 blocks" in note for note in result.notes)
    assert any("wilcoxon-holm cannot reach 0.05 with 4 blocks; it needs 10" in note for note in result.notes)


def test_incomplete_blocks_are_dropped_and_counted():
    values = blocks()
    values.iloc[2, 1] = np.nan
    result = rank_analysis(values, population="seeds")
    assert (result.n_blocks, result.dropped_blocks) == (11, 1)


def test_cliques_are_maximal_runs_without_a_significant_pair():
    ranks = pd.Series({"a": 1.0, "b": 1.5, "c": 2.5, "d": 3.8})
    different = {frozenset(("a", "c")), frozenset(("a", "d")), frozenset(("b", "d"))}
    assert cliques(ranks, different) == [["a", "b"], ["b", "c"], ["c", "d"]]
    assert cliques(ranks, set()) == [["a", "b", "c", "d"]]


def test_cleaning_gain_over_conditions_by_scipy():
    rng = np.random.default_rng(4)
    baseline = pd.Series(0.8 + rng.normal(0, 0.01, 9))
    values = pd.DataFrame({"cl": baseline + 0.01 + rng.normal(0, 0.003, 9),
                           "noise": baseline + rng.normal(0, 0.003, 9)})
    table = cleaning_gain(values, baseline)
    for row in table.itertuples():
        gain = values[row.method] - baseline
        assert row.mean_gain == pytest.approx(gain.mean())
        assert row.wins == int((gain > 0).sum()) and row.losses == int((gain < 0).sum())
        assert row.p_value == pytest.approx(stats.wilcoxon(gain, method="exact").pvalue)
    np.testing.assert_allclose(table["p_holm"], multipletests(table["p_value"], method="holm")[1])
    as_column = cleaning_gain(values.assign(base=baseline), "base")
    pd.testing.assert_frame_equal(as_column, table)
