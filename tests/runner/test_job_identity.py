"""What a job's identity is: everything in its resolved config but the summary's and the
reports' settings (read after the job, never by it)."""

from __future__ import annotations

import json

import yaml

from runner.core.layout import DONE, is_identity_override, job_dir_name
from runner.job.lifecycle import is_finished


def finished_job(tmp_path, config: dict):
    (tmp_path / "resolved_config.yaml").write_text(yaml.safe_dump(config))
    (tmp_path / "metrics.json").write_text(json.dumps({"n_label_issues": 3}))
    (tmp_path / DONE).write_text("")
    return tmp_path


def test_summary_and_report_settings_do_not_make_a_finished_job_rerun(tmp_path):
    config = {"seed": 0, "summary": {"replicate_by": "seed"}, "report": {"top_k": 50}}
    job = finished_job(tmp_path, config)
    other_presentation = {**config, "summary": {"replicate_by": ["seed"]}, "report": {"top_k": 5}}
    assert is_finished(job, yaml.safe_dump(other_presentation))
    assert not is_finished(job, yaml.safe_dump({**config, "seed": 1}))
    assert not is_finished(job, yaml.safe_dump({**config, "output": {"include_features": True}}))


def test_a_key_added_later_with_a_null_default_does_not_make_an_older_job_rerun(tmp_path):
    written_before = {"seed": 0, "dataset": {"name": "iris"}}  # before search_role existed
    job = finished_job(tmp_path, written_before)
    now = {**written_before, "search_role": None, "dataset": {"name": "iris", "encoding": None}}
    assert is_finished(job, yaml.safe_dump(now))
    assert not is_finished(job, yaml.safe_dump({**now, "search_role": "trial"}))  # a set value counts
    assert not is_finished(job, yaml.safe_dump({**now, "dataset": {"name": "iris", "encoding": "latin-1"}}))


def test_summary_and_report_overrides_are_not_part_of_a_job_dir_name():
    assert not is_identity_override("report.top_k=5") and not is_identity_override("summary.replicate_by=seed")
    assert is_identity_override("seed=1") and is_identity_override("+reporting=1")
    assert job_dir_name(["seed=1", "report.top_k=5", "summary.compare_metric=issue_auroc"]) == job_dir_name(["seed=1"])
