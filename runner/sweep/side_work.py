"""The sweep's own drawing done beside its jobs, on a core the jobs leave idle.

Hydra's basic launcher runs a sweep's jobs one after another in the launching process: one
core works, the others wait. What the runner itself draws for a sweep (each job's report.html
with ``report.run=end``, the figures of the final summary) does not need to wait for the next
job, so it goes to a single helper process started with the sweep (:class:`SideWorker`). The
jobs never wait for it; the end of the sweep waits for all of it, and anything it could not do
(a helper that died, a report that failed) is done in the launching process as before
(runner.sweep.summary.write_deferred_reports writes every report still missing). The files are
those the launching process would write, byte for byte: the same functions on the same files.

Only with a launcher that runs one job at a time (the basic launcher, or the local or joblib
launcher with ``n_jobs=1``: runner.sweep.launchers; a parallel launcher's jobs already keep
every core busy, and their callbacks run in the jobs' own processes), never in a worker
process of the local launcher (:func:`no_helper_process_here`: the worker's exit would cut
the helper's work short), only on a machine with more than one core,
and only when the program was started as ``python -m runner`` (or another package's
``__main__``, or ``-c``): a fresh helper interpreter re-imports the main module of a program
started as ``python script.py``, and a script without an ``if __name__ == "__main__":``
guard would run its sweep again in there. Otherwise everything happens in the launching
process, in order, as before.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from runner.core.io import flush_output
from runner.sweep.launchers import LOCAL_LAUNCHER, available_cpus, can_fork, jobs_side_by_side

__all__ = ["ForkedRenderer", "SideWorker", "forked_renderer_for", "no_helper_process_here", "side_worker_for"]

logger = logging.getLogger(__name__)

# The helper draws with one thread: it must not take the jobs' core as well.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# False in a process that must not start a helper (a forked worker of the local launcher).
_helpers_allowed = True


def no_helper_process_here() -> None:
    """No helper in this process: what it would do is done at the end of the sweep (a worker of
    the local launcher, whose exit would cut a helper's work short)."""
    global _helpers_allowed
    _helpers_allowed = False


class SideWorker:
    """One helper process; :meth:`submit` returns at once, :meth:`wait` collects everything."""

    def __init__(self) -> None:
        import multiprocessing

        # spawn: a fresh interpreter, never a fork of a process that holds BLAS threads and locks
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_background,
            initargs=(os.getpid(),),
        )
        self._pending: list[tuple[str, Future, Callable, tuple]] = []
        self._postponed: list[tuple[str, Future, Callable, tuple]] = []
        self._pool.submit(int)  # start it now: it boots and imports while the first jobs run

    def submit(self, what: str, function: Callable, *args) -> None:
        """Run ``function(*args)`` in the helper (``what`` names it in a warning). Returns at once;
        what the helper cannot do (it died, or the call raised) :meth:`wait` does here."""
        try:
            future = self._pool.submit(function, *args)
        except Exception:  # noqa: BLE001 - a broken helper: do it here, now
            _run_here(what, function, args)
            return
        self._pending.append((what, future, function, args))

    def postpone_unstarted(self) -> None:
        """Take out of the helper's queue what it has not started; :meth:`wait` queues it again,
        behind what is submitted in between. The end of a sweep calls it before the final
        summary: the summary's figures, which the end waits for, go before the last jobs'
        reports, and those are shared out between both processes at :meth:`wait`."""
        kept = []
        for task in self._pending:
            (self._postponed if task[1].cancel() else kept).append(task)
        self._pending = kept

    def wait(self) -> None:
        """Block until everything submitted is done. The helper takes tasks oldest first; the
        waiting process, with nothing else to do, takes back the newest ones it has not started
        and runs them itself, so both cores work until they meet. A task that failed in the
        helper is run again here (same function, same arguments: the same files); if it fails
        again its error is logged as a warning, never raised."""
        postponed, self._postponed = self._postponed, []
        for what, _, function, args in postponed:
            self.submit(what, function, *args)
        pending, self._pending = self._pending, []
        while pending and pending[-1][1].cancel():  # not started by the helper: do it here
            what, _, function, args = pending.pop()
            _run_here(what, function, args)
        for what, future, function, args in pending:
            try:
                future.result()
            except Exception as error:  # noqa: BLE001 - redone below
                logger.debug("side work %s failed in the helper: %s: %s", what, type(error).__name__, error)
                _run_here(what, function, args)

    def close(self) -> None:
        """Wait for everything submitted, then let the helper exit on its own (its interpreter's
        teardown overlaps what the sweep does next; the executor joins it at exit)."""
        self.wait()
        self._pool.shutdown(wait=False, cancel_futures=True)


class ForkedRenderer:
    """Side work in child processes forked from this one, one per task, all started at once.

    For the end of a sweep under the local launcher (hydra_plugins/cleanlearn_launcher): its
    final summary is written by the worker that ran the last job, while the other workers and
    the launching process wait. A fork of that worker has the drawing stack in memory already,
    so the summary's figures render beside its tables at the cost of a fork each. The same
    contract as :class:`SideWorker`: :meth:`wait` joins them, and a task whose child did not
    exit cleanly is run again here (same function, same arguments: the same files).
    """

    forks = True  # what is handed in need not be pickled (runner.results.figures)

    def __init__(self) -> None:
        import multiprocessing

        self._context = multiprocessing.get_context("fork")
        self._pending: list = []

    def submit(self, what: str, function: Callable, *args) -> None:
        flush_output()
        try:
            child = self._context.Process(target=_run_in_child, args=(function, args), name="cleanlearn-render")
            child.start()
        except Exception:  # noqa: BLE001 - cannot fork now: do it here
            _run_here(what, function, args)
            return
        self._pending.append((what, child, function, args))

    def postpone_unstarted(self) -> None:
        """Nothing waits in a queue: every task started as it was submitted."""

    def wait(self) -> None:
        pending, self._pending = self._pending, []
        for what, child, function, args in pending:
            child.join()
            if child.exitcode != 0:
                logger.debug("side work %s: child exit status %s; doing it here", what, child.exitcode)
                _run_here(what, function, args)

    def close(self) -> None:
        self.wait()


def forked_renderer_for(config) -> ForkedRenderer | None:
    """A :class:`ForkedRenderer` for the final summary written by a worker of the local
    launcher running jobs side by side (the other cores are idle by then), else None."""
    launcher = config.hydra.launcher
    if str(launcher.get("_target_", "")) != LOCAL_LAUNCHER or not jobs_side_by_side(launcher):
        return None
    if available_cpus() < 2 or not can_fork():
        return None
    return ForkedRenderer()


def _run_in_child(function: Callable, args: tuple) -> None:
    """A forked child's task: exit 0 when it is done, 1 when it failed (the parent redoes it)."""
    try:
        function(*args)
    except BaseException as error:  # noqa: BLE001 - reported through the exit status
        logger.debug("side work failed in a child: %s: %s", type(error).__name__, error)
        flush_output()
        os._exit(1)


def side_worker_for(config) -> SideWorker | None:
    """A helper for this sweep when it can use an idle core (see module), else None."""
    if not _helpers_allowed or jobs_side_by_side(config.hydra.launcher) or available_cpus() < 2:
        return None
    if not _main_not_rerun():
        return None
    try:
        return SideWorker()
    except Exception as error:  # noqa: BLE001 - no helper: everything in the launching process
        logger.debug("no side worker: %s", error)
        return None


def _main_not_rerun() -> bool:
    """Whether a spawned interpreter leaves this program's main module alone: multiprocessing
    skips a package's ``__main__`` (``python -m runner``) and a main without a file (``-c``),
    and runs any other main module again (as ``__mp_main__``)."""
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name is not None:
        return name == "__main__" or name.endswith(".__main__")
    return getattr(main, "__file__", None) is None


def _exit_with_parent(parent: int, every: float = 0.5) -> None:
    """Exit as soon as the launching process is gone. The executor's queues do not tell: a
    spawned worker holds both ends of its own task pipe, so a sweep killed with SIGKILL (the OOM
    killer, a scheduler) would leave its helper waiting forever, holding the sweep's stdout."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _run_here(what: str, function: Callable, args: tuple) -> None:
    try:
        function(*args)
    except Exception as error:  # noqa: BLE001 - a summary or report must never fail the sweep
        logger.warning("could not write the %s: %s: %s", what, type(error).__name__, error)


def write_job_report(job_dir: str) -> None:
    """The helper's task for one job: its report.html (runner.report.write_run_report)."""
    from runner.report import write_run_report

    write_run_report(Path(job_dir), on_error="raise")


def _background(parent: int) -> None:
    """The helper's set-up: one BLAS thread, low priority, gone with the launching process
    ``parent`` (its pid as the launching process saw it: by the time this runs, a killed parent
    has already been replaced by init), and the drawing stack imported before the first task."""
    _exit_with_parent(parent)
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    try:  # the jobs first: the helper takes what they leave
        os.nice(10)
    except OSError:
        pass
    import runner.report.run  # noqa: F401 - what its tasks draw with, imported before the first
    import runner.results.figures  # noqa: F401
