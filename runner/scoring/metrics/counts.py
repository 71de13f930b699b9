"""Counts of a run (descriptive: no direction): examples, classes, flagged examples."""

from runner.scoring.metrics import Metric, register

register(
    Metric("n_examples", None, "training examples (every examined example)", rank=1, scored_on="none (a count)"),
    Metric("n_classes", None, "classes", rank=2, scored_on="none (a count)"),
    Metric("n_test_examples", None, "held-out test examples (absent in a search's trials: they never touch "
           "the test part)", labels="held-out", rank=3, scored_on="none (a count)"),
    Metric("n_label_issues", None, "training examples flagged as label issues", rank=4),
)
