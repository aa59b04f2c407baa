"""The generic repository and the rules shared by the service modules."""

from __future__ import annotations

import builtins
import itertools
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from qualityflow.errors import ProtectedFieldError, TransitionError
from qualityflow.lifecycle.audit import seal, state_digest
from qualityflow.lifecycle.machine import future_times, next_stamp
from qualityflow.models import (
    Amendment,
    BatchStatus,
    Complaint,
    ContainmentKind,
    FieldChange,
    Incident,
)
from qualityflow.people import ActorLike, ClosedAmendment
from qualityflow.storage import Entity, Storage
from qualityflow.storage.base import INDEXED_FIELDS, ListingStorage, stale_version

FINAL_STATES = frozenset({"closed", "cancelled", "rejected", "terminated"})
"""The states in which a record is finished: amending it is ``<kind>.amend_closed`` too."""

if TYPE_CHECKING:
    from qualityflow.service.facade import QualityFlow

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Entity)
L = TypeVar("L", bound=Incident | Complaint)
CONTAINMENT_STATUS: dict[ContainmentKind, BatchStatus] = {
    ContainmentKind.QUARANTINE: BatchStatus.QUARANTINED,
    ContainmentKind.HOLD: BatchStatus.ON_HOLD,
    ContainmentKind.STOP_SHIPMENT: BatchStatus.ON_HOLD,
    ContainmentKind.SCRAP: BatchStatus.SCRAPPED,
    ContainmentKind.RECALL: BatchStatus.RECALLED,
}
"""The batch status each containment action sets (a recall decision sets ``recalled``)."""

# A containment never relaxes a batch: the stricter status wins.
_STRICTNESS = {
    BatchStatus.RELEASED: 0,
    BatchStatus.ON_HOLD: 1,
    BatchStatus.QUARANTINED: 2,
    BatchStatus.RECALLED: 3,
    BatchStatus.SCRAPPED: 4,
}
_PUSHED_DOWN = ("status", "ids")
_PAGING = ("limit", "after")

STATUS_CHANGES = "status_changes"
"""The ``Batch.attributes`` key under which holds and releases are recorded.

Each entry is ``{"at", "by", "from", "to", "reason"}`` (plus ``"inspection"`` for a hold
set by a failed inspection and ``"override"`` for a release under a supplier override).
"""


def _value(value: object) -> object:
    return getattr(value, "value", value)


# Fields no save() may change, whatever the kind: the storage's and the audit's own.
_NEVER_SAVED = ("version", "amendments")
# Dict fields compared key by key (an amendment names ``attributes.colour``, not the dict).
_BY_KEY = frozenset({"attributes"})

Refusal = tuple[str, str]
"""A refused field and the sentence saying why and what to use instead."""


def field_changes(stored: Entity, new: Entity) -> builtins.list[FieldChange]:
    """Return the fields of ``new`` that differ from ``stored``, with old and new JSON values.

    ``version`` and ``amendments`` are left out (the storage and the service write them);
    ``attributes`` is compared key by key, each change named ``attributes.<key>``.

    Examples
    --------
    >>> import qualityflow as qf
    >>> a = qf.Supplier(id="SUP-1", name="Mill", materials=["flour"])
    >>> b = a.model_copy(update={"name": "Northfield Mill", "version": 3})
    >>> [(c.field, c.old, c.new) for c in field_changes(a, b)]
    [('name', 'Mill', 'Northfield Mill')]

    """
    old = stored.model_dump(mode="json", exclude=set(_NEVER_SAVED))
    now = new.model_dump(mode="json", exclude=set(_NEVER_SAVED))
    changes: builtins.list[FieldChange] = []
    for name in type(new).model_fields:
        if name in _NEVER_SAVED:
            continue
        before, after = old.get(name), now.get(name)
        if before == after:
            continue
        if name in _BY_KEY and isinstance(before, dict) and isinstance(after, dict):
            for key in sorted(set(before) | set(after), key=str):
                if before.get(key) != after.get(key) or (key in before) != (key in after):
                    changes.append(
                        FieldChange(field=f"{name}.{key}", old=before.get(key), new=after.get(key))
                    )
            continue
        changes.append(FieldChange(field=name, old=before, new=after))
    return changes


def only_attached(old: object, new: object) -> bool:
    """Whether ``new`` is ``old`` (JSON values) with evidence appended to ``attachments`` lists.

    Attaching evidence to a part already recorded (a verification, a contact, a return)
    changes nothing a rule relied on, so ``save()`` accepts it as an amendment even where it
    refuses every other change: each ``attachments`` list may only grow at its end, and
    every other value stays as it is.

    Examples
    --------
    >>> ev = {"sha256": "ab" * 32, "uri": "file:///e/ab"}
    >>> only_attached({"evidence": "ok", "attachments": []},
    ...               {"evidence": "ok", "attachments": [ev]})
    True
    >>> only_attached({"evidence": "ok", "attachments": [ev]},
    ...               {"evidence": "edited", "attachments": [ev, ev]})
    False
    >>> only_attached([{"attachments": [ev]}], [{"attachments": []}])
    False

    """
    if isinstance(old, dict) and isinstance(new, dict):
        if set(old) - {"attachments"} != set(new) - {"attachments"}:
            return False
        before, after = old.get("attachments", []), new.get("attachments", [])
        if not isinstance(before, list) or not isinstance(after, list):
            return False
        if after[: len(before)] != before:
            return False
        return all(only_attached(old[k], new[k]) for k in old if k != "attachments")
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(
            only_attached(a, b) for a, b in zip(old, new, strict=True)
        )
    return old == new


class Repository(Generic[E]):
    """Add, get, list and save one kind of record (``qms.batches``, ``qms.suppliers``...).

    Every method is one storage transaction. ``list(**filters)`` filters on ``status``
    (one value or several) and ``ids`` in the database, and on any other field by
    equality (``qms.batches.list(supplier_id="SUP-MILL")``): text values of the fields in
    :data:`qualityflow.storage.base.INDEXED_FIELDS` through the storage's field index,
    the others after loading. ``limit``/``after`` page by id and :meth:`iter_list`
    streams, so that no call needs every record in memory.
    """

    def __init__(self, service: QualityFlow, kind: str, model: type[E]) -> None:
        self._service = service
        self.kind = kind
        self.model: type[E] = model

    @property
    def _storage(self) -> Storage:
        return self._service.storage

    def _typed(self, entity: object) -> E:
        if not isinstance(entity, self.model):  # pragma: no cover - storage returns the kind
            raise TypeError(f"expected a {self.model.__name__}, got {type(entity).__name__}")
        return entity

    def add(self, entity: E) -> E:
        """Store a new record; returns the stored copy (version 1)."""
        self._check_type(entity)
        return self._typed(self._storage.add(entity))

    def get(self, id: str) -> E:
        """Load a record by id, or raise :class:`qualityflow.NotFoundError`."""
        return self._typed(self._storage.get(self.kind, id))

    def list(
        self, *, limit: int | None = None, after: str | None = None, **filters: Any
    ) -> builtins.list[E]:
        """List records ordered by id, filtered by field values.

        Equality on an indexed field (:data:`qualityflow.storage.base.INDEXED_FIELDS`,
        e.g. a batch's ``supplier_id``, an inspection's ``batch_id``) is answered through
        the storage's index; every record found is checked against all filters again,
        so the result never depends on the index being right. ``after`` keeps ids after
        it and ``limit`` at most that many: pass a page's last id as the next ``after``.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> _ = qms.suppliers.add(qf.Supplier(id="SUP-MILL", name="Northfield Mill"))
        >>> [s.id for s in qms.suppliers.list(status="approved")]
        ['SUP-MILL']
        >>> for n in range(3):
        ...     _ = qms.batches.add(qf.Batch(id=f"FLOUR-{n}", kind="raw_material",
        ...         product="flour", supplier_id="SUP-MILL",
        ...         quantity=qf.Quantity(amount=1, unit="t")))
        >>> [b.id for b in qms.batches.list(supplier_id="SUP-MILL", limit=2)]
        ['FLOUR-0', 'FLOUR-1']
        >>> [b.id for b in qms.batches.list(supplier_id="SUP-MILL", after="FLOUR-1")]
        ['FLOUR-2']

        """
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise ValueError(f"limit={limit!r}: give a number of records, 0 or more")
        if limit is None:
            return builtins.list(self._iter(filters, after=after, page=None))
        if limit == 0:
            self._iter(filters, page=1)  # still refuse unknown filters (reads nothing)
            return []
        found = self._iter(filters, after=after, page=limit, at_least=100)
        return builtins.list(itertools.islice(found, limit))

    def iter_list(
        self, *, page: int = 500, after: str | None = None, **filters: Any
    ) -> Iterator[E]:
        """Yield the records :meth:`list` would return, reading ``page`` at a time.

        Each page is its own short read, so iterating a million lots holds one page in
        memory (on a storage without paging, see
        :class:`qualityflow.storage.ListingStorage`, the kind is read whole first).

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> for n in range(5):
        ...     _ = qms.batches.add(qf.Batch(id=f"BISC-{n}", kind="finished",
        ...         product="biscuits", quantity=qf.Quantity(amount=1, unit="pack")))
        >>> sum(1 for _ in qms.batches.iter_list(kind="finished", page=2))
        5

        """
        if not isinstance(page, int) or page < 1:
            raise ValueError(f"page={page!r}: read at least one record per page")
        return self._iter(filters, after=after, page=page)

    def _iter(
        self,
        filters: dict[str, Any],
        *,
        after: str | None = None,
        page: int | None,
        at_least: int = 1,
    ) -> Iterator[E]:
        """Check the filters, push what the storage can answer down, filter the rest.

        ``page=None`` reads in one go; ``at_least`` widens the pages when some filters
        are applied here (a ``limit`` of 2 then still reads a useful page).
        """
        fields = self.model.model_fields
        unknown = sorted(k for k in filters if k not in fields and k not in _PUSHED_DOWN)
        unknown += [k for k in _PAGING if k in filters]  # only as list()'s own arguments
        if unknown:
            raise TypeError(
                f"{self.kind} records cannot be filtered by {', '.join(unknown)}: use status, "
                f"ids or one of the fields {', '.join(sorted(fields))}"
            )
        status = filters.pop("status", None)
        if status is not None and not isinstance(status, str):
            status = [str(_value(s)) for s in status]
        elif status is not None:
            status = str(_value(status))
        ids = filters.pop("ids", None)
        if ids is not None:
            ids = builtins.list(dict.fromkeys(ids))
        wanted = {name: _value(value) for name, value in filters.items()}
        indexed = INDEXED_FIELDS.get(self.kind, ())
        where = {n: v for n, v in wanted.items() if n in indexed and isinstance(v, str)}
        storage = self._storage
        found: Iterator[Entity]
        if page is not None and len(where) < len(wanted):
            page = max(page, at_least)
        if isinstance(storage, ListingStorage):
            if page is None:
                found = iter(
                    storage.list(self.kind, status=status, ids=ids, where=where, after=after)
                )
            else:
                found = storage.iter_list(
                    self.kind, status=status, ids=ids, where=where, after=after, page=page
                )
        else:
            # A backend without where/limit (see ListingStorage): the kind, then Python.
            found = iter(storage.list(self.kind, status=status, ids=ids))
            if after is not None:
                found = (e for e in found if e.id > after)
        return (
            self._typed(e)
            for e in found
            if all(_value(getattr(e, name)) == value for name, value in wanted.items())
        )

    def save(
        self,
        entity: E,
        *,
        actor: ActorLike = "",
        reason: str = "",
        at: datetime | None = None,
        approved_by: ActorLike | None = None,
    ) -> E:
        """Store changed free fields as a recorded amendment, if nobody saved in between.

        For records with an ``amendments`` list (incidents, complaints, batches,
        suppliers) the changed fields are found by comparing ``entity`` with the stored
        copy, in the same transaction. Fields that a rule relies on are refused with a
        :class:`~qualityflow.ProtectedFieldError` naming the field and the command to use
        instead (each repository documents its own); every accepted change appends one
        :class:`~qualityflow.Amendment` (``actor``, ``at`` or the service clock,
        ``reason``, the fields with old and new values), hash-chained onto the one before.
        ``actor`` (an :class:`~qualityflow.Actor` or a name) is required when anything
        changes, and the service's policy is asked about ``<kind>.save``; saving an
        unchanged record writes nothing and returns the stored copy. Other records are
        stored as given.

        A record in a final state (closed, cancelled, rejected, terminated) is also asked
        about as ``<kind>.amend_closed``, with a :class:`~qualityflow.people.ClosedAmendment`
        naming ``approved_by``: a policy with the segregation rule
        ``closed_amendment_approved`` (on in ``qf.policies.STRICT``) refuses such an
        amendment unless a second person approves it. The approver's name is kept in the
        amendment (``approved_by``).

        Raises :class:`qualityflow.ConcurrencyError` (writing nothing) when the stored
        version is newer: reload, apply the change again, save.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> mill = qms.suppliers.add(qf.Supplier(id="SUP-MILL", name="Mill"))
        >>> mill.name = "Northfield Mill"
        >>> saved = qms.suppliers.save(mill, actor="QA Dana", reason="legal name")
        >>> [(c.field, c.old, c.new) for c in saved.amendments[-1].changes]
        [('name', 'Mill', 'Northfield Mill')]
        >>> saved.status = qf.SupplierStatus.APPROVED  # unchanged: nothing to record
        >>> qms.suppliers.save(saved).version
        2

        """
        self._check_type(entity)
        if "amendments" not in self.model.model_fields:
            return self._typed(self._storage.save(entity))
        with self._storage.transaction():
            stored = self.get(entity.id)
            if stored.version != entity.version:
                raise stale_version(self.kind, entity.id, stored.version, entity.version)
            # Re-validate: in-place edits of lists and dicts are not checked by pydantic.
            raw = entity.model_dump(mode="json", warnings=False)  # model_copy skips validation
            new = self._typed(type(entity).model_validate(raw))
            changes = field_changes(stored, new)
            refused: builtins.list[Refusal] = []
            if getattr(new, "amendments", []) != getattr(stored, "amendments", []):
                refused.append(
                    (
                        "amendments",
                        f"{self.kind} {entity.id!r}: amendments are written by the service, one "
                        "per save(); do not edit them (change the fields and save)",
                    )
                )
            if not changes and not refused:
                return stored
            refused += self._refused(stored, new, changes)
            state = str(_value(getattr(stored, "status", "")))
            if refused:
                raise ProtectedFieldError(
                    state, [f for f, _ in refused], [why for _, why in refused]
                )
            actor_id = ""
            approver = None if approved_by is None else self._service.resolve_actor(approved_by)
            if (isinstance(actor, str) and actor.strip()) or not isinstance(actor, str):
                service = self._service
                who = service._authorized(actor, f"{self.kind}.save", new)
                if state in FINAL_STATES:
                    closed = ClosedAmendment(self.kind, new, state, approver)
                    service._authorized(who, f"{self.kind}.amend_closed", closed)
                actor, actor_id = who.name, "" if who.id == who.name else who.id
            if type(actor) is not str or not actor.strip():
                raise TransitionError(
                    "save",
                    state,
                    [
                        f"{self.kind} {entity.id!r}: say who changes "
                        f"{', '.join(c.field for c in changes)}: pass actor=... (and a reason)"
                    ],
                )
            future = self._future_times(stored, new, changes)
            if future:
                raise TransitionError(
                    "save", state, [f"{self.kind} {entity.id!r}: {r}" for r in future]
                )
            amended = self._amended(
                stored,
                new,
                changes,
                actor=actor,
                reason=reason,
                at=at,
                actor_id=actor_id,
                approved_by="" if approver is None else approver.name,
            )
            return self._typed(self._storage.save(amended))

    def _future_times(
        self, stored: E, new: E, changes: builtins.list[FieldChange]
    ) -> builtins.list[str]:
        """Return a reason for each new time in the changed fields that lies in the future."""
        service = self._service
        names = dict.fromkeys(c.field.split(".", 1)[0] for c in changes)
        now, tolerance = service.now(), service.clock_tolerance
        old = set(future_times({n: getattr(stored, n) for n in names}, now, tolerance))
        new_reasons = future_times({n: getattr(new, n) for n in names}, now, tolerance)
        return [r for r in new_reasons if r not in old]

    def _refused(
        self, stored: E, new: E, changes: builtins.list[FieldChange]
    ) -> builtins.list[Refusal]:
        """Return the changed fields this kind's rules refuse (none for a plain repository)."""
        return []

    def _amended(
        self,
        stored: E,
        new: E,
        changes: builtins.list[FieldChange],
        *,
        actor: str,
        reason: str,
        at: datetime | None,
        actor_id: str = "",
        approved_by: str = "",
    ) -> E:
        """Return ``new`` with one sealed amendment recording ``changes`` appended.

        Also used by the service's own commands for the fields they keep in step (an
        incident's ``complaint_ids`` on escalation), so every change of the stored state
        is in the history or the amendments.
        """
        service = self._service
        state = str(_value(getattr(stored, "status", "")))
        now = service.now()
        when = caller_time(now, service.clock_tolerance, at, f"{self.kind} {stored.id!r}", state)
        recorded = next_stamp(stored, now)
        previous: builtins.list[Amendment] = list(getattr(stored, "amendments", []))
        amendment = Amendment(
            at=when,
            actor=actor,
            actor_id=actor_id,
            approved_by=approved_by,
            reason=reason,
            changes=changes,
            recorded_at=recorded,
            entity=f"{self.kind}/{stored.id}",
            state=state_digest(new),
        )
        sealed = seal(amendment, previous[-1].hash if previous else "")
        return self._typed(new.model_copy(update={"amendments": [*previous, sealed]}))

    def _check_type(self, entity: object) -> None:
        if not isinstance(entity, self.model):
            raise TypeError(
                f"qms.{self.kind}... stores {self.model.__name__} records, "
                f"not {type(entity).__name__}"
            )


def caller_time(
    now: datetime, tolerance: timedelta, at: datetime | None, what: str, state: str
) -> datetime:
    """Return the caller's ``at`` (or ``now``), refusing a naive time or one in the future.

    ``at`` may lie at most ``tolerance`` (``qms.clock_tolerance``) after the service
    clock's ``now``.
    """
    if at is None:
        return now
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise TransitionError(
            "save",
            state,
            [
                f"{what}: the time 'at' ({at!r}) has no time zone: give an aware datetime, "
                "for example datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)"
            ],
        )
    if at > now + tolerance:
        raise TransitionError(
            "save",
            state,
            [
                f"{what}: the time 'at' {at.isoformat()} lies in the future (the service "
                f"clock says {now.isoformat()}, tolerance {tolerance}); give the time the "
                "change was made, or leave 'at' out"
            ],
        )
    return at
