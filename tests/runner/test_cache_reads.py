"""Cache reads verify what they read (issue 19, cases 4, 5 and 8): an entry copied under another key,
a manifest listing no arrays or other arrays, a damaged entry in a read-only cache; numbers typed
two ways (0, 0.0) sharing one entry when the parameter is declared float, and only then."""

from __future__ import annotations

import builtins
import errno
import io
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from runner.core.cache import ArrayCache, read_entry
from runner.core.identity import canonical_numbers, float_parameters

REPO = Path(__file__).resolve().parents[2]


def pred_probs(seed: int):
    return lambda: {"pred_probs": np.random.default_rng(seed).dirichlet(np.ones(3), size=30)}


def counting(compute):
    calls = []

    def wrapped():
        calls.append(1)
        return compute()

    return wrapped, calls


def entries(root: Path, kind: str = "cv_pred_probs") -> list[Path]:
    return sorted(p for p in (root / kind).iterdir() if not p.name.startswith("."))


def prune(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runner.cache", "prune", "--cache-dir", str(root)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def test_an_entry_copied_under_another_key_is_refused_recomputed_and_pruned(tmp_path, caplog):
    cache = ArrayCache(tmp_path)
    a = cache.get_or_compute("cv_pred_probs", {"seed": 0}, pred_probs(0), names=["pred_probs"])
    (entry_a,) = entries(tmp_path)
    # what key {"seed": 1} would be stored under, holding seed 0's entry
    name_b = cache.key_hash("cv_pred_probs", {"seed": 1}, [__name__])
    shutil.copytree(entry_a, tmp_path / "cv_pred_probs" / name_b)
    assert "does not hash to the entry's name" in read_entry(tmp_path / "cv_pred_probs" / name_b).problem
    assert "removed 1 entries (1 damaged)" in prune(tmp_path).stdout  # prune sees it too
    assert entries(tmp_path) == [entry_a]

    shutil.copytree(entry_a, tmp_path / "cv_pred_probs" / name_b)
    compute, calls = counting(pred_probs(1))
    with caplog.at_level(logging.WARNING):
        b = ArrayCache(tmp_path).get_or_compute("cv_pred_probs", {"seed": 1}, compute, names=["pred_probs"])
    assert calls == [1] and "manifest key is not the requested one" in caplog.text
    np.testing.assert_array_equal(b["pred_probs"], pred_probs(1)()["pred_probs"])
    assert not np.array_equal(a["pred_probs"], b["pred_probs"])
    assert read_entry(tmp_path / "cv_pred_probs" / name_b).arrays is not None  # the fresh one took its place


@pytest.mark.parametrize("listed", [[], ["other"], ["pred_probs", "other"]])
def test_a_manifest_listing_no_arrays_or_others_is_damaged(tmp_path, listed, caplog):
    cache = ArrayCache(tmp_path)
    cache.get_or_compute("cv_pred_probs", {"seed": 0}, pred_probs(0), names=["pred_probs"])
    (entry,) = entries(tmp_path)
    manifest = json.loads((entry / "manifest.json").read_text())
    manifest["arrays"] = listed
    manifest["sha256"] = {name: manifest["sha256"].get(name, "0" * 64) for name in listed}
    for name in listed:
        np.save(entry / f"{name}.npy", np.zeros(2), allow_pickle=False)
    (entry / "manifest.json").write_text(json.dumps(manifest))
    compute, calls = counting(pred_probs(0))
    with caplog.at_level(logging.WARNING):
        again = cache.get_or_compute("cv_pred_probs", {"seed": 0}, compute, names=["pred_probs"])
    assert calls == [1] and "failed verification" in caplog.text  # no KeyError: recomputed
    np.testing.assert_array_equal(again["pred_probs"], pred_probs(0)()["pred_probs"])
    if not listed:  # prune removes it (it keeps an entry listing arrays; their names need the caller)
        manifest_now = json.loads((entry / "manifest.json").read_text())
        manifest_now["arrays"], manifest_now["sha256"] = [], {}
        (entry / "manifest.json").write_text(json.dumps(manifest_now))
        assert "removed 1 entries (1 damaged)" in prune(tmp_path).stdout


def test_compute_returning_other_arrays_than_named_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"returned arrays \['x'\]; expected \['pred_probs'\]"):
        ArrayCache(tmp_path).get_or_compute("k", {}, lambda: {"x": np.zeros(2)}, names=["pred_probs"])


@pytest.fixture
def read_only(monkeypatch):
    """Make every write under a folder fail with EROFS, as a read-only mount does.

    chmod alone does not stop root (CI runs as root) and a read-only bind mount needs
    privileges, so the OS calls that write (open for writing, mkdir, rename, unlink, rmdir,
    utime) are wrapped to raise EROFS for paths under the folder; as a non-root user the
    folder is also chmod'ed read-only, so the kernel refuses too."""
    roots: list[Path] = []

    def under(path) -> bool:
        try:
            resolved = Path(os.fsdecode(path)).resolve()
        except (TypeError, ValueError):
            return False
        return any(resolved == root or root in resolved.parents for root in roots)

    def refuse(path):
        raise OSError(errno.EROFS, "Read-only file system", os.fsdecode(path))

    def guard(original, writes=lambda *a, **k: True):
        def wrapped(path, *args, **kwargs):
            if not isinstance(path, int) and under(path) and writes(*args, **kwargs):
                refuse(path)
            return original(path, *args, **kwargs)
        return wrapped

    def writing_mode(mode="r", *args, **kwargs):
        return any(c in mode for c in "wax+")

    def writing_flags(flags=0, *args, **kwargs):
        return bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))

    for name in ("mkdir", "rmdir", "unlink", "remove", "utime"):
        monkeypatch.setattr(os, name, guard(getattr(os, name)))
    for name in ("rename", "replace"):
        monkeypatch.setattr(os, name, guard(getattr(os, name)))
    monkeypatch.setattr(os, "open", guard(os.open, writing_flags))
    monkeypatch.setattr(builtins, "open", guard(builtins.open, writing_mode))
    monkeypatch.setattr(io, "open", guard(io.open, writing_mode))

    def make(root: Path) -> Path:
        roots.append(root.resolve())
        if os.geteuid() != 0:
            for path in [root, *root.rglob("*")]:
                path.chmod(path.stat().st_mode & ~0o222)
        return root

    yield make
    for root in roots:
        for path in [root, *root.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def test_a_read_only_cache_serves_good_entries_and_computes_in_place_of_damaged_ones(tmp_path, read_only, caplog):
    cache = ArrayCache(tmp_path)
    for seed in (0, 1):
        cache.get_or_compute("cv_pred_probs", {"seed": seed}, pred_probs(seed), names=["pred_probs"])
    damaged = entries(tmp_path)[0]
    np.save(damaged / "pred_probs.npy", np.zeros((30, 3)), allow_pickle=False)
    before = snapshot(tmp_path)
    read_only(tmp_path)
    with pytest.raises(OSError, match="Read-only"):  # the simulation holds
        (tmp_path / "cv_pred_probs" / ".lock").open("a")

    results, computed = {}, []
    with caplog.at_level(logging.WARNING):
        for seed in (0, 1, 2):  # one damaged, one good, one missing
            compute, calls = counting(pred_probs(seed))
            results[seed] = cache.get_or_compute("cv_pred_probs", {"seed": seed}, compute, names=["pred_probs"])
            computed += [seed] * len(calls)
    for seed in (0, 1, 2):  # every result right, no OSError
        np.testing.assert_array_equal(results[seed]["pred_probs"], pred_probs(seed)()["pred_probs"])
    assert len(computed) == 2  # the good entry was served
    assert "not removed" in caplog.text and "not stored" in caplog.text
    assert snapshot(tmp_path) == before  # nothing written, not even a .lock


def test_zero_and_zero_point_zero_share_an_entry_where_the_parameter_is_float(tmp_path):
    noise = {"_target_": "runner.noise.asymmetric", "name": "asymmetric", "rate": 0.2}
    cache = ArrayCache(tmp_path)
    first, first_calls = counting(pred_probs(0))
    second, second_calls = counting(pred_probs(0))
    cache.get_or_compute("cv_pred_probs", {"noise": {**noise, "sparsity": 0}, "seed": 0}, first)
    cache.get_or_compute("cv_pred_probs", {"noise": {**noise, "sparsity": 0.0}, "seed": 0}, second)
    assert (len(first_calls), len(second_calls)) == (1, 0) and len(entries(tmp_path)) == 1
    assert "sparsity" in float_parameters("runner.noise.asymmetric")
    # int-declared or undeclared parameters keep their type: max_features=1 is one feature,
    # 1.0 is all of them (scikit-learn), so they stay two keys.
    forest = {"_target_": "sklearn.ensemble.RandomForestClassifier"}
    assert cache.key_hash("k", {"classifier": {**forest, "max_features": 1}}) != \
        cache.key_hash("k", {"classifier": {**forest, "max_features": 1.0}})
    logreg = {"_target_": "sklearn.linear_model.LogisticRegression"}  # C's default is 1.0: a float
    assert cache.key_hash("k", {"classifier": {**logreg, "C": 1}}) == cache.key_hash("k", {"classifier": {**logreg, "C": 1.0}})
    assert type(canonical_numbers({"seed": 0})["seed"]) is int
    nested = canonical_numbers({"x": [{"_target_": "runner.noise.asymmetric", "sparsity": 0, "rate": True}]})
    assert nested == {"x": [{"_target_": "runner.noise.asymmetric", "sparsity": 0.0, "rate": True}]}
    assert type(nested["x"][0]["sparsity"]) is float and nested["x"][0]["rate"] is True  # bools stay bools


# ---------------------------------------------------------------------------------------
# job identities: numbers typed two ways, and sweep dirs written before this change


def test_a_job_finished_with_sparsity_0_is_recognised_when_it_now_resolves_to_0_0(tmp_path):
    import yaml

    from runner.core.layout import DONE
    from runner.job.lifecycle import is_finished

    old = {"seed": 0, "noise": {"_target_": "runner.noise.asymmetric", "rate": 0.2, "sparsity": 0}}
    (tmp_path / "resolved_config.yaml").write_text(yaml.safe_dump(old))
    (tmp_path / "metrics.json").write_text("{}")
    (tmp_path / DONE).write_text("")
    assert "sparsity: 0\n" in (tmp_path / "resolved_config.yaml").read_text()
    now = {**old, "noise": {**old["noise"], "sparsity": 0.0}}
    assert is_finished(tmp_path, yaml.safe_dump(now))
    assert not is_finished(tmp_path, yaml.safe_dump({**now, "noise": {**now["noise"], "sparsity": 0.4}}))


OLD_COMMIT = "d7d55c9"  # main before issue 19: the job dir format every earlier sweep dir has


@pytest.mark.slow
def test_a_sweep_dir_written_by_the_previous_version_resumes_without_rerunning(tmp_path):
    if subprocess.run(["git", "cat-file", "-e", f"{OLD_COMMIT}^{{commit}}"], cwd=REPO).returncode != 0:
        pytest.skip(f"commit {OLD_COMMIT} not in this clone")
    old_tree = tmp_path / "old"
    old_tree.mkdir()
    archive = subprocess.run(["git", "archive", OLD_COMMIT], cwd=REPO, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(old_tree)], input=archive, check=True)
    sweep_dir = tmp_path / "sweep"
    command = ["-m", "experiment=quick", "noise=asymmetric", "noise.sparsity=0", "seed=0,1",
               f"hydra.sweep.dir={sweep_dir}", f"cache_dir={tmp_path / 'cache'}"]

    def run(tree: Path) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": str(tree)}
        result = subprocess.run([sys.executable, "-m", "runner", *command], cwd=tree, env=env,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
        return result

    run(old_tree)
    done = {p.parent.name: p.stat().st_mtime_ns for p in sweep_dir.glob("*/DONE")}
    assert len(done) == 2
    resumed = run(REPO)
    assert resumed.stdout.count("skipping finished job") + resumed.stderr.count("skipping finished job") == 2
    assert {p.parent.name: p.stat().st_mtime_ns for p in sweep_dir.glob("*/DONE")} == done


@pytest.mark.slow
def test_a_run_with_sparsity_0_reads_the_entry_of_a_run_with_0_0(tmp_path):
    """Issue 19, case 8: `noise.sparsity=0` and conf/noise/asymmetric.yaml's `0.0` share one entry."""

    def run(name: str, *overrides: str) -> str:
        run_dir = tmp_path / name
        result = subprocess.run(
            [sys.executable, "-m", "runner", f"hydra.run.dir={run_dir}", f"cache_dir={tmp_path / 'cache'}",
             "experiment=quick", "noise=asymmetric", *overrides],
            cwd=REPO, capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == 0, result.stderr
        log = (run_dir / "runner.log").read_text()
        return "hit" if "cache hit: cv_pred_probs" in log else "miss"

    assert run("float") == "miss"
    assert run("int", "noise.sparsity=0") == "hit"
    assert run("other", "noise.sparsity=0.4") == "miss"
