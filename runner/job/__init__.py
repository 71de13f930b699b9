"""One Hydra job from the config check to the completion marker (:mod:`runner.job.lifecycle`)
and what it records about where it ran (:mod:`runner.job.provenance`)."""
