"""The statistics of a sweep's results: intervals over replicates, paired tests, Holm.

results.csv has one row per group of replicates (counts by status, and per metric the mean,
std (ddof=1) and the 95% Student t interval); comparisons.csv the paired comparisons: the gain
of cleaning, and every value of a swept method axis against the best one (Wilcoxon
signed-rank, Holm). The vocabulary (axes, replicates, methods, conditions) is
runner.results.settings'.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from runner.results.frames import equal_values, frame_groups, group_codes
from runner.results.settings import (
    ACCURACY,
    STATUSES,
    Axes,
    SummarySettings,
    find_axes,
    metric_columns,
    resolve_compare_metric,
)
from runner.scoring.metrics import HIGHER, ZERO, best_index, direction

# Below this many non-zero paired differences no two-sided exact Wilcoxon p-value reaches 0.05
# (the smallest is 2 / 2**n: 0.0625 for 5).
MIN_NONZERO_PAIRS = 6
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
    codes = group_codes(summary, keys)  # (n_jobs,) group number, in order of first appearance
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
    for key_values, group in frame_groups(ok, axes.groups):
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
    for key_values, group in frame_groups(ok, others):
        group = group[group[metric].notna()]
        values = list(dict.fromkeys(group[axis].tolist()))  # in job order
        if len(values) < 2:
            continue
        by_value = {}
        for value in values:
            jobs = group[equal_values(group[axis], value)]
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


