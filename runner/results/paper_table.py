"""table.md / table.tex: the paper table (rows = methods, columns = conditions, mean ± std).

Bold, per column (condition) only: the best method and every method whose Holm-adjusted p
against it (the all-pairs family of comparisons.csv) is >= 0.05; nothing with one replicate,
when 0.05 is unreachable, or for a metric that does not depend on the method. The caption says
which, and why nothing is bold where nothing is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from runner.results.formatting import condition_label, mean_pm, tex, tex_pm
from runner.results.frames import (
    first_of_each,
    frame_groups,
    group_codes,
    rows_matching,
    same_value,
    short_names,
    value_text,
)
from runner.results.settings import ACCURACY, Axes
from runner.results.statistics import ok_jobs

__all__ = ["PaperTable", "paper_tables"]


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
    bold: np.ndarray = None  # (rows, columns) from the comparison families
    caption: str = ""  # what bold means here, or why nothing is bold
    labels: list[str] = field(default_factory=list)  # column labels (realised noise rates)

    def _best(self) -> np.ndarray:
        """(rows, columns) True where a cell is bold (see the module docstring)."""
        return np.zeros(self.means.shape, dtype=bool) if self.bold is None else self.bold

    def _cell(self, i: int, j: int) -> str:
        return mean_pm(self.means[i, j], self.stds[i, j])

    def _column_label(self, column: tuple) -> str:
        if self.labels:
            return self.labels[self.columns.index(column)]
        names = short_names(self.column_axes)
        return ", ".join(f"{names[a]} {value_text(v)}" for a, v in zip(self.column_axes, column, strict=True)) or "all"

    def markdown(self) -> str:
        head = [self.row_name] + [self._column_label(c) for c in self.columns]
        lines = [f"## {self.title}", "", f"Mean ± std over {self.n_replicates} replicates. {self.caption}",
                 "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        best = self._best()
        for i, row in enumerate(self.rows):
            cells = [self._cell(i, j) for j in range(len(self.columns))]
            cells = [f"**{c}**" if best[i, j] and c else c for j, c in enumerate(cells)]
            lines.append("| " + " | ".join([row, *cells]) + " |")
        return "\n".join(lines) + "\n"

    def latex(self) -> str:
        n_columns = len(self.columns)
        lines = [f"% {self.title.replace('`', '')}: mean $\\pm$ std over {self.n_replicates} replicates. {self.caption.replace('`', '')}",
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
            cells = [f"\\multicolumn{{{width}}}{{c}}{{{tex(first)} {tex(value_text(value))}}}" for value, width in spans]
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
        lines.append(" & ".join([tex(self.row_name), *(tex(label) for label in labels)]) + " \\\\")
        lines.append("\\midrule")
        best = self._best()
        for i, row in enumerate(self.rows):
            cells = []
            for j in range(n_columns):
                cell = tex_pm(self.means[i, j], self.stds[i, j])
                cells.append(f"\\textbf{{{cell}}}" if best[i, j] and cell else cell)
            lines.append(" & ".join([tex(row), *cells]) + " \\\\")
        lines += ["\\bottomrule", "\\end{tabular}", ""]
        return "\n".join(lines)


def paper_tables(summary: pd.DataFrame, axes: Axes, bold=None) -> list[PaperTable]:
    """Rows = methods (plus "no cleaning" for accuracy), columns = conditions; mean ± std.

    Written when a method axis is swept: test accuracy (CleanLearning per method; the baseline
    once per classifier) and issue F1. ``bold(metric, condition) -> (methods, why)``: the cells to
    bold (runner.results.comparisons.bold_methods of that family); None: nothing bold.
    """
    if not axes.methods:
        return []
    ok = ok_jobs(summary, axes)
    tables = []
    if ACCURACY[1] in ok and ok[ACCURACY[1]].notna().any():
        tables.append(_paper_table(ok, axes, ACCURACY[1], "Test accuracy", with_baseline=True))
    if "issue_f1" in ok and ok["issue_f1"].notna().any():
        tables.append(_paper_table(ok, axes, "issue_f1", "Label-issue F1", with_baseline=False))
    for table in tables:
        _mark(table, ok, axes, bold)
    return tables


def _mark(table: PaperTable, ok: pd.DataFrame, axes: Axes, bold) -> None:
    """Bold per column from the comparison families; the caption says what bold means or why
    nothing is bold."""
    table.labels = [condition_label(axes.conditions, column, ok[rows_matching(ok, axes.conditions, column)])
                    if axes.conditions else "all" for column in table.columns]
    table.bold = np.zeros(table.means.shape, dtype=bool)
    reasons = []
    for j, column in enumerate(table.columns):
        methods, why = bold(table.metric, column) if bold is not None else (set(), "no comparisons.")
        if not methods:
            reasons.append(why)
        for i, row in enumerate(table.rows):
            table.bold[i, j] = row in methods
    rule = ("Bold, per column only: the best method and every method whose Holm-adjusted p against it "
            "(all method pairs of the column, comparisons.csv) is >= 0.05; never the no-cleaning row.")
    if reasons and len(reasons) == len(table.columns):
        table.caption = f"Nothing is bold: {reasons[0].rstrip('.')}."
    elif reasons:
        table.caption = f"{rule} Columns without bold: {reasons[0].rstrip('.')}."
    else:
        table.caption = rule


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
            deduped = first_of_each(group, [*base_axes, *conditions, *axes.replicate])
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
