"""Audit records shared by the incident and complaint lifecycles."""

from __future__ import annotations

from enum import Enum

from qualityflow.models._base import AwareDatetime, NonEmpty, QFModel

__all__ = ["Severity", "TransitionRecord"]


class Severity(str, Enum):
    """How serious an incident or complaint is; deadlines depend on it."""

    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


class TransitionRecord(QFModel):
    """One step of an entity's lifecycle: who fired which trigger when, from where to where.

    ``prev_hash`` is the hash of the record before it (empty for the first) and ``hash``
    this record's own SHA-256 over its canonical JSON, so that an edited, removed or
    reordered record is detected by :func:`qualityflow.verify_history`.
    """

    at: AwareDatetime
    actor: NonEmpty
    trigger: str
    source: str
    dest: str
    note: str = ""
    prev_hash: str = ""
    hash: str = ""
