"""Arrays given as files: a .npy file (never unpickled) or a .zarr directory, and error masks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["MMAP_BYTES", "load_array", "load_error_mask"]

# pred_probs files larger than this are memory-mapped rather than read into memory.
MMAP_BYTES = 256 * 2**20


def load_error_mask(path: str, n_examples: int) -> np.ndarray:
    """A boolean .npy mask of the known label errors (true = the given label is wrong)."""
    mask = load_array(path, "label_errors")
    if mask.shape != (n_examples,):
        raise ValueError(f"dataset.label_errors={path!r} must hold {n_examples} values (one per row); "
                         f"got shape {mask.shape}")
    if mask.dtype != bool:
        if mask.dtype.kind not in "iu" or not np.isin(mask, (0, 1)).all():
            raise ValueError(f"dataset.label_errors={path!r} must be a boolean mask (or 0/1); "
                             f"got dtype {mask.dtype}")
        mask = mask.astype(bool)
    return mask



def load_array(path: str, key: str, *, mmap: bool | None = None):
    """A .npy file (never unpickled) or a .zarr directory, with errors naming ``dataset.<key>``."""
    path_obj = Path(path)
    zarr_markers = (".zarray", "zarr.json")  # zarr format 2, 3
    if path_obj.suffix == ".zarr" or (path_obj.is_dir() and any((path_obj / m).exists() for m in zarr_markers)):
        try:
            import zarr
        except ImportError as error:
            raise ImportError(f"dataset.{key}={path!r} is a zarr array: pip install 'cleanlearn[zarr]'") from error
        return zarr.open_array(str(path_obj), mode="r")
    with open(path_obj, "rb") as handle:
        magic = handle.read(6)
    if magic != b"\x93NUMPY":
        hint = ""
        if path_obj.suffix.lower() in (".csv", ".txt", ".tsv") or _looks_like_text(path_obj):
            hint = (" (it looks like a CSV/text file; save it with numpy.save(path, array), e.g. "
                    "np.save('x.npy', np.loadtxt('x.csv', delimiter=','))")
        raise ValueError(f"dataset.{key}={path!r} is not a .npy file{hint}")
    if mmap is None:
        mmap = path_obj.stat().st_size > MMAP_BYTES
    try:
        return np.load(path_obj, allow_pickle=False, mmap_mode="r" if mmap else None)
    except ValueError as error:  # an object array, which would need pickle
        raise ValueError(f"dataset.{key}={path!r} cannot be read without pickle: {error}") from error


def _looks_like_text(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(512)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"," in head or b"\n" in head
