"""How numbers, p-values, intervals and conditions are written in the Markdown and LaTeX files."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from runner.results.frames import is_missing, short_names, value_text

__all__ = ["condition_label", "interval_cell", "mean_pm", "number", "p_cell", "realised_rate", "tex", "tex_pm"]

# A realised noise rate is printed beside the nominal one when they differ by more than this.
REALISED_TOLERANCE = 0.005


def number(value: float, magnitude: float | None = None) -> str:
    """3 decimals below 10, 1 below 100, none above (by ``magnitude``, default the value's)."""
    magnitude = abs(value) if magnitude is None else magnitude
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def mean_pm(mean: float, spread: float) -> str:
    """'0.812 ± 0.014'; both numbers with the decimals of the larger one."""
    if is_missing(mean):
        return ""
    if is_missing(spread):
        return number(mean)
    magnitude = max(abs(mean), abs(spread))
    return f"{number(mean, magnitude)} ± {number(spread, magnitude)}"


def tex_pm(mean: float, spread: float) -> str:
    return mean_pm(mean, spread).replace("±", "$\\pm$")


def tex(text: str) -> str:
    for char in ("\\", "&", "%", "$", "#", "_", "{", "}"):
        text = text.replace(char, "\\" + char if char != "\\" else "\\textbackslash{}")
    return text


def p_cell(p: float) -> str:
    if is_missing(p):
        return ""
    return f"{p:.2g}" if p >= 0.001 else f"{p:.1e}"


def signed(value: float) -> str:
    if is_missing(value):
        return ""
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    return f"{value:+.3f}"


def interval_cell(estimate: float, low: float, high: float) -> str:
    """'+0.042 [+0.027, +0.057]'; the estimate alone without an interval."""
    if is_missing(estimate):
        return ""
    text = signed(estimate)
    if not is_missing(low):
        text += f" [{signed(low)}, {signed(high)}]"
    return text


def realised_rate(jobs: pd.DataFrame) -> tuple[float, float] | None:
    """(mean, std) of the realised noise rate (``true_noise_rate``) over ``jobs``, or None."""
    if "true_noise_rate" not in jobs:
        return None
    values = pd.to_numeric(jobs["true_noise_rate"], errors="coerce").dropna()
    if values.empty:
        return None
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else math.nan


def realised_note(jobs: pd.DataFrame, nominal) -> str:
    """' (realised 0.17 ± 0.01)' when the realised noise rate differs from the nominal one."""
    realised = realised_rate(jobs)
    try:
        nominal = float(nominal)
    except (TypeError, ValueError):
        return ""
    if realised is None or abs(realised[0] - nominal) <= REALISED_TOLERANCE:
        return ""
    spread = "" if is_missing(realised[1]) else f" ± {realised[1]:.2f}" if realised[1] >= 0.005 else (
        f" ± {realised[1]:.3f}")
    return f" (realised {realised[0]:.2f}{spread})"


def condition_label(keys: Sequence[str], values: Sequence, jobs: pd.DataFrame | None = None) -> str:
    """'noise.rate 0.2 (realised 0.17 ± 0.01), sparsity 0': a condition, the realised noise rate
    beside the nominal one where they differ (``jobs``: the condition's finished jobs)."""
    names = short_names(list(keys))
    parts = []
    for key, value in zip(keys, values, strict=True):
        text = f"{names[key]} {value_text(value)}"
        if key == "noise.rate" and jobs is not None:
            text += realised_note(jobs, value)
        parts.append(text)
    return ", ".join(parts) or "the one condition"
