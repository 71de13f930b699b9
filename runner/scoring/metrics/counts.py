"""Counts of a run (descriptive: no direction): examples, classes, flagged examples."""

from runner.scoring.metrics import Metric, register

register(
    Metric("n_examples", None, "training examples (every examined example)", rank=1),
    Metric("n_classes", None, "classes", rank=2),
    Metric("n_test_examples", None, "held-out test examples", labels="held-out", rank=3),
    Metric("n_label_issues", None, "training examples flagged as label issues", rank=4),
)
