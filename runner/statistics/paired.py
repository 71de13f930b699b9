"""Two methods, one condition, paired replicates: one test, its interval, and companions.

``paired_comparison(a, b, test=...)`` compares ``a`` and ``b`` measured on the same replicates
(seeds). Whatever the test, its interval and its p-value come from the same model, so that "the
unadjusted ``1 - alpha`` interval excludes 0" holds exactly when "the unadjusted p < alpha":

- ``"t"``: the paired t-test (``scipy.stats.ttest_rel``) and the t interval of the mean difference
  (``ttest_rel(...).confidence_interval``).
- ``"corrected_t"``: Nadeau & Bengio's corrected resampled t (Machine Learning 52, 2003): the
  variance factor ``1/n`` becomes ``1/n + n_test/n_train`` in both the statistic and the interval,
  ``n - 1`` degrees of freedom. Only for metrics measured on a re-split test part; the caller
  gives the sizes.
- ``"wilcoxon"``: the exact signed-rank test with the Hodges-Lehmann estimate and its exact
  interval (:mod:`.signed_rank`).

Degenerate pairs (decided before any test): all differences zero is ``"identical"`` (no p, no
interval); differences constant and non-zero make the t statistic infinite (scipy returns
p = 0), so every test reports the exact two-sided sign-test p ``2 / 2^n`` instead, never 0; fewer
than 2 pairs is ``"too_few"``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from .signed_rank import _check_alpha, _finite, signed_rank_p_value, signed_rank_test

__all__ = [
    "BETTER",
    "MIN_NONZERO_FOR_WILCOXON",
    "PairedComparison",
    "TESTS",
    "paired_comparison",
    "probability_of_improvement",
    "sign_test_p_value",
    "wilson_interval",
]

# The paired tests: name -> (what the tables print, its assumption in one sentence).
TESTS = {
    "t": ("paired t-test",
          "the per-replicate differences are roughly normal and the replicates independent"),
    "corrected_t": ("corrected resampled t-test (Nadeau & Bengio 2003)",
                    "the differences are roughly normal; replicates re-split one dataset, so "
                    "their overlap is allowed for by the variance factor 1/n + n_test/n_train"),
    "wilcoxon": ("exact Wilcoxon signed-rank test",
                 "the differences are symmetric about their centre (no normality); zero "
                 "differences are dropped"),
}
# Metric directions, spelled as runner's metric registry spells them.
BETTER = ("higher", "lower", "closest to 0")
# The exact signed-rank test's smallest two-sided p is 2 / 2^n: below 6 non-zero differences
# (2/32 = 0.0625) it cannot reach 0.05, so its p is not reported beside another test then.
MIN_NONZERO_FOR_WILCOXON = 6
# Differences whose range is below this fraction of their largest magnitude are constant: float
# rounding (0.3 - 0.2 != 0.1) must not turn a constant difference into a huge t statistic.
CONSTANT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class PairedComparison:
    """The result of :func:`paired_comparison` (one row of comparisons.csv).

    Attributes
    ----------
    test : str
        ``"t"``, ``"corrected_t"`` or ``"wilcoxon"``.
    test_name, assumption : str
        What a table prints for the test, and its assumption in one sentence.
    status : str
        ``"ok"``; ``"identical"`` (all differences zero: no p, no interval); ``"constant"``
        (constant non-zero differences: sign-test p ``2 / 2^n``); ``"too_few"`` (n < 2: no test).
    n_pairs, n_nonzero : int
        Pairs, and pairs whose difference is not zero.
    estimate : float
        Mean difference ``a - b`` (t tests) or the Hodges-Lehmann estimate (wilcoxon).
    low, high : float
        Unadjusted ``1 - alpha`` interval of the estimate from the same test (NaN when there is
        no test; ``(-inf, inf)`` when constant differences are too few for the sign test to
        reject anything, ``[c, c]`` when it rejects every other shift).
    low_open, high_open : bool
        Whether an end is open (exact signed-rank interval under ties at 0 only).
    p_value : float
        Unadjusted two-sided p-value of the test (NaN when there is no test).
    statistic : float
        t (t tests) or ``W+`` (wilcoxon); NaN when degenerate.
    mean_difference, sd_difference : float
        Mean and sample sd (ddof=1) of the differences.
    standard_error : float
        The chosen test's standard error of the mean difference (``sd / sqrt(n)``, or
        ``sd * sqrt(1/n + n_test/n_train)`` for corrected_t; the t one for wilcoxon, which the
        power calculation uses).
    wilcoxon_p : float
        Exact signed-rank p where ``n_nonzero >= 6`` (NaN otherwise: it cannot reach 0.05).
    wins, ties, losses : int
        Pairs where ``a`` is better, equal, worse (direction ``better``).
    prob_improvement, prob_improvement_low, prob_improvement_high : float
        ``P(a better than b)`` over the pairs, ties counting 1/2, with its Wilson score interval.
    standardised_effect : float
        ``mean_difference / sd_difference`` (+-inf for constant non-zero differences).
    alpha : float
        Level of the intervals.
    note : str
        Why there is no test or why the sign test stands in ("" when status is "ok").
    """

    test: str
    test_name: str
    assumption: str
    status: str
    n_pairs: int
    n_nonzero: int
    estimate: float
    low: float
    high: float
    p_value: float
    statistic: float
    mean_difference: float
    sd_difference: float
    standard_error: float
    wilcoxon_p: float
    wins: int
    ties: int
    losses: int
    prob_improvement: float
    prob_improvement_low: float
    prob_improvement_high: float
    standardised_effect: float
    alpha: float
    note: str = ""
    low_open: bool = False
    high_open: bool = False

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval excludes 0 (equivalently, by construction, ``p < alpha``)."""
        if math.isnan(self.low):
            return False
        above = self.low > 0 or (self.low_open and self.low == 0)
        below = self.high < 0 or (self.high_open and self.high == 0)
        return bool(above or below)

    def as_dict(self) -> dict:
        """The fields as a flat dict (one row of a comparisons frame)."""
        return asdict(self)


def paired_comparison(a, b, test: str = "t", *, n_train: float | None = None,
                      n_test: float | None = None, alpha: float = 0.05,
                      better: str = "higher") -> PairedComparison:
    """Compare two methods over paired replicates with one test and its own interval.

    Parameters
    ----------
    a, b : array-like of float, shape (n_pairs,)
        The metric of each method on the same replicates, in the same order (pair them by seed
        before calling: ``b[i]`` must be the replicate of ``a[i]``). No NaN.
    test : {"t", "corrected_t", "wilcoxon"}, default "t"
        The paired test (see the module docstring).
    n_train, n_test : float, optional
        Training and test sizes of one replicate's split; required by ``"corrected_t"``.
    alpha : float, default 0.05
        The intervals have confidence ``1 - alpha``.
    better : {"higher", "lower", "closest to 0"}, default "higher"
        Direction of the metric; only wins/ties/losses and ``P(a better than b)`` depend on it.

    Returns
    -------
    PairedComparison

    Raises
    ------
    ValueError
        An unknown test or direction, arrays of different lengths, non-finite values, or
        ``"corrected_t"`` without positive ``n_train`` and ``n_test``.

    Notes
    -----
    Implements ``scipy.stats.ttest_rel`` (``"t"``), Nadeau & Bengio's corrected resampled
    t-test (``"corrected_t"``), the exact Wilcoxon signed-rank test with zeros dropped
    (Wilcoxon's ``zero_method``) and ties at mid-ranks (``"wilcoxon"``), the exact sign test for
    constant differences, the Wilson score interval for ``P(a better than b)``.
    """
    if test not in TESTS:
        raise ValueError(f"test must be one of {sorted(TESTS)}; got {test!r}.")
    _check_alpha(alpha)
    if test == "corrected_t":
        for name, size in (("n_train", n_train), ("n_test", n_test)):
            if size is None or not (isinstance(size, (int, float, np.integer, np.floating))
                                    and math.isfinite(size) and size > 0):
                raise ValueError(
                    f"test='corrected_t' needs the split sizes of one replicate: {name} must be a "
                    f"positive number; got {size!r} (it applies only to metrics on a re-split test part).")
    a, b = _finite(a, "a"), _finite(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must pair up: got {a.shape[0]} and {b.shape[0]} values.")
    differences = a - b
    n = differences.shape[0]
    wins, ties, losses = _wins_ties_losses(a, b, better)
    if n:
        prob, prob_low, prob_high = probability_of_improvement(wins, ties, losses, alpha=alpha)
    else:
        prob = prob_low = prob_high = math.nan
    scale = float(np.abs(differences).max()) if n else 0.0
    n_nonzero = int(np.count_nonzero(np.abs(differences) > CONSTANT_TOLERANCE * scale))
    mean = float(differences.mean()) if n else math.nan
    sd = float(differences.std(ddof=1)) if n >= 2 else math.nan
    common = dict(test=test, test_name=TESTS[test][0], assumption=TESTS[test][1], n_pairs=n,
                  n_nonzero=n_nonzero, mean_difference=mean, wins=wins, ties=ties, losses=losses,
                  prob_improvement=prob, prob_improvement_low=prob_low,
                  prob_improvement_high=prob_high, alpha=alpha)
    none = dict(low=math.nan, high=math.nan, p_value=math.nan, statistic=math.nan,
                wilcoxon_p=math.nan)
    if n < 2:
        return PairedComparison(status="too_few", estimate=mean, sd_difference=sd,
                                standard_error=math.nan, standardised_effect=math.nan,
                                note=f"{n} pair(s): a paired test needs at least 2.", **none, **common)
    if n_nonzero == 0:
        return PairedComparison(status="identical", estimate=0.0, sd_difference=0.0,
                                standard_error=0.0, standardised_effect=math.nan,
                                note="all differences are zero: identical results, no test.",
                                **none, **common)
    factor = 1.0 / n + (n_test / n_train if test == "corrected_t" else 0.0)
    standard_error = sd * math.sqrt(factor)
    # the companion p beside another test needs no interval: the p-value alone is far cheaper
    wilcoxon = signed_rank_test(differences, alpha=alpha) if test == "wilcoxon" else None
    if n_nonzero < MIN_NONZERO_FOR_WILCOXON:
        wilcoxon_p = math.nan
    else:
        wilcoxon_p = wilcoxon.p_value if wilcoxon is not None else signed_rank_p_value(differences)[0]
    if float(np.ptp(differences)) <= CONSTANT_TOLERANCE * scale:
        # Every difference is the same c != 0: the sign test (= the signed-rank test here) is
        # exact; inverted, it rejects every shift but c when 2/2^n < alpha, and none otherwise.
        constant = float(np.median(differences))
        p_value = sign_test_p_value(n)
        low, high = (constant, constant) if p_value < alpha else (-math.inf, math.inf)
        return PairedComparison(
            status="constant", estimate=constant, low=low, high=high, p_value=p_value,
            statistic=math.nan, sd_difference=0.0, standard_error=0.0, wilcoxon_p=wilcoxon_p,
            standardised_effect=math.copysign(math.inf, constant),
            note=f"constant difference {constant:+.6g} in all {n} pairs: exact sign-test p = 2/2^{n}.",
            **common)
    effect = mean / sd
    if test == "wilcoxon":
        return PairedComparison(
            status="ok", estimate=wilcoxon.estimate, low=wilcoxon.low, high=wilcoxon.high,
            low_open=wilcoxon.low_open, high_open=wilcoxon.high_open, p_value=wilcoxon.p_value,
            statistic=wilcoxon.statistic, sd_difference=sd, standard_error=standard_error,
            wilcoxon_p=wilcoxon_p, standardised_effect=effect, **common)
    if test == "t":
        result = stats.ttest_rel(a, b)
        interval = result.confidence_interval(confidence_level=1.0 - alpha)
        statistic, p_value = float(result.statistic), float(result.pvalue)
        low, high = float(interval.low), float(interval.high)
    else:
        statistic = mean / standard_error
        p_value = float(2.0 * stats.t.sf(abs(statistic), n - 1))
        half = float(stats.t.ppf(1.0 - alpha / 2.0, n - 1)) * standard_error
        low, high = mean - half, mean + half
    return PairedComparison(
        status="ok", estimate=mean, low=low, high=high, p_value=p_value, statistic=statistic,
        sd_difference=sd, standard_error=standard_error, wilcoxon_p=wilcoxon_p,
        standardised_effect=effect, **common)


def sign_test_p_value(n: int) -> float:
    """Exact two-sided sign-test p-value when all ``n`` differences have the same sign.

    Parameters
    ----------
    n : int
        Non-zero differences, all of one sign.

    Returns
    -------
    float
        ``min(1, 2 / 2^n)``: the two most extreme of the ``2^n`` equally likely sign vectors.
        It is also the exact signed-rank p-value of such data and its smallest possible p.
    """
    return min(1.0, 2.0 / 2.0 ** int(n))


def probability_of_improvement(wins: int, ties: int, losses: int,
                               alpha: float = 0.05) -> tuple[float, float, float]:
    """``P(a better than b)`` over the pairs, ties counting 1/2, with a Wilson score interval.

    Parameters
    ----------
    wins, ties, losses : int
        Pair counts.
    alpha : float, default 0.05

    Returns
    -------
    (estimate, low, high) : tuple of float

    Notes
    -----
    Each pair is treated as one Bernoulli trial (win = 1, loss = 0, tie = 1/2), so the count of
    successes is ``wins + ties / 2`` out of ``n`` pairs. The Wilson score interval (Wilson 1927)
    is chosen because it keeps close to nominal coverage for small n, stays inside [0, 1] and
    does not collapse to a point at 0 or n wins (Brown, Cai & DasGupta, Statistical Science
    2001), unlike the Wald interval; a bootstrap over 5-10 seeds would be coarser still. Ties
    at 1/2 make the count fractional, which the score formula accepts.
    """
    n = wins + ties + losses
    if n <= 0:
        raise ValueError(f"wins + ties + losses must be positive; got {wins}, {ties}, {losses}.")
    estimate = (wins + 0.5 * ties) / n
    low, high = wilson_interval(wins + 0.5 * ties, n, alpha=alpha)
    return estimate, low, high


def wilson_interval(successes: float, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion.

    Parameters
    ----------
    successes : float
        Successes (may be fractional, e.g. ties counting 1/2).
    n : int
        Trials (> 0).
    alpha : float, default 0.05

    Returns
    -------
    (low, high) : tuple of float

    Notes
    -----
    ``(p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``, z the ``1 - alpha/2`` normal
    quantile; equals ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.
    """
    z = float(stats.norm.ppf(1.0 - alpha / 2.0))
    p = successes / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denominator = 1 + z * z / n
    return max(0.0, (centre - half) / denominator), min(1.0, (centre + half) / denominator)


def _wins_ties_losses(a: np.ndarray, b: np.ndarray, better: str) -> tuple[int, int, int]:
    if better not in BETTER:
        raise ValueError(f"better must be one of {list(BETTER)}; got {better!r}.")
    if better == "higher":
        signs = np.sign(a - b)
    elif better == "lower":
        signs = np.sign(b - a)
    else:
        signs = np.sign(np.abs(b) - np.abs(a))
    return int((signs > 0).sum()), int((signs == 0).sum()), int((signs < 0).sum())
