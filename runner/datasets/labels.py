"""The one check every loader's labels go through (runner.datasets.base.call_loader).

A label that is missing (NaN, None, an empty or blank string) would silently become a class
of its own (NaN sorts as a value; an empty string is a class named ''); labels of two types
(``'cat'`` and ``3``) cannot be sorted into classes. Both are refused with the place of the
first bad row (``data.csv: column 'label', line 18: ...``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # imported where used: start-up (--help, the config check) imports no pandas
    pass

__all__ = ["check_labels", "label_kind"]


def label_kind(value) -> str:
    """'str', 'int', 'float' or 'bool' (numpy scalars as their Python kind), else the type's name."""
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "float"
    if isinstance(value, (str, np.str_)):
        return "str"
    return type(value).__name__


def _plain(value):
    """A numpy scalar as its Python value (shown as nan, not np.float64(nan))."""
    return value.item() if isinstance(value, np.generic) else value


def _missing(values: np.ndarray) -> np.ndarray:
    """(N,) bool: NaN, None, NaT/pd.NA, or an empty/blank string."""
    import pandas as pd
    missing = np.asarray(pd.isna(values), dtype=bool)
    if values.dtype.kind == "U":
        missing |= np.char.strip(values) == ""
    elif values.dtype == object:
        missing |= np.fromiter((isinstance(v, str) and not v.strip() for v in values), bool, len(values))
    return missing


def check_labels(labels, where: Callable[[int], str], what: str = "label") -> None:
    """Refuse missing labels (naming the first row) and labels of mixed types (one line).

    ``where(row)`` places a 0-based row (``'data.csv: column 'label', line 18'``); ``what``
    names the labels in the message ('label', 'true label').
    """
    import pandas as pd
    values = np.asarray(labels)
    if values.ndim != 1:
        raise ValueError(f"{where(0)}: {what}s must be one value per row; got shape {values.shape}")
    if values.dtype.kind in "iub":
        return  # integer or boolean arrays hold neither NaN nor another type
    missing = np.flatnonzero(_missing(values))
    if missing.size:
        row = int(missing[0])
        raise ValueError(f"{where(row)}: empty {what} ({_plain(values[row])!r}); {missing.size} of {len(values)} "
                         f"rows have none: fill them in or drop those rows")
    if values.dtype != object:
        return
    kinds = pd.Series([label_kind(v) for v in values])
    # ints and floats sort together; a string beside a number does not
    families = kinds.replace({"int": "number", "float": "number", "bool": "number"})
    if families.nunique() > 1:
        examples = []
        for kind, rows in kinds.groupby(kinds, sort=True).groups.items():
            shown = [_plain(v) for v in dict.fromkeys(values[rows])][:2]
            examples.append(f"{kind} ({', '.join(repr(v) for v in shown)})")
        first = int(np.flatnonzero(kinds.to_numpy() != kinds.iloc[0])[0])
        raise ValueError(f"{where(first)}: {what}s mix types: {' and '.join(examples)}; give every "
                         f"{what} one type (e.g. all strings)")
