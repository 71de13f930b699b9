"""Sweeps through the parallel launchers: joblib (worker processes) and submitit_local
(one process per job, the code path of submitit_slurm)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from _jobs import find_job
from hydra import compose, initialize_config_dir

from runner.config import register_configs
from runner.job.lifecycle import parallel_thread_budget

REPO = Path(__file__).resolve().parents[2]
FAST = ("experiment=quick", "cache_dir=null")


def run_sweep(sweep_dir: Path, *overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "runner", "-m", f"hydra.sweep.dir={sweep_dir}", *FAST, *overrides],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_joblib_launcher_runs_jobs_in_parallel_and_summarises_a_failure(tmp_path):
    result = run_sweep(tmp_path, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "classifier.C=1,-1")
    assert result.returncode != 0  # one job failed
    assert "Joblib.Parallel(n_jobs=2," in result.stdout

    assert (find_job(tmp_path, "classifier.C=1") / "DONE").is_file()
    assert json.loads((find_job(tmp_path, "classifier.C=-1") / "status.json").read_text())["status"] == "failed"
    summary = pd.read_csv(tmp_path / "summary.csv").sort_values("job")
    assert summary["status"].tolist() == ["ok", "failed"]
    # Two workers share the CPUs: each job is capped (the budget is in its log).
    assert "parallel launcher: capping this job at" in (
        find_job(tmp_path, "classifier.C=1") / "runner.log").read_text()
    # report.run=end (the default) beside parallel jobs: each job's own process writes its
    # report as it ends, before DONE, instead of the sweep's end writing them one by one.
    ok = find_job(tmp_path, "classifier.C=1")
    assert (ok / "report.html").stat().st_mtime <= (ok / "DONE").stat().st_mtime


@pytest.mark.slow
def test_submitit_local_launcher_runs_each_job_in_its_own_process(tmp_path):
    result = run_sweep(tmp_path, "hydra/launcher=submitit_local", "seed=0,1")
    assert result.returncode == 0, result.stderr

    assert (tmp_path / ".submitit").is_dir()
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert sorted(summary["job"].tolist()) == [0, 1] and (summary["status"] == "ok").all()
    for seed in (0, 1):
        job_dir = find_job(tmp_path, f"seed={seed}")
        assert (job_dir / "DONE").is_file()
        assert "capping this job at 1 thread" in (job_dir / "runner.log").read_text()
    first = json.loads((find_job(tmp_path, "seed=0") / "metrics.json").read_text())
    assert first["n_examples"] > 0 and 0.0 <= first["issue_f1"] <= 1.0


def test_slurm_preset_composes_and_sets_the_thread_budget():
    register_configs()
    with initialize_config_dir(version_base="1.3", config_dir=str(REPO / "conf")):
        cfg = compose(
            "config",
            overrides=["hydra/launcher=slurm", "hydra.launcher.partition=short"],
            return_hydra_config=True,
        )
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("submitit_launcher.SlurmLauncher")
    assert launcher.partition == "short" and launcher.timeout_min == 30
    assert parallel_thread_budget(launcher) == launcher.cpus_per_task == 2


@pytest.mark.slow
def test_library_parallelism_inside_joblib_workers_gives_the_serial_result(tmp_path):
    # cleanlearn's own parallel folds (cleanlearning.n_jobs=2) nested in launcher workers.
    result = run_sweep(tmp_path / "sweep", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
                       "cleanlearning.n_jobs=2", "seed=0,1")
    assert result.returncode == 0, result.stderr
    assert (pd.read_csv(tmp_path / "sweep" / "summary.csv")["status"] == "ok").all()
    serial = subprocess.run(
        [sys.executable, "-m", "runner", f"hydra.run.dir={tmp_path / 'serial'}", *FAST, "seed=0"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert serial.returncode == 0, serial.stderr
    assert (find_job(tmp_path / "sweep", "seed=0") / "label_issues.csv").read_bytes() == (
        tmp_path / "serial" / "label_issues.csv").read_bytes()
