"""``matrix``: a given noise matrix P(given = i | true = j) read from a .npy or .csv file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from runner.noise.base import (
    SUM_TOLERANCE,
    check_bool,
    checked_by,
    draw_categorical,
    raise_problems,
)

__all__ = ["matrix"]


def _check_matrix(parameters: dict, *, n_classes: int | None, has_features: bool) -> list[str]:
    problems = check_bool(parameters, "transpose") + check_bool(parameters, "exact_counts")
    path = parameters.get("path")
    if not isinstance(path, str) or not path:
        return problems + [f"noise.path must be the path of a .npy or .csv noise matrix; got {path!r}"]
    if not Path(path).is_file():
        return problems + [f"noise.path={path!r} does not exist (or is not a file)"]
    try:
        _load_noise_matrix(path, transpose=parameters.get("transpose") is True, n_classes=n_classes)
    except ValueError as error:
        problems.append(str(error))
    return problems



@checked_by(_check_matrix)
def matrix(
    true_labels: np.ndarray,
    *,
    n_classes: int,
    seed: int,
    path: str,
    transpose: bool = False,
    exact_counts: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Class-conditional noise from a given matrix ``P(given = i | true = j)`` (columns sum to 1).

    ``path``: a .npy file, or a .csv of K rows of K numbers (a header row and a first column of
    class names, as the runner writes ``noise_matrix.csv``, are accepted). A file whose rows sum
    to 1 instead is refused unless ``transpose`` is true. Each label of true class j is drawn
    independently from column j (so the realised matrix varies around the given one); with
    ``exact_counts`` true, exactly ``int(P(i|j) n_j)`` labels of class j become i, as the CL
    paper does (cleanlearn.noise.generate_noisy_labels). Returns the given matrix.
    """
    parameters = {"path": path, "transpose": transpose, "exact_counts": exact_counts}
    raise_problems(_check_matrix, parameters, n_classes=n_classes)
    noise_matrix = _load_noise_matrix(path, transpose=transpose, n_classes=n_classes)
    rng = np.random.default_rng(seed)
    if exact_counts:
        from cleanlearn.noise import generate_noisy_labels

        return generate_noisy_labels(true_labels, noise_matrix, seed=rng), noise_matrix
    # Row n is P(given = . | true = y_n), column y_n of the matrix.
    return draw_categorical(noise_matrix.T[true_labels], rng), noise_matrix



def _load_noise_matrix(path: str, *, transpose: bool, n_classes: int | None) -> np.ndarray:
    """The (K, K) matrix of ``path``, columns summing to 1, or ValueError saying what is wrong."""
    where = f"noise.path={path!r}"
    try:
        if path.endswith(".npy"):
            values = np.load(path, allow_pickle=False)
        else:
            values = _read_matrix_csv(path)
    except (OSError, ValueError) as error:
        raise ValueError(f"{where} cannot be read as a noise matrix (.npy, or .csv of numbers): {error}") from None
    values = np.asarray(values)
    if values.ndim != 2 or values.shape[0] != values.shape[1] or values.dtype.kind not in "fiu":
        raise ValueError(f"{where} must hold a square numeric matrix; got shape {values.shape}, dtype {values.dtype}")
    values = values.astype(np.float64)
    if transpose:
        values = values.T
    if n_classes is not None and values.shape[0] != n_classes:
        raise ValueError(f"{where} must be {n_classes} x {n_classes} (the dataset's classes); "
                         f"got {values.shape[0]} x {values.shape[1]}")
    if not np.all(np.isfinite(values)) or values.min() < 0:
        raise ValueError(f"{where} must hold probabilities (finite, >= 0); got values in "
                         f"[{np.nanmin(values)}, {np.nanmax(values)}]")
    column_sums = values.sum(axis=0)
    if not np.allclose(column_sums, 1, atol=SUM_TOLERANCE, rtol=0):
        rows_sum_to_one = np.allclose(values.sum(axis=1), 1, atol=SUM_TOLERANCE, rtol=0)
        hint = (" its rows sum to 1: if its rows are the true class, set noise.transpose: "
                f"{str(not transpose).lower()}") if rows_sum_to_one else ""
        worst = int(np.argmax(np.abs(column_sums - 1)))
        raise ValueError(f"{where}: column j must be P(given = . | true = j) and sum to 1; column "
                         f"{worst} sums to {column_sums[worst]:.6g};{hint or ' rescale the file'}")
    return values / column_sums


def _read_matrix_csv(path: str) -> np.ndarray:
    """A CSV of numbers, or one with a header row and a first column of names (noise_matrix.csv)."""
    import pandas as pd

    try:
        return np.loadtxt(path, delimiter=",", ndmin=2)
    except ValueError:
        frame = pd.read_csv(path, index_col=0)
        return frame.to_numpy()


