"""Training records linked to corrective actions and lessons.

A corrective or preventive action can require people to be trained on a revised procedure
(:class:`TrainingRequirement`). A :class:`TrainingRecord` counts for a requirement when it
names the person and the procedure and, if the requirement gives a ``since`` date (the
revision's effective date), is not older than that. The lesson of an incident stays open
until everybody its actions require is trained (:func:`lesson_open`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

from pydantic import Field, field_validator, model_validator

from qualityflow.models import AwareDatetime, Id, Incident, NonEmpty, QFModel
from qualityflow.models._base import check_id_length

__all__ = [
    "OpenTraining",
    "TrainingRecord",
    "TrainingRequirement",
    "lesson_open",
    "open_training",
]


class TrainingRequirement(QFModel):
    """People who must be trained on a procedure because of a corrective action.

    ``id`` defaults to ``"<action_id>/<procedure>"`` (one requirement per action and
    procedure); ``version`` is the storage's optimistic lock.

    Examples
    --------
    >>> need = TrainingRequirement(action_id="CA-1", procedure="SOP-12 rev C",
    ...                            people=["Ana", "Ben"])
    >>> need.people, need.id
    (['Ana', 'Ben'], 'CA-1/SOP-12 rev C')

    """

    action_id: Id
    procedure: NonEmpty
    people: list[NonEmpty] = Field(min_length=1)
    since: AwareDatetime | None = None
    due: date | None = None
    id: str = ""
    version: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _default_id(self) -> TrainingRequirement:
        if not self.id.strip():
            # Set directly: assigning would re-run validation (validate_assignment).
            self.__dict__["id"] = f"{self.action_id}/{self.procedure}"
        check_id_length(self.id)
        return self

    @field_validator("people")
    @classmethod
    def _no_duplicates(cls, people: list[str]) -> list[str]:
        twice = sorted(p for p, n in Counter(people).items() if n > 1)
        if twice:
            raise ValueError(f"people listed twice: {twice}")
        return people


class TrainingRecord(QFModel):
    """One person trained on one procedure, when and by whom.

    ``id`` defaults to ``"<person>/<procedure>/<at, ISO 8601>"``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> TrainingRecord(person="Ana", procedure="SOP-12 rev C", trainer="QA Lena",
    ...                at=datetime(2026, 3, 9, tzinfo=timezone.utc)).id
    'Ana/SOP-12 rev C/2026-03-09T00:00:00+00:00'

    """

    person: NonEmpty
    procedure: NonEmpty
    at: AwareDatetime
    trainer: NonEmpty
    note: str = ""
    id: str = ""
    version: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _default_id(self) -> TrainingRecord:
        if not self.id.strip():
            # Set directly: assigning would re-run validation (validate_assignment).
            self.__dict__["id"] = f"{self.person}/{self.procedure}/{self.at.isoformat()}"
        check_id_length(self.id)
        return self


class OpenTraining(QFModel):
    """A person still to be trained for an action."""

    action_id: str
    procedure: str
    person: str
    due: date | None = None


def _trained(requirement: TrainingRequirement, person: str, records: list[TrainingRecord]) -> bool:
    return any(
        r.person == person
        and r.procedure == requirement.procedure
        and (requirement.since is None or r.at >= requirement.since)
        for r in records
    )


def open_training(
    requirements: Iterable[TrainingRequirement], records: Iterable[TrainingRecord]
) -> list[OpenTraining]:
    """Return who is still to be trained, per requirement, in the requirements' order.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> need = TrainingRequirement(action_id="CA-1", procedure="SOP-12 rev C",
    ...                            people=["Ana", "Ben"])
    >>> done = TrainingRecord(person="Ana", procedure="SOP-12 rev C", trainer="QA Lena",
    ...                       at=datetime(2026, 3, 9, tzinfo=timezone.utc))
    >>> [(o.action_id, o.person) for o in open_training([need], [done])]
    [('CA-1', 'Ben')]

    """
    held = list(records)
    return [
        OpenTraining(action_id=req.action_id, procedure=req.procedure, person=person, due=req.due)
        for req in requirements
        for person in req.people
        if not _trained(req, person, held)
    ]


def lesson_open(
    incident: Incident | Iterable[str],
    requirements: Iterable[TrainingRequirement],
    records: Iterable[TrainingRecord],
) -> bool:
    """Return whether the lesson of ``incident`` (or of these action ids) is still open.

    It is open while anybody that one of its actions requires to be trained is not.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import qualityflow as qf
    >>> inc = qf.Incident(id="INC-7", title="Metal chip", severity="critical",
    ...     actions=[qf.CorrectiveAction(id="CA-1", description="Revise SOP-12")])
    >>> need = TrainingRequirement(action_id="CA-1", procedure="SOP-12 rev C", people=["Ana"])
    >>> lesson_open(inc, [need], [])
    True
    >>> lesson_open(inc, [need], [TrainingRecord(person="Ana", procedure="SOP-12 rev C",
    ...     trainer="QA Lena", at=datetime(2026, 3, 9, tzinfo=timezone.utc))])
    False

    """
    if isinstance(incident, Incident):
        action_ids = {a.id for a in incident.actions}
    else:
        action_ids = set(incident)
    relevant = [r for r in requirements if r.action_id in action_ids]
    return bool(open_training(relevant, records))
