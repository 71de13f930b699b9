"""Finding a sweep's job dirs by their overrides (job dirs are named by them, not numbered)."""

from __future__ import annotations

from pathlib import Path

import yaml


def job_overrides(job_dir: Path) -> list[str]:
    return yaml.safe_load((Path(job_dir) / ".hydra" / "overrides.yaml").read_text()) or []


def job_dirs(sweep_dir: Path) -> list[Path]:
    """Every job dir of a sweep (a subdir with .hydra/overrides.yaml), sorted by name."""
    return sorted(p for p in Path(sweep_dir).iterdir() if (p / ".hydra" / "overrides.yaml").is_file())


def find_job(sweep_dir: Path, *overrides: str) -> Path:
    """The one job dir whose overrides include all of ``overrides`` ("seed=1", ...)."""
    matches = [d for d in job_dirs(sweep_dir) if set(overrides) <= set(job_overrides(d))]
    assert len(matches) == 1, (overrides, [d.name for d in job_dirs(sweep_dir)])
    return matches[0]
