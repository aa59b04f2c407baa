"""The built-in notifiers a service starts with, configured from settings or the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping

from qualityflow.notify._base import NotifierConfigError
from qualityflow.notify.chat import AppriseNotifier
from qualityflow.notify.log import LoggingNotifier
from qualityflow.notify.smtp import EmailNotifier
from qualityflow.notify.webhook import WebhookNotifier

__all__ = ["SETTINGS", "builtin_notifiers"]

SETTINGS: dict[str, str] = {
    "QUALITYFLOW_SMTP_HOST": "SMTP server; setting it turns e-mail on",
    "QUALITYFLOW_SMTP_PORT": "SMTP port (default 25)",
    "QUALITYFLOW_SMTP_FROM": "the From address (needed with QUALITYFLOW_SMTP_HOST)",
    "QUALITYFLOW_SMTP_TO": "addresses receiving every notification, comma separated",
    "QUALITYFLOW_SMTP_USER": "login name, when the server wants one",
    "QUALITYFLOW_SMTP_PASSWORD": "login password",
    "QUALITYFLOW_SMTP_STARTTLS": "1 to upgrade with STARTTLS (port 587)",
    "QUALITYFLOW_SMTP_SSL": "1 for implicit TLS (SMTPS, port 465)",
    "QUALITYFLOW_WEBHOOK_URL": "receiver URL; setting it turns the webhook on",
    "QUALITYFLOW_WEBHOOK_SECRET": "shared secret for the X-QualityFlow-Signature header",
    "QUALITYFLOW_APPRISE_URLS": "apprise URLs, comma or space separated (extra 'notify')",
    "QUALITYFLOW_SMTP_LOCALE": "language of the e-mails (zh_CN, en); default: the service's",
    "QUALITYFLOW_WEBHOOK_LOCALE": "language of the webhook's titles and bodies",
    "QUALITYFLOW_APPRISE_LOCALE": "language of the chat messages (a WeCom group: zh_CN)",
}
"""Every setting :func:`builtin_notifiers` reads, with what it means."""

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(settings: Mapping[str, str], key: str) -> bool:
    value = settings.get(key, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise NotifierConfigError(f"{key}={value!r} is not a yes/no value; use 1 or 0")


def builtin_notifiers(settings: Mapping[str, str] | None = None) -> list[object]:
    """Build the built-in notifier plugins for these settings (default: the environment).

    Logging is always on. E-mail is added when ``QUALITYFLOW_SMTP_HOST`` is set, the
    webhook when ``QUALITYFLOW_WEBHOOK_URL`` is set, apprise when
    ``QUALITYFLOW_APPRISE_URLS`` is set (see :data:`SETTINGS` for every key). Empty
    values count as unset. A bad value raises
    :class:`~qualityflow.notify.NotifierConfigError` naming the setting, never showing
    a password or secret.

    Parameters
    ----------
    settings
        Keys as in :data:`SETTINGS`; when ``None``, ``os.environ`` is read.

    Returns
    -------
    list[object]
        Plugin objects with a ``qualityflow_notify`` hook, in the order logging, e-mail,
        webhook, apprise.

    Examples
    --------
    >>> builtin_notifiers({})
    [LoggingNotifier(logger='qualityflow.notify')]
    >>> builtin_notifiers({"QUALITYFLOW_WEBHOOK_URL": "https://qms.plant.example/hook",
    ...                    "QUALITYFLOW_WEBHOOK_SECRET": "s3cret"})[1]
    WebhookNotifier(url='https://qms.plant.example/hook', secret='***', timeout=10.0)

    """
    env: Mapping[str, str] = os.environ if settings is None else settings

    def get(key: str) -> str:
        return env.get(key, "").strip()

    notifiers: list[object] = [LoggingNotifier()]
    if host := get("QUALITYFLOW_SMTP_HOST"):
        sender = get("QUALITYFLOW_SMTP_FROM")
        if not sender:
            raise NotifierConfigError(
                "QUALITYFLOW_SMTP_HOST is set but QUALITYFLOW_SMTP_FROM is not: "
                "give the From address, for example qms@plant.example"
            )
        port_text = get("QUALITYFLOW_SMTP_PORT") or "25"
        try:
            port = int(port_text)
        except ValueError:
            raise NotifierConfigError(
                f"QUALITYFLOW_SMTP_PORT={port_text!r} is not a number; use 25, 465 or 587"
            ) from None
        notifiers.append(
            EmailNotifier(
                host,
                port,
                sender=sender,
                recipients=[a for a in get("QUALITYFLOW_SMTP_TO").split(",") if a.strip()],
                username=get("QUALITYFLOW_SMTP_USER") or None,
                password=env.get("QUALITYFLOW_SMTP_PASSWORD") or None,
                starttls=_flag(env, "QUALITYFLOW_SMTP_STARTTLS"),
                ssl=_flag(env, "QUALITYFLOW_SMTP_SSL"),
                locale=get("QUALITYFLOW_SMTP_LOCALE") or None,
            )
        )
    if url := get("QUALITYFLOW_WEBHOOK_URL"):
        secret = env.get("QUALITYFLOW_WEBHOOK_SECRET") or None
        notifiers.append(
            WebhookNotifier(url, secret=secret, locale=get("QUALITYFLOW_WEBHOOK_LOCALE") or None)
        )
    if urls := get("QUALITYFLOW_APPRISE_URLS"):
        notifiers.append(AppriseNotifier(urls, locale=get("QUALITYFLOW_APPRISE_LOCALE") or None))
    return notifiers
