"""One problem line per bad config value: the vocabulary every check of the runner speaks.

A check never raises: it returns a list of lines such as
``dataset.test_size must be a float in [0, 1); got 1.5``, so that one message can list every
problem of a config (runner.config.validate_config) or of a sweep (runner.sweep.check).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from pathlib import Path
from typing import Any

from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf

__all__ = ["check", "check_file", "is_int", "is_real", "one_line", "show", "value"]


def value(node: DictConfig, key: str) -> Any:
    """``node[key]`` or MISSING (never raises for a ``???`` value)."""
    if key not in node or OmegaConf.is_missing(node, key):
        return MISSING
    return node[key]


def is_int(candidate: Any) -> bool:
    return isinstance(candidate, numbers.Integral) and not isinstance(candidate, bool)


def is_real(candidate: Any) -> bool:
    return isinstance(candidate, numbers.Real) and not isinstance(candidate, bool)


def show(shown: Any) -> str:
    """A config value as the user typed it: ``[1, 2]``, ``'abc'``."""
    if isinstance(shown, (DictConfig, ListConfig)):
        shown = OmegaConf.to_container(shown)
    return repr(shown)


def check(node: DictConfig, prefix: str, key: str, ok: Callable[[Any], bool], expected: str) -> list[str]:
    """One problem line if ``node[key]`` is missing or fails ``ok``; none otherwise."""
    name = f"{prefix}.{key}" if prefix else key
    found = value(node, key)
    if found is MISSING:
        return [f"{name} is required; got ??? (set it: {name}=...)"]
    if not ok(found):
        return [f"{name} must be {expected}; got {show(found)}"]
    return []


def check_file(node: DictConfig, key: str, *, prefix: str = "dataset", directory_ok: bool = False) -> list[str]:
    """``node[key]`` names an existing file (or directory, with ``directory_ok``)."""
    found = value(node, key)
    if found is MISSING:
        return [f"{prefix}.{key} is required for {prefix}={node.get('name')}; got ??? "
                f"(set {prefix}.{key}=PATH)"]
    exists = isinstance(found, str) and (Path(found).is_file() or (directory_ok and Path(found).is_dir()))
    if not exists:
        return [f"{prefix}.{key} must be an existing file; got {show(found)} (not found)"]
    return []


def one_line(error: BaseException) -> str:
    """'TypeName: message' on one line (OmegaConf's messages span several)."""
    text = "; ".join(" ".join(line.split()) for line in str(error).splitlines() if line.strip())
    return f"{type(error).__name__}: {text}"
