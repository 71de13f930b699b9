"""Where the figures of a summary are rendered: here (the default) or by a worker process.

The end of a sweep hands runner.sweep.side_work's helper in with :func:`rendering_in`, so
runner.results.figures.save_figure_pair pickles each figure to it and returns at once while
the tables are computed; :func:`finish_rendering` (runner.results.summarize calls it before it
lets the summary lock go) waits until every figure is written. Kept apart from
runner.results.figures so that choosing a renderer does not import matplotlib.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

__all__ = ["current_renderer", "finish_rendering", "rendering_in"]

# Where save_figure_pair renders: None, here; else a worker with submit(what, function, *args)
# and wait() (runner.sweep.side_work's helper process, which the end of a sweep hands in).
_RENDERER: contextvars.ContextVar = contextvars.ContextVar("figure_renderer", default=None)


@contextlib.contextmanager
def rendering_in(worker) -> Iterator[None]:
    """Within the block, save_figure_pair hands each figure to ``worker`` (None: renders here)
    and returns at once; :func:`finish_rendering` waits for them."""
    token = _RENDERER.set(worker)
    try:
        yield
    finally:
        _RENDERER.reset(token)


def finish_rendering() -> None:
    """Wait until every figure handed to the current worker is written."""
    worker = _RENDERER.get()
    if worker is not None:
        worker.wait()


def current_renderer():
    """The worker of the enclosing :func:`rendering_in` block, or None."""
    return _RENDERER.get()
