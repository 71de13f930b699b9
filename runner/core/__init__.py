"""What every layer of the runner shares, at the bottom of the import graph.

- :mod:`runner.core.io`: atomic writes (temporary name + rename) and file locks.
- :mod:`runner.core.layout`: the job dir vocabulary (file names, ``DONE``, identity keys, job
  dir names, the sweep dir, the JSON/YAML readers, the ``runner_job_dir`` resolver).
- :mod:`runner.core.cache`: the on-disk array cache (``python -m runner.cache``).
- :mod:`runner.core.signals`: SIGINT/SIGTERM as an exception raised where the work returns.
- :mod:`runner.core.checks`: one problem line per bad config value (shared by every check).
- :mod:`runner.core.targets`: a ``_target_`` path to the object it names.
"""
