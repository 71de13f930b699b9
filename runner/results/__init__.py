"""A sweep's results, computed from its job dirs on disk: the per-job table
(:mod:`~runner.results.summarize`), the statistics over replicates and the paired comparisons
(:mod:`~runner.results.statistics`), the tables and the figures."""
