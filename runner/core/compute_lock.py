"""One computation of a result at a time across processes: the others wait, then read it.

The jobs of a parallel sweep (joblib, submitit, Slurm) that share a cache entry, such as the
cross-validation of one noise cell, all miss it at once and would each compute it. With
:func:`computing_lock` around "read it again, else compute and store it", the first job
computes while the others wait for it, and then find the entry it stored
(runner.core.cache.ArrayCache.get_or_compute).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["computing_lock"]

log = logging.getLogger(__name__)


@contextlib.contextmanager
def computing_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on ``path`` for the block; wait while another process holds it.

    The holder removes the file before it lets go, and a waiter that then holds a removed file
    tries again, so no lock file is left (one a killed process left behind is taken over by the
    next; ``python -m runner.cache prune`` removes it after an hour). The lock only saves
    work: where it cannot be taken (a read-only folder, a file system without flock, no fcntl)
    the block runs without it. A folder made for the lock alone is removed with it.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    handle = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            handle = open(path, "a")  # noqa: SIM115 - held until the block ends
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log.info("waiting for a parallel job computing %s", path.name)
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            if _same_file(path, handle):
                break
            handle.close()  # the holder removed it as it let go: lock the current one
    except OSError as error:  # read-only, or no flock here: run without the lock
        log.debug("no lock %s (%s)", path, error)
        if handle is not None:
            handle.close()
        handle = None
    try:
        yield
    finally:
        if handle is not None:
            with contextlib.suppress(OSError):
                path.unlink()
            handle.close()  # lets the waiters go
            with contextlib.suppress(OSError):  # a folder made for the lock alone (the block failed)
                path.parent.rmdir()


def _same_file(path: Path, handle) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
    except FileNotFoundError:
        return False
