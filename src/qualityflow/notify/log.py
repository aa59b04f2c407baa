"""The default notifier: every notification goes to the standard-library logging system."""

from __future__ import annotations

import logging

from qualityflow.models import Notification, Severity
from qualityflow.notify._base import subject_line
from qualityflow.plugins import hookimpl

__all__ = ["LOGGER_NAME", "LoggingNotifier"]

LOGGER_NAME = "qualityflow.notify"
"""The logger the default notifier writes to."""

_LEVELS = {
    Severity.CRITICAL: logging.ERROR,
    Severity.MAJOR: logging.WARNING,
    Severity.MINOR: logging.INFO,
}


class LoggingNotifier:
    """Write each notification as one log record (the default, always registered).

    Critical notifications are logged at ``ERROR``, major ones at ``WARNING`` and the
    rest at ``INFO``, so an application's existing log handlers (file, syslog, journald)
    already alert on what matters. The record carries the notification in its ``extra``
    attribute ``notification`` for structured handlers.

    Parameters
    ----------
    logger
        A logger or a logger name; defaults to ``qualityflow.notify``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import qualityflow as qf
    >>> notifier = qf.LoggingNotifier()
    >>> notifier.qualityflow_notify(qf.Notification(
    ...     kind="recall", subject_kind="incident", subject_id="INC-7",
    ...     title="Recall of BISC-0301", severity="critical",
    ...     at=datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)))

    """

    qualityflow_name = "notify.logging"
    """Plugin name: deliveries are recorded under it; QUALITYFLOW_DISABLE_PLUGINS takes it."""
    qualityflow_record_with_change = True
    """Its delivery is recorded in the change's transaction (it runs in-process and a log
    handler does not raise): the change commits once; see :mod:`qualityflow.service.outbox`."""

    def __init__(self, logger: logging.Logger | str = LOGGER_NAME) -> None:
        self.logger = logging.getLogger(logger) if isinstance(logger, str) else logger

    def __repr__(self) -> str:
        return f"LoggingNotifier(logger={self.logger.name!r})"

    @hookimpl
    def qualityflow_notify(self, notification: Notification) -> None:
        """Log ``notification`` at a level that follows its severity."""
        severity = notification.severity
        level = logging.INFO if severity is None else _LEVELS[severity]
        message = subject_line(notification)
        if notification.body:
            message += ": " + " ".join(notification.body.split())
        self.logger.log(level, "%s", message, extra={"notification": notification})
