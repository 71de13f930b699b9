"""Statistics of a sweep's results: pure functions over numpy arrays and pandas frames.

No Hydra, no configs, no other runner module; the results writers call these. Design basis:
the "Statistics" section of the research-methods reference (Demšar 2006; Benavoli et al. 2016;
Nadeau & Bengio 2003). The rules they keep:

- an interval and its p-value come from the same test, so the unadjusted interval excludes 0
  exactly when the unadjusted p < alpha (:func:`paired_comparison`);
- the family for Holm is every method pair of one (metric, condition)
  (:func:`pairwise_comparisons`);
- a result that cannot reach significance says so, and how many pairs would
  (:func:`reachability`, :func:`pairs_needed`); a non-significant one says what the design
  could detect (:func:`smallest_detectable_difference`);
- ranks across methods name their population and their block count (:func:`rank_analysis`).

Modules: ``signed_rank`` (exact Wilcoxon, Hodges-Lehmann, exact interval), ``paired`` (one pair
of methods), ``multiple`` (Holm families, bold sets), ``power`` (detectable differences,
reachability), ``ranks`` (Friedman, Iman-Davenport, Nemenyi, Wilcoxon-Holm, cleaning gain),
``cd_diagram`` (the figure and a byte-stable PDF/PNG writer; matplotlib is imported on use).
"""

from .multiple import best_and_indistinguishable, holm, holm_levels, pairwise_comparisons
from .paired import (
    BETTER,
    TESTS,
    PairedComparison,
    paired_comparison,
    probability_of_improvement,
    sign_test_p_value,
    wilson_interval,
)
from .power import (
    Reachability,
    minimum_p_value,
    noncentrality_for_power,
    pairs_needed,
    reachability,
    smallest_detectable_difference,
)
from .ranks import (
    RankAnalysis,
    average_ranks,
    cleaning_gain,
    cliques,
    iman_davenport,
    minimum_blocks,
    nemenyi_cd,
    nemenyi_q,
    rank_analysis,
)
from .signed_rank import (
    SignedRankResult,
    hodges_lehmann,
    signed_rank_null_distribution,
    signed_rank_p_value,
    signed_rank_test,
)


def cd_diagram(*args, **kwargs):
    """Draw a critical-difference diagram: see :func:`runner.statistics.cd_diagram.cd_diagram`."""
    from .cd_diagram import cd_diagram as draw

    return draw(*args, **kwargs)


def save_figure(fig, stem):
    """Write stem.pdf and stem.png byte-stably: see :func:`runner.statistics.cd_diagram.save_figure`."""
    from .cd_diagram import save_figure as save

    return save(fig, stem)


__all__ = [
    "BETTER", "TESTS", "PairedComparison", "RankAnalysis", "Reachability", "SignedRankResult",
    "average_ranks", "best_and_indistinguishable", "cd_diagram", "cleaning_gain", "cliques",
    "hodges_lehmann", "holm", "holm_levels", "iman_davenport", "minimum_blocks",
    "minimum_p_value", "nemenyi_cd", "nemenyi_q", "noncentrality_for_power",
    "paired_comparison", "pairs_needed", "pairwise_comparisons", "probability_of_improvement",
    "rank_analysis", "reachability", "save_figure", "sign_test_p_value",
    "signed_rank_null_distribution", "signed_rank_p_value", "signed_rank_test",
    "smallest_detectable_difference", "wilson_interval",
]
