"""On-disk cache for the expensive, shareable parts of a run (out-of-sample pred_probs, baselines).

A sweep over find_label_issues settings repeats the same cross-validation in every job; this
cache makes it run once. Three rules keep it from ever returning a wrong result:

1. **Keyed by everything that decides the content.** An entry's name is a SHA-256 of the
   caller's key (dataset config, a fingerprint of the data, noise, classifier, cv_n_folds,
   seed) with its numbers canonical (runner.core.identity: ``sparsity: 0`` and ``0.0`` are one
   key), the versions of the numeric packages and the identity of the code that computes it
   (runner.core.code_identity): the static import closure of every dotted path in the key (the
   classifier, a Pipeline's steps, a skorch ``module``, dataset and noise loaders), of the
   module defining the compute function and of the cleanlearn library; each file outside the
   standard library and site-packages by its SHA-256, each installed distribution by its
   version. Editing any of that code, a helper two imports away included, makes a new key. A
   network's key also holds the resolved device, the framework versions and the thread count
   (runner.core.runtime).
2. **Verified on every read.** The manifest must name the entry: its kind, key, versions,
   code and runtime equal the requested ones (an entry copied under another key is refused)
   and hash to the entry's folder name; it lists exactly the expected arrays, at least one,
   each with a SHA-256 its file matches. An entry that fails (truncated, altered, copied,
   unreadable) is logged as a warning, removed and recomputed, and the fresh result takes its
   place. A cache that cannot be written (a read-only mount) still serves its valid entries,
   and in place of a missing or damaged one the result is computed and not stored.
3. **Nothing computed after a signal.** A compute that returns after SIGINT/SIGTERM (a
   classifier may swallow the KeyboardInterrupt) is discarded, never stored (runner.core.signals).

An entry is built in a private temporary folder and renamed into place in one step, so
parallel jobs that race on the same key never see a half-written entry: the first rename
wins and the others read the winner. A job that misses an entry another job is computing
waits for it (a lock file per entry, ``<kind>/.<entry>.computing``) and reads what it
stored, so the jobs of a parallel sweep that share a cross-validation run it once.
Replacing a damaged entry happens under a lock file per kind (``<kind>/.lock``) after
checking, under the lock, that the entry is still the damaged one, so a job never removes
the fresh entry another job just stored. Arrays are plain .npy
files read with ``allow_pickle=False``.

``python -m runner.cache info|prune|clear [--older-than DAYS] [--cache-dir DIR]`` shows and
removes entries (see :func:`main`).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from runner.core.code_identity import code_identity
from runner.core.compute_lock import computing_lock
from runner.core.identity import canonical_numbers
from runner.core.io import locked
from runner.core.runtime import runtime_identity
from runner.core.signals import raise_if_interrupted

log = logging.getLogger(__name__)

__all__ = ["ArrayCache", "code_identity", "fingerprint", "main", "package_versions"]

MANIFEST = "manifest.json"
LOCK_NAME = ".lock"
# Suffix of the per-entry lock held by a job computing that entry (runner.core.compute_lock).
COMPUTING = ".computing"
# Library whose code decides every cached number, whatever the key says.
LIBRARY = "cleanlearn"
# The manifest fields that name an entry: its folder name is the SHA-256 of them.
PAYLOAD_FIELDS = ("code", "key", "kind", "runtime", "versions")
# Leftovers of killed writers (hidden staging/discard folders) younger than this may belong
# to a job that is still writing; prune leaves them alone.
LEFTOVER_GRACE_SECONDS = 3600


def package_versions() -> dict[str, str]:
    """Versions of the numeric packages that can change a cached number: read once per process
    (the versions imported are those of the first read; each read scans the installed
    distributions, ~3 ms, and every cache lookup of every job needs them)."""
    return dict(_package_versions())


@functools.cache
def _package_versions() -> tuple[tuple[str, str], ...]:
    return (("python", platform.python_version()),
            *((name, metadata.version(name)) for name in ("numpy", "scipy", "scikit-learn")))


# ---------------------------------------------------------------------------------------
# Fingerprints of data


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


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------
# The cache


@dataclass(frozen=True)
class _Read:
    """What reading an entry found: its arrays, or why not (problem None = no entry)."""

    arrays: dict[str, np.ndarray] | None
    entry_id: str | None = None
    problem: str | None = None


class ArrayCache:
    """A folder of cached dicts of arrays. ``ArrayCache(None)`` caches nothing."""

    def __init__(self, cache_dir: str | os.PathLike | None) -> None:
        self.root = None if cache_dir in (None, "", "null") else Path(cache_dir)

    def payload(self, kind: str, key: Mapping[str, Any], code_roots: Iterable[str] = ()) -> dict[str, Any]:
        """What names an entry, as its manifest records it (JSON types): kind, the key with
        canonical numbers, package versions, code identity and runtime identity."""
        key = canonical_numbers(key)
        payload = {
            "kind": kind, "key": key, "versions": package_versions(),
            "code": code_identity(key, roots=(LIBRARY, *code_roots)),
            "runtime": runtime_identity(key),  # device, framework versions, threads of a network
        }
        return json.loads(json.dumps(payload, sort_keys=True, default=str))

    def key_hash(self, kind: str, key: Mapping[str, Any], code_roots: Iterable[str] = ()) -> str:
        return _payload_hash(self.payload(kind, key, code_roots))

    def get_or_compute(
        self,
        kind: str,
        key: Mapping[str, Any],
        compute: Callable[[], Mapping[str, np.ndarray]],
        names: Iterable[str] | None = None,
    ) -> dict[str, np.ndarray]:
        """Return the arrays cached for (kind, key), computing and storing them on a miss.

        ``names``: the arrays ``compute`` returns; an entry listing others is damaged. The
        module defining ``compute`` is a root of the code identity, with the key's dotted paths.
        A cache that cannot be written (read-only) serves its valid entries and computes, without
        storing, in place of missing or damaged ones.
        """
        raise_if_interrupted()  # a signal some earlier work swallowed: do no more
        expected = None if names is None else sorted(names)
        if self.root is None:
            return _computed(compute, kind, expected)
        payload = self.payload(kind, key, [getattr(compute, "__module__", None) or ""])
        entry = self.root / kind / _payload_hash(payload)
        found = read_entry(entry, payload, expected)
        if found.arrays is not None:
            log.info("cache hit: %s %s", kind, entry.name[:12])
            with contextlib.suppress(OSError):
                os.utime(entry / MANIFEST)  # last use, for `prune --older-than`
            return found.arrays
        if found.problem is not None:
            log.warning("cache entry %s failed verification (%s); removing it and recomputing",
                        entry, found.problem)
            try:
                _discard_if_unchanged(entry, found.entry_id, payload, expected)
            except OSError as error:  # a read-only cache: compute, never store
                log.warning("cache entry %s not removed (%s); computing without storing", entry.name[:12], error)
        with computing_lock(entry.parent / f".{entry.name}{COMPUTING}"):
            # a parallel job that missed the same entry first has stored it while this one waited
            stored = read_entry(entry, payload, expected)
            if stored.arrays is not None:
                log.info("cache hit: %s %s (stored by a parallel job meanwhile)", kind, entry.name[:12])
                return stored.arrays
            log.info("cache miss: %s %s (computing)", kind, entry.name[:12])
            arrays = _computed(compute, kind, expected)
            self._store(entry, payload, arrays)
        return arrays

    def _store(self, entry: Path, payload: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        kind = payload["kind"]
        for name, array in arrays.items():
            if array.dtype.hasobject:
                raise TypeError(f"cache entry {kind!r} array {name!r} has dtype object; not cacheable")
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=entry.parent, prefix=f".{entry.name[:12]}."))
        except OSError as error:
            log.warning("cache entry %s not stored (%s)", entry.name[:12], error)
            return
        try:
            for name, array in arrays.items():
                np.save(staging / f"{name}.npy", array, allow_pickle=False)
            manifest = {
                **payload, "arrays": sorted(arrays), "id": uuid.uuid4().hex,
                "sha256": {name: _file_sha256(staging / f"{name}.npy") for name in arrays},
            }
            # The manifest is written last: an entry without one is never read.
            (staging / MANIFEST).write_text(json.dumps(manifest, sort_keys=True, indent=1))
            raise_if_interrupted()
            _publish(staging, entry, payload, sorted(arrays))
        except OSError as error:  # e.g. the cache was pruned or cleared meanwhile
            log.warning("cache entry %s not stored (%s)", entry.name[:12], error)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _computed(compute: Callable[[], Mapping[str, np.ndarray]], kind: str, expected: list[str] | None) -> dict:
    arrays = {name: np.asarray(a) for name, a in compute().items()}
    raise_if_interrupted()  # computed after a signal (swallowed by the work): never stored
    if expected is not None and sorted(arrays) != expected:
        raise ValueError(f"cache entry {kind!r}: compute returned arrays {sorted(arrays)}; expected {expected}")
    return arrays


def _payload_hash(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def read_entry(entry: Path, payload: Mapping[str, Any] | None = None, names: list[str] | None = None) -> _Read:
    """The verified arrays of ``entry``; or no arrays and the reason (none: no entry).

    Verified: the manifest names this entry (its kind, key, versions, code and runtime hash to
    the entry's name and equal ``payload``, the requested ones, when given); it lists at least
    one array, exactly ``names`` when given, each with a SHA-256 its file matches.
    """
    manifest_path = entry / MANIFEST
    if not manifest_path.is_file():
        return _Read(None)
    entry_id = None
    try:
        manifest = json.loads(manifest_path.read_text())
        entry_id = manifest.get("id")
        problem = _manifest_problem(entry, manifest, payload, names)
        if problem:
            return _Read(None, entry_id, problem)
        arrays = {}
        for name in manifest["arrays"]:
            path = entry / f"{name}.npy"
            if _file_sha256(path) != manifest["sha256"][name]:
                return _Read(None, entry_id, f"{path.name}: SHA-256 differs from the manifest")
            arrays[name] = np.load(path, allow_pickle=False)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        return _Read(None, entry_id, f"unreadable: {type(error).__name__}: {error}")
    return _Read(arrays, entry_id)


def _manifest_problem(entry: Path, manifest: dict, payload: Mapping[str, Any] | None,
                      names: list[str] | None) -> str | None:
    recorded = {field: manifest.get(field) for field in PAYLOAD_FIELDS}
    if recorded["kind"] != entry.parent.name:
        return f"manifest kind {recorded['kind']!r} is not the entry's kind {entry.parent.name!r}"
    if payload is not None:
        for field in PAYLOAD_FIELDS:
            if recorded[field] != payload[field]:
                return f"manifest {field} is not the requested one (an entry stored under another key)"
    if _payload_hash(recorded) != entry.name:
        return "manifest does not hash to the entry's name (copied from another key, or stored by an older version)"
    listed = manifest.get("arrays")
    if not isinstance(listed, list) or not listed or len(set(listed)) != len(listed):
        return f"manifest lists arrays {listed!r}; expected a non-empty list of names"
    if names is not None and sorted(listed) != names:
        return f"manifest lists arrays {sorted(listed)}; expected {names}"
    if sorted(manifest.get("sha256") or {}) != sorted(listed):
        return "manifest's SHA-256 list does not match its arrays"
    return None


def _publish(staging: Path, entry: Path, payload: Mapping[str, Any], names: list[str]) -> None:
    """Rename ``staging`` to ``entry``; a valid entry already there wins, a damaged one is replaced."""
    try:
        os.rename(staging, entry)
        return
    except OSError:
        if not entry.exists():
            raise
    with locked(entry.parent / LOCK_NAME):
        existing = read_entry(entry, payload, names)
        if existing.arrays is not None:
            log.info("cache entry %s was stored by a parallel job; keeping it", entry.name[:12])
            return
        _remove(entry)
        os.rename(staging, entry)


def _discard_if_unchanged(entry: Path, entry_id: str | None, payload: Mapping[str, Any],
                          names: list[str] | None) -> None:
    """Remove a damaged entry, unless another job replaced it since it was read."""
    with locked(entry.parent / LOCK_NAME):
        now = read_entry(entry, payload, names)
        if now.arrays is not None:
            return  # valid now: another job replaced it since it was read
        if now.entry_id == entry_id:  # still the damaged one
            _remove(entry)


def _remove(entry: Path) -> None:
    """Rename aside first (readers see the entry or nothing), then delete."""
    aside = entry.parent / f".{entry.name[:12]}.discard.{uuid.uuid4().hex[:8]}"
    try:
        os.rename(entry, aside)
    except FileNotFoundError:
        return
    shutil.rmtree(aside, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# python -m runner.cache info|prune|clear


@dataclass(frozen=True)
class _Entry:
    path: Path
    kind: str
    size: int
    last_used: float  # manifest mtime: written at store, touched at every hit


def _entries(root: Path) -> list[_Entry]:
    found = []
    for kind_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in sorted(p for p in kind_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
            manifest = path / MANIFEST
            last_used = (manifest if manifest.is_file() else path).stat().st_mtime
            found.append(_Entry(path, kind_dir.name, size, last_used))
    return found


def _leftovers(root: Path) -> list[Path]:
    """Hidden staging/discard folders and compute locks of killed writers, old enough not to
    be in use."""
    limit = time.time() - LEFTOVER_GRACE_SECONDS
    return [
        path for kind_dir in root.iterdir() if kind_dir.is_dir()
        for path in kind_dir.iterdir()
        if path.name.startswith(".") and (path.is_dir() or path.name.endswith(COMPUTING))
        and path.stat().st_mtime < limit
    ]


def _size(n_bytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:.0f} {unit}" if unit == "B" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    return ""  # unreachable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m runner.cache",
        description="Show or remove entries of the runner's cache (out-of-sample pred_probs, "
        "baselines, figures). Removing entries is always safe: they are recomputed when needed.",
    )
    parser.add_argument("command", choices=("info", "prune", "clear"),
                        help="info: size and entries per kind; prune: remove damaged entries and "
                        "leftovers of killed jobs (and, with --older-than, entries unused that long); "
                        "clear: remove every entry (with --older-than, those unused that long)")
    parser.add_argument("--cache-dir", type=Path, default=Path("outputs/cache"),
                        help="the cache_dir of the runs (default: outputs/cache)")
    parser.add_argument("--older-than", type=float, metavar="DAYS",
                        help="only entries not used for DAYS days")
    args = parser.parse_args(argv)
    if args.older_than is not None and args.older_than < 0:
        parser.error(f"--older-than must be >= 0 days; got {args.older_than}")
    root = args.cache_dir
    if not root.is_dir():
        print(f"no cache at {root}")
        return 0
    entries = _entries(root)
    old = None if args.older_than is None else time.time() - args.older_than * 86400

    if args.command == "info":
        print(f"cache {root.resolve()}: {len(entries)} entries, {_size(sum(e.size for e in entries))}")
        for kind in sorted({e.kind for e in entries}):
            of_kind = [e for e in entries if e.kind == kind]
            print(f"  {kind}: {len(of_kind)} entries, {_size(sum(e.size for e in of_kind))}")
        if old is not None:
            unused = [e for e in entries if e.last_used < old]
            print(f"  unused for {args.older_than:g} days: {len(unused)} entries, "
                  f"{_size(sum(e.size for e in unused))}")
        return 0

    if args.command == "clear":
        doomed = [e for e in entries if old is None or e.last_used < old]
        reasons = {}
    else:  # prune
        reasons = {e.path: read_entry(e.path).problem for e in entries}
        doomed = [e for e in entries if reasons[e.path] is not None or (old is not None and e.last_used < old)]
    errors = []
    for entry in doomed:
        if reasons.get(entry.path):
            print(f"damaged: {entry.path}: {reasons[entry.path]}")
        try:
            with locked(entry.path.parent / LOCK_NAME):
                _remove(entry.path)
        except OSError as error:  # a read-only cache
            errors.append(error)
    doomed = [e for e in doomed if not e.path.exists()]
    leftovers = _leftovers(root)
    for path in leftovers:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    damaged = sum(1 for e in doomed if reasons.get(e.path))
    print(f"removed {len(doomed)} entries ({damaged} damaged), {_size(sum(e.size for e in doomed))}, "
          f"and {len(leftovers)} leftovers of killed jobs from {root}")
    if errors:
        print(f"could not remove {len(errors)} entries: {errors[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
