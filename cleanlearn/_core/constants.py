"""Constants of the reference (``cleanlab.internal.constants`` 2.9.0), kept bit-for-bit.

One copy for the whole library: count, rank, dataset, classification, noise and the
multi-label modules all compare and clip with these values.
"""

FLOATING_POINT_COMPARISON = 1e-6  # slack in "p >= threshold" and in the post-filter
CLIPPING_LOWER_BOUND = 1e-6  # smallest class prior after estimation; floor of scores' divisors
CONFIDENT_THRESHOLDS_LOWER_BOUND = 2 * FLOATING_POINT_COMPARISON
TINY_VALUE = 1e-100  # guards divisions by zero
EPSILON = 1e-6  # guards divisions by an empty row or column; smallest softmin temperature
MISSING_CLASS_THRESHOLD = 2  # above any probability: a class without examples is never confident
CONVERGED_PRIOR_LOWER_BOUND = 1e-5  # py clip after converging the latent estimates
MAX_NOISE_RATE = 0.9999  # off-diagonal noise rates are clipped to [0, MAX_NOISE_RATE]
