"""`python -m runner -m ...` sweeps end to end: summaries, failed jobs, resume, SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from _jobs import find_job, job_dirs

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FAST = ("experiment=quick", "cache_dir=null")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def sweep_command(sweep_dir: Path, *overrides: str) -> list[str]:
    return [sys.executable, "-m", "runner", "-m", f"hydra.sweep.dir={sweep_dir}", *FAST, *overrides]


def run_sweep(sweep_dir: Path, *overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        sweep_command(sweep_dir, *overrides), cwd=REPO, capture_output=True, text=True, timeout=600
    )


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(path.relative_to(directory)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_two_by_two_sweep_writes_every_job_and_the_summary(tmp_path):
    result = run_sweep(tmp_path, "seed=0,1", "noise.rate=0.1,0.3")
    assert result.returncode == 0, result.stderr

    assert len(job_dirs(tmp_path)) == 4
    for job_dir in job_dirs(tmp_path):
        assert (job_dir / "DONE").is_file()
        json.loads((job_dir / "metrics.json").read_text())
    # job dirs are named by their overrides (summary rows follow the dir names)
    assert (tmp_path / "cache_dir=null,experiment=quick,noise.rate=0.3,seed=1").is_dir()
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert len(summary) == 4
    assert sorted(summary["job"].tolist()) == [0, 1, 2, 3]
    assert (summary["status"] == "ok").all()
    assert sorted(zip(summary["seed"], summary["noise.rate"], strict=True)) == [
        (0, 0.1), (0, 0.3), (1, 0.1), (1, 0.3)
    ]
    for metric in ("test_accuracy_baseline", "test_accuracy_cleanlearning", "issue_f1", "issue_auprc"):
        assert summary[metric].between(0.0, 1.0).all(), metric
    # Each job's metrics reach the summary unchanged.
    job_metrics = json.loads((find_job(tmp_path, "seed=1", "noise.rate=0.1") / "metrics.json").read_text())
    row = summary[(summary["seed"] == 1) & (summary["noise.rate"] == 0.1)]
    assert row["n_label_issues"].tolist() == [job_metrics["n_label_issues"]]

    markdown = (tmp_path / "summary.md").read_text().splitlines()
    assert len(markdown) == 2 + 4 and markdown[0].startswith(
        "| job | dir | experiment | cache_dir | seed | noise.rate | status |"
    )
    assert (tmp_path / "summary.png").read_bytes().startswith(PNG_MAGIC)


def test_failed_job_is_recorded_others_complete_and_resume_reruns_only_it(tmp_path):
    overrides = ("classifier.C=1,-1",)  # LogisticRegression(C=-1) fails inside fit
    first = run_sweep(tmp_path, *overrides)
    assert first.returncode != 0
    assert "job failed" in first.stderr and len(first.stderr.strip().splitlines()) <= 20

    ok_dir, failed_dir = find_job(tmp_path, "classifier.C=1"), find_job(tmp_path, "classifier.C=-1")
    assert (ok_dir / "DONE").is_file()
    failed = json.loads((failed_dir / "status.json").read_text())
    assert failed["status"] == "failed" and failed["stage"] == "run"
    assert "Traceback" in failed["traceback"] and "C" in failed["error"]
    assert not (failed_dir / "DONE").exists()

    summary = pd.read_csv(tmp_path / "summary.csv").sort_values("job").reset_index(drop=True)
    assert summary["status"].tolist() == ["ok", "failed"]
    assert summary["classifier.C"].tolist() == [1, -1]
    assert pd.isna(summary.loc[1, "issue_f1"]) and "C" in summary.loc[1, "error"]

    # Same command again: the finished job is skipped byte for byte, the failed one reruns.
    finished_before = snapshot(ok_dir)
    failed_status_before = (failed_dir / "status.json").stat().st_mtime_ns
    second = run_sweep(tmp_path, *overrides)
    assert second.returncode != 0
    assert "skipping finished job" in second.stdout
    assert snapshot(ok_dir) == finished_before
    assert (failed_dir / "status.json").stat().st_mtime_ns > failed_status_before
    assert (failed_dir / "runner.log").read_text().count("running into") == 2
    assert sorted(pd.read_csv(tmp_path / "summary.csv")["status"].tolist()) == ["failed", "ok"]


def test_sigkill_mid_sweep_leaves_no_truncated_file_and_rerun_completes(tmp_path):
    overrides = ("seed=0,1,2",)
    process = subprocess.Popen(
        sweep_command(tmp_path, *overrides),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        first_job = tmp_path / "cache_dir=null,experiment=quick,seed=0"
        while not (first_job / "DONE").exists():
            assert process.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "job 0 never finished"
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    for path in tmp_path.rglob("*.json"):
        json.loads(path.read_text())  # every JSON written so far parses
    for path in tmp_path.rglob("*.csv"):
        pd.read_csv(path)
    for job_dir in job_dirs(tmp_path):
        if (job_dir / "DONE").exists():
            json.loads((job_dir / "metrics.json").read_text())
    assert not all((tmp_path / f"cache_dir=null,experiment=quick,seed={seed}" / "DONE").exists()
                   for seed in range(3))

    finished_before = snapshot(first_job)
    rerun = run_sweep(tmp_path, *overrides)
    assert rerun.returncode == 0, rerun.stderr
    assert all((find_job(tmp_path, f"seed={seed}") / "DONE").exists() for seed in range(3))
    assert snapshot(first_job) == finished_before
    assert not list(tmp_path.rglob("*.tmp"))
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert summary["status"].tolist() == ["ok"] * 3
