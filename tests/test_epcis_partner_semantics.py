"""What partners' EPCIS means beyond ObjectEvents: TransactionEvents, AssociationEvents,
error declarations without eventIDs, pre-CBV vocabularies, sensor data and quiet oddities.

Every document here is small and written by hand (EPCIS 2.0 JSON-LD, EPCIS 1.2 XML), so
the rule each test checks is visible in the test.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import qualityflow as qf

CTX = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"]
LOT = "urn:epc:class:lgtin:4012345.012345.L77"
SHOP = "urn:epc:id:pgln:0614141.00001"
WAREHOUSE = "urn:epc:id:sgln:4012345.00000.0"


def doc(*events: dict[str, Any], header: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@context": CTX,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-02T06:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }
    if header is not None:
        out["epcisHeader"] = header
    return out


def event(kind: str, event_id: str | None, time: str, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "eventTime": time, "eventTimeZoneOffset": "+00:00"}
    if event_id is not None:
        out["eventID"] = event_id
    out.update(fields)
    return out


def commission(lot: str = LOT, amount: int = 100) -> dict[str, Any]:
    return event(
        "ObjectEvent",
        "urn:uuid:made",
        "2026-03-01T08:00:00Z",
        action="ADD",
        bizStep="commissioning",
        quantityList=[{"epcClass": lot, "quantity": amount, "uom": "KGM"}],
        bizLocation={"id": WAREHOUSE},
    )


def xml12(*events: str, header: str = "") -> str:
    """An EPCIS 1.2 XML document around the given event elements."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" schemaVersion="1.2" '
        'creationDate="2026-03-02T06:00:00Z">'
        f"{header}<EPCISBody><EventList>{''.join(events)}</EventList></EPCISBody>"
        "</epcis:EPCISDocument>"
    )


XML_COMMISSION = (
    "<ObjectEvent><eventTime>2026-03-01T08:00:00Z</eventTime>"
    "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset><epcList/><action>ADD</action>"
    "<bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>"
    f"<bizLocation><id>{WAREHOUSE}</id></bizLocation>"
    "<extension><quantityList><quantityElement>"
    f"<epcClass>{LOT}</epcClass><quantity>100</quantity><uom>KGM</uom>"
    "</quantityElement></quantityList></extension></ObjectEvent>"
)


def strict_fails(source: Any, fragment: str) -> None:
    with pytest.raises(qf.InteropError, match=fragment):
        qf.load_epcis(source, strict=True)


# --- 1. TransactionEvents ---------------------------------------------------------

TX_SHIP_JSON = event(
    "TransactionEvent",
    "urn:uuid:tx-ship",
    "2026-03-02T09:00:00Z",
    action="ADD",
    bizStep="shipping",
    disposition="in_transit",
    bizTransactionList=[
        {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141000005:PO-88"},
        {"type": "bol", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:BOL-12"},
    ],
    quantityList=[{"epcClass": LOT, "quantity": 40, "uom": "KGM"}],
    readPoint={"id": WAREHOUSE},
    sourceList=[{"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00000"}],
    destinationList=[
        {"type": "owning_party", "destination": SHOP},
        {"type": "location", "destination": "urn:epc:id:sgln:0614141.00001.0"},
    ],
)

TX_SHIP_XML = (
    "<TransactionEvent><eventTime>2026-03-02T09:00:00Z</eventTime>"
    "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset>"
    "<bizTransactionList>"
    '<bizTransaction type="urn:epcglobal:cbv:btt:po">urn:epcglobal:cbv:bt:0614141000005:PO-88'
    "</bizTransaction>"
    '<bizTransaction type="urn:epcglobal:cbv:btt:bol">urn:epcglobal:cbv:bt:4012345000009:BOL-12'
    "</bizTransaction></bizTransactionList>"
    "<epcList/><action>ADD</action><bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>"
    "<disposition>urn:epcglobal:cbv:disp:in_transit</disposition>"
    f"<readPoint><id>{WAREHOUSE}</id></readPoint>"
    "<extension><quantityList><quantityElement>"
    f"<epcClass>{LOT}</epcClass><quantity>40</quantity><uom>KGM</uom>"
    "</quantityElement></quantityList>"
    '<sourceList><source type="urn:epcglobal:cbv:sdt:owning_party">'
    "urn:epc:id:pgln:4012345.00000</source></sourceList>"
    '<destinationList><destination type="urn:epcglobal:cbv:sdt:owning_party">'
    f"{SHOP}</destination>"
    '<destination type="urn:epcglobal:cbv:sdt:location">urn:epc:id:sgln:0614141.00001.0'
    "</destination></destinationList></extension></TransactionEvent>"
)


@pytest.mark.parametrize("form", ["json-ld", "xml-1.2"])
def test_shipping_transaction_event_is_a_shipment_and_the_recall_finds_the_customer(
    form: str,
) -> None:
    source: Any = doc(commission(), TX_SHIP_JSON) if form == "json-ld" else None
    if form == "xml-1.2":
        source = xml12(XML_COMMISSION, TX_SHIP_XML)
    loaded = qf.load_epcis(source)
    assert loaded.warnings == []
    impact = loaded.genealogy.recall_impact(LOT)
    assert impact.customer_ids == {SHOP}
    (shipment,) = impact.shipments
    assert shipment.quantity == qf.Quantity(amount=Decimal(40), unit="kg")
    record = loaded.shipments[shipment.id]
    assert record.biz_transactions == (
        ("po", "urn:epcglobal:cbv:bt:0614141000005:PO-88"),
        ("bol", "urn:epcglobal:cbv:bt:4012345000009:BOL-12"),
    )
    assert record.ship_from == WAREHOUSE
    batch = loaded.genealogy.batch(LOT)
    attributes: Any = batch.attributes
    assert attributes["epcis_shipments"][shipment.id]["biz_transactions"] == [
        ["po", "urn:epcglobal:cbv:bt:0614141000005:PO-88"],
        ["bol", "urn:epcglobal:cbv:bt:4012345000009:BOL-12"],
    ]
    # ADD in a TransactionEvent ties the lot to the order; it does not make the lot
    assert batch.attributes["epcis_created_by"] != "urn:uuid:tx-ship"
    assert batch.quantity == qf.Quantity(amount=Decimal(100), unit="kg")


def test_an_epc_seen_only_in_transaction_events_is_traced_and_its_receipt_confirms() -> None:
    item = "urn:epc:id:sgtin:0614141.107346.2018"
    ship = event(
        "TransactionEvent",
        "urn:uuid:t1",
        "2026-03-02T09:00:00Z",
        action="ADD",
        bizStep="urn:epcglobal:cbv:bizstep:shipping",
        bizTransactionList=[{"type": "po", "bizTransaction": "urn:example:po:1"}],
        epcList=[item],
    )
    receive = event(
        "TransactionEvent",
        "urn:uuid:t2",
        "2026-03-03T09:00:00Z",
        action="OBSERVE",
        bizStep="receiving",
        bizTransactionList=[{"type": "po", "bizTransaction": "urn:example:po:1"}],
        epcList=[item],
        bizLocation={"id": "urn:epc:id:sgln:0614141.00001.0"},
    )
    loaded = qf.load_epcis(doc(ship, receive))
    trace = loaded.genealogy.trace_forward(item)
    assert trace.ids == {"urn:uuid:t1"}
    # no destination named: the receiving event's location stands in, with a warning
    assert loaded.genealogy.shipment("urn:uuid:t1").customer_id == (
        "urn:epc:id:sgln:0614141.00001.0"
    )
    assert loaded.shipments["urn:uuid:t1"].received_by == "urn:uuid:t2"
    assert [w.event_id for w in loaded.warnings] == ["urn:uuid:t1"]


def test_a_transaction_event_on_a_pallet_ships_what_the_pallet_held() -> None:
    pallet = "urn:epc:id:sscc:4012345.0000000333"
    pack = event(
        "AggregationEvent",
        "urn:uuid:pack",
        "2026-03-02T07:00:00Z",
        action="ADD",
        parentID=pallet,
        childQuantityList=[{"epcClass": LOT, "quantity": 100, "uom": "KGM"}],
    )
    ship = event(
        "TransactionEvent",
        "urn:uuid:tx",
        "2026-03-02T09:00:00Z",
        action="ADD",
        bizStep="shipping",
        parentID=pallet,
        epcList=[],
        bizTransactionList=[{"type": "desadv", "bizTransaction": "urn:example:asn:5"}],
        destinationList=[{"type": "owning_party", "destination": SHOP}],
    )
    loaded = qf.load_epcis(doc(commission(), pack, ship))
    (shipment,) = loaded.genealogy.shipments()
    assert shipment.batch_id == LOT
    assert shipment.customer_id == SHOP
    assert loaded.shipments[shipment.id].containers == (pallet,)


def test_a_transaction_event_delete_with_a_shipping_step_ships_nothing_and_says_so() -> None:
    delete = {**TX_SHIP_JSON, "action": "DELETE", "eventID": "urn:uuid:tx-del"}
    source = doc(commission(), delete)
    loaded = qf.load_epcis(source)
    assert list(loaded.genealogy.shipments()) == []
    assert LOT in loaded.genealogy
    (warning,) = loaded.warnings
    assert warning.event_id == "urn:uuid:tx-del"
    assert "DELETE" in warning.message and "no shipment" in warning.message
    strict_fails(source, "no shipment recorded")


# --- AssociationEvents --------------------------------------------------------------

SENSOR = "urn:epc:id:giai:4000001.111"
CRATE = "urn:epc:id:grai:4012345.55555.1"


def association(action: str, time: str, parent: str, *children: str, **fields: Any) -> Any:
    return event(
        "AssociationEvent",
        f"urn:uuid:assoc-{action}-{time}",
        time,
        action=action,
        parentID=parent,
        childEPCs=list(children),
        bizStep="assembling",
        **fields,
    )


def test_associating_a_sensor_with_a_crate_is_recorded_not_made_genealogy() -> None:
    loaded = qf.load_epcis(
        doc(
            commission(),
            association("ADD", "2026-03-02T07:00:00Z", CRATE, SENSOR),
            association("DELETE", "2026-03-04T07:00:00Z", CRATE, SENSOR),
        )
    )
    assert loaded.warnings == []
    assert SENSOR not in loaded.genealogy and CRATE not in loaded.genealogy
    assert [(a, c) for _, a, c in loaded.associations[CRATE]] == [
        ("ADD", (SENSOR,)),
        ("DELETE", (SENSOR,)),
    ]


def test_an_association_involving_a_lot_is_reported_as_not_followed() -> None:
    source = doc(commission(), association("ADD", "2026-03-02T07:00:00Z", CRATE, LOT))
    loaded = qf.load_epcis(source)
    (warning,) = loaded.warnings
    assert LOT in warning.message and "not genealogy" in warning.message
    assert loaded.genealogy.trace_forward(LOT).ids == set()
    strict_fails(source, "associations are not genealogy")


def test_an_association_with_a_shipping_step_is_reported() -> None:
    shipped = association("OBSERVE", "2026-03-02T07:00:00Z", CRATE, SENSOR)
    shipped["bizStep"] = "shipping"
    loaded = qf.load_epcis(doc(shipped))
    (warning,) = loaded.warnings
    assert "not a shipment" in warning.message
    assert list(loaded.genealogy.shipments()) == []
    strict_fails(doc(shipped), "not a shipment")


# --- 2. error declarations without an eventID ---------------------------------------

XML_SHIP_NO_ID = (
    "<ObjectEvent><eventTime>2026-03-02T09:00:00Z</eventTime>"
    "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset><epcList/><action>OBSERVE</action>"
    "<bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>"
    f"<readPoint><id>{WAREHOUSE}</id></readPoint>"
    "<extension><quantityList><quantityElement>"
    f"<epcClass>{LOT}</epcClass><quantity>40</quantity><uom>KGM</uom>"
    "</quantityElement></quantityList>"
    '<destinationList><destination type="urn:epcglobal:cbv:sdt:owning_party">'
    f"{SHOP}</destination></destinationList></extension>"
    "{declaration}</ObjectEvent>"
)
XML_DECLARATION = (
    "<baseExtension><errorDeclaration>"
    "<declarationTime>2026-03-03T10:00:00Z</declarationTime>"
    "<reason>urn:epcglobal:cbv:er:did_not_occur</reason>"
    "</errorDeclaration></baseExtension>"
)


def test_an_epcis_12_error_declaration_retracts_a_shipping_event_without_event_id() -> None:
    shipped = XML_SHIP_NO_ID.replace("{declaration}", "")
    declared = XML_SHIP_NO_ID.replace("{declaration}", XML_DECLARATION)
    before = qf.load_epcis(xml12(XML_COMMISSION, shipped))
    assert before.genealogy.recall_impact(LOT).customer_ids == {SHOP}

    loaded = qf.load_epcis(xml12(XML_COMMISSION, shipped, declared))
    assert list(loaded.genealogy.shipments()) == []
    assert loaded.genealogy.recall_impact(LOT).customer_ids == set()
    assert loaded.retracted == ["<text 1>#event-2", "<text 1>#event-3"]
    assert [e.biz_step for e in loaded.events] == ["commissioning"]
    assert loaded.warnings == []
    # the declaration may come in another document, and in the other form
    json_declared = event(
        "ObjectEvent",
        None,
        "2026-03-02T09:00:00Z",
        action="OBSERVE",
        bizStep="https://ref.gs1.org/cbv/BizStep-shipping",
        readPoint={"id": WAREHOUSE},
        quantityList=[{"epcClass": LOT, "quantity": 40.0, "uom": "KGM"}],
        destinationList=[{"type": "owning_party", "destination": SHOP}],
        errorDeclaration={"declarationTime": "2026-03-03T10:00:00Z", "reason": "did_not_occur"},
    )
    across = qf.load_epcis(xml12(XML_COMMISSION, shipped), doc(json_declared))
    assert list(across.genealogy.shipments()) == []


def test_an_error_declaration_that_differs_in_content_retracts_nothing_else() -> None:
    shipped = XML_SHIP_NO_ID.replace("{declaration}", "")
    declared = XML_SHIP_NO_ID.replace("{declaration}", XML_DECLARATION).replace(
        "<quantity>40</quantity>", "<quantity>41</quantity>"
    )
    loaded = qf.load_epcis(xml12(XML_COMMISSION, shipped, declared))
    assert len(list(loaded.genealogy.shipments())) == 1


def test_an_error_declaration_retracts_a_destroying_event() -> None:
    destroy = event(
        "ObjectEvent",
        None,
        "2026-03-02T09:00:00Z",
        action="DELETE",
        bizStep="destroying",
        disposition="destroyed",
        quantityList=[{"epcClass": LOT, "quantity": 100, "uom": "KGM"}],
        readPoint={"id": WAREHOUSE},
    )
    destroyed = qf.load_epcis(doc(commission(), destroy))
    batch = destroyed.genealogy.batch(LOT)
    assert batch.status == qf.BatchStatus.SCRAPPED
    destroyed_by: Any = batch.attributes["epcis_destroyed_by"]
    assert destroyed_by.endswith("#event-2")

    declaration = {
        **destroy,
        "errorDeclaration": {
            "declarationTime": "2026-03-05T10:00:00Z",
            "reason": "urn:epcglobal:cbv:er:incorrect_data",
        },
    }
    loaded = qf.load_epcis(doc(commission(), destroy, declaration))
    assert loaded.genealogy.batch(LOT).status == qf.BatchStatus.RELEASED
    assert "epcis_destroyed_by" not in loaded.genealogy.batch(LOT).attributes
    assert loaded.warnings == []


def test_corrective_events_named_by_a_declaration_apply_and_missing_ones_are_reported() -> None:
    wrong = event(
        "ObjectEvent",
        None,
        "2026-03-02T09:00:00Z",
        action="OBSERVE",
        bizStep="shipping",
        quantityList=[{"epcClass": LOT, "quantity": 40, "uom": "KGM"}],
        destinationList=[{"type": "owning_party", "destination": "urn:example:party:wrong"}],
    )
    fix = {
        **wrong,
        "eventID": "urn:uuid:fix",
        "destinationList": [{"type": "owning_party", "destination": SHOP}],
    }
    declaration = {
        **wrong,
        "errorDeclaration": {
            "declarationTime": "2026-03-05T10:00:00Z",
            "correctiveEventIDs": ["urn:uuid:fix"],
        },
    }
    loaded = qf.load_epcis(doc(commission(), wrong, declaration, fix))
    assert loaded.genealogy.recall_impact(LOT).customer_ids == {SHOP}
    assert loaded.warnings == []

    missing = qf.load_epcis(doc(commission(), wrong, declaration))
    assert missing.genealogy.recall_impact(LOT).customer_ids == set()
    (warning,) = missing.warnings
    assert "urn:uuid:fix" in warning.message and "not in the documents" in warning.message
    strict_fails(doc(commission(), wrong, declaration), "corrective event urn:uuid:fix")


def test_a_declared_copy_that_names_the_original_as_its_correction_keeps_the_original() -> None:
    # the shape of the opentraceability chain-B files: the copy carries its own eventID
    original = {**TX_SHIP_JSON, "type": "ObjectEvent", "eventID": "urn:uuid:orig"}
    copy = {
        **original,
        "eventID": "urn:uuid:copy",
        "errorDeclaration": {
            "declarationTime": "2026-03-03T10:00:00Z",
            "correctiveEventIDs": ["urn:uuid:orig"],
        },
    }
    loaded = qf.load_epcis(doc(commission(), original, copy))
    assert [s.id for s in loaded.genealogy.shipments()] == ["urn:uuid:orig"]
    assert loaded.retracted == ["urn:uuid:copy"]


# --- 3. pre-CBV vocabularies ----------------------------------------------------------


def test_an_fmcg_receiving_step_confirms_the_shipment() -> None:
    item = "urn:epc:id:sgtin:0614141.107346.2017"
    ship = (
        "<ObjectEvent><eventTime>2026-03-02T09:00:00Z</eventTime>"
        f"<epcList><epc>{item}</epc></epcList><action>OBSERVE</action>"
        "<bizStep>urn:epcglobal:fmcg:bizstep:shipping</bizStep>"
        "<disposition>urn:epcglobal:fmcg:disp:in_transit</disposition>"
        "<readPoint><id>urn:epcglobal:fmcg:loc:0614141073467.RP-1</id></readPoint>"
        "</ObjectEvent>"
    )
    receive = (
        "<ObjectEvent><eventTime>2026-03-03T09:00:00Z</eventTime>"
        f"<epcList><epc>{item}</epc></epcList><action>OBSERVE</action>"
        "<bizStep>urn:epcglobal:fmcg:bizstep:receiving</bizStep>"
        "<disposition>urn:epcglobal:hls:disp:active</disposition>"
        "<bizLocation><id>urn:epcglobal:fmcg:loc:0037000.00729</id></bizLocation>"
        "</ObjectEvent>"
    )
    loaded = qf.load_epcis(xml12(ship, receive))
    assert [(e.biz_step, e.disposition) for e in loaded.events] == [
        ("shipping", "in_transit"),
        ("receiving", "active"),
    ]
    (shipment,) = loaded.genealogy.shipments()
    assert loaded.shipments[shipment.id].received_by == "<text 1>#event-2"
    assert shipment.customer_id == "urn:epcglobal:fmcg:loc:0037000.00729"


@pytest.mark.parametrize(
    ("written", "vocabulary", "term"),
    [
        ("urn:epcglobal:fmcg:bizstep:receiving", "bizStep", "receiving"),
        ("urn:epcglobal:hls:bizstep:commissioning", "bizStep", "commissioning"),
        ("urn:epcglobal:epcis:bizstep:fmcg:shipped", "bizStep", "shipping"),
        ("urn:epcglobal:epcis:bizstep:fmcg:received", "bizStep", "receiving"),
        ("URN:EPCGLOBAL:FMCG:BIZSTEP:SHIPPING", "bizStep", "shipping"),
        ("Receiving", "bizStep", "receiving"),
        ("SHIPPING", "bizStep", "shipping"),
        ("urn:epcglobal:fmcg:disp:in_transit", "disposition", "in_transit"),
        ("urn:epcglobal:hls:active", "disposition", "active"),
        ("urn:epcglobal:epcis:disp:fmcg:unknown", "disposition", "unknown"),
        ("urn:epcglobal:fmcg:btt:po", "btt", "po"),
        # not CBV terms: kept as written (extension values)
        ("urn:epcglobal:epcis:bizstep:fmcg:production", "bizStep", None),
        ("urn:fosstrak:demo:bizstep:fmcg:shipment", "bizStep", None),
        ("farmHarvest", "bizStep", None),
    ],
)
def test_pre_cbv_and_bare_vocabulary_normalise_to_cbv_terms(
    written: str, vocabulary: str, term: str | None
) -> None:
    from qualityflow.interop._vocab import normalise_vocab

    assert normalise_vocab(written, vocabulary) == (term or written)


# --- 4. duplicates compare everything, sensor data included ---------------------------


def reading(event_id: str, celsius: float) -> dict[str, Any]:
    return event(
        "ObjectEvent",
        event_id,
        "2026-03-02T09:00:00Z",
        action="OBSERVE",
        bizStep="sensor_reporting",
        quantityList=[{"epcClass": LOT, "quantity": 100, "uom": "KGM"}],
        readPoint={"id": WAREHOUSE},
        sensorElementList=[
            {
                "sensorMetadata": {"time": "2026-03-02T09:00:00Z"},
                "sensorReport": [{"type": "Temperature", "value": celsius, "uom": "CEL"}],
            }
        ],
    )


def test_events_differing_only_in_sensor_data_are_both_kept() -> None:
    loaded = qf.load_epcis(doc(reading("urn:uuid:r1", 4.0), reading("urn:uuid:r2", 9.5)))
    assert [e.event_id for e in loaded.events] == ["urn:uuid:r1", "urn:uuid:r2"]
    assert loaded.warnings == []
    same = qf.load_epcis(doc(reading("urn:uuid:r1", 4.0), reading("urn:uuid:r2", 4)))
    assert [e.event_id for e in same.events] == ["urn:uuid:r1"]
    assert "counted once" in same.warnings[0].message


def test_xml_sensor_reports_differing_only_in_attributes_are_both_kept() -> None:
    def xml_reading(value: str) -> str:
        return (
            "<ObjectEvent><eventTime>2026-03-02T09:00:00Z</eventTime><epcList>"
            "<epc>urn:epc:id:sgtin:0614141.107346.2017</epc></epcList>"
            "<action>OBSERVE</action><bizStep>urn:epcglobal:cbv:bizstep:sensor_reporting"
            "</bizStep><extension><sensorElementList><sensorElement>"
            '<sensorMetadata time="2026-03-02T09:00:00Z"/>'
            f'<sensorReport type="gs1:Temperature" value="{value}" uom="CEL"/>'
            "</sensorElement></sensorElementList></extension></ObjectEvent>"
        )

    two = qf.load_epcis(xml12(xml_reading("4.0"), xml_reading("9.5")))
    assert len(two.events) == 2
    one = qf.load_epcis(xml12(xml_reading("4.0"), xml_reading("4")))
    assert len(one.events) == 1
    assert one.events[0].sensor_elements[0]["sensorReport"][0]["value"] == "4.0"


# --- 5. quiet oddities become warnings -------------------------------------------------

JSON_MASTER = {
    "epcisMasterData": {
        "vocabularyList": [
            {
                "type": "urn:epcglobal:epcis:vtype:EPCClass",
                "vocabularyElementList": [
                    {
                        "id": "urn:epc:idpat:sgtin:4012345.012345.*",
                        "attributes": [
                            {"id": "urn:epcglobal:cbv:mda#descriptionShort", "attribute": "Oats"}
                        ],
                    }
                ],
            }
        ]
    }
}
XML_MASTER = (
    "<EPCISHeader><extension><EPCISMasterData><VocabularyList>"
    '<Vocabulary type="urn:epcglobal:epcis:vtype:EPCClass"><VocabularyElementList>'
    '<VocabularyElement id="urn:epc:idpat:sgtin:4012345.012345.*">'
    '<attribute id="urn:epcglobal:cbv:mda#descriptionShort">Oats</attribute>'
    "</VocabularyElement></VocabularyElementList></Vocabulary>"
    "</VocabularyList></EPCISMasterData></extension></EPCISHeader>"
)


@pytest.mark.parametrize("form", ["json-ld", "xml", "json-ld-no-eventList", "xml-no-EventList"])
def test_a_document_without_events_gives_one_warning_in_either_form(form: str) -> None:
    source: Any
    if form == "json-ld":
        source = doc(header=JSON_MASTER)
    elif form == "json-ld-no-eventList":
        source = {**doc(header=JSON_MASTER), "epcisBody": {}}
    elif form == "xml":
        source = xml12(header=XML_MASTER)
    else:
        source = xml12(header=XML_MASTER).replace("<EventList></EventList>", "")
    loaded = qf.load_epcis(source)
    (warning,) = loaded.warnings
    assert warning.event_id is None
    assert warning.message == (
        "the document holds no events, only master data (1 vocabulary element(s), kept for "
        "the other documents loaded with it); nothing added to the genealogy from it"
    )
    assert list(loaded.genealogy.batches()) == []
    strict_fails(source, "holds no events")
    # the master data still names the products of the documents loaded with it
    together = qf.load_epcis(source, doc(commission()))
    assert together.genealogy.batch(LOT).product == "Oats"


def test_a_lot_shipped_after_a_transformation_consumed_it_is_flagged_without_quantities() -> None:
    item = "urn:epc:id:sgtin:4012345.012345.9"
    made = event(
        "TransformationEvent",
        "urn:uuid:mix",
        "2026-03-02T08:00:00Z",
        inputEPCList=[item],
        outputQuantityList=[{"epcClass": LOT, "quantity": 5, "uom": "KGM"}],
    )
    ship = event(
        "ObjectEvent",
        "urn:uuid:late",
        "2026-03-02T09:00:00Z",
        action="OBSERVE",
        bizStep="shipping",
        epcList=[item],
        destinationList=[{"type": "owning_party", "destination": SHOP}],
    )
    loaded = qf.load_epcis(doc(made, ship))
    (warning,) = loaded.warnings
    assert warning.event_id == "urn:uuid:late"
    assert "after urn:uuid:mix consumed it" in warning.message
    assert "do not say whether any was left" in warning.message
    strict_fails(doc(made, ship), "consumed it")

    # part of a known quantity consumed: the rest may be shipped, no warning
    part = event(
        "TransformationEvent",
        "urn:uuid:part",
        "2026-03-02T08:00:00Z",
        inputQuantityList=[{"epcClass": LOT, "quantity": 30, "uom": "KGM"}],
        outputQuantityList=[{"epcClass": "urn:example:lot:mix", "quantity": 30, "uom": "KGM"}],
    )
    rest = qf.load_epcis(doc(commission(), part, TX_SHIP_JSON))
    assert rest.warnings == []


def test_a_lot_shipped_after_it_was_destroyed_is_flagged() -> None:
    destroy = event(
        "ObjectEvent",
        "urn:uuid:burn",
        "2026-03-02T08:00:00Z",
        action="OBSERVE",
        bizStep="destroying",
        quantityList=[{"epcClass": LOT, "quantity": 100, "uom": "KGM"}],
    )
    loaded = qf.load_epcis(doc(commission(), destroy, TX_SHIP_JSON))
    (warning,) = loaded.warnings
    assert "after urn:uuid:burn destroyed it" in warning.message
    strict_fails(doc(commission(), destroy, TX_SHIP_JSON), "destroyed it")


def test_an_epc_class_inside_biz_location_is_reported_in_either_form() -> None:
    misplaced = event(
        "ObjectEvent",
        "urn:uuid:odd",
        "2026-03-02T09:00:00Z",
        action="OBSERVE",
        bizStep="receiving",
        quantityList=[{"epcClass": LOT, "quantity": 10, "uom": "KGM"}],
        bizLocation={"id": WAREHOUSE, "epcClass": LOT, "ex:dock": "7"},
    )
    loaded = qf.load_epcis(doc(misplaced))
    (warning,) = loaded.warnings
    assert warning.event_id == "urn:uuid:odd"
    assert "bizLocation holds 'epcClass'" in warning.message
    assert loaded.events[0].biz_location == WAREHOUSE
    strict_fails(doc(misplaced), "bizLocation holds 'epcClass'")

    xml = xml12(
        "<ObjectEvent><eventTime>2026-03-02T09:00:00Z</eventTime><epcList/>"
        "<action>OBSERVE</action>"
        f"<bizLocation><id>{WAREHOUSE}</id><epcClass>{LOT}</epcClass></bizLocation>"
        "<extension><quantityList><quantityElement>"
        f"<epcClass>{LOT}</epcClass><quantity>10</quantity></quantityElement>"
        "</quantityList></extension></ObjectEvent>"
    )
    (xml_warning,) = qf.load_epcis(xml).warnings
    assert "bizLocation holds 'epcClass'" in xml_warning.message


def test_fields_of_another_event_type_are_reported_once_per_file() -> None:
    wrong = [
        event(
            "ObjectEvent",
            f"urn:uuid:o{n}",
            f"2026-03-02T0{n}:00:00Z",
            action="OBSERVE",
            epcList=["urn:epc:id:sgtin:4012345.012345.1"],
            childEPCs=["urn:epc:id:sgtin:4012345.012345.2"],
            inputQuantityList=[{"epcClass": LOT, "quantity": 1, "uom": "KGM", "lot": "x"}],
        )
        for n in (1, 2)
    ]
    loaded = qf.load_epcis(doc(*wrong))
    messages = sorted(w.message.split(";")[0] for w in loaded.warnings)
    assert messages == [
        "field 'childEPCs' does not belong in an ObjectEvent (EPCIS)",
        "field 'inputQuantityList' does not belong in an ObjectEvent (EPCIS)",
    ]
    strict_fails(doc(*wrong), "does not belong in an ObjectEvent")


def test_a_quantity_element_with_a_stray_field_is_reported() -> None:
    odd = event(
        "ObjectEvent",
        "urn:uuid:q",
        "2026-03-02T09:00:00Z",
        action="ADD",
        quantityList=[{"epcClass": LOT, "quantity": 1, "uom": "KGM", "lotNumber": "L77"}],
    )
    (warning,) = qf.load_epcis(doc(odd)).warnings
    assert "holds 'lotNumber'" in warning.message
    strict_fails(doc(odd), "holds 'lotNumber'")


def test_an_error_declaration_matches_its_event_whatever_the_identifier_spelling() -> None:
    urn = "urn:epc:class:lgtin:0614141.077777.987"
    link = "https://id.gs1.org/01/00614141777778/10/987"
    shipped = event(
        "ObjectEvent",
        None,
        "2026-03-02T09:00:00Z",
        action="OBSERVE",
        bizStep="shipping",
        quantityList=[{"epcClass": urn, "quantity": 3, "uom": "KGM"}],
        destinationList=[{"type": "owning_party", "destination": SHOP}],
    )
    declared = {
        **shipped,
        "eventTime": "2026-03-02T10:00:00+01:00",  # the same instant
        "quantityList": [{"epcClass": link, "quantity": 3, "uom": "KGM"}],
        "errorDeclaration": {"declarationTime": "2026-03-03T10:00:00Z"},
    }
    loaded = qf.load_epcis(doc(shipped), doc(declared))
    assert list(loaded.genealogy.shipments()) == []
    assert loaded.retracted == ["<document 1>#event-1", "<document 2>#event-1"]


def test_a_shipping_object_event_and_its_transaction_event_are_one_shipment() -> None:
    observed = {
        **TX_SHIP_JSON,
        "type": "ObjectEvent",
        "eventID": "urn:uuid:obj-ship",
        "action": "OBSERVE",
        "bizTransactionList": [],
    }
    ordered = {**TX_SHIP_JSON, "destinationList": []}  # the order, no destination repeated
    loaded = qf.load_epcis(doc(commission(), observed, ordered))
    (shipment,) = loaded.genealogy.shipments()
    assert shipment.id == "urn:uuid:obj-ship"
    assert shipment.customer_id == SHOP
    record = loaded.shipments[shipment.id]
    assert record.other_events == ("urn:uuid:tx-ship",)
    assert [kind for kind, _ in record.biz_transactions] == ["po", "bol"]
    assert loaded.warnings == []
    # at another time it is another shipment
    later = {**ordered, "eventTime": "2026-03-04T09:00:00Z"}
    assert len(list(qf.load_epcis(doc(commission(), observed, later)).genealogy.shipments())) == 2


def test_an_association_without_parent_is_reported() -> None:
    orphan = association("ADD", "2026-03-02T07:00:00Z", CRATE, SENSOR)
    del orphan["parentID"]
    (warning,) = qf.load_epcis(doc(orphan)).warnings
    assert "without parentID" in warning.message
    strict_fails(doc(orphan), "without parentID")


def test_the_epcis_12_json_draft_binding_with_is_a_is_read() -> None:
    draft = {
        "@context": "https://id.gs1.org/epcis-context.jsonld",
        "isA": "EPCISDocument",
        "schemaVersion": 1.2,
        "creationDate": "2020-03-03T13:07:51.709+00:00",
        "epcisBody": {
            "eventList": [
                {
                    "isA": "ObjectEvent",
                    "eventTime": "2020-03-04T11:00:30.000+01:00",
                    "eventTimeZoneOffset": "+01:00",
                    "epcList": ["urn:epc:id:sgtin:4012345.011111.7"],
                    "action": "OBSERVE",
                    "bizStep": "urn:epcglobal:cbv:bizstep:shipping",
                    "readPoint": "urn:epc:id:sgln:4012345.00011.987",
                    "destinationList": [{"type": "owning_party", "destination": SHOP}],
                }
            ]
        },
    }
    loaded = qf.load_epcis(draft)
    assert loaded.warnings == []
    (shipment,) = loaded.genealogy.shipments()
    assert shipment.customer_id == SHOP
    assert loaded.shipments[shipment.id].ship_from == "urn:epc:id:sgln:4012345.00011.987"


def test_the_orders_of_a_transaction_event_shipment_reach_the_fsma_204_sheet(
    tmp_path: Any,
) -> None:
    import csv

    loaded = qf.load_epcis(doc(commission(), TX_SHIP_JSON))
    impact = loaded.genealogy.recall_impact(LOT)
    path = tmp_path / "fsma.csv"
    qf.to_fsma204(impact, path, genealogy=loaded.genealogy)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = [
            r for r in csv.DictReader(handle) if r["Critical Tracking Event (CTE)"] == "Shipping"
        ]
    (row,) = rows
    assert row["Ship-To Location"] == SHOP
    assert row["Reference Document Type"] == "po; bol"
    assert row["Reference Document Number"].endswith(
        "PO-88; urn:epcglobal:cbv:bt:4012345000009:BOL-12"
    )


def test_a_sensor_element_list_of_the_wrong_shape_is_reported() -> None:
    odd = reading("urn:uuid:r1", 4.0)
    odd["sensorElementList"] = "hot"
    (warning,) = qf.load_epcis(doc(odd)).warnings
    assert "sensorElementList is a str" in warning.message
    strict_fails(doc(odd), "sensorElementList is a str")


def test_an_epcis_body_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(qf.InteropError, match="epcisBody is not an object"):
        qf.load_epcis({**doc(), "epcisBody": ["x"]})


def test_an_epc_in_a_transaction_event_without_a_step_is_still_a_known_lot() -> None:
    item = "urn:epc:id:sgtin:0614141.107346.3000"
    tied = event(
        "TransactionEvent",
        "urn:uuid:po-only",
        "2026-03-02T09:00:00Z",
        action="ADD",
        bizTransactionList=[{"type": "po", "bizTransaction": "urn:example:po:2"}],
        epcList=[item],
    )
    loaded = qf.load_epcis(doc(tied))
    assert loaded.warnings == []
    assert loaded.genealogy.trace_forward(item).ids == set()
    assert loaded.genealogy.batch(item).attributes["epcis_files"] == ["<document 1>"]


def test_a_transaction_event_naming_an_unpacked_pallet_and_its_items_ships_the_items() -> None:
    item = "urn:epc:id:sgtin:0614141.107346.4000"
    ship = event(
        "TransactionEvent",
        "urn:uuid:tx-items",
        "2026-03-02T09:00:00Z",
        action="ADD",
        bizStep="shipping",
        parentID="urn:epc:id:sscc:0614141.1234567890",
        epcList=[item],
        bizTransactionList=[{"type": "po", "bizTransaction": "urn:example:po:3"}],
        destinationList=[{"type": "owning_party", "destination": SHOP}],
    )
    loaded = qf.load_epcis(doc(ship))
    assert loaded.warnings == []
    assert [s.batch_id for s in loaded.genealogy.shipments()] == [item]


def test_extension_values_beyond_any_number_range_still_compare() -> None:
    first = {**reading("urn:uuid:r1", 4.0), "ex:gauge": "1e9999999"}
    second = {**first, "eventID": "urn:uuid:r2"}
    third = {**first, "eventID": "urn:uuid:r3", "ex:gauge": "2e9999999"}
    loaded = qf.load_epcis(doc(first, second, third))
    assert [e.event_id for e in loaded.events] == ["urn:uuid:r1", "urn:uuid:r3"]
