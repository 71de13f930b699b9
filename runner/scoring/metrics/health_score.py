"""The dataset's label health (runner.scoring.health writes its tables)."""

from runner.scoring.metrics import HIGHER, Metric, register

register(
    Metric("label_health_score", HIGHER, "`cleanlearn.dataset.overall_label_health_score`: the trace of the "
           "estimated joint P(given, true), the fraction of labels estimated correct", rank=11),
)
