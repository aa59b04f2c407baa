"""Built-in notifiers: logging (default), e-mail, signed webhooks and apprise.

Each notifier is a plugin object with a ``qualityflow_notify(notification)`` hook that
raises when delivery fails, so the service records the delivery and retries it later.
:func:`builtin_notifiers` builds the set a service starts with from settings or the
environment. Third-party notifiers implement the same hook (see ``docs/notifications.md``).
"""

from __future__ import annotations

from qualityflow.notify._base import DeliveryError, NotifierConfigError, mask_url
from qualityflow.notify.chat import AppriseNotifier
from qualityflow.notify.log import LOGGER_NAME, LoggingNotifier
from qualityflow.notify.settings import SETTINGS, builtin_notifiers
from qualityflow.notify.smtp import EmailNotifier
from qualityflow.notify.webhook import (
    EVENT_HEADER,
    ID_HEADER,
    SIGNATURE_HEADER,
    WebhookNotifier,
    sign,
    verify_signature,
)

__all__ = [
    "EVENT_HEADER",
    "ID_HEADER",
    "LOGGER_NAME",
    "SETTINGS",
    "SIGNATURE_HEADER",
    "AppriseNotifier",
    "DeliveryError",
    "EmailNotifier",
    "LoggingNotifier",
    "NotifierConfigError",
    "WebhookNotifier",
    "builtin_notifiers",
    "mask_url",
    "sign",
    "verify_signature",
]
