"""cleanlearn's Optuna sweeper for Hydra 1.3: ``hydra/sweeper=optuna`` on a current Optuna (>= 4).

The PyPI ``hydra-optuna-sweeper`` 1.3 pins optuna < 3 (and its SQLite storage fails under
SQLAlchemy 2), so this small plugin does the same job on Optuna's ask-and-tell API: Optuna
does the search; the plugin turns each asked trial into the overrides of one Hydra job, runs
the jobs through the configured launcher, and tells the study each job's metric.

``hydra_plugins`` is a namespace package (no ``__init__.py``): Hydra discovers every plugin
package under it, installed or on PYTHONPATH.
"""
