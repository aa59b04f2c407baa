"""Incident and complaint lifecycles: state machines, guards, deadlines, audit chain.

Each lifecycle runs on one shared module-level ``transitions.Machine`` (see
:mod:`qualityflow.lifecycle.machine` for the pattern); histories are hash-chained
(:mod:`qualityflow.lifecycle.audit`).
"""

from __future__ import annotations

from qualityflow.lifecycle import presets
from qualityflow.lifecycle.audit import (
    chain,
    record_hash,
    seal,
    verify_chain,
    verify_history,
)
from qualityflow.lifecycle.calendar import (
    CN_COVERED_YEARS,
    CalendarCoverageError,
    WorkingCalendar,
)
from qualityflow.lifecycle.guards import COMPLAINT_GUARDS, INCIDENT_GUARDS, Guard
from qualityflow.lifecycle.machine import (
    COMPLAINT_LIFECYCLE,
    COMPLAINT_MACHINE,
    INCIDENT_LIFECYCLE,
    INCIDENT_MACHINE,
    ExtraGuards,
    Lifecycle,
)
from qualityflow.lifecycle.nonconformance import NONCONFORMANCE_LIFECYCLE, SCAR_LIFECYCLE
from qualityflow.lifecycle.recall import RECALL_LIFECYCLE, RecallDeadlinePolicy, RecallProgress
from qualityflow.lifecycle.timelimits import (
    Deadline,
    DeadlinePolicy,
    DefaultDeadlinePolicy,
    deadlines,
    overdue,
)

__all__ = [
    "RecallProgress",
    "RecallDeadlinePolicy",
    "RECALL_LIFECYCLE",
    "SCAR_LIFECYCLE",
    "NONCONFORMANCE_LIFECYCLE",
    "CN_COVERED_YEARS",
    "CalendarCoverageError",
    "WorkingCalendar",
    "COMPLAINT_GUARDS",
    "COMPLAINT_LIFECYCLE",
    "COMPLAINT_MACHINE",
    "Deadline",
    "DeadlinePolicy",
    "DefaultDeadlinePolicy",
    "INCIDENT_GUARDS",
    "INCIDENT_LIFECYCLE",
    "INCIDENT_MACHINE",
    "ExtraGuards",
    "Guard",
    "Lifecycle",
    "chain",
    "deadlines",
    "overdue",
    "presets",
    "record_hash",
    "seal",
    "verify_chain",
    "verify_history",
]
