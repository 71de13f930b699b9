"""One experiment: the pipeline (:mod:`~runner.experiment.pipeline`), its seeds
(:mod:`~runner.experiment.seeds`), the dataset split (:mod:`~runner.experiment.data`), the
validation part (:mod:`~runner.experiment.validation_split`) and where the folds run
(:mod:`~runner.experiment.parallel`, one module per backend)."""
