"""The verified cache: a damaged entry is detected, replaced and equals a fresh result; the key
changes with the code that computes the entry; `python -m runner.cache info|prune|clear`."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import sklearn

from runner.core import cache as cache_module
from runner.core.cache import ArrayCache, code_identity

REPO = Path(__file__).resolve().parents[2]


def compute_pred_probs():
    return {"pred_probs": np.random.default_rng(0).dirichlet(np.ones(3), size=40)}


def only_entry(root: Path, kind: str) -> Path:
    (entry,) = [p for p in (root / kind).iterdir() if not p.name.startswith(".")]
    return entry


def counting(compute):
    calls = []

    def wrapped():
        calls.append(1)
        return compute()

    return wrapped, calls


def test_manifest_records_a_sha256_of_each_array_file(tmp_path):
    ArrayCache(tmp_path).get_or_compute("k", {"a": 1}, lambda: {"x": np.arange(4), "y": np.ones(2)})
    entry = only_entry(tmp_path, "k")
    manifest = json.loads((entry / "manifest.json").read_text())
    assert set(manifest["sha256"]) == {"x", "y"}
    for name, digest in manifest["sha256"].items():
        assert digest == cache_module._file_sha256(entry / f"{name}.npy")
    assert manifest["code"]["cleanlearn"]


@pytest.mark.parametrize("damage", ["altered", "truncated", "manifest", "missing array"])
def test_damaged_entry_is_detected_replaced_and_equals_a_fresh_result(tmp_path, caplog, damage):
    cache = ArrayCache(tmp_path)
    fresh = cache.get_or_compute("cv_pred_probs", {"seed": 0}, compute_pred_probs)["pred_probs"]
    entry = only_entry(tmp_path, "cv_pred_probs")
    path = entry / "pred_probs.npy"
    if damage == "altered":  # same shape and dtype, other values: np.load alone cannot tell
        np.save(path, fresh[::-1].copy(), allow_pickle=False)
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:-16])
    elif damage == "manifest":
        (entry / "manifest.json").write_text('{"arrays": ["pred_probs"]')
    else:
        path.unlink()

    compute, calls = counting(compute_pred_probs)
    with caplog.at_level(logging.WARNING, logger="runner.core.cache"):
        again = cache.get_or_compute("cv_pred_probs", {"seed": 0}, compute)["pred_probs"]
    assert calls == [1]  # recomputed
    assert "failed verification" in caplog.text and str(entry) in caplog.text
    np.testing.assert_array_equal(again, fresh)
    # The fresh result replaced the damaged entry: the next read is a verified hit.
    assert cache_module.read_entry(only_entry(tmp_path, "cv_pred_probs")).arrays is not None
    third = cache.get_or_compute("cv_pred_probs", {"seed": 0}, compute)["pred_probs"]
    assert calls == [1]
    np.testing.assert_array_equal(third, fresh)


def test_concurrent_jobs_replace_a_damaged_entry_once_and_all_get_the_fresh_result(tmp_path):
    cache = ArrayCache(tmp_path)
    fresh = cache.get_or_compute("k", {"same": True}, compute_pred_probs)["pred_probs"]
    entry = only_entry(tmp_path, "k")
    np.save(entry / "pred_probs.npy", np.zeros_like(fresh), allow_pickle=False)

    def job(_):
        return cache.get_or_compute("k", {"same": True}, compute_pred_probs)["pred_probs"]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(job, range(8)))
    for result in results:
        np.testing.assert_array_equal(result, fresh)
    visible = [p for p in (tmp_path / "k").iterdir() if not p.name.startswith(".")]
    assert len(visible) == 1 and cache_module.read_entry(visible[0]).arrays is not None
    assert not [p for p in (tmp_path / "k").iterdir() if p.is_dir() and p.name.startswith(".")]


LOCAL_CLASSIFIER = '''
from sklearn.linear_model import LogisticRegression


class LocalClassifier(LogisticRegression):
    """A user's own classifier, in a module of no installed distribution."""

    def fit(self, X, y, sample_weight=None):
        self.C = {C}
        return super().fit(X, y, sample_weight=sample_weight)
'''


def write_local_module(directory: Path, C: float) -> None:
    (directory / "localclf.py").write_text(textwrap.dedent(LOCAL_CLASSIFIER.replace("{C}", repr(C))))


def test_key_holds_the_code_of_every_target(tmp_path, monkeypatch):
    write_local_module(tmp_path, 1.0)
    monkeypatch.syspath_prepend(str(tmp_path))
    pipeline = {"_target_": "sklearn.pipeline.Pipeline", "steps": [
        ["scale", {"_target_": "sklearn.preprocessing.StandardScaler"}],
        ["clf", {"_target_": "localclf.LocalClassifier"}],
    ]}
    identity = code_identity({"classifier": pipeline}, roots=["cleanlearn"])
    assert identity["sklearn"] == f"scikit-learn=={sklearn.__version__}"
    assert identity["localclf"].startswith("sha256:")
    # cleanlearn is identified by its own files here (an editable install or a checkout on the path)
    assert identity["cleanlearn"].startswith("sha256:")
    key = {"classifier": pipeline, "seed": 0}
    before = ArrayCache(tmp_path).key_hash("cv_pred_probs", key)
    assert ArrayCache(tmp_path).key_hash("cv_pred_probs", key) == before

    write_local_module(tmp_path, 0.5)  # the code changes (same size, same second), the config does not
    assert code_identity({"classifier": pipeline})["localclf"] != identity["localclf"]
    assert ArrayCache(tmp_path).key_hash("cv_pred_probs", key) != before


def test_loaders_in_the_runner_count_by_their_own_source():
    identity = code_identity({"noise": {"_target_": "runner.core.io.atomic_write_text"}})
    expected = hashlib.sha256(Path(cache_module.__file__).with_name("io.py").read_bytes()).hexdigest()
    assert identity["runner.core.io"] == f"sha256:{expected}"
    assert identity["runner"].startswith("sha256:") and identity["numpy"] == f"numpy=={np.__version__}"


CACHE_LINE = re.compile(r"cache (hit|miss): cv_pred_probs")


@pytest.mark.slow
def test_editing_a_local_classifier_module_between_two_runs_recomputes(tmp_path):
    code_dir = tmp_path / "code"
    code_dir.mkdir()
    write_local_module(code_dir, 1.0)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(code_dir), os.environ.get("PYTHONPATH")]))}

    def run(name: str) -> tuple[str, bytes]:
        run_dir = tmp_path / name
        result = subprocess.run(
            [sys.executable, "-m", "runner", f"hydra.run.dir={run_dir}", f"cache_dir={tmp_path / 'cache'}",
             "experiment=quick", "classifier._target_=localclf.LocalClassifier"],
            cwd=REPO, capture_output=True, text=True, timeout=300, env=env,
        )
        assert result.returncode == 0, result.stderr
        return CACHE_LINE.search((run_dir / "runner.log").read_text()).group(1), (run_dir / "label_issues.csv").read_bytes()

    assert run("first")[0] == "miss"
    same, same_bytes = run("same code")
    assert same == "hit"
    write_local_module(code_dir, 0.01)
    edited, edited_bytes = run("edited code")
    assert edited == "miss"
    assert edited_bytes != same_bytes  # the new code's pred_probs, not the old ones


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runner.core.cache", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def test_cache_cli_info_prune_and_clear(tmp_path):
    cache = ArrayCache(tmp_path)
    for seed in range(3):
        cache.get_or_compute("cv_pred_probs", {"seed": seed}, compute_pred_probs)
    cache.get_or_compute("baseline", {"seed": 0}, lambda: {"test_predictions": np.arange(5)})
    entries = sorted(p for p in (tmp_path / "cv_pred_probs").iterdir() if not p.name.startswith("."))
    # one damaged, one unused for ten days, a leftover of a killed writer
    np.save(entries[0] / "pred_probs.npy", np.zeros((40, 3)), allow_pickle=False)
    ten_days_ago = time.time() - 10 * 86400
    os.utime(entries[1] / "manifest.json", (ten_days_ago, ten_days_ago))
    leftover = tmp_path / "cv_pred_probs" / ".0123456789ab.killed"
    leftover.mkdir()
    os.utime(leftover, (ten_days_ago, ten_days_ago))
    stale_lock = tmp_path / "cv_pred_probs" / f".{'ab' * 32}.computing"  # of a killed computing job
    stale_lock.touch()
    os.utime(stale_lock, (ten_days_ago, ten_days_ago))

    info = cli("info", "--cache-dir", str(tmp_path), "--older-than", "7")
    assert info.returncode == 0, info.stderr
    assert "4 entries" in info.stdout and "cv_pred_probs: 3 entries" in info.stdout
    assert "unused for 7 days: 1 entries" in info.stdout

    prune = cli("prune", "--cache-dir", str(tmp_path))
    assert prune.returncode == 0, prune.stderr
    assert "removed 1 entries (1 damaged)" in prune.stdout and "2 leftovers" in prune.stdout
    assert not entries[0].exists() and entries[1].exists() and not leftover.exists() and not stale_lock.exists()

    old = cli("clear", "--cache-dir", str(tmp_path), "--older-than", "7")
    assert "removed 1 entries" in old.stdout and not entries[1].exists() and entries[2].exists()
    everything = cli("clear", "--cache-dir", str(tmp_path))
    assert "removed 2 entries" in everything.stdout
    assert not [p for kind in tmp_path.iterdir() for p in kind.iterdir() if not p.name.startswith(".")]
    assert cli("info", "--cache-dir", str(tmp_path / "nowhere")).stdout.startswith("no cache at")
    assert cli("prune", "--older-than", "-1").returncode != 0
