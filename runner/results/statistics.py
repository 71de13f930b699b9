"""Research results of a sweep, computed from its per-job table (summary.csv).

Files, all rebuilt from the job dirs on disk by runner.results.summarize:

    results.csv / .md      one row per group of replicates: counts by status, and per metric
                           mean, std (ddof=1) and the 95% Student t interval over the replicates
    comparisons.csv / .md  paired comparisons: the gain of cleaning, and every value of a swept
                           method axis against the best one (Wilcoxon signed-rank, Holm)
    table.md / .tex        the paper table: rows = methods, columns = conditions, mean ± std
    results.png            the compare metric (and test accuracy) across the swept axes

Vocabulary. An *axis* is an override key that takes more than one value in the sweep; keys
with one value are *constant* (shown once, in the header of results.md). The replicate key(s)
(``summary.replicate_by``, default ``seed``) are not axes: jobs that differ only in them are
replicates of one *group*. *Method* axes (``summary.method_axes``, default the swept keys of
``classifier``, ``cleanlearning.*`` and ``quality_score``) are compared with each other; the
other axes (noise, dataset, sizes) are *conditions*, under which methods are compared. Jobs
that differ only in one axis and share the replicate key saw the same split, noise and folds,
so their differences are *paired*.

Only jobs with status "ok" enter a statistic; failed, interrupted and incomplete ones are
counted. A job listed twice (the same overrides in two merged sweeps) counts once: the last.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from runner.core.io import atomic_savefig, atomic_write_csv, atomic_write_text
from runner.scoring.metrics import HIGHER, LOWER, ZERO, best_index, best_mask, direction

__all__ = [
    "RESULT_FILES",
    "SummarySettings",
    "Axes",
    "comparisons_frame",
    "find_axes",
    "holm",
    "paired_test",
    "results_frame",
    "summary_problems",
    "t_interval",
    "write_results",
]

RESULT_FILES = ("results.csv", "results.md", "comparisons.csv", "comparisons.md", "table.md",
                "table.tex", "results.png")
STATUSES = ("ok", "failed", "interrupted", "incomplete")
# Below this many non-zero paired differences no two-sided exact Wilcoxon p-value reaches 0.05
# (the smallest is 2 / 2**n: 0.0625 for 5).
MIN_NONZERO_PAIRS = 6
# The metrics results.md shows, in this order, when present (the rest are in results.csv).
SHOWN_METRICS = (
    "issue_f1", "issue_precision", "issue_recall", "issue_auprc", "issue_auroc",
    "issue_lift_at_num_errors", "issue_lift_at_100", "issue_precision_at_num_errors",
    "n_label_issues_minus_true", "test_accuracy_baseline", "test_accuracy_cleanlearning",
    "val_accuracy_cleanlearning", "estimated_noise_rate", "true_noise_rate",
    "noise_matrix_error", "label_health_score",
)
METHOD_GROUPS = ("classifier", "cleanlearning", "quality_score")
ACCURACY = ("test_accuracy_baseline", "test_accuracy_cleanlearning")
ARROWS = {HIGHER: " ↑", LOWER: " ↓", ZERO: " →0"}


# ---------------------------------------------------------------------------------------
# settings and axes


@dataclass(frozen=True)
class SummarySettings:
    """The ``summary.*`` config: how jobs are grouped and compared."""

    replicate_by: tuple[str, ...] = ("seed",)
    compare_metric: str | None = None
    method_axes: tuple[str, ...] | None = None

    @classmethod
    def from_config(cls, node: Mapping | None) -> SummarySettings:
        """From a ``summary`` config node (DictConfig or dict); missing keys take the defaults."""
        if node is None:
            return cls()
        problems = summary_problems(node)
        if problems:
            raise ValueError("; ".join(problems))
        replicate_by = node.get("replicate_by", "seed")
        method_axes = node.get("method_axes")
        return cls(
            replicate_by=(replicate_by,) if isinstance(replicate_by, str) else tuple(replicate_by or ()),
            compare_metric=node.get("compare_metric"),
            method_axes=None if method_axes is None else tuple(method_axes),
        )


def summary_problems(node: Mapping) -> list[str]:
    """One line per bad ``summary.*`` value (config validation; never raises)."""
    problems = []
    known = ("replicate_by", "compare_metric", "method_axes")
    for key in node:
        if key not in known:
            problems.append(f"summary.{key} is not a known key (known: {', '.join(known)}); got {node[key]!r}")
    replicate_by = node.get("replicate_by", "seed")
    if not (isinstance(replicate_by, str) and replicate_by) and not _is_list_of_names(replicate_by, empty=True):
        problems.append(f"summary.replicate_by must be an override key or a list of keys; got {_plain(replicate_by)!r}")
    metric = node.get("compare_metric")
    if metric is not None and not (isinstance(metric, str) and metric):
        problems.append(f"summary.compare_metric must be null or a metric name; got {_plain(metric)!r}")
    elif metric is not None and direction(metric) is None:
        problems.append(
            f"summary.compare_metric must be a metric with a direction (higher, lower or closest to 0 "
            f"is better, see runner/metrics.py); got {metric!r}"
        )
    axes = node.get("method_axes")
    if axes is not None and not _is_list_of_names(axes, empty=True):
        problems.append(f"summary.method_axes must be null or a list of override keys; got {_plain(axes)!r}")
    return problems


@dataclass(frozen=True)
class Axes:
    """How the override columns of a summary take part in the results (see module docstring)."""

    constant: dict[str, object]
    replicate: tuple[str, ...]  # replicate keys present in the summary
    methods: tuple[str, ...]
    conditions: tuple[str, ...]
    groups: tuple[str, ...]  # every axis, in summary column order: one group per combination


def override_columns(summary: pd.DataFrame) -> list[str]:
    """The override columns of a summary frame (between ``dir`` and ``status``), but summary.*."""
    columns = list(summary.columns)
    if "status" not in columns:
        return []
    start = columns.index("dir") + 1 if "dir" in columns else 0
    return [c for c in columns[start : columns.index("status")] if not c.startswith(("summary.", "hydra."))]


def find_axes(summary: pd.DataFrame, settings: SummarySettings) -> Axes:
    keys = override_columns(summary)
    replicate = tuple(k for k in settings.replicate_by if k in keys)
    varying = [k for k in keys if k not in replicate and _n_values(summary[k]) > 1]
    constant = {k: _first(summary[k]) for k in keys if k not in replicate and k not in varying}
    if settings.method_axes is None:
        methods = [k for k in varying if k.split(".", 1)[0] in METHOD_GROUPS]
    else:
        # a full key or its last part (filter_by)
        methods = [k for k in varying if k in settings.method_axes or k.rsplit(".", 1)[-1] in settings.method_axes]
    conditions = [k for k in varying if k not in methods]
    return Axes(constant, replicate, tuple(methods), tuple(conditions), tuple(varying))


def metric_columns(summary: pd.DataFrame) -> list[str]:
    """Numeric columns after ``status`` (the metrics), ``error`` excluded."""
    columns = list(summary.columns)
    if "status" not in columns:
        return []
    names = []
    for name in columns[columns.index("status") + 1 :]:
        if name == "error":
            continue
        values = summary[name]
        if pd.api.types.is_bool_dtype(values) or not (
            pd.api.types.is_numeric_dtype(values) or values.isna().all()
        ):
            continue
        names.append(name)
    return names


def resolve_compare_metric(summary: pd.DataFrame, settings: SummarySettings) -> tuple[str | None, str]:
    """(metric, why): the compare metric, or None with the reason there is none."""
    present = {m for m in metric_columns(summary) if summary[m].notna().any()}
    if settings.compare_metric is not None:
        if settings.compare_metric in present:
            return settings.compare_metric, f"summary.compare_metric={settings.compare_metric}"
        return None, (f"summary.compare_metric={settings.compare_metric} is not a metric of any finished job "
                      f"(metrics: {', '.join(sorted(present)) or 'none'})")
    if "issue_f1" in present:
        return "issue_f1", "the true errors are known"
    if "test_accuracy_cleanlearning" in present:
        return "test_accuracy_cleanlearning", "no true errors are known; a test split exists"
    return None, "no true errors are known and there is no test split (no issue_f1, no test accuracy)"


# ---------------------------------------------------------------------------------------
# statistics


def t_interval(values) -> tuple[float, float, float, float]:
    """(mean, std ddof=1, low, high) of the 95% Student t interval; NaN where undefined."""
    from scipy import stats

    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = values.shape[0]
    if n == 0:
        return (math.nan,) * 4
    mean = float(values.mean())
    if n == 1:
        return mean, math.nan, math.nan, math.nan
    std = float(values.std(ddof=1))
    half = float(stats.t.ppf(0.975, n - 1)) * std / math.sqrt(n)
    return mean, std, mean - half, mean + half


def paired_test(differences) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired differences; NaN below 6 non-zero ones."""
    from scipy import stats

    differences = np.asarray(differences, dtype=float)
    if np.count_nonzero(differences) < MIN_NONZERO_PAIRS:
        return math.nan
    return float(stats.wilcoxon(differences).pvalue)


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values; NaN entries stay NaN and are not counted."""
    p_values = np.asarray(p_values, dtype=float)
    adjusted = np.full(p_values.shape, math.nan)
    present = np.flatnonzero(~np.isnan(p_values))
    m = present.shape[0]
    if m == 0:
        return adjusted
    order = present[np.argsort(p_values[present], kind="stable")]
    scaled = (m - np.arange(m)) * p_values[order]
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted


# ---------------------------------------------------------------------------------------
# results.csv


def ok_jobs(summary: pd.DataFrame, axes: Axes) -> pd.DataFrame:
    """Finished jobs, one per setting and replicate (the last when a job is listed twice)."""
    ok = summary[summary["status"] == "ok"]
    keys = [*axes.groups, *axes.replicate]
    if keys:
        ok = ok.drop_duplicates(subset=keys, keep="last")
    return ok


def results_frame(summary: pd.DataFrame, settings: SummarySettings | None = None) -> pd.DataFrame:
    """One row per group: its axis values, job counts by status, and per metric M:
    M_mean, M_std, M_ci95_low, M_ci95_high over the group's finished replicates."""
    from scipy import stats

    settings = settings or SummarySettings()
    axes = find_axes(summary, settings)
    metrics = metric_columns(summary)
    keys = list(axes.groups)
    columns = [*keys, *(f"n_{state}" for state in STATUSES),
               *(f"{m}_{s}" for m in metrics for s in ("mean", "std", "ci95_low", "ci95_high"))]
    if summary.empty:
        return pd.DataFrame(columns=columns)
    codes = _group_codes(summary, keys)  # (n_jobs,) group number, in order of first appearance
    n_groups = int(codes.max()) + 1
    first_rows = pd.Series(np.arange(len(summary))).groupby(codes).first().to_numpy()
    table = {key: summary[key].to_numpy()[first_rows] for key in keys}
    status = summary["status"].fillna("incomplete").to_numpy()
    for state in STATUSES:
        table[f"n_{state}"] = np.bincount(codes[status == state], minlength=n_groups)

    ok = ok_jobs(summary, axes)
    ok_codes = codes[summary.index.get_indexer(ok.index)]
    grouped = ok[metrics].apply(pd.to_numeric, errors="coerce").groupby(ok_codes)
    groups = pd.RangeIndex(n_groups)
    n = grouped.count().reindex(groups, fill_value=0).to_numpy()
    mean = grouped.mean().reindex(groups).to_numpy(dtype=float)
    std = grouped.std(ddof=1).reindex(groups).to_numpy(dtype=float)  # NaN below 2 replicates
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * std / np.sqrt(n)
    for index, metric in enumerate(metrics):
        table[f"{metric}_mean"] = mean[:, index]
        table[f"{metric}_std"] = std[:, index]
        table[f"{metric}_ci95_low"] = mean[:, index] - half[:, index]
        table[f"{metric}_ci95_high"] = mean[:, index] + half[:, index]
    return pd.DataFrame(table, columns=columns)


# ---------------------------------------------------------------------------------------
# comparisons.csv


COMPARISON_HEAD = ("axis", "value", "versus")
COMPARISON_TAIL = ("metric", "n_pairs", "wins", "ties", "losses", "mean_diff", "ci95_low",
                   "ci95_high", "p_value", "p_holm")


def comparisons_frame(summary: pd.DataFrame, settings: SummarySettings | None = None) -> pd.DataFrame:
    """Paired comparisons (columns: axis, value, versus, the axes, metric, n_pairs, ..., p_holm).

    1. The gain of cleaning, per group (when test accuracies exist): axis "cleaning", value
       "cleanlearning" versus "baseline", metric "test_accuracy".
    2. Per method axis with 2 or more values, within each combination of the other axes:
       every value against the best one on the compare metric (differences value - best).
    p_holm adjusts the p-values of one table (the cleaning rows; one method axis).
    """
    settings = settings or SummarySettings()
    axes = find_axes(summary, settings)
    ok = ok_jobs(summary, axes)
    tables = []
    if all(m in ok.columns and ok[m].notna().any() for m in ACCURACY):
        tables.append(_cleaning_gain(ok, axes))
    metric, _ = resolve_compare_metric(summary, settings)
    if metric is not None:
        for axis in axes.methods:
            tables.append(_against_best(ok, axes, axis, metric))
    columns = [*COMPARISON_HEAD, *axes.groups, *COMPARISON_TAIL]
    tables = [table for table in tables if not table.empty]
    if not tables:
        return pd.DataFrame(columns=columns)
    return pd.concat(tables, ignore_index=True).reindex(columns=columns)


def _cleaning_gain(ok: pd.DataFrame, axes: Axes) -> pd.DataFrame:
    rows = []
    for key_values, group in _groups(ok, axes.groups):
        cleaned = pd.to_numeric(group[ACCURACY[1]], errors="coerce")
        baseline = pd.to_numeric(group[ACCURACY[0]], errors="coerce")
        differences = (cleaned - baseline).dropna().to_numpy()
        rows.append({"axis": "cleaning", "value": "cleanlearning", "versus": "baseline",
                     **dict(zip(axes.groups, key_values, strict=True)),
                     **_paired_row("test_accuracy", differences, np.sign(differences))})
    return _with_holm(pd.DataFrame(rows))


def _against_best(ok: pd.DataFrame, axes: Axes, axis: str, metric: str) -> pd.DataFrame:
    others = [a for a in axes.groups if a != axis]
    rows = []
    for key_values, group in _groups(ok, others):
        group = group[group[metric].notna()]
        values = list(dict.fromkeys(group[axis].tolist()))  # in job order
        if len(values) < 2:
            continue
        by_value = {}
        for value in values:
            jobs = group[_equal(group[axis], value)]
            by_value[value] = pd.Series(jobs[metric].to_numpy(dtype=float), index=_replicate_index(jobs, axes))
        best_position = best_index(metric, [by_value[v].mean() for v in values])
        best = values[best_position]
        for position, value in enumerate(values):
            if position == best_position:
                continue
            paired = pd.concat([by_value[value], by_value[best]], axis=1, join="inner", keys=["v", "b"])
            differences = (paired["v"] - paired["b"]).to_numpy()
            if direction(metric) == ZERO:
                signs = np.sign(paired["b"].abs().to_numpy() - paired["v"].abs().to_numpy())
            else:
                signs = np.sign(differences) * (1 if direction(metric) == HIGHER else -1)
            rows.append({"axis": axis, "value": value, "versus": best,
                         **dict(zip(others, key_values, strict=True)),
                         **_paired_row(metric, differences, signs)})
    return _with_holm(pd.DataFrame(rows))


def _replicate_index(jobs: pd.DataFrame, axes: Axes) -> pd.Index:
    """The pairing key of each job: its replicate values (one shared value without a replicate
    key: every job then ran with the same, default, seed)."""
    if not axes.replicate:
        return pd.Index(np.zeros(len(jobs), dtype=np.int64))
    if len(axes.replicate) == 1:
        return pd.Index(jobs[axes.replicate[0]].to_numpy())
    return pd.MultiIndex.from_frame(jobs[list(axes.replicate)])


def _paired_row(metric: str, differences: np.ndarray, signs: np.ndarray) -> dict:
    """signs: +1 where the value is better than the one it is compared with, -1 worse, 0 tie."""
    mean, _, low, high = t_interval(differences)
    return {"metric": metric, "n_pairs": int(differences.shape[0]), "wins": int((signs > 0).sum()),
            "ties": int((signs == 0).sum()), "losses": int((signs < 0).sum()), "mean_diff": mean,
            "ci95_low": low, "ci95_high": high, "p_value": paired_test(differences)}


def _with_holm(table: pd.DataFrame) -> pd.DataFrame:
    if not table.empty:
        table["p_holm"] = holm(table["p_value"].to_numpy(dtype=float))
    return table


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
        lines += ["Constant: " + ", ".join(f"`{k}={_text(v)}`" for k, v in axes.constant.items()), ""]
    lines += [_replicates_line(summary, axes), ""]
    names = _short_names(axes.groups)
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
        names = _short_names(others)
        head = ([] if axis == "cleaning" else ["value", "versus"]) + [names[a] for a in others]
        head += ["n", "W/T/L", "diff", "p", "p_holm"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for _, row in table.iterrows():
            cells = [] if axis == "cleaning" else [_text(row["value"]), _text(row["versus"])]
            cells += [_text(row[a]) for a in others]
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
        cells = [_text(row[k]) for k in keys]
        if jobs:
            cells.append(_jobs_cell(row))
        for metric in metrics:
            cell = _mean_pm(row[f"{metric}_mean"], row[f"{metric}_ci95_high"] - row[f"{metric}_mean"])
            cells.append(f"**{cell}**" if best[metric][position] and cell else cell)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _replicates_line(summary: pd.DataFrame, axes: Axes) -> str:
    ok = ok_jobs(summary, axes)
    counts = [len(group) for _, group in _groups(ok, axes.groups)] or [0]
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
        names = _short_names(self.column_axes)
        return ", ".join(f"{names[a]} {_text(v)}" for a, v in zip(self.column_axes, column, strict=True)) or "all"

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
        names = _short_names(self.column_axes)
        if len(self.column_axes) >= 2:
            # first axis as a spanning header row, the others below it
            spans: list[tuple[object, int]] = []
            for column in self.columns:
                if spans and _same(spans[-1][0], column[0]):
                    spans[-1] = (spans[-1][0], spans[-1][1] + 1)
                else:
                    spans.append((column[0], 1))
            first = names[self.column_axes[0]]
            cells = [f"\\multicolumn{{{width}}}{{c}}{{{_tex(first)} {_tex(_text(value))}}}" for value, width in spans]
            lines.append(" & " + " & ".join(cells) + " \\\\")
            start = 2
            rules = []
            for _, width in spans:
                rules.append(f"\\cmidrule(lr){{{start}-{start + width - 1}}}")
                start += width
            lines.append(" ".join(rules))
            rest = self.column_axes[1:]
            labels = [", ".join(f"{names[a]} {_text(v)}" for a, v in zip(rest, c[1:], strict=True))
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
    names = _short_names(methods)
    columns = [key for key, _ in _groups(ok, conditions)]
    row_keys = [key for key, _ in _groups(ok, methods)]
    row_labels = [", ".join(_text(v) if len(methods) == 1 else f"{names[a]}={_text(v)}"
                          for a, v in zip(methods, key, strict=True)) for key in row_keys]
    blocks = []  # (label, frame of one row's jobs, metric)
    if with_baseline and ACCURACY[0] in ok:
        # The baseline does not depend on the cleaning settings: one row per classifier axis value.
        base_axes = [a for a in methods if not a.startswith(("cleanlearning", "quality_score"))]
        for key, group in _groups(ok, base_axes):
            label = "no cleaning" + "".join(f", {names[a]}={_text(v)}" for a, v in zip(base_axes, key, strict=True))
            deduped = group.drop_duplicates(subset=[*base_axes, *conditions, *axes.replicate])
            blocks.append((label, deduped, ACCURACY[0]))
    for label, (_, group) in zip(row_labels, _groups(ok, methods), strict=True):
        blocks.append((label, group, metric))
    column_codes = pd.Series(_group_codes(ok, conditions), index=ok.index)
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
# helpers


def _groups(frame: pd.DataFrame, keys: Sequence[str]):
    """(key tuple, sub-frame) per combination of ``keys`` in order of appearance (NaN a value)."""
    if not keys:
        yield (), frame
        return
    for key, group in frame.groupby(list(keys), sort=False, dropna=False):
        yield (key if isinstance(key, tuple) else (key,)), group


def _bold(metric: str, means) -> np.ndarray:
    """The cells to print in bold: the best of a column, unless every present cell ties."""
    means = np.asarray(means, dtype=float)
    mask = best_mask(metric, means)
    if mask.sum() == np.count_nonzero(~np.isnan(means)):
        return np.zeros(means.shape, dtype=bool)
    return mask


def _group_codes(frame: pd.DataFrame, keys: Sequence[str]) -> np.ndarray:
    """(n_rows,) group number of each row, groups numbered in order of first appearance."""
    if not keys:
        return np.zeros(len(frame), dtype=np.int64)
    return frame.groupby(list(keys), sort=False, dropna=False).ngroup().to_numpy()


def _match(frame: pd.DataFrame, keys: Sequence[str], values: tuple) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for key, value in zip(keys, values, strict=True):
        mask &= _equal(frame[key], value)
    return mask


def _equal(column: pd.Series, value) -> pd.Series:
    if _is_missing(value):
        return column.isna()
    return column == value


def _same(a, b) -> bool:
    return (_is_missing(a) and _is_missing(b)) or a == b


def _is_missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _n_values(column: pd.Series) -> int:
    return column.nunique(dropna=False)


def _first(column: pd.Series):
    return column.iloc[0] if len(column) else None


def _short_names(keys: Sequence[str]) -> dict[str, str]:
    """Last part of each key (filter_by), unless that would make two the same."""
    short = [k.rsplit(".", 1)[-1] for k in keys]
    if len(set(short)) < len(short):
        short = list(keys)
    return dict(zip(keys, short, strict=True))


def _text(value) -> str:
    if _is_missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(value).replace("|", "\\|")


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
    if _is_missing(mean):
        return ""
    if _is_missing(spread):
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
    if _is_missing(row["mean_diff"]):
        return ""
    text = f"{row['mean_diff']:+.3f}"
    if not _is_missing(row["ci95_low"]):
        text += f" [{row['ci95_low']:+.3f}, {row['ci95_high']:+.3f}]"
    return text


def _p_cell(p: float) -> str:
    if _is_missing(p):
        return ""
    return f"{p:.2g}" if p >= 0.001 else f"{p:.1e}"


def _is_list_of_names(value, *, empty: bool) -> bool:
    value = _plain(value)
    return isinstance(value, (list, tuple)) and (empty or value) and all(isinstance(v, str) and v for v in value)


def _plain(value):
    from omegaconf import DictConfig, ListConfig, OmegaConf

    if isinstance(value, (DictConfig, ListConfig)):
        return OmegaConf.to_container(value)
    return value


# ---------------------------------------------------------------------------------------
# results.png

COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
# What a swept numeric axis measures, for the x-axis label.
AXIS_LABELS = {
    "noise.rate": "noise.rate (nominal fraction of training labels flipped)",
    "noise.sparsity": "noise.sparsity (fraction of zero off-diagonal noise rates)",
    "cleanlearning.cv_n_folds": "cv_n_folds (cross-validation folds)",
    "cleanlearning.find_label_issues_kwargs.frac_noise": "frac_noise (fraction of the estimated errors flagged)",
    "dataset.n_samples": "dataset.n_samples (examples)",
    "dataset.test_size": "dataset.test_size (fraction held out)",
}


def plot_results(summary: pd.DataFrame, axes: Axes, metric: str | None):
    """The compare metric (and test accuracy) across the axes, with 95% t intervals.

    A numeric axis swept: lines against the numeric axis with the most values, one line per
    method (or per value of another axis), one panel column per value of the remaining axes.
    Only categorical axes: grouped bars (methods side by side) with 95% error bars.
    """
    from matplotlib.figure import Figure  # no pyplot: no global figure state, no GUI backend

    ok = ok_jobs(summary, axes)
    metrics = [m for m in dict.fromkeys([metric, ACCURACY[1]])
               if m is not None and m in ok and ok[m].notna().any()]
    if not metrics:
        figure = Figure(figsize=(6.0, 1.6))
        subplot = figure.subplots()
        subplot.axis("off")
        subplot.text(0.5, 0.5, f"{len(summary)} job(s); no finished job with a metric to plot",
                     ha="center", va="center")
        return figure
    numeric = [a for a in axes.groups if _is_numeric(ok[a])]
    if numeric:
        x_axis = max(numeric, key=lambda a: ok[a].nunique())
        rest = [a for a in axes.groups if a != x_axis]
        series_axes = [a for a in rest if a in axes.methods] or rest[:1]
        facet_axes = [a for a in rest if a not in series_axes]
    else:
        x_axis = None
        # methods side by side under each condition; without conditions, one bar per method
        series_axes = list(axes.methods) if axes.conditions else []
        facet_axes = []
    facets = [key for key, _ in _groups(ok, facet_axes)]
    series = [key for key, _ in _groups(ok, series_axes)]
    names = _short_names(list(axes.groups))

    n_bars = len(series) * len([key for key, _ in _groups(ok, [a for a in axes.groups if a not in series_axes])])
    width = 1.0 + 4.2 * len(facets) if x_axis is not None else max(5.2, 1.5 + 0.45 * n_bars)
    figure = Figure(figsize=(width, 0.9 + 3.0 * len(metrics) + 0.22 * math.ceil(len(series) / 2)))
    grid = figure.subplots(len(metrics), len(facets), squeeze=False, sharey="row")
    for row, name in enumerate(metrics):
        for column, facet in enumerate(facets):
            panel = grid[row, column]
            jobs = ok[_match(ok, facet_axes, facet)]
            if x_axis is not None:
                _draw_lines(panel, jobs, x_axis, series_axes, series, name)
                if name == ACCURACY[1]:
                    _draw_baseline(panel, jobs, x_axis, axes, series_axes)
                panel.set_xlabel(AXIS_LABELS.get(x_axis, x_axis), fontsize=8)
            else:
                _draw_bars(panel, jobs, axes, series_axes, series, name)
            title = ", ".join(f"{names[a]}={_text(v)}" for a, v in zip(facet_axes, facet, strict=True))
            if title:
                panel.set_title(title, fontsize=9)
            panel.set_ylabel(f"{name}\n(mean, 95% CI)", fontsize=8)
            panel.grid(alpha=0.3)
            panel.tick_params(labelsize=8)
    handles, labels = [], []
    for panel in grid[:, 0]:
        for handle, label in zip(*panel.get_legend_handles_labels(), strict=True):
            if label not in labels and label not in metrics:  # a metric name: one unnamed series
                handles.append(handle)
                labels.append(label)
    n_columns = max(1, min(4, len(labels), int(figure.get_figwidth() / 2.3)))
    if len(labels) > 1:
        figure.legend(handles, labels, loc="lower center", ncol=n_columns, fontsize=8,
                      frameon=False, title=", ".join(names[a] for a in series_axes), title_fontsize=8)
    # room at the bottom for the legend: its title and one line per n_columns entries
    legend_inches = 0.3 + 0.22 * math.ceil(len(labels) / n_columns) if len(labels) > 1 else 0.0
    figure.tight_layout(rect=(0, legend_inches / figure.get_figheight(), 1, 1))
    return figure


def _line_with_band(jobs, x_axis: str, metric: str):
    """(xs, means, ci95 lows, ci95 highs) of ``metric`` over the replicates at each value of
    the numeric ``x_axis``, sorted by x."""
    points = []
    for (x_value,), group in _groups(jobs, [x_axis]):
        mean, _, low, high = t_interval(pd.to_numeric(group[metric], errors="coerce"))
        points.append((float(x_value), mean, low, high))
    points.sort(key=lambda point: point[0])
    return tuple(np.asarray(column, dtype=float) for column in zip(*points, strict=True)) if points else (
        np.empty(0),) * 4


def _draw_lines(panel, jobs, x_axis, series_axes, series, metric) -> None:
    names = _short_names(series_axes)
    for index, key in enumerate(series):
        xs, means, lows, highs = _line_with_band(jobs[_match(jobs, series_axes, key)], x_axis, metric)
        colour = COLOURS[index % len(COLOURS)]
        label = ", ".join(_text(v) if len(series_axes) == 1 else f"{names[a]}={_text(v)}"
                          for a, v in zip(series_axes, key, strict=True)) or metric
        panel.plot(xs, means, marker=MARKERS[index % len(MARKERS)], color=colour, label=label,
                   linewidth=1.4, markersize=5, alpha=0.9)
        if np.isfinite(lows).any():
            panel.fill_between(xs, lows, highs, color=colour, alpha=0.12, linewidth=0)


def _draw_baseline(panel, jobs, x_axis, axes: Axes, series_axes) -> None:
    """"no cleaning": the baseline's test accuracy, when it is one line (it does not depend on
    the cleaning settings, only on the classifier)."""
    if ACCURACY[0] not in jobs or jobs[ACCURACY[0]].isna().all():
        return
    if any(not a.startswith(("cleanlearning", "quality_score")) for a in series_axes):
        return  # a baseline per classifier: the lines of the methods already tell them apart
    others = [a for a in axes.groups if a not in series_axes]
    baseline = jobs.drop_duplicates(subset=[*others, *axes.replicate])
    xs, means, lows, highs = _line_with_band(baseline, x_axis, ACCURACY[0])
    panel.plot(xs, means, color="black", linestyle="--", marker="x", linewidth=1.2, markersize=5,
               label="no cleaning (baseline)")
    if np.isfinite(lows).any():
        panel.fill_between(xs, lows, highs, color="black", alpha=0.08, linewidth=0)


def _draw_bars(panel, jobs, axes: Axes, series_axes, series, metric) -> None:
    position_axes = [a for a in axes.groups if a not in series_axes]
    positions = [key for key, _ in _groups(jobs, position_axes)]
    names = _short_names(list(axes.groups))
    width = 0.8 / max(1, len(series))
    for index, key in enumerate(series):
        means, errors = [], [[], []]
        for position in positions:
            selected = jobs[_match(jobs, series_axes, key) & _match(jobs, position_axes, position)]
            mean, _, low, high = t_interval(pd.to_numeric(selected[metric], errors="coerce"))
            means.append(mean)
            errors[0].append(0.0 if _is_missing(low) else mean - low)
            errors[1].append(0.0 if _is_missing(high) else high - mean)
        offsets = np.arange(len(positions)) - 0.4 + width * (index + 0.5)
        label = ", ".join(_text(v) if len(series_axes) == 1 else f"{names[a]}={_text(v)}"
                          for a, v in zip(series_axes, key, strict=True)) or metric
        # one series: a colour per bar (per method); several: a colour per series
        colours = ([COLOURS[i % len(COLOURS)] for i in range(len(positions))] if len(series) == 1
                   else COLOURS[index % len(COLOURS)])
        panel.bar(offsets, means, width=width, yerr=errors, capsize=3, label=label, color=colours,
                  hatch=("", "//", "..", "xx")[index // len(COLOURS) % 4])
    panel.set_xticks(np.arange(len(positions)))
    single = len(position_axes) == 1
    panel.set_xlabel(", ".join(names[a] for a in position_axes), fontsize=8)
    panel.set_xticklabels(
        ["\n".join(_text(v) if single else f"{names[a]}={_text(v)}" for a, v in zip(position_axes, p, strict=True))
         or "all" for p in positions], fontsize=8, rotation=30 if single and len(positions) > 3 else 0,
        ha="right" if single and len(positions) > 3 else "center")


def _is_numeric(column: pd.Series) -> bool:
    values = pd.to_numeric(column.dropna(), errors="coerce")
    return len(values) > 0 and values.notna().all() and not pd.api.types.is_bool_dtype(column)
