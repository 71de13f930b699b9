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

# The bundled loaders by their short paths (``_target_: runner.datasets.csv`` in users' YAML).
# A new loader needs no line here: ``_target_: runner.datasets.my_module.my_loader`` works.
from runner.datasets.base import RUN_KEYS, Dataset, call_loader, dataset_loader
from runner.datasets.make_classification import synthetic
from runner.datasets.pred_probs import precomputed
from runner.datasets.scikit_learn import breast_cancer, digits, iris, wine
from runner.datasets.tables import csv, parquet

__all__ = [
    "Dataset",
    "RUN_KEYS",
    "breast_cancer",
    "call_loader",
    "csv",
    "dataset_loader",
    "digits",
    "iris",
    "parquet",
    "precomputed",
    "synthetic",
    "wine",
]
