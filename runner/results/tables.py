"""The files of a sweep's results: results.*, comparisons.*, ranks.*, table.*, the figures.

results.md: per condition, one block of methods; bold per block only (the best and every method
not significantly different from it, runner.results.comparisons.bold_methods), never a timing
or a metric equal across the methods. Timings have their own table, with the cache state of
each group (a job that filled the cache is not compared with one that read it). A "Power"
section says what the design can detect, or that 0.05 is unreachable and how many seeds would
reach it.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from runner.core.io import atomic_write_csv, atomic_write_text
from runner.results.comparisons import (
    Family,
    bold_methods,
    compared_metrics,
    comparison_families,
    comparisons_frame,
    method_label,
)
from runner.results.comparisons_md import comparisons_markdown, test_sentence
from runner.results.formatting import condition_label, mean_pm, p_cell, realised_note, realised_rate
from runner.results.frames import (
    frame_groups,
    is_missing,
    rows_matching,
    same_value,
    short_names,
    value_text,
)
from runner.results.paper_table import paper_tables
from runner.results.rankings import (
    cd_stems,
    pooled_cleaning,
    rank_populations,
    ranks_frame,
    ranks_markdown,
    write_cd_diagrams,
)
from runner.results.settings import (
    STATUSES,
    Axes,
    SummarySettings,
    find_axes,
    resolve_compare_metric,
)
from runner.results.statistics import ok_jobs, results_frame
from runner.scoring.metrics import HIGHER, LOWER, ZERO, direction
from runner.statistics import TESTS

# The metrics results.md shows, in this order, when present (the rest are in results.csv).
SHOWN_METRICS = (
    "issue_f1", "issue_precision", "issue_recall", "issue_auprc", "issue_auroc",
    "issue_lift_at_num_errors", "issue_lift_at_100", "issue_precision_at_num_errors",
    "n_label_issues_minus_true", "test_accuracy_baseline", "test_accuracy_cleanlearning",
    "val_accuracy_cleanlearning", "estimated_noise_rate", "true_noise_rate",
    "noise_matrix_error", "label_health_score",
)
ARROWS = {HIGHER: " ↑", LOWER: " ↓", ZERO: " →0"}
CACHE = ("cache_hits", "cache_misses")


def write_results(out_dir: str | Path, summary: pd.DataFrame, settings: SummarySettings | None = None,
                  *, plot: bool = True) -> None:
    """Write results.*, comparisons.*, ranks.*, table.* and, with ``plot``, the figures.

    Without ``plot`` (the per-job rewrites of a running sweep) only the compared metrics are
    tested, so only they can be bold; the final summary tests every shown metric."""
    out_dir = Path(out_dir)
    settings = settings or SummarySettings()
    axes = find_axes(summary, settings)
    ok = ok_jobs(summary, axes) if "status" in summary else summary
    results = results_frame(summary, settings)
    metric, why = resolve_compare_metric(summary, settings)
    shown = [m for m in SHOWN_METRICS if m in summary and pd.to_numeric(summary[m], errors="coerce").notna().any()]
    compared = compared_metrics(summary, metric)
    # Bold on every shown metric needs its family: the final summary (with the figures) tests them
    # all; the per-job rewrites during a sweep only the compared metrics (the rest is not bold yet).
    families = comparison_families(summary, settings, list(dict.fromkeys([*compared, *(shown if plot else ())])),
                                   compared)
    detailed = [f for f in families if f.metric in compared]
    comparisons = comparisons_frame(summary, settings, detailed)
    populations = rank_populations(ok, axes, metric)
    pooled = pooled_cleaning(ok, axes) if axes.conditions else pd.DataFrame()
    stems = cd_stems(populations)
    bold = _bold_lookup(families)
    atomic_write_csv(out_dir / "results.csv", results)
    atomic_write_csv(out_dir / "comparisons.csv", comparisons)
    atomic_write_text(out_dir / "comparisons.md",
                      comparisons_markdown(comparisons, detailed, axes, settings, ok, metric, why))
    atomic_write_csv(out_dir / "ranks.csv", ranks_frame(populations, pooled))
    atomic_write_text(out_dir / "ranks.md", ranks_markdown(populations, pooled, metric, why, stems))
    atomic_write_text(out_dir / "results.md", results_markdown(
        summary, results, axes, metric, why, settings=settings, bold=bold, power=_power_lines(
            detailed, comparisons, settings, metric, summary, axes) + _rank_lines(populations)))
    tables = paper_tables(summary, axes, bold)
    if tables:
        atomic_write_text(out_dir / "table.md", "\n".join(t.markdown() for t in tables))
        atomic_write_text(out_dir / "table.tex", "\n".join(t.latex() for t in tables))
    else:  # no method axis (any more): no stale table from an earlier summary
        for name in ("table.md", "table.tex"):
            (out_dir / name).unlink(missing_ok=True)
    if plot:
        from runner.results.figures import plot_results, render_figure

        render_figure(functools.partial(plot_results, summary, axes, metric, bold=bold), out_dir / "results")
        write_cd_diagrams(out_dir, populations, stems)


def _bold_lookup(families: list[Family]):
    """(metric, condition) -> (methods to bold, why) from the families."""
    by_key = {(f.metric, tuple(f.condition)): f for f in families}

    def bold(metric: str, condition: tuple) -> tuple[set, str]:
        family = next((f for key, f in by_key.items() if key[0] == metric
                       and len(key[1]) == len(condition)
                       and all(same_value(a, b) for a, b in zip(key[1], condition, strict=True))), None)
        if family is None:
            return set(), "no paired comparison of the methods here."
        return bold_methods(family)

    return bold


def results_markdown(summary: pd.DataFrame, results: pd.DataFrame, axes: Axes, metric: str | None,
                     why: str, *, settings: SummarySettings | None = None, bold=None,
                     power: list[str] | None = None) -> str:
    settings = settings or SummarySettings()
    ok = ok_jobs(summary, axes)
    lines = [f"# Results: {len(summary)} job(s) in {len(results)} group(s)", ""]
    if axes.constant:
        lines += ["Constant: " + ", ".join(
            f"`{k}={value_text(v)}`" + (realised_note(ok, v) if k == "noise.rate" else "")
            for k, v in axes.constant.items()), ""]
    if "noise.rate" not in axes.groups and "noise.rate" not in axes.constant:
        realised = realised_rate(ok)
        if realised is not None:
            spread = "" if is_missing(realised[1]) else f" ± {realised[1]:.3f}"
            lines += [f"Realised noise rate (`true_noise_rate`, the fraction of training labels actually "
                      f"flipped, mean ± std over the finished jobs): {realised[0]:.3f}{spread}; it is below a "
                      "nominal `noise.rate` when flips land on the same class or are rounded per class "
                      "(runner.noise).", ""]
    lines += [_replicates_line(summary, axes), ""]
    shown = [m for m in SHOWN_METRICS if f"{m}_mean" in results and results[f"{m}_mean"].notna().any()]
    timings = [m.removesuffix("_mean") for m in results.columns
               if m.endswith("_seconds_mean") and results[m].notna().any()]
    lines += ["## Metrics", ""]
    if axes.methods and bold is not None:
        lines += ["Bold, per condition block only: the best method and every method whose Holm-adjusted "
                  "p against it is >= 0.05 (all method pairs of the block, comparisons.csv; "
                  f"{TESTS[settings.test][0]}). Never bold: timings, and metrics equal across the methods "
                  "(e.g. the baseline's accuracy, the true noise rate); a block without bold in a column "
                  "says why below it.", ""]
    else:
        lines += ["Nothing is bold: no method axis is swept, so no methods are compared.", ""]
    blocks = list(frame_groups(results, axes.conditions)) if axes.methods else [((), results)]
    for condition, block in blocks:
        if axes.methods and axes.conditions:
            jobs = ok[rows_matching(ok, axes.conditions, condition)]
            lines += [f"### {condition_label(axes.conditions, condition, jobs)}", ""]
        keys = list(axes.methods) if axes.methods else list(axes.groups)
        lines += _stat_table(block, keys, shown, condition, axes, bold)
        lines.append("")
    if timings:
        lines += ["## Timings (seconds)", "",
                  "Mean ± 95% half-width; never bold. `cache`: how the group's jobs got their "
                  "cross-validated pred_probs and baseline (miss: computed and stored; hit: read from the "
                  "cache), so a job that filled the cache is not compared with one that read it.", ""]
        lines += _timing_table(results, list(axes.groups), timings, ok, axes)
        lines.append("")
    lines += ["## Power", ""]
    for line in power or ["No paired comparison."]:
        lines += [line] if line.startswith("  - ") or not line else [line, ""]
    if lines[-1]:
        lines.append("")
    lines += ["## Comparisons", ""]
    if metric is None:
        lines.append(f"Methods are not compared: {why}.")
    elif not axes.methods:
        lines.append(f"No method axis is swept (methods would be compared on `{metric}`: {why}).")
    else:
        lines.append(f"Methods are compared on `{metric}` ({why}); every pair in comparisons.md, "
                     "ranks and the critical-difference diagram in ranks.md and cd.png.")
    return "\n".join(lines) + "\n"


def _stat_table(results, keys, metrics, condition, axes: Axes, bold) -> list[str]:
    names = short_names(keys)
    head = [names[k] for k in keys] + ["jobs"] + [m + ARROWS.get(direction(m), "") for m in metrics]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    marked, reasons = {}, []
    for metric in metrics:
        if bold is None or not axes.methods:
            marked[metric] = set()
            continue
        marked[metric], why = bold(metric, condition)
        if not marked[metric] and direction(metric) is not None:
            reasons.append((why, metric))
    for _, row in results.iterrows():
        label = method_label(axes.methods, tuple(row[a] for a in axes.methods)) if axes.methods else None
        cells = [value_text(row[k]) for k in keys] + [_jobs_cell(row)]
        for metric in metrics:
            cell = mean_pm(row[f"{metric}_mean"], row[f"{metric}_ci95_high"] - row[f"{metric}_mean"])
            cells.append(f"**{cell}**" if cell and label in marked[metric] else cell)
        lines.append("| " + " | ".join(cells) + " |")
    if reasons and axes.methods:
        grouped = {}
        for why, metric in reasons:
            grouped.setdefault(why.rstrip("."), []).append(f"`{metric}`")
        lines += ["", "Not bold: " + "; ".join(f"{', '.join(ms)}: {why}" for why, ms in grouped.items()) + "."]
    return lines


def _timing_table(results, keys, timings, ok: pd.DataFrame, axes: Axes) -> list[str]:
    names = short_names(keys)
    head = [names[k] for k in keys] + ["cache"] + timings
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, row in results.iterrows():
        jobs = ok[rows_matching(ok, keys, tuple(row[k] for k in keys))]
        cells = [value_text(row[k]) for k in keys] + [_cache_cell(jobs)]
        cells += [mean_pm(row[f"{m}_mean"], row[f"{m}_ci95_high"] - row[f"{m}_mean"]) for m in timings]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _cache_cell(jobs: pd.DataFrame) -> str:
    """'miss', 'hit', or '3 hit, 1 miss' (jobs that read / filled the cache); '' when unknown."""
    if not all(c in jobs for c in CACHE) or jobs.empty:
        return ""
    hits = pd.to_numeric(jobs[CACHE[0]], errors="coerce").fillna(0).to_numpy()
    misses = pd.to_numeric(jobs[CACHE[1]], errors="coerce").fillna(0).to_numpy()
    filled, read = int((misses > 0).sum()), int(((misses == 0) & (hits > 0)).sum())
    none = len(jobs) - filled - read
    parts = [f"{read} hit" if read else "", f"{filled} miss" if filled else "", f"{none} no cache" if none else ""]
    parts = [p for p in parts if p]
    if len(parts) == 1:
        return parts[0].split(" ", 1)[1]
    return ", ".join(parts)


def _power_lines(families: list[Family], comparisons: pd.DataFrame, settings: SummarySettings,
                 metric: str | None, summary: pd.DataFrame, axes: Axes) -> list[str]:
    """What the design can detect on the compare metric (or the cleaning gain), or that 0.05 is
    unreachable and how many seeds would reach it."""
    lines = [test_sentence(settings.test)]
    table, subject = None, ""
    mine = [f for f in families if f.metric == metric] or families
    if mine:
        table = pd.concat([f.table for f in mine], ignore_index=True)
        subject = f"the {len(mine[0].table)} method pairs of `{mine[0].metric}` per condition"
    elif not comparisons.empty:
        table = comparisons[comparisons["kind"] == "cleaning"]
        subject = "the gain of cleaning (test accuracy)"
    if table is None or table.empty:
        return [*lines, "No paired comparison: " + ("no method axis and no test accuracy." if metric else "no metric.")]
    n = int(table["n_pairs"].max())
    m = int(table["n_comparisons"].max())
    if not table["reachable"].any():
        needed = int(table["pairs_needed"].max())
        lines.append(f"0.05 is unreachable for {subject}: with {n} seed(s) no comparison can reach 0.05 after "
                     f"Holm over {m}; {needed} seeds with non-zero differences would "
                     f"(`seed=0,...,{needed - 1}`).")
        return lines
    detectable = pd.to_numeric(table["detectable_difference"], errors="coerce").dropna()
    if detectable.empty:
        lines.append(f"With {n} seeds 0.05 is reachable after Holm over {m} for {subject}; the observed "
                     "differences have no spread, so no detectable difference is estimated.")
    else:
        lines.append(f"Smallest detectable difference for {subject} with {n} seeds (two-sided, power 0.8, at "
                     f"each comparison's Holm level, given the observed sd): {detectable.min():.3g} to "
                     f"{detectable.max():.3g} (median {detectable.median():.3g}). A non-significant pair with a "
                     "smaller true difference is not evidence of equality.")
    unreachable = table[~table["reachable"].astype(bool)]
    if len(unreachable):
        lines.append(f"{len(unreachable)} comparison(s) cannot reach 0.05 (constant differences: the sign test "
                     f"needs {int(unreachable['pairs_needed'].max())} seeds).")
    return lines


def _rank_lines(populations) -> list[str]:
    """One line per rank population (ranks.md has the tables): its blocks, Friedman, the leader,
    and what cannot reach 0.05 with so few blocks."""
    lines = []
    for population in populations:
        result = population.analysis
        leader = result.average_ranks.sort_values(kind="stable")
        friedman = "" if is_missing(result.friedman_p) else f"Friedman p = {p_cell(result.friedman_p)}; "
        lines.append(f"Ranks of `{population.metric}` over {population.name} ({result.n_blocks} blocks): "
                     f"{friedman}best average rank `{leader.index[0]}` ({leader.iloc[0]:.2f}); "
                     f"Nemenyi CD {result.nemenyi_cd:.2f} (ranks.md).")
        lines += [f"  - {note}" for note in result.notes if "cannot reach" in note]
    return lines


def _replicates_line(summary: pd.DataFrame, axes: Axes) -> str:
    ok = ok_jobs(summary, axes)
    counts = [len(group) for _, group in frame_groups(ok, axes.groups)] or [0]
    n_text = str(counts[0]) if min(counts) == max(counts) else f"{min(counts)} to {max(counts)}"
    keys = ", ".join(f"`{k}`" for k in axes.replicate) or "none (one job per group)"
    return (f"Replicates: {keys}, {n_text} finished per group. A cell is mean ± half-width of the 95% "
            "Student t interval over the replicates (mean ± t(0.975, n-1) · std / √n); with one "
            "replicate only the mean is shown (↑ higher is better, ↓ lower, →0 closest to 0). Failed, "
            "interrupted and incomplete jobs are counted in `jobs`, never averaged.")


def _jobs_cell(row) -> str:
    counts = {state: int(row[f"n_{state}"]) for state in STATUSES}
    total = sum(counts.values())
    if counts["ok"] == total:
        return str(total)
    return ", ".join(f"{n} {state}" for state, n in counts.items() if n)


__all__ = ["SHOWN_METRICS", "results_markdown", "write_results"]
