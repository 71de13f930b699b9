"""``python -m runner [overrides]`` and ``python -m runner -m [sweep overrides]``.

Thin on purpose: the job logic lives in runner.jobs.run_job, a plain function tests call.
"""

import hydra
from omegaconf import DictConfig

from runner.config import register_configs
from runner.jobs import run_job

register_configs()  # structured schemas must be in the ConfigStore before composition


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> dict:
    return run_job(cfg)


if __name__ == "__main__":
    main()
