"""How many jobs of a sweep a launcher runs at once, and the threads each job may use.

One place answers it for every launcher the runner knows: Hydra's basic launcher (one job at
a time, in the launching process), cleanlearn's local launcher (``hydra/launcher=local``:
``n_jobs`` forked worker processes, hydra_plugins/cleanlearn_launcher), Hydra's joblib
launcher (``n_jobs`` worker processes) and submitit (one process per job, locally or on
Slurm). The job reads it to cap its threads (runner.job.lifecycle), the sweep to decide who
writes the job reports (runner.sweep.side_work, runner.config.report_setting).
"""

from __future__ import annotations

import os

__all__ = ["BASIC_LAUNCHER", "LOCAL_LAUNCHER", "available_cpus", "can_fork", "jobs_at_once",
           "jobs_side_by_side", "parallel_thread_budget", "workers_of"]

BASIC_LAUNCHER = "hydra._internal.core_plugins.basic_launcher.BasicLauncher"
LOCAL_LAUNCHER = "hydra_plugins.cleanlearn_launcher.local_launcher.LocalLauncher"


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask: a Slurm allocation, taskset)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether this platform forks a process safely: not Windows (no fork), not macOS (where a
    fork of a process that has loaded system frameworks may crash, why Python spawns there).
    The local launcher's workers and the forked renderer of its final summary need it."""
    import multiprocessing
    import sys

    return sys.platform != "darwin" and "fork" in multiprocessing.get_all_start_methods()


def workers_of(n_jobs, cpu_count: int | None = None) -> int:
    """joblib's convention for ``n_jobs``: a positive count as it is, -1 every CPU, -2 all but
    one, ... (at least 1). ``n_jobs`` 0 or not an integer: ValueError naming it."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise ValueError(f"hydra.launcher.n_jobs must be a non-zero integer (-1: every CPU); got {n_jobs!r}")
    if n_jobs > 0:
        return n_jobs
    cpu_count = available_cpus() if cpu_count is None else cpu_count
    return max(1, cpu_count + 1 + n_jobs)


def _target(launcher_cfg) -> str:
    return str(launcher_cfg.get("_target_", ""))


def jobs_at_once(launcher_cfg, cpu_count: int | None = None) -> int | None:
    """Jobs the launcher runs side by side: 1 for the basic launcher, ``n_jobs`` for the local
    and joblib launchers, None (unknown, assumed more than one) for any other."""
    target = _target(launcher_cfg)
    if target.endswith("BasicLauncher"):
        return 1
    if target == LOCAL_LAUNCHER:
        return workers_of(launcher_cfg.get("n_jobs", -1), cpu_count)
    if "joblib" in target:
        return workers_of(int(launcher_cfg.get("n_jobs", -1) or 1), cpu_count)
    return None


def jobs_side_by_side(launcher_cfg) -> bool:
    """Whether the launcher runs a sweep's jobs in parallel processes."""
    return jobs_at_once(launcher_cfg) != 1


def parallel_thread_budget(launcher_cfg, cpu_count: int | None = None) -> int | None:
    """Threads one job may use when the launcher runs jobs side by side; None = no cap.

    Local and joblib launchers: the CPUs shared out between their workers. submitit (local or
    Slurm): the job's cpus_per_task (1 when unset, Slurm's own default). A launcher running
    one job at a time is not capped; any other launcher is assumed parallel (1 thread).
    """
    cpu_count = available_cpus() if cpu_count is None else cpu_count
    at_once = jobs_at_once(launcher_cfg, cpu_count)
    if at_once == 1:
        return None
    if at_once is not None:
        return max(1, cpu_count // at_once)
    if "submitit" in _target(launcher_cfg):
        return int(launcher_cfg.get("cpus_per_task") or 1)
    return 1
