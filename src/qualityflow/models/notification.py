"""Notifications: what the service tells people after a change has committed."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from qualityflow.i18n import _, label, using
from qualityflow.models._base import AwareDatetime, Id, QFModel
from qualityflow.models.records import Severity

__all__ = ["Message", "Notification", "NoticeText"]


class Message(QFModel):
    """One translatable sentence: a message id of the ``qualityflow`` catalog and its values.

    ``params`` fill the message's ``{placeholders}`` after translation; those named in
    ``labels`` hold enum values (a status, a trigger, a severity) shown through
    :func:`qualityflow.i18n.label`, the others (ids, names, times, notes) are shown as
    they are.
    """

    msgid: Annotated[str, StringConstraints(min_length=1)]
    params: dict[str, str] = Field(default_factory=dict)
    labels: list[str] = Field(default_factory=list)

    def render(self) -> str:
        """Translate the message into the active locale and fill in its values.

        Examples
        --------
        >>> from qualityflow.i18n import using
        >>> m = Message(msgid="Batch {batch} ({product}): {before} -> {after}",
        ...             params={"batch": "FLOUR-7", "product": "flour", "before": "on_hold",
        ...                     "after": "released"}, labels=["before", "after"])
        >>> m.render()
        'Batch FLOUR-7 (flour): on_hold -> released'
        >>> with using("zh_CN"):
        ...     m.render()
        '批次 FLOUR-7（flour）：已冻结 -> 已放行'

        """
        values = {k: label(v) if k in self.labels else v for k, v in self.params.items()}
        return _(self.msgid).format(**values)


class NoticeText(QFModel):
    """The language-neutral source of a notification's title and body.

    The title is one message; the body one message per line. A notifier with its own
    locale renders them there (:func:`qualityflow.notify.localized`); ``title`` and
    ``body`` of the notification hold them rendered in the service's locale.
    """

    title: Message
    body: list[Message] = Field(default_factory=list)

    def render(self) -> tuple[str, str]:
        """Return the title and the body (one line per message) in the active locale."""
        return self.title.render(), "\n".join(line.render() for line in self.body)


class Notification(QFModel):
    """One message for notifiers to deliver.

    ``kind`` says what happened (``transition``, ``overdue``, ``recall``,
    ``supplier_status``, ``batch_status``); ``subject_kind`` and ``subject_id`` name the entity.
    ``audit_head`` is the audit ledger's head after the change committed
    (``qms.audit.head()``): every notification publishes it outside the database, so a
    later ``qms.audit.verify(known_heads=[...])`` detects a ledger rewritten since.
    """

    kind: Annotated[str, StringConstraints(min_length=1)]
    subject_kind: Annotated[str, StringConstraints(min_length=1)]
    subject_id: Id
    title: str
    body: str = ""
    severity: Severity | None = None
    recipients: list[str] = Field(default_factory=list)
    at: AwareDatetime
    id: str | None = None
    audit_head: str = ""
    text: NoticeText | None = None
    """The title and body as message ids and values, for notifiers in another locale."""

    def in_locale(self, locale: str | None) -> Notification:
        """Return this notification with its title and body in ``locale``.

        Unchanged when ``locale`` is ``None`` (the text as the service wrote it) or when
        there is no language-neutral :attr:`text` (a notification built by hand).
        """
        if locale is None or self.text is None:
            return self
        with using(locale):
            title, body = self.text.render()
        return self.model_copy(update={"title": title, "body": body})
