"""What every built-in notifier shares: its errors, the readable text, secret masking."""

from __future__ import annotations

from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from qualityflow.errors import QualityFlowError
from qualityflow.i18n import N_, _, label
from qualityflow.models import Notification

__all__ = [
    "DeliveryError",
    "NotifierConfigError",
    "mask_url",
    "plain_text",
    "subject_line",
]

MASK = "***"


class DeliveryError(QualityFlowError):
    """A notifier could not deliver a notification.

    Raised from ``qualityflow_notify`` so that the service records the failed delivery
    and retries it later (``qms.deliver_pending()``). ``notifier`` names the notifier
    class and ``target`` where it tried to deliver (``host:port`` or a URL with its
    secrets masked); the message says what went wrong and what to check.
    """

    def __init__(self, notifier: str, target: str, reason: str) -> None:
        self.notifier = notifier
        self.target = target
        self.reason = reason
        super().__init__(f"{notifier} could not deliver to {target}: {reason}")


class NotifierConfigError(QualityFlowError, ValueError):
    """A notifier was configured wrongly or its optional dependency is missing."""


def mask_url(url: str) -> str:
    """Return ``url`` with its secrets replaced by ``***``, safe for logs and errors.

    Webhook and chat URLs often carry their credentials: ``user:password@``, query values
    (``?key=...``, ``?access_token=...``) and token path segments (Slack, Teams, Discord).
    The password, every query value and every path segment of 16 or more characters
    with a digit in it are masked; scheme, host, port and short path segments stay, so
    the message still says where delivery went.

    Examples
    --------
    >>> mask_url("https://bot:s3cret@hooks.example.com/send?key=abc&x=1")
    'https://bot:***@hooks.example.com/send?key=***&x=***'
    >>> mask_url("https://hooks.example.com/services/T0001/B0001/a1b2c3d4e5f6g7h8i9j0")
    'https://hooks.example.com/services/T0001/B0001/***'

    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, has_password, _ = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{hostport}" if has_password else f"{user}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(key, MASK) for key, _ in pairs], safe="*")
    path = "/".join(
        MASK if len(segment) >= 16 and any(c.isdigit() for c in segment) else segment
        for segment in parts.path.split("/")
    )
    masked = SplitResult(parts.scheme, netloc, path, query, "")
    return urlunsplit(masked)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def subject_line(notification: Notification) -> str:
    """Build a one-line subject for e-mail and chat titles: severity, title and subject.

    Line breaks are folded into spaces, so a title can never inject mail headers.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> n = Notification(kind="transition", subject_kind="incident", subject_id="INC-7",
    ...                  title="Metal fragment found", severity="major",
    ...                  at=datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc))
    >>> subject_line(n)
    '[qualityflow][major] Metal fragment found (incident INC-7)'

    """
    prefix = "[qualityflow]"
    if notification.severity is not None:
        prefix += f"[{notification.severity.value}]"
    title = _one_line(notification.title) or notification.kind
    if notification.subject_id not in title:
        title += f" ({notification.subject_kind} {notification.subject_id})"
    return _one_line(f"{prefix} {title}")


_WHAT = N_("What happened: {kind}")
_RECORD = N_("Record: {kind} {id}")
_SEVERITY = N_("Severity: {severity}")
_AT = N_("At: {at}")
_NOTIFICATION_ID = N_("Notification id: {id}")


def plain_text(notification: Notification) -> str:
    """Write the readable plain-text body used by e-mail and chat notifiers.

    The title and body first, then the facts a reader needs to find the record, labelled
    in the active locale (the values stay as stored).
    """
    lines = [notification.title]
    if notification.body:
        lines += ["", notification.body]
    lines += [
        "",
        _(_WHAT).format(kind=label(notification.kind)),
        _(_RECORD).format(kind=label(notification.subject_kind), id=notification.subject_id),
    ]
    if notification.severity is not None:
        lines.append(_(_SEVERITY).format(severity=label(notification.severity)))
    lines.append(_(_AT).format(at=notification.at.isoformat()))
    if notification.id:
        lines.append(_(_NOTIFICATION_ID).format(id=notification.id))
    return "\n".join(lines) + "\n"
