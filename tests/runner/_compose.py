"""Compose the runner's config as ``python -m runner`` would, for in-process tests.

``make_config("dataset=iris", ...)``: Hydra's compose API on conf/ with the cache off, then
the runner's own config check (``validate_config``), so a test sees the config a run gets.
"""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir

from runner.config import register_configs, validate_config

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
register_configs()


def make_config(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=["cache_dir=null", *overrides])
    validate_config(cfg)
    return cfg
