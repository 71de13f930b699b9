"""A ``_target_`` path to the object it names: the one importer of the runner's checks.

``import_target("runner.noise.symmetric")`` walks the path as Hydra's ``instantiate`` does:
an attribute of a module first (a package re-exporting a function keeps its short path), a
submodule otherwise. So the checks run before any work see exactly what the run will call.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["import_target"]


def import_target(path: str) -> Any:
    """The object named by the dotted ``path`` ("package.module.name").

    Raises ``ImportError`` for a path that is not dotted or whose first module does not
    exist, ``AttributeError`` for a name its module lacks, and lets any error raised while
    importing an existing module propagate (that module is broken, not missing).
    """
    parts = path.split(".") if isinstance(path, str) else []
    if len(parts) < 2 or not all(parts):
        raise ImportError(f"expected a dotted path such as package.module.name; got {path!r}")
    found: Any = importlib.import_module(parts[0])
    for position, part in enumerate(parts[1:], start=1):
        if hasattr(found, part):
            found = getattr(found, part)
            continue
        if isinstance(found, ModuleType):
            name = ".".join(parts[: position + 1])
            try:
                found = importlib.import_module(name)
                continue
            except ModuleNotFoundError as error:
                if error.name != name:
                    raise  # the module exists but an import inside it failed
        raise AttributeError(f"module {'.'.join(parts[:position])!r} has no attribute {part!r}")
    return found
