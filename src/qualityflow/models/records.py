"""Audit records shared by the incident and complaint lifecycles."""

from __future__ import annotations

from enum import Enum

from pydantic import Field, JsonValue

from qualityflow.models._base import AwareDatetime, NonEmpty, QFModel

__all__ = ["Amendment", "FieldChange", "Severity", "Signature", "TransitionRecord"]


class Severity(str, Enum):
    """How serious an incident or complaint is; deadlines depend on it."""

    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


class Signature(QFModel):
    """An electronic signature on one step (21 CFR 11.50/11.70): who, when, what it means.

    The caller gives the ``meaning`` (``"approved closure"``, ``"verified effective"``);
    the service fills in the signer's id and printed name, the time, and ``binds``: the
    hash of the record it signs as it was before the signature was added, so the signature
    cannot be copied to another record (:func:`qualityflow.people.signatures.verify`).

    Examples
    --------
    >>> from qualityflow.models import Signature
    >>> Signature(meaning="approved closure").signer_name
    ''

    """

    meaning: NonEmpty
    signer_id: str = ""
    signer_name: str = ""
    signed_at: AwareDatetime | None = None
    binds: str = ""


class TransitionRecord(QFModel):
    """One step of an entity's lifecycle: who fired which trigger when, from where to where.

    ``prev_hash`` is the hash of the record before it (empty for the first) and ``hash``
    this record's own SHA-256 over its canonical JSON, so that an edited, removed or
    reordered record is detected by :func:`qualityflow.verify_history`.

    Two clocks: ``at`` is when it happened, as the caller says (not in the future, not
    before the previous record); ``recorded_at`` is when the service recorded it, from the
    service's clock, strictly increasing per entity. Rules about what came first use the
    recorded order. ``entity`` binds the record to its entity (``"incident/INC-1"``),
    ``fields`` names the entity fields set with the transition, and ``state`` is the
    digest of the entity's full state after the change
    (:func:`qualityflow.lifecycle.audit.state_digest`); the hash covers all of them.
    Records written before 0.2 have these four empty; their hashes are unchanged.
    ``signature`` is the step's electronic signature, when the policy asks for one (left
    out of the hash while empty). ``actor`` is the actor's printed name and ``actor_id``
    its id when the two differ (``qf.Actor(id="dana", name="Dana Weber")``; empty, and
    left out of the hash, when the id is the name, as for a plain string).
    """

    at: AwareDatetime
    actor: NonEmpty
    actor_id: str = ""
    trigger: str
    source: str
    dest: str
    note: str = ""
    recorded_at: AwareDatetime | None = None
    entity: str = ""
    fields: list[str] = Field(default_factory=list)
    state: str = ""
    signature: Signature | None = None
    prev_hash: str = ""
    hash: str = ""


class FieldChange(QFModel):
    """One field changed by an amendment: its name and the old and new values (JSON)."""

    field: NonEmpty
    old: JsonValue = None
    new: JsonValue = None


class Amendment(QFModel):
    """A change of free descriptive fields made with ``save()``: who, when, why, what.

    Kept in the entity's ``amendments`` list, hash-chained like the history
    (``prev_hash``/``hash``), bound to the entity (``entity``) and to the digest of its
    state after the change (``state``). ``at`` is the caller's time, ``recorded_at`` the
    service's. ``actor`` is the printed name, ``actor_id`` the id when it differs.
    """

    at: AwareDatetime
    actor: NonEmpty
    actor_id: str = ""
    approved_by: str = ""
    """The second person who approved the amendment (a closed record under the
    ``closed_amendment_approved`` rule); empty when nobody was asked."""
    reason: str = ""
    changes: list[FieldChange]
    recorded_at: AwareDatetime | None = None
    entity: str = ""
    state: str = ""
    prev_hash: str = ""
    hash: str = ""
