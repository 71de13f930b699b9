"""The config of a run: its schemas (:mod:`~runner.config.schema`, stored in Hydra's
ConfigStore) and the checks Hydra cannot express (:mod:`~runner.config.validate`).

The names are imported on first use (PEP 562): start-up (``python -m runner --help``) needs the
schemas only, and the checks import the library and the loaders.
"""

from __future__ import annotations

import importlib

__all__ = [
    "CONF_DIR",
    "ConfigError",
    "FILTERS",
    "QUALITY_METHODS",
    "checked_config",
    "config_problems",
    "register_configs",
    "validate_config",
]

_MODULE_OF = {"CONF_DIR": "schema", "register_configs": "schema"}


def __getattr__(name: str):
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_MODULE_OF.get(name, 'validate')}")
    return getattr(module, name)
