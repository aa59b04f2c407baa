"""Ready-made policies: :data:`OPEN` (the default) and :data:`STRICT`.

``STRICT`` is the preset a plant adopts in one line,
``qf.QualityFlow(url, policy=qf.policies.STRICT)``. Its roles:

``qa_manager``
    approves: closes, cancels and reopens incidents, decides supplier statuses, releases
    held batches, opens and completes recalls, disposes nonconforming product, imports
    cases from another system (``import_case``).
``quality_engineer``
    runs the 8D: assesses, investigates, plans corrections, verifies, disposes.
``production``
    contains (quarantine, hold) with quality.
``sales`` / ``customer_service``
    handle complaints (acknowledge, resolve, tell the customer).

Segregation of duties is on (every rule of :data:`qualityflow.people.SOD_RULES`), and
verifying and closing an incident, disqualifying or re-approving a supplier and completing
a recall need an electronic signature (:data:`STRICT_SIGNATURES`).
"""

from __future__ import annotations

from qualityflow.people import OPEN, RolePolicy

__all__ = ["OPEN", "STRICT", "STRICT_ROLES", "STRICT_SIGNATURES"]

_QA = {"qa_manager"}
_QE = {"qa_manager", "quality_engineer"}
_SALES = {"qa_manager", "quality_engineer", "sales", "customer_service"}

STRICT_ROLES: dict[str, set[str]] = {
    "incident.assess": _QE,
    "incident.contain": _QE | {"production"},
    "incident.investigate": _QE,
    "incident.correct": _QE,
    "incident.verify": _QE,
    "incident.rework": _QE,
    "incident.close": _QA,
    "incident.cancel": _QA,
    "incident.reopen": _QA,
    "incident.save": _QE,
    "incident.import": _QA,
    "complaint.import": _QA,
    "complaint.*": _SALES,
    "complaint.reject": _QA | {"sales"},
    "supplier.decide": _QA,
    "batch.release": _QA,
    "nonconformance.dispose": _QE,
    "recall.*": _QA,
}
"""The roles of :data:`STRICT`, by action."""

STRICT_SIGNATURES: frozenset[str] = frozenset(
    {
        "incident.verify",
        "incident.close",
        "supplier.disqualify",
        "supplier.reapprove",
        "recall.complete",
    }
)
"""The steps :data:`STRICT` signs electronically."""

STRICT = RolePolicy(
    STRICT_ROLES,
    segregation_of_duties=True,
    signatures=STRICT_SIGNATURES,
    verify_information=True,
)
"""Roles per action (:data:`STRICT_ROLES`) with segregation of duties on.

Examples
--------
>>> from qualityflow.people import policies
>>> sorted(policies.STRICT.roles_for("incident.close"))
['qa_manager']

"""
