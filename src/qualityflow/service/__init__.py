"""``qf.QualityFlow``: the application facade over storage, plugins and the lifecycles.

One object ties a plant's records together::

    qms = qf.QualityFlow("sqlite:///plant.db")
    qms.batches.add(flour_lot)
    qms.incidents.fire("INC-14", "contain", actor="QA lead", containment=[...])

Each service call that changes something runs in one storage transaction: the entity, the
batch statuses it implies and the notifications it produces (the outbox) commit together
or not at all. Notifications are then handed to every notifier, each separately, in the
calling thread; a failure is recorded per notifier and retried by
:meth:`QualityFlow.deliver_pending`, never lost and never undoing the change.

One module per job: :mod:`.facade` (``QualityFlow``), :mod:`._base` (the generic
repository), :mod:`.batches` (lots, shipments, inspections, samples), :mod:`.suppliers`
and :mod:`.cases` (incidents and complaints), :mod:`.audit` (``qms.audit``: the ledger
head and the verification of every stored record).
"""

from qualityflow.service._base import CONTAINMENT_STATUS, STATUS_CHANGES, Repository
from qualityflow.service.audit import Audit, AuditReport
from qualityflow.service.batches import (
    BatchRepository,
    InspectionRepository,
    RetainedSampleRepository,
    ShipmentRepository,
)
from qualityflow.service.cases import (
    FIXED_FIELDS,
    GUARD_READS,
    RELIED_ON,
    ComplaintRepository,
    LifecycleRepository,
)
from qualityflow.service.facade import QualityFlow
from qualityflow.service.suppliers import SupplierRepository

__all__ = [
    "Audit",
    "AuditReport",
    "CONTAINMENT_STATUS",
    "FIXED_FIELDS",
    "GUARD_READS",
    "RELIED_ON",
    "STATUS_CHANGES",
    "BatchRepository",
    "ComplaintRepository",
    "InspectionRepository",
    "LifecycleRepository",
    "QualityFlow",
    "Repository",
    "RetainedSampleRepository",
    "ShipmentRepository",
    "SupplierRepository",
]
