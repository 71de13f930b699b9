"""Ranks across methods: Friedman, Iman-Davenport, Nemenyi, pairwise Wilcoxon-Holm.

The input is a blocks x methods matrix of one metric (Demšar, JMLR 2006). A block is a seed when
the population is one condition, or a condition (the mean over its seeds) when the population
is the set of conditions; the caller says which (``population``) and the result carries it so
that tables can name it.

- Within each block the methods are ranked, 1 = best (the metric's direction decides), ties
  sharing their average rank (``scipy.stats.rankdata``); the average rank per method summarises.
- Friedman's test (``scipy.stats.friedmanchisquare``, k >= 3) and Iman & Davenport's F version
  ``F = (N - 1) chi2 / (N (k - 1) - chi2)`` on ``(k - 1, (k - 1)(N - 1))`` df.
- Nemenyi's critical difference ``CD = q_alpha sqrt(k (k + 1) / (6 N))`` with ``q_alpha`` the
  studentized range quantile (infinite df) over sqrt(2) (Demšar's Table 5).
- Benavoli, Corani & Mangili (JMLR 2016) show that mean-rank post-hoc tests depend on which other
  methods are in the table, and recommend pairwise Wilcoxon signed-rank tests over the blocks
  with Holm: :func:`rank_analysis` gives both; the CD diagram can draw either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from .multiple import holm, pairwise_comparisons
from .paired import BETTER, paired_comparison
from .power import pairs_needed, reachability
from .signed_rank import _check_alpha

__all__ = [
    "RankAnalysis",
    "average_ranks",
    "cleaning_gain",
    "cliques",
    "iman_davenport",
    "minimum_blocks",
    "nemenyi_cd",
    "nemenyi_q",
    "oriented",
    "rank_analysis",
]

# Below this many blocks Demšar's tests have little power whatever the data (research methods
# reference: "few conditions (< 5) give these tests little power: say so").
FEW_BLOCKS = 5


def oriented(values: pd.DataFrame, better: str) -> pd.DataFrame:
    """Scores where higher is better: ``x``, ``-x`` or ``-|x|`` for the three directions.

    Parameters
    ----------
    values : pandas.DataFrame
    better : {"higher", "lower", "closest to 0"}

    Returns
    -------
    pandas.DataFrame
    """
    if better not in BETTER:
        raise ValueError(f"better must be one of {list(BETTER)}; got {better!r}.")
    return {"higher": values, "lower": -values, "closest to 0": -values.abs()}[better]


def average_ranks(values: pd.DataFrame, better: str = "higher") -> pd.Series:
    """Average rank of each method over the blocks, 1 = best, ties sharing ranks.

    Parameters
    ----------
    values : pandas.DataFrame, shape (n_blocks, k_methods)
        No NaN (drop incomplete blocks first).
    better : {"higher", "lower", "closest to 0"}

    Returns
    -------
    pandas.Series
        Indexed by method, in the columns' order.

    Notes
    -----
    ``scipy.stats.rankdata(-score, method="average", axis=1)`` per block, then the mean.
    """
    scores = oriented(values, better).to_numpy(float)
    ranks = stats.rankdata(-scores, method="average", axis=1)
    return pd.Series(ranks.mean(axis=0), index=values.columns, name="average_rank")


def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """Nemenyi's ``q_alpha`` for k methods: studentized range quantile (df = inf) / sqrt(2).

    Parameters
    ----------
    k : int
        Methods (>= 2).
    alpha : float, default 0.05

    Returns
    -------
    float
        ``scipy.stats.studentized_range.ppf(1 - alpha, k, inf) / sqrt(2)``; Demšar's Table 5a.
    """
    _check_alpha(alpha)
    if k < 2:
        raise ValueError(f"k must be at least 2 methods; got {k!r}.")
    return float(stats.studentized_range.ppf(1.0 - alpha, k, np.inf)) / math.sqrt(2.0)


def nemenyi_cd(k: int, n_blocks: int, alpha: float = 0.05) -> float:
    """Nemenyi critical difference of average ranks: ``q_alpha sqrt(k (k + 1) / (6 N))``.

    Parameters
    ----------
    k : int
        Methods.
    n_blocks : int
        N, blocks.
    alpha : float, default 0.05

    Returns
    -------
    float
        Two methods whose average ranks differ by more than this differ significantly
        (Demšar 2006, section 3.2.2).
    """
    if n_blocks < 1:
        raise ValueError(f"n_blocks must be at least 1; got {n_blocks!r}.")
    return nemenyi_q(k, alpha) * math.sqrt(k * (k + 1) / (6.0 * n_blocks))


def iman_davenport(chi_square: float, k: int, n_blocks: int) -> tuple[float, float]:
    """Iman & Davenport's F from Friedman's chi-square, and its p-value.

    Parameters
    ----------
    chi_square : float
        Friedman's statistic.
    k, n_blocks : int

    Returns
    -------
    (F, p) : tuple of float
        ``F = (N - 1) chi2 / (N (k - 1) - chi2)`` on ``(k - 1, (k - 1)(N - 1))`` df
        (Iman & Davenport 1980; Demšar 2006 eq. 2). When every block ranks the methods the same
        way the denominator is 0: F = inf and p = NaN (undefined; the Friedman p stands).
    """
    denominator = n_blocks * (k - 1) - chi_square
    if n_blocks < 2 or denominator <= 1e-12 * n_blocks * (k - 1):
        return (math.inf if n_blocks >= 2 else math.nan), math.nan
    f = (n_blocks - 1) * chi_square / denominator
    return float(f), float(stats.f.sf(f, k - 1, (k - 1) * (n_blocks - 1)))


def minimum_blocks(k: int, alpha: float = 0.05) -> dict[str, int]:
    """Fewest blocks with which each test can reach ``alpha`` at all, for k methods.

    Parameters
    ----------
    k : int
        Methods (>= 2).
    alpha : float, default 0.05

    Returns
    -------
    dict
        ``"friedman"``: smallest N whose most extreme outcome (every block ranking the methods
        the same, chi2 = N (k - 1)) has chi-square p < alpha (scipy's asymptotic p; k >= 3);
        ``"nemenyi"``: smallest N with the largest possible rank gap ``k - 1`` above the CD;
        ``"wilcoxon_holm"``: pairwise exact signed-rank tests with Holm over ``k (k - 1) / 2``
        pairs (m = 21: 10).
    """
    needed = {"wilcoxon_holm": pairs_needed(k * (k - 1) // 2, alpha, "wilcoxon")}
    n = 2
    while not (k - 1) > nemenyi_cd(k, n, alpha):
        n += 1
    needed["nemenyi"] = n
    if k >= 3:
        n = 2
        while not stats.chi2.sf(n * (k - 1), k - 1) < alpha:
            n += 1
        needed["friedman"] = n
    return needed


def cliques(average_ranks: pd.Series, different: set[frozenset]) -> list[list]:
    """Maximal runs of methods, in rank order, with no significant difference inside.

    Parameters
    ----------
    average_ranks : pandas.Series
        Average rank per method.
    different : set of frozenset
        Pairs ``frozenset({a, b})`` that differ significantly (by the CD or by Wilcoxon-Holm).

    Returns
    -------
    list of list
        Each a run of 2 or more methods (sorted by rank) whose every pair is not significantly
        different and that no longer run contains: the bars of a CD diagram.
    """
    order = list(average_ranks.sort_values(kind="stable").index)
    runs = []
    for start in range(len(order)):
        end = start
        while end + 1 < len(order) and all(
                frozenset((order[end + 1], other)) not in different for other in order[start: end + 1]):
            end += 1
        if end > start and not any(s <= start and end <= e for s, e in runs):
            runs.append((start, end))
    return [order[s: e + 1] for s, e in runs]


@dataclass(frozen=True)
class RankAnalysis:
    """The result of :func:`rank_analysis` (ranks.csv / ranks.md and the CD diagram).

    Attributes
    ----------
    population : str
        What the blocks are ("seeds of noise.rate=0.2", "conditions (mean over seeds)").
    n_blocks, n_methods : int
        Blocks used (complete ones) and methods.
    dropped_blocks : int
        Blocks dropped for a missing value.
    average_ranks : pandas.Series
        1 = best.
    friedman_statistic, friedman_p : float
        ``scipy.stats.friedmanchisquare`` (NaN below 3 methods or 2 blocks).
    iman_davenport_statistic, iman_davenport_p : float
    alpha : float
    nemenyi_q, nemenyi_cd : float
        ``q_alpha`` and the critical difference.
    pairwise : pandas.DataFrame
        One row per method pair: ``method_a``, ``method_b``, ``rank_difference`` (a - b),
        ``nemenyi_different`` (|difference| > CD), then the exact Wilcoxon comparison over the
        blocks (:func:`~runner.statistics.multiple.pairwise_comparisons` fields, ``p_holm``).
    minimum_blocks : dict
        :func:`minimum_blocks`.
    notes : list of str
        Sentences for ranks.md: too few blocks, unreachable tests, dropped blocks.
    """

    population: str
    n_blocks: int
    n_methods: int
    dropped_blocks: int
    average_ranks: pd.Series
    friedman_statistic: float
    friedman_p: float
    iman_davenport_statistic: float
    iman_davenport_p: float
    alpha: float
    nemenyi_q: float
    nemenyi_cd: float
    pairwise: pd.DataFrame
    minimum_blocks: dict
    notes: list = field(default_factory=list)

    def different_pairs(self, by: str = "wilcoxon_holm") -> set[frozenset]:
        """Pairs that differ significantly, ``by="wilcoxon_holm"`` (Benavoli) or ``"nemenyi"``."""
        if by not in ("wilcoxon_holm", "nemenyi"):
            raise ValueError(f"by must be 'wilcoxon_holm' or 'nemenyi'; got {by!r}.")
        if by == "nemenyi":
            rows = self.pairwise[self.pairwise["nemenyi_different"]]
        else:
            rows = self.pairwise[self.pairwise["p_holm"] < self.alpha]
        return {frozenset((a, b)) for a, b in zip(rows["method_a"], rows["method_b"], strict=True)}

    def cliques(self, by: str = "wilcoxon_holm") -> list[list]:
        """Bars of the CD diagram: :func:`cliques` over :meth:`different_pairs`."""
        return cliques(self.average_ranks, self.different_pairs(by))


def rank_analysis(values: pd.DataFrame, better: str = "higher", *, population: str,
                  alpha: float = 0.05) -> RankAnalysis:
    """Average ranks, Friedman / Iman-Davenport, Nemenyi CD and pairwise Wilcoxon-Holm.

    Parameters
    ----------
    values : pandas.DataFrame, shape (n_blocks, k_methods)
        One metric; rows are blocks (seeds, or condition means), columns methods. Blocks with a
        missing value are dropped (and counted in ``dropped_blocks``).
    better : {"higher", "lower", "closest to 0"}
    population : str
        What the blocks are, for the tables (required: a rank table names its population).
    alpha : float, default 0.05

    Returns
    -------
    RankAnalysis

    Notes
    -----
    Implements Demšar (2006): average ranks, ``scipy.stats.friedmanchisquare`` (with its tie
    correction), Iman-Davenport F, Nemenyi CD; and Benavoli et al. (2016): exact Wilcoxon
    signed-rank tests between every pair over the blocks, Holm over the ``k (k - 1) / 2`` pairs.
    The pairwise tests run on the metric's own values (``|x|`` for "closest to 0", where lower
    ``|x|`` is better).
    """
    _check_alpha(alpha)
    if not isinstance(values, pd.DataFrame):
        raise TypeError(f"values must be a pandas DataFrame (blocks x methods); got {type(values).__name__}.")
    if better not in BETTER:
        raise ValueError(f"better must be one of {list(BETTER)}; got {better!r}.")
    k = values.shape[1]
    if k < 2:
        raise ValueError(f"values must have at least 2 method columns; got {list(values.columns)!r}.")
    complete = values.dropna()
    n = complete.shape[0]
    notes = []
    if n < values.shape[0]:
        notes.append(f"{values.shape[0] - n} of {values.shape[0]} blocks dropped for a missing value.")
    ranks = average_ranks(complete, better) if n else pd.Series(np.nan, index=values.columns)
    chi_square = friedman_p = f = f_p = math.nan
    if k >= 3 and n >= 2:
        columns = oriented(complete, better).to_numpy(float).T
        if np.ptp(columns, axis=0).any():
            result = stats.friedmanchisquare(*columns)
            chi_square, friedman_p = float(result.statistic), float(result.pvalue)
            f, f_p = iman_davenport(chi_square, k, n)
        else:
            notes.append("every block ties all methods: no Friedman test.")
    elif k < 3:
        notes.append("2 methods: Friedman needs 3 or more; see the pairwise test.")
    q = nemenyi_q(k, alpha)
    cd = nemenyi_cd(k, n, alpha) if n else math.nan
    tested = complete.abs() if better == "closest to 0" else complete
    pairwise = pairwise_comparisons(tested, "wilcoxon", alpha=alpha,
                                    better="lower" if better == "closest to 0" else better)
    differences = [ranks[a] - ranks[b] for a, b in combinations(values.columns, 2)]
    pairwise.insert(2, "rank_difference", differences)
    pairwise.insert(3, "nemenyi_different", np.abs(differences) > cd)
    needed = minimum_blocks(k, alpha)
    if n < FEW_BLOCKS:
        notes.append(f"only {n} blocks: these tests have little power (fewer than {FEW_BLOCKS}).")
    for test, blocks in needed.items():
        if n < blocks:
            notes.append(f"{test.replace('_', '-')} cannot reach {alpha:g} with {n} blocks; "
                         f"it needs {blocks}.")
    return RankAnalysis(
        population=population, n_blocks=n, n_methods=k, dropped_blocks=values.shape[0] - n,
        average_ranks=ranks, friedman_statistic=chi_square, friedman_p=friedman_p,
        iman_davenport_statistic=f, iman_davenport_p=f_p, alpha=alpha, nemenyi_q=q,
        nemenyi_cd=cd, pairwise=pairwise, minimum_blocks=needed, notes=notes)


def cleaning_gain(values: pd.DataFrame, baseline, better: str = "higher", *,
                  alpha: float = 0.05) -> pd.DataFrame:
    """"Does cleaning help", pooled over conditions: each method against the baseline.

    Parameters
    ----------
    values : pandas.DataFrame, shape (n_conditions, k_methods)
        Condition-level values (the mean over each condition's seeds) of each method.
    baseline : str or pandas.Series
        The no-cleaning value per condition: a column of ``values`` (then not a method), or a
        Series aligned on ``values.index``.
    better : {"higher", "lower", "closest to 0"}
    alpha : float, default 0.05

    Returns
    -------
    pandas.DataFrame
        One row per method: ``method``, ``n_conditions``, ``mean_gain`` (method - baseline,
        mean over conditions), ``wins``, ``ties``, ``losses`` (direction ``better``), the
        exact Wilcoxon signed-rank ``p_value`` over the conditions with its Hodges-Lehmann
        ``estimate`` and exact interval ``low``/``high``, ``p_holm`` (Holm over the methods),
        ``reachability``.

    Notes
    -----
    Demšar (2006) section 3.1.3: the Wilcoxon signed-rank test over data sets (here,
    conditions), via :func:`~runner.statistics.paired.paired_comparison`.
    """
    if isinstance(baseline, str):
        if baseline not in values.columns:
            raise ValueError(f"baseline {baseline!r} is not a column of values: {list(values.columns)!r}.")
        reference = values[baseline]
        values = values.drop(columns=[baseline])
    elif isinstance(baseline, pd.Series):
        reference = baseline.reindex(values.index)
    else:
        raise TypeError(f"baseline must be a column name or a pandas Series; got {type(baseline).__name__}.")
    if better not in BETTER:
        raise ValueError(f"better must be one of {list(BETTER)}; got {better!r}.")
    tested = values.abs() if better == "closest to 0" else values
    reference_tested = reference.abs() if better == "closest to 0" else reference
    rows = []
    for method in values.columns:
        both = pd.concat([tested[method], reference_tested], axis=1, keys=["m", "b"]).dropna()
        comparison = paired_comparison(both["m"].to_numpy(float), both["b"].to_numpy(float),
                                       "wilcoxon", alpha=alpha,
                                       better="lower" if better == "closest to 0" else better)
        gain = (values[method] - reference).dropna()
        rows.append({"method": method, "n_conditions": comparison.n_pairs,
                     "mean_gain": float(gain.mean()) if len(gain) else math.nan,
                     "wins": comparison.wins, "ties": comparison.ties, "losses": comparison.losses,
                     "estimate": comparison.estimate, "low": comparison.low, "high": comparison.high,
                     "p_value": comparison.p_value, "status": comparison.status,
                     "n_nonzero": comparison.n_nonzero})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["p_holm"] = holm(table["p_value"].to_numpy(float))
    table["reachability"] = [reachability(n, len(table), alpha, "wilcoxon").message
                             for n in table["n_nonzero"]]
    return table
