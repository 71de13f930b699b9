"""cleanlearn's local launcher for Hydra 1.3: ``hydra/launcher=local``, a sweep's jobs in
``n_jobs`` worker processes forked from the launching process.

Hydra's joblib launcher starts fresh worker interpreters: each imports Python, Hydra and the
job's scientific stack again, and every job's config and task travel to it pickled. This
launcher forks its workers once the launching process has composed the sweep (through the
composition cache, runner.sweep.composition) and imported the job's stack, so a worker starts
with both in memory, and hands whole groups of jobs that share cached work (the same data,
noise, classifier and seed: one cross-validation, runner.sweep.schedule) to one worker, so
the other workers never wait for a cross-validation in progress. Each job runs through
Hydra's own ``run_job``, exactly as the basic launcher runs it: the same files, callbacks
and results. ``n_jobs=1`` runs the jobs one after another in the launching process, as the
basic launcher does.
"""
