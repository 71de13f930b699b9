"""The job dir vocabulary every layer shares: file names, identity, dir names, readers.

A job dir (a single run's, or one job of a sweep) holds, in the order the job writes them::

    .hydra/{config,hydra,overrides}.yaml   Hydra's snapshot (written by runner.job.lifecycle)
    resolved_config.yaml                   the fully resolved config
    label_issues.csv, ... matrices.png     the run's results (runner.scoring.writer)
    metrics.json, status.json, provenance.json
    DONE                                   completion marker, always last

A sweep dir holds one dir per job, named by the job's overrides (:func:`job_dir_name`), and
Hydra's ``multirun.yaml``. A job's identity is its ``.hydra/overrides.yaml``; the
``summary.*`` and ``report.*`` settings (:data:`PRESENTATION_KEYS`) are read by the summary
and the reports only, never part of a job's identity, its dir name or a sweep's.

This module imports nothing of the runner: it is the leaf that the job lifecycle, the sweep
checks, the summary and the reports all read the same names from.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from omegaconf import ListConfig, OmegaConf

__all__ = [
    "CONF_DIR",
    "DONE",
    "HYDRA_SUBDIR",
    "FLAGGED_FIGURE",
    "PRESENTATION_KEYS",
    "REPORT",
    "RESULT_FILES",
    "identity_key",
    "is_identity_override",
    "is_sweep_dir",
    "job_dir_name",
    "job_dirs",
    "job_identity",
    "read_json",
    "read_yaml",
    "register_resolvers",
    "sweep_dir_of",
    "sweep_jobs",
]

logger = logging.getLogger(__name__)

# The bundled config groups (conf/dataset/digits.yaml, ...), beside the runner package.
CONF_DIR = Path(__file__).resolve().parents[2] / "conf"

DONE = "DONE"
REPORT = "report.html"
FLAGGED_FIGURE = "flagged_examples.png"
HYDRA_SUBDIR = ".hydra"
# Everything a run may leave behind; cleared before a rerun so no stale result survives.
RESULT_FILES = (
    DONE,
    "metrics.json",
    "status.json",
    "provenance.json",
    "resolved_config.yaml",
    "label_issues.csv",
    "confident_joint.csv",
    "noise_matrix.csv",
    "true_noise_matrix.csv",
    "matrices.png",
    "matrices.pdf",
    REPORT,
    FLAGGED_FIGURE,
    "class_health.csv",
    "overlapping_classes.csv",
)
# Top-level settings read by the sweep summary and the reports only, never by the experiment:
# not part of a job's identity, its dir name or a sweep's.
PRESENTATION_KEYS = ("summary", "report")
# Characters kept as they are in a job dir name; any other makes the name end in a hash.
_SAFE = re.compile(r"[^A-Za-z0-9_.,=+~@\[\]-]")
MAX_NAME = 120
# libyaml's loader when PyYAML has it: a job's hydra.yaml takes ~0.1 s to parse in pure Python,
# and the summary after every job reads every job's.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# ---------------------------------------------------------------------------------------
# Job identity and dir names


def identity_key(override: str) -> str:
    """"+noise.rate=0.1" -> "noise.rate" (the key an override sets, without +/~ prefixes)."""
    return str(override).partition("=")[0].lstrip("+~")


def is_identity_override(override: str) -> bool:
    return identity_key(override).partition(".")[0] not in PRESENTATION_KEYS


def job_dir_name(overrides: Iterable[str]) -> str:
    """A job dir name from its overrides: "noise.rate=0.1,seed=0" (summary.* left out).

    Sorted by key, so the order on the command line does not matter. A name with characters
    unsafe in a path (a "/" in a file path value, quotes, spaces) or longer than 120
    characters keeps a readable prefix and ends in a hash of the overrides, so it stays
    unique. No overrides at all: "defaults".
    """
    kept = sorted((str(o) for o in overrides if is_identity_override(o)), key=lambda o: (identity_key(o), o))
    text = ",".join(kept)
    if not text:
        return "defaults"
    safe = _SAFE.sub("_", text)
    if safe == text and len(text) <= MAX_NAME:
        return text
    digest = hashlib.sha256("\0".join(kept).encode()).hexdigest()[:12]
    return f"{safe[: MAX_NAME - 13]}-{digest}"


def _job_dir_resolver(overrides: Any) -> str:
    if isinstance(overrides, ListConfig):
        overrides = OmegaConf.to_container(overrides)
    return job_dir_name(overrides or [])


def register_resolvers() -> None:
    """Register ``${runner_job_dir:...}`` (``hydra.sweep.subdir`` in conf/config.yaml).

    Called where a job's config is composed or resolved: the entry point, and the job
    lifecycle module that launcher workers import when they unpickle the task.
    """
    OmegaConf.register_new_resolver("runner_job_dir", _job_dir_resolver, replace=True)


def job_identity(resolved_config: str):
    """The job's identity in a resolved config (YAML text): everything but the
    :data:`PRESENTATION_KEYS`; None for text that is not YAML."""
    try:
        config = yaml.safe_load(resolved_config)
    except yaml.YAMLError:
        return None
    if isinstance(config, dict):
        for key in PRESENTATION_KEYS:
            config.pop(key, None)
    return _without_nulls(config)


def _without_nulls(node):
    """The config without its null values: a key a newer schema added with a null default
    ("not set", e.g. ``search_role``) is absent from a job dir written before it, and the two
    are the same job (sweep dirs written before the key existed still resume); any set value
    still counts."""
    if isinstance(node, dict):
        return {key: _without_nulls(value) for key, value in node.items() if value is not None}
    return node


# ---------------------------------------------------------------------------------------
# Sweep dirs


def sweep_dir_of(config) -> Path:
    """hydra.sweep.dir as an absolute path (relative ones are relative to the launch dir)."""
    sweep_dir = Path(str(config.hydra.sweep.dir))
    if sweep_dir.is_absolute():
        return sweep_dir
    return Path(str(config.hydra.runtime.cwd or os.getcwd())) / sweep_dir


def job_dirs(sweep_dir: str | os.PathLike) -> list[Path]:
    """The job dirs of a sweep: its visible subdirectories (.submitit/ and the like are not)."""
    return sorted(
        (path for path in Path(sweep_dir).iterdir() if path.is_dir() and not path.name.startswith(".")),
        key=_dir_sort_key,
    )


def _dir_sort_key(path: Path) -> tuple:
    return (0, int(path.name), "") if path.name.isdigit() else (1, 0, path.name)


def sweep_jobs(sweep_dir: Path) -> dict[str, list[str]]:
    """{job dir name: its overrides} of the job dirs in ``sweep_dir`` (those with overrides)."""
    jobs: dict[str, list[str]] = {}
    if not sweep_dir.is_dir():
        return jobs
    for job_dir in sorted(sweep_dir.iterdir()):
        overrides_path = job_dir / HYDRA_SUBDIR / "overrides.yaml"
        if job_dir.name.startswith(".") or not overrides_path.is_file():
            continue
        with contextlib.suppress(OSError, yaml.YAMLError):
            overrides = yaml.safe_load(overrides_path.read_text(encoding="utf-8")) or []
            jobs[job_dir.name] = [str(o) for o in overrides]
    return jobs


def is_sweep_dir(path: str | os.PathLike) -> bool:
    """A sweep's output dir: Hydra's multirun.yaml, or job subdirs with .hydra/overrides.yaml.

    A single run's dir (its own .hydra/ and status.json) is not one.
    """
    path = Path(path)
    if not path.is_dir() or (path / HYDRA_SUBDIR / "overrides.yaml").is_file():
        return False
    return (path / "multirun.yaml").is_file() or bool(sweep_jobs(path))


# ---------------------------------------------------------------------------------------
# Readers


def read_json(path: str | os.PathLike, *, unreadable: str = "raise"):
    """The JSON in ``path``, None when the file does not exist.

    A file that is not JSON raises ``ValueError`` (``unreadable="raise"``), or is logged and
    read as None (``"warn"``: cannot happen with the atomic writers; report, don't crash), or
    read as None silently (``"none"``).
    """
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None
    except ValueError as error:
        if unreadable == "raise":
            raise
        if unreadable == "warn":
            logger.warning("unreadable %s: %s", path, error)
        return None


def read_yaml(path: str | os.PathLike):
    """The YAML in ``path`` (safe loader), None when the file does not exist."""
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except FileNotFoundError:
        return None
