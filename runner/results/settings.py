"""How a sweep's results are computed: the ``summary.*`` settings and the axes of a summary.

Research results of a sweep are computed from its per-job table (summary.csv).

Files, all rebuilt from the job dirs on disk by runner.results.summarize:

    results.csv / .md      one row per group of replicates: counts by status, and per metric
                           mean, std (ddof=1) and the 95% Student t interval over the replicates
    comparisons.csv / .md  every pair of methods per (metric, condition) with one paired test
                           (``summary.test``) and its interval, Holm within the pairs; the gain of
                           cleaning over the baseline (runner.results.comparisons)
    ranks.csv / .md        average ranks, Friedman / Iman-Davenport, pairwise Wilcoxon-Holm,
                           Nemenyi CD, within conditions and across them (runner.results.rankings)
    table.md / .tex        the paper table: rows = methods, columns = conditions, mean ± std
    results.pdf / .png     the compare metric (and test accuracy) across the swept axes
    cd.pdf / .png          the critical-difference diagram (docs/guide/statistics.md)

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

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from runner.core.names import did_you_mean
from runner.results.frames import first_value, n_values
from runner.scoring.metrics import direction
from runner.statistics import TESTS

RESULT_FILES = ("results.csv", "results.md", "comparisons.csv", "comparisons.md", "table.md",
                "table.tex", "results.png", "results.pdf", "ranks.csv", "ranks.md", "cd.pdf", "cd.png")
STATUSES = ("ok", "failed", "interrupted", "incomplete")
METHOD_GROUPS = ("classifier", "cleanlearning", "quality_score")
ACCURACY = ("test_accuracy_baseline", "test_accuracy_cleanlearning")



# ---------------------------------------------------------------------------------------
# settings and axes


@dataclass(frozen=True)
class SummarySettings:
    """The ``summary.*`` config: how jobs are grouped and compared."""

    replicate_by: tuple[str, ...] = ("seed",)
    compare_metric: str | None = None
    method_axes: tuple[str, ...] | None = None
    test: str = "t"

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
            test=node.get("test", "t"),
        )


def summary_problems(node: Mapping, dataset: Mapping | None = None) -> list[str]:
    """One line per bad ``summary.*`` value (config validation; never raises).

    ``dataset``: the run's dataset node, when known, so that ``summary.test=corrected_t`` is
    refused where there is no re-split test part (``dataset=precomputed``, ``test_size=0``).
    """
    problems = []
    known = ("replicate_by", "compare_metric", "method_axes", "test")
    for key in node:
        if key not in known:
            problems.append(f"summary.{key} is not a known key (known: {', '.join(known)}); got {node[key]!r}"
                            f"{did_you_mean(key, known)}")
    replicate_by = node.get("replicate_by", "seed")
    if not (isinstance(replicate_by, str) and replicate_by) and not _is_list_of_names(replicate_by, empty=True):
        problems.append(f"summary.replicate_by must be an override key or a list of keys; got {_plain(replicate_by)!r}")
    metric = node.get("compare_metric")
    if metric is not None and not (isinstance(metric, str) and metric):
        problems.append(f"summary.compare_metric must be null or a metric name; got {_plain(metric)!r}")
    elif metric is not None and direction(metric) is None:
        problems.append(
            f"summary.compare_metric must be a metric with a direction (higher, lower or closest to 0 "
            f"is better, see runner/scoring/metrics/); got {metric!r}"
        )
    axes = node.get("method_axes")
    if axes is not None and not _is_list_of_names(axes, empty=True):
        problems.append(f"summary.method_axes must be null or a list of override keys; got {_plain(axes)!r}")
    test = node.get("test", "t")
    if test not in TESTS:
        problems.append(f"summary.test must be one of {', '.join(TESTS)}; got {_plain(test)!r}")
    elif test == "corrected_t":
        problems += corrected_t_problems(metric, dataset)
    return problems


def corrected_t_problems(metric: str | None, dataset: Mapping | None = None) -> list[str]:
    """Why ``summary.test=corrected_t`` does not apply (one line), or nothing.

    Nadeau & Bengio's correction is for a metric measured on the re-split test part: a
    ``test_*`` metric of a dataset with a test part drawn per seed.
    """
    if not (isinstance(metric, str) and metric.startswith("test_")):
        return [f"summary.test=corrected_t applies only to metrics measured on the re-split test part "
                f"(test_*); summary.compare_metric is {metric!r} (set it to e.g. test_accuracy_cleanlearning, "
                f"or use summary.test=t or wilcoxon)"]
    if dataset is None:
        return []
    name = dataset.get("name") if hasattr(dataset, "get") else None
    if name == "precomputed":
        return ["summary.test=corrected_t needs a test part re-split per seed; dataset=precomputed has none "
                "(use summary.test=t or wilcoxon)"]
    test_size = dataset.get("test_size") if hasattr(dataset, "get") else None
    if test_size is not None and not isinstance(test_size, str) and float(test_size) == 0:
        return ["summary.test=corrected_t needs a test part re-split per seed; dataset.test_size=0 has none "
                "(use summary.test=t or wilcoxon)"]
    return []


@dataclass(frozen=True)
class Axes:
    """How the override columns of a summary take part in the results (see module docstring)."""

    constant: dict[str, object]
    replicate: tuple[str, ...]  # replicate keys present in the summary
    methods: tuple[str, ...]
    conditions: tuple[str, ...]
    groups: tuple[str, ...]  # every axis, in summary column order: one group per combination


def summary_columns(summary: pd.DataFrame) -> list[str]:
    """The override columns of summary.csv: between ``dir`` and ``status`` (the one rule of its
    layout: job, dir, overrides..., status, metrics..., error)."""
    columns = list(summary.columns)
    if "status" not in columns:
        return []
    start = columns.index("dir") + 1 if "dir" in columns else 0
    return columns[start : columns.index("status")]


def override_columns(summary: pd.DataFrame) -> list[str]:
    """The override columns that are axes of the results: :func:`summary_columns` but summary.*."""
    return [c for c in summary_columns(summary) if not c.startswith(("summary.", "hydra."))]


def find_axes(summary: pd.DataFrame, settings: SummarySettings) -> Axes:
    keys = override_columns(summary)
    replicate = tuple(k for k in settings.replicate_by if k in keys)
    varying = [k for k in keys if k not in replicate and n_values(summary[k]) > 1]
    constant = {k: first_value(summary[k]) for k in keys if k not in replicate and k not in varying}
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



def _is_list_of_names(value, *, empty: bool) -> bool:
    value = _plain(value)
    return isinstance(value, (list, tuple)) and (empty or value) and all(isinstance(v, str) and v for v in value)


def _plain(value):
    from omegaconf import DictConfig, ListConfig, OmegaConf

    if isinstance(value, (DictConfig, ListConfig)):
        return OmegaConf.to_container(value)
    return value


