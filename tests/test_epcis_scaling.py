"""The linear-time EPCIS import gives what the quadratic one gave, whatever the file.

``load_epcis`` keeps running totals per lot (what made it, what was consumed before a
shipment), a pointer to each lot's first unreceived shipment and an index of the
shipments at the latest instant, instead of looking through the lot's whole history at
every shipment and receipt. :class:`ReferenceBuilder` below is the import as it was before
(the history scanned at every event, copied from the code it replaces); the property test
loads random small documents with lots shipped again and again, in partial quantities,
some at the same instant, with receipts, transformations, pallets, duplicates and error
declarations, through both and asserts that everything the import returns is the same.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import qualityflow as qf
from qualityflow.interop import epcis
from qualityflow.interop.epcis import (
    QF_REGION,
    QF_SHIPMENT_ID,
    EpcisEvent,
    Quantity,
    QuantityElement,
    _label,
    _Lot,
    _PendingShipment,
    _quantity,
    _Report,
    _ship_to,
    _sum,
)

CTX = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"]


class ReferenceBuilder(epcis._Builder):
    """The builder before running totals: each check looks through the lot's history."""

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
            for n in itertools.count(2):
                if shipment_id not in self.shipment_ids:
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
            self.check_not_consumed(lot, event)
            if lot.destroyed_by is not None and lot.destroyed_by.event_time < event.event_time:
                self.warn(
                    event,
                    f"{lot.node} shipped at {event.event_time.isoformat()} after "
                    f"{_label(lot.destroyed_by)} destroyed it at "
                    f"{lot.destroyed_by.event_time.isoformat()}",
                )

    def same_shipment(
        self, event: EpcisEvent, node: str, party: str | None
    ) -> _PendingShipment | None:
        """Return the shipment an ObjectEvent and a TransactionEvent both record, if any.

        The same lot shipped at the same instant by one event of each type, to the same
        party (or with one of them naming none), is one shipment.
        """
        for pending in reversed(self.open_shipments.get(node, ())):
            if pending.event.event_time != event.event_time:
                if pending.event.event_time < event.event_time:
                    return None
                continue
            types = {pending.event.type, *(e.type for e in pending.also), event.type}
            if (
                types == {"ObjectEvent", "TransactionEvent"}
                and event.type not in {pending.event.type, *(e.type for e in pending.also)}
                and (party is None or pending.customer is None or party == pending.customer)
            ):
                return pending
        return None

    def check_not_consumed(self, lot: _Lot, event: EpcisEvent) -> None:
        before = [c for c in lot.consumed if c[0] < event.event_time]
        if not before:
            return
        consumed, consistent = _sum(c[1] for c in before)
        held = self.declared(lot)
        if consumed is not None and consistent and held is not None and consumed.unit == held.unit:
            if consumed.amount >= held.amount:
                self.warn(
                    event,
                    f"{lot.node} shipped at {event.event_time.isoformat()} after "
                    f"{_label(before[0][2])} consumed it ({consumed} of {held}) at "
                    f"{before[0][0].isoformat()}",
                )
            return
        # Without quantities that add up nobody can tell whether anything was left to ship.
        self.warn(
            event,
            f"{lot.node} shipped at {event.event_time.isoformat()} after "
            f"{_label(before[0][2])} consumed it at {before[0][0].isoformat()}; the "
            "quantities do not say whether any was left to ship",
        )

    def receiving(
        self, event: EpcisEvent, moved: list[tuple[str, QuantityElement | None, tuple[str, ...]]]
    ) -> None:
        for node, _, _ in moved:
            for pending in self.open_shipments.get(node, []):
                if pending.received is None and pending.event.event_time <= event.event_time:
                    pending.received = event
                    break

    def declared(self, lot: _Lot) -> Quantity | None:
        for elements in (lot.outputs, lot.added):
            total, _ = _sum(elements)
            if total is not None:
                return total
        best: Quantity | None = None
        for element in lot.seen:
            if (
                element.quantity is not None
                and element.unit is not None
                and (best is None or (best.unit == element.unit and element.quantity > best.amount))
            ):
                best = _quantity(element.quantity, element.unit)
        return best


# The deduplication before an index by content: each event compared with its bucket.
def reference_deduplicate(events: list[EpcisEvent], report: _Report) -> list[EpcisEvent]:
    kept: list[EpcisEvent] = []
    by_id: dict[str, list[EpcisEvent]] = {}
    # Events are bucketed by a cheap key (type, time, step, action); the full content is
    # compared only within a bucket, which real data almost never fills with two events.
    by_time: dict[tuple[object, ...], list[EpcisEvent]] = {}
    for event in events:
        cheap = (event.type, event.event_time, event.biz_step, event.action)
        bucket = by_time.get(cheap)
        same_id = by_id.get(event.event_id) if event.has_event_id else None
        if bucket or same_id:
            content = event.content_key()
            twin = next((e for e in same_id or () if e.content_key() == content), None)
            if twin is not None:
                report.warn(
                    event.file,
                    event.event_id,
                    f"duplicate of the event with the same eventID in {twin.file}; counted once",
                )
                continue
            other = next((e for e in bucket or () if e.content_key() == content), None)
            if other is not None:
                report.warn(
                    event.file,
                    _label(event),
                    f"same content as event {other.event_id} ({other.file}) under another id; "
                    "counted once",
                )
                continue
        if same_id:  # the same id on different content: a partner's bug, keep both
            report.warn(
                event.file,
                event.event_id,
                f"eventID also used by a different event in {same_id[0].file} "
                f"({same_id[0].type} at {same_id[0].event_time.isoformat()}); eventIDs must be "
                "unique, both events kept",
            )
            same_id.append(event)
        elif event.has_event_id:
            by_id[event.event_id] = [event]
        if bucket:
            bucket.append(event)
        else:
            by_time[cheap] = [event]
        kept.append(event)
    return kept


LOTS = [f"urn:epc:class:lgtin:4012345.012345.L{k}" for k in range(2)]
PALLETS = ["urn:epc:id:sscc:4012345.0000000001", "urn:epc:id:sscc:4012345.0000000002"]
PARTIES = [None, "urn:epc:id:pgln:0614141.00001.0", "urn:epc:id:pgln:0614141.00002.0"]
# few instants, two of them one instant written with two offsets: many events at one time
TIMES = [
    "2026-03-02T06:00:00Z",
    "2026-03-02T07:00:00+01:00",
    "2026-03-02T06:05:00Z",
    "2026-03-02T06:10:00.000Z",
]
UNITS = ["KGM", "KGM", "KGM", "EA", None]
KINDS = [
    "commission",
    "ship",
    "ship",
    "ship",
    "ship_transaction",
    "receive",
    "receive",
    "receive_transaction",
    "transform",
    "pack",
    "ship_pallet",
    "destroy",
    "duplicate",
    "declare",
]


@st.composite
def quantity_elements(draw: st.DrawFn, lot: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"epcClass": lot or draw(st.sampled_from(LOTS))}
    if draw(st.integers(0, 5)):  # mostly with a quantity
        element["quantity"] = draw(st.sampled_from([1, 2, 3, 5, 5.0, 7.5, 10]))
        unit = draw(st.sampled_from(UNITS))
        if unit is not None:
            element["uom"] = unit
    return element


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """An EPCIS 2.0 document in which a few lots are shipped, received and used often."""
    events: list[dict[str, Any]] = []
    ids = itertools.count()
    for _ in range(draw(st.integers(1, 24))):
        kind = draw(st.sampled_from(KINDS))
        event: dict[str, Any] = {"eventTime": draw(st.sampled_from(TIMES))}
        event["eventTimeZoneOffset"] = "+00:00"
        choice = draw(st.integers(0, 9))
        if choice == 0 and events:  # an eventID used before, for another event
            reused = draw(st.sampled_from(events)).get("eventID")
            if reused is not None:
                event["eventID"] = reused
        elif choice != 1:  # choice 1: no eventID at all
            event["eventID"] = f"urn:uuid:e{next(ids)}"
        party = draw(st.sampled_from(PARTIES))
        destinations = [{"type": "owning_party", "destination": party}] if party else []
        if kind == "commission":
            event |= {
                "type": "ObjectEvent",
                "action": "ADD",
                "bizStep": "commissioning",
                "quantityList": [draw(quantity_elements())],
            }
        elif kind in ("ship", "ship_transaction", "receive", "receive_transaction"):
            shipping = kind.startswith("ship")
            event |= {
                "type": "TransactionEvent" if kind.endswith("transaction") else "ObjectEvent",
                "action": "OBSERVE" if draw(st.booleans()) else "ADD",
                "bizStep": "shipping" if shipping else "receiving",
                "quantityList": draw(st.lists(quantity_elements(), min_size=1, max_size=2)),
            }
            if event["type"] == "TransactionEvent":
                event["bizTransactionList"] = [
                    {"type": "po", "bizTransaction": f"urn:epcglobal:cbv:bt:0614141.PO{choice}"}
                ]
            if shipping and destinations:
                event["destinationList"] = destinations
            if shipping and draw(st.integers(0, 2)) == 0:
                event[QF_SHIPMENT_ID] = draw(st.sampled_from(["S-1", "S-1", "urn:uuid:e1"]))
                if draw(st.booleans()):
                    event[QF_REGION] = "EU"
            if not shipping:
                event["bizLocation"] = {"id": party or "urn:epc:id:sgln:0614141.00009.0"}
        elif kind == "transform":
            event |= {
                "type": "TransformationEvent",
                "bizStep": "commissioning",
                "inputQuantityList": [draw(quantity_elements())],
                "outputQuantityList": [draw(quantity_elements())],
            }
        elif kind == "pack":
            event |= {
                "type": "AggregationEvent",
                "action": draw(st.sampled_from(["ADD", "ADD", "DELETE"])),
                "bizStep": "packing",
                "parentID": draw(st.sampled_from(PALLETS)),
                "childQuantityList": [draw(quantity_elements())],
            }
        elif kind == "ship_pallet":
            event |= {
                "type": "ObjectEvent",
                "action": "OBSERVE",
                "bizStep": "shipping",
                "epcList": [draw(st.sampled_from(PALLETS))],
                "destinationList": destinations,
            }
        elif kind == "destroy":
            event |= {
                "type": "ObjectEvent",
                "action": "DELETE",
                "bizStep": "destroying",
                "disposition": "destroyed",
                "quantityList": [draw(quantity_elements())],
            }
        elif kind == "duplicate" and events:
            event = dict(draw(st.sampled_from(events)))
            if draw(st.booleans()):  # the same content under another id
                event["eventID"] = f"urn:uuid:e{next(ids)}"
        elif kind == "declare" and events:
            event = dict(draw(st.sampled_from(events)))
            corrective = draw(st.sampled_from([[], ["urn:uuid:e0"], ["urn:uuid:nowhere"]]))
            event["errorDeclaration"] = {
                "declarationTime": "2026-03-05T10:00:00Z",
                "correctiveEventIDs": corrective,
            }
        else:
            continue
        events.append(event)
    return {
        "@context": CTX,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-05T00:00:00Z",
        "epcisBody": {"eventList": events},
    }


@contextmanager
def reference_import() -> Iterator[None]:
    """Import as before: :class:`ReferenceBuilder` and :func:`reference_deduplicate`."""
    builder, deduplicate = epcis._Builder, epcis._deduplicate
    epcis._Builder = ReferenceBuilder  # type: ignore[misc]
    epcis._deduplicate = reference_deduplicate
    try:
        yield
    finally:
        epcis._Builder = builder  # type: ignore[misc]
        epcis._deduplicate = deduplicate


def outcome(document: dict[str, Any] | list[dict[str, Any]]) -> dict[str, Any]:
    """Everything ``load_epcis`` returns, as plain data (amounts as written: 5.0 is not 5)."""
    documents = document if isinstance(document, list) else [document]
    loaded = qf.load_epcis(*(json.dumps(d) for d in documents))
    g = loaded.genealogy
    return {
        "batches": [b.model_dump(mode="json") for b in g.batches()],
        "links": [(u, v, q.model_dump(mode="json") if q else None) for u, v, q in g.links()],
        "shipments": [s.model_dump(mode="json") for s in g.shipments()],
        "warnings": [(w.file, w.event_id, w.message) for w in loaded.warnings],
        "events": [e.content_key() for e in loaded.events],
        "retracted": loaded.retracted,
        "records": loaded.shipments,
        "aliases": loaded.aliases,
        "packing": loaded.packing,
        "associations": loaded.associations,
    }


def reference_outcome(document: dict[str, Any] | list[dict[str, Any]]) -> dict[str, Any]:
    with reference_import():
        return outcome(document)


@settings(max_examples=400, deadline=None)
@given(documents())
def test_running_totals_give_what_scanning_the_history_gave(document: dict[str, Any]) -> None:
    assert outcome(document) == reference_outcome(document)


@settings(max_examples=100, deadline=None)
@given(st.lists(documents(), min_size=2, max_size=3))
def test_running_totals_give_the_same_over_several_files(documents: list[dict[str, Any]]) -> None:
    assert outcome(documents) == reference_outcome(documents)


def ship(event_id: str, time: str, amount: int, kind: str = "ObjectEvent") -> dict[str, Any]:
    return {
        "type": kind,
        "eventID": event_id,
        "eventTime": time,
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "quantityList": [{"epcClass": LOTS[0], "quantity": amount, "uom": "KGM"}],
        "destinationList": [{"type": "owning_party", "destination": PARTIES[1]}],
    }


def doc(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": CTX,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-05T00:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }


MADE = {
    "type": "ObjectEvent",
    "eventID": "urn:uuid:made",
    "eventTime": "2026-03-01T06:00:00Z",
    "eventTimeZoneOffset": "+00:00",
    "action": "ADD",
    "bizStep": "commissioning",
    "quantityList": [{"epcClass": LOTS[0], "quantity": 100, "uom": "KGM"}],
}


def used(time: str, amount: int) -> dict[str, Any]:
    return {
        "type": "TransformationEvent",
        "eventID": f"urn:uuid:used-{time}-{amount}",
        "eventTime": time,
        "eventTimeZoneOffset": "+00:00",
        "inputQuantityList": [{"epcClass": LOTS[0], "quantity": amount, "uom": "KGM"}],
        "outputQuantityList": [{"epcClass": LOTS[1], "quantity": amount, "uom": "KGM"}],
    }


def test_consumption_at_the_instant_of_a_shipment_does_not_count_against_it() -> None:
    # 60 + 40 kg used at 07:00 leave nothing for a shipment after 07:00, but a shipment at
    # 07:00 itself (written with another offset) is not said to follow them
    document = doc(
        MADE,
        used("2026-03-02T07:00:00Z", 60),
        ship("urn:uuid:same", "2026-03-02T08:00:00+01:00", 5),
        used("2026-03-02T07:00:00Z", 40),
        ship("urn:uuid:later", "2026-03-02T07:30:00Z", 5),
        ship("urn:uuid:later-still", "2026-03-02T08:00:00Z", 5),
    )
    result = outcome(document)
    assert result == reference_outcome(document)
    messages = [(event_id, message) for _, event_id, message in result["warnings"]]
    assert [event_id for event_id, _ in messages] == ["urn:uuid:later", "urn:uuid:later-still"]
    assert "(100 kg of 100 kg)" in messages[0][1]


def test_each_receipt_confirms_the_next_unreceived_shipment_of_the_lot() -> None:
    shipments = [ship(f"urn:uuid:s{n}", f"2026-03-02T0{n}:00:00Z", 5) for n in range(1, 5)]
    receipt = {
        **ship("", "", 5),
        "bizStep": "receiving",
        "bizLocation": {"id": PARTIES[2]},
    }
    del receipt["destinationList"]
    receipts = [
        {**receipt, "eventID": f"urn:uuid:r{n}", "eventTime": f"2026-03-02T0{n}:30:00Z"}
        for n in (2, 3)
    ]
    document = doc(MADE, *shipments, *receipts)
    result = outcome(document)
    assert result == reference_outcome(document)
    received = {r.shipment_id: r.received_by for r in result["records"].values()}
    assert received == {
        "urn:uuid:s1": "urn:uuid:r2",
        "urn:uuid:s2": "urn:uuid:r3",
        "urn:uuid:s3": None,
        "urn:uuid:s4": None,
    }


def test_an_object_and_a_transaction_event_at_one_instant_pair_off_latest_first() -> None:
    # three ObjectEvents and two TransactionEvents ship the lot at one instant: each
    # TransactionEvent joins the latest ObjectEvent shipment not yet joined
    time = "2026-03-02T06:00:00Z"
    document = doc(
        MADE,
        ship("urn:uuid:o1", time, 1),
        ship("urn:uuid:o2", time, 2),
        ship("urn:uuid:t1", time, 3, "TransactionEvent"),
        ship("urn:uuid:o3", time, 4),
        ship("urn:uuid:t2", time, 5, "TransactionEvent"),
        ship("urn:uuid:t3", time, 6, "TransactionEvent"),
    )
    result = outcome(document)
    assert result == reference_outcome(document)
    joined = {r.shipment_id: r.other_events for r in result["records"].values()}
    assert joined == {
        "urn:uuid:o1": ("urn:uuid:t3",),
        "urn:uuid:o2": ("urn:uuid:t1",),
        "urn:uuid:o3": ("urn:uuid:t2",),
    }


def test_shipments_named_alike_get_the_next_free_suffix() -> None:
    events = [
        {**ship(f"urn:uuid:s{n}", "2026-03-02T06:00:00Z", n + 1), QF_SHIPMENT_ID: "S-1"}
        for n in range(4)
    ]
    events.append(ship("S-1#3", "2026-03-02T05:00:00Z", 5))  # an event id taking a suffix
    document = doc(MADE, *events)
    result = outcome(document)
    assert result == reference_outcome(document)
    assert [s["id"] for s in result["shipments"]] == ["S-1#3", "S-1", "S-1#2", "S-1#4", "S-1#5"]


def test_the_reference_is_not_the_code_under_test() -> None:
    assert ReferenceBuilder.declared is not epcis._Builder.declared
    assert ReferenceBuilder.receiving is not epcis._Builder.receiving
    assert reference_deduplicate is not epcis._deduplicate
    assert isinstance(datetime.now(), datetime)
