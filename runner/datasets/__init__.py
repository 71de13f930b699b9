from runner.datasets.base import *  # noqa: F401,F403
from runner.datasets.base import (  # noqa: F401
    RUN_KEYS,
    Dataset,
    breast_cancer,
    csv,
    digits,
    iris,
    parquet,
    precomputed,
    synthetic,
    wine,
)
