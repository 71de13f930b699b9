"""runner.results.summarize and the sweep-summary callback on hand-made sweep dirs (no subprocess)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hydra.types import RunMode
from omegaconf import OmegaConf

from runner.core.layout import sweep_dir_of
from runner.results import summarize as summarize_module
from runner.results.summarize import read_job, summarize
from runner.sweep.summary import SweepSummaryCallback

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_job(sweep_dir: Path, num: int, overrides: list[str], *, status=None, metrics=None, done=False):
    job_dir = sweep_dir / str(num)
    (job_dir / ".hydra").mkdir(parents=True)
    (job_dir / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    (job_dir / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump({"hydra": {"job": {"num": num}}}))
    if metrics is not None:
        (job_dir / "metrics.json").write_text(json.dumps(metrics))
    if status is not None:
        (job_dir / "status.json").write_text(json.dumps(status))
    if done:
        (job_dir / "DONE").write_text("")
    return job_dir


@pytest.fixture
def sweep_dir(tmp_path):
    """Jobs in every state: ok, failed, killed before status, killed before DONE."""
    ok_metrics = {"test_accuracy_baseline": 0.8, "test_accuracy_cleanlearning": 0.9, "issue_f1": 0.7,
                  "issue_auprc": 0.75, "n_label_issues": 12, "total_seconds": 1.5}
    make_job(tmp_path, 0, ["classifier.C=1", "seed=0"], status={"status": "ok"}, metrics=ok_metrics, done=True)
    make_job(tmp_path, 1, ["classifier.C=-1", "seed=0"],
             status={"status": "failed", "error": "ValueError: C must be > 0\nmore detail", "traceback": "Traceback"})
    make_job(tmp_path, 2, ["classifier.C=1", "seed=1"])
    make_job(tmp_path, 10, ["classifier.C=-1", "seed=1"], status={"status": "ok"}, metrics=ok_metrics)
    (tmp_path / ".submitit").mkdir()  # launcher bookkeeping, not a job
    (tmp_path / "multirun.yaml").write_text("hydra: {}\n")
    return tmp_path


def test_summary_has_one_row_per_job_in_job_order(sweep_dir):
    frame = summarize(sweep_dir)
    assert frame["job"].tolist() == [0, 1, 2, 10]
    assert list(frame.columns[:5]) == ["job", "dir", "classifier.C", "seed", "status"]
    assert frame["status"].tolist() == ["ok", "failed", "incomplete", "incomplete"]
    assert frame["classifier.C"].tolist() == ["1", "-1", "1", "-1"]
    # Metrics only for finished jobs; timings after the other metrics; the error's first line.
    assert frame.loc[0, "issue_f1"] == 0.7 and pd.isna(frame.loc[3, "issue_f1"])
    assert frame.columns[-2:].tolist() == ["total_seconds", "error"]
    assert frame.loc[1, "error"] == "ValueError: C must be > 0"


def test_summary_files_agree_with_the_frame(sweep_dir):
    frame = summarize(sweep_dir)
    on_disk = pd.read_csv(sweep_dir / "summary.csv")
    assert on_disk["status"].tolist() == frame["status"].tolist()
    assert on_disk["issue_f1"].tolist()[0] == 0.7
    markdown = (sweep_dir / "summary.md").read_text().splitlines()
    assert len(markdown) == 2 + len(frame)
    assert markdown[0] == "| " + " | ".join(frame.columns) + " |"
    assert markdown[2].startswith("| 0 | 0 | 1 | 0 | ok | 0.8 | 0.9 | 0.7 |")
    assert (sweep_dir / "summary.png").read_bytes().startswith(PNG_MAGIC)


def test_summary_without_metrics_or_jobs_still_writes_files(tmp_path):
    make_job(tmp_path, 0, ["seed=0"])
    frame = summarize(tmp_path)
    assert frame["status"].tolist() == ["incomplete"]
    assert (tmp_path / "summary.png").read_bytes().startswith(PNG_MAGIC)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert summarize(empty).empty and (empty / "summary.csv").exists()


def test_per_job_summary_draws_the_figure_only_once_a_job_has_failed(tmp_path):
    ok = {"status": "ok"}
    make_job(tmp_path, 0, ["seed=0"], status=ok, metrics={"issue_f1": 0.5}, done=True)
    summarize(tmp_path, plot=None)
    assert (tmp_path / "summary.csv").exists() and not (tmp_path / "summary.png").exists()
    make_job(tmp_path, 1, ["seed=1"], status={"status": "failed", "error": "boom"})
    summarize(tmp_path, plot=None)  # the end-of-sweep hook may now never come
    assert (tmp_path / "summary.png").read_bytes().startswith(PNG_MAGIC)
    assert pd.read_csv(tmp_path / "summary.csv")["status"].tolist() == ["ok", "failed"]


def test_read_job_of_a_dir_without_hydra_files_uses_the_dir_name(tmp_path):
    (tmp_path / "7").mkdir()
    assert read_job(tmp_path / "7") == {"job": 7, "dir": "7", "status": "incomplete"}


def test_override_parsing_keeps_values_as_typed():
    parsed = summarize_module._parse_overrides(["noise.rate=0.1", "+extra=a=b", "~dropped", "seed=${x}"])
    assert parsed == {"noise.rate": "0.1", "extra": "a=b", "dropped": None, "seed": "${x}"}


def test_concurrent_summaries_do_not_collide(sweep_dir):
    errors = []

    def write():
        try:
            summarize(sweep_dir)
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(pd.read_csv(sweep_dir / "summary.csv")) == 4
    assert not list(sweep_dir.glob(".summary.*.tmp"))


def test_orphaned_temporaries_of_a_killed_writer_are_removed(sweep_dir):
    orphan = sweep_dir / ".summary.csv.abc123.tmp"
    orphan.write_text("job,di")
    summarize(sweep_dir)
    assert not orphan.exists()


def test_missing_sweep_dir_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="sweep_dir"):
        summarize(tmp_path / "nope")


def test_command_line_rebuilds_the_summary(sweep_dir, capsys):
    assert summarize_module.main([str(sweep_dir)]) == 0
    assert len(pd.read_csv(sweep_dir / "summary.csv")) == 4
    with pytest.raises(SystemExit) as exit_info:
        summarize_module.main([str(sweep_dir / "nope")])
    assert exit_info.value.code == 2 and "is not a directory" in capsys.readouterr().err


def hydra_config(mode: RunMode, sweep_dir: str, cwd: str):
    return OmegaConf.create({"hydra": {"mode": mode, "sweep": {"dir": sweep_dir}, "runtime": {"cwd": cwd}}})


def test_callback_writes_after_each_job_of_a_sweep_only(sweep_dir):
    callback = SweepSummaryCallback()
    callback.on_job_end(hydra_config(RunMode.RUN, str(sweep_dir), "/"), job_return=None)
    assert not (sweep_dir / "summary.csv").exists()
    callback.on_job_end(hydra_config(RunMode.MULTIRUN, str(sweep_dir), "/"), job_return=None)
    assert len(pd.read_csv(sweep_dir / "summary.csv")) == 4


def test_callback_never_fails_the_job(tmp_path, caplog):
    config = hydra_config(RunMode.MULTIRUN, str(tmp_path / "missing"), "/")
    SweepSummaryCallback().on_multirun_end(config)
    assert "could not write the sweep summary" in caplog.text


def test_relative_sweep_dir_is_relative_to_the_launch_dir(tmp_path):
    config = hydra_config(RunMode.MULTIRUN, "outputs/sweeps/x", str(tmp_path))
    assert sweep_dir_of(config) == tmp_path / "outputs" / "sweeps" / "x"


def test_a_sweep_over_one_method_axis_alone_gets_its_tables_and_baseline(tmp_path):
    # no seed, no condition: every job shares one baseline (pandas refuses drop_duplicates on
    # an empty subset, which left such a sweep without results.md or paper tables)
    for num, method in enumerate(("both", "prune_by_class")):
        metrics = {"test_accuracy_baseline": 0.8, "test_accuracy_cleanlearning": 0.85 + num / 100,
                   "issue_f1": 0.7 - num / 10, "total_seconds": 1.0}
        make_job(tmp_path, num, [f"cleanlearning.find_label_issues_kwargs.filter_by={method}"],
                 status={"status": "ok"}, metrics=metrics, done=True)
    summarize(tmp_path, plot=True)
    results = (tmp_path / "results.md").read_text()
    assert "| both | 1 | 0.700 |" in results and "| prune_by_class | 1 | 0.600 |" in results
    tables = list(tmp_path.glob("table*.md"))
    assert tables, sorted(p.name for p in tmp_path.iterdir())
    baseline_rows = [line for text in (p.read_text() for p in tables) for line in text.splitlines()
                     if line.startswith("| no cleaning")]
    assert baseline_rows and all("0.800" in line for line in baseline_rows)  # one baseline row, its value
