"""Progress messages of ``verbose=True``: through ``logging``, and visible in a plain script.

The reference prints its progress. cleanlearn logs it at INFO level instead, so an application
that configured logging decides where it goes. An application that configured none would
never see it (Python's last-resort handler shows WARNING and above only), so then, and only
then, a message asked for with ``verbose`` is written to stderr. Without ``verbose`` messages
go to DEBUG and nothing is ever shown unasked.
"""

from __future__ import annotations

import logging


def _has_handlers(logger: logging.Logger) -> bool:
    """Whether a record of ``logger`` reaches any handler (the walk of Logger.callHandlers)."""
    current: logging.Logger | None = logger
    while current is not None:
        if current.handlers:
            return True
        if not current.propagate:
            return False
        current = current.parent
    return False


def report(logger: logging.Logger, verbose, message: str, *args) -> None:
    """Log ``message % args``: at INFO when ``verbose`` (on stderr if logging is unconfigured),
    else at DEBUG."""
    if not verbose:
        logger.debug(message, *args)
    elif _has_handlers(logger):
        logger.info(message, *args)
    else:
        record = logger.makeRecord(logger.name, logging.INFO, "(cleanlearn)", 0, message, args, None)
        handler = logging.StreamHandler()  # sys.stderr as it is now
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.handle(record)
