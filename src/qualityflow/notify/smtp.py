"""E-mail notifications over SMTP, with nothing but the standard library."""

from __future__ import annotations

import smtplib
import ssl as _ssl
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from qualityflow.i18n import normalize, using
from qualityflow.models import Notification
from qualityflow.notify._base import (
    MASK,
    DeliveryError,
    NotifierConfigError,
    plain_text,
    subject_line,
)
from qualityflow.plugins import hookimpl

__all__ = ["EmailNotifier"]


def _addresses(values: Iterable[str]) -> list[str]:
    """Keep the values that look like e-mail addresses, stripped, each once, in order."""
    kept: dict[str, str] = {}
    for value in values:
        address = value.strip()
        if "@" in address:
            kept.setdefault(address.lower(), address)
    return list(kept.values())


class EmailNotifier:
    """Send each notification as a plain-text e-mail through an SMTP server.

    The subject reads ``[qualityflow][severity] title (kind id)``; the body holds the
    title, the text and the record's facts. Mail goes to ``recipients`` plus the
    notification's own ``recipients`` that are e-mail addresses (other entries, such as
    role names meant for chat notifiers, are ignored). A refused connection, login or
    recipient raises :class:`~qualityflow.notify.DeliveryError` naming ``host:port``, so
    the service records the delivery and retries it. The password never appears in the
    repr or in an error message.

    Parameters
    ----------
    host, port
        The SMTP server (a plant's mail relay is usually port 25, submission 587).
    sender
        The ``From`` address.
    recipients
        Addresses that receive every notification.
    username, password
        Log in with these when given.
    starttls
        Upgrade the connection with STARTTLS before logging in (port 587).
    ssl
        Connect over implicit TLS (SMTPS, port 465) instead.
    timeout
        Seconds to wait for the server.
    ssl_context
        The TLS settings for ``starttls`` and ``ssl``; default: the system's trusted
        certificate authorities with host-name checking. Give
        ``ssl.create_default_context(cafile="plant-ca.pem")`` for a mail server whose
        certificate comes from the plant's own CA.
    locale
        The language of the titles and bodies it delivers (``"zh_CN"``, ``"en"``); ``None``
        keeps them as the service wrote them (``QualityFlow(locale=...)``).

    Examples
    --------
    >>> import qualityflow as qf
    >>> qf.EmailNotifier("mail.plant.example", 587, sender="qms@plant.example",
    ...                  recipients=["qa-lead@plant.example"], username="qms",
    ...                  password="s3cret", starttls=True)  # doctest: +NORMALIZE_WHITESPACE
    EmailNotifier(host='mail.plant.example', port=587, sender='qms@plant.example',
                  recipients=['qa-lead@plant.example'], username='qms', password='***',
                  starttls=True, ssl=False, timeout=10.0)

    """

    qualityflow_name = "notify.email"
    """Plugin name: deliveries are recorded under it; QUALITYFLOW_DISABLE_PLUGINS takes it."""

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        sender: str,
        recipients: Iterable[str] = (),
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        ssl: bool = False,
        timeout: float = 10,
        ssl_context: _ssl.SSLContext | None = None,
        locale: str | None = None,
    ) -> None:
        if not host.strip():
            raise NotifierConfigError("EmailNotifier: host is empty; give the SMTP server name")
        if not 0 < int(port) < 65536:
            raise NotifierConfigError(f"EmailNotifier: port {port} is not a TCP port (1-65535)")
        if "@" not in sender:
            raise NotifierConfigError(
                f"EmailNotifier: sender {sender!r} is not an e-mail address; "
                "give the From address, for example qms@plant.example"
            )
        if starttls and ssl:
            raise NotifierConfigError(
                "EmailNotifier: choose starttls=True (port 587) or ssl=True (port 465), not both"
            )
        if password is not None and username is None:
            raise NotifierConfigError("EmailNotifier: a password was given without a username")
        if isinstance(recipients, str):
            raise NotifierConfigError(
                f"EmailNotifier: recipients must be a list of e-mail addresses, "
                f"got the string {recipients!r}; write [{recipients!r}]"
            )
        recipients = list(recipients)
        if bad := [r for r in recipients if "@" not in r]:
            raise NotifierConfigError(f"EmailNotifier: recipients {bad!r} are not e-mail addresses")
        self.locale = None if locale is None else normalize(locale)
        self.host = host.strip()
        self.port = int(port)
        self.sender = sender.strip()
        self.recipients = _addresses(recipients)
        self.username = username
        self._password = password
        self.starttls = starttls
        self.ssl = ssl
        self.ssl_context = ssl_context
        self.timeout = float(timeout)

    def __repr__(self) -> str:
        password = None if self._password is None else MASK
        return (
            f"EmailNotifier(host={self.host!r}, port={self.port}, sender={self.sender!r}, "
            f"recipients={self.recipients!r}, username={self.username!r}, "
            f"password={password!r}, starttls={self.starttls}, ssl={self.ssl}, "
            f"timeout={self.timeout})"
        )

    @property
    def target(self) -> str:
        """Where mail is delivered, as ``smtp://host:port``."""
        return f"smtp://{self.host}:{self.port}"

    def message(self, notification: Notification) -> EmailMessage:
        """Build the e-mail for ``notification`` (without sending it), in its ``locale``."""
        notification = notification.in_locale(self.locale)
        with using(self.locale):
            subject, text = subject_line(notification), plain_text(notification)
        to = _addresses([*self.recipients, *notification.recipients])
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = ", ".join(to)
        msg["Subject"] = subject
        msg["Date"] = format_datetime(notification.at)
        domain = self.sender.rpartition("@")[2] or None
        msg["Message-ID"] = make_msgid(idstring=notification.id, domain=domain)
        msg["X-QualityFlow-Event"] = notification.kind
        msg.set_content(text)
        return msg

    def _fail(self, reason: str) -> DeliveryError:
        return DeliveryError("EmailNotifier", self.target, reason)

    @hookimpl
    def qualityflow_notify(self, notification: Notification) -> None:
        """Send ``notification`` by e-mail; raise :class:`DeliveryError` when that fails."""
        to = _addresses([*self.recipients, *notification.recipients])
        if not to:
            raise self._fail(
                f"no recipient for {notification.kind} of {notification.subject_kind} "
                f"{notification.subject_id}: give EmailNotifier(recipients=...) or "
                "QUALITYFLOW_SMTP_TO, or e-mail addresses in the notification's recipients"
            )
        try:
            self._send(self.message(notification), to)
        except smtplib.SMTPAuthenticationError as exc:
            raise self._fail(
                f"login as {self.username!r} refused ({exc.smtp_code}); "
                "check the username and password"
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(sorted(exc.recipients))
            raise self._fail(f"recipients refused: {refused}") from exc
        except smtplib.SMTPSenderRefused as exc:
            raise self._fail(f"sender {exc.sender!r} refused ({exc.smtp_code})") from exc
        except smtplib.SMTPResponseException as exc:
            error = exc.smtp_error
            detail = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
            raise self._fail(f"server answered {exc.smtp_code} {detail}".strip()) from exc
        except (smtplib.SMTPException, OSError) as exc:
            reason = str(exc) or type(exc).__name__
            if isinstance(exc, ConnectionRefusedError):
                reason = "connection refused; is the SMTP server running on that host and port?"
            elif isinstance(exc, TimeoutError):
                reason = f"no answer within {self.timeout:g} s"
            elif isinstance(exc, _ssl.SSLCertVerificationError):
                reason = (
                    f"the server's TLS certificate is not trusted ({exc.verify_message}); "
                    "for a plant CA give ssl_context=ssl.create_default_context(cafile=...)"
                )
            raise self._fail(reason) from exc

    def _send(self, msg: EmailMessage, to: list[str]) -> None:
        context = self.ssl_context or _ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.ssl:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.starttls:
                smtp.starttls(context=context)
            if self.username is not None:
                smtp.login(self.username, self._password or "")
            smtp.send_message(msg, from_addr=self.sender, to_addrs=to)
