"""Tables: a CSV or parquet file, one label column (any type), feature columns of any dtype.

Data errors name the file, the column and the first bad line (``data.csv: column 'age',
line 18: ...``): CSV line 1 is the header, so row r is line r + 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from omegaconf import MISSING, DictConfig

from runner.core.checks import check, check_file
from runner.datasets.arrays import load_error_mask
from runner.datasets.base import Dataset, FeatureDatasetConfig, _where, dataset_loader

if TYPE_CHECKING:  # at run time imported where used: start-up imports no pandas
    import pandas as pd

__all__ = ["TableDatasetConfig", "csv", "parquet"]


@dataclass
class TableDatasetConfig(FeatureDatasetConfig):
    """A CSV or parquet file: one label column (any type), feature columns of any dtype."""

    _target_: str = "runner.datasets.csv"
    name: str = "csv"
    path: str = MISSING
    label_column: str = MISSING
    # None: every column but the label, id, true-label, error and dropped columns.
    feature_columns: list[str] | None = None
    drop_columns: list[str] = field(default_factory=list)
    id_column: str | None = None
    true_label_column: str | None = None
    label_errors: str | None = None  # a column of true/false, or a boolean .npy file
    test_size: float = 0.0  # your own labels: every row is examined


def _check_table(dataset: DictConfig) -> list[str]:
    problems = check_file(dataset, "path")
    problems += check(dataset, "dataset", "label_column", lambda v: isinstance(v, str) and v != "",
                      "a column name")
    columns = dataset.feature_columns
    if columns is not None and len(columns) == 0:
        problems.append("dataset.feature_columns must be null (all other columns) or a non-empty list; got []")
    return problems


_table_loader = dataset_loader(schema=TableDatasetConfig, schema_name="table", check=_check_table)


@_table_loader
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
    import pandas as pd
    frame = pd.read_csv(path)
    return _table(frame, str(path), 2, label_column, feature_columns, drop_columns, id_column,
                  true_label_column, label_errors)


@_table_loader
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
    import pandas as pd
    try:
        import pyarrow  # noqa: F401  (imported here: an optional extra)
    except ImportError as error:
        raise ImportError("dataset=parquet needs pyarrow: pip install 'cleanlearn[parquet]'") from error
    frame = pd.read_parquet(path, engine="pyarrow")
    return _table(frame, str(path), None, label_column, feature_columns, drop_columns, id_column,
                  true_label_column, label_errors)


def _table(frame, source, first_line, label_column, feature_columns, drop_columns, id_column,
           true_label_column, label_errors) -> Dataset:
    import pandas as pd
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

