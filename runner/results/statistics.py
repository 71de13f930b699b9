"""results.csv: one row per group of replicates (counts by status, and per metric the mean,
std (ddof=1) and the 95% Student t interval). The paired tests are runner.results.comparisons';
the vocabulary (axes, replicates, methods, conditions) is runner.results.settings'.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from runner.results.frames import group_codes
from runner.results.settings import STATUSES, Axes, SummarySettings, find_axes, metric_columns

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
