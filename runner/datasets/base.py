"""Dataset loaders: each dataset config names one with ``_target_``, and it returns a :class:`Dataset`.

A loader is any importable function returning a :class:`Dataset`; a dataset config is its
``_target_`` plus its keyword arguments, next to the keys the run reads itself
(``test_size``, ``standardize``, ``preprocess``, ``max_categories``; see
:data:`RUN_KEYS`). A loader with a ``seed`` parameter gets the run's data seed. Adding a
dataset is therefore one YAML file (plus the function, when it is new code) and no edit here.

The loaders return every row with the labels as given (any type); the run encodes the labels,
splits off the test part and builds the per-fold preprocessing (runner.experiment.data,
runner.model.preprocessing). Data errors name the file, the column and the first bad line
(``data.csv: column 'age', line 18: ...``): CSV line 1 is the header, so row r is line r + 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import datasets as sklearn_datasets

__all__ = [
    "Dataset",
    "RUN_KEYS",
    "breast_cancer",
    "csv",
    "digits",
    "iris",
    "parquet",
    "precomputed",
    "synthetic",
    "wine",
]

# Keys of a dataset config that the run reads; every other key is a loader argument.
RUN_KEYS = ("_target_", "name", "test_size", "validation_size", "standardize", "preprocess", "max_categories")

# pred_probs files larger than this are memory-mapped rather than read into memory.
MMAP_BYTES = 256 * 2**20


@dataclass(frozen=True)
class Dataset:
    """Every row of a dataset, as a loader returns it.

    - ``features``: (N, d) ndarray or a DataFrame (any column dtypes; None for precomputed).
    - ``labels``: (N,) given labels, any type (ints, strings, ...).
    - ``true_labels``: (N,) true labels when known (scores the detection and the noise matrix).
    - ``label_errors``: (N,) bool mask of the known wrong labels (a manual audit), when known.
    - ``ids``: (N,) an identity per row to join on (``dataset.id_column``), or None.
    - ``feature_names``: the d feature names, or None.
    - ``examples``: raw examples for display, indexable by original row: (N, h, w) images
      (with ``image_shape``), a sequence of str for text, or None (then the features are shown).
    - ``pred_probs``: (N, K) out-of-sample predicted probabilities (dataset=precomputed only).
    - ``source``: the file the rows came from and ``first_line`` the file line of row 0, so
      that errors can point at a line (None: errors name the row instead).
    """

    features: np.ndarray | pd.DataFrame | None
    labels: np.ndarray | pd.Series
    true_labels: np.ndarray | None = None
    label_errors: np.ndarray | None = None
    ids: np.ndarray | None = None
    feature_names: Sequence[str] | None = None
    examples: Any = None
    image_shape: tuple[int, ...] | None = None
    pred_probs: Any = None
    source: str | None = None
    first_line: int | None = None

    def where(self, row: int, column: str | None = None) -> str:
        """``'data.csv: column 'age', line 18'``: where row ``row`` (0-based) is to be found."""
        return _where(self.source, self.first_line, row, column)


def _where(source: str | None, first_line: int | None, row: int, column: str | None = None) -> str:
    place = [f"column {column!r}"] if column is not None else []
    place.append(f"line {row + first_line}" if first_line is not None else f"row {row}")
    return f"{source or 'dataset'}: {', '.join(place)}"


# ---------------------------------------------------------------------------------------
# Bundled with scikit-learn (no download)
# ---------------------------------------------------------------------------------------


def _bunch(bunch) -> Dataset:
    return Dataset(features=bunch.data, labels=bunch.target, feature_names=list(bunch.feature_names))


def digits() -> Dataset:
    """8x8 handwritten digits; the raw images are kept for display (features get standardised)."""
    bunch = sklearn_datasets.load_digits()
    return Dataset(
        features=bunch.data, labels=bunch.target, feature_names=list(bunch.feature_names),
        examples=bunch.images, image_shape=bunch.images.shape[1:],
    )


def iris() -> Dataset:
    return _bunch(sklearn_datasets.load_iris())


def wine() -> Dataset:
    return _bunch(sklearn_datasets.load_wine())


def breast_cancer() -> Dataset:
    return _bunch(sklearn_datasets.load_breast_cancer())


def synthetic(
    n_samples: int = 1000,
    n_features: int = 20,
    n_informative: int = 10,
    n_classes: int = 4,
    n_clusters_per_class: int = 1,
    class_sep: float = 1.0,
    *,
    seed: int,
) -> Dataset:
    """sklearn.datasets.make_classification, generated from the run's data seed."""
    features, labels = sklearn_datasets.make_classification(
        n_samples=n_samples, n_features=n_features, n_informative=n_informative, n_redundant=0,
        n_classes=n_classes, n_clusters_per_class=n_clusters_per_class, class_sep=class_sep,
        random_state=seed,
    )
    return Dataset(features=features, labels=labels)


# ---------------------------------------------------------------------------------------
# Tables: CSV and parquet
# ---------------------------------------------------------------------------------------


def csv(
    path: str,
    label_column: str,
    feature_columns: Sequence[str] | None = None,
    drop_columns: Sequence[str] = (),
    id_column: str | None = None,
    true_label_column: str | None = None,
    label_errors: str | None = None,
) -> Dataset:
    """A CSV file: one label column (any type), feature columns of any dtype (numeric, text,
    bool), empty cells allowed in the features (imputed per fold by the default preprocessing).

    ``feature_columns`` None: every column but the label, id, true-label, error and dropped
    ones. ``label_errors``: a column of booleans (true = wrong label) or a boolean .npy file.
    """
    frame = pd.read_csv(path)
    return _table(frame, str(path), 2, label_column, feature_columns, drop_columns, id_column,
                  true_label_column, label_errors)


def parquet(
    path: str,
    label_column: str,
    feature_columns: Sequence[str] | None = None,
    drop_columns: Sequence[str] = (),
    id_column: str | None = None,
    true_label_column: str | None = None,
    label_errors: str | None = None,
) -> Dataset:
    """A parquet file (read with pyarrow, the ``[parquet]`` extra); the same keys as csv."""
    try:
        import pyarrow  # noqa: F401  (imported here: an optional extra)
    except ImportError as error:
        raise ImportError("dataset=parquet needs pyarrow: pip install 'cleanlearn[parquet]'") from error
    frame = pd.read_parquet(path, engine="pyarrow")
    return _table(frame, str(path), None, label_column, feature_columns, drop_columns, id_column,
                  true_label_column, label_errors)


def _table(frame, source, first_line, label_column, feature_columns, drop_columns, id_column,
           true_label_column, label_errors) -> Dataset:
    def where(row, column):
        return _where(source, first_line, row, column)

    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    named = {"dataset.label_column": [label_column], "dataset.id_column": [id_column],
             "dataset.true_label_column": [true_label_column],
             "dataset.drop_columns": list(drop_columns or ()),
             "dataset.feature_columns": list(feature_columns or ())}
    for key, names in named.items():
        unknown = [name for name in names if name is not None and name not in columns]
        if unknown:
            raise ValueError(f"{source}: {key} names columns not in the file: {unknown} "
                             f"(columns: {', '.join(columns)})")
    error_column = label_errors if label_errors in columns else None
    reserved = {label_column, id_column, true_label_column, error_column, *(drop_columns or ())} - {None}
    if feature_columns is None:
        feature_columns = [c for c in columns if c not in reserved]
    else:
        feature_columns = list(feature_columns)
        clash = [c for c in feature_columns if c in reserved]
        if clash:
            raise ValueError(f"{source}: dataset.feature_columns includes the label, id or dropped "
                             f"columns {clash}")
    if not feature_columns:
        raise ValueError(f"{source}: no feature columns left (columns: {', '.join(columns)})")

    labels = frame[label_column]
    empty = np.flatnonzero(labels.isna().to_numpy())
    if empty.size:
        raise ValueError(f"{where(empty[0], label_column)}: empty label ({empty.size} rows have none)")
    true_labels = None
    if true_label_column is not None:
        true_labels = frame[true_label_column]
        empty = np.flatnonzero(true_labels.isna().to_numpy())
        if empty.size:
            raise ValueError(f"{where(empty[0], true_label_column)}: empty true label")
        true_labels = true_labels.to_numpy()
    errors = None
    if error_column is not None:
        errors = _bool_column(frame[error_column], lambda row: where(row, error_column))
    elif label_errors is not None:
        if not Path(label_errors).is_file():
            raise ValueError(f"{source}: dataset.label_errors={label_errors!r} is neither a column of the "
                             f"file nor a .npy file (columns: {', '.join(columns)})")
        errors = load_error_mask(label_errors, len(frame))
    ids = None if id_column is None else frame[id_column].to_numpy()
    features = frame[feature_columns].reset_index(drop=True)
    for column in features.columns:
        values = features[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            infinite = np.flatnonzero(np.isinf(values.to_numpy(dtype=np.float64, na_value=np.nan)))
            if infinite.size:
                raise ValueError(f"{where(infinite[0], column)}: infinite value {values.iloc[infinite[0]]}")
    return Dataset(
        features=features, labels=labels.to_numpy(), true_labels=true_labels, label_errors=errors,
        ids=ids, feature_names=list(feature_columns), source=source, first_line=first_line,
    )


def _bool_column(values: pd.Series, where) -> np.ndarray:
    """A column of true/false (or 1/0) as a bool mask; anything else names its first line."""
    text = values.astype(str).str.strip().str.lower()
    truthy, falsy = text.isin(["true", "1", "1.0", "yes"]), text.isin(["false", "0", "0.0", "no"])
    bad = np.flatnonzero(~(truthy | falsy).to_numpy())
    if bad.size:
        raise ValueError(f"{where(bad[0])}: label_errors must be true/false; got {values.iloc[bad[0]]!r}")
    return truthy.to_numpy()


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


# ---------------------------------------------------------------------------------------
# Precomputed pred_probs
# ---------------------------------------------------------------------------------------


def precomputed(
    pred_probs: str,
    labels: str,
    true_labels: str | None = None,
    label_errors: str | None = None,
    mmap: bool | None = None,
) -> Dataset:
    """Out-of-sample pred_probs computed elsewhere: a .npy file or a .zarr directory.

    pred_probs keep the dtype given (float32 stays float32) and are memory-mapped when
    ``mmap`` is true, or (``mmap`` null) when the file is larger than 256 MB; a .zarr array
    is read lazily, block by block (the ``[zarr]`` extra).
    """
    probabilities = load_array(pred_probs, "pred_probs", mmap=mmap)
    if probabilities.ndim != 2 or probabilities.dtype.kind not in "fiu":
        raise ValueError(
            f"dataset.pred_probs={pred_probs!r} must hold a 2-D numeric array; got shape "
            f"{probabilities.shape}, dtype {probabilities.dtype}"
        )
    _check_probabilities(probabilities, pred_probs)
    n_examples = probabilities.shape[0]
    given = load_array(labels, "labels")
    true = None if true_labels is None else load_array(true_labels, "true_labels")
    for key, array in (("labels", given), ("true_labels", true)):
        if array is not None and array.shape != (n_examples,):
            raise ValueError(
                f"dataset.{key} must hold {n_examples} labels (one per row of pred_probs); "
                f"got shape {array.shape}"
            )
    errors = None if label_errors is None else load_error_mask(label_errors, n_examples)
    return Dataset(features=None, labels=given, true_labels=true, label_errors=errors,
                   pred_probs=probabilities, source=str(pred_probs))


def _check_probabilities(probabilities, path: str, n_rows: int = 1000) -> None:
    """Rows that look like logits get a hint (checked on the first rows: the file may be huge;
    the library checks them all)."""
    head = np.asarray(probabilities[:n_rows], dtype=np.float64)
    if head.size == 0:
        return
    if not np.all(np.isfinite(head)):
        row = int(np.flatnonzero(~np.isfinite(head).all(axis=1))[0])
        raise ValueError(f"{path}: row {row} of pred_probs has NaN or infinite values")
    sums = head.sum(axis=1)
    bad = np.flatnonzero((head < 0).any(axis=1) | (np.abs(sums - 1) > 1e-3))
    if bad.size:
        row = int(bad[0])
        raise ValueError(
            f"{path}: row {row} of pred_probs is not a probability distribution (values "
            f"{np.round(head[row], 4).tolist()}, sum {sums[row]:.4g}); these look like logits or "
            "scores: apply a softmax first (scipy.special.softmax(x, axis=1))"
        )


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
