"""cleanlearn's private internals: what the public modules share lives here, never in another
public module's private functions.

Layering: the public modules (count, filter, rank, dataset, classification, noise,
multilabel_classification.*) import ``_core``; ``_core`` never imports a public module, and
nothing here imports a filter into the counting code (``cleanlearn.count`` never reaches
``cleanlearn.filter`` or ``_core.multilabel.filter``).

- constants: the reference's numerical constants, one copy.
- validation: argument checks and thread counts (re-exported as ``cleanlearn.validation``).
- blocks, rows, workers, progress: reading pred_probs a block of rows at a time, selecting
  rows of any X, lending idle workers to a fit, progress messages through logging.
- confident_joint: thresholds, the confident joint, calibration, the post-filter.
- kernel: the optional C kernel of the confident joint's pass (``_joint_kernel.c``).
- latent_algebra: priors and noise matrices from a joint or from each other.
- cross_validation: out-of-sample pred_probs with scikit-learn.
- scores: single-label label quality scores and the ranking of flagged examples.
- selection: filter names and option rules, prune counts, exact smallest-k selection.
- multilabel/: inputs, binary problems, scores, the multi-label joint (count) and the
  per-class flags (filter).
- caller: the stacklevel that points a warning at the library's caller.
"""
