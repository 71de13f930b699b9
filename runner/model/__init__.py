"""The model a run fits: the classifier from its config (:mod:`~runner.model.estimators`)
behind the per-fold preprocessing (:mod:`~runner.model.preprocessing`)."""
