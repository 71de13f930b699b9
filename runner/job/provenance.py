"""What produced a run: package versions, git state, platform and command line.

Written once per finished job as provenance.json. It is the one file (with status.json)
allowed to hold a timestamp, so it stays out of anything compared between reruns.
"""

from __future__ import annotations

import datetime
import functools
import importlib.metadata
import os
import platform
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

__all__ = ["collect_provenance", "git_state", "git_state_in_background", "package_versions"]

# Distribution names as pip knows them (the import names differ for two of them).
PACKAGES = ("numpy", "scikit-learn", "scipy", "pandas", "hydra-core", "omegaconf", "cleanlearn")

# The checkout the runner was imported from (the repository root for an editable install).
SOURCE_ROOT = Path(__file__).resolve().parents[2]


def package_versions(packages=PACKAGES) -> dict[str, str | None]:
    """Installed version of each distribution; None when it is not installed. Read once per
    process (each job of a sweep records them: the versions it imported are those read first)."""
    return dict(_package_versions(tuple(packages)))


@functools.cache
def _package_versions(packages: tuple[str, ...]) -> tuple[tuple[str, str | None], ...]:
    versions = []
    for name in packages:
        try:
            versions.append((name, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            versions.append((name, None))
    return tuple(versions)


def git_state(root: Path = SOURCE_ROOT) -> dict[str, object] | None:
    """{"commit": sha, "dirty": bool} of the checkout at ``root``; None without git or a repo.

    "dirty" counts modified tracked files only: untracked outputs/ must not flip it.
    """
    try:
        commit = _git(root, "rev-parse", "HEAD")
        changes = _git(root, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(changes)}


def git_state_in_background(root: Path = SOURCE_ROOT) -> Callable[[], dict[str, object] | None]:
    """Start :func:`git_state` now in a thread; the returned function waits for its result.

    A job starts it before its work and collects it when it records its provenance: the two
    git processes (about 10 ms each) run on another core meanwhile, and the state recorded
    is the checkout's as the job started.
    """
    result: list = []
    thread = threading.Thread(target=lambda: result.append(git_state(root)), daemon=True)
    thread.start()

    def collect() -> dict[str, object] | None:
        thread.join()
        return result[0] if result else None

    return collect


def collect_provenance(task_overrides=(), hydra_overrides=(), git: dict[str, object] | None | object = ...
                       ) -> dict[str, object]:
    """Everything needed to tell later how and with what a run was produced (``git``: a
    :func:`git_state` already collected; by default it is collected now)."""
    return {
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "packages": package_versions(),
        "git": git_state() if git is ... else git,
        "platform": {
            "system": platform.platform(),
            "machine": platform.machine(),
            "node": platform.node(),
        },
        # which process ran the job (a parallel launcher's worker, or the launching process)
        "process": {"pid": os.getpid(), "parent_pid": os.getppid()},
        "command": {
            "argv": list(sys.argv),
            "overrides": list(task_overrides),
            "hydra_overrides": list(hydra_overrides),
        },
    }


def _git(root: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return completed.stdout.strip()
