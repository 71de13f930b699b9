"""The seeds of one run: one independent child seed per random step, from the top-level seed."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Seeds", "derive_seeds"]


class Seeds(NamedTuple):
    """Independent seeds for each random step, all derived from the top-level seed."""

    data: int  # synthetic data generation
    split: int  # the stratified test split
    noise: int  # the noise matrix and which labels flip
    cv: int  # the cross-validation folds (CleanLearning's seed)


def derive_seeds(seed: int) -> Seeds:
    """Spawn one child seed per step, so that changing one step's use of randomness (or
    adding a step) leaves the others' streams as they were."""
    children = np.random.SeedSequence(seed).spawn(len(Seeds._fields))
    return Seeds(*(int(child.generate_state(1)[0]) for child in children))
