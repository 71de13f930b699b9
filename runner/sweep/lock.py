"""A sweep dir is owned by one sweep at a time, under a lock held for the whole sweep.

Two sweeps launched into one dir (the default dir is named by the second the sweep started;
or the same ``hydra.sweep.dir`` given twice) used to be both accepted: the one-sweep-per-dir
check read the dir, then the sweep wrote it, with nothing in between. Now
:func:`own_sweep_dir` takes the dir's lock, runs that check under it, and keeps the lock until
the sweep ends; a second sweep, different or identical, is refused at once with one line
naming the owner: host, PID, start time and command.

Two mechanisms, because shared file systems differ:

- ``fcntl.flock`` on ``<sweep dir>/.sweep.lock``, kept open by the sweep's process: the kernel
  releases it when the process ends, however it ends (kill -9 included). Where the file
  system does not support it (flock raises ENOLCK/EOPNOTSUPP) it is skipped.
- Always, an owner file ``<sweep dir>/.sweep.owner`` made with an exclusive create
  (``O_CREAT | O_EXCL``, atomic on NFS v3+ and Lustre) and holding the owner's host, PID,
  command and start time; a heartbeat thread touches it every :data:`HEARTBEAT_SECONDS`. This
  is what stops a sweep on another node where flock is node-local (NFS without lockd, Lustre
  mounted ``localflock``), as under Slurm.

An owner file whose owner is gone is taken over with a warning: same host and the PID no
longer runs (or the flock, which a live owner on this host would hold, was free), or a
heartbeat older than :data:`STALE_SECONDS`. It is renamed aside first, so of two sweeps
taking over at once only one creates the new owner file. The lock is released at the end of
the sweep (runner.sweep.check's ``on_multirun_end``) and, failing that, when the process exits.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime
import errno
import json
import logging
import os
import shlex
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

__all__ = ["HEARTBEAT_SECONDS", "STALE_SECONDS", "SweepDirInUseError", "SweepLock", "own_sweep_dir",
           "release_sweep_dir"]

logger = logging.getLogger(__name__)

LOCK_FILE = ".sweep.lock"
OWNER_FILE = ".sweep.owner"
HEARTBEAT_SECONDS = 15.0
# A heartbeat this old means its sweep is gone (its node died, or it was killed on another node).
STALE_SECONDS = 120.0
# The locks this process holds, by resolved sweep dir (one sweep at a time per process).
_HELD: dict[Path, SweepLock] = {}
# flock errors meaning "not supported here", not "held by another".
_UNSUPPORTED = {errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS}


class SweepDirInUseError(RuntimeError):
    """The sweep dir is owned by another running sweep; the message is one line naming it."""


class SweepLock:
    """The lock of one sweep dir: :meth:`acquire` once, :meth:`release` when the sweep ends."""

    def __init__(self, sweep_dir: str | os.PathLike, *, heartbeat_seconds: float = HEARTBEAT_SECONDS,
                 stale_seconds: float = STALE_SECONDS) -> None:
        self.sweep_dir = Path(sweep_dir)
        self.heartbeat_seconds = heartbeat_seconds
        self.stale_seconds = stale_seconds
        self.owner = {
            "host": socket.gethostname(), "pid": os.getpid(), "command": _command(),
            "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "id": uuid.uuid4().hex,
        }
        self._flock_handle = None
        self._flock_held = False
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    @property
    def owner_file(self) -> Path:
        return self.sweep_dir / OWNER_FILE

    def acquire(self) -> SweepLock:
        """Own the sweep dir (created if needed), or raise :class:`SweepDirInUseError`."""
        self.sweep_dir.mkdir(parents=True, exist_ok=True)
        key = self.sweep_dir.resolve()
        earlier = _HELD.pop(key, None)
        if earlier is not None:  # an earlier sweep of this process that ended without its end hook
            earlier.release()
        self._take_flock()
        try:
            self._create_owner_file()
        except BaseException:
            self._drop_flock()
            raise
        self._heartbeat = threading.Thread(target=self._beat, name="sweep-lock-heartbeat", daemon=True)
        self._heartbeat.start()
        atexit.register(self.release)
        _HELD[key] = self
        return self

    def release(self) -> None:
        """Give the dir up (idempotent): stop the heartbeat, remove our owner file, unlock."""
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=5)
            self._heartbeat = None
            if (_read_owner(self.owner_file) or {}).get("id") == self.owner["id"]:
                with contextlib.suppress(OSError):
                    self.owner_file.unlink()
        self._drop_flock()
        atexit.unregister(self.release)
        with contextlib.suppress(OSError):
            if _HELD.get(self.sweep_dir.resolve()) is self:
                del _HELD[self.sweep_dir.resolve()]

    # -- flock ----------------------------------------------------------------------------

    def _take_flock(self) -> None:
        try:
            import fcntl
        except ImportError:  # not POSIX: the owner file alone
            return
        handle = open(self.sweep_dir / LOCK_FILE, "a+")  # noqa: SIM115 - held for the whole sweep
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            handle.close()
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                owner = _read_owner(self.owner_file)
                if owner is None:  # the owner is between its flock and its owner file
                    time.sleep(0.5)
                    owner = _read_owner(self.owner_file)
                raise SweepDirInUseError(self._in_use_message(owner)) from None
            if error.errno in _UNSUPPORTED:
                logger.debug("flock not supported in %s (%s); owner file only", self.sweep_dir, error)
                return
            raise
        self._flock_handle, self._flock_held = handle, True

    def _drop_flock(self) -> None:
        if self._flock_handle is not None:
            self._flock_handle.close()  # closing the file releases the flock
            self._flock_handle, self._flock_held = None, False

    # -- owner file -----------------------------------------------------------------------

    def _create_owner_file(self) -> None:
        for _ in range(3):
            try:
                descriptor = os.open(self.owner_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                existing = _read_owner(self.owner_file)
                reason = self._stale_reason(existing)
                if reason is None:
                    raise SweepDirInUseError(self._in_use_message(existing)) from None
                logger.warning("hydra.sweep.dir=%s: taking over the lock of a sweep that is gone (%s; %s)",
                               self.sweep_dir, reason, _describe(existing))
                aside = self.sweep_dir / f"{OWNER_FILE}.stale.{uuid.uuid4().hex[:8]}"
                with contextlib.suppress(FileNotFoundError):  # another sweep took it over first
                    os.rename(self.owner_file, aside)
                    aside.unlink()
                continue
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(self.owner, sort_keys=True) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            return
        raise SweepDirInUseError(self._in_use_message(_read_owner(self.owner_file)))

    def _stale_reason(self, existing: dict | None) -> str | None:
        """Why the owner file's sweep is gone, or None while it may still run."""
        try:
            age = time.time() - self.owner_file.stat().st_mtime
        except FileNotFoundError:
            return "its owner file was just removed"
        if existing is None:  # unreadable or half-written: trust the heartbeat alone
            return f"unreadable owner file, last heartbeat {age:.0f} s ago" if age > self.stale_seconds else None
        if existing.get("host") == self.owner["host"]:
            if not _pid_alive(existing.get("pid")):
                return f"PID {existing.get('pid')} no longer runs"
            if self._flock_held:  # a live sweep on this host would hold the flock
                return f"PID {existing.get('pid')} does not hold the lock"
        if age > self.stale_seconds:
            return f"last heartbeat {age:.0f} s ago"
        return None

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            with contextlib.suppress(OSError):
                os.utime(self.owner_file)

    def _in_use_message(self, existing: dict | None) -> str:
        return (f"hydra.sweep.dir={self.sweep_dir} is in use by another sweep ({_describe(existing)}); "
                "wait for it to end or choose another hydra.sweep.dir")


def own_sweep_dir(sweep_dir: str | os.PathLike, refusal: Callable[[], str | None] = lambda: None) -> SweepLock:
    """Lock ``sweep_dir`` for this sweep, then ask ``refusal()`` under the lock (e.g. "it holds
    another sweep's jobs"): a message releases the lock and stops the command (SystemExit, one
    line), as does another sweep owning the dir. Returns the held lock."""
    lock = SweepLock(sweep_dir)
    try:
        lock.acquire()
    except SweepDirInUseError as error:
        raise SystemExit(str(error)) from None
    except OSError as error:  # e.g. a dir that cannot be created or written
        raise SystemExit(f"hydra.sweep.dir={sweep_dir} cannot be locked for this sweep: {error}") from None
    message = refusal()
    if message:
        lock.release()
        raise SystemExit(message)
    return lock


def release_sweep_dir(sweep_dir: str | os.PathLike) -> None:
    """Release the lock this process holds on ``sweep_dir``, if any (the end of the sweep).

    The held locks live in this module, never on a Hydra callback: launchers pickle the
    callbacks to their workers, and a lock (a thread, an open file) cannot be pickled."""
    with contextlib.suppress(OSError):
        held = _HELD.get(Path(sweep_dir).resolve())
        if held is not None:
            held.release()


def _command() -> str:
    argv = list(sys.argv)
    if argv and Path(argv[0]).name == "__main__.py":
        argv[0:1] = ["-m", Path(argv[0]).parent.name]
    return shlex.join([Path(sys.executable).name, *argv])


def _read_owner(path: Path) -> dict | None:
    try:
        owner = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return owner if isinstance(owner, dict) else None


def _describe(owner: dict | None) -> str:
    if owner is None:
        return "owner unknown"
    return (f"host {owner.get('host')}, PID {owner.get('pid')}, started {owner.get('started')}, "
            f"command: {owner.get('command')}")


def _pid_alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, another user's
    return True
