"""A search never selects on the test set: no test metric anywhere in its outputs but best.yaml and final/.

A small search (iris, logistic regression, 3 trials, 2 fresh seeds) tracked in MLflow; then
every file of the sweep dir except best.yaml and final/ is read (job dirs, optuna.db and the
MLflow database row by row, trials.csv, summaries, reports, MLflow artifacts) for the names of
the registry's test metrics.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from runner.scoring.metrics import METRICS

REPO = Path(__file__).resolve().parents[2]
TEST_METRICS = sorted(name for name, metric in METRICS.items() if metric.held_out)


def sqlite_text(path: Path) -> str:
    """Every table's every row of a SQLite database, as text."""
    with sqlite3.connect(path) as connection:
        tables = [row[0] for row in connection.execute("select name from sqlite_master where type='table'")]
        return "\n".join(repr(row) for table in tables for row in connection.execute(f'select * from "{table}"'))


@pytest.mark.slow
def test_a_search_shows_no_test_metric_outside_best_yaml_and_final(tmp_path):
    sweep_dir = tmp_path / "search"
    command = [
        sys.executable, "-m", "runner", "-m", "hydra/sweeper=optuna", f"hydra.sweep.dir={sweep_dir}",
        f"cache_dir={tmp_path / 'cache'}", "dataset=iris", "classifier=logreg", "dataset.validation_size=0.2",
        "cleanlearning.cv_n_folds=2", "hydra.sweeper.n_trials=3", "hydra.sweeper.reestimate_seeds=2",
        "classifier.C=tag(log, interval(0.01, 100))",
        "logger=mlflow", f"hydra.callbacks.mlflow.tracking_uri=sqlite:///{sweep_dir / 'mlflow.db'}",
    ]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "test_accuracy_cleanlearning" in TEST_METRICS and "val_accuracy_cleanlearning" not in TEST_METRICS

    # 1) nowhere but best.yaml and final/
    checked = []
    for path in sorted(sweep_dir.rglob("*")):
        relative = path.relative_to(sweep_dir)
        if not path.is_file() or str(relative) == "best.yaml" or relative.parts[0] == "final":
            continue
        text = sqlite_text(path) if path.suffix == ".db" else path.read_bytes().decode("utf-8", "replace")
        found = [name for name in [*TEST_METRICS, "test_accuracy"] if name in text]
        assert not found, f"{relative} holds {found}"
        checked.append(relative)
    names = {str(p) for p in checked}
    assert {"optuna.db", "mlflow.db", "trials.csv", "summary.csv", "results.md", "report.html"} <= names
    trial_dirs = [p for p in sweep_dir.iterdir() if p.is_dir() and (p / "DONE").is_file() and p.name != "final"]
    assert len(trial_dirs) == 3
    summary = pd.read_csv(sweep_dir / "summary.csv")  # the trials only, not final/
    assert sorted(summary.loc[summary["status"] == "ok", "dir"]) == sorted(p.name for p in trial_dirs)
    assert any(str(p).endswith("metrics.json") for p in checked) and any(p.parts[0] == "mlartifacts" for p in checked)
    console = result.stdout + result.stderr
    assert "test_accuracy" not in console and "test accuracy" not in console

    # 2) the progress line: the objective and the trial count
    for number in (1, 2, 3):
        assert f"[{number}/3] ok" in console
    assert "val_accuracy_cleanlearning=" in console

    # 3) the final run scored the test set; best.yaml reports it and the fresh seeds
    best = yaml.safe_load((sweep_dir / "best.yaml").read_text())
    final = json.loads((sweep_dir / "final" / "metrics.json").read_text())
    assert best["final"]["value"] == pytest.approx(best["value"])  # same configuration, same seed
    assert best["final"]["test_metrics"] == {name: final[name] for name in final if name in TEST_METRICS}
    assert {"test_accuracy_baseline", "test_accuracy_cleanlearning"} <= set(best["final"]["test_metrics"])
    assert not [name for name in best["metrics"] if name in TEST_METRICS]
    reestimate = best["reestimate"]
    assert reestimate["seeds"] == [1, 2]  # the trials ran with seed 0
    values = [json.loads((sweep_dir / "final" / "reestimate" / f"seed={seed}" / "metrics.json").read_text())
              ["val_accuracy_cleanlearning"] for seed in (1, 2)]
    assert reestimate["values"] == values
    assert reestimate["optimism"] == pytest.approx(best["value"] - sum(values) / 2)

    # 4) MLflow: the trials are the children; the parent has the objective, no test metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{sweep_dir / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("cleanlearn")
    runs = client.search_runs([experiment.experiment_id])
    parents = [run for run in runs if "mlflow.parentRunId" not in run.data.tags]
    children = [run for run in runs if "mlflow.parentRunId" in run.data.tags]
    assert len(parents) == 1 and len(children) == 3
    assert parents[0].data.metrics["best_val_accuracy_cleanlearning"] == pytest.approx(best["value"])
    assert parents[0].data.metrics["reestimated_val_accuracy_cleanlearning"] == pytest.approx(reestimate["mean"])
