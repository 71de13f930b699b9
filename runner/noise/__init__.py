"""Label noise models, each a function named by ``_target_`` with its check beside it.

The framework (calling convention, :func:`inject_noise`, :func:`validate_noise`,
:func:`checked_by`) is :mod:`runner.noise.base`; each module here holds models of one kind.
A new model is a function anywhere importable plus a YAML in conf/noise/; nothing here lists
it (``_target_: runner.noise.my_module.my_model`` works without a line below).
"""

# The bundled models by their short paths (``_target_: runner.noise.symmetric`` in users' YAML).
from runner.noise.base import (
    checked_by,
    describe_noise,
    inject_noise,
    is_no_noise,
    realised_noise_matrix,
    validate_noise,
)
from runner.noise.class_flips import none, pairflip, symmetric
from runner.noise.given_matrix import matrix
from runner.noise.part_dependent import instance
from runner.noise.random_matrix import asymmetric

__all__ = [
    "asymmetric",
    "checked_by",
    "describe_noise",
    "inject_noise",
    "instance",
    "is_no_noise",
    "matrix",
    "none",
    "pairflip",
    "realised_noise_matrix",
    "symmetric",
    "validate_noise",
]
