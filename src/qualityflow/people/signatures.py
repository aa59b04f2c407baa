"""Electronic signatures on lifecycle steps: sign a sealed record, check the signatures.

A signature is part of the hash-chained :class:`~qualityflow.TransitionRecord` (or
:class:`~qualityflow.SupplierDecision`), so removing it breaks the chain; its ``binds`` is
the hash of the record as sealed *without* it, so a signature copied to another record no
longer matches. No I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from qualityflow.i18n import N_, _
from qualityflow.lifecycle.audit import seal
from qualityflow.models import Signature, SupplierDecision, TransitionRecord
from qualityflow.people import Actor

__all__ = [
    "SIGNATURE_NEEDED",
    "SIGNATURE_REFUSED",
    "SIGNATURE_TYPE",
    "SUPPLIER_STEPS",
    "sign",
    "supplier_step",
    "verify",
    "with_actor_id",
]

R = TypeVar("R", TransitionRecord, SupplierDecision)

SIGNATURE_MOVED = N_(
    "{where}the signature of {signer!r} ({meaning!r}) on history record {number} "
    "({trigger!r}) does not belong to that record: it was moved or copied from another "
    "record, or the record was edited"
)
SIGNATURE_NEEDED = N_(
    "{what}: {action!r} needs the electronic signature of {name!r}: pass "
    "signature=qf.Signature(meaning=...) and the credential the application checks "
    "(credential=...)"
)
SIGNATURE_REFUSED = N_(
    "the signature of {name!r} on {action!r} could not be authenticated: give the signer's "
    "valid credential"
)
SIGNATURE_TYPE = N_("signature={signature}: give qf.Signature(meaning='approved closure')")

SUPPLIER_STEPS: dict[str, str] = {
    "disqualified": "supplier.disqualify",
    "suspended": "supplier.suspend",
    "conditional": "supplier.condition",
    "approved": "supplier.reapprove",
}
"""The signature step of a supplier decision, by the status it decides.

``supplier.decide`` is the action the policy authorizes; a policy that names
``supplier.disqualify`` or ``supplier.reapprove`` (as :data:`~qualityflow.people.policies.STRICT`
does) in its ``signatures`` asks for a signature on those decisions only, and
``supplier.decide`` there on every decision.
"""


def supplier_step(dest: str) -> str:
    """Return the signature step of a decision to ``dest``: ``"supplier.disqualify"``...

    Examples
    --------
    >>> supplier_step("approved"), supplier_step("disqualified")
    ('supplier.reapprove', 'supplier.disqualify')

    """
    return SUPPLIER_STEPS.get(dest, f"supplier.{dest}")


def with_actor_id(record: R, actor: Actor) -> R:
    """Return ``record`` (sealed) keeping ``actor``'s id beside its name, resealed.

    Records keep the actor's printed name in ``actor``; when the id differs from it, the
    id goes in ``actor_id`` (a plain string actor's id is its name: nothing changes).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import qualityflow as qf
    >>> at = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    >>> rec = seal(qf.TransitionRecord(at=at, actor="Dana Weber", trigger="assess",
    ...     source="reported", dest="assessed"), "")
    >>> kept = with_actor_id(rec, Actor(id="dana", name="Dana Weber"))
    >>> kept.actor, kept.actor_id, kept.hash != rec.hash
    ('Dana Weber', 'dana', True)
    >>> with_actor_id(rec, Actor(id="Dana Weber")) is rec
    True

    """
    if actor.id == actor.name or record.actor_id == actor.id:
        return record
    return seal(record.model_copy(update={"actor_id": actor.id}), record.prev_hash)


def sign(record: R, signature: Signature, signer: Actor, at: datetime) -> R:
    """Return ``record`` (sealed) resealed with ``signature`` by ``signer`` at ``at``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import qualityflow as qf
    >>> at = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    >>> rec = seal(qf.TransitionRecord(at=at, actor="Dana", trigger="close",
    ...     source="verifying", dest="closed"), "")
    >>> from qualityflow.models import Signature
    >>> signed = sign(rec, Signature(meaning="approved closure"), Actor(id="dana"), at)
    >>> signed.signature.signer_id, verify([signed])
    ('dana', [])

    """
    unsigned = seal(record.model_copy(update={"signature": None}), record.prev_hash)
    filled = signature.model_copy(
        update={
            "signer_id": signer.id,
            "signer_name": signer.name,
            "signed_at": at,
            "binds": unsigned.hash,
        }
    )
    return seal(record.model_copy(update={"signature": filled}), record.prev_hash)


def verify(records: Sequence[TransitionRecord | SupplierDecision], entity: str = "") -> list[str]:
    """Return a problem for every signature that does not belong to its record.

    A signature whose ``binds`` is not the hash of its record without it was copied or
    moved from another record (or the record was edited after signing). The problems are
    in the active locale (:func:`qualityflow.i18n.using`).
    """
    problems: list[str] = []
    where = f"{entity}: " if entity else ""
    for number, record in enumerate(records, start=1):
        signature = record.signature
        if signature is None:
            continue
        unsigned = seal(record.model_copy(update={"signature": None}), record.prev_hash)
        if signature.binds != unsigned.hash:
            step = (
                record.trigger
                if isinstance(record, TransitionRecord)
                else f"{record.source.value} -> {record.dest.value}"
            )
            problems.append(
                _(SIGNATURE_MOVED).format(
                    where=where,
                    signer=signature.signer_name,
                    meaning=signature.meaning,
                    number=number,
                    trigger=step,
                )
            )
    return problems
