"""Row access to the many forms X may take (ndarray, DataFrame, scipy sparse, lists, datasets).

Shared by the cross-validation in ``count`` and the final fit in ``classification``.
"""

from __future__ import annotations

import numpy as np


def n_samples(X) -> int:
    """Number of examples (rows) in X."""
    if X is None:
        raise TypeError("X is required; got None.")
    shape = getattr(X, "shape", None)
    if isinstance(shape, tuple) and len(shape) >= 1:  # first: len() of a dok matrix is its nnz
        return int(shape[0])
    try:
        return len(X)
    except TypeError as error:
        raise TypeError(f"X must support len(X) or X.shape[0]; got {type(X).__name__}.") from error


def take_rows(X, index: np.ndarray):
    """Rows ``index`` of X, subset the way the reference does (.iloc for pandas, else X[index])."""
    if hasattr(X, "iloc"):
        return X.iloc[index]
    if isinstance(X, list):
        return [X[i] for i in index]
    try:
        return X[index]
    except Exception:
        pass
    try:  # objects indexable by a list but not by an index array
        return X[index.tolist()]
    except Exception as error:
        raise TypeError(
            "X must support list-based row indexing (X[index_array], or X.iloc[...] for pandas); "
            f"got {type(X).__name__}. Compute out-of-sample pred_probs yourself instead."
        ) from error
