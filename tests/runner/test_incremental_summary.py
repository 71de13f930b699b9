"""The sweep summary after each job: one row appended, no other job dir read, files rewritten
only when a new column appears; the final summary is the one runner.summarize writes."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from runner.results import summarize as summarize_module
from runner.sweep import incremental

REPO = Path(__file__).resolve().parents[2]


def make_job(sweep_dir: Path, number: int, seed: int, status: str = "ok") -> Path:
    """A finished job dir as runner.job.lifecycle leaves it (the files the summary reads)."""
    job_dir = sweep_dir / f"seed={seed}"
    (job_dir / ".hydra").mkdir(parents=True)
    (job_dir / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump([f"seed={seed}", "noise.rate=0.2"]))
    (job_dir / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump({"hydra": {"job": {"num": number}}}))
    if status == "ok":
        metrics = {"issue_f1": 0.5 + seed / 1000, "n_label_issues": 10 + seed, "total_seconds": 1.25}
        (job_dir / "metrics.json").write_text(json.dumps(metrics))
        (job_dir / "status.json").write_text(json.dumps({"status": "ok"}))
        (job_dir / "DONE").write_text("")
    else:
        (job_dir / "status.json").write_text(json.dumps({"status": "failed", "error": f"ValueError: bad {seed}"}))
    return job_dir


def test_each_job_appends_its_row_reading_only_its_own_dir(tmp_path, monkeypatch):
    incremental.reset_rows(tmp_path)
    read, rewrites = [], []
    real_read_job, real_rewrite = summarize_module.read_job, incremental._rewrite
    monkeypatch.setattr(summarize_module, "read_job", lambda d: read.append(Path(d).name) or real_read_job(d))
    monkeypatch.setattr(incremental, "_rewrite", lambda *a: rewrites.append(1) or real_rewrite(*a))
    statuses = ["ok"] * 30 + ["failed"] + ["ok"] * 29
    for number, status in enumerate(statuses):
        job_dir = make_job(tmp_path, number, seed=number, status=status)
        row, count = incremental.append_row(tmp_path, job_dir)
        assert count == number + 1 and row["status"] == status
        assert read[-1] == job_dir.name and len(read) == number + 1  # its own dir only
    # rewritten for the first row and for the first failure's new column (error), not per job
    assert len(rewrites) == 2

    interim = pd.read_csv(tmp_path / "summary.csv")
    final = summarize_module.summarize(tmp_path, write=False)
    assert len(interim) == len(final) == 60
    assert list(interim["dir"]) == list(final["dir"])  # ended in job order here
    assert set(interim.columns) == set(final.columns)
    for column in final.columns:
        assert interim[column].astype(str).tolist() == final[column].astype(str).tolist(), column
    # the markdown table: a header, a rule and one line per job, same columns as the CSV
    lines = (tmp_path / "summary.md").read_text().splitlines()
    assert len(lines) == 62 and lines[0].count("|") == len(interim.columns) + 1
    assert all(line.count("|") == lines[0].count("|") for line in lines)
    assert "ValueError: bad 30" in lines[2 + 30]


@pytest.mark.parametrize("last", ["ok", "failed"])
def test_the_end_lines_count_the_recorded_rows_when_every_job_has_one(tmp_path, monkeypatch, capsys, last):
    from runner.results.settings import SummarySettings
    from runner.results.summarize import PLANNED_JOBS
    from runner.sweep import progress

    incremental.reset_rows(tmp_path)
    (tmp_path / progress.PROGRESS_FILE).write_text(json.dumps({"total": 3, "started": 0.0}))
    (tmp_path / PLANNED_JOBS).write_text(json.dumps([[f"seed={seed}"] for seed in range(3)]))
    for seed, status in enumerate(["ok", "ok", last]):
        incremental.append_row(tmp_path, make_job(tmp_path, seed, seed=seed, status=status))
    read = []
    real_read_job = summarize_module.read_job
    monkeypatch.setattr(summarize_module, "read_job", lambda d: read.append(Path(d).name) or real_read_job(d))
    progress.end_of_sweep(tmp_path, ["-m", "seed=0,1,2"], SummarySettings.from_config(None))
    out = capsys.readouterr().out
    if last == "ok":  # every planned job recorded ok: no job dir read again
        assert read == [] and "sweep finished: 3 of 3 jobs ok" in out
    else:  # a failure: the job dirs are read, the summary lists it, the resume command follows
        assert sorted(read) == sorted(["seed=0", "seed=1", "seed=2"] * 2)
        assert "sweep stopped: 2 ok, 1 failed (of 3)" in out and "resume it" in out


def test_the_final_summary_is_built_once(tmp_path):
    incremental.reset_rows(tmp_path)
    assert incremental.mark_final(tmp_path) is True
    assert incremental.mark_final(tmp_path) is False  # the end-of-sweep hook after the last job
    incremental.reset_rows(tmp_path)  # a resumed sweep builds it again
    assert incremental.mark_final(tmp_path) is True


def test_interim_csv_line_quotes_as_csv_does():
    line = incremental._csv_line(["a", "b", "c"], {"a": "x,y", "b": None, "c": 0.1})
    assert pd.read_csv(io.StringIO("a,b,c\n" + line)).iloc[0].tolist()[0] == "x,y"


@pytest.mark.slow
def test_a_sweeps_final_summary_is_what_runner_summarize_writes(tmp_path):
    sweep_dir = tmp_path / "sweep"
    result = subprocess.run(
        [sys.executable, "-m", "runner", "-m", "dataset=iris", "classifier=naive_bayes", "cache_dir=null",
         "cleanlearning.cv_n_folds=2", "seed=0,1,2",
         "cleanlearning.find_label_issues_kwargs.filter_by=both,prune_by_class,prune_by_noise_rate",
         f"hydra.sweep.dir={sweep_dir}"],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "[9/9] ok" in result.stderr + result.stdout
    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(sweep_dir, rebuilt)
    for path in rebuilt.iterdir():  # what the summary writes, removed: rebuilt from the job dirs
        if path.is_file() and path.name.startswith(("summary.", "results.", "comparisons.", "table.")):
            path.unlink()
    subprocess.run([sys.executable, "-m", "runner.summarize", str(rebuilt)], cwd=REPO, check=True,
                   capture_output=True, timeout=600)
    written = sorted(p.name for p in sweep_dir.iterdir()
                     if p.is_file() and p.name.startswith(("summary.", "results.", "comparisons.", "table.", "cd")))
    assert {"summary.csv", "summary.md", "summary.png", "results.csv", "results.png", "cd.pdf"} <= set(written)
    for name in written:  # the figures were rendered by the sweep's helper process
        assert (sweep_dir / name).read_bytes() == (rebuilt / name).read_bytes(), name
    # report.run defaults to end: every job's report, written beside the sweep by its helper
    # process (runner.sweep.side_work), the bytes `python -m runner.report` writes for the job
    jobs = [job for job in sweep_dir.iterdir() if (job / "DONE").is_file()]
    assert len(jobs) == 9 and all((job / "report.html").is_file() for job in jobs)
    copy = tmp_path / "report_copy"
    shutil.copytree(sweep_dir, copy)
    for job in jobs:
        (copy / job.name / "report.html").unlink()
    subprocess.run([sys.executable, "-m", "runner.report", str(copy)], cwd=REPO, check=True,
                   capture_output=True, timeout=600)
    for job in jobs:
        assert (copy / job.name / "report.html").read_bytes() == (job / "report.html").read_bytes(), job.name


def test_a_sweep_starting_in_a_dir_removes_the_temporaries_a_killed_sweep_left(tmp_path, monkeypatch):
    """A sweep SIGKILLed while writing .progress.json or .summary_state.json leaves
    `..progress.json.<random>.tmp` behind; the next sweep in that dir (which owns it) removes
    them, and nothing else."""
    from omegaconf import OmegaConf

    from runner.sweep import progress

    orphans = [tmp_path / name for name in ("..progress.json.k2j3.tmp", "..planned_jobs.json.x9.tmp",
                                            "..summary_state.json.ab12.tmp")]
    kept = [tmp_path / ".progress.json.notes", tmp_path / "job" / "..progress.json.zz.tmp"]
    for path in orphans + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{\"tot")
    monkeypatch.setattr(progress.atexit, "register", lambda *args, **kwargs: None)
    config = OmegaConf.create({"hydra": {
        "sweeper": {"_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper", "params": None},
        "overrides": {"task": ["seed=0,1"]}, "sweep": {"dir": str(tmp_path)}, "runtime": {"cwd": str(tmp_path)}}})
    progress.start_progress(config)
    incremental.reset_rows(tmp_path)
    assert [path for path in orphans if path.exists()] == []
    assert all(path.exists() for path in kept)
    assert json.loads((tmp_path / ".progress.json").read_text())["total"] == 2
