from runner.config.schema import *  # noqa: F401,F403
from runner.config.schema import (  # noqa: F401
    FILTERS,
    QUALITY_METHODS,
    ConfigError,
    register_configs,
    validate_config,
)
