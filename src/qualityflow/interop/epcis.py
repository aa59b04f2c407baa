"""GS1 EPCIS import into a batch genealogy.

:func:`load_epcis` reads what partners send (EPCIS 2.0 JSON-LD, EPCIS 1.2 and 2.0 XML) and
builds one :class:`~qualityflow.genealogy.Genealogy` from any number of documents:

* lots keep the partner's identifiers (``urn:epc:class:lgtin:...``, GS1 Digital Link, the
  data's own lot URIs, SGTIN instances); two spellings of one GS1 key become one node, named
  by the spelling seen first;
* a TransformationEvent links every input to every output, with the input's quantity;
  events sharing a ``transformationID`` are one transformation;
* AggregationEvents put lots and cases into cases and pallets over time (ADD, DELETE),
  applied in event-time order: shipping a pallet ships what it held at that moment.
  Containment is not genealogy: pallets and cases (SSCCs) are not nodes;
* a shipping ObjectEvent or TransactionEvent becomes one
  :class:`~qualityflow.models.Shipment` per lot shipped, to the destination's owning party,
  else its location, else the ``bizLocation`` of the receiving event that confirms it;
  receiving events confirm shipments; a TransactionEvent's business transactions (po, bol)
  are kept on the shipment;
* AssociationEvents (a sensor or device attached to an asset) are not genealogy: they are
  kept in :attr:`EpcisImport.associations`, with a warning where they name a lot;
* error declarations retract the declared event, matched by eventID or, for events
  without one, by equal content; the corrective events apply;
* destroying events mark the lot scrapped;
* duplicates (the same eventID, or the same content under another id, sensor data and
  extension fields included) count once;
* pre-CBV vocabularies (``urn:epcglobal:fmcg:bizstep:receiving``...) read as CBV terms.

Flaws in the data become :class:`EpcisWarning` entries, never crashes; ``strict=True``
raises :class:`~qualityflow.errors.InteropError` on the first one.

Quantities EPCIS does not give (an SGTIN instance, a lot named without a quantity) are
recorded as ``Quantity(amount=0, unit="unknown")`` with ``attributes["quantity_known"] =
False`` on the batch; a shipment of unknown quantity gets the same zero-unknown quantity.
"""

from __future__ import annotations

import gc
import itertools
import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import networkx as nx
from pydantic import ValidationError

from qualityflow.errors import GenealogyError, InteropError
from qualityflow.genealogy import Genealogy
from qualityflow.i18n import N_, _
from qualityflow.interop._read import Document, read_source
from qualityflow.interop._vocab import identifier_key, product_class
from qualityflow.interop.events import (
    EpcisEvent,
    EpcisWarning,
    QuantityElement,
    normalise_event,
)
from qualityflow.models import Batch, BatchKind, BatchStatus, Quantity, Shipment

__all__ = ["EpcisImport", "EpcisWarning", "ShipmentRecord", "load_epcis"]

UNKNOWN_UNIT = "unknown"
QF_BATCH = "qf:batch"
QF_SHIPMENT_ID = "qf:shipmentId"
QF_CUSTOMER_PREFIX = "urn:qualityflow:party:"
QF_LOT_PREFIX = "urn:qualityflow:lot:"
QF_LINE_PREFIX = "urn:qualityflow:line:"
QF_REGION = "qf:region"

# The importer's warnings and refusals: marked with N_ (the English text is the message
# id) and translated with _() when the warning is made, so the active locale words it.
# Ids, EPCs, URNs, files, times and quantities are placeholders and stay as they are.
LOGISTIC_UNIT_EMPTY = N_(
    "{epc} is shipped but holds nothing known at {time}; recorded as a lot of its own"
)
DELETE_NO_SHIPMENT = N_(
    "TransactionEvent with action DELETE and step {step}: the objects are taken off the "
    "business transactions, not moved; no shipment recorded"
)
DELETE_NO_RECEIPT = N_(
    "TransactionEvent with action DELETE and step {step}: the objects are taken off the "
    "business transactions, not moved; no receipt recorded"
)
ASSOCIATION_WITHOUT_PARENT = N_("AssociationEvent without parentID; association not recorded")
ASSOCIATION_STEP = N_(
    "AssociationEvent with step {step}: an association is not a shipment or receipt; "
    "recorded in associations only. Send the {step} as an ObjectEvent or TransactionEvent"
)
ASSOCIATION_LINKS_LOTS = N_(
    "AssociationEvent links {lots} with {others}; associations are not genealogy, so "
    "tracing and recall do not follow them"
)
ASSOCIATION_LINKS_ONLY_LOTS = N_(
    "AssociationEvent links {lots} with other lots; associations are not genealogy, so "
    "tracing and recall do not follow them"
)
CONTAINS_ITSELF = N_("{epc} cannot contain itself; ignored")
UNPACKING_NOT_HELD = N_("unpacking {child} from {parent}, which did not hold it")
SHIPPED_AFTER_DESTROYED = N_(
    "{lot} shipped at {time} after {event_id} destroyed it at {destroyed_at}"
)
SHIPPED_AFTER_CONSUMED = N_(
    "{lot} shipped at {time} after {event_id} consumed it ({consumed} of {held}) at {consumed_at}"
)
SHIPPED_AFTER_CONSUMED_UNKNOWN = N_(
    "{lot} shipped at {time} after {event_id} consumed it at {consumed_at}; the quantities "
    "do not say whether any was left to ship"
)
INPUT_MIXED_UNITS = N_(
    "input {lot} is given in several units or partly without a quantity; link quantity "
    "taken as {quantity}"
)
INPUT_IS_OUTPUT = N_("{lot} is both input and output; link skipped")
LINK_CLOSES_CYCLE = N_("link {source} -> {target} would close a cycle ({cycle}); link skipped")
INVALID_QF_BATCH = N_("{field} of {lot} is not a valid batch ({error}); derived instead")
OVERCONSUMED = N_("more of {lot} consumed ({consumed}) than the lot holds ({declared})")
DUPLICATE_EVENT = N_("duplicate of the event with the same eventID in {file}; counted once")
SAME_CONTENT_OTHER_ID = N_(
    "same content as event {event_id} ({file}) under another id; counted once"
)
EVENT_ID_REUSED = N_(
    "eventID also used by a different event in {file} ({type} at {time}); eventIDs must be "
    "unique, both events kept"
)
CORRECTIVE_EVENT_MISSING = N_(
    "error declaration names corrective event {event_id}, which is not in the documents "
    "loaded (or is itself declared erroneous); the declared event is retracted without "
    "replacement"
)
SOURCE_UNREADABLE = N_("source {index}: could not be read as EPCIS ({error_type}: {error})")
EVENT_UNREADABLE = N_("event #{number} could not be read ({error_type}: {error}); skipped")
DESTINATION_FROM_RECEIPT = N_(
    "shipping of {lot} names no destination; destination taken from receiving event "
    "{event_id} at {location}"
)
NO_DESTINATION = N_(
    "shipping of {lot} names no destination and no receiving event confirms it; customer "
    "recorded as 'unknown'"
)
NO_GENEALOGY = N_("the EPCIS data could not be turned into a genealogy: {error}")
Source = str | bytes | Path | Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ShipmentRecord:
    """Where a shipment came from in the EPCIS data: for FSMA 204 reference documents.

    ``containers`` lists the pallets and cases (outermost first) the lot travelled in;
    ``received_by`` is the receiving event that confirmed it (``None`` when none did),
    ``received_at`` its location and ``received_on`` its time. ``other_events`` lists
    further events that recorded the same shipment (the TransactionEvent naming the order
    beside the shipping ObjectEvent); ``biz_transactions`` holds all of theirs.
    """

    shipment_id: str
    event_id: str
    file: str
    ship_from: str | None
    containers: tuple[str, ...]
    received_by: str | None
    received_at: str | None
    received_on: datetime | None
    biz_transactions: tuple[tuple[str, str], ...]
    other_events: tuple[str, ...] = ()


@dataclass
class EpcisImport:
    """The result of :func:`load_epcis`.

    Attributes
    ----------
    genealogy
        One :class:`~qualityflow.genealogy.Genealogy` over every document loaded.
    warnings
        :class:`EpcisWarning` entries (file, event id, message) for each flaw found.
    events
        The events applied, normalised, in event-time order (duplicates and retracted
        events left out).
    retracted
        Event ids withdrawn by error declarations.
    shipments
        For each shipment id, the :class:`ShipmentRecord` it was read from.
    aliases
        Spelling-independent identifier keys and the node each names (see
        :meth:`node_id`).
    packing
        For each pallet or case, its packing and unpacking in event-time order
        (see :meth:`contents`).
    associations
        For each parent asset of an AssociationEvent, ``(time, action, children)`` in
        event-time order: sensors and devices attached (ADD), observed (OBSERVE) or taken
        off (DELETE). Associations are not genealogy and are not in the graph.

    """

    genealogy: Genealogy
    warnings: list[EpcisWarning]
    events: list[EpcisEvent]
    retracted: list[str] = field(default_factory=list)
    shipments: dict[str, ShipmentRecord] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    packing: dict[str, list[tuple[datetime, str, tuple[str, ...]]]] = field(default_factory=dict)
    associations: dict[str, list[tuple[datetime, str, tuple[str, ...]]]] = field(
        default_factory=dict
    )

    def contents(self, container: str, at: datetime) -> set[str]:
        """Return what a pallet or case held directly at ``at`` (from the packing events).

        Containment is not genealogy, so pallets and cases (SSCCs) are not genealogy nodes;
        this answers "what was on pallet X when it left?". Nested cases are listed by
        their own ids; ask again for what they held.

        Examples
        --------
        >>> # loaded.contents("urn:epc:id:sscc:08600031303.0005", shipped_at)
        >>> # {'urn:epc:id:sscc:08600031303.0004'}

        """
        held: set[str] = set()
        for when, action, children in self.packing.get(self.node_id(container) or container, []):
            if when > at:
                break
            if action == "DELETE" and not children:
                held.clear()
            elif action == "DELETE":
                held.difference_update(children)
            else:
                held.update(children)
        return held

    def node_id(self, identifier: str) -> str | None:
        """Return the genealogy node for any spelling of an identifier, or ``None``.

        Examples
        --------
        >>> # "https://id.gs1.org/01/00614141777778/10/987" and
        >>> # "urn:epc:class:lgtin:0614141.077777.987" give the same node

        """
        node = self.aliases.get(identifier_key(identifier))
        if node is not None and (node in self.genealogy.graph or node in self.packing):
            return node
        return None


class _Report:
    """Collects warnings, or raises the first one in strict mode."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.warnings: list[EpcisWarning] = []

    def warn(self, file: str, event_id: str | None, message: str) -> None:
        warning = EpcisWarning(file, event_id, message)
        if self.strict:
            raise InteropError(str(warning))
        self.warnings.append(warning)

    def for_file(self, file: str) -> Any:
        return lambda event_id, message: self.warn(file, event_id, message)


def _ship_to(event: EpcisEvent) -> str | None:
    """Return the party a shipping event sends to: its owner, else holder, else place.

    The first destination of the preferred type wins; without any of those types, the
    first destination given. ``None`` when the event names no destination.
    """
    customer: str | None = None
    by_type = {kind: value for kind, value in reversed(event.destinations)}
    for kind in ("owning_party", "possessing_party", "location"):
        if kind in by_type:
            customer = by_type[kind]
            break
    else:
        if event.destinations:
            customer = event.destinations[0][1]
    return _decode_party(customer) if customer else None


def _label(event: EpcisEvent) -> str:
    return event.event_id if event.has_event_id else f"#{event.position + 1} (no eventID)"


def _is_logistic_unit(identifier: str) -> bool:
    lower = identifier.lower()
    return lower.startswith("urn:epc:id:sscc:") or identifier_key(identifier).startswith("gs1:00/")


def _decode_lot(identifier: str) -> str:
    if identifier.startswith(QF_LOT_PREFIX):
        from urllib.parse import unquote

        return unquote(identifier[len(QF_LOT_PREFIX) :])
    return identifier


def _decode_party(identifier: str) -> str:
    if identifier.startswith(QF_CUSTOMER_PREFIX):
        from urllib.parse import unquote

        return unquote(identifier[len(QF_CUSTOMER_PREFIX) :])
    return identifier


@dataclass(slots=True)
class _Total:
    """A running :func:`_sum`: elements added one by one give what ``_sum`` of them gives."""

    unit: str | None = None
    amount: Decimal | None = None
    consistent: bool = True

    def add(self, element: QuantityElement) -> None:
        if element.quantity is None or element.unit is None:
            self.consistent = False
        elif self.unit is None:
            self.unit, self.amount = element.unit, element.quantity
        elif element.unit != self.unit:
            self.consistent = False
        else:
            assert self.amount is not None
            self.amount += element.quantity

    def quantity(self) -> Quantity | None:
        if self.unit is None or self.amount is None:
            return None
        return _quantity(self.amount, self.unit)


@dataclass(slots=True)
class _Lot:
    """What the events say of one lot so far.

    The lists keep the history; the totals beside them are kept up to date as elements
    arrive, so that the checks made at each shipment cost the same however often the lot
    was shipped, consumed or seen before.
    """

    node: str
    first_file: str
    files: list[str] = field(default_factory=list)
    file_set: set[str] = field(default_factory=set)
    outputs: list[QuantityElement] = field(default_factory=list)
    added: list[QuantityElement] = field(default_factory=list)
    seen: list[QuantityElement] = field(default_factory=list)
    created_by: EpcisEvent | None = None
    consumed: list[tuple[datetime, QuantityElement, EpcisEvent]] = field(default_factory=list)
    qf_batch: Mapping[str, Any] | None = None
    lot_number: str | None = None
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)
    destroyed_by: EpcisEvent | None = None
    # running totals: _sum(outputs), _sum(added), and the largest seen amount in the unit
    # of the first seen element that had one
    output_total: _Total = field(default_factory=_Total)
    added_total: _Total = field(default_factory=_Total)
    seen_unit: str | None = None
    seen_amount: Decimal | None = None
    # _sum of the consumption before the latest consumption time; the consumption at that
    # time (events are applied in time order, so nothing later is known yet) is set apart
    # until a later event folds it in, because a shipment at that very time does not count it
    consumed_before: _Total = field(default_factory=_Total)
    consumed_last: list[QuantityElement] = field(default_factory=list)
    consumed_last_time: datetime | None = None
    # open_shipments of the lot before this index are all received
    receipts_from: int = 0

    def see(self, element: QuantityElement) -> None:
        self.seen.append(element)
        if element.quantity is None or element.unit is None:
            return
        if self.seen_unit is None:
            self.seen_unit, self.seen_amount = element.unit, element.quantity
        elif self.seen_unit == element.unit:
            assert self.seen_amount is not None
            if element.quantity > self.seen_amount:
                self.seen_amount = element.quantity

    def output(self, element: QuantityElement) -> None:
        self.outputs.append(element)
        self.output_total.add(element)

    def add(self, element: QuantityElement) -> None:
        self.added.append(element)
        self.added_total.add(element)

    def consume(self, when: datetime, element: QuantityElement, event: EpcisEvent) -> None:
        self.consumed.append((when, element, event))
        if self.consumed_last_time is not None and self.consumed_last_time < when:
            for earlier in self.consumed_last:
                self.consumed_before.add(earlier)
            self.consumed_last.clear()
        self.consumed_last_time = when
        self.consumed_last.append(element)

    def consumed_until(self, when: datetime) -> _Total:
        """Return the running total of what was consumed strictly before ``when``.

        ``when`` is the time of the event being applied: no consumption is later.
        """
        if self.consumed_last_time is not None and self.consumed_last_time < when:
            for earlier in self.consumed_last:
                self.consumed_before.add(earlier)
            self.consumed_last.clear()
            self.consumed_last_time = None
        return self.consumed_before


@dataclass(slots=True)
class _PendingShipment:
    shipment_id: str
    node: str
    event: EpcisEvent
    quantity: QuantityElement | None
    containers: tuple[str, ...]
    customer: str | None
    region: str | None = None
    received: EpcisEvent | None = None
    # business transactions of a TransactionEvent that recorded the same shipment
    also: list[EpcisEvent] = field(default_factory=list)


@dataclass(slots=True)
class _Instant:
    """The shipments of one lot at one instant not yet recorded by an event of each type.

    A shipping ObjectEvent and a TransactionEvent of the same lot at the same instant are
    one shipment (:meth:`_Builder.same_shipment`); this finds the other event's shipment
    without looking through every shipment of the lot at that instant. The index is made
    the first time it is asked: most lots are shipped once at any one instant.
    """

    time: datetime
    pendings: list[_PendingShipment] = field(default_factory=list)
    # event type -> customer -> shipments not taken, in the order they were recorded
    open: dict[str, dict[str | None, list[_PendingShipment]]] | None = None
    # event type -> shipments in the order they were recorded (some since taken)
    order: dict[str, list[_PendingShipment]] = field(default_factory=dict)
    taken: set[int] = field(default_factory=set)
    sequence: dict[int, int] = field(default_factory=dict)

    def add(self, pending: _PendingShipment) -> None:
        self.pendings.append(pending)
        if self.open is not None:
            self.index(pending)

    def index(self, pending: _PendingShipment) -> None:
        assert self.open is not None
        kind = pending.event.type
        self.sequence[id(pending)] = len(self.sequence)
        self.open.setdefault(kind, {}).setdefault(pending.customer, []).append(pending)
        self.order.setdefault(kind, []).append(pending)

    def take(self, kind: str, party: str | None) -> _PendingShipment | None:
        """Return (and take) the latest shipment of the other type for ``party``, if any."""
        other = _TWIN_TYPES.get(kind)
        if other is None:
            return None
        if self.open is None:
            self.open = {}
            for pending in self.pendings:
                self.index(pending)
        by_customer = self.open.get(other)
        if not by_customer:
            return None
        found: _PendingShipment | None
        if party is None:
            order = self.order[other]
            while order and id(order[-1]) in self.taken:
                order.pop()
            found = order[-1] if order else None
        else:
            anyone = by_customer.get(None)
            named = by_customer.get(party)
            if anyone and named:
                sequence = self.sequence
                later = sequence[id(anyone[-1])] > sequence[id(named[-1])]
                found = anyone[-1] if later else named[-1]
            elif anyone:
                found = anyone[-1]
            elif named:
                found = named[-1]
            else:
                found = None
        if found is None:
            return None
        by_customer[found.customer].pop()
        self.taken.add(id(found))
        return found


_TWIN_TYPES = {"ObjectEvent": "TransactionEvent", "TransactionEvent": "ObjectEvent"}


def _sum(elements: Iterable[QuantityElement]) -> tuple[Quantity | None, bool]:
    """Sum quantities of one unit; second value False when units disagree or some are missing."""
    total: Decimal | None = None
    unit: str | None = None
    consistent = True
    for element in elements:
        if element.quantity is None or element.unit is None:
            consistent = False
            continue
        if unit is None:
            unit, total = element.unit, element.quantity
        elif element.unit != unit:
            consistent = False
        else:
            assert total is not None
            total += element.quantity
    if unit is None or total is None:
        return None, consistent
    return _quantity(total, unit), consistent


_QUANTITIES: dict[tuple[str, str], Quantity] = {}


def _quantity(amount: Decimal, unit: str) -> Quantity:
    # Amounts and units were checked when the event was read (finite, >= 0, non-empty).
    # Quantities are immutable, so equal ones are shared; real data repeats them a lot.
    # The key is the amount as written (5.0 is not 5), so that what an import reports
    # does not depend on what was imported before it in the same process.
    key = (str(amount), unit)
    quantity = _QUANTITIES.get(key)
    if quantity is None:
        if len(_QUANTITIES) > 100_000:
            _QUANTITIES.clear()
        quantity = _QUANTITIES[key] = Quantity.model_construct(amount=amount, unit=unit)
    return quantity


class _Builder:
    """Applies normalised events, in event-time order, to a genealogy plan."""

    def __init__(self, report: _Report, master_data: Mapping[str, Mapping[str, str]]) -> None:
        self.report = report
        self.master = master_data
        self.aliases: dict[str, str] = {}
        self.spellings: dict[str, str] = {}  # identifier as written -> node (a cache)
        self.lots: dict[str, _Lot] = {}
        self.contents: dict[str, dict[str, QuantityElement | None]] = {}
        self.groups: dict[str, list[EpcisEvent]] = {}
        self.shipments: list[_PendingShipment] = []
        self.shipment_ids: set[str] = set()
        self.open_shipments: dict[str, list[_PendingShipment]] = defaultdict(list)
        # the shipments of each lot at the latest time it was shipped (see same_shipment)
        self.instants: dict[str, _Instant] = {}
        self.next_suffix: dict[str, int] = {}
        self.packing: dict[str, list[tuple[datetime, str, tuple[str, ...]]]] = {}
        self.associations: dict[str, list[tuple[datetime, str, tuple[str, ...]]]] = {}
        self.association_events: dict[str, EpcisEvent] = {}

    # identifiers -------------------------------------------------------------------
    def node(self, identifier: str) -> str:
        node = self.spellings.get(identifier)
        if node is not None:
            return node
        decoded = _decode_lot(identifier)
        key = identifier_key(decoded)
        node = self.aliases.get(key)
        if node is None:
            node = decoded
            self.aliases[key] = node
        self.spellings[identifier] = node
        return node

    def lot(self, identifier: str, event: EpcisEvent) -> _Lot:
        node = self.node(identifier)
        lot = self.lots.get(node)
        if lot is None:
            lot = self.lots[node] = _Lot(node, event.file)
        if (not lot.files or lot.files[-1] != event.file) and event.file not in lot.file_set:
            lot.files.append(event.file)
            lot.file_set.add(event.file)
        return lot

    def warn(self, event: EpcisEvent, message: str) -> None:
        self.report.warn(event.file, _label(event), message)

    # containment -------------------------------------------------------------------
    def held(
        self, container: str, path: tuple[str, ...] = ()
    ) -> list[tuple[str, QuantityElement | None, tuple[str, ...]]]:
        """Everything inside ``container`` now, with the containers it sits in."""
        out: list[tuple[str, QuantityElement | None, tuple[str, ...]]] = []
        inner_path = (*path, container)
        for child, quantity in self.contents.get(container, {}).items():
            if child in inner_path:
                continue
            if self.contents.get(child):
                if child in self.lots:
                    out.append((child, quantity, inner_path))
                out.extend(self.held(child, inner_path))
            else:
                out.append((child, quantity, inner_path))
        return out

    def objects(
        self, event: EpcisEvent, shipping: bool = False
    ) -> list[tuple[str, QuantityElement | None, tuple[str, ...]]]:
        """List the lots an ObjectEvent moves: its epcs (containers opened) and quantity lots.

        An empty logistic unit (SSCC) is not a lot; shipping one is a flaw, and it is then
        recorded as a lot of its own so that the shipment is not lost.
        """
        out: list[tuple[str, QuantityElement | None, tuple[str, ...]]] = []
        for epc in event.epcs:
            node = self.node(epc)
            inside = self.held(node) if self.contents.get(node) else []
            if inside:
                if node in self.lots:
                    out.append((node, None, ()))
                out.extend(inside)
            else:
                if _is_logistic_unit(epc) and node not in self.lots:
                    if not shipping:
                        continue
                    self.warn(
                        event,
                        _(LOGISTIC_UNIT_EMPTY).format(epc=epc, time=event.event_time.isoformat()),
                    )
                self.lot(epc, event).see(QuantityElement(node, None, None))
                out.append((node, None, ()))
        for element in event.quantities:
            lot = self.lot(element.epc_class, event)
            lot.see(element)
            out.append((lot.node, element, ()))
        return out

    # events ------------------------------------------------------------------------
    def apply(self, event: EpcisEvent) -> None:
        if event.type == "ObjectEvent":
            self.object_event(event)
        elif event.type == "AggregationEvent":
            self.aggregation(event)
        elif event.type == "TransformationEvent":
            self.transformation(event)
        elif event.type == "TransactionEvent":
            self.transaction(event)
        elif event.type == "AssociationEvent":
            self.association(event)

    def creation(self, lot: _Lot, event: EpcisEvent) -> None:
        if lot.created_by is None:
            lot.created_by = event
        if event.ilmd:
            qf_batch = event.ilmd.get(QF_BATCH)
            if isinstance(qf_batch, Mapping) and qf_batch.get("id") in (lot.node, None):
                lot.qf_batch = qf_batch
            number = next(
                (
                    v
                    for k, v in event.ilmd.items()
                    if k.endswith("lotNumber") and isinstance(v, str)
                ),
                None,
            )
            if number and lot.lot_number is None:
                lot.lot_number = number

    def object_event(self, event: EpcisEvent) -> None:
        moved = self.objects(event, shipping=event.biz_step == "shipping")
        if event.action == "ADD":
            for node, element, path in moved:
                if path:
                    continue
                lot = self.lots[node]
                if element is not None:
                    lot.add(element)
                self.creation(lot, event)
        if event.biz_step == "shipping":
            self.shipping(event, moved)
        elif event.biz_step == "receiving":
            self.receiving(event, moved)
        if event.biz_step == "destroying" or event.disposition == "destroyed":
            self.destroying(event, moved)

    def transaction(self, event: EpcisEvent) -> None:
        """Apply a TransactionEvent: objects tied to business transactions (po, bol...).

        Its objects are known lots whatever the step; with a shipping step it is a
        shipment, with a receiving step a receipt, exactly as an ObjectEvent would be. ADD
        and OBSERVE move the objects; DELETE only takes them off the transactions, so a
        DELETE with a shipping or receiving step records nothing (with a warning). A
        ``parentID`` (the pallet or case the objects travel in) ships what it was packed
        with; when the event lists the objects too, they are what it ships.
        """
        epcs = event.epcs
        parent = event.parent_id
        if (
            parent is not None
            and parent not in epcs
            # the pallet's packed contents, or the pallet itself when nothing else is named;
            # a 1.x partner often names the pallet and lists what is on it as well
            and (self.contents.get(self.node(parent)) or not (epcs or event.quantities))
        ):
            epcs = (parent, *epcs)
        moving = event.action != "DELETE"
        shipping = event.biz_step == "shipping"
        moved = self.objects(event._replace(epcs=epcs), shipping=shipping and moving)
        if not moving:
            if event.biz_step in ("shipping", "receiving"):
                self.warn(
                    event,
                    _(DELETE_NO_SHIPMENT if shipping else DELETE_NO_RECEIPT).format(
                        step=event.biz_step
                    ),
                )
            return
        if shipping:
            self.shipping(event, moved)
        elif event.biz_step == "receiving":
            self.receiving(event, moved)
        elif event.biz_step == "destroying" or event.disposition == "destroyed":
            self.destroying(event, moved)

    def association(self, event: EpcisEvent) -> None:
        """Record an AssociationEvent: a device or asset attached to a parent, or taken off.

        An association is neither a transformation (nothing is made of anything) nor
        packing (the child does not travel as the parent's contents), so it adds nothing to
        the genealogy; it is kept in ``associations``. Where that leaves something out (a
        lot in the association, a shipping or receiving step) a warning
        says so once the import is read.
        """
        if event.parent_id is None:
            if event.action != "OBSERVE":
                self.warn(event, _(ASSOCIATION_WITHOUT_PARENT))
            return
        parent = self.node(event.parent_id)
        children = tuple(
            dict.fromkeys(
                [self.node(epc) for epc in event.epcs]
                + [self.node(q.epc_class) for q in event.quantities]
            )
        )
        self.associations.setdefault(parent, []).append(
            (event.event_time, event.action or "OBSERVE", children)
        )
        self.association_events.setdefault(parent, event)
        if event.biz_step in ("shipping", "receiving"):
            self.warn(event, _(ASSOCIATION_STEP).format(step=event.biz_step))

    def check_associations(self) -> None:
        """Warn about associations that involve lots of the genealogy (not followed)."""
        for parent, history in self.associations.items():
            members = {parent}
            for _time, _action, children in history:
                members.update(children)
            lots = sorted(m for m in members if m in self.lots)
            if lots:
                others = ", ".join(sorted(members - set(lots)))
                self.warn(
                    self.association_events[parent],
                    _(ASSOCIATION_LINKS_LOTS).format(lots=", ".join(lots), others=others)
                    if others
                    else _(ASSOCIATION_LINKS_ONLY_LOTS).format(lots=", ".join(lots)),
                )

    def destroying(
        self, event: EpcisEvent, moved: list[tuple[str, QuantityElement | None, tuple[str, ...]]]
    ) -> None:
        for node, _element, _children in moved:
            lot = self.lots.get(node)
            if lot is not None and lot.destroyed_by is None:
                lot.destroyed_by = event

    def aggregation(self, event: EpcisEvent) -> None:
        if event.parent_id is None:
            return
        parent = self.node(event.parent_id)
        children: list[tuple[str, QuantityElement | None]] = []
        for epc in event.epcs:
            if not _is_logistic_unit(epc):
                self.lot(epc, event)
            children.append((self.node(epc), None))
        for element in event.quantities:
            lot = self.lot(element.epc_class, event)
            lot.see(element)
            children.append((lot.node, element))
        held = self.contents.setdefault(parent, {})
        self.packing.setdefault(parent, []).append(
            (event.event_time, event.action or "OBSERVE", tuple(c for c, _packed in children))
        )
        if event.action in ("ADD", "OBSERVE"):
            for child, packed in children:
                if child == parent:
                    self.warn(event, _(CONTAINS_ITSELF).format(epc=child))
                    continue
                held[child] = packed
        elif event.action == "DELETE":
            if not children:
                held.clear()
            for child, _packed in children:
                if child not in held:
                    self.warn(event, _(UNPACKING_NOT_HELD).format(child=child, parent=parent))
                held.pop(child, None)

    def transformation(self, event: EpcisEvent) -> None:
        key = event.transformation_id or f"\0{event.file}\0{event.event_id}\0{event.position}"
        self.groups.setdefault(key, []).append(event)
        for epc in event.input_epcs:
            self.lot(epc, event).consume(event.event_time, QuantityElement(epc, None, None), event)
        for element in event.input_quantities:
            lot = self.lot(element.epc_class, event)
            lot.consume(event.event_time, element, event)
            lot.see(element)
        for epc in event.output_epcs:
            self.creation(self.lot(epc, event), event)
        for element in event.output_quantities:
            lot = self.lot(element.epc_class, event)
            lot.output(element)
            lot.see(element)
            self.creation(lot, event)

    def shipping(
        self, event: EpcisEvent, moved: list[tuple[str, QuantityElement | None, tuple[str, ...]]]
    ) -> None:
        party = _ship_to(event)
        explicit = event.extensions.get(QF_SHIPMENT_ID)
        region = event.extensions.get(QF_REGION)
        for node, element, path in moved:
            lot = self.lots.get(node)
            if lot is None:
                continue
            twin = self.same_shipment(event, node, party)
            if twin is not None:
                # EPCIS 1.x systems often send a shipping ObjectEvent and a TransactionEvent
                # naming the order for one shipment: one shipment, both events' transactions.
                twin.also.append(event)
                if twin.customer is None:
                    twin.customer = party
                if twin.quantity is None or twin.quantity.quantity is None:
                    twin.quantity = element or twin.quantity
                continue
            base = (
                explicit
                if isinstance(explicit, str) and explicit and len(moved) == 1
                else f"{event.event_id}:{node}"
                if len(moved) > 1
                else event.event_id
            )
            shipment_id = base
            # the suffixes tried for this base before are still taken: go on from there
            start = 2 if base not in self.shipment_ids else self.next_suffix.get(base, 2)
            if start > 2:
                shipment_id = f"{base}#{start - 1}"
            for n in itertools.count(start):
                if shipment_id not in self.shipment_ids:
                    self.next_suffix[base] = n
                    break
                shipment_id = f"{base}#{n}"
            self.shipment_ids.add(shipment_id)
            pending = _PendingShipment(
                shipment_id,
                node,
                event,
                element,
                path,
                party,
                region if isinstance(region, str) and region else None,
            )
            self.shipments.append(pending)
            self.open_shipments[node].append(pending)
            self.instant(node, event.event_time).add(pending)
            self.check_not_consumed(lot, event)
            if lot.destroyed_by is not None and lot.destroyed_by.event_time < event.event_time:
                self.warn(
                    event,
                    _(SHIPPED_AFTER_DESTROYED).format(
                        lot=lot.node,
                        time=event.event_time.isoformat(),
                        event_id=_label(lot.destroyed_by),
                        destroyed_at=lot.destroyed_by.event_time.isoformat(),
                    ),
                )

    def instant(self, node: str, when: datetime) -> _Instant:
        instant = self.instants.get(node)
        if instant is None or instant.time != when:
            instant = self.instants[node] = _Instant(when)
        return instant

    def same_shipment(
        self, event: EpcisEvent, node: str, party: str | None
    ) -> _PendingShipment | None:
        """Return the shipment an ObjectEvent and a TransactionEvent both record, if any.

        The same lot shipped at the same instant by one event of each type, to the same
        party (or with one of them naming none), is one shipment: the latest such shipment
        not yet recorded by an event of each type.
        """
        instant = self.instants.get(node)
        if instant is None or instant.time != event.event_time:
            return None  # events are applied in time order: no shipment of it at this time
        return instant.take(event.type, party)

    def check_not_consumed(self, lot: _Lot, event: EpcisEvent) -> None:
        if not lot.consumed or not lot.consumed[0][0] < event.event_time:
            return
        first = lot.consumed[0]
        total = lot.consumed_until(event.event_time)
        consumed, consistent = total.quantity(), total.consistent
        held = self.declared(lot)
        if consumed is not None and consistent and held is not None and consumed.unit == held.unit:
            if consumed.amount >= held.amount:
                self.warn(
                    event,
                    _(SHIPPED_AFTER_CONSUMED).format(
                        lot=lot.node,
                        time=event.event_time.isoformat(),
                        event_id=_label(first[2]),
                        consumed=consumed,
                        held=held,
                        consumed_at=first[0].isoformat(),
                    ),
                )
            return
        # Without quantities that add up nobody can tell whether anything was left to ship.
        self.warn(
            event,
            _(SHIPPED_AFTER_CONSUMED_UNKNOWN).format(
                lot=lot.node,
                time=event.event_time.isoformat(),
                event_id=_label(first[2]),
                consumed_at=first[0].isoformat(),
            ),
        )

    def receiving(
        self, event: EpcisEvent, moved: list[tuple[str, QuantityElement | None, tuple[str, ...]]]
    ) -> None:
        for node, _element, _children in moved:
            # the lot's first shipment not yet received; shipments are recorded in time
            # order, so when that one is later than the receipt, every other one is too
            pendings = self.open_shipments.get(node)
            lot = self.lots.get(node)
            if not pendings or lot is None:
                continue
            index = lot.receipts_from
            while index < len(pendings) and pendings[index].received is not None:
                index += 1
            lot.receipts_from = index
            if index < len(pendings) and pendings[index].event.event_time <= event.event_time:
                pendings[index].received = event

    # results ----------------------------------------------------------------------
    def declared(self, lot: _Lot) -> Quantity | None:
        """Return the lot's quantity: what made it, else what added it, else the most seen."""
        for total in (lot.output_total, lot.added_total):
            quantity = total.quantity()
            if quantity is not None:
                return quantity
        if lot.seen_unit is None or lot.seen_amount is None:
            return None
        return _quantity(lot.seen_amount, lot.seen_unit)

    def edges(self) -> dict[tuple[str, str], Quantity | None]:
        links: dict[tuple[str, str], Quantity | None] = {}
        for events in self.groups.values():
            inputs: dict[str, list[QuantityElement]] = defaultdict(list)
            outputs: list[str] = []
            for event in events:
                for epc in event.input_epcs:
                    inputs[self.node(epc)].append(QuantityElement(epc, None, None))
                for element in event.input_quantities:
                    inputs[self.node(element.epc_class)].append(element)
                for epc in event.output_epcs:
                    outputs.append(self.node(epc))
                for element in event.output_quantities:
                    outputs.append(self.node(element.epc_class))
            for source, elements in inputs.items():
                quantity, consistent = _sum(elements)
                if not consistent and quantity is not None:
                    self.warn(events[0], _(INPUT_MIXED_UNITS).format(lot=source, quantity=quantity))
                for target in dict.fromkeys(outputs):
                    if target == source:
                        self.warn(events[0], _(INPUT_IS_OUTPUT).format(lot=source))
                        continue
                    key = (source, target)
                    if key in links and links[key] is not None and quantity is not None:
                        previous = links[key]
                        assert previous is not None
                        if previous.unit == quantity.unit:
                            links[key] = previous + quantity
                    else:
                        links.setdefault(key, quantity)
        return links

    def acyclic(
        self, links: dict[tuple[str, str], Quantity | None], where: Mapping[str, EpcisEvent]
    ) -> dict[tuple[str, str], Quantity | None]:
        graph = nx.DiGraph(list(links))
        while not nx.is_directed_acyclic_graph(graph):
            cycle = nx.find_cycle(graph)
            source, target = cycle[-1][0], cycle[-1][1]
            graph.remove_edge(source, target)
            del links[(source, target)]
            event = where.get(target)
            message = _(LINK_CLOSES_CYCLE).format(
                source=source, target=target, cycle=" -> ".join(str(c[0]) for c in cycle)
            )
            if event is not None:
                self.warn(event, message)
            else:
                self.report.warn("<genealogy>", None, message)
        return links

    def product(self, node: str) -> str:
        product = product_class(node)
        for key in (product, node):
            if key and key in self.master:
                attrs = self.master[key]
                for name in ("descriptionShort", "description", "name", "tradeItemDescription"):
                    for attr_id, value in attrs.items():
                        if attr_id.rsplit("#", 1)[-1].rsplit(":", 1)[-1] == name and value:
                            return value
        return product or node

    def batches(self, kinds: Mapping[str, BatchKind]) -> list[Batch]:
        out: list[Batch] = []
        for node, lot in self.lots.items():
            if lot.qf_batch is not None:
                try:
                    out.append(Batch.model_validate({**lot.qf_batch, "id": node}))
                    continue
                except ValidationError as exc:
                    event = lot.created_by
                    assert event is not None
                    self.warn(
                        event, _(INVALID_QF_BATCH).format(field=QF_BATCH, lot=node, error=exc)
                    )
            declared = self.declared(lot)
            attributes: dict[str, Any] = {
                "epcis_files": list(lot.files),
                "quantity_known": declared is not None,
            }
            pc = product_class(node)
            if pc:
                attributes["epcis_product_class"] = pc
            if lot.lot_number:
                attributes["lot_number"] = lot.lot_number
            created = lot.created_by
            if created is not None:
                attributes["epcis_created_by"] = created.event_id
                if created.biz_step:
                    attributes["epcis_cte"] = created.biz_step
                if created.biz_location or created.read_point:
                    attributes["epcis_location"] = created.biz_location or created.read_point
                owner = created.extension("productOwner")
                if isinstance(owner, str):
                    attributes["epcis_owner"] = owner
            if lot.shipments:
                attributes["epcis_shipments"] = lot.shipments
            status = BatchStatus.RELEASED
            if lot.destroyed_by is not None:
                status = BatchStatus.SCRAPPED
                attributes["epcis_destroyed_by"] = lot.destroyed_by.event_id
            consumed, _consistent = _sum(c[1] for c in lot.consumed)
            if (
                consumed is not None
                and declared is not None
                and consumed.unit == declared.unit
                and consumed.amount > declared.amount
            ):
                self.warn(
                    lot.consumed[-1][2],
                    _(OVERCONSUMED).format(lot=node, consumed=consumed, declared=declared),
                )
            # Every value below was checked when its event was read (ids non-empty and
            # stripped, times aware, amounts finite and >= 0, attributes plain JSON), so the
            # per-field validation is skipped: it would double the cost of a large import.
            # ``amendments`` is given (and left out of the fields set, as when defaulted):
            # pydantic inspects a default factory's signature on every construction.
            out.append(
                Batch.model_construct(
                    set(_BATCH_FIELDS_SET),
                    amendments=[],
                    id=node,
                    kind=kinds[node],
                    product=self.product(node),
                    quantity=declared or _quantity(Decimal(0), UNKNOWN_UNIT),
                    status=status,
                    supplier_id=None,
                    line=None,
                    produced_at=created.event_time if created is not None else None,
                    attributes=attributes,
                    version=0,
                )
            )
        return out


_BATCH_FIELDS_SET = frozenset(
    (
        "id",
        "kind",
        "product",
        "quantity",
        "status",
        "supplier_id",
        "line",
        "produced_at",
        "attributes",
        "version",
    )
)


_SHIPMENT = Shipment.model_construct(
    id="-",
    batch_id="-",
    customer_id="-",
    quantity=Quantity.model_construct(amount=Decimal(0), unit=UNKNOWN_UNIT),
    shipped_at=datetime(2000, 1, 1, tzinfo=timezone.utc),
    region=None,
    version=0,
)


def _is_acyclic(links: Mapping[tuple[str, str], object]) -> bool:
    """Kahn's algorithm on plain dicts: cheaper than building a DiGraph for the common case."""
    successors: dict[str, list[str]] = defaultdict(list)
    indegree: dict[str, int] = defaultdict(int)
    for source, target in links:
        successors[source].append(target)
        indegree[target] += 1
    ready = [node for node in successors if indegree[node] == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for target in successors.get(node, ()):
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    return seen == len(set(successors) | set(indegree))


def _kinds(nodes: Iterable[str], links: Iterable[tuple[str, str]]) -> dict[str, BatchKind]:
    has_input: set[str] = set()
    has_output: set[str] = set()
    for source, target in links:
        has_output.add(source)
        has_input.add(target)
    kinds: dict[str, BatchKind] = {}
    for node in nodes:
        if node in has_input:
            kinds[node] = BatchKind.INTERMEDIATE if node in has_output else BatchKind.FINISHED
        else:
            kinds[node] = BatchKind.RAW_MATERIAL if node in has_output else BatchKind.FINISHED
    return kinds


def _deduplicate(events: list[EpcisEvent], report: _Report) -> list[EpcisEvent]:
    kept: list[EpcisEvent] = []
    by_id: dict[str, list[EpcisEvent]] = {}
    # Events are bucketed by a cheap key (type, time, step, action); the full content is
    # computed only for an event whose bucket (or eventID) was seen before, which real data
    # rarely does. Within a bucket or an eventID the first kept event of each content is
    # found by its content, so that a file whose events all share one time stays linear.
    by_time: dict[tuple[object, ...], list[EpcisEvent]] = {}
    time_contents: dict[tuple[object, ...], dict[tuple[object, ...], EpcisEvent]] = {}
    id_contents: dict[str, dict[tuple[object, ...], EpcisEvent]] = {}
    for event in events:
        cheap = _CHEAP_KEY(event)
        bucket = by_time.get(cheap)
        same_id = by_id.get(event.event_id) if event.has_event_id else None
        if bucket is None and same_id is None:  # the common case: a new time, a new id
            if event.has_event_id:
                by_id[event.event_id] = [event]
            by_time[cheap] = [event]
            kept.append(event)
            continue
        content: tuple[object, ...] | None = None
        if bucket or same_id:
            content = event.content_key()
            if same_id:
                twin = _contents(id_contents, event.event_id, same_id).get(content)
                if twin is not None:
                    report.warn(
                        event.file,
                        event.event_id,
                        _(DUPLICATE_EVENT).format(file=twin.file),
                    )
                    continue
            if bucket:
                other = _contents(time_contents, cheap, bucket).get(content)
                if other is not None:
                    report.warn(
                        event.file,
                        _label(event),
                        _(SAME_CONTENT_OTHER_ID).format(event_id=other.event_id, file=other.file),
                    )
                    continue
        if same_id:  # the same id on different content: a partner's bug, keep both
            report.warn(
                event.file,
                event.event_id,
                _(EVENT_ID_REUSED).format(
                    file=same_id[0].file,
                    type=same_id[0].type,
                    time=same_id[0].event_time.isoformat(),
                ),
            )
            same_id.append(event)
            assert content is not None
            id_contents[event.event_id].setdefault(content, event)
        elif event.has_event_id:
            by_id[event.event_id] = [event]
        if bucket:
            bucket.append(event)
            assert content is not None
            time_contents[cheap].setdefault(content, event)
        else:
            by_time[cheap] = [event]
        kept.append(event)
    return kept


# (type, event_time, biz_step, action) of an EpcisEvent, without four attribute lookups
_CHEAP_KEY = operator.itemgetter(
    EpcisEvent._fields.index("type"),
    EpcisEvent._fields.index("event_time"),
    EpcisEvent._fields.index("biz_step"),
    EpcisEvent._fields.index("action"),
)


def _contents(
    index: dict[Any, dict[tuple[object, ...], EpcisEvent]], key: Any, events: list[EpcisEvent]
) -> dict[tuple[object, ...], EpcisEvent]:
    """Return the first of ``events`` with each content, made the first time it is asked."""
    contents = index.get(key)
    if contents is None:
        contents = index[key] = {}
        for event in events:
            contents.setdefault(event.content_key(), event)
    return contents


def _retract(events: list[EpcisEvent], report: _Report) -> tuple[list[EpcisEvent], list[str]]:
    """Apply error declarations: drop each declared event and the declaration itself.

    An error declaration is carried by a copy of the erroneous event plus
    ``errorDeclaration`` (EPCIS 1.2 and 2.0). It withdraws the events with its eventID;
    when it has no eventID, or no other event has that id, it withdraws the events whose
    whole content equals its own (the declaration left out; identifiers compared in any
    spelling, times as instants), so that events without an eventID can be retracted too.
    Events it names as corrective are never withdrawn by it.
    """
    declarations = [e for e in events if e.error_declaration is not None]
    if not declarations:
        return events, []
    declared_ids = {e.event_id for e in declarations if e.has_event_id}
    by_id: dict[str, list[EpcisEvent]] = defaultdict(list)
    for e in events:
        if e.error_declaration is None and e.has_event_id:
            by_id[e.event_id].append(e)
    by_content: dict[tuple[object, ...], list[EpcisEvent]] | None = None
    withdrawn: set[int] = {id(e) for e in declarations}
    names: set[str] = {e.event_id for e in declarations}
    present = {e.event_id for e in events if e.error_declaration is None and e.has_event_id}
    for declaration in declarations:
        assert declaration.error_declaration is not None
        corrective = set(declaration.error_declaration.corrective_event_ids)
        if declaration.has_event_id and by_id.get(declaration.event_id):
            targets = by_id[declaration.event_id]
        else:
            if by_content is None:
                by_content = defaultdict(list)
                for e in events:
                    if e.error_declaration is None:
                        by_content[e.canonical_key()].append(e)
            targets = by_content.get(declaration.canonical_key(), [])
        for target in targets:
            if target.has_event_id and target.event_id in corrective:
                continue
            if id(target) not in withdrawn:
                withdrawn.add(id(target))
                names.add(target.event_id)
        for ident in declaration.error_declaration.corrective_event_ids:
            if ident not in present or ident in declared_ids - {declaration.event_id}:
                report.warn(
                    declaration.file,
                    _label(declaration),
                    _(CORRECTIVE_EVENT_MISSING).format(event_id=ident),
                )
    remaining = [e for e in events if id(e) not in withdrawn]
    return remaining, sorted(names)


def load_epcis(*sources: Source, strict: bool = False) -> EpcisImport:
    """Load EPCIS documents from partners into one genealogy.

    Parameters
    ----------
    *sources
        Paths (``str`` or :class:`~pathlib.Path`), document text (JSON-LD or XML),
        ``bytes``, or JSON documents already parsed into dicts. EPCIS 2.0 JSON-LD and
        EPCIS 1.2 / 2.0 XML (``EPCISDocument`` or ``EPCISQueryDocument``).
    strict
        Raise :class:`~qualityflow.errors.InteropError` on the first flaw instead of
        collecting warnings.

    Returns
    -------
    EpcisImport
        ``genealogy``, ``warnings``, ``events`` (and ``retracted``, ``shipments``).

    Raises
    ------
    InteropError
        A source is not an EPCIS event document (a JSON Schema, a JSON-LD context, master
        data only, not XML/JSON at all), cannot be read, or (``strict``) holds a flaw.

    Examples
    --------
    >>> import qualityflow as qf
    >>> doc = {
    ...     "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
    ...     "type": "EPCISDocument", "schemaVersion": "2.0",
    ...     "creationDate": "2026-03-02T06:00:00Z",
    ...     "epcisBody": {"eventList": [{
    ...         "type": "TransformationEvent", "eventID": "urn:uuid:1",
    ...         "eventTime": "2026-03-02T06:00:00Z", "eventTimeZoneOffset": "+00:00",
    ...         "inputQuantityList": [{"epcClass": "urn:example:lot:flour-1",
    ...                                "quantity": 25, "uom": "KGM"}],
    ...         "outputQuantityList": [{"epcClass": "urn:example:lot:biscuit-1",
    ...                                 "quantity": 40, "uom": "KGM"}]}]}}
    >>> result = qf.load_epcis(doc)
    >>> sorted(result.genealogy.trace_forward("urn:example:lot:flour-1").ids)
    ['urn:example:lot:biscuit-1']

    """
    enabled = gc.isenabled()
    gc.disable()  # a large import makes millions of small objects; collect once, after
    try:
        return _load(sources, strict)
    finally:
        if enabled:
            gc.enable()


def _load(sources: tuple[Source, ...], strict: bool) -> EpcisImport:
    report = _Report(strict)
    documents: list[Document] = []
    for index, source in enumerate(sources, start=1):
        try:
            documents.append(read_source(source, index))
        except (InteropError, KeyboardInterrupt, MemoryError):
            raise
        except Exception as exc:  # a document shape nobody foresaw is bad input, not a crash
            raise InteropError(
                _(SOURCE_UNREADABLE).format(index=index, error_type=type(exc).__name__, error=exc)
            ) from exc
    master: dict[str, dict[str, str]] = {}
    events: list[EpcisEvent] = []
    for document in documents:
        for problem in document.problems:
            report.warn(document.name, None, problem)
        for key, attrs in document.master_data.items():
            master.setdefault(key, {}).update(attrs)
        warn = report.for_file(document.name)
        reported: set[str] = set()
        for index, raw in enumerate(document.events):
            try:
                event = normalise_event(raw, document.name, index, warn, reported)
            except InteropError:
                raise
            except Exception as exc:  # a shape nobody foresaw must not crash the import
                report.warn(
                    document.name,
                    None,
                    _(EVENT_UNREADABLE).format(
                        number=index + 1, error_type=type(exc).__name__, error=exc
                    ),
                )
                continue
            if event is not None:
                events.append(event)
    events, retracted = _retract(events, report)
    events = _deduplicate(events, report)
    file_order = {document.name: n for n, document in enumerate(documents)}
    events.sort(key=lambda e: (e.event_time, file_order[e.file], e.position))

    builder = _Builder(report, master)
    for event in events:
        builder.apply(event)
    builder.check_associations()
    links = builder.edges()
    if not _is_acyclic(links):
        creators = {lot.node: lot.created_by for lot in builder.lots.values() if lot.created_by}
        links = builder.acyclic(links, creators)
    kinds = _kinds(builder.lots, links)

    records: dict[str, ShipmentRecord] = {}
    shipments: list[Shipment] = []
    for pending in builder.shipments:
        if pending.shipment_id in builder.lots:  # an event id that is also a lot id
            pending.shipment_id = f"{pending.shipment_id}#shipment"
        event = pending.event
        customer = pending.customer
        if customer is None:
            if pending.received is not None and (
                pending.received.biz_location or pending.received.read_point
            ):
                customer = pending.received.biz_location or pending.received.read_point
                builder.warn(
                    event,
                    _(DESTINATION_FROM_RECEIPT).format(
                        lot=pending.node, event_id=pending.received.event_id, location=customer
                    ),
                )
            else:
                customer = UNKNOWN_UNIT
                builder.warn(
                    event,
                    _(NO_DESTINATION).format(lot=pending.node),
                )
        element = pending.quantity
        if element is not None and element.quantity is not None and element.unit is not None:
            quantity = _quantity(element.quantity, element.unit)
        else:
            quantity = _quantity(Decimal(0), UNKNOWN_UNIT)
        assert customer is not None
        shipments.append(
            # values checked on reading, as for batches; a copy of a template with every
            # field replaced costs a third of model_construct
            _SHIPMENT.model_copy(
                update={
                    "id": pending.shipment_id,
                    "batch_id": pending.node,
                    "customer_id": customer,
                    "quantity": quantity,
                    "shipped_at": event.event_time,
                    "region": pending.region,
                }
            )
        )
        received = pending.received
        also = pending.also
        if also:
            transactions = tuple(
                dict.fromkeys(
                    itertools.chain(event.biz_transactions, *(e.biz_transactions for e in also))
                )
            )
        else:
            transactions = (
                tuple(dict.fromkeys(event.biz_transactions)) if event.biz_transactions else ()
            )
        record = ShipmentRecord(
            shipment_id=pending.shipment_id,
            event_id=event.event_id,
            file=event.file,
            ship_from=event.biz_location or event.read_point,
            containers=pending.containers,
            received_by=received.event_id if received else None,
            received_at=received.biz_location if received else None,
            received_on=received.event_time if received else None,
            other_events=tuple(e.event_id for e in also) if also else (),
            biz_transactions=transactions,
        )
        records[pending.shipment_id] = record
        builder.lots[pending.node].shipments[pending.shipment_id] = {
            "event_id": record.event_id,
            "file": record.file,
            "ship_from": record.ship_from,
            "containers": list(record.containers),
            "received_by": record.received_by,
            "received_at": record.received_at,
            "received_on": record.received_on.isoformat() if record.received_on else None,
            "biz_transactions": [list(p) for p in transactions] if transactions else [],
            "other_events": list(record.other_events),
        }

    batches = builder.batches(kinds)
    try:
        genealogy = Genealogy.build(batches, [(s, t, q) for (s, t), q in links.items()], shipments)
    except GenealogyError as exc:  # pragma: no cover - the plan is checked above
        raise InteropError(_(NO_GENEALOGY).format(error=exc)) from exc
    return EpcisImport(
        genealogy=genealogy,
        warnings=report.warnings,
        events=events,
        retracted=retracted,
        shipments=records,
        aliases=dict(builder.aliases),
        packing=builder.packing,
        associations=builder.associations,
    )
