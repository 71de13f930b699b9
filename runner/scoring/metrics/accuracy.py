"""Accuracy on labels no step of the run learned from: the test part and the validation part.

Scored by runner.experiment.held_out (test) and runner.experiment.validation_split
(validation). Which labels:

- ``test_accuracy_*``: the true test labels whenever the run knows them (injected noise: the
  dataset's labels, which noise never touches on the test part; a dataset's ``true_labels``
  or ``true_label_column``), the given ones only when nothing better is known;
- ``test_accuracy_given_*``: the given (noisy) test labels, beside the former, when the
  dataset brings true labels of its own (what a user without the truth would measure);
- ``test_accuracy_known_correct_*``: with only an error mask (``label_errors``), the test
  examples whose labels are known to be right;
- ``val_accuracy_cleanlearning``: the given labels of the validation part (what a user
  without the truth has; a search selects on it, so it is not held out).
"""

from runner.scoring.metrics import HIGHER, Metric, register

TRUE_TEST = "true test labels when known (injected noise, `true_labels`, `true_label_column`); else given"
GIVEN_TEST = "given (noisy) test labels"
KNOWN_CORRECT = "given test labels of the examples the error mask says are right"

register(
    Metric("test_accuracy_baseline", HIGHER, "test accuracy of the same classifier trained on the noisy labels",
           labels="held-out", held_out=True, rank=50, scored_on=TRUE_TEST),
    Metric("test_accuracy_cleanlearning", HIGHER, "test accuracy of CleanLearning (trained without the flagged "
           "examples)", labels="held-out", held_out=True, rank=51, scored_on=TRUE_TEST),
    Metric("test_accuracy_given_baseline", HIGHER, "`test_accuracy_baseline` against the given test labels "
           "(only when the dataset brings true labels: it measures agreement with the noise)",
           labels="held-out", held_out=True, rank=52, scored_on=GIVEN_TEST),
    Metric("test_accuracy_given_cleanlearning", HIGHER, "`test_accuracy_cleanlearning` against the given test "
           "labels (only when the dataset brings true labels)", labels="held-out", held_out=True, rank=53,
           scored_on=GIVEN_TEST),
    Metric("test_accuracy_known_correct_baseline", HIGHER, "`test_accuracy_baseline` on the test examples "
           "whose labels are known to be right (only with an error mask, `label_errors`)",
           labels="held-out", held_out=True, rank=54, scored_on=KNOWN_CORRECT),
    Metric("test_accuracy_known_correct_cleanlearning", HIGHER, "`test_accuracy_cleanlearning` on the test "
           "examples whose labels are known to be right (only with an error mask)", labels="held-out",
           held_out=True, rank=55, scored_on=KNOWN_CORRECT),
    Metric("val_accuracy_cleanlearning", HIGHER, "accuracy of CleanLearning on the validation part "
           "(`dataset.validation_size`); the objective of `search_cleanlearning`", labels="held-out",
           rank=56, scored_on="given labels of the validation part"),
)
