"""Accuracy on labels no step of the run learned from: the test part and the validation part.

Scored by runner.experiment.pipeline (test) and runner.experiment.validation_split (validation).
"""

from runner.scoring.metrics import HIGHER, Metric, register

register(
    Metric("test_accuracy_baseline", HIGHER, "test accuracy of the same classifier trained on the noisy labels",
           labels="held-out", held_out=True, rank=50),
    Metric("test_accuracy_cleanlearning", HIGHER, "test accuracy of CleanLearning (trained without the flagged "
           "examples)", labels="held-out", held_out=True, rank=51),
    Metric("val_accuracy_cleanlearning", HIGHER, "accuracy of CleanLearning on the validation part "
           "(`dataset.validation_size`)", labels="held-out", held_out=True, rank=52),
)
