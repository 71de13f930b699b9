"""The outputs of an Optuna search (hydra/sweeper=optuna), rebuilt from its study alone.

In the sweep dir:

- ``trials.csv``: one row per trial: its number, job dir, status (ok, failed, interrupted),
  the objective value, its parameters and its metrics. The trials never score the test set,
  and no test metric (runner.scoring.metrics.is_held_out) is written here even if one were
  in the study;
- ``best.yaml``: the best trial's overrides (to rerun it), parameters and metrics (no test
  metric), then ``final``: the run of the best configuration in ``final/`` (the one job of the
  search that scores the test set): its objective and its test metrics; and ``reestimate``:
  the objective of the same configuration on seeds the search never saw
  (``final/reestimate/seed=<n>/``), their mean and ``optimism`` = selected value - that mean
  (how much the selection flattered the best trial's value; negative when minimising means
  the same);
- ``optimization_history.png``: the objective of each trial and the best so far.

``python -m runner.search_results SWEEP_DIR`` rewrites them from ``SWEEP_DIR/optuna.db``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from runner.core.io import atomic_savefig, atomic_write_csv, atomic_write_text
from runner.core.layout import DONE, read_json, read_yaml
from runner.scoring.metrics import is_held_out, without_held_out

__all__ = ["best_summary", "trials_frame", "write_search_outputs"]

FLOAT_FORMAT = "%.10g"


FINAL_DIR = "final"  # as hydra_plugins/cleanlearn_optuna_sweeper/_final.py places them
REESTIMATE_DIR = "final/reestimate"


def trials_frame(study) -> pd.DataFrame:
    """One row per trial, in trial order (no timestamps: same study, same bytes)."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        attrs = trial.user_attrs
        status = attrs.get("job_status", "running" if trial.state.name == "RUNNING" else "interrupted")
        row: dict[str, Any] = {
            "trial": trial.number,
            "dir": attrs.get("job_dir", ""),
            "status": status,
            "value": trial.value if trial.state.name == "COMPLETE" else None,
        }
        row.update(trial.params)
        metrics = attrs.get("metrics") or {}
        row.update(without_held_out(metrics))
        row["error"] = attrs.get("error", "")
        rows.append(row)
    return pd.DataFrame(rows, columns=None if rows else ["trial", "dir", "status", "value", "error"])


def best_summary(study, *, metric: str, direction: str, sweep_dir: str | Path | None = None) -> dict[str, Any] | None:
    """The best trial as a plain dict (best.yaml), or None before any trial completed.

    With ``sweep_dir``, also the final run's test metrics and the re-estimated objective, read
    from ``final/`` when it ran the best trial's overrides (module docstring).
    """
    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if not complete:
        return None
    best = study.best_trial
    summary = {
        "metric": metric,
        "direction": direction,
        "value": float(best.value),
        "trial": best.number,
        "dir": best.user_attrs.get("job_dir", ""),
        "overrides": list(best.user_attrs.get("overrides", [])),
        "params": {key: _plain(value) for key, value in best.params.items()},
        "metrics": {key: _plain(value)
                    for key, value in without_held_out(best.user_attrs.get("metrics") or {}).items()},
        "trials": {
            "total": len(study.get_trials(deepcopy=False)),
            "completed": len(complete),
        },
    }
    if sweep_dir is not None:
        summary.update(final_results(Path(sweep_dir), summary["overrides"], metric, summary["value"]))
    return summary


def final_results(sweep_dir: Path, overrides: list[str], metric: str, value: float) -> dict[str, Any]:
    """``{"final": ..., "reestimate": ...}`` of the runs of ``overrides`` after the search
    (those that finished; nothing for a best trial that has not been rerun yet)."""
    results: dict[str, Any] = {}
    final = _finished_metrics(sweep_dir / FINAL_DIR, overrides)
    if final is not None:
        results["final"] = {
            "dir": FINAL_DIR,
            "value": _plain(final.get(metric)),
            "test_metrics": {k: _plain(v) for k, v in final.items() if is_held_out(k)},
        }
    seeds, values = [], []
    reestimate_dir = sweep_dir / REESTIMATE_DIR
    runs = sorted(reestimate_dir.iterdir(), key=lambda p: p.name) if reestimate_dir.is_dir() else []
    for run_dir in runs:
        recorded = _finished_metrics(run_dir, overrides, ignore=("seed",))
        if recorded is None or metric not in recorded:
            continue
        seed = next((o.partition("=")[2] for o in read_yaml(run_dir / ".hydra" / "overrides.yaml")
                     if o.partition("=")[0] == "seed"), None)
        seeds.append(int(seed) if seed is not None and seed.lstrip("-").isdigit() else seed)
        values.append(float(recorded[metric]))
    if values:
        order = sorted(range(len(seeds)), key=lambda i: (str(type(seeds[i])), seeds[i]))
        seeds, values = [seeds[i] for i in order], [values[i] for i in order]
        mean = float(np.mean(values))
        results["reestimate"] = {
            "seeds": seeds,
            "values": values,
            "mean": mean,
            "sd": float(np.std(values, ddof=1)) if len(values) > 1 else None,
            "optimism": float(value) - mean,
        }
    return results


def _finished_metrics(run_dir: Path, overrides: list[str], ignore: tuple[str, ...] = ()) -> dict | None:
    """The metrics of a finished run of ``overrides`` (keys in ``ignore`` aside), else None."""
    if not (run_dir / DONE).is_file():
        return None

    def kept(items):
        return sorted(str(o) for o in items if str(o).partition("=")[0].lstrip("+~") not in ignore)

    recorded = read_yaml(run_dir / ".hydra" / "overrides.yaml") or []
    if kept(recorded) != kept(overrides):
        return None
    return read_json(run_dir / "metrics.json", unreadable="none")


def write_search_outputs(study, sweep_dir: str | Path, *, metric: str, direction: str) -> None:
    """trials.csv, best.yaml and optimization_history.png in ``sweep_dir`` (atomic writes)."""
    sweep_dir = Path(sweep_dir)
    frame = trials_frame(study)
    atomic_write_csv(sweep_dir / "trials.csv", frame, float_format=FLOAT_FORMAT)
    best = best_summary(study, metric=metric, direction=direction, sweep_dir=sweep_dir)
    if best is None:
        return
    atomic_write_text(sweep_dir / "best.yaml", yaml.safe_dump(best, sort_keys=False))
    _plot_history(frame, metric, direction, sweep_dir / "optimization_history.png")


def _plot_history(frame: pd.DataFrame, metric: str, direction: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    done = frame[frame["status"] == "ok"].dropna(subset=["value"])
    best_so_far = done["value"].cummax() if direction == "maximize" else done["value"].cummin()
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.plot(done["trial"], done["value"], "o", label="trial", alpha=0.7)
    ax.step(done["trial"], best_so_far, where="post", label="best so far", color="tab:red")
    failed = frame[frame["status"] != "ok"]
    for number in failed["trial"]:
        ax.axvline(number, color="grey", alpha=0.3, linewidth=1)
    ax.set_xlabel("trial (grey: failed or interrupted)")
    ax.set_ylabel(metric)
    ax.set_title(f"optimisation history ({direction} {metric})")
    ax.legend(loc="best")
    atomic_savefig(fig, path, dpi=100)


def _plain(value: Any) -> Any:
    """YAML-safe scalars (numpy types from a job's metrics become Python ones)."""
    if hasattr(value, "item"):
        return value.item()
    return value


def main(argv: list[str] | None = None) -> None:
    import optuna

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path)
    parser.add_argument("--study-name", default="search")
    args = parser.parse_args(argv)
    database = args.sweep_dir / "optuna.db"
    if not database.is_file():
        parser.error(f"sweep_dir {str(args.sweep_dir)!r} holds no study (no optuna.db)")
    storage = f"sqlite:///{database.resolve()}"
    study = optuna.load_study(study_name=args.study_name, storage=storage)
    metric = study.user_attrs.get("metric", "value")
    write_search_outputs(study, args.sweep_dir, metric=metric, direction=study.direction.name.lower())


if __name__ == "__main__":
    main()
