"""Run report: the metrics with their meaning (from the metric registry) and the noise rate."""

from __future__ import annotations

from runner.report.context import RunContext
from runner.report.html import Row, Section, cell, flatten, format_value, note, table
from runner.report.sections import report_section
from runner.scoring.metrics import ordered


@report_section("run", rank=10)
def metrics_section(run: RunContext) -> list[Section]:
    if not run.metrics:
        return [Section("Metrics", [note("No metrics.json in this dir.")])]
    flat = flatten(run.metrics)
    timings = {k: v for k, v in flat.items() if k.endswith("_seconds")}
    meanings = {metric.name: metric.meaning.replace("`", "") for metric in ordered()}
    order = {name: position for position, name in enumerate(meanings)}  # the registry's (the docs table's) order
    names = sorted((k for k in flat if k not in timings), key=lambda k: (order.get(k, len(order)), k))
    rows = [Row([cell(k), cell(flat[k], "num"), cell(meanings.get(k, ""))]) for k in names]
    parts = [table("metrics", ["metric", "value", "meaning"], rows, sortable=False)]
    if timings:
        parts.append(note("Timings (seconds): " + ", ".join(f"{k.removesuffix('_seconds')} {format_value(v)}"
                                                             for k, v in timings.items())))
    return [Section("Metrics", parts)]


@report_section("run", rank=20)
def noise_rate_section(run: RunContext) -> list[Section]:
    metrics = run.metrics
    estimated, true = metrics.get("estimated_noise_rate"), metrics.get("true_noise_rate")
    if estimated is None:
        text = "No estimated noise rate in metrics.json."
    elif true is None:
        text = f"Estimated noise rate {estimated:.3f}; the true rate is not known for this run."
    else:
        n = metrics.get("n_examples")
        counts = f" (about {estimated * n:.0f} vs {true * n:.0f} of {n} labels)" if isinstance(n, int) else ""
        text = (f"Estimated {estimated:.3f} vs true {true:.3f}: off by {estimated - true:+.3f}{counts}. "
                f"Flagged {metrics.get('n_label_issues')} examples.")
    return [Section("Noise rate: estimated vs true", [note(text)])]
