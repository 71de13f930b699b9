"""The config of a run: its schemas (:mod:`~runner.config.schema`, stored in Hydra's
ConfigStore) and the checks Hydra cannot express (:mod:`~runner.config.validate`)."""

from runner.config.schema import CONF_DIR, register_configs
from runner.config.validate import (
    FILTERS,
    QUALITY_METHODS,
    ConfigError,
    checked_config,
    config_problems,
    validate_config,
)

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
