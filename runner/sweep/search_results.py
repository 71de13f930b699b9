"""The outputs of an Optuna search (hydra/sweeper=optuna), rebuilt from its study alone.

In the sweep dir:

- ``trials.csv``: one row per trial: its number, job dir, status (ok, failed, interrupted),
  the objective value, its parameters and its metrics, except the test-set ones (``test_*``):
  the test accuracy is reported for the best trial only, so nothing is selected on it;
- ``best.yaml``: the best trial's overrides (to rerun it), parameters and every metric,
  test accuracy included;
- ``optimization_history.png``: the objective of each trial and the best so far.

``python -m runner.search_results SWEEP_DIR`` rewrites them from ``SWEEP_DIR/optuna.db``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from runner.core.io import atomic_savefig, atomic_write_csv, atomic_write_text

__all__ = ["best_summary", "trials_frame", "write_search_outputs"]

FLOAT_FORMAT = "%.10g"


def _is_reported_per_trial(metric: str) -> bool:
    return not metric.startswith("test_")


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
        row.update({k: v for k, v in metrics.items() if _is_reported_per_trial(k)})
        row["error"] = attrs.get("error", "")
        rows.append(row)
    return pd.DataFrame(rows, columns=None if rows else ["trial", "dir", "status", "value", "error"])


def best_summary(study, *, metric: str, direction: str) -> dict[str, Any] | None:
    """The best trial as a plain dict (best.yaml), or None before any trial completed."""
    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if not complete:
        return None
    best = study.best_trial
    return {
        "metric": metric,
        "direction": direction,
        "value": float(best.value),
        "trial": best.number,
        "dir": best.user_attrs.get("job_dir", ""),
        "overrides": list(best.user_attrs.get("overrides", [])),
        "params": {key: _plain(value) for key, value in best.params.items()},
        "metrics": {key: _plain(value) for key, value in (best.user_attrs.get("metrics") or {}).items()},
        "trials": {
            "total": len(study.get_trials(deepcopy=False)),
            "completed": len(complete),
        },
    }


def write_search_outputs(study, sweep_dir: str | Path, *, metric: str, direction: str) -> None:
    """trials.csv, best.yaml and optimization_history.png in ``sweep_dir`` (atomic writes)."""
    sweep_dir = Path(sweep_dir)
    frame = trials_frame(study)
    atomic_write_csv(sweep_dir / "trials.csv", frame, float_format=FLOAT_FORMAT)
    best = best_summary(study, metric=metric, direction=direction)
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
