"""Power: what a design could detect, and whether a test can reach significance at all.

A non-significant comparison reads right only beside what the design could have found:

- :func:`smallest_detectable_difference`: the smallest true difference that the chosen test
  would detect with probability ``power`` (two-sided, at the comparison's Holm-adjusted level),
  given the observed sd of the differences. For t tests it solves the noncentral t power
  equation exactly (what ``statsmodels.stats.power.TTestPower`` solves; a test compares them).
- :func:`minimum_p_value` / :func:`pairs_needed` / :func:`reachability`: an exact discrete test
  has a smallest possible p-value (``2 / 2^n`` for the signed-rank and sign tests with n
  non-zero differences); when it is not below the Holm level ``alpha / m`` of the family's first
  step, no comparison in the family can become significant, whatever the data.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from .paired import TESTS, sign_test_p_value
from .signed_rank import _check_alpha

__all__ = [
    "Reachability",
    "minimum_p_value",
    "pairs_needed",
    "reachability",
    "smallest_detectable_difference",
]

# Asymptotic relative efficiency of the signed-rank test to the t-test under normal
# differences (Hodges & Lehmann 1956): 3/pi. The signed-rank test needs 1/(3/pi) times the
# pairs, i.e. its detectable difference is larger by sqrt(pi/3).
WILCOXON_EFFICIENCY = 3.0 / math.pi


@functools.lru_cache(maxsize=4096)  # a sweep summary asks for the same (df, level) many times
def noncentrality_for_power(df: float, alpha: float, power: float = 0.8) -> float:
    """Noncentrality ``delta`` at which the two-sided t-test at ``alpha`` has the given power.

    Parameters
    ----------
    df : float
        Degrees of freedom (n - 1 for n pairs).
    alpha : float
        Two-sided level.
    power : float, default 0.8

    Returns
    -------
    float
        ``delta > 0`` solving ``P(|T'| > t_(1-alpha/2, df)) = power`` for ``T'`` noncentral t
        with ``df`` and ``delta`` (scipy.stats.nct; the equation TTestPower solves).
    """
    _check_alpha(alpha)
    if not 0.0 < power < 1.0 or df <= 0:
        raise ValueError(f"power must be in (0, 1) and df > 0; got power={power!r}, df={df!r}.")
    critical = float(stats.t.ppf(1.0 - alpha / 2.0, df))

    def shortfall(delta: float) -> float:
        # The far tail P(T' < -critical) is below 1e-10 where scipy's nct returns NaN for it
        # (scipy 1.17: nct.cdf(-3.5, 9, 8) is NaN): count it as 0 there.
        far = float(np.nan_to_num(stats.nct.cdf(-critical, df, delta), nan=0.0))
        return float(stats.nct.sf(critical, df, delta)) + far - power

    upper = critical + 1.0
    while shortfall(upper) < 0:
        upper *= 2.0
    return float(optimize.brentq(shortfall, 0.0, upper, xtol=1e-12, rtol=1e-12))


def smallest_detectable_difference(sd: float, n: int, alpha: float = 0.05, power: float = 0.8,
                                   test: str = "t", *, n_train: float | None = None,
                                   n_test: float | None = None) -> float:
    """Smallest difference detectable with the given power, given the observed sd.

    Parameters
    ----------
    sd : float
        Observed sample sd of the paired differences.
    n : int
        Pairs.
    alpha : float, default 0.05
        Two-sided level; pass the comparison's Holm-adjusted level ``alpha / (m - i)``.
    power : float, default 0.8
    test : {"t", "corrected_t", "wilcoxon"}, default "t"
    n_train, n_test : float, optional
        Split sizes, for ``"corrected_t"``.

    Returns
    -------
    float
        ``delta * SE`` with ``delta`` from :func:`noncentrality_for_power` (n - 1 df) and SE the
        test's standard error: ``sd / sqrt(n)``, or ``sd * sqrt(1/n + n_test/n_train)``. For
        ``"wilcoxon"``: the t value times ``sqrt(pi / 3)`` (its efficiency under normality; an
        approximation), and NaN when the exact test cannot reach ``alpha`` with n pairs
        (see :func:`reachability`). NaN for n < 2 or sd that is not positive and finite.
        Label it "given the observed sd".
    """
    if test not in TESTS:
        raise ValueError(f"test must be one of {sorted(TESTS)}; got {test!r}.")
    if n < 2 or not (math.isfinite(sd) and sd > 0):
        return math.nan
    factor = 1.0 / n
    if test == "corrected_t":
        if not (n_train and n_test and n_train > 0 and n_test > 0):
            raise ValueError(f"test='corrected_t' needs positive n_train and n_test; got "
                             f"n_train={n_train!r}, n_test={n_test!r}.")
        factor += n_test / n_train
    detectable = noncentrality_for_power(n - 1, alpha, power) * sd * math.sqrt(factor)
    if test == "wilcoxon":
        if not minimum_p_value(n, "wilcoxon") < alpha:
            return math.nan
        detectable /= math.sqrt(WILCOXON_EFFICIENCY)
    return detectable


def minimum_p_value(n: int, test: str = "wilcoxon") -> float:
    """Smallest two-sided p-value a test can return with n non-zero paired differences.

    Parameters
    ----------
    n : int
        Non-zero differences.
    test : {"t", "corrected_t", "wilcoxon", "sign"}

    Returns
    -------
    float
        ``2 / 2^n`` for ``"wilcoxon"`` and ``"sign"`` (all differences of one sign); 0 for the t
        tests with n >= 2 (their p falls without bound as differences get consistent, unless the
        differences are exactly constant, when the sign test's ``2 / 2^n`` stands in); 1 for
        n < 2 (no test).
    """
    if test not in (*TESTS, "sign"):
        raise ValueError(f"test must be one of {sorted((*TESTS, 'sign'))}; got {test!r}.")
    if n < 1 or (n < 2 and test in ("t", "corrected_t")):
        return 1.0
    if test in ("wilcoxon", "sign"):
        return sign_test_p_value(n)
    return 0.0


def pairs_needed(n_comparisons: int = 1, alpha: float = 0.05, test: str = "wilcoxon") -> int:
    """Fewest non-zero differences with which a test can reach ``alpha`` after Holm over m.

    Parameters
    ----------
    n_comparisons : int, default 1
        m, the size of the Holm family; Holm's first step compares the smallest p with
        ``alpha / m``, so nothing is significant unless some p can fall below it.
    alpha : float, default 0.05
    test : {"t", "corrected_t", "wilcoxon", "sign"}

    Returns
    -------
    int
        Smallest n with ``minimum_p_value(n, test) < alpha / m``: for the signed-rank and sign
        tests ``n > log2(2 m / alpha)`` (m = 6: 8; m = 21: 10); 2 for the t tests.
    """
    _check_alpha(alpha)
    if n_comparisons < 1:
        raise ValueError(f"n_comparisons must be at least 1; got {n_comparisons!r}.")
    n = 1
    while not minimum_p_value(n, test) < alpha / n_comparisons:
        n += 1
    return n


@dataclass(frozen=True)
class Reachability:
    """Whether a test can reach significance after Holm (see :func:`reachability`).

    Attributes
    ----------
    reachable : bool
    minimum_p : float
        Smallest p the test can return with these pairs.
    level : float
        Holm's first-step level ``alpha / m``.
    needed : int
        Non-zero differences (pairs, seeds) that would make it reachable.
    message : str
        One sentence for results.md.
    """

    reachable: bool
    minimum_p: float
    level: float
    needed: int
    message: str


def reachability(n: int, n_comparisons: int = 1, alpha: float = 0.05,
                 test: str = "wilcoxon") -> Reachability:
    """Can the test reach ``alpha`` after Holm over ``n_comparisons`` with n pairs?

    Parameters
    ----------
    n : int
        Non-zero paired differences (or blocks).
    n_comparisons : int, default 1
        Holm family size m.
    alpha : float, default 0.05
    test : {"t", "corrected_t", "wilcoxon", "sign"}

    Returns
    -------
    Reachability
    """
    minimum = minimum_p_value(n, test)
    level = alpha / n_comparisons
    needed = pairs_needed(n_comparisons, alpha, test)
    reachable = minimum < level
    family = f"after Holm over {n_comparisons} comparisons " if n_comparisons > 1 else ""
    if reachable:
        message = (f"with {n} pairs the {test} test can reach {alpha:g} {family}"
                   f"(smallest possible p {minimum:.3g} < {level:.3g}).")
    else:
        message = (f"with {n} pairs the {test} test cannot reach {alpha:g} {family}"
                   f"(smallest possible p {minimum:.3g} >= {level:.3g}); {needed} non-zero "
                   f"differences would.")
    return Reachability(reachable=reachable, minimum_p=minimum, level=level, needed=needed,
                        message=message)
