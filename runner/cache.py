"""On-disk cache for the expensive, shareable parts of a run (out-of-sample pred_probs, baselines).

A sweep over find_label_issues settings repeats the same cross-validation in every job; this
cache makes it run once. An entry is keyed by a SHA-256 of everything that decides its
content (the caller's key: dataset config, a fingerprint of the data, noise, classifier,
cv_n_folds, seed) plus the versions of the packages that compute it. Entries are plain .npy
files read with ``allow_pickle=False``. An entry is built in a private temporary folder and
renamed into place in one step, so parallel jobs that race on the same key never see a
half-written entry: the first rename wins, the others discard their copy and read the winner.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import shutil
import tempfile
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

__all__ = ["ArrayCache", "fingerprint", "package_versions"]


def package_versions() -> dict[str, str]:
    """Versions of everything that can change a cached number."""
    return {"python": platform.python_version()} | {
        name: metadata.version(name) for name in ("numpy", "scipy", "scikit-learn", "cleanlearn")
    }


def _update_with(digest: Any, obj: Any) -> None:
    """Feed ``obj``'s content (not its identity) into ``digest``."""
    if obj is None:
        digest.update(b"None")
        return
    if hasattr(obj, "tocsr") and hasattr(obj, "nnz"):  # scipy sparse
        csr = obj.tocsr()
        digest.update(f"sparse{csr.shape}{csr.dtype}".encode())
        for part in (csr.data, csr.indices, csr.indptr):
            _update_with(digest, part)
        return
    if hasattr(obj, "columns") and hasattr(obj, "to_numpy"):  # pandas DataFrame
        names = [obj.index.name, obj.columns.name]
        digest.update(json.dumps([str(c) for c in [*names, *obj.columns]]).encode())
        _update_with(digest, obj.index.to_numpy())
        for name in obj.columns:
            _update_with(digest, obj[name].to_numpy())
        return
    array = np.asarray(obj)
    digest.update(f"{array.dtype.str}{array.shape}".encode())
    if array.dtype.hasobject or array.dtype.kind in "US":
        digest.update(json.dumps([str(v) for v in array.ravel().tolist()]).encode())
    else:
        digest.update(np.ascontiguousarray(array).tobytes())


def fingerprint(*objs: Any) -> str:
    """SHA-256 of the contents of arrays, DataFrames, sparse matrices or lists."""
    digest = hashlib.sha256()
    for obj in objs:
        _update_with(digest, obj)
        digest.update(b"|")
    return digest.hexdigest()


class ArrayCache:
    """A folder of cached dicts of arrays. ``ArrayCache(None)`` caches nothing."""

    def __init__(self, cache_dir: str | os.PathLike | None) -> None:
        self.root = None if cache_dir in (None, "", "null") else Path(cache_dir)

    def key_hash(self, kind: str, key: Mapping[str, Any]) -> str:
        payload = {"kind": kind, "key": key, "versions": package_versions()}
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def get_or_compute(
        self,
        kind: str,
        key: Mapping[str, Any],
        compute: Callable[[], Mapping[str, np.ndarray]],
    ) -> dict[str, np.ndarray]:
        """Return the arrays cached for (kind, key), computing and storing them on a miss."""
        if self.root is None:
            return {name: np.asarray(a) for name, a in compute().items()}
        entry = self.root / kind / self.key_hash(kind, key)
        cached = self._load(entry)
        if cached is not None:
            log.info("cache hit: %s %s", kind, entry.name[:12])
            return cached
        log.info("cache miss: %s %s (computing)", kind, entry.name[:12])
        arrays = {name: np.asarray(a) for name, a in compute().items()}
        self._store(entry, kind, key, arrays)
        return arrays

    @staticmethod
    def _load(entry: Path) -> dict[str, np.ndarray] | None:
        manifest = entry / "manifest.json"
        if not manifest.is_file():
            return None
        try:
            names = json.loads(manifest.read_text())["arrays"]
            return {name: np.load(entry / f"{name}.npy", allow_pickle=False) for name in names}
        except (OSError, ValueError, KeyError) as error:  # damaged entry: recompute
            log.warning("cache entry %s unreadable (%s); recomputing", entry, error)
            return None

    @staticmethod
    def _store(entry: Path, kind: str, key: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        entry.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=entry.parent, prefix=f".{entry.name[:12]}."))
        try:
            for name, array in arrays.items():
                if array.dtype.hasobject:
                    raise TypeError(f"cache entry {kind!r} array {name!r} has dtype object; not cacheable")
                np.save(staging / f"{name}.npy", array, allow_pickle=False)
            manifest = {"kind": kind, "key": key, "versions": package_versions(), "arrays": sorted(arrays)}
            # The manifest is written last: an entry without one is never read.
            (staging / "manifest.json").write_text(json.dumps(manifest, sort_keys=True, default=str, indent=1))
            try:
                os.rename(staging, entry)
            except OSError:
                if (entry / "manifest.json").is_file():
                    log.info("cache entry %s was stored by a parallel job; keeping it", entry.name[:12])
                else:  # a damaged entry (no manifest) is replaced
                    shutil.rmtree(entry, ignore_errors=True)
                    os.rename(staging, entry)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
