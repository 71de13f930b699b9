"""Row blocks: how count, filter and rank read pred_probs without ever holding it whole.

Every pass over ``pred_probs`` reads one block of rows at a time (``pred_probs[start:stop]``)
and keeps only per-example results (a few bytes each), so the same code runs on an
in-memory array, a memory-mapped ``.npy`` (``np.load(path, mmap_mode="r")``, ``np.memmap``)
and a Zarr array: a memory map is an ``ndarray`` whose pages the operating system reads on
demand and may drop again, so slicing it costs no allocation; a Zarr array (the optional
extra ``cleanlearn[zarr]``) is first copied, block by block, into an unnamed temporary
memory map (:func:`as_array`), one extra pass.

Blocks change no result: every quantity computed block-wise here is a function of each row
alone (row sums, argmax, scores), so its values are those of the whole-array expression,
bit for bit.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator

import numpy as np

__all__ = [
    "BLOCK_ENTRIES",
    "CHUNK_ENTRIES",
    "as_array",
    "block_rows",
    "is_zarr_array",
    "map_rows",
    "row_argmax",
    "row_blocks",
    "row_chunks",
    "row_max",
]

# Entries of pred_probs read per block (2 MB in float64): small enough that a block and its
# temporaries stay in cache, large enough that numpy's per-call cost is amortised.
BLOCK_ENTRIES = 1 << 18
# Rows copied at once from a Zarr array into its temporary memory map (32 MB in float64).
SPOOL_ENTRIES = 1 << 22


def row_blocks(n_rows: int, n_cols: int, *, entries: int | None = None) -> Iterator[slice]:
    """Slices covering ``range(n_rows)``, each of about ``entries`` entries (at least one row),
    and at most an eighth of the rows, so that on small inputs too the blocks' temporaries
    stay a small part of the per-example arrays."""
    step = max(1, min((BLOCK_ENTRIES if entries is None else entries) // max(n_cols, 1), -(-n_rows // 8)))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def map_rows(function: Callable, pred_probs: np.ndarray, *row_arrays: np.ndarray, dtype=None) -> np.ndarray:
    """``function(pred_probs[rows], *[a[rows] for a in row_arrays])`` block by block, joined:
    an (n_rows,) array of ``dtype`` (None: the dtype of the first block's result).
    ``function`` must compute each row's value from that row alone, so the result equals
    ``function(pred_probs, *row_arrays)`` exactly."""
    n_rows, n_cols = pred_probs.shape
    result = None if dtype is None else np.empty(n_rows, dtype=dtype)
    for rows in row_blocks(n_rows, n_cols):
        values = function(pred_probs[rows], *(array[rows] for array in row_arrays))
        if result is None:
            result = np.empty(n_rows, dtype=values.dtype)
        result[rows] = values
    return result


def row_argmax(pred_probs: np.ndarray) -> np.ndarray:
    """``pred_probs.argmax(axis=1)`` block by block (numpy's argmax along rows copies its
    input first: a whole copy of pred_probs)."""
    return map_rows(lambda block: block.argmax(axis=1), pred_probs, dtype=np.intp)


def is_zarr_array(array) -> bool:
    """True for a ``zarr.Array`` (without importing zarr when the caller never did)."""
    zarr = sys.modules.get("zarr")
    return zarr is not None and isinstance(array, zarr.Array)


def as_array(pred_probs):
    """``pred_probs`` as an ndarray the passes can slice: a plain ndarray view of an
    ``np.memmap``; a Zarr array copied block by block (one pass, :data:`SPOOL_ENTRIES`
    entries at a time) into an unnamed temporary file mapped into memory (in
    ``tempfile.gettempdir()``, i.e. ``$TMPDIR``: not a RAM-backed tmpfs for arrays larger
    than RAM; the file disappears with the returned array); anything else unchanged.

    Memory: one block of whole Zarr chunks at a time (at least one chunk: zarr decodes
    whole chunks), so chunks of at most a few MB keep the copy within the fixed blocks."""
    if isinstance(pred_probs, np.memmap):
        # A plain view of the same pages: np.memmap's Python-level __array_finalize__ would
        # run on every block sliced from it (measured: 2x slower passes at K=100).
        return pred_probs.view(np.ndarray)
    if not is_zarr_array(pred_probs):
        return pred_probs
    if len(pred_probs.shape) != 2:
        raise ValueError(
            f"pred_probs must be a 2-D array of shape (n_examples, n_classes); got a Zarr array of shape "
            f"{pred_probs.shape}."
        )
    dtype = np.dtype(pred_probs.dtype)
    if dtype.kind not in "fiub":
        raise TypeError(f"pred_probs must be a numeric array; got a Zarr array of dtype {dtype}.")
    n_rows, n_cols = pred_probs.shape
    spool = tempfile.TemporaryFile(prefix="cleanlearn-pred_probs-")  # unlinked already
    try:
        if n_rows * n_cols == 0:
            return np.empty((n_rows, n_cols), dtype=dtype)
        copy = np.memmap(spool, dtype=dtype, mode="w+", shape=(n_rows, n_cols))
    finally:
        spool.close()  # the map keeps the file alive; closing frees the descriptor only
    # Whole Zarr chunks per read: a block of rows is a multiple of the chunk height.
    chunk_rows = int(getattr(pred_probs, "chunks", (1,))[0]) or 1
    step = max(chunk_rows, (SPOOL_ENTRIES // max(n_cols, 1)) // chunk_rows * chunk_rows)
    for start in range(0, n_rows, step):
        copy[start : start + step] = pred_probs[start : start + step]
    return copy.view(np.ndarray)


# ---------------------------------------------------------------------------------------
# Chunks of rows for the passes of the confident joint, thresholds and scores
# ---------------------------------------------------------------------------------------


# Rows of pred_probs processed at once by the chunked passes: ~64k entries keep every
# temporary (bool mask, block copy) cache-sized whatever the number of classes (measured:
# 2**14..2**18 entries are all within 10%; 2**23 is ~40% slower).
CHUNK_ENTRIES = 1 << 16


def block_rows(n_rows: int, n_classes: int) -> int:
    """Rows per block: about CHUNK_ENTRIES entries, and at most an eighth of the rows, so the
    blocks' temporaries stay a small fraction of pred_probs on small inputs too."""
    return max(1, min(CHUNK_ENTRIES // max(n_classes, 1), -(-n_rows // 8)))


def row_chunks(n_samples: int, n_classes: int):
    """Yield slices of rows covering range(n_samples), each of at most CHUNK_ENTRIES entries."""
    step = block_rows(n_samples, n_classes)
    for start in range(0, n_samples, step):
        yield slice(start, min(start + step, n_samples))


# Up to this many classes, a row maximum runs column by column (K strided passes of length
# N) rather than along rows: numpy's per-row overhead dominates short rows (measured at
# N=1e6: 10x faster at K=3, 1.4x at K=10, 2x slower at K=16).
COLUMNWISE_MAX_CLASSES = 12


def row_max(pred_probs: np.ndarray) -> np.ndarray:
    """Maximum of each row (exact), without an (N, K) temporary."""
    n_samples, n_classes = pred_probs.shape
    if n_classes <= COLUMNWISE_MAX_CLASSES:
        result = pred_probs[:, 0].copy()
        for column in range(1, n_classes):
            np.maximum(result, pred_probs[:, column], out=result)
        return result
    # argmax then gather beats max(axis=1) along rows (numpy's argmax loop is vectorised);
    # block by block, as numpy's argmax along rows copies its input.
    return map_rows(
        lambda block: block[np.arange(block.shape[0]), block.argmax(axis=1)], pred_probs, dtype=pred_probs.dtype
    )

