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
@pytest.mark.parametrize("launcher", ["joblib", "local"])  # spawned workers; workers forked from the sweep
def test_two_parallel_jobs_are_children_of_a_closed_parent_run_and_resume_logs_no_duplicate(tmp_path, launcher):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    sweep_dir = tmp_path / "sweep"
    # job 0 succeeds, job 1 fails (LogisticRegression(C=-1)); both at once
    args = ("-m", f"hydra.sweep.dir={sweep_dir}", *FAST, f"hydra.callbacks.mlflow.tracking_uri={uri}",
            f"hydra/launcher={launcher}", "hydra.launcher.n_jobs=2", "classifier.C=1,-1")
    first = run_runner(*args)
    assert first.returncode != 0  # a job failed: Hydra skips on_multirun_end
    assert "tracking:" not in first.stderr, first.stderr[-3000:]

    client = MlflowClient(tracking_uri=uri)
    runs = runs_by_name(client)
    # Runs are named by their overrides (logger=mlflow aside), the parent by the sweep's.
    ok_name, failed_name = (f"experiment=quick cache_dir=null classifier.C={c}" for c in ("1", "-1"))
    parent_name = "sweep experiment=quick cache_dir=null classifier.C=1,-1"
    assert sorted(runs) == sorted([ok_name, failed_name, parent_name])
    (parent,) = runs[parent_name]
    (ok_job,) = runs[ok_name]
    (failed_job,) = runs[failed_name]
    # The parent was closed at exit of the sweep process, as failed.
    assert parent.info.status == "FAILED" and parent.info.end_time is not None
    assert parent.data.params["classifier.C"] == "1,-1"
    # The parent carries the sweep's best compare metric (issue_f1: the true errors are known)
    # and links its results files.
    assert parent.data.metrics["best_issue_f1"] == pytest.approx(
        json.loads((find_job(sweep_dir, "classifier.C=1") / "metrics.json").read_text())["issue_f1"])
    assert parent.data.tags["cleanlearn.results.results.md"] == str((sweep_dir / "results.md").resolve())
    # The console names the parent run and the tracking URI once.
    assert first.stdout.count(f"mlflow: sweep run {parent.info.run_id} at {uri}") == 1
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
    assert len(runs[ok_name]) == 1 and len(runs[failed_name]) == 2
    (parent_again,) = runs[parent_name]
    assert parent_again.info.run_id == parent.info.run_id and parent_again.info.status == "FAILED"
    assert all(child.info.status != "RUNNING" for name in runs for child in runs[name])


@pytest.mark.slow
def test_single_run_is_a_top_level_run(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run_dir = tmp_path / "run"
    result = run_runner(f"hydra.run.dir={run_dir}", *FAST, f"hydra.callbacks.mlflow.tracking_uri={uri}", "seed=3")
    assert result.returncode == 0, result.stderr[-3000:]
    client = MlflowClient(tracking_uri=uri)
    (run,) = runs_by_name(client)["experiment=quick cache_dir=null seed=3"]
    assert run.info.status == "FINISHED" and "mlflow.parentRunId" not in run.data.tags
    assert run.data.params["seed"] == "3"
    assert result.stdout.count(f"mlflow: run {run.info.run_id} at {uri}") == 1
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


def _job_config(job_dir: Path, overrides: list[str], **task) -> OmegaConf:
    return OmegaConf.create({**task, "hydra": {
        "mode": "RUN", "runtime": {"output_dir": str(job_dir)}, "job": {"num": 0}, "overrides": {"task": overrides},
    }})


def test_a_default_run_logs_its_whole_resolved_config_as_flat_params(tmp_path):
    """Issue 19 case 10: runs can be filtered by seed, dataset, classifier, noise rate."""
    from hydra import compose, initialize_config_dir

    from runner.config import register_configs

    register_configs()
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        cfg = compose(config_name="config", overrides=["logger=mlflow", "cache_dir=null"])
    job_dir = tmp_path / "run"
    job_dir.mkdir()
    (job_dir / "metrics.json").write_text('{"issue_f1": 0.5}')
    task = OmegaConf.to_container(cfg, resolve=True)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    callback = MlflowCallback(tracking_uri=uri, log_artifacts=False)
    config = _job_config(job_dir, ["logger=mlflow", "cache_dir=null"], **task)
    callback.on_job_start(config=config)
    callback.on_job_end(config=config, job_return=JobReturn(status=JobStatus.COMPLETED))
    client = MlflowClient(tracking_uri=uri)
    (run,) = runs_by_name(client)["cache_dir=null"]
    params = run.data.params
    assert params["seed"] == "0"
    assert params["noise.rate"] == str(cfg.noise.rate)
    assert params["classifier._target_"] == cfg.classifier._target_
    assert params["dataset.name"] == "digits" and params["cache_dir"] == "null"
    assert params["cleanlearning.find_label_issues_kwargs.filter_by"] == "prune_by_noise_rate"
    assert len(params) > 30  # every leaf of the config, not only the overrides


@pytest.mark.slow
def test_an_unreachable_tracking_server_is_one_warning_and_the_run_ends_within_30_s(tmp_path):
    """Issue 19 case 5: http://127.0.0.1:9 (nothing listens) never stalls the run."""
    import time

    start = time.monotonic()
    result = run_runner(f"hydra.run.dir={tmp_path / 'run'}", *FAST, "hydra.callbacks.mlflow.tracking_uri=http://127.0.0.1:9")
    elapsed = time.monotonic() - start
    assert result.returncode == 0, result.stderr[-3000:]
    assert elapsed < 30, elapsed
    output = result.stdout + result.stderr
    assert output.count("cannot be reached") == 1, output[-3000:]
    assert "tracking is off for the rest of this process" in output
    assert "Retrying" not in output  # urllib3's line per retry
    assert (tmp_path / "run" / "DONE").is_file()
