"""People and authority: who acts (:class:`Actor`) and who may do what (:class:`RolePolicy`).

Every ``actor=`` of the service accepts an :class:`Actor` or, for the embedded single-user
case, a plain string: a string is first offered to the ``qualityflow_resolve_actor`` hook
(and the ``actors=`` given to ``qf.QualityFlow``), and otherwise becomes an actor with no
roles whose id and name are the string. Records keep the actor's *name* in ``actor``.

A policy decides whether an actor may perform an *action*, named ``<kind>.<trigger or
command>``: ``incident.close``, ``complaint.reject``, ``incident.save``,
``supplier.decide``, ``batch.release``, ``nonconformance.dispose``, ``recall.open``...
This module does no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from pydantic import ConfigDict, Field, model_validator

from qualityflow.i18n import N_, _, label
from qualityflow.models._base import NonEmpty, QFModel

__all__ = [
    "policies",
    "OPEN",
    "SOD_RULES",
    "ASSESSMENT_FIELDS",
    "TEAM_DEPARTMENTS",
    "TEAM_SEVERITIES",
    "Actor",
    "ActorLike",
    "ClosedAmendment",
    "Policy",
    "RolePolicy",
    "as_actor",
]


class Actor(QFModel):
    """A person (or system) acting on the records: id, printed name, roles, department.

    ``name`` defaults to ``id``. Frozen: an actor is a value.

    Examples
    --------
    >>> from qualityflow.people import Actor
    >>> dana = Actor(id="dana", name="Dana Weber", roles={"qa_manager"})
    >>> dana.name, "qa_manager" in dana.roles
    ('Dana Weber', True)
    >>> Actor(id="line-3").name
    'line-3'

    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: NonEmpty
    name: str = ""
    roles: frozenset[str] = Field(default_factory=frozenset)
    department: str | None = None

    @model_validator(mode="after")
    def _name_defaults_to_id(self) -> Actor:
        if not self.name.strip():
            object.__setattr__(self, "name", self.id)
        return self


ActorLike = Actor | str
"""What every ``actor=`` accepts: an :class:`Actor` or a plain string (id = name)."""


def as_actor(actor: ActorLike) -> Actor:
    """Return ``actor`` as an :class:`Actor`: a string becomes an actor with no roles.

    Examples
    --------
    >>> as_actor("QA Lena")
    Actor(id='QA Lena', name='QA Lena', roles=frozenset(), department=None)

    """
    if isinstance(actor, Actor):
        return actor
    return Actor(id=actor, name=actor)


@runtime_checkable
class Policy(Protocol):
    """What ``qf.QualityFlow(policy=...)`` accepts: anything with ``check`` (and ``roles_for``)."""

    def check(self, actor: Actor, action: str, subject: Any) -> list[str]:
        """Return the reasons ``actor`` may not perform ``action`` on ``subject`` (empty: may)."""
        ...  # pragma: no cover - protocol

    def roles_for(self, action: str) -> frozenset[str] | None:
        """Return the roles that may perform ``action`` (``None``: everyone)."""
        ...  # pragma: no cover - protocol


SOD_RULES: dict[str, str] = {
    "verifier_not_owner": N_(
        "the person recording or firing an effective verification owns none of the "
        "corrective actions verified (incident.verify, incident.close)"
    ),
    "closer_not_sole_actor": N_(
        "the person who closes an incident is not the only person who reported and moved it "
        "(incident.close)"
    ),
    "cross_functional_team": N_(
        "a critical or major incident is assessed by an emergency team with a leader and "
        "members from production, technical, quality and sales (incident.assess)"
    ),
    "reapproval_by_another": N_(
        "a suspended or disqualified supplier is re-approved by someone other than the person "
        "who suspended or disqualified it (supplier.reapprove)"
    ),
    "closed_amendment_approved": N_(
        "an amendment of a closed, cancelled, rejected or terminated record is approved by a "
        "second person (save(..., approved_by=...); <kind>.amend_closed)"
    ),
}
"""The rules ``segregation_of_duties=`` switches on, by name, each switchable on its own.

The descriptions are English message ids: ``_(SOD_RULES[name])`` gives the active locale's.
"""

# --- refusal templates (English message ids, translated when a refusal is made) ----------

VERIFIER_OWNS_ACTIONS = N_(
    "segregation of duties: {who!r} ({role}) owns corrective action(s) {actions} of incident "
    "{incident_id!r} and may not verify them: an independent person who owns none of the "
    "actions must verify and close"
)
ROLE_RECORDED_AS_VERIFIER = N_("recorded as verifier")
ROLE_FIRING_THE_STEP = N_("firing the step")
SOLE_ACTOR = N_(
    "segregation of duties: {actor!r} reported and moved incident {incident_id!r} alone and "
    "may not close it too: a second person closes it"
)
TEAM_LEADER_ALONE = N_(
    "the emergency team of {severity} incident {incident_id!r} is its leader {leader!r} "
    "alone: name the members from {departments}"
)
TEAM_DEPARTMENTS_MISSING = N_(
    "the emergency team of {severity} incident {incident_id!r} has nobody from {missing}: "
    "add the head of each to team.members"
)
ASSESSMENT_INCOMPLETE = N_(
    "the impact assessment of {severity} incident {incident_id!r} leaves {missing} empty: "
    "fill each in before assess (the assessment of a {severity} incident states its scope, "
    "regions, risk and rationale)"
)
REAPPROVED_BY_SUSPENDER = N_(
    "segregation of duties: {actor!r} made supplier {supplier_id!r} {status} on {at} and may "
    "not re-approve it too: a second person decides the re-approval"
)
AMENDMENT_NOT_APPROVED = N_(
    "segregation of duties: {kind} {id!r} is {status}; an amendment of it needs a second "
    "person's approval: pass approved_by=... (someone other than {actor!r})"
)
AMENDMENT_SELF_APPROVED = N_(
    "segregation of duties: {actor!r} may not approve their own amendment of {kind} {id!r}: "
    "a second person approves it"
)
INFORMATION_NOT_VERIFIED = N_(
    "complaint {complaint_id!r}: the plant's policy investigates a complaint only once its "
    "information is verified: check the product and lot, the proof of purchase and the "
    "sample or photos, and give information_verification=qf.ComplaintVerification(...)"
)
NO_ROLE = N_(
    "{actor!r} does not have a role that may {action!r} (one of: {allowed}; {actor_id} has: {has})"
)


def _names(actor: Actor) -> set[str]:
    return {actor.id, actor.name}


def _verifier_not_owner(actor: Actor, action: str, subject: Any) -> list[str]:
    if action not in ("incident.verify", "incident.close"):
        return []
    verification = getattr(subject, "verification", None)
    if verification is None:
        return []
    owned: dict[str, list[str]] = {}
    for item in getattr(subject, "actions", []):
        if item.owner:
            owned.setdefault(item.owner, []).append(item.id)
    reasons: list[str] = []
    for who, role in (
        (verification.verified_by, ROLE_RECORDED_AS_VERIFIER),
        (actor.name, ROLE_FIRING_THE_STEP),
    ):
        hits = owned.get(who, []) or (owned.get(actor.id, []) if who == actor.name else [])
        if hits:
            reasons.append(
                _(VERIFIER_OWNS_ACTIONS).format(
                    who=who, role=_(role), actions=", ".join(hits), incident_id=subject.id
                )
            )
    return reasons


def _closer_not_sole_actor(actor: Actor, action: str, subject: Any) -> list[str]:
    if action != "incident.close":
        return []
    people = {r.actor for r in getattr(subject, "history", [])}
    reporter = getattr(subject, "reported_by", "")
    if reporter:
        people.add(reporter)
    if people and not (people - _names(actor)):
        return [_(SOLE_ACTOR).format(actor=actor.name, incident_id=subject.id)]
    return []


TEAM_DEPARTMENTS: tuple[str, ...] = ("production", "technical", "quality", "sales")
"""The departments the guide asks for on the emergency team (heads of each)."""

_DEPARTMENT_NAMES = {
    "production": N_("production"),
    "technical": N_("technical"),
    "quality": N_("quality"),
    "sales": N_("sales"),
}


def _department(name: str) -> str:
    """Return a department as a person reads it (English, or a plant's own: the id)."""
    known = _DEPARTMENT_NAMES.get(name)
    return name if known is None else _(known)


TEAM_SEVERITIES: tuple[str, ...] = ("critical", "major")
"""The incident severities whose emergency team must cover :data:`TEAM_DEPARTMENTS`."""


def _cross_functional_team(
    actor: Actor,
    action: str,
    subject: Any,
    departments: tuple[str, ...],
    severities: tuple[str, ...],
) -> list[str]:
    if action != "incident.assess":
        return []
    severity = getattr(getattr(subject, "severity", None), "value", None)
    team = getattr(subject, "team", None)
    if severity not in severities or team is None or not departments:
        return []  # no team at all: the lifecycle's emergency_team guard says so
    reasons: list[str] = []
    if not team.members:
        reasons.append(
            _(TEAM_LEADER_ALONE).format(
                severity=label(severity),
                incident_id=subject.id,
                leader=team.leader.name,
                departments=_(", ").join(_department(d) for d in departments),
            )
        )
    have = {d.strip().lower() for d in team.departments}
    missing = [d for d in departments if d not in have]
    if missing:
        reasons.append(
            _(TEAM_DEPARTMENTS_MISSING).format(
                severity=label(severity),
                incident_id=subject.id,
                missing=_(", ").join(_department(d) for d in missing),
            )
        )
    return reasons


ASSESSMENT_FIELDS: tuple[str, ...] = ("batch_ids", "regions", "risk", "rationale")
"""The parts of a critical or major incident's impact assessment that must be filled in:
its scope (the batches concerned), the regions reached, the risk and the rationale."""

_ASSESSMENT_FIELD_NAMES = {
    "batch_ids": N_("the scope (assessment.batch_ids)"),
    "regions": N_("the regions (assessment.regions)"),
    "risk": N_("the risk (assessment.risk)"),
    "rationale": N_("the rationale (assessment.rationale)"),
}


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_empty(item) for item in value)  # [" "] names no region
    return False


def _assessment_complete(
    action: str, subject: Any, fields: tuple[str, ...], severities: tuple[str, ...]
) -> list[str]:
    if action != "incident.assess" or not fields:
        return []
    assessment = getattr(subject, "assessment", None)
    if assessment is None:
        return []  # no assessment at all: the lifecycle's guard says so
    severity = getattr(getattr(subject, "severity", None), "value", None)
    graded = getattr(getattr(assessment, "severity", None), "value", None)
    if severity not in severities:
        severity = graded if graded in severities else None
    if severity is None:
        return []
    missing = [f for f in fields if _empty(getattr(assessment, f, None))]
    if not missing:
        return []
    return [
        _(ASSESSMENT_INCOMPLETE).format(
            severity=label(severity),
            incident_id=subject.id,
            missing=_(", ").join(_(_ASSESSMENT_FIELD_NAMES[f]) for f in missing),
        )
    ]


_OFF_LIST = ("suspended", "disqualified")


def _reapproval_by_another(actor: Actor, action: str, subject: Any) -> list[str]:
    if action != "supplier.reapprove":
        return []
    status = str(getattr(getattr(subject, "status", None), "value", ""))
    if status not in _OFF_LIST:
        return []
    last = next(
        (d for d in reversed(getattr(subject, "decisions", [])) if d.dest.value == status), None
    )
    if last is None:
        return []
    if {last.actor, last.actor_id} & _names(actor):
        return [
            _(REAPPROVED_BY_SUSPENDER).format(
                actor=actor.name,
                supplier_id=subject.id,
                status=label(status),
                at=f"{last.at:%Y-%m-%d %H:%M %Z}",
            )
        ]
    return []


@dataclass(frozen=True)
class ClosedAmendment:
    """What the policy is asked about as ``<kind>.amend_closed``: a save of a final record.

    ``entity`` is the record as it would be stored, ``status`` the final state it is in,
    ``approved_by`` the second person who approves the amendment (``None``: nobody).
    """

    kind: str
    entity: Any
    status: str
    approved_by: Actor | None


def _closed_amendment_approved(actor: Actor, action: str, subject: Any) -> list[str]:
    if not action.endswith(".amend_closed") or not isinstance(subject, ClosedAmendment):
        return []
    approver = subject.approved_by
    if approver is None:
        return [
            _(AMENDMENT_NOT_APPROVED).format(
                kind=label(subject.kind),
                id=subject.entity.id,
                status=label(subject.status),
                actor=actor.name,
            )
        ]
    if _names(approver) & _names(actor):
        return [
            _(AMENDMENT_SELF_APPROVED).format(
                actor=actor.name, kind=label(subject.kind), id=subject.entity.id
            )
        ]
    return []


# The team rule is checked through RolePolicy.emergency_team (on by default, and what
# naming "cross_functional_team" here switches on for a policy that turned it off).
_SOD_CHECKS = {
    "verifier_not_owner": _verifier_not_owner,
    "closer_not_sole_actor": _closer_not_sole_actor,
    "reapproval_by_another": _reapproval_by_another,
    "closed_amendment_approved": _closed_amendment_approved,
}


class RolePolicy:
    """Roles per action, the emergency team's departments, and optionally segregation of duties.

    ``roles`` maps an action (``"incident.close"``) or a kind's wildcard
    (``"incident.*"``) to the roles that may perform it; an action in neither is open to
    everyone. ``segregation_of_duties`` is ``True`` (every rule of :data:`SOD_RULES`),
    ``False`` or the names of the rules to apply. ``signatures`` names the actions that
    need an electronic signature (``fire(..., signature=qf.Signature(meaning=...))``).

    ``emergency_team`` is on by default, in every policy (the open default included): a
    critical or major incident (``team_severities``) is assessed by a team with a leader
    and members covering these departments (default :data:`TEAM_DEPARTMENTS`: production,
    technical, quality, sales, as the guide asks; a plant names its own). ``None`` or
    ``()`` turns the rule off. For the same severities, ``assessment_fields`` (default
    :data:`ASSESSMENT_FIELDS`: the scope ``batch_ids``, ``regions``, ``risk`` and
    ``rationale``) are the parts of the impact assessment that must be filled in before
    ``assess``; the refusal names each empty one. ``None`` or ``()`` turns that off.

    ``verify_information=True`` (on in ``qf.policies.STRICT``) asks of every complaint what
    the lifecycle asks of one from the 12315 platform: ``investigate`` only with an
    information verification (``information_verification=qf.ComplaintVerification(...)``).

    Examples
    --------
    >>> from qualityflow.people import Actor, RolePolicy
    >>> policy = RolePolicy({"incident.close": {"qa_manager"}})
    >>> tom = Actor(id="tom", roles={"production"})
    >>> print(policy.check(tom, "incident.close", None)[0])
    'tom' does not have a role that may 'incident.close' (one of: qa_manager; tom has: production)
    >>> policy.check(Actor(id="tom"), "incident.assess", None)
    []

    """

    def __init__(
        self,
        roles: Mapping[str, Iterable[str]] | None = None,
        *,
        segregation_of_duties: bool | Iterable[str] = False,
        signatures: Iterable[str] = (),
        emergency_team: Iterable[str] | None = TEAM_DEPARTMENTS,
        team_severities: Iterable[str] = TEAM_SEVERITIES,
        verify_information: bool = False,
        assessment_fields: Iterable[str] | None = ASSESSMENT_FIELDS,
    ) -> None:
        self.verify_information = verify_information
        """Whether every complaint (not only the 12315 platform's) is investigated only
        once its information is verified."""
        self.emergency_team: tuple[str, ...] = tuple(
            d.strip().lower() for d in (emergency_team or ())
        )
        """The departments a critical or major incident's emergency team must cover."""
        self.team_severities: tuple[str, ...] = tuple(str(s) for s in team_severities)
        """The severities the emergency-team and assessment rules apply to."""
        self.assessment_fields: tuple[str, ...] = tuple(assessment_fields or ())
        """The impact-assessment fields a critical or major incident's ``assess`` needs."""
        unknown_fields = sorted(set(self.assessment_fields) - set(ASSESSMENT_FIELDS))
        if unknown_fields:
            raise ValueError(
                f"unknown assessment field(s) {unknown_fields}: use {list(ASSESSMENT_FIELDS)}"
            )
        self.signatures: frozenset[str] = frozenset(signatures)
        """The actions that need an electronic signature (``fire(..., signature=...)``)."""
        self.roles: dict[str, frozenset[str]] = {
            action: frozenset(allowed) for action, allowed in (roles or {}).items()
        }
        if segregation_of_duties is True:
            rules = list(SOD_RULES)
        elif segregation_of_duties is False:
            rules = []
        else:
            rules = list(segregation_of_duties)
        unknown = sorted(set(rules) - set(SOD_RULES))
        if unknown:
            raise ValueError(
                f"unknown segregation-of-duties rule(s) {unknown}: use {sorted(SOD_RULES)}"
            )
        self.segregation_of_duties: tuple[str, ...] = tuple(rules)
        if not self.emergency_team and "cross_functional_team" in rules:
            self.emergency_team = TEAM_DEPARTMENTS

    def __repr__(self) -> str:
        return (
            f"RolePolicy({len(self.roles)} action(s), "
            f"segregation_of_duties={list(self.segregation_of_duties)})"
        )

    def requires_signature(self, action: str) -> bool:
        """Return whether ``action`` needs an electronic signature under this policy."""
        return action in self.signatures

    def roles_for(self, action: str) -> frozenset[str] | None:
        """Return the roles that may perform ``action``, or ``None`` when it is open."""
        if action in self.roles:
            return self.roles[action]
        kind = action.split(".", 1)[0]
        return self.roles.get(f"{kind}.*")

    def check(self, actor: Actor, action: str, subject: Any) -> list[str]:
        """Return every reason ``actor`` may not perform ``action`` on ``subject``."""
        reasons: list[str] = []
        allowed = self.roles_for(action)
        if allowed is not None and not (actor.roles & allowed):
            has = ", ".join(sorted(actor.roles)) or _("no roles")
            reasons.append(
                _(NO_ROLE).format(
                    actor=actor.id,
                    action=action,
                    allowed=", ".join(sorted(allowed)) or _("nobody"),
                    actor_id=actor.id,
                    has=has,
                )
            )
        for rule in self.segregation_of_duties:
            check = _SOD_CHECKS.get(rule)
            if check is not None:
                reasons.extend(check(actor, action, subject))
        reasons.extend(
            _cross_functional_team(
                actor, action, subject, self.emergency_team, self.team_severities
            )
        )
        reasons.extend(
            _assessment_complete(action, subject, self.assessment_fields, self.team_severities)
        )
        if (
            self.verify_information
            and action == "complaint.investigate"
            and hasattr(subject, "information_verification")
            and subject.information_verification is None
        ):
            reasons.append(_(INFORMATION_NOT_VERIFIED).format(complaint_id=subject.id))
        return reasons


OPEN = RolePolicy()
"""The default policy: every action is open to everyone, no segregation of duties; a
critical or major incident's emergency team covers production, technical, quality and
sales (``RolePolicy(emergency_team=None)`` turns that off)."""

from qualityflow.people import policies  # noqa: E402  (the presets, qf.policies)
