"""Tables: a CSV or parquet file, one label column (any type), feature columns of any dtype.

Data errors name the file, the column and the first bad line (``data.csv: column 'age',
line 18: ...``): CSV line 1 is the header, so row r is line r + 2.
"""

from __future__ import annotations

import csv as csv_module
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from omegaconf import MISSING, DictConfig

from runner.core.checks import check, check_file
from runner.core.names import did_you_mean
from runner.datasets.arrays import load_error_mask
from runner.datasets.base import Dataset, FeatureDatasetConfig, _where, dataset_loader
from runner.datasets.columns import column_warnings, describe_features
from runner.datasets.labels import check_labels

if TYPE_CHECKING:  # at run time imported where used: start-up imports no pandas
    import pandas as pd

__all__ = ["CsvDatasetConfig", "TableDatasetConfig", "csv", "parquet"]

log = logging.getLogger(__name__)


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


@dataclass
class CsvDatasetConfig(TableDatasetConfig):
    """A CSV file; the keys of any table, and the file's text encoding."""

    encoding: str = "utf-8"  # e.g. latin-1, cp1252, utf-16 for files not saved as UTF-8


def _check_table(dataset: DictConfig) -> list[str]:
    problems = check_file(dataset, "path")
    problems += check(dataset, "dataset", "label_column", lambda v: isinstance(v, str) and v != "",
                      "a column name")
    columns = dataset.feature_columns
    if columns is not None and len(columns) == 0:
        problems.append("dataset.feature_columns must be null (all other columns) or a non-empty list; got []")
    if not problems:
        problems += _check_named_columns(dataset)
    return problems


def _header(path: str, encoding: str) -> list[str] | None:
    """The column names of a CSV (its first line) or a parquet file (its schema); None if unreadable."""
    try:
        if str(path).lower().endswith((".parquet", ".pq")):
            import pyarrow.parquet as pq

            return [str(name) for name in pq.read_schema(path).names]
        with open(path, encoding=encoding, newline="") as handle:
            return [name.strip() for name in next(csv_module.reader(handle), [])]
    except Exception:  # noqa: BLE001 - the loader reports an unreadable file with its line
        return None


def _check_named_columns(dataset: DictConfig) -> list[str]:
    """The columns the config names exist in the file (read: its header only), so that a sweep
    refuses a bad combination before launching anything (runner.sweep.check)."""
    columns = _header(dataset.path, dataset.get("encoding") or "utf-8")
    if columns is None:
        return []
    named = [("label_column", [dataset.label_column])]
    for key in ("id_column", "true_label_column"):
        if dataset.get(key) is not None:
            named.append((key, [dataset[key]]))
    for key in ("drop_columns", "feature_columns"):
        if dataset.get(key):
            named.append((key, list(dataset[key])))
    problems = []
    for key, names in named:
        missing = [str(name) for name in names if str(name) not in columns]
        if missing:
            shown = missing[0] if key in ("label_column", "id_column", "true_label_column") else missing
            problems.append(f"dataset.{key} names a column not in {dataset.path}: got {shown!r}"
                            f"{did_you_mean(missing[0], columns)} (columns: {', '.join(columns)})")
    return problems


_table_loader = dataset_loader(schema=TableDatasetConfig, schema_name="table", check=_check_table)


@dataset_loader(schema=CsvDatasetConfig, schema_name="csv", check=_check_table)
def csv(
    path: str,
    label_column: str,
    feature_columns: Sequence[str] | None = None,
    drop_columns: Sequence[str] = (),
    id_column: str | None = None,
    true_label_column: str | None = None,
    label_errors: str | None = None,
    encoding: str = "utf-8",
) -> Dataset:
    """A CSV file: one label column (any type), feature columns of any dtype (numeric, text,
    bool), empty cells allowed in the features (imputed per fold by the default preprocessing).

    ``feature_columns`` None: every column but the label, id, true-label, error and dropped
    ones. ``label_errors``: a column of booleans (true = wrong label) or a boolean .npy file.
    ``encoding``: the file's text encoding; a byte it cannot decode is an error naming the
    line and column.
    """
    import pandas as pd

    _check_header(path, encoding)
    try:
        frame = pd.read_csv(path, encoding=encoding)
    except UnicodeDecodeError as error:
        raise ValueError(_undecodable(path, encoding, error)) from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: the file is empty (no header line, no rows)") from None
    if frame.empty:
        raise ValueError(f"{path}: a header line and no data rows (line 2 is missing)")
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
    duplicated = sorted({c for c in map(str, frame.columns) if list(map(str, frame.columns)).count(c) > 1})
    if duplicated:
        raise ValueError(f"{path}: duplicate column names {duplicated}; give every column its own name")
    if frame.empty:
        raise ValueError(f"{path}: columns and no data rows")
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
    check_labels(labels, lambda row: where(row, label_column))
    true_labels = None
    if true_label_column is not None:
        true_labels = frame[true_label_column]
        check_labels(true_labels, lambda row: where(row, true_label_column), "true label")
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
    log.info("%s: %d feature columns: %s", source, len(feature_columns), describe_features(features))
    if id_column is not None:
        log.info("%s: id column %r (carried into label_issues.csv and report.html)", source, id_column)
    for line in column_warnings(features, labels.to_numpy(), source):
        log.warning(line)
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



def _check_header(path: str, encoding: str) -> None:
    """Duplicate header names are refused (pandas would rename the second ``species.1``)."""
    try:
        with open(path, encoding=encoding, newline="") as handle:
            header = next(csv_module.reader(handle), [])
    except UnicodeDecodeError as error:
        raise ValueError(_undecodable(path, encoding, error)) from None
    names = [name.strip() for name in header]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"{path}: line 1 (the header) names the column(s) {duplicated} more than once; "
                         "give every column its own name")


def _undecodable(path: str, encoding: str, error: UnicodeDecodeError) -> str:
    """'data.csv: line 3, column 7: byte 0xe9 is not valid utf-8 ...': the first bad byte's place."""
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError as bad:
                column = len(line[:bad.start].decode(encoding, errors="replace")) + 1
                byte = line[bad.start:bad.start + 1].hex()
                return (f"{path}: line {number}, column {column}: byte 0x{byte} is not valid {encoding}; "
                        f"set dataset.encoding to the file's encoding (e.g. dataset.encoding=latin-1)")
    return f"{path}: cannot be read as {encoding} ({error.reason}); set dataset.encoding (e.g. latin-1)"
