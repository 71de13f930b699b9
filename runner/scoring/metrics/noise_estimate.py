"""How well the noise itself is estimated: the estimated rate and the noise matrix's error.

Both are computed by the run's writer (runner.scoring.writer) from CleanLearning's fitted
noise matrix and class prior.
"""

from runner.scoring.metrics import LOWER, Metric, register

register(
    Metric("estimated_noise_rate", None, "fraction of labels the confident joint estimates to be wrong: "
           "1 - sum_k P(given=k | true=k) P(true=k)", rank=10),
    Metric("noise_matrix_error", LOWER, "mean absolute error of the estimated noise matrix against the "
           "true one", labels="true", rank=40),
)
