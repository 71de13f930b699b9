"""comparisons.csv: every pair of methods per (metric, condition), and the gain of cleaning.

The family of a (metric, condition) is every pair of the k methods swept there (``k (k - 1) / 2``
comparisons), each a paired test over the replicates (seeds) with the interval of the same test
(``summary.test``: t, corrected_t or wilcoxon, runner.statistics.paired); Holm runs within the
family. The gain of cleaning (test accuracy of CleanLearning - the baseline, per method) is
tested the same way, Holm over the methods of one condition. Nothing is compared only against a
"best" picked after the fact: the "versus the best" view of comparisons.md is a reading aid
computed from these families (runner.results.comparisons_md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from runner.results.frames import frame_groups, short_names, value_text
from runner.results.settings import ACCURACY, Axes, SummarySettings, corrected_t_problems, find_axes
from runner.results.statistics import ok_jobs
from runner.scoring.metrics import direction
from runner.statistics import (
    best_and_indistinguishable,
    holm,
    holm_levels,
    paired_comparison,
    pairwise_comparisons,
    reachability,
    smallest_detectable_difference,
)
from runner.statistics.ranks import oriented

__all__ = ["Family", "comparison_families", "comparisons_frame", "method_label", "method_values",
           "family_test"]

ALPHA = 0.05
# The columns of comparisons.csv after the condition axes.
COMPARISON_COLUMNS = (
    "method_a", "method_b", "test", "status", "n_pairs", "n_nonzero", "estimate", "low", "high",
    "p_value", "p_holm", "n_comparisons", "holm_level", "detectable_difference", "reachable",
    "pairs_needed", "wilcoxon_p", "wins", "ties", "losses", "prob_improvement",
    "prob_improvement_low", "prob_improvement_high", "standardised_effect", "mean_difference",
    "sd_difference", "note",
)


@dataclass
class Family:
    """One (metric, condition): the replicates x methods values and their all-pairs comparisons."""

    metric: str
    condition: tuple
    values: pd.DataFrame  # replicates x methods (labels), NaN where a run is missing
    table: pd.DataFrame  # runner.statistics.pairwise_comparisons
    test: str

    @property
    def means(self) -> pd.Series:
        return self.values.mean()


def method_label(methods: Sequence[str], key: tuple) -> str:
    """How a method (a combination of the method axes' values) is written: ``both``, or
    ``classifier=logreg, filter_by=both`` with several method axes."""
    names = short_names(list(methods))
    if len(methods) == 1:
        return value_text(key[0])
    return ", ".join(f"{names[a]}={value_text(v)}" for a, v in zip(methods, key, strict=True))


def replicate_key(jobs: pd.DataFrame, axes: Axes) -> list:
    """The pairing key of each job: its replicate values (one shared key without a replicate axis:
    every job then ran with the same, default, seed)."""
    if not axes.replicate:
        return [0] * len(jobs)
    if len(axes.replicate) == 1:
        return jobs[axes.replicate[0]].tolist()
    return list(zip(*(jobs[k].tolist() for k in axes.replicate), strict=True))


def method_values(jobs: pd.DataFrame, axes: Axes, metric: str) -> pd.DataFrame:
    """replicates x methods matrix of ``metric`` in one condition (methods in job order)."""
    columns = {}
    for key, group in frame_groups(jobs, axes.methods):
        values = pd.to_numeric(group[metric], errors="coerce").to_numpy(float)
        columns[method_label(axes.methods, key)] = pd.Series(values, index=replicate_key(group, axes))
    return pd.DataFrame(columns)


def family_test(metric: str, test: str) -> str:
    """The test a metric's family uses: ``summary.test``, except that corrected_t applies only to
    test_* metrics (the others then take the paired t-test; comparisons.md says so)."""
    return "t" if test == "corrected_t" and corrected_t_problems(metric) else test


def split_sizes(jobs: pd.DataFrame, metric: str) -> tuple[float, float]:
    """(n_train, n_test) of one replicate, for corrected_t: the condition's mean sizes."""
    if "n_test_examples" not in jobs or pd.to_numeric(jobs["n_test_examples"], errors="coerce").fillna(0).le(0).all():
        raise ValueError(f"summary.test=corrected_t needs a test part re-split per seed, and these jobs have "
                         f"none (no n_test_examples): {metric} cannot use it; use summary.test=t or wilcoxon")
    return (float(pd.to_numeric(jobs["n_examples"], errors="coerce").mean()),
            float(pd.to_numeric(jobs["n_test_examples"], errors="coerce").mean()))


def comparison_families(summary: pd.DataFrame, settings: SummarySettings, metrics: Sequence[str],
                        detailed: Sequence[str] = ()) -> list[Family]:
    """The all-pairs family of each metric (with a direction) in each condition with 2+ methods.

    A metric equal across the methods in every replicate gets no tests (an empty table), unless
    it is ``detailed`` (its families are written to comparisons.*, every pair "identical")."""
    axes = find_axes(summary, settings)
    if not axes.methods:
        return []
    ok = ok_jobs(summary, axes)
    families = []
    for metric in metrics:
        better = direction(metric)
        if better is None or metric not in ok or ok[metric].isna().all():
            continue
        test = family_test(metric, settings.test)
        for condition, jobs in frame_groups(ok, axes.conditions):
            values = method_values(jobs[jobs[metric].notna()], axes, metric)
            if values.shape[1] < 2:
                continue
            if metric not in detailed and is_method_independent(values):  # nothing to test or bold
                families.append(Family(metric, condition, values, pd.DataFrame(), test))
                continue
            sizes = split_sizes(jobs, metric) if test == "corrected_t" else (None, None)
            table = pairwise_comparisons(values, test, better=better, alpha=ALPHA,
                                         n_train=sizes[0], n_test=sizes[1])
            families.append(Family(metric, condition, values, table, test))
    return families


def cleaning_families(summary: pd.DataFrame, settings: SummarySettings) -> list[pd.DataFrame]:
    """Per condition: each method's test accuracy after cleaning against the baseline's, the same
    test as the pairs, Holm over the methods of the condition."""
    axes = find_axes(summary, settings)
    ok = ok_jobs(summary, axes)
    if not all(m in ok and ok[m].notna().any() for m in ACCURACY):
        return []
    test = settings.test
    tables = []
    for condition, jobs in frame_groups(ok, axes.conditions):
        jobs = jobs[jobs[ACCURACY[0]].notna() & jobs[ACCURACY[1]].notna()]
        if jobs.empty:
            continue
        sizes = split_sizes(jobs, ACCURACY[1]) if test == "corrected_t" else (None, None)
        rows = []
        for key, group in frame_groups(jobs, axes.methods):
            comparison = paired_comparison(pd.to_numeric(group[ACCURACY[1]]).to_numpy(float),
                                           pd.to_numeric(group[ACCURACY[0]]).to_numpy(float), test,
                                           n_train=sizes[0], n_test=sizes[1], alpha=ALPHA)
            rows.append({"method_a": method_label(axes.methods, key) if axes.methods else "CleanLearning",
                         "method_b": "baseline", **comparison.as_dict()})
        table = pd.DataFrame(rows)
        _holm_family(table, test, sizes)
        for axis, value in zip(axes.conditions, condition, strict=True):
            table[axis] = value
        table["kind"], table["metric"] = "cleaning", "test_accuracy"
        tables.append(table)
    return tables


def _holm_family(table: pd.DataFrame, test: str, sizes: tuple) -> None:
    """Holm, levels, detectable differences and reachability of one family, in place (as
    runner.statistics.pairwise_comparisons does for the method pairs)."""
    m = len(table)
    p = table["p_value"].to_numpy(float)
    table["n_comparisons"] = m
    table["p_holm"] = holm(p)
    levels = holm_levels(p, ALPHA)
    table["holm_level"] = np.where(np.isnan(levels), ALPHA / m, levels)
    table["detectable_difference"] = [
        smallest_detectable_difference(row.sd_difference, row.n_pairs, row.holm_level, 0.8, test,
                                       n_train=sizes[0], n_test=sizes[1]) for row in table.itertuples()]
    reach = [reachability(row.n_nonzero, m, ALPHA, "wilcoxon" if test == "wilcoxon"
                          else ("sign" if row.status == "constant" else test)) for row in table.itertuples()]
    table["reachable"] = [r.reachable for r in reach]
    table["pairs_needed"] = [r.needed for r in reach]


def compared_metrics(summary: pd.DataFrame, metric: str | None) -> list[str]:
    """The metrics whose families comparisons.* details: the compare metric, then the test
    accuracy after cleaning."""
    names = [m for m in dict.fromkeys([metric, ACCURACY[1]]) if m is not None]
    return [m for m in names if m in summary and pd.to_numeric(summary[m], errors="coerce").notna().any()]


def comparisons_frame(summary: pd.DataFrame, settings: SummarySettings, families: list[Family]) -> pd.DataFrame:
    """comparisons.csv: kind ("pair" or "cleaning"), metric, the condition axes, then
    :data:`COMPARISON_COLUMNS`. ``families``: :func:`comparison_families` of the compared metrics."""
    axes = find_axes(summary, settings)
    columns = ["kind", "metric", *axes.conditions, *COMPARISON_COLUMNS]
    tables = []
    for family in families:
        table = family.table.copy()
        table["kind"], table["metric"] = "pair", family.metric
        for axis, value in zip(axes.conditions, family.condition, strict=True):
            table[axis] = value
        tables.append(table)
    tables += cleaning_families(summary, settings)
    tables = [t for t in tables if not t.empty]
    if not tables:
        return pd.DataFrame(columns=columns)
    frame = pd.concat(tables, ignore_index=True).reindex(columns=columns)
    return frame


def bold_methods(family: Family) -> tuple[set, str]:
    """The methods to bold in one (metric, condition), and why (runner.statistics.multiple):
    the best mean and every method whose Holm-adjusted p against it is >= 0.05; none when the
    metric does not depend on the method, with one replicate, or when 0.05 is unreachable."""
    if is_method_independent(family.values):
        return set(), "the metric is equal across the methods: it does not depend on the method."
    return best_and_indistinguishable(family.means, family.table, better=direction(family.metric), alpha=ALPHA)


def best_method(family: Family) -> str:
    """The method with the best mean in one (metric, condition) (first on ties)."""
    return oriented(family.means.to_frame().T, direction(family.metric)).iloc[0].idxmax()


def is_method_independent(values: pd.DataFrame) -> bool:
    """The metric takes the same value for every method in every replicate."""
    rows = values.dropna()
    return not len(rows) or bool((rows.nunique(axis=1) <= 1).all())
