"""Atomic writers: the destination holds either the old or the new content, never a part."""

import json
import os

import numpy as np
import pandas as pd
import pytest

from runner.core.io import (
    atomic_path,
    atomic_save_npy,
    atomic_write_csv,
    atomic_write_json,
    atomic_write_text,
)


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "metrics.json"
    atomic_write_json(target, {"a": 1})
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text('{"a": 2, "trunc')
        raise RuntimeError("killed mid-write")
    assert json.loads(target.read_text()) == {"a": 1}
    assert sorted(os.listdir(tmp_path)) == ["metrics.json"]


def test_json_is_sorted_and_handles_numpy_scalars(tmp_path):
    target = atomic_write_json(tmp_path / "m.json", {"b": np.float64(0.5), "a": np.int64(3), "c": np.bool_(True)})
    assert target.read_text() == '{\n  "a": 3,\n  "b": 0.5,\n  "c": true\n}\n'


def test_csv_and_npy_round_trip(tmp_path):
    frame = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    atomic_write_csv(tmp_path / "f.csv", frame)
    assert (tmp_path / "f.csv").read_text() == "x,y\n1,a\n2,b\n"
    atomic_save_npy(tmp_path / "a.npy", np.arange(3))
    assert np.load(tmp_path / "a.npy", allow_pickle=False).tolist() == [0, 1, 2]
    with pytest.raises(TypeError, match="pickle"):
        atomic_save_npy(tmp_path / "b.npy", np.array([{}], dtype=object))
    assert not (tmp_path / "b.npy").exists()


def test_text_overwrite_replaces_content(tmp_path):
    atomic_write_text(tmp_path / "t.txt", "old")
    atomic_write_text(tmp_path / "t.txt", "new")
    assert (tmp_path / "t.txt").read_text() == "new"


def test_written_files_get_normal_permissions(tmp_path):
    target = atomic_write_text(tmp_path / "p.txt", "x")
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask
