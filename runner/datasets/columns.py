"""What a table's feature columns look like, said before any learning (runner.datasets.tables).

Every column that is not the label becomes a feature; a few kinds quietly spoil a run, and
each gets a warning naming the column and the keys that leave it out:

- a likely **id**: a non-float column with one value per row (``patient_id``, a file name, a
  timestamp), or an integer column that is a permutation of a range (a row number);
- a **constant** column (it carries nothing);
- a likely **leak**: a column that maps one-to-one onto the labels, or whose per-value
  majority label agrees with the given label about as often as the model does in
  cross-validation (:func:`leak_warnings`, called once the CV accuracy is known). The
  majority is taken leave-one-out, from the other rows with the same value, so a column
  unique per row cannot agree by construction; numeric columns are cut into quantile bins.

All of it is a few group-bys per column: O(n_rows) each.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # imported where used: start-up (--help, the config check) imports no pandas
    import pandas as pd

__all__ = ["column_kind", "column_warnings", "describe_features", "leak_warnings", "majority_agreement"]

log = logging.getLogger(__name__)

HINT = "set dataset.id_column={name} or add it to dataset.drop_columns if it is not a feature"
# A column agreeing with the given labels within this of the model's CV accuracy is a likely leak.
LEAK_MARGIN = 0.05
N_BINS = 20
MIN_ROWS = 10  # fewer rows: every column looks unique or one-to-one by chance  # quantile bins of a numeric column for its per-value majority label


def column_kind(values: pd.Series) -> str:
    """'bool', 'int', 'float', 'datetime', 'category' or 'text'."""
    import pandas as pd
    if pd.api.types.is_bool_dtype(values):
        return "bool"
    if pd.api.types.is_integer_dtype(values):
        return "int"
    if pd.api.types.is_float_dtype(values):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "datetime"
    if isinstance(values.dtype, pd.CategoricalDtype):
        return "category"
    return "text"


def describe_features(features: pd.DataFrame) -> str:
    """'age (int), city (text), income (float)': the feature columns a table run uses."""
    return ", ".join(f"{name} ({column_kind(features[name])})" for name in features.columns)


def _codes(values: pd.Series) -> np.ndarray:
    """(N,) int codes of a column's values (numeric columns: quantile bins); -1 for missing."""
    import pandas as pd
    if column_kind(values) in ("int", "float") and values.nunique() > N_BINS:
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        edges = np.unique(np.nanquantile(numbers, np.linspace(0, 1, N_BINS + 1)[1:-1]))
        return np.where(np.isnan(numbers), -1, np.searchsorted(edges, numbers, side="right")).astype(np.int64)
    return np.asarray(pd.factorize(values, use_na_sentinel=True)[0], dtype=np.int64)


def majority_agreement(values: pd.Series, labels: np.ndarray) -> float:
    """How often the majority label of the *other* rows with the same value equals the row's label.

    ``labels``: (N,) class indices. Rows whose value no other row shares, and missing values,
    count as disagreeing.
    """
    codes = _codes(values)
    labels = np.asarray(labels, dtype=np.int64)
    n_classes = int(labels.max()) + 1
    present = codes >= 0
    n_values = int(codes.max()) + 1 if present.any() else 1
    counts = np.bincount(codes[present] * n_classes + labels[present],
                         minlength=n_values * n_classes).reshape(n_values, n_classes)
    others = counts[np.where(present, codes, 0)]  # (N, n_classes) counts of the row's value
    others[np.arange(len(labels)), labels] -= present  # leave the row itself out
    majority = others.argmax(axis=1)
    agree = present & (others.sum(axis=1) > 0) & (majority == labels)
    return float(agree.mean())


def _one_to_one(values: pd.Series, labels: np.ndarray) -> bool:
    import pandas as pd
    pairs = pd.DataFrame({"value": values.to_numpy(), "label": labels}).dropna()
    if len(pairs) < len(values) or pairs["label"].nunique() < 2:
        return False
    return bool(pairs.groupby("value")["label"].nunique().max() == 1
                and pairs.groupby("label")["value"].nunique().max() == 1)


def column_warnings(features: pd.DataFrame, labels, source: str) -> list[str]:
    """One line per likely id, constant and one-to-one column (naming it and the keys to use)."""
    import pandas as pd
    labels = np.asarray(labels)
    n_rows = len(features)
    n_labels = pd.Series(labels).nunique(dropna=False)
    lines = []
    for name in features.columns:
        values = features[name]
        kind = column_kind(values)
        n_unique = values.nunique(dropna=False)
        hint = HINT.format(name=name)
        if n_unique <= 1:
            lines.append(f"{source}: column {name!r} is constant ({_plain(values.iloc[0])!r} in every row); "
                         f"add it to dataset.drop_columns")
        elif n_rows < MIN_ROWS:
            continue
        elif kind != "float" and n_unique == n_rows and _is_id_like(values, kind):
            lines.append(f"{source}: column {name!r} looks like an id ({kind}, a different value in every row); "
                         f"{hint}")
        elif n_unique == n_labels and _one_to_one(values, labels):  # as many values as labels first: cheap
            lines.append(f"{source}: column {name!r} maps one-to-one onto the labels: a likely leak of the "
                         f"answer; {hint}")
    return lines


def _plain(value):
    """A numpy scalar as its Python value (shown as 1, not np.int64(1))."""
    return value.item() if isinstance(value, np.generic) else value


def _is_id_like(values: pd.Series, kind: str) -> bool:
    if kind != "int":
        return True  # text, dates, categories unique per row
    # an integer column unique per row: a row number when it is a permutation of a range
    ints = values.to_numpy(dtype=np.int64)
    return int(ints.max() - ints.min()) == len(ints) - 1


def leak_warnings(features: pd.DataFrame, labels: np.ndarray, cv_accuracy: float, source: str) -> list[str]:
    """Columns whose per-value majority label agrees with ``labels`` about as often as the model.

    ``labels``: (N,) class indices the model was cross-validated on; ``cv_accuracy``: how
    often its out-of-sample prediction equals them. A column alone that does as well as the
    whole model likely holds the answer (a true diagnosis, a later outcome).
    """
    labels = np.asarray(labels, dtype=np.int64)
    chance = np.bincount(labels).max() / len(labels)  # always the commonest label
    lines = []
    for name in features.columns:
        agreement = majority_agreement(features[name], labels)
        if agreement > chance + 0.1 and agreement >= cv_accuracy - LEAK_MARGIN:
            lines.append(
                f"{source}: column {name!r} alone agrees with the given labels in {agreement:.0%} of rows "
                f"(its per-value majority label), as often as the model in cross-validation "
                f"({cv_accuracy:.0%}): a likely leak of the answer; {HINT.format(name=name)}"
            )
    return lines
