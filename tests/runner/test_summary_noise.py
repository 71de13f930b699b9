"""A sweep over datasets shows each job's noise (a dataset option may choose its own default)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from runner.results.summarize import summarize


def write_job(sweep_dir: Path, name: str, number: int, overrides: list[str], noise: str) -> None:
    job = sweep_dir / name
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    hydra = {"hydra": {"job": {"num": number}, "runtime": {"choices": {"noise": noise, "dataset": "x"}}}}
    (job / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump(hydra))
    (job / "metrics.json").write_text(json.dumps({"n_label_issues": number}))
    (job / "status.json").write_text(json.dumps({"status": "ok"}))
    (job / "DONE").write_text("")


def test_a_dataset_sweep_lists_each_jobs_noise(tmp_path):
    write_job(tmp_path, "dataset=digits", 0, ["dataset=digits"], "asymmetric")
    write_job(tmp_path, "dataset=csv", 1, ["dataset=csv"], "none")
    frame = summarize(tmp_path, plot=False)
    assert frame["dataset"].tolist() == ["digits", "csv"]
    assert frame["noise"].tolist() == ["asymmetric", "none"]
    assert list(frame.columns).index("noise") < list(frame.columns).index("status")


def test_no_noise_column_when_it_is_the_same_or_swept(tmp_path):
    write_job(tmp_path / "same", "dataset=iris", 0, ["dataset=iris"], "asymmetric")
    write_job(tmp_path / "same", "dataset=wine", 1, ["dataset=wine"], "asymmetric")
    assert "noise" not in summarize(tmp_path / "same", plot=False).columns
    write_job(tmp_path / "swept", "a", 0, ["dataset=iris", "noise=none"], "none")
    write_job(tmp_path / "swept", "b", 1, ["dataset=wine", "noise=pairflip"], "pairflip")
    frame = summarize(tmp_path / "swept", plot=False)
    assert frame["noise"].tolist() == ["none", "pairflip"]
    assert list(frame.columns).count("noise") == 1
