"""The closest valid name to a mistyped one, for one-line config errors at every layer."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["closest", "did_you_mean"]


def closest(name: str, valid: Iterable[str]) -> str | None:
    """The valid name nearest to ``name`` (difflib's ratio >= 0.6), or None."""
    matches = difflib.get_close_matches(str(name), [str(v) for v in valid], n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(name: str, valid: Iterable[str]) -> str:
    """``"; did you mean `cv_n_folds`?"`` or "" when nothing is close."""
    match = closest(name, valid)
    return f"; did you mean `{match}`?" if match else ""
