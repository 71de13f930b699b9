"""What concerns a whole sweep: the check before its first job (:mod:`~runner.sweep.check`),
its summary kept up to date and one progress line per job (:mod:`~runner.sweep.summary`,
:mod:`~runner.sweep.progress`), how many jobs run at once and which together
(:mod:`~runner.sweep.launchers`, :mod:`~runner.sweep.schedule`), MLflow tracking (:mod:`~runner.sweep.tracking`) and a
search's results (:mod:`~runner.sweep.search_results`)."""
