"""The metric registry: every metric a run writes, with which way is better and what it means.

Each family of metrics is one module of this package that computes them and registers their
definitions beside the code (:func:`register`); the modules are discovered (imported by
``pkgutil`` over this package), never listed. The registry feeds the summary's directions and
shown columns (runner.results), the report's metrics table (runner.report) and the docs' table
(docs/runner/metrics.md, generated at build; ``python -m runner.scoring.metrics`` prints it).

A :class:`Metric` has a ``name``, a ``direction`` (:data:`HIGHER`, :data:`LOWER`,
:data:`ZERO` = closest to 0, or None for a descriptive count or rate), a one-line ``meaning``,
the ``labels`` it needs (``"given"``: any run; ``"true"``: the true labels or an error mask
are known; ``"held-out"``: a test or validation part exists), ``held_out`` for metrics scored
on labels no step of the run learned from (``test_*``, ``val_*``), and ``rank``, its place in
tables. ``direction(name)`` also answers for metrics not registered (timings, errors).
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
    "markdown_table",
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
               "`write`, `total`)", "lower", "")


def markdown_table() -> str:
    """The docs' table of the metrics, from the registry (``python -m runner.scoring.metrics``)."""
    lines = ["| metric | meaning | better | needs |", "|---|---|---|---|"]
    for metric in ordered():
        needs = {"given": "", "true": "true errors known", "held-out": "a held-out part"}[metric.labels]
        meaning = metric.meaning.replace("|", "\\|")
        lines.append(f"| `{metric.name}` | {meaning} | {metric.direction or ''} | {needs} |")
    lines.append("| " + " | ".join(TIMINGS_ROW) + " |")
    return "\n".join(lines) + "\n"


def _discover() -> None:
    """Import every module of this package: each registers its own metrics."""
    for module_info in pkgutil.iter_modules(__path__, prefix=f"{__name__}."):
        if not module_info.name.rpartition(".")[2].startswith("_"):  # not __main__
            importlib.import_module(module_info.name)


_discover()
