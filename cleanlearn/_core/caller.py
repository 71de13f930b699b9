"""Where a warning should point: the first frame outside cleanlearn (pandas' find_stack_level).

A fixed ``stacklevel`` is right for one call path only; the multi-label filters are reached
from :mod:`cleanlearn.multilabel_classification.filter` directly and through
:func:`cleanlearn.filter.find_label_issues` (one frame deeper), so their warnings count the
library's frames instead.
"""

from __future__ import annotations

import inspect
from pathlib import Path

_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)


def outside_stacklevel() -> int:
    """The ``stacklevel`` for ``warnings.warn`` that names the caller of the library (the
    innermost frame whose file is not under the cleanlearn package)."""
    frame = inspect.currentframe()
    level = 0
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level
