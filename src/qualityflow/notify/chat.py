"""Chat, messenger and SMS notifications through apprise (the optional ``notify`` extra).

One apprise URL reaches a service: ``wecombot://KEY`` (WeCom), ``dingtalk://TOKEN``
(DingTalk), ``feishu://TOKEN`` (Feishu/Lark), ``slack://...``, ``workflows://...`` or
``msteams://...`` (Teams), an SMS gateway such as ``twilio://...``, ``json://`` or
``form://`` for any HTTP endpoint, and many more (see apprise's documentation).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from qualityflow.i18n import normalize, using
from qualityflow.models import Notification, Severity
from qualityflow.notify._base import (
    DeliveryError,
    NotifierConfigError,
    mask_url,
    plain_text,
    subject_line,
)
from qualityflow.plugins import hookimpl

__all__ = ["AppriseNotifier", "split_urls"]

_INSTALL_HINT = (
    "AppriseNotifier needs the optional package 'apprise': "
    "pip install 'qualityflow[notify]' (or pip install apprise)"
)
_NOTIFY_TYPES = {Severity.CRITICAL: "failure", Severity.MAJOR: "warning"}
_LOG_PREFIX = re.compile(r"^\S+ \S+ - [A-Z]+ - ")


def split_urls(urls: str | Iterable[str]) -> list[str]:
    r"""Split apprise URLs given as one string (comma, space or newline separated).

    Examples
    --------
    >>> split_urls("wecombot://KEY, dingtalk://TOKEN\nmailto://u:p@mail.example")
    ['wecombot://KEY', 'dingtalk://TOKEN', 'mailto://u:p@mail.example']

    """
    items = [urls] if isinstance(urls, str) else list(urls)
    return [part for item in items for part in re.split(r"[\s,]+", item) if part]


def _import_apprise() -> Any:
    try:
        import apprise
    except ImportError as exc:
        raise NotifierConfigError(_INSTALL_HINT) from exc
    return apprise


class AppriseNotifier:
    """Deliver each notification to chat, messenger and SMS services through apprise.

    Needs the optional extra ``notify`` (``pip install 'qualityflow[notify]'``); without
    it, creating the notifier raises :class:`~qualityflow.notify.NotifierConfigError`
    saying so. Each URL is checked when the notifier is created (an unknown or malformed
    one is refused, named with its secrets masked). The title is the readable subject
    line, the body plain text; critical notifications are sent as apprise ``failure``
    and major ones as ``warning``. When a service cannot be reached the notifier raises
    :class:`~qualityflow.notify.DeliveryError` naming it, and the service retries the
    delivery later (services that succeeded may then receive it twice).

    Parameters
    ----------
    urls
        One apprise URL, several separated by commas or spaces, or a list of them.
    locale
        The language of the titles and bodies it delivers (``"zh_CN"``, ``"en"``); ``None``
        keeps them as the service wrote them (``QualityFlow(locale=...)``).

    Examples
    --------
    >>> import qualityflow as qf
    >>> qf.AppriseNotifier("json://127.0.0.1:8080/qms")  # doctest: +SKIP
    AppriseNotifier(urls=['json://127.0.0.1:8080/qms'])

    """

    qualityflow_name = "notify.apprise"
    """Plugin name: deliveries are recorded under it; QUALITYFLOW_DISABLE_PLUGINS takes it."""

    def __init__(self, urls: str | Iterable[str], *, locale: str | None = None) -> None:
        self.locale = None if locale is None else normalize(locale)
        apprise = _import_apprise()
        self._services: list[tuple[str, Any]] = []
        for url in split_urls(urls):
            instance = apprise.Apprise()
            if not instance.add(url):
                raise NotifierConfigError(
                    f"AppriseNotifier: apprise does not understand {mask_url(url)!r}; check "
                    "the URL against apprise's list of services (is its extra installed?)"
                )
            service = next(iter(instance))
            # apprise masks the secrets; its query string only repeats default options
            target = str(service.url(privacy=True)).partition("?")[0]
            self._services.append((target, instance))
        if not self._services:
            raise NotifierConfigError(
                "AppriseNotifier: no URL given; give one apprise URL per service, "
                "for example 'wecombot://BOTKEY'"
            )
        self._apprise = apprise

    @property
    def targets(self) -> list[str]:
        """The configured services' URLs, with their secrets masked by apprise."""
        return [target for target, _ in self._services]

    def __repr__(self) -> str:
        return f"AppriseNotifier(urls={self.targets!r})"

    @hookimpl
    def qualityflow_notify(self, notification: Notification) -> None:
        """Send ``notification`` to every service; raise :class:`DeliveryError` on failure."""
        notification = notification.in_locale(self.locale)
        with using(self.locale):
            body, title = plain_text(notification), subject_line(notification)
        severity = notification.severity
        notify_type = "info" if severity is None else _NOTIFY_TYPES.get(severity, "info")
        failed: list[str] = []
        details: list[str] = []
        for target, instance in self._services:
            with self._apprise.LogCapture(level=logging.WARNING) as log:
                ok = instance.notify(
                    body=body,
                    title=title,
                    notify_type=notify_type,
                    body_format="text",
                )
            if not ok:
                failed.append(target)
                lines = [_LOG_PREFIX.sub("", line) for line in log.getvalue().splitlines()]
                details += [line for line in lines if line.strip()][-2:]
        if failed:
            reason = f"{len(failed)} of {len(self._services)} service(s) failed"
            if details:
                reason += ": " + " ".join(details)
            raise DeliveryError("AppriseNotifier", ", ".join(failed), reason)
