"""The sweeper's structured config: ``hydra/sweeper=optuna`` and ``hydra/sweeper/sampler=...``.

Registered in Hydra's ConfigStore when Hydra scans the plugins (this module imports no Optuna).
Hydra executes plugin modules without entering them in sys.modules: no ``from __future__
import annotations`` here (dataclasses would fail to resolve the string annotations).
"""

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

# The search seed defaults to the app's top-level `seed` (none if the app has no such key).
SEED = "${oc.select:seed,null}"


@dataclass
class OptimizeConf:
    # Any key of the job's returned metrics (metrics.json) but a test-set one (test_*): the
    # trials never score the test set (runner.scoring.metrics.is_held_out).
    metric: str = "val_accuracy_cleanlearning"
    direction: str = "maximize"  # or "minimize"


@dataclass
class TPESamplerConf:
    _target_: str = "optuna.samplers.TPESampler"
    seed: Any = SEED
    n_startup_trials: int = 10
    multivariate: bool = False
    # With several trials asked at once, lie about the running ones so they differ.
    constant_liar: bool = False


@dataclass
class RandomSamplerConf:
    _target_: str = "optuna.samplers.RandomSampler"
    seed: Any = SEED


@dataclass
class QMCSamplerConf:
    _target_: str = "optuna.samplers.QMCSampler"
    seed: Any = SEED
    qmc_type: str = "sobol"
    scramble: bool = True


@dataclass
class CmaEsSamplerConf:
    """Needs the `cmaes` package (not a dependency of cleanlearn)."""

    _target_: str = "optuna.samplers.CmaEsSampler"
    seed: Any = SEED
    n_startup_trials: int = 1


@dataclass
class OptunaSweeperConf:
    defaults: list[Any] = field(default_factory=lambda: [{"sampler": "tpe"}])
    _target_: str = "hydra_plugins.cleanlearn_optuna_sweeper.optuna_sweeper.OptunaSweeper"
    # The sampler is built by the sweeper (after checking that Optuna is installed).
    _recursive_: bool = False
    sampler: Any = MISSING
    optimize: OptimizeConf = field(default_factory=OptimizeConf)
    # Trials of the study in total (a rerun with a larger value continues the same study).
    n_trials: int = 20
    # Trials asked and launched together; they run in parallel under a parallel launcher.
    n_jobs: int = 1
    # An Optuna storage URL; null: sqlite:///<sweep dir>/optuna.db.
    storage: str | None = None
    study_name: str = "search"
    # The search space, in Hydra's sweep syntax: choice(...), range(...), interval(...),
    # tag(log, interval(...)), tag(int, interval(...)); other values are fixed overrides.
    params: dict[str, str] | None = None
    # After the search: the best configuration's objective re-estimated on this many seeds the
    # search never saw (in <sweep dir>/final/reestimate/), to show how optimistic its selected
    # value is; 0: none. The final run of the best configuration (<sweep dir>/final/, the
    # only job that scores the test set) always runs.
    reestimate_seeds: int = 3
    # Set by the sweeper on each job it launches (trial, final, reestimate) and copied into the
    # job's own `search_role` (runner.job.lifecycle); never set it by hand.
    search_role: str | None = None


store = ConfigStore.instance()
store.store(group="hydra/sweeper", name="optuna", node=OptunaSweeperConf, provider="cleanlearn")
for name, node in (
    ("tpe", TPESamplerConf),
    ("random", RandomSamplerConf),
    ("qmc", QMCSamplerConf),
    ("cmaes", CmaEsSamplerConf),
):
    store.store(group="hydra/sweeper/sampler", name=name, node=node, provider="cleanlearn")
