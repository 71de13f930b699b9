"""SIGINT and SIGTERM during a job: stop it, record it, keep nothing it computed afterwards.

A job must never finish as "ok" after a signal. Some classifiers catch the KeyboardInterrupt
that Ctrl-C raises and return a half-trained model (scikit-learn's MLP does: "Training
interrupted by user."), so raising is not enough. While a job runs, :func:`interrupt_guard`
installs a handler that

1. records the signal (the flag is what every later check reads), then
2. raises :class:`Interrupted` (a KeyboardInterrupt) to stop the work where it is.

When the work swallows the exception, the flag is still set: the cache refuses to store
anything once it is (runner.core.cache), the run checks it after each stage
(:func:`raise_if_interrupted`) and runner.job.lifecycle checks it once more before DONE. The one
warning scikit-learn emits after swallowing it is turned into an error for the job's
duration, so the cross-validation stops at the fold that was interrupted instead of fitting
the remaining folds first.

The flag is process state by nature (a signal is delivered to a process); it is cleared when
the next job starts. Handlers can only be installed from the main thread; elsewhere the guard
does nothing (no launcher of ours runs a job in another thread).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import warnings
from collections.abc import Iterator

__all__ = [
    "Interrupted",
    "exit_code",
    "interrupt_guard",
    "interrupted_by",
    "raise_if_interrupted",
]

HANDLED = (signal.SIGINT, signal.SIGTERM)
# Emitted by sklearn.neural_network's stochastic solvers right after swallowing a
# KeyboardInterrupt (a plain UserWarning).
SWALLOWED_INTERRUPT_WARNINGS = ("Training interrupted by user",)

_received: list[int] = []  # signal numbers received since the current job started


class Interrupted(KeyboardInterrupt):
    """The job received SIGINT or SIGTERM; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


def interrupted_by() -> str | None:
    """Name of the first signal received during the current job ("SIGINT"), or None."""
    return signal.Signals(_received[0]).name if _received else None


def exit_code(signum: int) -> int:
    """The shell's convention for a process stopped by a signal: 128 + its number (130, 143)."""
    return 128 + int(signum)


def raise_if_interrupted() -> None:
    """Raise Interrupted when a signal arrived during this job (even if the work swallowed it)."""
    if _received:
        raise Interrupted(_received[0])


def _handle(signum: int, frame) -> None:
    _received.append(signum)
    raise Interrupted(signum)


@contextlib.contextmanager
def interrupt_guard() -> Iterator[None]:
    """Record SIGINT/SIGTERM and raise Interrupted while the block runs; restore afterwards."""
    _received.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in HANDLED}
    with warnings.catch_warnings():
        for message in SWALLOWED_INTERRUPT_WARNINGS:
            warnings.filterwarnings("error", message=message)
        for signum in HANDLED:
            signal.signal(signum, _handle)
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
