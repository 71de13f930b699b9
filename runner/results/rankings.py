"""ranks.csv / ranks.md and the critical-difference diagrams cd*.pdf/png of a sweep.

With 3 or more methods (Demšar, JMLR 2006; Benavoli et al., JMLR 2016), per compare metric:

- within each condition the blocks are the replicates (seeds);
- across conditions (when there are 2 or more) the blocks are the conditions, each the mean over
  its replicates.

Each population gets the methods' average ranks, Friedman's test and its Iman-Davenport F,
the Nemenyi critical difference and pairwise exact Wilcoxon tests with Holm over the blocks
(runner.statistics.ranks.rank_analysis), and a CD diagram. "Does cleaning help", pooled over
conditions: each method's condition-level gain in test accuracy over the baseline, wins / ties
/ losses over conditions and an exact Wilcoxon test over them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from runner.results.comparisons import ALPHA, method_values
from runner.results.formatting import condition_label, interval_cell, p_cell
from runner.results.frames import frame_groups
from runner.results.settings import ACCURACY, Axes
from runner.scoring.metrics import direction
from runner.statistics import RankAnalysis, cleaning_gain, rank_analysis

__all__ = ["Population", "cd_stems", "pooled_cleaning", "rank_populations", "ranks_frame", "ranks_markdown",
           "write_cd_diagrams"]

ACROSS = "conditions (mean over seeds)"


@dataclass
class Population:
    metric: str
    name: str  # "seeds of noise.rate 0.2" or ACROSS
    condition: tuple | None  # None: across conditions
    analysis: RankAnalysis


def rank_populations(ok: pd.DataFrame, axes: Axes, metric: str | None) -> list[Population]:
    """The rank analyses of ``metric``: across conditions first (when 2+), then each condition."""
    if metric is None or not axes.methods or metric not in ok or ok[metric].isna().all():
        return []
    better = direction(metric)
    if better is None:
        return []
    within, means = [], {}
    for condition, jobs in frame_groups(ok, axes.conditions):
        values = method_values(jobs, axes, metric)
        if values.shape[1] < 3:
            continue
        label = condition_label(axes.conditions, condition, jobs)
        name = f"{_replicates(axes)} of {label}" if axes.conditions else _replicates(axes)
        if len(values) >= 2:
            within.append(Population(metric, name, condition,
                                     rank_analysis(values, better, population=name, alpha=ALPHA)))
        means[label] = values.mean()
    populations = []
    if len(means) >= 2:
        blocks = pd.DataFrame(means).T
        populations.append(Population(metric, ACROSS, None,
                                      rank_analysis(blocks, better, population=ACROSS, alpha=ALPHA)))
    return populations + within


def _replicates(axes: Axes) -> str:
    return " x ".join(f"{k}s" if k == "seed" else k for k in axes.replicate) or "replicates"


def pooled_cleaning(ok: pd.DataFrame, axes: Axes) -> pd.DataFrame:
    """Per method: the condition-level mean gains in test accuracy over the baseline, pooled."""
    if not all(m in ok and ok[m].notna().any() for m in ACCURACY) or not axes.methods:
        return pd.DataFrame()
    cleaned, baseline = {}, {}
    for condition, jobs in frame_groups(ok, axes.conditions):
        label = condition_label(axes.conditions, condition, jobs)
        cleaned[label] = method_values(jobs, axes, ACCURACY[1]).mean()
        baseline[label] = pd.to_numeric(jobs[ACCURACY[0]], errors="coerce").mean()
    values = pd.DataFrame(cleaned).T
    return cleaning_gain(values, pd.Series(baseline), "higher", alpha=ALPHA)


RANK_COLUMNS = ("kind", "metric", "population", "n_blocks", "method", "method_b", "average_rank",
                "rank_difference", "nemenyi_cd", "nemenyi_different", "p_value", "p_holm", "friedman_statistic",
                "friedman_p", "iman_davenport_statistic", "iman_davenport_p")


def ranks_frame(populations: list[Population], pooled: pd.DataFrame) -> pd.DataFrame:
    """ranks.csv: ``kind`` "rank" (one row per method and population), "pair" (pairwise
    Wilcoxon-Holm and the Nemenyi verdict over the blocks), "cleaning" (pooled over conditions)."""
    rows = []
    for population in populations:
        result = population.analysis
        common = {"metric": population.metric, "population": population.name, "n_blocks": result.n_blocks,
                  "nemenyi_cd": result.nemenyi_cd, "friedman_statistic": result.friedman_statistic,
                  "friedman_p": result.friedman_p, "iman_davenport_statistic": result.iman_davenport_statistic,
                  "iman_davenport_p": result.iman_davenport_p}
        for method, rank in result.average_ranks.items():
            rows.append({"kind": "rank", **common, "method": method, "average_rank": rank})
        for pair in result.pairwise.itertuples():
            rows.append({"kind": "pair", **common, "method": pair.method_a, "method_b": pair.method_b,
                         "rank_difference": pair.rank_difference, "nemenyi_different": pair.nemenyi_different,
                         "p_value": pair.p_value, "p_holm": pair.p_holm})
    for row in pooled.itertuples() if not pooled.empty else ():
        rows.append({"kind": "cleaning", "metric": "test_accuracy", "population": ACROSS,
                     "n_blocks": row.n_conditions, "method": row.method, "method_b": "baseline",
                     "rank_difference": None, "p_value": row.p_value, "p_holm": row.p_holm})
    return pd.DataFrame(rows, columns=list(RANK_COLUMNS))


def ranks_markdown(populations: list[Population], pooled: pd.DataFrame, metric: str | None, why: str,
                   stems: dict[str, str]) -> str:
    lines = ["# Ranks", "",
             "Methods ranked within each block (1 = best; ties share their average rank). Blocks are the "
             "seeds within one condition, or the conditions (each the mean over its seeds) across them. "
             "Friedman's test (scipy.stats.friedmanchisquare) and its Iman-Davenport F ask whether any "
             "method ranks differently; pairwise exact Wilcoxon signed-rank tests over the blocks with Holm "
             "over all pairs (Benavoli et al. 2016) and the Nemenyi critical difference of average ranks "
             "(Demšar 2006) say which.", ""]
    if not populations:
        lines += [f"No rank analysis: it needs 3 or more methods and 2 or more blocks (compare metric: "
                  f"{metric or why}).", ""]
    for population in populations:
        lines += _population_lines(population, stems.get(population.name))
    if not pooled.empty:
        lines += ["## Does cleaning help? Test accuracy gain over the baseline, pooled over conditions", "",
                  "Per method: the mean over conditions of the condition-level gain (mean over seeds of "
                  "CleanLearning - baseline), wins/ties/losses over conditions, and the exact Wilcoxon "
                  "signed-rank test over the conditions (Hodges-Lehmann estimate, exact 95% interval, "
                  "unadjusted; p_holm over the methods).", "",
                  "| method | conditions | mean gain | W/T/L | estimate [95% CI] | p | p_holm |",
                  "|---|---|---|---|---|---|---|"]
        for row in pooled.itertuples():
            lines.append(f"| {row.method} | {row.n_conditions} | {row.mean_gain:+.3f} | "
                         f"{row.wins}/{row.ties}/{row.losses} | {interval_cell(row.estimate, row.low, row.high)} | "
                         f"{p_cell(row.p_value)} | {p_cell(row.p_holm)} |")
        unreachable = [r for r in pooled["reachability"] if "cannot" in r]
        if unreachable:
            lines += ["", f"0.05 is unreachable pooled over these conditions: {unreachable[0]}"]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _population_lines(population: Population, stem: str | None) -> list[str]:
    result = population.analysis
    lines = [f"## `{population.metric}` over {population.name}", "",
             f"Population: {population.name}; {result.n_blocks} blocks, {result.n_methods} methods."
             + (f" CD diagram: {stem}.pdf / {stem}.png." if stem else ""), ""]
    friedman = (f"Friedman chi2 = {result.friedman_statistic:.2f}, p = {p_cell(result.friedman_p)}; "
                f"Iman-Davenport F = {result.iman_davenport_statistic:.2f}, p = {p_cell(result.iman_davenport_p)}; "
                if result.friedman_statistic == result.friedman_statistic else "")
    lines += [f"{friedman}Nemenyi CD = {result.nemenyi_cd:.2f} (alpha {ALPHA:g}).", ""]
    for note in result.notes:
        lines.append(f"- {note}")
    if result.notes:
        lines.append("")
    lines += ["| method | average rank |", "|---|---|"]
    for method, rank in result.average_ranks.sort_values(kind="stable").items():
        lines.append(f"| {method} | {rank:.2f} |")
    lines += ["", "Pairwise over the blocks (rank difference A - B; Wilcoxon-Holm p; Nemenyi verdict):", "",
              "| A | B | rank diff | W p | p_holm | Nemenyi |", "|---|---|---|---|---|---|"]
    for pair in result.pairwise.itertuples():
        lines.append(f"| {pair.method_a} | {pair.method_b} | {pair.rank_difference:+.2f} | {p_cell(pair.p_value)} | "
                     f"{p_cell(pair.p_holm)} | {'different' if pair.nemenyi_different else ''} |")
    lines.append("")
    return lines


def cd_stems(populations: list[Population]) -> dict[str, str]:
    """File stem of each population's CD diagram: ``cd`` for the first (across conditions when
    there are several, else the one condition), ``cd_<condition>`` for the others."""
    stems = {}
    for index, population in enumerate(populations):
        if index == 0:
            stems[population.name] = "cd"
        else:
            slug = re.sub(r"[^A-Za-z0-9.]+", "_", population.name.split(" of ", 1)[-1]).strip("_")
            stems[population.name] = f"cd_{slug}"[:80]
    return stems


def write_cd_diagrams(out_dir: Path, populations: list[Population], stems: dict[str, str]) -> list[Path]:
    """cd*.pdf / cd*.png, one per population; stale ones removed."""
    from runner.results.figures import render_figure
    from runner.statistics.cd_diagram import cd_diagram

    written = []
    for population in populations:
        result = population.analysis
        if result.average_ranks.isna().any():
            continue
        bars = result.cliques("wilcoxon_holm")
        title = (f"{population.metric} over {population.name} ({result.n_blocks} blocks); bars: not "
                 f"different by Wilcoxon-Holm (alpha {ALPHA:g})")
        written += list(render_figure(
            functools.partial(cd_diagram, result.average_ranks, result.nemenyi_cd, bars, title=title),
            out_dir / stems[population.name]))
    keep = {path.name for path in written}
    for stale in [*out_dir.glob("cd.p*"), *out_dir.glob("cd_*.p*")]:
        if stale.name not in keep and stale.suffix in (".pdf", ".png"):
            stale.unlink(missing_ok=True)
    return written
