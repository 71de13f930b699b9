from runner.noise.base import *  # noqa: F401,F403
from runner.noise.base import (  # noqa: F401
    asymmetric,
    inject_noise,
    instance,
    is_no_noise,
    matrix,
    none,
    pairflip,
    realised_noise_matrix,
    symmetric,
    validate_noise,
)
