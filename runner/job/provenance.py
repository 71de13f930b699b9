"""What produced a run: package versions, git state, platform and command line.

Written once per finished job as provenance.json. It is the one file (with status.json)
allowed to hold a timestamp, so it stays out of anything compared between reruns.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import platform
import subprocess
import sys
from pathlib import Path

__all__ = ["collect_provenance", "git_state", "package_versions"]

# Distribution names as pip knows them (the import names differ for two of them).
PACKAGES = ("numpy", "scikit-learn", "scipy", "pandas", "hydra-core", "omegaconf", "cleanlearn")

# The checkout the runner was imported from (the repository root for an editable install).
SOURCE_ROOT = Path(__file__).resolve().parents[2]


def package_versions(packages=PACKAGES) -> dict[str, str | None]:
    """Installed version of each distribution; None when it is not installed."""
    versions = {}
    for name in packages:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


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


def collect_provenance(task_overrides=(), hydra_overrides=()) -> dict[str, object]:
    """Everything needed to tell later how and with what a run was produced."""
    return {
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "packages": package_versions(),
        "git": git_state(),
        "platform": {
            "system": platform.platform(),
            "machine": platform.machine(),
            "node": platform.node(),
        },
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
