"""Notifications: what the service tells people after a change has committed."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from qualityflow.models._base import AwareDatetime, Id, QFModel
from qualityflow.models.records import Severity

__all__ = ["Notification"]


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
