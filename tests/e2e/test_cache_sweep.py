"""A sweep over find_label_issues settings computes the cross-validation (and baseline) once.

Counted, not timed: the cache entries on disk after a real ``python -m runner -m`` sweep and
the "cache hit"/"cache miss" lines in each job's runner.log.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml
from _jobs import find_job, job_dirs

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CACHE_LINE = re.compile(r"\[runner\.core\.cache\]\[INFO\] - cache (hit|miss): (\w+) ")
FILTERS = ("prune_by_noise_rate", "prune_by_class", "both")


def run_sweep(sweep_dir: Path, cache_dir: Path, *overrides: str) -> None:
    command = [
        sys.executable, "-m", "runner", "-m", f"hydra.sweep.dir={sweep_dir}",
        "experiment=quick", f"cache_dir={cache_dir}", *overrides,
    ]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def cache_events(job_dir: Path, kinds: tuple[str, ...] | None = None) -> Counter:
    """Counter of (hit|miss, kind) from one job's log, optionally of some kinds only."""
    log_text = (job_dir / "runner.log").read_text(encoding="utf-8")
    return Counter(event for event in CACHE_LINE.findall(log_text) if kinds is None or event[1] in kinds)


def entries(cache_dir: Path) -> dict[str, list[Path]]:
    """Complete entries (with a manifest) per kind; leftovers of staging would show up too."""
    return {
        kind.name: sorted(kind.iterdir())
        for kind in sorted(cache_dir.iterdir())
        if kind.is_dir()
    }


def test_three_filter_settings_compute_the_cross_validation_and_baseline_once(tmp_path):
    cache_dir = tmp_path / "cache"
    run_sweep(tmp_path / "sweep", cache_dir, f"cleanlearning.find_label_issues_kwargs.filter_by={','.join(FILTERS)}")

    # On disk: one complete entry of each kind, no staging leftovers.
    on_disk = entries(cache_dir)
    # (matrices_png: the confident joint and noise matrices do not depend on filter_by either)
    assert sorted(on_disk) == ["baseline", "cv_pred_probs", "matrices_png"]
    for kind, paths in on_disk.items():
        assert len(paths) == 1, (kind, paths)
        assert (paths[0] / "manifest.json").is_file()

    # In the logs: the first job computes both, every later job only reads them.
    # in the order Hydra ran them (job dirs are named by their overrides, not numbered)
    jobs = [find_job(tmp_path / "sweep", f"cleanlearning.find_label_issues_kwargs.filter_by={name}")
            for name in FILTERS]
    assert cache_events(jobs[0]) == {("miss", "cv_pred_probs"): 1, ("miss", "baseline"): 1, ("miss", "matrices_png"): 1}
    for job in jobs[1:]:
        assert cache_events(job) == {("hit", "cv_pred_probs"): 1, ("hit", "baseline"): 1, ("hit", "matrices_png"): 1}, job
    figures = {(job / "matrices.png").read_bytes() for job in jobs}
    assert len(figures) == 1

    # The jobs really ran different filters on the same pred_probs.
    ran = [yaml.safe_load((job / "resolved_config.yaml").read_text())["cleanlearning"]
           ["find_label_issues_kwargs"]["filter_by"] for job in jobs]
    assert ran == list(FILTERS)
    pred_probs = np.load(on_disk["cv_pred_probs"][0] / "pred_probs.npy", allow_pickle=False)
    assert pred_probs.shape == (112, 3)  # iris training part, experiment=quick
    np.testing.assert_allclose(pred_probs.sum(axis=1), 1.0)


def test_settings_that_change_the_cross_validation_get_their_own_entry(tmp_path):
    cache_dir = tmp_path / "cache"
    # 2 fold counts x 2 filters = 4 jobs: the CV depends on the fold count, the baseline does not.
    run_sweep(
        tmp_path / "sweep", cache_dir,
        "cleanlearning.cv_n_folds=3,4", "cleanlearning.find_label_issues_kwargs.filter_by=both,prune_by_class",
    )
    on_disk = entries(cache_dir)
    assert len(on_disk["cv_pred_probs"]) == 2
    assert len(on_disk["baseline"]) == 1

    total = Counter()
    for job_dir in job_dirs(tmp_path / "sweep"):
        total += cache_events(job_dir, kinds=("cv_pred_probs", "baseline"))
    assert len(job_dirs(tmp_path / "sweep")) == 4
    assert total == {
        ("miss", "cv_pred_probs"): 2, ("hit", "cv_pred_probs"): 2,
        ("miss", "baseline"): 1, ("hit", "baseline"): 3,
    }

    # A later sweep over the same settings reads everything from the cache.
    run_sweep(tmp_path / "again", cache_dir, "cleanlearning.cv_n_folds=4", "cleanlearning.find_label_issues_kwargs.filter_by=confident_learning")
    (again,) = job_dirs(tmp_path / "again")
    assert cache_events(again, kinds=("cv_pred_probs", "baseline")) == {
        ("hit", "cv_pred_probs"): 1, ("hit", "baseline"): 1}
    counts = {kind: len(paths) for kind, paths in entries(cache_dir).items()}
    assert counts["baseline"] == 1 and counts["cv_pred_probs"] == 2
