"""The on-disk array cache: hits return the stored bytes, keys separate, races are safe."""

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from runner.core.cache import ArrayCache, fingerprint


def test_miss_then_hit_returns_identical_arrays_without_recomputing(tmp_path, caplog):
    cache = ArrayCache(tmp_path)
    calls = []

    def compute():
        calls.append(1)
        return {"pred_probs": np.random.default_rng(0).dirichlet(np.ones(3), size=50)}

    with caplog.at_level(logging.INFO, logger="runner.core.cache"):
        first = cache.get_or_compute("pred_probs", {"seed": 0}, compute)
        second = cache.get_or_compute("pred_probs", {"seed": 0}, compute)
    assert len(calls) == 1
    np.testing.assert_array_equal(first["pred_probs"], second["pred_probs"])
    assert "cache miss" in caplog.text and "cache hit" in caplog.text


def test_different_keys_and_kinds_do_not_collide(tmp_path):
    cache = ArrayCache(tmp_path)
    a = cache.get_or_compute("k", {"seed": 0}, lambda: {"x": np.zeros(2)})
    b = cache.get_or_compute("k", {"seed": 1}, lambda: {"x": np.ones(2)})
    c = cache.get_or_compute("other", {"seed": 0}, lambda: {"x": np.full(2, 7.0)})
    assert a["x"].tolist() == [0, 0] and b["x"].tolist() == [1, 1] and c["x"].tolist() == [7, 7]


def test_none_disables_caching(tmp_path):
    cache = ArrayCache(None)
    calls = []
    for _ in range(2):
        cache.get_or_compute("k", {}, lambda: calls.append(1) or {"x": np.zeros(1)})
    assert len(calls) == 2


def test_entries_are_plain_npy_readable_without_pickle(tmp_path):
    cache = ArrayCache(tmp_path)
    cache.get_or_compute("k", {"a": 1}, lambda: {"x": np.arange(4)})
    (entry,) = (tmp_path / "k").iterdir()
    manifest = json.loads((entry / "manifest.json").read_text())
    assert manifest["arrays"] == ["x"] and "numpy" in manifest["versions"]
    assert np.load(entry / "x.npy", allow_pickle=False).tolist() == [0, 1, 2, 3]


def test_object_arrays_are_refused_and_leave_no_entry(tmp_path):
    cache = ArrayCache(tmp_path)
    with pytest.raises(TypeError, match="dtype object"):
        cache.get_or_compute("k", {}, lambda: {"x": np.array([{"a": 1}], dtype=object)})
    assert not (tmp_path / "k").exists()  # refused before anything is written


def test_damaged_entry_is_recomputed(tmp_path):
    cache = ArrayCache(tmp_path)
    cache.get_or_compute("k", {}, lambda: {"x": np.arange(3)})
    (entry,) = (tmp_path / "k").iterdir()
    (entry / "x.npy").write_bytes(b"garbage")
    again = cache.get_or_compute("k", {}, lambda: {"x": np.arange(3)})
    assert again["x"].tolist() == [0, 1, 2]


def test_parallel_writers_of_one_key_agree(tmp_path):
    cache = ArrayCache(tmp_path)

    def job(_):
        return cache.get_or_compute("k", {"same": True}, lambda: {"x": np.arange(1000.0)})["x"]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(job, range(8)))
    assert all(np.array_equal(r, results[0]) for r in results)
    entries = [p.name for p in (tmp_path / "k").iterdir() if p.name != ".lock"]
    assert len(entries) == 1 and not entries[0].startswith("."), entries


def test_fingerprint_depends_on_content_not_identity():
    x = np.arange(12.0).reshape(3, 4)
    assert fingerprint(x) == fingerprint(x.copy())
    assert fingerprint(x) != fingerprint(x + 1e-12)
    assert fingerprint(x) != fingerprint(x.astype(np.float32))
    frame = pd.DataFrame(x, columns=list("abcd"))
    assert fingerprint(frame) == fingerprint(frame.copy()) != fingerprint(frame.rename(columns={"a": "z"}))
    assert fingerprint(frame) != fingerprint(frame.set_axis(["p", "q", "r"], axis=0))
    assert fingerprint(frame) != fingerprint(frame.rename_axis("given label"))
    assert fingerprint(sp.csr_matrix(x)) == fingerprint(sp.csr_matrix(x.copy()))
    assert fingerprint(["cat", "dog"]) != fingerprint(["cat", "cow"])
    assert fingerprint(x, None) != fingerprint(None, x)


def test_jobs_missing_one_entry_together_compute_it_once(tmp_path, caplog):
    # A parallel sweep's jobs of one (noise, seed) cell share a cross-validation: the first
    # computes it, the others wait for it and read what it stored.
    cache = ArrayCache(tmp_path)
    calls = []

    def compute():
        calls.append(1)
        time.sleep(0.3)
        return {"x": np.arange(5.0)}

    def job(_):
        return cache.get_or_compute("k", {"same": True}, compute)["x"]

    with caplog.at_level(logging.INFO, logger="runner.core.cache"), ThreadPoolExecutor(4) as pool:
        results = list(pool.map(job, range(4)))
    assert len(calls) == 1
    assert all(np.array_equal(r, np.arange(5.0)) for r in results)
    assert sum("stored by a parallel job meanwhile" in m for m in caplog.messages) == 3
    assert not list((tmp_path / "k").glob(".*.computing"))  # no lock file left behind


def test_a_compute_that_fails_lets_the_waiting_job_compute(tmp_path):
    cache = ArrayCache(tmp_path)
    started = threading.Event()

    def failing():
        started.set()
        time.sleep(0.2)
        raise RuntimeError("boom")

    def second():
        started.wait()
        return cache.get_or_compute("k", {}, lambda: {"x": np.ones(2)})["x"]

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(cache.get_or_compute, "k", {}, failing)
        waiting = pool.submit(second)
        with pytest.raises(RuntimeError, match="boom"):
            first.result()
        assert waiting.result().tolist() == [1.0, 1.0]
    assert not list((tmp_path / "k").glob(".*.computing"))
