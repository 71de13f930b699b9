"""Sweep report: how the swept methods agree on what they flag (Jaccard of the flagged sets on
the same condition), the true errors each method misses, and those no method flags."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from runner.core.layout import read_yaml
from runner.report.context import SweepContext
from runner.report.html import Row, Section, cell, note, piece, table
from runner.report.sections import report_section
from runner.results.figures import job_label_names
from runner.results.settings import SummarySettings, find_axes


@report_section("sweep", rank=50)
def agreement_section(sweep: SweepContext) -> list[Section]:
    return [Section("Agreement between methods", _agreement(sweep))]


def _settings(sweep: SweepContext) -> SummarySettings:
    """The sweep's summary.* settings: multirun.yaml, else a job's resolved config."""
    summary_cfg = ((read_yaml(sweep.sweep_dir / "multirun.yaml") or {}).get("summary")) or {}
    for name in ([] if summary_cfg else sweep.frame["dir"]):
        job_dir = sweep.job_dir(name)
        cfg = read_yaml(job_dir / "resolved_config.yaml") if job_dir is not None else None
        if cfg:
            summary_cfg = cfg.get("summary") or {}
            break
    try:
        return SummarySettings.from_config(summary_cfg)
    except ValueError:  # a bad setting: the summary says so; the report compares by default
        return SummarySettings()


def _agreement(sweep: SweepContext) -> list:
    frame = sweep.frame
    if frame.empty:
        return [note("No jobs.")]
    methods = [c for c in find_axes(frame, _settings(sweep)).methods if c in sweep.varying]
    if not methods:
        return [note("Only one method in this sweep (no classifier, cleanlearning.* or quality_score key is "
                     "swept, nor any of summary.method_axes): nothing to compare.")]
    conditions = [c for c in sweep.varying if c not in methods]  # replicates included: same seed = same split
    ok = frame[frame["status"] == "ok"]
    method_names = job_label_names(methods)

    def method_label(row) -> str:
        return " ".join(f"{n}={row[c]}" for n, c in zip(method_names, methods, strict=True))

    # Per condition (seed and other non-method keys): each method's flagged set and the true errors.
    groups: dict[tuple, dict[str, set]] = {}
    truth: dict[tuple, set | None] = {}
    for _, row in ok.iterrows():
        issues = _read_issues(sweep.job_dir(row["dir"]))
        if issues is None:
            continue
        key = tuple(str(row[c]) for c in conditions)
        groups.setdefault(key, {})[method_label(row)] = set(issues["index"][issues["is_label_issue"].astype(bool)])
        errors = set(issues["index"][issues["is_true_error"].astype(bool)]) if "is_true_error" in issues else None
        truth.setdefault(key, errors)
    if not groups:
        return [note("No finished job has a label_issues.csv yet.")]

    parts = [note(f"Methods: the swept {', '.join(methods)}. Flagged sets are compared between jobs with the "
                  f"same {', '.join(conditions) or 'settings'} (same seed = same split, noise and folds).")]
    # 1) Jaccard per pair of methods
    pairs: dict[tuple[str, str], list[float]] = {}
    for flagged in groups.values():
        for a, b in itertools.combinations(sorted(flagged), 2):
            union = flagged[a] | flagged[b]
            pairs.setdefault((a, b), []).append(len(flagged[a] & flagged[b]) / len(union) if union else math.nan)

    def summary(values, reduce) -> float:
        return float(reduce(values)) if not np.all(np.isnan(values)) else math.nan

    rows = [Row([cell(a), cell(b), cell(len(v), "num"), cell(summary(v, np.nanmean), "num"),
                 cell(summary(v, np.nanmin), "num"), cell(summary(v, np.nanmax), "num")])
            for (a, b), v in sorted(pairs.items())]
    parts += [piece("heading3", "Overlap of flagged sets (Jaccard = |A ∩ B| / |A ∪ B|)"),
              table("jaccard", ["method A", "method B", "n pairs", "mean Jaccard", "min", "max"], rows)
              if rows else note("No two methods ran on the same condition yet.")]
    # 2) true errors missed, per method, and by every method
    if any(errors is None for errors in truth.values()):
        parts.append(note("The true labels are not known: missed true errors cannot be counted."))
        return parts
    missed: dict[str, list[tuple[int, int]]] = {}
    for key, flagged in groups.items():
        for method, flagged_set in flagged.items():
            missed.setdefault(method, []).append((len(truth[key] - flagged_set), len(truth[key])))
    rows = []
    for method, values in sorted(missed.items()):
        n_missed, n_true = (sum(v) for v in zip(*values, strict=True))
        rows.append(Row([cell(method), cell(len(values), "num"), cell(n_missed, "num"), cell(n_true, "num"),
                         cell(n_missed / n_true if n_true else math.nan, "num")]))
    parts += [piece("heading3", "True errors each method misses"),
              table("missed-by-method", ["method", "n jobs", "true errors missed", "true errors", "fraction missed"],
                    rows)]
    rows = []
    for key, flagged in sorted(groups.items()):
        nobody = truth[key] - set().union(*flagged.values())
        label = " ".join(f"{c}={v}" for c, v in zip(conditions, key, strict=True)) or "all jobs"
        rows.append(Row([cell(label), cell(len(flagged), "num"), cell(len(nobody), "num"),
                         cell(len(truth[key]), "num")]))
    parts += [piece("heading3", "True errors no method flags"),
              table("missed-by-all", ["condition", "methods run", "flagged by none", "true errors"], rows)]
    return parts


def _read_issues(job_dir) -> pd.DataFrame | None:
    if job_dir is None or not (job_dir / "label_issues.csv").is_file():
        return None
    columns = ["index", "is_label_issue", "is_true_error"]
    return pd.read_csv(job_dir / "label_issues.csv", usecols=lambda c: c in columns)
