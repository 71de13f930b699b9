"""Atomic file output: every result is written to a temporary name and renamed into place.

A reader (or a rerun after SIGKILL) sees either the old file, the new one, or none, never a
truncated file. ``os.replace`` is atomic on POSIX within one file system, which holds here
because the temporary file sits in the destination's own directory.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()

__all__ = [
    "flush_output",
    "remove_orphaned_temporaries",
    "locked",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_json",
    "atomic_write_csv",
    "atomic_save_npy",
    "atomic_savefig",
]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success fsync it and rename it to ``path``.

    On an exception the temporary file is removed and ``path`` is left as it was.
    ``suffix`` keeps an extension for writers that infer the format from it (savefig).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix + ".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; results should be as readable as any file
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def remove_orphaned_temporaries(path: str | os.PathLike) -> None:
    """Remove the temporaries :func:`atomic_path` left beside ``path`` when a writer was killed
    (``.<name>.<random>.tmp``). Only where no other writer of ``path`` can be running: under its
    lock, or at the start of the one sweep that owns the dir."""
    path = Path(path)
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def _write_with(path: str | os.PathLike, mode: str, writer: Callable[[IO], Any], **open_kwargs) -> Path:
    with atomic_path(path) as tmp, open(tmp, mode, **open_kwargs) as handle:
        writer(handle)
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    return _write_with(path, "wb", lambda h: h.write(data))


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return _write_with(path, "w", lambda h: h.write(text), encoding="utf-8", newline="\n")


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented JSON with sorted keys (stable bytes for the same content)."""
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def atomic_write_csv(path: str | os.PathLike, frame, **to_csv_kwargs) -> Path:
    """Write a pandas DataFrame as CSV (no index unless asked), atomically."""
    to_csv_kwargs.setdefault("index", False)
    to_csv_kwargs.setdefault("lineterminator", "\n")
    return _write_with(path, "w", lambda h: frame.to_csv(h, **to_csv_kwargs), encoding="utf-8", newline="")


def atomic_save_npy(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Save ``array`` as .npy (readable with ``allow_pickle=False``), atomically."""
    array = np.asarray(array)
    if array.dtype.hasobject:
        raise TypeError(f"refusing to save an object array to {path}: it would need pickle.")
    return _write_with(path, "wb", lambda h: np.save(h, array, allow_pickle=False))


def atomic_savefig(fig, path: str | os.PathLike, **savefig_kwargs) -> Path:
    """Save a matplotlib figure atomically. PNG metadata is pinned so reruns give the same bytes."""
    path = Path(path)
    savefig_kwargs.setdefault("format", path.suffix.lstrip(".") or "png")
    if savefig_kwargs["format"] == "png":
        savefig_kwargs.setdefault("metadata", {"Software": None})
    with atomic_path(path) as tmp:
        fig.savefig(tmp, **savefig_kwargs)
    return path


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"object of type {type(obj).__name__} is not JSON serialisable")


@contextlib.contextmanager
def locked(lock_path: str | os.PathLike) -> Iterator[None]:
    """An exclusive advisory lock on ``lock_path`` (POSIX flock; created with its folder when
    missing), held for the block; a no-op where fcntl does not exist."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    lock_path = Path(lock_path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def png_bytes(figure, dpi: int = 100) -> bytes:
    """A matplotlib figure as PNG bytes; metadata pinned so the same figure gives the same bytes."""
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def pdf_bytes(figure) -> bytes:
    """A matplotlib figure as vector PDF bytes, without the creation date (same figure, same bytes)."""
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="pdf", metadata={"CreationDate": None})
    return buffer.getvalue()


def flush_output() -> None:
    """Flush stdout, stderr and the root logger's handlers: what a process must do before it
    forks (or the child prints the parent's buffered lines again) and before ``os._exit``."""
    import logging
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    for handler in logging.getLogger().handlers:
        try:
            handler.flush()
        except (OSError, ValueError):
            pass
