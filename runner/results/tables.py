"""The files of a sweep's results: results.*, comparisons.*, the paper table table.md/.tex."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from runner.core.io import atomic_savefig, atomic_write_csv, atomic_write_text
from runner.results.figures import plot_results
from runner.results.frames import (
    frame_groups,
    group_codes,
    is_missing,
    same_value,
    short_names,
    value_text,
)
from runner.results.settings import (
    ACCURACY,
    STATUSES,
    Axes,
    SummarySettings,
    find_axes,
    resolve_compare_metric,
)
from runner.results.statistics import MIN_NONZERO_PAIRS, comparisons_frame, ok_jobs, results_frame
from runner.scoring.metrics import HIGHER, LOWER, ZERO, best_mask, direction

# The metrics results.md shows, in this order, when present (the rest are in results.csv).
SHOWN_METRICS = (
    "issue_f1", "issue_precision", "issue_recall", "issue_auprc", "issue_auroc",
    "issue_lift_at_num_errors", "issue_lift_at_100", "issue_precision_at_num_errors",
    "n_label_issues_minus_true", "test_accuracy_baseline", "test_accuracy_cleanlearning",
    "val_accuracy_cleanlearning", "estimated_noise_rate", "true_noise_rate",
    "noise_matrix_error", "label_health_score",
)
ARROWS = {HIGHER: " ↑", LOWER: " ↓", ZERO: " →0"}

# ---------------------------------------------------------------------------------------
# writing


def write_results(out_dir: str | Path, summary: pd.DataFrame, settings: SummarySettings | None = None,
                  *, plot: bool = True) -> None:
    """Write results.*, comparisons.*, table.* (with a method axis) and, with ``plot``, results.png."""
    out_dir = Path(out_dir)
    settings = settings or SummarySettings()
    axes = find_axes(summary, settings)
    results = results_frame(summary, settings)
    comparisons = comparisons_frame(summary, settings)
    metric, why = resolve_compare_metric(summary, settings)
    atomic_write_csv(out_dir / "results.csv", results)
    atomic_write_csv(out_dir / "comparisons.csv", comparisons)
    atomic_write_text(out_dir / "results.md", results_markdown(summary, results, axes, metric, why))
    atomic_write_text(out_dir / "comparisons.md", comparisons_markdown(comparisons, axes, metric, why))
    tables = paper_tables(summary, axes)
    if tables:
        atomic_write_text(out_dir / "table.md", "\n".join(t.markdown() for t in tables))
        atomic_write_text(out_dir / "table.tex", "\n".join(t.latex() for t in tables))
    else:  # no method axis (any more): no stale table from an earlier summary
        for name in ("table.md", "table.tex"):
            (out_dir / name).unlink(missing_ok=True)
    if plot:
        atomic_savefig(plot_results(summary, axes, metric), out_dir / "results.png", dpi=100)


def results_markdown(summary: pd.DataFrame, results: pd.DataFrame, axes: Axes, metric: str | None,
                     why: str) -> str:
    n_jobs = len(summary)
    lines = [f"# Results: {n_jobs} job(s) in {len(results)} group(s)", ""]
    if axes.constant:
        lines += ["Constant: " + ", ".join(f"`{k}={value_text(v)}`" for k, v in axes.constant.items()), ""]
    lines += [_replicates_line(summary, axes), ""]
    names = short_names(axes.groups)
    shown = [m for m in SHOWN_METRICS if f"{m}_mean" in results and results[f"{m}_mean"].notna().any()]
    timings = [m.removesuffix("_mean") for m in results.columns
               if m.endswith("_seconds_mean") and results[m].notna().any()]
    lines += ["## Metrics", ""]
    lines += _stat_table(results, axes.groups, names, shown, jobs=True)
    if timings:
        lines += ["", "## Timings (seconds)", ""]
        lines += _stat_table(results, axes.groups, names, timings, jobs=False)
    lines += ["", "## Comparisons", ""]
    if metric is None:
        lines.append(f"Methods are not compared: {why}.")
    elif not axes.methods:
        lines.append(f"No method axis is swept (methods would be compared on `{metric}`: {why}).")
    else:
        lines.append(f"Methods are compared on `{metric}` ({why}); see comparisons.md.")
    return "\n".join(lines) + "\n"


def comparisons_markdown(comparisons: pd.DataFrame, axes: Axes, metric: str | None, why: str) -> str:
    lines = ["# Paired comparisons", "",
             "Pairs share the replicate key (" + (", ".join(f"`{k}`" for k in axes.replicate) or "none")
             + "), so they saw the same split, noise and folds. `diff` = mean paired difference "
             "[95% Student t interval]; W/T/L = wins, ties, losses of `value` over the pairs; "
             "`p` = two-sided Wilcoxon signed-rank p-value (scipy.stats.wilcoxon; zero differences "
             f"dropped), empty when fewer than {MIN_NONZERO_PAIRS} pairs differ (no p below 0.05 is "
             "possible then); `p_holm` = Holm-adjusted within the table.", ""]
    if comparisons.empty and metric is None:
        lines.append(f"No comparison: {why}.")
    for axis, table in comparisons.groupby("axis", sort=False):
        others = [a for a in axes.groups if a != axis or axis == "cleaning"]
        if axis == "cleaning":
            lines += ["## Gain of cleaning: test accuracy of CleanLearning - baseline", ""]
        else:
            lines += [f"## `{axis}`: each value against the best on `{table['metric'].iloc[0]}`", ""]
        names = short_names(others)
        head = ([] if axis == "cleaning" else ["value", "versus"]) + [names[a] for a in others]
        head += ["n", "W/T/L", "diff", "p", "p_holm"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for _, row in table.iterrows():
            cells = [] if axis == "cleaning" else [value_text(row["value"]), value_text(row["versus"])]
            cells += [value_text(row[a]) for a in others]
            cells += [str(row["n_pairs"]), f"{row['wins']}/{row['ties']}/{row['losses']}",
                      _diff_cell(row), _p_cell(row["p_value"]), _p_cell(row["p_holm"])]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if metric is None and not comparisons.empty:
        lines.append(f"Methods are not compared: {why}.")
    return "\n".join(lines).rstrip("\n") + "\n"


def _stat_table(results, keys, names, metrics, *, jobs: bool) -> list[str]:
    head = [names[k] for k in keys] + (["jobs"] if jobs else [])
    head += [m + ARROWS.get(direction(m), "") for m in metrics]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    best = {m: _bold(m, results[f"{m}_mean"]) for m in metrics}
    for position, (_, row) in enumerate(results.iterrows()):
        cells = [value_text(row[k]) for k in keys]
        if jobs:
            cells.append(_jobs_cell(row))
        for metric in metrics:
            cell = _mean_pm(row[f"{metric}_mean"], row[f"{metric}_ci95_high"] - row[f"{metric}_mean"])
            cells.append(f"**{cell}**" if best[metric][position] and cell else cell)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _replicates_line(summary: pd.DataFrame, axes: Axes) -> str:
    ok = ok_jobs(summary, axes)
    counts = [len(group) for _, group in frame_groups(ok, axes.groups)] or [0]
    n_text = str(counts[0]) if min(counts) == max(counts) else f"{min(counts)} to {max(counts)}"
    keys = ", ".join(f"`{k}`" for k in axes.replicate) or "none (one job per group)"
    return (f"Replicates: {keys}, {n_text} finished per group. A cell is mean ± half-width of the 95% "
            "Student t interval over the replicates (mean ± t(0.975, n-1) · std / √n); with one "
            "replicate only the mean is shown. Bold: the best group per column (↑ higher is better, "
            "↓ lower, →0 closest to 0). Failed, interrupted and incomplete jobs are counted in "
            "`jobs`, never averaged.")



# ---------------------------------------------------------------------------------------
# the paper table


@dataclass
class PaperTable:
    title: str
    metric: str
    row_name: str
    rows: list[str]
    column_axes: list[str]
    columns: list[tuple]
    means: np.ndarray  # (rows, columns)
    stds: np.ndarray
    n_replicates: str

    def _best(self) -> np.ndarray:
        """(rows, columns) True where a cell ties with the best of its column."""
        best = np.zeros(self.means.shape, dtype=bool)
        for j in range(len(self.columns)):
            best[:, j] = _bold(self.metric, self.means[:, j])
        return best

    def _cell(self, i: int, j: int) -> str:
        return _mean_pm(self.means[i, j], self.stds[i, j])

    def _column_label(self, column: tuple) -> str:
        names = short_names(self.column_axes)
        return ", ".join(f"{names[a]} {value_text(v)}" for a, v in zip(self.column_axes, column, strict=True)) or "all"

    def markdown(self) -> str:
        head = [self.row_name] + [self._column_label(c) for c in self.columns]
        lines = [f"## {self.title}", "", f"Mean ± std over {self.n_replicates} replicates; bold: best per column.",
                 "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        best = self._best()
        for i, row in enumerate(self.rows):
            cells = [self._cell(i, j) for j in range(len(self.columns))]
            cells = [f"**{c}**" if best[i, j] and c else c for j, c in enumerate(cells)]
            lines.append("| " + " | ".join([row, *cells]) + " |")
        return "\n".join(lines) + "\n"

    def latex(self) -> str:
        n_columns = len(self.columns)
        lines = [f"% {self.title.replace('`', '')}: mean $\\pm$ std over {self.n_replicates} replicates; best per column in bold.",
                 "% needs \\usepackage{booktabs}",
                 "\\begin{tabular}{l" + "c" * n_columns + "}", "\\toprule"]
        names = short_names(self.column_axes)
        if len(self.column_axes) >= 2:
            # first axis as a spanning header row, the others below it
            spans: list[tuple[object, int]] = []
            for column in self.columns:
                if spans and same_value(spans[-1][0], column[0]):
                    spans[-1] = (spans[-1][0], spans[-1][1] + 1)
                else:
                    spans.append((column[0], 1))
            first = names[self.column_axes[0]]
            cells = [f"\\multicolumn{{{width}}}{{c}}{{{_tex(first)} {_tex(value_text(value))}}}" for value, width in spans]
            lines.append(" & " + " & ".join(cells) + " \\\\")
            start = 2
            rules = []
            for _, width in spans:
                rules.append(f"\\cmidrule(lr){{{start}-{start + width - 1}}}")
                start += width
            lines.append(" ".join(rules))
            rest = self.column_axes[1:]
            labels = [", ".join(f"{names[a]} {value_text(v)}" for a, v in zip(rest, c[1:], strict=True))
                      for c in self.columns]
        else:
            labels = [self._column_label(c) for c in self.columns]
        lines.append(" & ".join([_tex(self.row_name), *(_tex(label) for label in labels)]) + " \\\\")
        lines.append("\\midrule")
        best = self._best()
        for i, row in enumerate(self.rows):
            cells = []
            for j in range(n_columns):
                cell = _tex_pm(self.means[i, j], self.stds[i, j])
                cells.append(f"\\textbf{{{cell}}}" if best[i, j] and cell else cell)
            lines.append(" & ".join([_tex(row), *cells]) + " \\\\")
        lines += ["\\bottomrule", "\\end{tabular}", ""]
        return "\n".join(lines)


def paper_tables(summary: pd.DataFrame, axes: Axes) -> list[PaperTable]:
    """Rows = methods (plus "no cleaning" for accuracy), columns = conditions; mean ± std.

    Written when a method axis is swept: test accuracy (CleanLearning per method; the baseline
    once per classifier) and issue F1.
    """
    if not axes.methods:
        return []
    ok = ok_jobs(summary, axes)
    tables = []
    if ACCURACY[1] in ok and ok[ACCURACY[1]].notna().any():
        tables.append(_paper_table(ok, axes, ACCURACY[1], "Test accuracy", with_baseline=True))
    if "issue_f1" in ok and ok["issue_f1"].notna().any():
        tables.append(_paper_table(ok, axes, "issue_f1", "Label-issue F1", with_baseline=False))
    return tables


def _paper_table(ok, axes: Axes, metric: str, title: str, *, with_baseline: bool) -> PaperTable:
    methods, conditions = list(axes.methods), list(axes.conditions)
    names = short_names(methods)
    columns = [key for key, _ in frame_groups(ok, conditions)]
    row_keys = [key for key, _ in frame_groups(ok, methods)]
    row_labels = [", ".join(value_text(v) if len(methods) == 1 else f"{names[a]}={value_text(v)}"
                          for a, v in zip(methods, key, strict=True)) for key in row_keys]
    blocks = []  # (label, frame of one row's jobs, metric)
    if with_baseline and ACCURACY[0] in ok:
        # The baseline does not depend on the cleaning settings: one row per classifier axis value.
        base_axes = [a for a in methods if not a.startswith(("cleanlearning", "quality_score"))]
        for key, group in frame_groups(ok, base_axes):
            label = "no cleaning" + "".join(f", {names[a]}={value_text(v)}" for a, v in zip(base_axes, key, strict=True))
            deduped = group.drop_duplicates(subset=[*base_axes, *conditions, *axes.replicate])
            blocks.append((label, deduped, ACCURACY[0]))
    for label, (_, group) in zip(row_labels, frame_groups(ok, methods), strict=True):
        blocks.append((label, group, metric))
    column_codes = pd.Series(group_codes(ok, conditions), index=ok.index)
    means = np.full((len(blocks), len(columns)), math.nan)
    stds = means.copy()
    counts = set()
    for i, (_, group, name) in enumerate(blocks):
        cells = pd.to_numeric(group[name], errors="coerce").groupby(column_codes.loc[group.index].to_numpy())
        cells = cells.agg(["mean", "std", "count"]).reindex(pd.RangeIndex(len(columns)))
        means[i], stds[i] = cells["mean"].to_numpy(dtype=float), cells["std"].to_numpy(dtype=float)
        counts.update(int(c) for c in cells["count"].fillna(0))
    counts.discard(0)
    n_text = "-".join(str(c) for c in sorted({min(counts), max(counts)})) if counts else "0"
    row_name = names[methods[0]] if len(methods) == 1 else "method"
    return PaperTable(f"{title} (`{metric}`)" if metric != ACCURACY[1] else title, metric, row_name,
                      [label for label, _, _ in blocks], conditions, columns, means, stds, n_text)



# ---------------------------------------------------------------------------------------
# formatting


def _bold(metric: str, means) -> np.ndarray:
    """The cells to print in bold: the best of a column, unless every present cell ties."""
    means = np.asarray(means, dtype=float)
    mask = best_mask(metric, means)
    if mask.sum() == np.count_nonzero(~np.isnan(means)):
        return np.zeros(means.shape, dtype=bool)
    return mask


def _number(value: float, magnitude: float | None = None) -> str:
    """3 decimals below 10, 1 below 100, none above (by ``magnitude``, default the value's)."""
    magnitude = abs(value) if magnitude is None else magnitude
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def _mean_pm(mean: float, spread: float) -> str:
    """'0.812 ± 0.014'; both numbers with the decimals of the larger one."""
    if is_missing(mean):
        return ""
    if is_missing(spread):
        return _number(mean)
    magnitude = max(abs(mean), abs(spread))
    return f"{_number(mean, magnitude)} ± {_number(spread, magnitude)}"


def _tex_pm(mean: float, spread: float) -> str:
    return _mean_pm(mean, spread).replace("±", "$\\pm$")


def _tex(text: str) -> str:
    for char in ("\\", "&", "%", "$", "#", "_", "{", "}"):
        text = text.replace(char, "\\" + char if char != "\\" else "\\textbackslash{}")
    return text


def _jobs_cell(row) -> str:
    counts = {state: int(row[f"n_{state}"]) for state in STATUSES}
    total = sum(counts.values())
    if counts["ok"] == total:
        return str(total)
    return ", ".join(f"{n} {state}" for state, n in counts.items() if n)


def _diff_cell(row) -> str:
    if is_missing(row["mean_diff"]):
        return ""
    text = f"{row['mean_diff']:+.3f}"
    if not is_missing(row["ci95_low"]):
        text += f" [{row['ci95_low']:+.3f}, {row['ci95_high']:+.3f}]"
    return text


def _p_cell(p: float) -> str:
    if is_missing(p):
        return ""
    return f"{p:.2g}" if p >= 0.001 else f"{p:.1e}"


