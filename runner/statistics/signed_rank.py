"""The exact Wilcoxon signed-rank test, its Hodges-Lehmann estimate and its exact interval.

Why not ``scipy.stats.wilcoxon``: its ``method="auto"`` switches between the exact and the
normal distribution by sample size, ties and zeros, and that choice has changed between scipy
versions; under ties its "exact" path is not exact. Here the null distribution is always the
exact conditional one, enumerated by dynamic programming over rank sums:

1. Zero differences are dropped (Wilcoxon's ``zero_method="wilcox"``); the rest are ranked by
   absolute value, ties sharing their mid-rank.
2. Mid-ranks are multiples of 1/2, so the test works in doubled ranks, which are integers.
3. Under the null hypothesis (differences symmetric about 0) each sign is + or - with
   probability 1/2 independently, given the ranks; the statistic ``W+`` (sum of the doubled
   ranks of the positive differences) is a sum of independent ``r_i * Bernoulli(1/2)``. Its
   distribution is built one rank at a time (``pmf <- (pmf + pmf shifted by r_i) / 2``): n steps
   over an array of length ``n (n + 1) + 1``, not 2^n sign vectors.
4. Two-sided p = ``min(1, 2 min(P(W+ <= w), P(W+ >= w)))``, as scipy's exact test.

The interval is the inversion of that same test: the shifts ``theta`` for which the test of
``d - theta`` does not reject at ``alpha``. ``p(d - theta)`` changes only at Walsh averages
``(d_i + d_j) / 2``, so the test is evaluated at every Walsh average and at one point inside each
gap between them (and beyond both ends), all in one vectorised pass. The interval is the hull
of the accepted gaps, closed at the Walsh values that bound them: without ties this is the
classical ``[W_(c+1), W_(M-c)]`` of the sorted Walsh averages (a test checks it). At a Walsh
value itself a difference becomes zero (and is dropped) or a tie forms, so the p-value of that
single point can jump either way; the confidence set is then not exactly an interval. The one
point a table reads is 0, so there the test decides: an accepted 0 outside the hull widens it
to 0, a rejected 0 inside it becomes an open end (``low_open`` / ``high_open``). Hence "the
interval excludes 0" holds exactly when ``p < alpha`` (property-tested with heavy ties).

Float rounding would break ties (``0.3 - 0.2 != 0.1``): differences are compared on a grid of
``1e-9`` times the largest ``|d|`` (``_grid``), which is far below any difference a metric
resolves and far above rounding noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "SignedRankResult",
    "hodges_lehmann",
    "signed_rank_null_distribution",
    "signed_rank_p_value",
    "signed_rank_test",
]

# Relative grid on which differences are compared (see the module docstring).
RELATIVE_GRID = 1e-9


@dataclass(frozen=True)
class SignedRankResult:
    """The exact signed-rank test of paired differences.

    Attributes
    ----------
    p_value : float
        Exact two-sided p-value (NaN when no difference is non-zero).
    statistic : float
        ``W+``, the sum of the (mid-)ranks of the positive differences (in ranks, not doubled).
    n_nonzero : int
        Differences left after dropping zeros.
    estimate : float
        Hodges-Lehmann estimate: the median of the Walsh averages of all differences.
    low, high : float
        Exact ``1 - alpha`` interval from inverting the test (may be infinite when the test
        cannot reject any shift with this many differences).
    alpha : float
        Level of the interval.
    low_open, high_open : bool
        Whether an end is open: the test rejects at that Walsh average itself but not just
        inside it (a zero or a tie appears exactly there). Print ``(`` / ``)`` then.
    """

    p_value: float
    statistic: float
    n_nonzero: int
    estimate: float
    low: float
    high: float
    alpha: float
    low_open: bool = False
    high_open: bool = False


def signed_rank_null_distribution(doubled_ranks) -> np.ndarray:
    """Exact null distribution of the signed-rank statistic in doubled ranks.

    Parameters
    ----------
    doubled_ranks : array-like of int
        Twice the (mid-)ranks of the non-zero differences; entries 0 (dropped zeros) add nothing.

    Returns
    -------
    numpy.ndarray of float, shape (sum(doubled_ranks) + 1,)
        ``pmf[w] = P(W2+ = w)`` where ``W2+`` is the sum of the doubled ranks given a + sign,
        each sign + with probability 1/2 independently (the signed-rank null hypothesis).

    Notes
    -----
    Dynamic programming over rank sums (module docstring, step 3). Each step halves the
    array, so entries are dyadic rationals: exact in float64 for up to 53 non-zero differences.
    """
    doubled_ranks = np.asarray(doubled_ranks, dtype=np.int64)
    if doubled_ranks.ndim != 1 or (doubled_ranks < 0).any():
        raise ValueError(f"doubled_ranks must be a 1-d array of non-negative integers; got {doubled_ranks!r}.")
    pmf = np.zeros(int(doubled_ranks.sum()) + 1)
    pmf[0] = 1.0
    reach = 0  # largest sum reachable so far
    for rank in doubled_ranks[doubled_ranks > 0].tolist():
        shifted = pmf[: reach + 1].copy()
        pmf[rank: rank + reach + 1] += shifted
        pmf[: rank + reach + 1] *= 0.5
        reach += rank
    return pmf


def signed_rank_p_value(differences) -> tuple[float, float, int]:
    """Exact two-sided signed-rank p-value of one set of differences.

    Parameters
    ----------
    differences : array-like of float
        Paired differences ``a - b``; zeros are dropped (Wilcoxon's ``zero_method="wilcox"``),
        ties share mid-ranks.

    Returns
    -------
    (p_value, statistic, n_nonzero) : tuple
        ``p_value`` is NaN when no difference is non-zero; ``statistic`` is ``W+`` in ranks.

    Notes
    -----
    Implements the exact Wilcoxon signed-rank test (Wilcoxon 1945) with the exact conditional
    null distribution under ties (see the module docstring).
    """
    keys = _grid(_finite(differences, "differences"))
    p_values, statistics, n_nonzero = _p_values(keys[None, :] * 2, {})
    return float(p_values[0]), float(statistics[0]) / 2.0, int(n_nonzero[0])


def hodges_lehmann(differences) -> float:
    """Hodges-Lehmann estimate of the shift: the median of the Walsh averages.

    Parameters
    ----------
    differences : array-like of float
        All paired differences, zeros included.

    Returns
    -------
    float
        ``median((d_i + d_j) / 2 for i <= j)``; NaN for no differences.
    """
    differences = _finite(differences, "differences")
    if differences.shape[0] == 0:
        return math.nan
    i, j = np.triu_indices(differences.shape[0])
    return float(np.median((differences[i] + differences[j]) / 2.0))


def signed_rank_test(differences, alpha: float = 0.05) -> SignedRankResult:
    """Exact signed-rank test with its Hodges-Lehmann estimate and exact interval.

    Parameters
    ----------
    differences : array-like of float
        Paired differences ``a - b`` (at least one).
    alpha : float, default 0.05
        The interval has confidence ``1 - alpha``.

    Returns
    -------
    SignedRankResult

    Notes
    -----
    Implements the exact Wilcoxon signed-rank test (zeros dropped, Wilcoxon's zero method; ties
    at mid-ranks) and the interval obtained by inverting it (Hollander & Wolfe, Nonparametric
    Statistical Methods, 3.2-3.3): the interval excludes 0 exactly when ``p < alpha``. With all
    differences zero the p-value is NaN and the interval is ``[0, 0]``.
    """
    _check_alpha(alpha)
    differences = _finite(differences, "differences")
    n = differences.shape[0]
    if n == 0:
        raise ValueError("differences must hold at least one value; got an empty array.")
    keys = _grid(differences)

    # Candidate shifts, in units of a quarter grid step so that every Walsh average and every
    # midpoint between two of them is an integer: then ties and zeros are decided exactly.
    # Sorted: below all, W_1, gap_1, W_2, ..., gap_(U-1), W_U, above all.
    i, j = np.triu_indices(n)
    walsh_keys = 2 * (keys[i] + keys[j])              # (d_i + d_j) / 2 in quarter steps
    walsh_values = (differences[i] + differences[j]) / 2.0
    unique_keys, first = np.unique(walsh_keys, return_index=True)
    unique_values = walsh_values[first]
    n_unique = unique_keys.shape[0]
    candidates = np.empty(2 * n_unique + 1, dtype=np.int64)
    candidates[1::2] = unique_keys
    candidates[2:-1:2] = (unique_keys[:-1] + unique_keys[1:]) // 2  # even + even: exact
    candidates[0], candidates[-1] = unique_keys[0] - 4, unique_keys[-1] + 4
    p_values, _, _ = _p_values(4 * keys[None, :] - candidates[:, None], {})
    accepted = ~(p_values < alpha)  # NaN (all zero: no evidence) is accepted

    # The observed data: shift 0, by the same routine.
    p_value, statistic, nonzero = _p_values(4 * keys[None, :], {})

    estimate = hodges_lehmann(differences)
    low, high, low_open, high_open = _interval(accepted, unique_values, not p_value[0] < alpha,
                                               estimate)
    result = SignedRankResult(
        p_value=float(p_value[0]), statistic=float(statistic[0]) / 2.0, n_nonzero=int(nonzero[0]),
        estimate=estimate, low=low, high=high, alpha=alpha,
        low_open=low_open, high_open=high_open)
    return result


def _interval(accepted, walsh_values, zero_accepted: bool, estimate: float) -> tuple[float, float, bool, bool]:
    """(low, high, low_open, high_open) from the accepted candidates (module docstring).

    accepted: over the sorted candidates: below all, W_0, gap_0, W_1, ..., W_(U-1), above all
    (even positions are gaps or beyond the ends, odd ones the U distinct Walsh values).
    """
    n_unique = walsh_values.shape[0]
    # 1. The hull of the accepted gaps, closed at the Walsh values bounding them. Inside a gap
    #    no zero and no new tie appears, so there the test is the plain one; at a Walsh value
    #    itself a zero is dropped or a tie forms and p can jump either way for that one point.
    gaps = np.flatnonzero(accepted[0::2])  # gap g lies between W_(g-1) and W_g
    if gaps.shape[0]:
        first, last = int(gaps[0]), int(gaps[-1])
        low = -math.inf if first == 0 else float(walsh_values[first - 1])
        high = math.inf if last == n_unique else float(walsh_values[last])
    else:  # every gap rejected (constant differences): the accepted Walsh values, if any
        points = np.flatnonzero(accepted[1::2])
        if not points.shape[0]:
            return math.nan, math.nan, False, False
        low, high = float(walsh_values[points[0]]), float(walsh_values[points[-1]])
    low_open = high_open = False
    # 2. Agree with the test at 0 exactly (the shift the table reads): where 0 is itself a Walsh
    #    value, its own p decides. Accepted but outside: widen to 0. Rejected but inside (a
    #    Walsh value at 0, or a rejected gap within the hull): 0 becomes an open end, on the
    #    side away from the estimate.
    zero_inside = low <= 0.0 <= high
    if zero_accepted and not zero_inside:
        low, high = min(low, 0.0), max(high, 0.0)
    elif not zero_accepted and zero_inside:
        if estimate > 0 or (estimate == 0 and low == 0.0):
            low, low_open = 0.0, True
        else:
            high, high_open = 0.0, True
    return low, high, low_open, high_open


def _p_values(shifted_keys: np.ndarray, cache: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact two-sided p-values, W+ (doubled) and non-zero counts of each row of integer keys.

    shifted_keys: (n_rows, n) integers; 0 is a zero difference, equal |keys| are ties.
    """
    n_rows, n = shifted_keys.shape
    magnitude = np.abs(shifted_keys)
    zero = magnitude == 0
    n_zero = zero.sum(axis=1)
    # Zeros rank lowest; subtracting their count gives the ranks among the non-zero ones.
    doubled = (2 * stats.rankdata(magnitude, axis=1, method="average")).astype(np.int64)
    doubled = np.where(zero, 0, doubled - 2 * n_zero[:, None])
    w_plus = np.where(shifted_keys > 0, doubled, 0).sum(axis=1)
    p_values = np.full(n_rows, math.nan)
    configurations, which = np.unique(np.sort(doubled, axis=1), axis=0, return_inverse=True)
    which = which.reshape(-1)
    for c, configuration in enumerate(configurations):
        if not configuration.any():
            continue  # every difference zero: no test
        key = configuration.tobytes()
        if key not in cache:
            pmf = signed_rank_null_distribution(configuration)
            cache[key] = (np.cumsum(pmf), np.cumsum(pmf[::-1])[::-1])
        cdf, sf = cache[key]
        rows = np.flatnonzero(which == c)
        w = w_plus[rows]
        p_values[rows] = np.minimum(1.0, 2.0 * np.minimum(cdf[w], sf[w]))
    return p_values, w_plus, n - n_zero


def _grid(differences: np.ndarray) -> np.ndarray:
    """Differences as integers on a grid of RELATIVE_GRID * max |d| (ties decided exactly)."""
    scale = float(np.abs(differences).max()) if differences.shape[0] else 0.0
    if scale == 0.0:
        return np.zeros(differences.shape[0], dtype=np.int64)
    return np.rint(differences / (scale * RELATIVE_GRID)).astype(np.int64)


def _finite(values, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional; got shape {array.shape}.")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.shape[0]:
        raise ValueError(f"{name} must be finite; got {float(array[bad[0]])!r} at position {int(bad[0])}.")
    return array


def _check_alpha(alpha: float) -> None:
    if not (isinstance(alpha, (int, float)) and 0.0 < float(alpha) < 1.0):
        raise ValueError(f"alpha must be a number in (0, 1); got {alpha!r}.")
