"""comparisons.md: the families of comparisons.csv as tables a reader can check line by line."""

from __future__ import annotations

import pandas as pd

from runner.results.comparisons import ALPHA, Family, best_method, bold_methods
from runner.results.formatting import condition_label, interval_cell, p_cell
from runner.results.frames import is_missing, rows_matching
from runner.results.settings import Axes, SummarySettings
from runner.statistics import TESTS

__all__ = ["comparisons_markdown", "test_sentence"]


def test_sentence(test: str) -> str:
    """The test and its assumption, in one sentence."""
    name, assumption = TESTS[test]
    return f"Test: {name} (`summary.test={test}`); it assumes {assumption}."


def comparisons_markdown(comparisons: pd.DataFrame, families: list[Family], axes: Axes,
                         settings: SummarySettings, ok: pd.DataFrame, metric: str | None, why: str) -> str:
    replicate = ", ".join(f"`{k}`" for k in axes.replicate) or "none"
    lines = ["# Paired comparisons", "", test_sentence(settings.test), "",
             f"Pairs share the replicate key ({replicate}): they saw the same split, noise and folds. "
             "`diff` = estimate of A - B (mean difference; Hodges-Lehmann for wilcoxon) with the "
             "**unadjusted** 95% interval of the same test, so it excludes 0 exactly when the unadjusted "
             "`p` < 0.05. `p_holm`: Holm-adjusted within the family, every pair of methods of one metric "
             "and condition (k(k-1)/2 comparisons). `identical`: every difference is 0 (no test); "
             "constant non-zero differences get the exact sign-test p = 2/2^n. `W p`: the exact "
             "Wilcoxon signed-rank p, where 6 or more differences are non-zero. `P(A>B)`: share of "
             "pairs where A is better (ties 1/2) [95% Wilson interval]. `d`: mean / sd of the "
             "differences. `detectable`: the smallest difference this design detects with power 0.8 "
             "at the comparison's Holm level, given the observed sd. W/T/L: wins, ties, losses of A.", ""]
    if metric is None:
        lines += [f"Methods are not compared: {why}.", ""]
    elif not axes.methods:
        lines += [f"No method axis is swept (methods would be compared on `{metric}`: {why}).", ""]
    for family in families:
        lines += _family_lines(family, axes, ok)
    cleaning = comparisons[comparisons["kind"] == "cleaning"] if "kind" in comparisons else comparisons.iloc[:0]
    if not cleaning.empty:
        lines += ["## Gain of cleaning: test accuracy of CleanLearning - baseline", "",
                  "Per condition, each method's test accuracy after cleaning against the baseline's "
                  "(the classifier trained on every noisy label), with the same test; Holm over the "
                  "methods of the condition.", ""]
        for condition, table in _by_condition(cleaning, axes):
            lines += [f"### {condition_label(axes.conditions, condition, _jobs(ok, axes, condition))}", ""]
            lines += _table(table, first="method")
    return "\n".join(lines).rstrip("\n") + "\n"


def _family_lines(family: Family, axes: Axes, ok: pd.DataFrame) -> list[str]:
    jobs = _jobs(ok, axes, family.condition)
    label = condition_label(axes.conditions, family.condition, jobs)
    table = family.table
    lines = [f"## `{family.metric}`, {label}", ""]
    lines.append(f"{len(family.values)} replicates, {family.values.shape[1]} methods, "
                 f"{len(table)} pairs; {TESTS[family.test][0]}.")
    if not table.empty and not table["reachable"].any():
        lines.append(f"0.05 is unreachable here: {table['reachability'].iloc[0]}")
    lines.append("")
    lines += _table(table, first="A")
    # the reading aid: the best mean against the others, from the same family
    marked, why = bold_methods(family)
    if marked:
        best = best_method(family)
        others = sorted(marked - {best})
        lines += [f"Versus the best (a reading aid, not a separate test): the best mean is `{best}`; "
                  + (f"not significantly different from it (Holm p >= {ALPHA:g}): "
                     + ", ".join(f"`{m}`" for m in others) if others else "every other method is worse (Holm p < 0.05)")
                  + ".", ""]
    else:
        lines += [f"Versus the best: nothing marked ({why})", ""]
    return lines


def _table(table: pd.DataFrame, first: str) -> list[str]:
    head = [first] + (["B"] if first == "A" else []) + ["n", "W/T/L", "diff [95% CI, unadjusted]", "p", "p_holm",
                                                        "W p", "P(A>B)", "d", "detectable"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in table.itertuples():
        cells = [str(row.method_a)] + ([str(row.method_b)] if first == "A" else [])
        if row.status == "identical":
            diff = "identical"
        elif row.status == "too_few":
            diff = "too few pairs"
        else:
            diff = interval_cell(row.estimate, row.low, row.high)
        prob = "" if is_missing(row.prob_improvement) else (
            f"{row.prob_improvement:.2f} [{row.prob_improvement_low:.2f}, {row.prob_improvement_high:.2f}]")
        effect = "" if is_missing(row.standardised_effect) else f"{row.standardised_effect:+.2f}"
        detectable = "" if is_missing(row.detectable_difference) else f"{row.detectable_difference:.3f}"
        cells += [str(row.n_pairs), f"{row.wins}/{row.ties}/{row.losses}", diff, p_cell(row.p_value),
                  p_cell(row.p_holm), p_cell(row.wilcoxon_p), prob, effect, detectable]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def _jobs(ok: pd.DataFrame, axes: Axes, condition: tuple) -> pd.DataFrame:
    return ok[rows_matching(ok, axes.conditions, condition)]


def _by_condition(frame: pd.DataFrame, axes: Axes):
    if not axes.conditions:
        yield (), frame
        return
    for key, group in frame.groupby(list(axes.conditions), sort=False, dropna=False):
        yield (key if isinstance(key, tuple) else (key,)), group
