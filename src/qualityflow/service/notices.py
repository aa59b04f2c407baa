"""The texts of the service's notifications, as message ids of the translation catalog.

Every notification the service queues carries its title and body twice: rendered in the
service's locale (``QualityFlow(locale=...)``, else the active one) in ``title`` and
``body``, and language-neutral in ``text`` (message ids and values), so that a notifier
with its own locale (the WeCom group in Chinese, the export customer's e-mail in English)
renders them again (:meth:`qualityflow.Notification.in_locale`). The English texts are
the message ids, so English notifications read as they always have.
"""

from __future__ import annotations

from typing import Any

from qualityflow.i18n import N_, using
from qualityflow.models import Message, NoticeText, Notification, TransitionRecord

__all__ = ["line", "message", "notice", "transition_lines"]

TRANSITION_TITLES = {
    "incident": N_("Incident {id}: {source} -> {dest} ({trigger})"),
    "complaint": N_("Complaint {id}: {source} -> {dest} ({trigger})"),
    "recall": N_("Recall {id}: {source} -> {dest} ({trigger})"),
    "nonconformance": N_("Nonconformance {id}: {source} -> {dest} ({trigger})"),
    "supplier_action": N_("SCAR {id}: {source} -> {dest} ({trigger})"),
}
"""The title of a lifecycle transition's notification, per kind of record."""

BY_AT = N_("{trigger} by {actor} at {at}")
LINE = "{text}"
"""A line of free text (a note, a reason): shown as written, in every locale."""


def message(msgid: str, *, labels: tuple[str, ...] = (), **params: Any) -> Message:
    """Return a :class:`~qualityflow.Message`; values are kept as text.

    ``labels`` names the values that are enum values (states, triggers, statuses), shown
    through :func:`qualityflow.i18n.label` in each locale.
    """
    return Message(msgid=msgid, params={k: str(v) for k, v in params.items()}, labels=[*labels])


def line(text: str) -> Message | None:
    """Return a line of free text, or ``None`` for an empty one (left out of the body)."""
    return message(LINE, text=text) if text else None


def notice(
    locale: str | None, title: Message, body: list[Message | None], **fields: Any
) -> Notification:
    """Build a notification whose title and body are ``title`` and ``body`` in ``locale``."""
    text = NoticeText(title=title, body=[m for m in body if m is not None])
    with using(locale):
        rendered_title, rendered_body = text.render()
    return Notification(title=rendered_title, body=rendered_body, text=text, **fields)


def transition_lines(
    kind: str, id: str, record: TransitionRecord
) -> tuple[Message, list[Message | None]]:
    """Return the title and body of a lifecycle transition's notification."""
    title = message(
        TRANSITION_TITLES[kind],
        labels=("source", "dest", "trigger"),
        id=id,
        source=record.source,
        dest=record.dest,
        trigger=record.trigger,
    )
    body = [
        message(
            BY_AT,
            labels=("trigger",),
            trigger=record.trigger,
            actor=record.actor,
            at=record.at.isoformat(),
        ),
        line(record.note),
    ]
    return title, body
