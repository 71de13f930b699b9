"""logger=mlflow: sweeps and single runs logged to a SQLite MLflow store, read back with MlflowClient."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from _jobs import find_job
from hydra.core.utils import JobReturn, JobStatus
from mlflow.tracking import MlflowClient
from omegaconf import OmegaConf

from runner.sweep.tracking import MlflowCallback

REPO = Path(__file__).resolve().parents[2]
FAST = ("experiment=quick", "cache_dir=null", "logger=mlflow")


def run_runner(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "runner", *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)


def runs_by_name(client: MlflowClient) -> dict[str, list]:
    experiment = client.get_experiment_by_name("cleanlearn")
    runs: dict[str, list] = {}
    for run in client.search_runs([experiment.experiment_id], order_by=["attributes.start_time ASC"]):
        runs.setdefault(run.info.run_name, []).append(run)
    return runs


def artifact_names(client: MlflowClient, run) -> set[str]:
    return {artifact.path for artifact in client.list_artifacts(run.info.run_id)}


@pytest.mark.slow
def test_two_parallel_jobs_are_children_of_a_closed_parent_run_and_resume_logs_no_duplicate(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    sweep_dir = tmp_path / "sweep"
    # job 0 succeeds, job 1 fails (LogisticRegression(C=-1)); both at once under joblib
    args = ("-m", f"hydra.sweep.dir={sweep_dir}", *FAST, f"hydra.callbacks.mlflow.tracking_uri={uri}",
            "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "classifier.C=1,-1")
    first = run_runner(*args)
    assert first.returncode != 0  # a job failed: Hydra skips on_multirun_end
    assert "tracking:" not in first.stderr, first.stderr[-3000:]

    client = MlflowClient(tracking_uri=uri)
    runs = runs_by_name(client)
    assert sorted(runs) == ["job 0", "job 1", f"sweep {sweep_dir.name}"]
    (parent,) = runs[f"sweep {sweep_dir.name}"]
    (ok_job,) = runs["job 0"]
    (failed_job,) = runs["job 1"]
    # The parent was closed at exit of the sweep process, as failed.
    assert parent.info.status == "FAILED" and parent.info.end_time is not None
    assert parent.data.params["classifier.C"] == "1,-1"
    for child in (ok_job, failed_job):
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert ok_job.info.status == "FINISHED" and failed_job.info.status == "FAILED"
    assert ok_job.data.params["classifier.C"] == "1" and failed_job.data.params["classifier.C"] == "-1"
    metrics = json.loads((find_job(sweep_dir, "classifier.C=1") / "metrics.json").read_text())
    assert ok_job.data.metrics["issue_f1"] == pytest.approx(metrics["issue_f1"])
    assert ok_job.data.metrics["n_label_issues"] == metrics["n_label_issues"]
    assert {"label_issues.csv", "metrics.json", "matrices.png", "resolved_config.yaml"} <= artifact_names(
        client, ok_job
    )
    assert "status.json" in artifact_names(client, failed_job) and not failed_job.data.metrics
    local = Path(client.download_artifacts(ok_job.info.run_id, "label_issues.csv", str(tmp_path / "dl")))
    assert local.read_bytes() == (find_job(sweep_dir, "classifier.C=1") / "label_issues.csv").read_bytes()

    # Resume: the finished job is skipped and not logged again; the failed one runs again.
    second = run_runner(*args)
    assert second.returncode != 0
    runs = runs_by_name(client)
    assert len(runs["job 0"]) == 1 and len(runs["job 1"]) == 2
    (parent_again,) = runs[f"sweep {sweep_dir.name}"]
    assert parent_again.info.run_id == parent.info.run_id and parent_again.info.status == "FAILED"
    assert all(child.info.status != "RUNNING" for name in runs for child in runs[name])


@pytest.mark.slow
def test_single_run_is_a_top_level_run(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run_dir = tmp_path / "run"
    result = run_runner(f"hydra.run.dir={run_dir}", *FAST, f"hydra.callbacks.mlflow.tracking_uri={uri}", "seed=3")
    assert result.returncode == 0, result.stderr[-3000:]
    client = MlflowClient(tracking_uri=uri)
    (run,) = runs_by_name(client)["run run"]
    assert run.info.status == "FINISHED" and "mlflow.parentRunId" not in run.data.tags
    assert run.data.params["seed"] == "3"
    assert run.data.metrics["test_accuracy_cleanlearning"] == pytest.approx(
        json.loads((run_dir / "metrics.json").read_text())["test_accuracy_cleanlearning"]
    )
    assert (tmp_path / "mlartifacts").is_dir()  # artifacts beside the database, not in the cwd


def test_a_tracking_failure_only_warns(tmp_path, caplog):
    (tmp_path / "not_a_dir").write_text("a file where the database directory should be")
    callback = MlflowCallback(tracking_uri=f"sqlite:///{tmp_path / 'not_a_dir'}/mlflow.db")
    job_dir = tmp_path / "run"
    job_dir.mkdir()
    (job_dir / "metrics.json").write_text('{"issue_f1": 0.5}')
    config = OmegaConf.create({"hydra": {
        "mode": "RUN", "runtime": {"output_dir": str(job_dir)}, "job": {"num": 0}, "overrides": {"task": []},
    }})
    job_return = JobReturn(status=JobStatus.COMPLETED, _return_value={"issue_f1": 0.5})
    with caplog.at_level(logging.WARNING, logger="runner.sweep.tracking"):
        callback.on_job_start(config=config)
        callback.on_job_end(config=config, job_return=job_return)  # does not raise
    assert "tracking: logging the job in MLflow failed (the job's files are unaffected)" in caplog.text


def test_logger_mlflow_adds_the_callback_with_a_database_under_outputs(monkeypatch, tmp_path):
    from hydra import compose, initialize_config_dir
    from hydra.utils import instantiate

    from runner.config import register_configs

    register_configs()
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        cfg = compose(config_name="config", overrides=["logger=mlflow"], return_hydra_config=True)
        plain = compose(config_name="config", return_hydra_config=True)
    assert "mlflow" not in plain.hydra.callbacks
    # Tracking settings live under hydra.callbacks: the job's own config is unchanged.
    job_config, plain_job_config = (OmegaConf.to_container(c, resolve=False) for c in (cfg, plain))
    job_config.pop("hydra"), plain_job_config.pop("hydra")
    assert job_config == plain_job_config
    monkeypatch.chdir(tmp_path)
    callback = instantiate(cfg.hydra.callbacks.mlflow)
    assert isinstance(callback, MlflowCallback)
    assert callback.tracking_uri == f"sqlite:///{tmp_path.resolve() / 'outputs' / 'mlflow.db'}"
