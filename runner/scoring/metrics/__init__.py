"""The metric registry: every metric a run writes, with which way is better and what it means.

Each family of metrics is one module of this package that computes them and registers their
definitions beside the code (:func:`register`); the modules are discovered (imported by
``pkgutil`` over this package), never listed. The registry feeds the summary's directions and
shown columns (runner.results), the report's metrics table (runner.report) and the docs' table
(docs/runner/metrics.md, generated at build; ``python -m runner.scoring.metrics`` prints it).

A :class:`Metric` has a ``name``, a ``direction`` (:data:`HIGHER`, :data:`LOWER`,
:data:`ZERO` = closest to 0, or None for a descriptive count or rate), a one-line ``meaning``,
the ``labels`` it needs (``"given"``: any run; ``"true"``: the true labels or an error mask
are known; ``"held-out"``: a test or validation part exists), ``scored_on``: which labels it
is scored against, ``held_out`` for metrics scored on the held-out test part (``test_*``),
and ``rank``, its place in tables. ``direction(name)`` also answers for metrics not
registered (timings, errors).

``held_out`` is the one answer to "is this a test metric?" (:func:`is_held_out`): a search
must never see one (no trial scores the test part; only the final run of the best
configuration does), and every writer of search outputs (the sweeper, the sweep summary,
tracking, progress lines) asks :func:`is_held_out` instead of keeping a list of its own. The
validation metrics (``val_*``) are not held out: they are what a search selects on.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

import numpy as np

__all__ = [
    "HIGHER",
    "LOWER",
    "METRICS",
    "Metric",
    "ZERO",
    "best_index",
    "best_mask",
    "direction",
    "held_out_names",
    "is_held_out",
    "markdown_table",
    "without_held_out",
    "register",
]

HIGHER, LOWER, ZERO = "higher", "lower", "closest to 0"
LABELS = ("given", "true", "held-out")


@dataclass(frozen=True)
class Metric:
    """One metric of metrics.json (see the module docstring)."""

    name: str
    direction: str | None
    meaning: str
    labels: str = "given"
    held_out: bool = False
    rank: float = 100.0
    scored_on: str = ""  # which labels it is scored against; "" = from ``labels`` (SCORED_ON)

    def __post_init__(self):
        if self.direction not in (HIGHER, LOWER, ZERO, None):
            raise ValueError(f"direction of {self.name} must be one of {HIGHER!r}, {LOWER!r}, {ZERO!r} or None; "
                             f"got {self.direction!r}")
        if self.labels not in LABELS:
            raise ValueError(f"labels of {self.name} must be one of {LABELS}; got {self.labels!r}")


# name -> Metric, filled by the modules of this package as they are imported (below).
METRICS: dict[str, Metric] = {}


def register(*metrics: Metric) -> None:
    """Add metric definitions to the registry (a name registers once)."""
    for metric in metrics:
        if metric.name in METRICS and METRICS[metric.name] != metric:
            raise ValueError(f"metric {metric.name!r} is registered twice, differently")
        METRICS[metric.name] = metric


def ordered() -> list[Metric]:
    """The registered metrics in table order (rank, then name)."""
    return sorted(METRICS.values(), key=lambda metric: (metric.rank, metric.name))


def is_held_out(name: str) -> bool:
    """True for a metric scored on the held-out test part (a search must never see it).

    Registered metrics answer with their ``held_out`` flag; a name the registry does not know
    is held out when it starts with ``test_`` (the naming rule the registered ones follow).
    """
    if name in METRICS:
        return METRICS[name].held_out
    return str(name).startswith("test_")


def held_out_names(names) -> list[str]:
    """The held-out metrics among ``names``, in their order."""
    return [name for name in names if is_held_out(name)]


def without_held_out(metrics: dict) -> dict:
    """``metrics`` without its held-out (test) entries, in the same order."""
    return {name: value for name, value in metrics.items() if not is_held_out(name)}


def direction(name: str) -> str | None:
    """"higher", "lower", "closest to 0", or None for a descriptive metric (a count, a rate)."""
    if name in METRICS:
        return METRICS[name].direction
    if name.endswith("_seconds") or name.endswith("_error"):
        return LOWER
    if "accuracy" in name or name.startswith("issue_"):
        return HIGHER
    return None


def best_index(name: str, values) -> int | None:
    """Position of the best of ``values`` (NaN ignored; first on ties), None without a direction."""
    values = np.asarray(values, dtype=float)
    way = direction(name)
    if way is None or np.isnan(values).all():
        return None
    key = {HIGHER: -values, LOWER: values, ZERO: np.abs(values)}[way]
    return int(np.nanargmin(key))


def best_mask(name: str, values) -> np.ndarray:
    """True where a value ties with the best of ``values`` (all False without a direction)."""
    values = np.asarray(values, dtype=float)
    best = best_index(name, values)
    if best is None:
        return np.zeros(values.shape, dtype=bool)
    if direction(name) == ZERO:
        values, target = np.abs(values), abs(values[best])
    else:
        target = values[best]
    return np.isclose(values, target, rtol=1e-12, atol=0.0)


TIMINGS_ROW = ("`*_seconds`", "timings of each stage (`data`, `cv`, `baseline`, `filter`, `final_fit`, "
               "`write`, `total`)", "lower", "", "", "")
# The labels a metric is scored against, by what it needs, unless it says so itself (scored_on).
SCORED_ON = {
    "given": "given training labels",
    "true": "true training labels (or the error mask)",
    "held-out": "given labels of the part it names",
}


def scored_on(metric: Metric) -> str:
    """Which labels ``metric`` is scored against (its own ``scored_on``, else by its ``labels``)."""
    return metric.scored_on or SCORED_ON[metric.labels]


def markdown_table() -> str:
    """The table of the metrics, from the registry (``python -m runner.scoring.metrics``;
    docs/guide/metrics.md holds it, a test keeps the two equal)."""
    lines = ["| metric | meaning | better | needs | scored against | test metric |", "|---|---|---|---|---|---|"]
    for metric in ordered():
        needs = {"given": "", "true": "true errors known", "held-out": "a held-out part"}[metric.labels]
        meaning = metric.meaning.replace("|", "\\|")
        held_out = "yes: never in a search's trials" if metric.held_out else ""
        lines.append(f"| `{metric.name}` | {meaning} | {metric.direction or ''} | {needs} | "
                     f"{scored_on(metric)} | {held_out} |")
    lines.append("| " + " | ".join(TIMINGS_ROW) + " |")
    return "\n".join(lines) + "\n"


def _discover() -> None:
    """Import every module of this package: each registers its own metrics."""
    for module_info in pkgutil.iter_modules(__path__, prefix=f"{__name__}."):
        if not module_info.name.rpartition(".")[2].startswith("_"):  # not __main__
            importlib.import_module(module_info.name)


_discover()
