"""What a run measures and writes: the metric registry (:mod:`runner.scoring.metrics`, one
module per family of metrics), label health (:mod:`~runner.scoring.health`) and the per-run
output writer (:mod:`~runner.scoring.writer`)."""
