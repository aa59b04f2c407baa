"""Webhook notifications: a signed JSON POST to any HTTP endpoint, via httpx."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from qualityflow.i18n import normalize
from qualityflow.models import Notification
from qualityflow.notify._base import MASK, DeliveryError, NotifierConfigError, mask_url
from qualityflow.plugins import hookimpl

__all__ = [
    "EVENT_HEADER",
    "ID_HEADER",
    "SIGNATURE_HEADER",
    "WebhookNotifier",
    "sign",
    "verify_signature",
]

SIGNATURE_HEADER = "X-QualityFlow-Signature"
"""Carries ``sha256=<hex HMAC-SHA256 of the raw request body>`` when a secret is set."""
EVENT_HEADER = "X-QualityFlow-Event"
"""Carries the notification's ``kind`` (``transition``, ``overdue``, ``recall``...)."""
ID_HEADER = "X-QualityFlow-Delivery"
"""Carries the notification's id, when it has one, so receivers can drop retried copies."""


def _key(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def sign(body: bytes | str, secret: str | bytes) -> str:
    """Return the signature header value for ``body``: ``sha256=<hex HMAC-SHA256>``.

    Examples
    --------
    >>> sign(b'{"kind":"recall"}', "s3cret")[:7]
    'sha256='

    """
    raw = body.encode() if isinstance(body, str) else body
    return "sha256=" + hmac.new(_key(secret), raw, hashlib.sha256).hexdigest()


def verify_signature(body: bytes | str, header: str | None, secret: str | bytes) -> bool:
    """Check a webhook's ``X-QualityFlow-Signature`` header against the raw body.

    Receivers call this with the request body exactly as received (before any JSON
    parsing), the header value and the shared secret. The comparison takes constant
    time; a missing or malformed header is simply ``False``.

    Examples
    --------
    >>> body = b'{"kind":"recall","subject_id":"INC-7"}'
    >>> verify_signature(body, sign(body, "s3cret"), "s3cret")
    True
    >>> verify_signature(body, sign(body, "guess"), "s3cret")
    False
    >>> verify_signature(body, None, "s3cret")
    False

    """
    given = (header or "").strip().lower()
    if not given.startswith("sha256="):
        return False
    return hmac.compare_digest(given, sign(body, secret))


class WebhookNotifier:
    """POST each notification as JSON to a URL, signed with HMAC-SHA256.

    The body is the notification's JSON (``Notification.model_dump_json()``). Headers:
    ``X-QualityFlow-Event`` (the kind), ``X-QualityFlow-Delivery`` (the id, when set) and,
    with a ``secret``, ``X-QualityFlow-Signature: sha256=<hex>`` over the raw body, which
    receivers check with :func:`verify_signature`. A connection failure, a timeout or any
    answer outside 2xx raises :class:`~qualityflow.notify.DeliveryError`, so the service
    records the delivery and retries it; receivers should therefore ignore a delivery id
    they have already handled. Secrets in the URL, the secret itself and header values
    never appear in the repr or in error messages.

    Parameters
    ----------
    url
        The receiver's ``http://`` or ``https://`` URL.
    secret
        Shared secret for the signature header; without it no signature is sent.
    timeout
        Seconds to wait for the receiver.
    headers
        Extra headers, for example an ``Authorization`` token.
    locale
        The language of the titles and bodies it delivers (``"zh_CN"``, ``"en"``); ``None``
        keeps them as the service wrote them (``QualityFlow(locale=...)``).

    Examples
    --------
    >>> import qualityflow as qf
    >>> qf.WebhookNotifier("https://qms.plant.example/hooks/qf?token=abc", secret="s3cret")
    WebhookNotifier(url='https://qms.plant.example/hooks/qf?token=***', secret='***', timeout=10.0)

    """

    qualityflow_name = "notify.webhook"
    """Plugin name: deliveries are recorded under it; QUALITYFLOW_DISABLE_PLUGINS takes it."""

    def __init__(
        self,
        url: str,
        secret: str | bytes | None = None,
        timeout: float = 10,
        headers: Mapping[str, str] | None = None,
        locale: str | None = None,
    ) -> None:
        scheme = url.partition("://")[0].lower()
        if scheme not in {"http", "https"}:
            raise NotifierConfigError(
                f"WebhookNotifier: {mask_url(url)!r} is not an http:// or https:// URL"
            )
        if secret is not None and not secret:
            raise NotifierConfigError(
                "WebhookNotifier: the secret is empty; give a long random string or None"
            )
        self.locale = None if locale is None else normalize(locale)
        self.url = url
        self._secret = secret
        self.timeout = float(timeout)
        self.headers = dict(headers or {})

    def __repr__(self) -> str:
        secret = None if self._secret is None else MASK
        return (
            f"WebhookNotifier(url={mask_url(self.url)!r}, secret={secret!r}, "
            f"timeout={self.timeout})"
        )

    def request(self, notification: Notification) -> tuple[bytes, dict[str, str]]:
        """Return the raw body and headers that :meth:`qualityflow_notify` would POST.

        The title and body are in the notifier's ``locale``; ids and values stay as stored.
        """
        body = notification.in_locale(self.locale).model_dump_json().encode()
        headers = {
            **self.headers,
            "Content-Type": "application/json",
            "User-Agent": "qualityflow-webhook",
            EVENT_HEADER: notification.kind,
        }
        if notification.id:
            headers[ID_HEADER] = notification.id
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = sign(body, self._secret)
        return body, headers

    @hookimpl
    def qualityflow_notify(self, notification: Notification) -> None:
        """POST ``notification``; raise :class:`DeliveryError` unless the answer is 2xx."""
        import httpx  # here, not at the top: loading the notifiers should not cost httpx

        body, headers = self.request(notification)
        target = mask_url(self.url)
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout)
        except httpx.TimeoutException as exc:
            reason = f"no answer within {self.timeout:g} s"
            raise DeliveryError("WebhookNotifier", target, reason) from exc
        except httpx.ConnectError as exc:
            reason = "connection failed; is the receiver running on that host and port?"
            raise DeliveryError("WebhookNotifier", target, reason) from exc
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {mask_url(str(exc))}"
            raise DeliveryError("WebhookNotifier", target, reason) from exc
        if not response.is_success:
            excerpt = " ".join(response.text.split())[:200]
            reason = f"the receiver answered {response.status_code} {response.reason_phrase}"
            if excerpt:
                reason += f": {excerpt}"
            raise DeliveryError("WebhookNotifier", target, reason)
