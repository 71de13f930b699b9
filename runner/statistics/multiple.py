"""Families of comparisons: all method pairs of one (metric, condition), Holm-adjusted.

The family is every pair of the k methods (``k (k - 1) / 2`` comparisons) for one metric and one
condition; Holm's step-down adjustment runs within it. All pairs are compared, none only against
a "best" chosen after looking at the data; :func:`best_and_indistinguishable` gives that view
(the bold cells of a table) as a reading aid computed from the all-pairs family.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd

from .paired import BETTER, paired_comparison
from .power import reachability, smallest_detectable_difference
from .signed_rank import _check_alpha

__all__ = ["best_and_indistinguishable", "holm", "pairwise_comparisons"]


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values; NaN entries stay NaN and are not counted in m.

    Parameters
    ----------
    p_values : array-like of float

    Returns
    -------
    numpy.ndarray
        Sort the m present p-values ascending, multiply the i-th (from 0) by ``m - i``, take the
        running maximum, clip at 1 (Holm 1979); equals
        ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]``.
    """
    p_values = np.asarray(p_values, dtype=float)
    adjusted = np.full(p_values.shape, math.nan)
    present = np.flatnonzero(~np.isnan(p_values))
    m = present.shape[0]
    if m == 0:
        return adjusted
    order = present[np.argsort(p_values[present], kind="stable")]
    scaled = (m - np.arange(m)) * p_values[order]
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted


def holm_levels(p_values, alpha: float = 0.05) -> np.ndarray:
    """Holm's per-comparison level ``alpha / (m - i)``, i the rank of its p (from 0; NaN stays).

    Parameters
    ----------
    p_values : array-like of float
    alpha : float, default 0.05

    Returns
    -------
    numpy.ndarray
        The level each comparison's raw p is held to at its step (ties in p share the order of
        appearance); used for the smallest detectable difference of that comparison.
    """
    p_values = np.asarray(p_values, dtype=float)
    levels = np.full(p_values.shape, math.nan)
    present = np.flatnonzero(~np.isnan(p_values))
    m = present.shape[0]
    order = present[np.argsort(p_values[present], kind="stable")]
    levels[order] = alpha / (m - np.arange(m))
    return levels


def pairwise_comparisons(values: pd.DataFrame, test: str = "t", *, better: str = "higher",
                         alpha: float = 0.05, n_train: float | None = None,
                         n_test: float | None = None, power: float = 0.8) -> pd.DataFrame:
    """All pairs of methods of one (metric, condition) as one Holm family.

    Parameters
    ----------
    values : pandas.DataFrame, shape (n_replicates, k_methods)
        One column per method, one row per replicate (the pairing key is the index, e.g. the
        seed); NaN marks a missing run and drops that replicate from the pairs that need it.
    test : {"t", "corrected_t", "wilcoxon"}, default "t"
    better : {"higher", "lower", "closest to 0"}, default "higher"
    alpha : float, default 0.05
    n_train, n_test : float, optional
        For ``"corrected_t"``.
    power : float, default 0.8
        For the smallest detectable difference.

    Returns
    -------
    pandas.DataFrame
        One row per pair ``(method_a, method_b)`` in column order, a - b; the fields of
        :class:`~runner.statistics.paired.PairedComparison` plus ``p_holm`` (Holm within this
        family), ``holm_level`` (``alpha / (m - i)``), ``detectable_difference`` (smallest
        difference detectable at that level with the given power, given the observed sd),
        ``n_comparisons`` (m), ``reachable`` and ``reachability`` (whether the exact signed-rank
        test - or, for constant differences, the sign test - can reach ``alpha`` after Holm
        with these pairs, as a sentence), ``pairs_needed``.

    Notes
    -----
    Implements Holm (1979) over the paired tests of :func:`paired_comparison`.
    """
    _check_alpha(alpha)
    if not isinstance(values, pd.DataFrame):
        raise TypeError(f"values must be a pandas DataFrame (replicates x methods); got {type(values).__name__}.")
    if better not in BETTER:
        raise ValueError(f"better must be one of {list(BETTER)}; got {better!r}.")
    methods = list(values.columns)
    if len(set(methods)) != len(methods):
        raise ValueError(f"values has repeated method columns: {methods!r}.")
    rows = []
    matrix = values.to_numpy(float)
    present = ~np.isnan(matrix)
    for (i, method_a), (j, method_b) in combinations(enumerate(methods), 2):
        both = present[:, i] & present[:, j]
        comparison = paired_comparison(matrix[both, i], matrix[both, j], test, n_train=n_train,
                                       n_test=n_test, alpha=alpha, better=better)
        rows.append({"method_a": method_a, "method_b": method_b, **comparison.as_dict()})
    columns = ["method_a", "method_b", "p_holm", "holm_level", "detectable_difference",
               "n_comparisons", "reachable", "reachability", "pairs_needed"]
    if not rows:
        return pd.DataFrame(columns=columns)
    table = pd.DataFrame(rows)
    m = len(rows)
    table["n_comparisons"] = m
    table["p_holm"] = holm(table["p_value"].to_numpy(float))
    # Comparisons without a p (identical, too few) get the last step's level: they were not
    # tested, but a reader still wants to know what the design could have detected.
    levels = holm_levels(table["p_value"].to_numpy(float), alpha)
    table["holm_level"] = np.where(np.isnan(levels), alpha / m, levels)
    table["detectable_difference"] = [
        smallest_detectable_difference(row.sd_difference, row.n_pairs, row.holm_level, power, test,
                                       n_train=n_train, n_test=n_test)
        for row in table.itertuples()]
    # Exact tests are bounded below by 2/2^n: the signed-rank test always, the t tests when
    # their differences are constant (the sign test stands in).
    reach = [reachability(row.n_nonzero, m, alpha,
                          "wilcoxon" if test == "wilcoxon" else ("sign" if row.status == "constant" else test))
             for row in table.itertuples()]
    table["reachable"] = [r.reachable for r in reach]
    table["reachability"] = [r.message for r in reach]
    table["pairs_needed"] = [r.needed for r in reach]
    return table


def best_and_indistinguishable(means: pd.Series, comparisons: pd.DataFrame, *,
                               better: str = "higher", alpha: float = 0.05) -> tuple[set, str]:
    """The methods to mark bold in one condition: the best and those not significantly worse.

    Parameters
    ----------
    means : pandas.Series
        Mean metric per method (index = method names) in this condition.
    comparisons : pandas.DataFrame
        :func:`pairwise_comparisons` of the same (metric, condition).
    better : {"higher", "lower", "closest to 0"}
    alpha : float, default 0.05

    Returns
    -------
    (methods, why) : tuple of (set, str)
        The best method plus every method whose Holm-adjusted p against it is >= ``alpha`` (or
        has no p: identical results); empty with the reason when nothing should be bold: fewer
        than 2 replicates, the best not unique in a method-independent metric (all means equal),
        or ``alpha`` unreachable after Holm.
    """
    if better not in BETTER:
        raise ValueError(f"better must be one of {list(BETTER)}; got {better!r}.")
    means = means.dropna()
    if means.empty:
        return set(), "no values."
    if means.nunique() == 1:
        return set(), "every method has the same mean: the metric does not depend on the method here."
    if comparisons.empty or (comparisons["n_pairs"] < 2).all():
        return set(), "one replicate: no test, nothing marked."
    if not comparisons["reachable"].any():
        return set(), f"{alpha:g} is unreachable after Holm: {comparisons['reachability'].iloc[0]}"
    score = {"higher": means, "lower": -means, "closest to 0": -means.abs()}[better]
    best = score.idxmax()
    marked = {best}
    for row in comparisons.itertuples():
        if best not in (row.method_a, row.method_b):
            continue
        other = row.method_b if row.method_a == best else row.method_a
        if not row.p_holm < alpha:  # NaN (identical) counts as not different
            marked.add(other)
    return marked, (f"bold: the best mean and every method whose Holm-adjusted p against it "
                    f"is >= {alpha:g}.")
