"""Grouping and matching rows of a summary frame: the helpers every results module shares.

Missing values (NaN, None, pd.NA) are one value of an axis: a job without a key groups with
the others without it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd


def frame_groups(frame: pd.DataFrame, keys: Sequence[str]):
    """(key tuple, sub-frame) per combination of ``keys`` in order of appearance (NaN a value)."""
    if not keys:
        yield (), frame
        return
    for key, group in frame.groupby(list(keys), sort=False, dropna=False):
        yield (key if isinstance(key, tuple) else (key,)), group


def first_of_each(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """The first row of each combination of ``keys`` (the one row of a frame when there are no
    keys: pandas' drop_duplicates refuses an empty subset)."""
    if not keys:
        return frame.iloc[:1]
    return frame.drop_duplicates(subset=list(keys))


def group_codes(frame: pd.DataFrame, keys: Sequence[str]) -> np.ndarray:
    """(n_rows,) group number of each row, groups numbered in order of first appearance."""
    if not keys:
        return np.zeros(len(frame), dtype=np.int64)
    return frame.groupby(list(keys), sort=False, dropna=False).ngroup().to_numpy()


def rows_matching(frame: pd.DataFrame, keys: Sequence[str], values: tuple) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for key, value in zip(keys, values, strict=True):
        mask &= equal_values(frame[key], value)
    return mask


def equal_values(column: pd.Series, value) -> pd.Series:
    if is_missing(value):
        return column.isna()
    return column == value


def same_value(a, b) -> bool:
    return (is_missing(a) and is_missing(b)) or a == b


def is_missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def n_values(column: pd.Series) -> int:
    return column.nunique(dropna=False)


def first_value(column: pd.Series):
    return column.iloc[0] if len(column) else None




def short_names(keys: Sequence[str]) -> dict[str, str]:
    """Last part of each key (filter_by), unless that would make two the same."""
    short = [k.rsplit(".", 1)[-1] for k in keys]
    if len(set(short)) < len(short):
        short = list(keys)
    return dict(zip(keys, short, strict=True))


def value_text(value) -> str:
    if is_missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(value).replace("|", "\\|")
