"""Multi-label classification, as ``cleanlab.multilabel_classification`` 2.9.0.

Each example may belong to several classes or none: ``labels`` is a list with one list of
class indices per example (``[[0, 2], [1], [], ...]``) and ``pred_probs`` an (N, K) array of
per-class probabilities whose rows need not sum to 1. Same functions, parameters, defaults
and numbers as the reference (checked against cleanlab 2.9.0 in the tests).
"""

from cleanlearn.multilabel_classification import dataset, filter, rank
from cleanlearn.multilabel_classification.rank import get_label_quality_scores

__all__ = ["dataset", "filter", "get_label_quality_scores", "rank"]
