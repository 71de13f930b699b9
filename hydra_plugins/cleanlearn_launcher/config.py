"""The launcher's structured config: ``hydra/launcher=local``.

Registered in Hydra's ConfigStore when Hydra scans the plugins. Hydra executes plugin modules
without entering them in sys.modules: no ``from __future__ import annotations`` here.
"""

from dataclasses import dataclass

from hydra.core.config_store import ConfigStore


@dataclass
class LocalLauncherConf:
    _target_: str = "hydra_plugins.cleanlearn_launcher.local_launcher.LocalLauncher"
    # Jobs at once, joblib's convention: -1 every CPU this process may use, -2 all but one, ...
    # Each job's threads are capped at the CPUs shared out between the workers
    # (runner.sweep.launchers); 1 runs the jobs one after another in the launching process.
    n_jobs: int = -1


ConfigStore.instance().store(group="hydra/launcher", name="local", node=LocalLauncherConf, provider="cleanlearn")
