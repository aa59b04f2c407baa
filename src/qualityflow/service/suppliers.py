"""Suppliers: status changes as recorded decisions, evaluations and recommendations."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from qualityflow.errors import QualityFlowError
from qualityflow.models import (
    FieldChange,
    Signature,
    Supplier,
    SupplierEvaluation,
    SupplierStatus,
)
from qualityflow.people import ActorLike
from qualityflow.people.signatures import sign, supplier_step, with_actor_id
from qualityflow.prevention import (
    DefaultSupplierPolicy,
    SupplierPolicy,
    decide,
    score_supplier,
    status_change_notification,
)
from qualityflow.prevention import Delivery as SupplierDelivery
from qualityflow.service._base import Refusal, Repository
from qualityflow.storage import Storage

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


class SupplierRepository(Repository[Supplier]):
    """Suppliers; status changes are recorded decisions (:meth:`decide`)."""

    def save(
        self,
        entity: Supplier,
        *,
        actor: ActorLike = "",
        reason: str = "",
        at: datetime | None = None,
        approved_by: ActorLike | None = None,
    ) -> Supplier:
        """Store changed descriptive fields as a recorded amendment (see ``Repository.save``).

        ``status`` and ``decisions`` change only by :meth:`decide`, ``evaluations`` only by
        :meth:`evaluate`; save() refuses them with a
        :class:`~qualityflow.ProtectedFieldError`, writing nothing.
        """
        return super().save(entity, actor=actor, reason=reason, at=at, approved_by=approved_by)

    def _refused(
        self, stored: Supplier, new: Supplier, changes: builtins.list[FieldChange]
    ) -> builtins.list[Refusal]:
        who = f"supplier {stored.id!r}"
        commands = {
            "status": "qms.suppliers.decide(id, status, actor=..., reason=...), which records "
            "the decision",
            "decisions": "qms.suppliers.decide(id, status, actor=..., reason=...); decisions "
            "are hash-chained and never edited",
            "evaluations": "qms.suppliers.evaluate(id, period=...), which scores the stored "
            "records",
        }
        return [
            (c.field, f"{who}: save() cannot change {c.field}: use {commands[c.field]}")
            for c in changes
            if c.field in commands
        ]

    def decide(
        self,
        id: str,
        status: SupplierStatus | str,
        *,
        actor: ActorLike,
        reason: str,
        evidence: str = "",
        at: datetime | None = None,
        signature: Signature | None = None,
        credential: Any = None,
    ) -> Supplier:
        """Change a supplier's status by a recorded decision and notify ``supplier_status``.

        The policy is asked about ``supplier.decide``. A decision to disqualify or to
        re-approve (``approved`` from any other status) is the signature step
        ``supplier.disqualify`` / ``supplier.reapprove``
        (:data:`~qualityflow.people.signatures.SUPPLIER_STEPS`): when the policy names it
        (:data:`~qualityflow.people.policies.STRICT` does), pass
        ``signature=qf.Signature(meaning=...)`` and the ``credential`` the
        ``qualityflow_authenticate`` plugins check; the signature (signer's id and name,
        time, meaning, bound to the decision) is part of the hash-chained decision.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> _ = qms.suppliers.add(qf.Supplier(id="SUP-MILL", name="Northfield Mill"))
        >>> qms.suppliers.decide("SUP-MILL", "suspended", actor="QA manager",
        ...                      reason="mould in two flour lots").status.value
        'suspended'

        """
        service = self._service
        with self._storage.transaction():
            supplier = self.get(id)
            state = supplier.status.value
            step = supplier_step(str(getattr(status, "value", status)))
            signer = service._signer(
                actor,
                "supplier.decide",
                supplier,
                signature,
                credential,
                what=f"supplier {id!r}",
                trigger="decide",
                state=state,
                steps=[step],
            )
            name = signer.name if signer is not None else str(actor)
            decision = decide(supplier, status, actor=name, reason=reason, evidence=evidence, at=at)
            if signer is not None:
                decision = with_actor_id(decision, signer)
                if signature is not None:
                    decision = sign(decision, signature, signer, service.now())
                supplier.decisions[-1] = decision
            saved = self._typed(self._storage.save(supplier))
            notice = status_change_notification(saved, decision).model_copy(
                update={
                    "id": f"supplier_status:{id}:{len(saved.decisions)}",
                    "audit_head": service.audit.head(),
                }
            )
            queued = service._enqueue(notice)
        service._deliver_new([queued])
        return saved

    def evaluate(
        self,
        id: str,
        *,
        period: str,
        start: datetime | None = None,
        end: datetime | None = None,
        at: datetime | None = None,
        evaluated_by: str = "",
        deliveries: Iterable[SupplierDelivery] | None = None,
    ) -> SupplierEvaluation:
        """Score a supplier for a period from the stored records and keep the evaluation.

        :func:`qualityflow.score_supplier` runs over the stored incoming inspections of
        the supplier's lots, and the incidents and complaints traced back to them through
        the stored genealogy (each traced with the storage's own upstream query);
        ``deliveries`` add the on-time criterion. The evaluation is appended to
        ``supplier.evaluations`` and saved; the status does not change (see
        :meth:`recommend` and :meth:`decide`).

        Raises
        ------
        QualityFlowError
            When there is nothing to score (no lot of the supplier on file, no delivery).

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> _ = qms.suppliers.add(qf.Supplier(id="SUP-MILL", name="Northfield Mill"))
        >>> for n, result in enumerate(["pass", "fail", "pass", "pass"]):
        ...     _ = qms.batches.add(qf.Batch(id=f"FLOUR-{n}", kind="raw_material",
        ...         product="flour", quantity=qf.Quantity(amount=1000, unit="kg"),
        ...         supplier_id="SUP-MILL"))
        ...     _ = qms.inspections.add(qf.Inspection(id=f"IQC-{n}", batch_id=f"FLOUR-{n}",
        ...                                           stage="incoming", result=result))
        >>> qms.suppliers.evaluate("SUP-MILL", period="2026-03").scores["quality"]
        Decimal('75')

        """
        service = self._service
        with self._storage.transaction():
            supplier = self.get(id)
            lots = service.batches.list(supplier_id=id)
            own = {lot.id for lot in lots}
            try:
                evaluation = score_supplier(
                    supplier,
                    period=period,
                    inspections=[i for i in service.inspections.list() if i.batch_id in own],
                    incidents=service.incidents.list(),
                    complaints=service.complaints.list(),
                    genealogy=_StoredUpstream(self._storage),
                    deliveries=deliveries,
                    lots=lots,
                    supplier_actions=service.supplier_actions.list(supplier_id=id),
                    nonconformances=service.nonconformances.list(supplier_id=id),
                    start=start,
                    end=end,
                    evaluated_by=evaluated_by or "qualityflow scorecard",
                    at=at,
                )
            except ValueError as exc:
                raise QualityFlowError(str(exc)) from exc
            supplier.evaluations = [*supplier.evaluations, evaluation]
            self._storage.save(supplier)
        return evaluation

    def recommend(self, id: str) -> SupplierStatus:
        """Recommend a status from the supplier's latest evaluation.

        The ``qualityflow_supplier_policy`` hook's policy answers, else
        :class:`qualityflow.DefaultSupplierPolicy`. A recommendation is not a decision:
        nothing is changed; record one with :meth:`decide`.

        Raises
        ------
        QualityFlowError
            When the supplier has no evaluation yet (run :meth:`evaluate` first).

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> mill = qf.Supplier(id="SUP-MILL", name="Northfield Mill", evaluations=[
        ...     qf.SupplierEvaluation(period="2026-03", scores={"quality": 65},
        ...                           weights={"quality": 1})])
        >>> _ = qms.suppliers.add(mill)
        >>> qms.suppliers.recommend("SUP-MILL").value
        'conditional'

        """
        supplier = self.get(id)
        if not supplier.evaluations:
            raise QualityFlowError(
                f"supplier {id} ({supplier.name}) has no evaluation to recommend from; run "
                "qms.suppliers.evaluate(id, period=...) first"
            )
        policy: SupplierPolicy = self._service.plugins.supplier_policy() or DefaultSupplierPolicy()
        return SupplierStatus(policy.recommend(supplier.evaluations[-1], supplier))


class _StoredUpstream:
    """``trace_backward`` answered by the storage's upstream query (for the scorecard)."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._seen: dict[tuple[str, ...], set[str]] = {}

    def __contains__(self, id: object) -> bool:
        return isinstance(id, str)

    def trace_backward(self, *ids: str) -> set[str]:
        key = tuple(sorted(ids))
        if key not in self._seen:
            self._seen[key] = self._storage.reach(key, "backward") - set(key)
        return self._seen[key]
