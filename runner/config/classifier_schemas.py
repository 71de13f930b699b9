"""The classifier schemas, cached on disk so that start-up imports no estimator.

Each ``conf/classifier/<name>.yaml`` gets a schema ``schema_classifier_<name>`` with one key per
constructor parameter of the *installed* estimator (runner.model.estimators builds it by
importing the ``_target_``). Building them imports scikit-learn and every other estimator
package: 1 to 2 s that ``python -m runner --help`` and a config error paid on every start.

A schema is a plain, open DictConfig (no dataclass), so it is stored exactly as YAML. The file
``classifier_schemas-<key>.yaml`` in the cache dir is keyed by everything the schemas are
built from: the Python version, each option's YAML text, and for each ``_target_`` the files it
comes from (size and modification time of its package's ``__init__.py`` and of its own module
file, plus the distribution's version where the distribution is named as the package). Installing
another version of a package, or editing an option, gives another key, and the schemas are built
again (once). Nothing is imported to compute the key.

The cache dir is ``$CLEANLEARN_CACHE_DIR``, else ``$XDG_CACHE_HOME/cleanlearn``, else
``~/.cache/cleanlearn``; when it cannot be written the schemas are simply built every time.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import sys
from pathlib import Path

import yaml
from omegaconf import DictConfig, OmegaConf

__all__ = ["cache_dir", "classifier_schemas", "schemas_key"]

logger = logging.getLogger(__name__)
CACHE_ENV = "CLEANLEARN_CACHE_DIR"
FORMAT = "classifier-schemas-2"  # bump when the cached layout changes


def cache_dir() -> Path:
    """Where the start-up caches live (see the module docstring)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cleanlearn"


def classifier_schemas(classifier_dir: Path) -> dict[str, DictConfig]:
    """{ConfigStore name: schema} of every classifier option, from the cache when it is current."""
    options = {path.stem: path.read_text(encoding="utf-8") for path in sorted(Path(classifier_dir).glob("*.yaml"))}
    path = cache_dir() / f"classifier_schemas-{schemas_key(options)}.yaml"
    try:
        cached = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        cached = None
    if not isinstance(cached, dict):
        cached = _build(classifier_dir)
        _store(path, cached)
    schemas = {}
    for name, node in cached.items():
        schema = OmegaConf.create(node)
        OmegaConf.set_struct(schema, False)  # open: a typo reaches check_estimator_node
        schemas[name] = schema
    return schemas


def schemas_key(options: dict[str, str]) -> str:
    """Hash of what the schemas of ``options`` ({name: YAML text}) are built from."""
    parts = [FORMAT, sys.version, sys.prefix]
    for name, text in sorted(options.items()):
        parts += [name, text]
        try:
            target = (yaml.safe_load(text) or {}).get("_target_")
        except yaml.YAMLError:
            target = None
        if isinstance(target, str):
            parts += _target_stamp(target)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20]


def _target_stamp(target: str) -> list[str]:
    """What identifies the installed code of ``target`` ("pkg.module.Class"), without importing it."""
    names = target.split(".")
    try:
        spec = importlib.util.find_spec(names[0])  # a top-level name: finds, never imports
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None:
        return [target, "missing"]
    origin = Path(spec.origin)
    stamps = [target, _file_stamp(origin)]
    if spec.submodule_search_locations:  # a package: the module file that defines the target
        for end in range(len(names) - 1, 1, -1):
            relative = Path(*names[1:end])
            for candidate in (origin.parent / relative.with_suffix(".py"), origin.parent / relative / "__init__.py"):
                if candidate.is_file():
                    stamps.append(_file_stamp(candidate))
                    break
            else:
                continue
            break
    try:
        stamps.append(importlib.metadata.version(names[0]))
    except importlib.metadata.PackageNotFoundError:
        pass
    return stamps


def _file_stamp(path: Path) -> str:
    try:
        stat = path.stat()
    except OSError:
        return f"{path}:missing"
    return f"{path}:{stat.st_size}:{stat.st_mtime_ns}"


class _Collect:
    """Takes what register_classifier_schemas stores, as the ConfigStore would."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict] = {}

    def store(self, name: str, node: DictConfig) -> None:
        self.nodes[name] = OmegaConf.to_container(node, resolve=False)


def _build(classifier_dir: Path) -> dict[str, dict]:
    from runner.model.estimators import register_classifier_schemas

    collected = _Collect()
    register_classifier_schemas(collected, classifier_dir)
    return dict(sorted(collected.nodes.items()))


def _store(path: Path, schemas: dict[str, dict]) -> None:
    try:
        from runner.core.io import atomic_write_text

        atomic_write_text(path, yaml.safe_dump(schemas, sort_keys=False))  # parameter order kept
    except OSError as error:
        logger.debug("classifier schemas not cached in %s: %s", path, error)
