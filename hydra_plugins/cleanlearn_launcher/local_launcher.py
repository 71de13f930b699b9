"""``hydra/launcher=local``: a sweep's jobs in forked worker processes (see the package).

The launching process composes nothing new here: each job's config comes from Hydra's config
loader, which the whole-sweep check has already filled (runner.sweep.composition memoises a
composition per defaults list). Before the first fork the launcher imports what every job
imports (:data:`JOB_STACK`), so the workers start with the job's whole stack in memory:
starting a worker costs a fork, not an interpreter and its imports. Jobs are handed out in
groups that share cached work (runner.sweep.schedule), each group to the next free worker, and
each job runs through Hydra's ``run_job`` (its callbacks, the summary row and the progress
line included) in the worker, as the basic launcher runs it in the launching process.

Failures: a failed job is a failed JobReturn, as with every launcher (Hydra raises it once the
batch is done). A worker that dies (the OOM killer, a crash in native code) loses the results
of the group it was running; those jobs come back failed ("lost with its worker"), the others
keep running, and a resumed sweep reruns every job without DONE. Ctrl-C reaches every worker
(one process group): each records its interrupt as a job does (runner.job.lifecycle) and the
sweep stops with exit status 130; a SIGTERM sent to the launching process alone is passed
on to its workers.

Forking is safe here because it happens before any job ran in the launching process (no job
thread exists yet, no OpenMP pool has run) and from its main thread. So a sweeper that may
launch another batch (the Optuna search, ``hydra.sweeper.max_batch_size``) never runs jobs in
the launching process: a batch of one group goes to one forked worker, and the next batch can
still be forked. Only a sweep's one and only batch (the basic sweeper) runs a single group in
the launching process, with the helper process beside it (runner.sweep.side_work). Should jobs
have run in the launching process all the same, its later batches run there too, one after
another.
The workers are forked, never spawned, so a script without an ``if __name__ == "__main__":``
guard is not run again.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import os
import pickle
import signal
import time
from collections.abc import Sequence
from multiprocessing.connection import wait as connection_wait
from pathlib import Path

from hydra.core.utils import (
    JobReturn,
    JobStatus,
    configure_log,
    filter_overrides,
    run_job,
    setup_globals,
)
from hydra.errors import CompactHydraException
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from runner.core.io import flush_output
from runner.sweep.launchers import can_fork, workers_of
from runner.sweep.schedule import shared_work_groups
from runner.sweep.side_work import no_helper_process_here

log = logging.getLogger(__name__)

# What every job imports, imported before the workers are forked (none imports it again).
JOB_STACK = ("runner.job.lifecycle", "runner.experiment.pipeline", "runner.report")
# Seconds the workers get to record an interrupt they received themselves before the
# launching process passes its signal on.
GRACE_SECONDS = 2.0

# The launch in progress, read by the forked workers (a fork copies it: nothing is pickled).
_LAUNCH: tuple[LocalLauncher, int, list[tuple[int, list[str]]]] | None = None
# Whether this process has run jobs itself (a batch of one group, or n_jobs=1). A sweeper that
# launches batch after batch (Optuna, max_batch_size) then gets no more forks from it: a job
# may have run OpenMP code (HistGradientBoosting, KMeans, torch), and GNU libgomp's threads
# do not survive a fork: the child's next parallel region with 2+ threads waits for ever.
_jobs_ran_here = False


class LocalLauncher(Launcher):
    def __init__(self, n_jobs: int = -1) -> None:
        super().__init__()
        self.n_jobs = n_jobs
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        global _jobs_ran_here
        setup_globals()
        assert self.config is not None and self.hydra_context is not None and self.task_function is not None
        try:
            workers = workers_of(self.n_jobs)
        except ValueError as error:
            raise SystemExit(str(error)) from None
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        jobs = [(initial_job_idx + position, list(overrides)) for position, overrides in enumerate(job_overrides)]
        groups = shared_work_groups([overrides for _, overrides in jobs])
        could_fork = workers > 1 and can_fork() and not _jobs_ran_here
        workers = min(workers, len(groups))
        if workers > 1 and not can_fork():
            log.info("hydra/launcher=local: this platform does not fork safely (Windows, macOS); "
                     "the jobs run one after another")
            workers = 1
        if workers > 1 and _jobs_ran_here:
            log.info("hydra/launcher=local: an earlier batch ran its jobs in this process, and a fork of a "
                     "process that has run OpenMP code deadlocks the child's OpenMP (GNU libgomp): the jobs "
                     "run one after another")
            workers = 1
        log.info(f"Launching {len(jobs)} jobs locally, {workers} at a time"
                 + (f" ({len(groups)} groups sharing cached work)" if workers > 1 else ""))
        if workers <= 1 and could_fork and _may_launch_again(self.config):
            # one group: one forked worker, so that this process can still fork the next batch
            log.info("hydra/launcher=local: one group of jobs sharing cached work, in one worker process "
                     "(this sweeper may launch another batch, which is forked from this process)")
            return self._launch_forked(jobs, groups, 1)
        if workers <= 1:
            _jobs_ran_here = True
            return [self.run_one(index, overrides, workers=1) for index, overrides in jobs]
        return self._launch_forked(jobs, groups, workers)

    def run_one(self, index: int, overrides: list[str], workers: int) -> JobReturn:
        """One job, as Hydra's basic launcher runs it; ``hydra.launcher.n_jobs`` in the job's
        config says how many run at once (each job caps its threads by it)."""
        log.info(f"\t#{index} : {' '.join(filter_overrides(overrides))}")
        config = self.hydra_context.config_loader.load_sweep_config(self.config, overrides)
        with read_write(config.hydra), open_dict(config):
            config.hydra.job.id = index
            config.hydra.job.num = index
            config.hydra.launcher.n_jobs = workers
            if workers > 1:
                _details_off_the_console(config.hydra.job_logging)
        ret = run_job(hydra_context=self.hydra_context, task_function=self.task_function, config=config,
                      job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        return ret

    def _launch_forked(self, jobs: list[tuple[int, list[str]]], groups: list[list[int]],
                       workers: int) -> list[JobReturn]:
        global _LAUNCH
        for module in JOB_STACK:  # once, here, instead of once per worker
            importlib.import_module(module)
        _LAUNCH = (self, workers, jobs)
        results: dict[int, JobReturn] = {}
        waiting = list(reversed(groups))  # popped from the end: sweep order
        pool = _Pool()
        try:
            for _ in range(workers):
                pool.assign(pool.start(), waiting.pop())
            while pool.busy():
                for worker, outcome, payload in pool.finished():
                    group, worker.group = worker.group, None
                    if outcome == "stop":  # a job was interrupted: the sweep stops, with its exit status
                        raise SystemExit(payload)
                    if outcome == "done":
                        results.update(zip(group, payload, strict=True))
                    else:  # the worker died: its group is lost, a new worker takes the next one
                        log.error(f"a worker process died ({payload}) running jobs "
                                  f"{', '.join(str(jobs[position][0]) for position in group)}")
                        results.update((position, _lost(jobs[position], payload)) for position in group)
                        if waiting:
                            worker = pool.start()
                    if waiting:
                        pool.assign(worker, waiting.pop())
        except BaseException as stop:
            pool.stop(stop)
            raise
        finally:
            _LAUNCH = None
            pool.close()
        return [results[position] for position in range(len(jobs))]


def _may_launch_again(config: DictConfig) -> bool:
    """Whether the sweeper may call the launcher again: anything but Hydra's basic sweeper
    (a search asks for trial after trial), and the basic sweeper in batches (max_batch_size)."""
    sweeper = config.hydra.sweeper
    basic = str(sweeper.get("_target_", "")).endswith(".BasicSweeper")
    return not basic or sweeper.get("max_batch_size") is not None


def _details_off_the_console(job_logging: DictConfig) -> None:
    """Jobs side by side would interleave their every line on the console: there it keeps their
    warnings and errors and the sweep's own lines (``runner.console``: progress, skipped jobs,
    tracking), each job's runner.log keeps everything. A job_logging without a ``console``
    handler (a user's own) is left as it is."""
    handlers, loggers = job_logging.get("handlers"), job_logging.get("loggers")
    if handlers is None or "console" not in handlers or loggers is None or "runner.console" not in loggers:
        return
    handlers["sweep_console"] = OmegaConf.create(OmegaConf.to_container(handlers["console"]))
    handlers["console"]["level"] = "WARNING"
    loggers["runner.console"]["handlers"] = [
        "sweep_console" if name == "console" else name for name in loggers["runner.console"]["handlers"]]


class _Worker:
    def __init__(self, process, connection) -> None:
        self.process, self.connection, self.group = process, connection, None


class _Pool:
    """Forked workers, each given one group at a time through its own pipe. A worker that dies
    loses only its own group (concurrent.futures' pool would fail every pending task and stop
    the other workers with it)."""

    def __init__(self) -> None:
        self.context = multiprocessing.get_context("fork")
        self.workers: list[_Worker] = []

    def start(self) -> _Worker:
        flush_output()
        ours, theirs = self.context.Pipe()
        others = [worker.connection for worker in self.workers]
        process = self.context.Process(target=_work, args=(theirs, [ours, *others]), name="cleanlearn-worker")
        process.start()
        theirs.close()
        worker = _Worker(process, ours)
        self.workers.append(worker)
        return worker

    def busy(self) -> bool:
        return any(worker.group is not None for worker in self.workers)

    def assign(self, worker: _Worker, group: list[int]) -> None:
        worker.group = group
        worker.connection.send(group)

    def finished(self) -> list[tuple[_Worker, str, object]]:
        """(worker, "done" | "stop" | "died", results | exit status | how it died) of the busy
        workers that have something to say; blocks until one has."""
        busy = [worker for worker in self.workers if worker.group is not None]
        ready = set(connection_wait([w.connection for w in busy] + [w.process.sentinel for w in busy]))
        outcomes = []
        for worker in busy:
            if worker.connection in ready:
                try:
                    outcomes.append((worker, *worker.connection.recv()))
                    continue
                except (EOFError, OSError):
                    pass  # it died before it answered
            if worker.connection in ready or worker.process.sentinel in ready:
                worker.process.join()
                self.workers.remove(worker)
                worker.connection.close()
                outcomes.append((worker, "died", _death(worker.process.exitcode)))
        return outcomes

    def stop(self, stop: BaseException) -> None:
        """The sweep is stopping: the workers get the grace period to record the interrupt they
        received themselves, then the launching process's signal."""
        deadline = time.monotonic() + GRACE_SECONDS
        while time.monotonic() < deadline and any(w.process.is_alive() and w.group is not None for w in self.workers):
            for worker in self.workers:  # a worker that answered (its job recorded the interrupt)
                if worker.group is not None and worker.connection.poll():
                    with contextlib.suppress(EOFError, OSError):
                        worker.connection.recv()
                    worker.group = None
            time.sleep(0.05)
        signum = getattr(stop, "signum", signal.SIGINT if isinstance(stop, KeyboardInterrupt) else signal.SIGTERM)
        for worker in self.workers:
            if worker.group is not None and worker.process.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.process.pid, signum)

    def close(self) -> None:
        """Tell every worker to stop and wait for it (a worker running a job finishes it)."""
        for worker in self.workers:
            with contextlib.suppress(OSError):
                worker.connection.send(None)
        for worker in self.workers:
            worker.process.join()
            worker.connection.close()
        self.workers = []


def _work(connection, inherited) -> None:
    """A worker's life: run the groups it is given until told to stop (None) or the launching
    process is gone (its pipe closed)."""
    for other in inherited:  # the launching process's pipe ends: EOF as soon as it is gone
        other.close()
    _quiet_when_idle()
    # A lone worker's jobs run one at a time, which would start a helper process for their
    # reports here (runner.sweep.side_work); this worker's exit could cut the helper's work
    # short, so its reports wait for the end of the sweep instead.
    no_helper_process_here()
    launcher, workers, jobs = _LAUNCH
    while True:
        try:
            group = connection.recv()
        except (EOFError, OSError):
            return
        if group is None:
            return
        try:
            payload = [launcher.run_one(*jobs[position], workers=workers) for position in group]
        except SystemExit as stop:  # an interrupted job (runner.job.lifecycle): 130 or 143
            connection.send(("stop", stop.code))
            return
        except KeyboardInterrupt as stop:
            connection.send(("stop", 128 + getattr(stop, "signum", signal.SIGINT)))
            return
        connection.send(("done", [_portable(ret) for ret in payload]))


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"killed by {signal.Signals(-exitcode).name}"
    return f"exit status {exitcode}"


def _portable(ret: JobReturn) -> JobReturn:
    """``ret`` as it can travel back to the launching process: a failed job's exception that
    does not survive pickling (out or back in) is replaced by a RuntimeError with its one-line
    message. Only a failure's exception is tried: the rest of a JobReturn (configs, metrics)
    always pickles, and trying it would pickle every job twice."""
    if ret.status != JobStatus.FAILED:
        return ret
    error = ret._return_value
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001 - any pickling failure: keep the message, drop the object
        ret._return_value = RuntimeError(f"{type(error).__name__}: {error}")
    return ret


class WorkerLostError(CompactHydraException, RuntimeError):
    """A job lost with the worker process running it (one line when Hydra reports it)."""


def _lost(job: tuple[int, list[str]], death: str) -> JobReturn:
    index, overrides = job
    ret = JobReturn(overrides=overrides, status=JobStatus.FAILED)
    ret._return_value = WorkerLostError(f"job #{index} was lost with its worker process ({death}); "
                                     "resume the sweep to run it again")
    return ret


def _quiet_when_idle() -> None:
    """A worker's signal handlers between jobs: exit at once, without a traceback (during a
    job, runner.core.signals records the signal and the job stops as it would anywhere)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _exit_now)


def _exit_now(signum, frame) -> None:
    flush_output()
    os._exit(128 + signum)
