"""The nonconformance and SCAR lifecycles, on the shared-machine pattern, with their guards.

Both use :class:`~qualityflow.lifecycle.machine.Lifecycle` over one module-level
``transitions.Machine`` each (see :mod:`qualityflow.lifecycle.machine`), exactly like the
incident and complaint lifecycles: guards are named checks of the entity's own fields that
return reasons, and a refused trigger leaves the entity as it was.

Nonconformance
--------------
``open -> dispositioned -> closed``:

* ``dispose`` (open -> dispositioned; again from dispositioned, keeping the state, for a
  further part of the quantity): at least one disposition, every one in the held unit, all
  of them together no more than the held quantity, and an approver for every ``use_as_is``
  (concession);
* ``close`` (dispositioned -> closed): the whole held quantity is dispositioned;
* ``escalate`` (any state, the state is kept): an ``incident_id`` links the incident.

SCAR (supplier corrective action request)
-----------------------------------------
``requested -> acknowledged -> responded -> verified -> closed``, a rejected response goes
back to ``acknowledged``, and ``cancel`` (with a note) ends a SCAR before it is verified:

* ``acknowledge``: none;
* ``respond``: the supplier's response with containment, root cause and corrective action;
* ``reject`` (responded -> acknowledged): a note saying what the response lacks;
* ``verify`` (responded -> verified): our verification, effective, dated after the response;
* ``close`` (verified -> closed): the same effective verification still holds;
* ``cancel`` (requested, acknowledged, responded -> cancelled): a note saying why.
"""

from __future__ import annotations

from typing import Any

from transitions import Machine

from qualityflow.i18n import N_, _
from qualityflow.lifecycle.guards import Guard
from qualityflow.lifecycle.machine import Lifecycle, _machine
from qualityflow.models import Quantity
from qualityflow.models.nonconformance import (
    DispositionKind,
    Nonconformance,
    NonconformanceStatus,
    ScarStatus,
    SupplierAction,
)

__all__ = [
    "NONCONFORMANCE_GUARDS",
    "NONCONFORMANCE_LIFECYCLE",
    "NONCONFORMANCE_MACHINE",
    "NONCONFORMANCE_TRANSITIONS",
    "SCAR_GUARDS",
    "SCAR_LIFECYCLE",
    "SCAR_MACHINE",
    "SCAR_TRANSITIONS",
]

# --- nonconformance reason templates -----------------------------------------------------
# Marked with N_ (the English text is the message id) and translated at check time.

NO_DISPOSITION = N_(
    "no disposition has been given: say what is done with the held quantity (use as is, "
    "rework, regrade, return to supplier, scrap) and how much of it"
)
WRONG_UNIT = N_(
    "disposition {n} ({kind}, {quantity}) is in {unit!r} but nonconformance {nc_id} holds "
    "{held} in {held_unit!r}: give every disposition in {held_unit}"
)
OVER_DISPOSITION = N_(
    "the dispositions add up to {total}, more than the {held} held by nonconformance "
    "{nc_id} (lot {batch_id}): reduce them by {excess}"
)
NO_APPROVER = N_(
    "disposition {n} uses {quantity} as is (a concession) without an approver: name who "
    "approves the concession"
)
NOT_FULLY_DISPOSITIONED = N_(
    "{rest} of the {held} held by nonconformance {nc_id} has no disposition yet: dispose of "
    "it before closing"
)
NO_INCIDENT_LINK = N_("no incident is linked: set incident_id to the incident it escalates to")

# --- SCAR reason templates ---------------------------------------------------------------

NO_RESPONSE = N_(
    "the supplier has not responded yet: record its response with containment, root cause "
    "and corrective action"
)
NO_REJECT_NOTE = N_("a rejected response needs a note saying what the response lacks")
NO_SCAR_VERIFICATION = N_(
    "the supplier's corrective action has not been verified yet: record our verification "
    "with its evidence"
)
SCAR_VERIFICATION_INEFFECTIVE = N_(
    "the verification found the supplier's corrective action not effective: reject the "
    "response (trigger 'reject') so the supplier answers again"
)
SCAR_VERIFICATION_STALE = N_(
    "the verification of {verified} predates the supplier's response of {responded}: verify "
    "the response that is on file"
)
NO_SCAR_CANCEL_NOTE = N_("a cancellation needs a note saying why the SCAR is withdrawn")


def _parts_checked(nc: Nonconformance) -> tuple[list[str], Quantity | None]:
    """Return the unit reasons, and the dispositions' total when all are in the held unit."""
    held = nc.quantity
    reasons = [
        _(WRONG_UNIT).format(
            n=n,
            kind=part.kind.value,
            quantity=part.quantity,
            unit=part.quantity.unit,
            nc_id=nc.id,
            held=held,
            held_unit=held.unit,
        )
        for n, part in enumerate(nc.dispositions, start=1)
        if part.quantity.unit != held.unit
    ]
    if reasons:
        return reasons, None
    return [], nc.dispositioned


def _dispositions_given(nc: Nonconformance, _note: str) -> list[str]:
    return [] if nc.dispositions else [_(NO_DISPOSITION)]


def _within_held(nc: Nonconformance, _note: str) -> list[str]:
    reasons, total = _parts_checked(nc)
    if total is not None and total > nc.quantity:
        reasons.append(
            _(OVER_DISPOSITION).format(
                total=total,
                held=nc.quantity,
                nc_id=nc.id,
                batch_id=nc.batch_id,
                excess=total - nc.quantity,
            )
        )
    return reasons


def _concessions_approved(nc: Nonconformance, _note: str) -> list[str]:
    return [
        _(NO_APPROVER).format(n=n, quantity=part.quantity)
        for n, part in enumerate(nc.dispositions, start=1)
        if part.kind is DispositionKind.USE_AS_IS and not (part.approver or "").strip()
    ]


def _fully_dispositioned(nc: Nonconformance, _note: str) -> list[str]:
    reasons, total = _parts_checked(nc)
    if total is not None and total < nc.quantity:
        reasons.append(
            _(NOT_FULLY_DISPOSITIONED).format(
                rest=nc.quantity - total, held=nc.quantity, nc_id=nc.id
            )
        )
    return reasons


def _incident_link(entity: Any, _note: str) -> list[str]:
    return [] if entity.incident_id else [_(NO_INCIDENT_LINK)]


def _response_complete(scar: SupplierAction, _note: str) -> list[str]:
    # The model requires containment, root cause and corrective action in a response, so a
    # response on file is complete.
    return [] if scar.response is not None else [_(NO_RESPONSE)]


def _note_given(template: str) -> Any:
    def check(_entity: Any, note: str) -> list[str]:
        return [] if note.strip() else [_(template)]

    return check


def _effective_verification(scar: SupplierAction, _note: str) -> list[str]:
    verification = scar.verification
    if verification is None:
        return [_(NO_SCAR_VERIFICATION)]
    if not verification.effective:
        return [_(SCAR_VERIFICATION_INEFFECTIVE)]
    response = scar.response
    if response is not None and verification.at <= response.responded_at:
        return [
            _(SCAR_VERIFICATION_STALE).format(
                verified=verification.at.isoformat(), responded=response.responded_at.isoformat()
            )
        ]
    return []


def _index(guards: list[Guard]) -> dict[str, Guard]:
    return {g.name: g for g in guards}


NONCONFORMANCE_GUARDS: dict[str, Guard] = _index(
    [
        Guard(
            "dispositions_given",
            N_("at least one disposition (kind and quantity)"),
            (NO_DISPOSITION,),
            _dispositions_given,
        ),
        Guard(
            "within_held_quantity",
            N_("every disposition in the held unit, all together no more than the held quantity"),
            (WRONG_UNIT, OVER_DISPOSITION),
            _within_held,
        ),
        Guard(
            "concessions_approved",
            N_("an approver for every use-as-is (concession) disposition"),
            (NO_APPROVER,),
            _concessions_approved,
        ),
        Guard(
            "fully_dispositioned",
            N_("the whole held quantity dispositioned"),
            (WRONG_UNIT, NOT_FULLY_DISPOSITIONED),
            _fully_dispositioned,
        ),
        Guard("incident_link", N_("an incident id"), (NO_INCIDENT_LINK,), _incident_link),
    ]
)
"""The nonconformance guards, by name."""

SCAR_GUARDS: dict[str, Guard] = _index(
    [
        Guard(
            "response_complete",
            N_("the supplier's response: containment, root cause, corrective action"),
            (NO_RESPONSE,),
            _response_complete,
        ),
        Guard(
            "reject_note",
            N_("a note saying what the response lacks"),
            (NO_REJECT_NOTE,),
            _note_given(NO_REJECT_NOTE),
        ),
        Guard(
            "effective_verification",
            N_("our verification, effective, dated after the response"),
            (NO_SCAR_VERIFICATION, SCAR_VERIFICATION_INEFFECTIVE, SCAR_VERIFICATION_STALE),
            _effective_verification,
        ),
        Guard(
            "cancel_note",
            N_("a note saying why the SCAR is withdrawn"),
            (NO_SCAR_CANCEL_NOTE,),
            _note_given(NO_SCAR_CANCEL_NOTE),
        ),
    ]
)
"""The SCAR guards, by name."""

NONCONFORMANCE_STATES: tuple[str, ...] = tuple(s.value for s in NonconformanceStatus)

_DISPOSE_GUARDS = ["dispositions_given", "within_held_quantity", "concessions_approved"]

NONCONFORMANCE_TRANSITIONS: tuple[dict[str, Any], ...] = (
    {
        "trigger": "dispose",
        "source": ["open"],
        "dest": "dispositioned",
        "guards": _DISPOSE_GUARDS,
        "sets": ["dispositions"],
    },
    # A further part of the quantity: the state stays, the same rules hold for all parts.
    {
        "trigger": "dispose",
        "source": ["dispositioned"],
        "dest": None,
        "guards": _DISPOSE_GUARDS,
        "sets": ["dispositions"],
    },
    {
        "trigger": "close",
        "source": ["dispositioned"],
        "dest": "closed",
        "guards": [*_DISPOSE_GUARDS, "fully_dispositioned"],
        "sets": [],
    },
    {
        "trigger": "escalate",
        "source": ["open", "dispositioned", "closed"],
        "dest": None,
        "guards": ["incident_link"],
        "sets": ["incident_id"],
    },
)
"""The nonconformance transitions as plain data; ``escalate`` keeps the state."""

SCAR_STATES: tuple[str, ...] = tuple(s.value for s in ScarStatus)

SCAR_TRANSITIONS: tuple[dict[str, Any], ...] = (
    {
        "trigger": "acknowledge",
        "source": ["requested"],
        "dest": "acknowledged",
        "guards": [],
        "sets": [],
    },
    {
        "trigger": "respond",
        "source": ["acknowledged"],
        "dest": "responded",
        "guards": ["response_complete"],
        "sets": ["response"],
    },
    {
        "trigger": "reject",
        "source": ["responded"],
        "dest": "acknowledged",
        "guards": ["reject_note"],
        "sets": [],
    },
    {
        "trigger": "verify",
        "source": ["responded"],
        "dest": "verified",
        "guards": ["response_complete", "effective_verification"],
        "sets": ["verification"],
    },
    {
        "trigger": "close",
        "source": ["verified"],
        "dest": "closed",
        "guards": ["response_complete", "effective_verification"],
        "sets": [],
    },
    {
        "trigger": "cancel",
        "source": ["requested", "acknowledged", "responded"],
        "dest": "cancelled",
        "guards": ["cancel_note"],
        "sets": [],
    },
)
"""The SCAR transitions as plain data."""

NONCONFORMANCE_MACHINE: Machine = _machine(NONCONFORMANCE_STATES, NONCONFORMANCE_TRANSITIONS)
"""The one ``transitions.Machine`` every nonconformance goes through (``model=None``)."""

SCAR_MACHINE: Machine = _machine(SCAR_STATES, SCAR_TRANSITIONS)
"""The one ``transitions.Machine`` every SCAR goes through (``model=None``)."""

NONCONFORMANCE_LIFECYCLE = Lifecycle(
    "nonconformance",
    Nonconformance,
    NONCONFORMANCE_STATES,
    NONCONFORMANCE_TRANSITIONS,
    NONCONFORMANCE_GUARDS,
    NONCONFORMANCE_MACHINE,
)
"""The nonconformance lifecycle: open -> dispositioned -> closed, with escalate.

>>> import qualityflow as qf
>>> from qualityflow.models.nonconformance import Disposition, Nonconformance
>>> kg = lambda n: qf.Quantity(amount=n, unit="kg")
>>> nc = Nonconformance(id="NC-1", batch_id="FLOUR-0412", quantity=kg(2000),
...                     characteristic="moisture", defect="15.8 % (max 14.5 %)")
>>> NONCONFORMANCE_LIFECYCLE.blockers(nc, "dispose")[0].startswith("no disposition")
True
>>> rec = NONCONFORMANCE_LIFECYCLE.fire(nc, "dispose", actor="QA Lena",
...     dispositions=[Disposition(kind="scrap", quantity=kg(2000))])
>>> nc.status.value, rec.dest
('dispositioned', 'dispositioned')
"""

SCAR_LIFECYCLE = Lifecycle(
    "supplier_action", SupplierAction, SCAR_STATES, SCAR_TRANSITIONS, SCAR_GUARDS, SCAR_MACHINE
)
"""The SCAR lifecycle: requested -> acknowledged -> responded -> verified -> closed, with
reject (back to acknowledged) and cancel."""
