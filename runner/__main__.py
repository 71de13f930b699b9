"""``python -m runner [overrides]`` and ``python -m runner -m [sweep overrides]``.

Thin on purpose: the job logic lives in runner.job.lifecycle.run_job, a plain function tests call.
Start-up imports Hydra, OmegaConf and the schemas only (no scikit-learn, pandas, scipy or
matplotlib: tests/runner/test_startup.py), so ``--help`` and a config error answer fast.

Signals reaching the launching process (Ctrl-C reaches it and every launcher worker; Slurm's
SIGTERM every process of the job) end it with one line and the shell's exit status, 130 for
SIGINT and 143 for SIGTERM, instead of a traceback. Each job records its own interrupt
(runner.job.lifecycle, runner.core.signals).
"""

import signal
import sys

import hydra
from omegaconf import DictConfig

from runner.config import register_configs
from runner.config.hints import install_key_hints
from runner.core.layout import register_resolvers
from runner.core.signals import Interrupted, exit_code
from runner.sweep import composition

register_configs()  # structured schemas must be in the ConfigStore before composition
register_resolvers()  # ${runner_job_dir:...} names the job dirs of a sweep
install_key_hints()  # an unknown key or option: one line with the closest name, never "use +key"
composition.install()  # Hydra's config loader, composing each distinct defaults list once


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> dict:
    from runner.job.lifecycle import run_job  # the job's stack: not imported by --help

    return run_job(cfg)


def _stop_on_sigterm(signum, frame):
    raise Interrupted(signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        main()
    except KeyboardInterrupt as interrupt:
        signum = getattr(interrupt, "signum", signal.SIGINT)
        sys.stderr.write(f"interrupted by {signal.Signals(signum).name}\n")
        sys.exit(exit_code(signum))
