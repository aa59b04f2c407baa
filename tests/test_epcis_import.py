"""A recall desk loads what its partners send: GS1 EPCIS from real supply chains.

The documents live in ``../shared/datasets/epcis`` (third-party data, never copied into the
repository); tests that need them skip when the folder is absent.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import qualityflow as qf

# The shared data sit beside the repository (``../shared``); a git worktree one level deeper
# finds them too.
DATA = next(
    (
        parent / "shared" / "datasets" / "epcis"
        for parent in Path(__file__).resolve().parents[1:4]
        if (parent / "shared" / "datasets" / "epcis").is_dir()
    ),
    Path(__file__).resolve().parents[2] / "shared" / "datasets" / "epcis",
)
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"EPCIS test data folder {DATA} not present (sibling shared/)"
)

GDST = "urn:gdst:example.org:product:lot:class:"
CTX = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"]


def doc(*events: dict[str, Any]) -> dict[str, Any]:
    """A minimal EPCIS 2.0 JSON-LD document around the given events."""
    return {
        "@context": CTX,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-02T06:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }


def event(kind: str, event_id: str, time: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "eventID": event_id,
        "eventTime": time,
        "eventTimeZoneOffset": "+00:00",
        **fields,
    }


def lot(
    epc_class: str, amount: float | str | None = None, uom: str | None = "KGM"
) -> dict[str, Any]:
    element: dict[str, Any] = {"epcClass": epc_class}
    if amount is not None:
        element["quantity"] = amount
    if uom is not None and amount is not None:
        element["uom"] = uom
    return element


def customers_reached(result: qf.EpcisImport, start: str) -> set[str]:
    g = result.genealogy
    return {
        g.shipment(i).customer_id
        for i in g.trace_forward(start).ids
        if i in set(s.id for s in g.shipments())
    }


def signature(g: qf.Genealogy, with_shipment_ids: bool = True) -> tuple[Any, ...]:
    """What two genealogies must share to be 'the same graph'."""
    return (
        sorted(b.id for b in g.batches()),
        sorted((s, t, q) for s, t, q in g.links()),
        sorted(
            (
                sh.id if with_shipment_ids else "",
                sh.batch_id,
                sh.customer_id,
                sh.quantity,
                sh.shipped_at,
            )
            for sh in g.shipments()
        ),
    )


# --- every file in the dataset ---------------------------------------------------


def dataset_files() -> list[Path]:
    if not DATA.is_dir():
        return []
    return sorted(p for p in DATA.rglob("*") if p.is_file() and p.suffix != ".md")


@needs_data
@pytest.mark.parametrize("path", dataset_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_partner_file_imports_or_is_refused_with_a_reason(path: Path) -> None:
    try:
        result = qf.load_epcis(path)
    except qf.InteropError as exc:
        assert str(path) in str(exc)
        assert "refused" in str(exc)
        return
    assert isinstance(result.genealogy, qf.Genealogy)
    for batch in result.genealogy.batches():  # records built without re-validation are valid
        assert qf.Batch.model_validate(batch.model_dump()) == batch
    for warning in result.warnings:
        assert warning.file == str(path)
        assert warning.message
    if result.events:
        times = [e.event_time for e in result.events]
        assert times == sorted(times)


@needs_data
def test_schema_context_and_master_data_documents_are_refused_saying_what_they_are() -> None:
    with pytest.raises(qf.InteropError, match="JSON Schema"):
        qf.load_epcis(DATA / "gs1-EPCIS" / "EPCIS-JSON-Schema.json")
    with pytest.raises(qf.InteropError, match="JSON-LD @context"):
        qf.load_epcis(DATA / "gs1-EPCIS" / "epcis-context.jsonld")
    master_only = (
        '<epcis:EPCISMasterDataDocument xmlns:epcis="urn:epcglobal:epcis-masterdata:xsd:1"/>'
    )
    with pytest.raises(qf.InteropError, match="master-data"):
        qf.load_epcis(master_only)


# --- chain A: farmed and wild tuna through a case inside a pallet -----------------


@needs_data
def test_chain_a_feed_lot_traced_through_case_inside_pallet_to_the_importer() -> None:
    result = qf.load_epcis(DATA / "opentraceability" / "traceback_tests.jsonld")
    g = result.genealogy
    feed = GDST + "feedmill.1u.ff11252021"
    canned = GDST + "processor.2u.v1-0122-2022"
    trace = g.trace_forward(feed)
    assert canned in trace.ids
    to_importer = [
        s for s in g.shipments() if s.batch_id == canned and s.customer_id.endswith("importer.1u")
    ]
    assert len(to_importer) == 1
    shipment = to_importer[0]
    assert shipment.id in trace.ids
    assert shipment.quantity == qf.Quantity(amount=5000, unit="kg")
    assert trace.path_to(shipment.id) == [
        feed,
        GDST + "fishfarm.1u.farmed-tuna-01192022",
        GDST + "processor.10u.commingle-01232022",
        canned,
        shipment.id,
    ]
    # the pallet SSCC .0005 was shipped; the lot travelled in case .0004 inside it
    record = result.shipments[shipment.id]
    assert record.containers == (
        "urn:epc:id:sscc:08600031303.0005",
        "urn:epc:id:sscc:08600031303.0004",
    )
    assert record.received_by is not None  # the importer's receiving event confirms it
    # containment is not genealogy: no pallet or case becomes a node
    assert not any("sscc" in node for node in g.graph.nodes)


@needs_data
def test_chain_a_known_data_flaws_are_reported_not_crashed_on() -> None:
    result = qf.load_epcis(DATA / "opentraceability" / "traceback_tests.jsonld")
    messages = [w.message for w in result.warnings]
    assert any("consumed (10000 kg) than the lot holds (9876 kg)" in m for m in messages)
    assert any("feedmill.1u.ff11252021 shipped at 2022-02-03" in m for m in messages)
    assert any("eventIDs must be unique" in m for m in messages)
    with pytest.raises(qf.InteropError, match=r"traceback_tests\.jsonld"):
        qf.load_epcis(DATA / "opentraceability" / "traceback_tests.jsonld", strict=True)


@needs_data
def test_chain_a_backward_from_the_importers_lot_finds_both_raw_sources() -> None:
    g = qf.load_epcis(DATA / "opentraceability" / "gdst_data_withmasterdata.jsonld").genealogy
    upstream = g.trace_backward(GDST + "processor.2u.v1-0122-2022").ids
    assert {
        GDST + "feedmill.1u.ff11252021",
        GDST + "hatchery.1u.tf12012021",
        GDST + "fisherman01.tunau.v1-0122-2022",
    } <= upstream
    # master data names the product
    assert g.batch(GDST + "processor.2u.v1-0122-2022").product == "Can of Tuna"


# --- chain B: three companies, three files -----------------------------------------


@needs_data
def test_chain_b_three_companies_merge_into_one_genealogy() -> None:
    folder = DATA / "opentraceability"
    result = qf.load_epcis(
        folder / "primary-processor.xml",
        folder / "secondary-processor.xml",
        folder / "importer.xml",
    )
    g = result.genealogy
    whole = GDST + "processor02.yellowfintunawhole.2025121114333457"
    canned = "urn:epc:class:lgtin:08600031303.00.abc12320250825"
    trace = g.trace_forward(whole)
    assert GDST + "processor01.yellowfintunafillets.2025121114333454" in trace.ids
    assert canned in trace.ids
    consignees = {
        g.shipment(i).customer_id for i in trace.ids if g.graph.nodes[i]["kind"] == "shipment"
    }
    assert any("importer01" in c for c in consignees)
    assert any("processor01" in c for c in consignees)
    assert g.batch(canned).quantity == qf.Quantity(amount=45246, unit="kg")
    # the salmon-fillet lot went to processor01 but nobody received it
    salmon = GDST + "processor01.atlanticsalmonfilets.2025121114333524"
    salmon_ships = [s for s in g.shipments() if s.batch_id == salmon]
    assert salmon_ships and all(result.shipments[s.id].received_by is None for s in salmon_ships)
    assert canned not in g.trace_forward(salmon).ids


@needs_data
def test_chain_b_error_declared_copies_of_shipping_events_count_once() -> None:
    result = qf.load_epcis(DATA / "opentraceability" / "primary-processor.xml")
    fillet = GDST + "processor01.yellowfintunafillets.2025121114333454"
    shipped = [s for s in result.genealogy.shipments() if s.batch_id == fillet]
    assert len(shipped) == 1
    assert "urn:uuid:8b430de0-2b00-4480-8e1b-c24e569c07ba" in result.retracted


# --- chains C and D: the vendors' interoperability exercise ------------------------


@needs_data
def test_chain_c_wild_tuna_whole_to_can_to_consignee() -> None:
    result = qf.load_epcis(DATA / "InteroperabilityExercise" / "IOE - USWildTunaScenario.xml")
    g = result.genealogy
    whole = GDST + "gdst.com.100.WHOLE123"
    can = GDST + "gdst.com.102.CAN123"
    trace = g.trace_forward(whole)
    assert GDST + "gdst.com.101.FILLET123" in trace.ids and can in trace.ids
    can_ships = [s for s in g.shipments() if s.batch_id == can]
    assert can_ships and all(s.id in trace.ids for s in can_ships)
    # the shipping events name no destination: the receiving event's location stands in
    assert any("names no destination" in w.message for w in result.warnings)
    assert all(s.customer_id != "unknown" for s in can_ships)


@needs_data
def test_chain_d_shrimp_with_javascript_dates_still_traced() -> None:
    result = qf.load_epcis(
        DATA / "InteroperabilityExercise" / "IOE - EcuadorianShrimpFarmScenario.xml"
    )
    g = result.genealogy
    raw = GDST + "gdst.com.001.RAW123"
    peeled = GDST + "gdst.com.002.PEELED123"
    trace = g.trace_forward(raw)
    assert peeled in trace.ids
    consignees = {
        g.shipment(i).customer_id for i in trace.ids if g.graph.nodes[i]["kind"] == "shipment"
    }
    assert consignees == {"urn:gdst:example.org:location:loc:gdst.com.003"}
    assert sum("JavaScript Date" in w.message for w in result.warnings) == 3


# --- chain E: salmon and tuna on one mixed pallet ------------------------------------


@needs_data
def test_chain_e_salmon_recall_does_not_implicate_tuna_on_the_same_pallet() -> None:
    g = qf.load_epcis(DATA / "opentraceability" / "all_wholechain_events.jsonld").genealogy
    wc = "urn:gdst:wholechain.com:product:lot:class:fishcompany."
    salmon_fry = wc + "sal-fry.weio348"
    salmon = wc + "sal-whole.eiwo493"
    impact = g.recall_impact(salmon_fry)
    affected = set(impact.batch_ids)
    assert salmon in affected
    assert not any("tuna" in b for b in affected)
    assert [s.batch_id for s in impact.shipments] == [salmon]
    # while the tuna catch reaches the filet lot made from the pallet's tuna
    tuna = g.trace_forward(wc + "tuna.23423")
    assert (
        "urn:gdst:wholechain.com:product:lot:class:processingcompany.tunafilet.34e5e863" in tuna.ids
    )
    assert salmon not in tuna.ids


# --- JSON-LD and XML say the same -----------------------------------------------------


@needs_data
@pytest.mark.parametrize(
    ("json_file", "xml_file", "same_ids"),
    [
        (
            "opentraceability/gdst_data_withmasterdata.jsonld",
            "opentraceability/querydoc_example01.xml",
            True,
        ),
        ("gs1-EPCIS/Example_9.6.4-TransformationEvent.jsonld", "gs1-EPCIS/Example4.xml", True),
        # the XML twin carries no eventIDs, so only the shipment ids differ
        (
            "gs1-EPCIS/Example_9.6.1-ObjectEvent.jsonld",
            "gs1-EPCIS/Example_9.6.1-ObjectEvent-2020_06_18a.xml",
            False,
        ),
    ],
)
def test_json_ld_and_xml_versions_give_the_same_genealogy(
    json_file: str, xml_file: str, same_ids: bool
) -> None:
    from_json = qf.load_epcis(DATA / json_file).genealogy
    from_xml = qf.load_epcis(DATA / xml_file).genealogy
    assert signature(from_json, same_ids) == signature(from_xml, same_ids)
    assert len(from_json) > 0


@needs_data
def test_digital_link_and_epc_urn_name_the_same_lot() -> None:
    urn = qf.load_epcis(DATA / "gs1-EPCIS" / "Example_9.6.4-TransformationEvent.jsonld")
    dl = qf.load_epcis(
        DATA / "gs1-EPCIS" / "Example_9.6.4-TransformationEventWithDigitalLink.jsonld"
    )
    node = dl.node_id("urn:epc:class:lgtin:0614141.077777.987")
    assert node == "https://id.gs1.org/01/00614141777778/10/987"
    assert (
        urn.node_id("https://id.gs1.org/01/00614141777778/10/987")
        == "urn:epc:class:lgtin:0614141.077777.987"
    )
    both = qf.load_epcis(
        DATA / "gs1-EPCIS" / "Example_9.6.4-TransformationEvent.jsonld",
        DATA / "gs1-EPCIS" / "Example_9.6.4-TransformationEventWithDigitalLink.jsonld",
    )
    assert len(list(both.genealogy.batches())) == len(list(urn.genealogy.batches()))


# --- the rules, on small documents written here ---------------------------------------


def test_bizstep_spellings_are_one_vocabulary_and_extensions_are_kept() -> None:
    spellings = [
        "shipping",
        "urn:epcglobal:cbv:bizstep:shipping",
        "https://ref.gs1.org/cbv/BizStep-shipping",
    ]
    events = [
        event(
            "ObjectEvent",
            f"urn:uuid:s{n}",
            f"2026-03-0{n + 1}T08:00:00Z",
            action="OBSERVE",
            bizStep=step,
            quantityList=[lot(f"urn:example:lot:biscuit-{n}", 10)],
            destinationList=[
                {
                    "type": "https://ref.gs1.org/cbv/SDT-owning_party",
                    "destination": "urn:example:party:shop",
                }
            ],
        )
        for n, step in enumerate(spellings)
    ]
    events.append(
        event(
            "ObjectEvent",
            "urn:uuid:h",
            "2026-03-05T08:00:00Z",
            action="ADD",
            bizStep="urn:gdst:bizStep:farmHarvest",
            quantityList=[lot("urn:example:lot:wheat", 5)],
        )
    )
    result = qf.load_epcis(doc(*events))
    assert [e.biz_step for e in result.events] == ["shipping"] * 3 + [
        "urn:gdst:bizStep:farmHarvest"
    ]
    shipments = list(result.genealogy.shipments())
    assert len(shipments) == 3
    assert {s.customer_id for s in shipments} == {"urn:example:party:shop"}
    assert result.warnings == []


def test_transformation_links_every_input_to_every_output_and_merges_by_transformation_id() -> None:
    mixing = event(
        "TransformationEvent",
        "urn:uuid:t1",
        "2026-03-02T08:00:00Z",
        transformationID="urn:example:transformation:dough-7",
        inputQuantityList=[lot("urn:example:lot:flour", 100), lot("urn:example:lot:sugar", 20)],
    )
    baking = event(
        "TransformationEvent",
        "urn:uuid:t2",
        "2026-03-02T09:00:00Z",
        transformationID="urn:example:transformation:dough-7",
        outputQuantityList=[
            lot("urn:example:lot:biscuit-a", 60),
            lot("urn:example:lot:biscuit-b", 55),
        ],
    )
    g = qf.load_epcis(doc(mixing, baking)).genealogy
    links = {(s, t): q for s, t, q in g.links()}
    kg = lambda n: qf.Quantity(amount=n, unit="kg")  # noqa: E731
    assert links == {
        ("urn:example:lot:flour", "urn:example:lot:biscuit-a"): kg(100),
        ("urn:example:lot:flour", "urn:example:lot:biscuit-b"): kg(100),
        ("urn:example:lot:sugar", "urn:example:lot:biscuit-a"): kg(20),
        ("urn:example:lot:sugar", "urn:example:lot:biscuit-b"): kg(20),
    }
    assert g.batch("urn:example:lot:flour").kind is qf.BatchKind.RAW_MATERIAL
    assert g.batch("urn:example:lot:biscuit-a").kind is qf.BatchKind.FINISHED
    assert g.batch("urn:example:lot:biscuit-a").quantity == kg(60)


def _pallet_story(file_order: list[int]) -> dict[str, Any]:
    """Toy factory: teddy lot packed on a pallet, pallet shipped, lot unpacked, pallet reused."""
    teddy, robot = "urn:example:lot:teddy-1", "urn:example:lot:robot-9"
    pallet = "urn:epc:id:sscc:4012345.0000000111"
    story = [
        event(
            "AggregationEvent",
            "urn:uuid:a1",
            "2026-03-02T08:00:00Z",
            action="ADD",
            bizStep="packing",
            parentID=pallet,
            childQuantityList=[lot(teddy, 300, "H87")],
        ),
        event(
            "ObjectEvent",
            "urn:uuid:o1",
            "2026-03-02T09:00:00Z",
            action="OBSERVE",
            bizStep="shipping",
            epcList=[pallet],
            destinationList=[{"type": "owning_party", "destination": "urn:example:party:toyshop"}],
        ),
        event(
            "AggregationEvent",
            "urn:uuid:a2",
            "2026-03-03T08:00:00Z",
            action="DELETE",
            bizStep="unpacking",
            parentID=pallet,
        ),
        event(
            "AggregationEvent",
            "urn:uuid:a3",
            "2026-03-04T08:00:00Z",
            action="ADD",
            bizStep="packing",
            parentID=pallet,
            childQuantityList=[lot(robot, 50, "H87")],
        ),
        event(
            "ObjectEvent",
            "urn:uuid:o2",
            "2026-03-04T09:00:00Z",
            action="OBSERVE",
            bizStep="shipping",
            epcList=[pallet],
            destinationList=[{"type": "location", "destination": "urn:example:loc:warehouse"}],
        ),
    ]
    return doc(*[story[i] for i in file_order])


@pytest.mark.parametrize("file_order", [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 4, 0, 3, 1]])
def test_shipping_a_pallet_ships_what_it_held_then_whatever_the_file_order(
    file_order: list[int],
) -> None:
    g = qf.load_epcis(_pallet_story(file_order)).genealogy
    shipped = {(s.batch_id, s.customer_id, s.quantity.amount) for s in g.shipments()}
    assert shipped == {
        ("urn:example:lot:teddy-1", "urn:example:party:toyshop", Decimal(300)),
        ("urn:example:lot:robot-9", "urn:example:loc:warehouse", Decimal(50)),
    }
    assert g.batch("urn:example:lot:teddy-1").quantity.unit == "pc"


def test_error_declaration_retracts_the_event_and_the_corrective_one_applies() -> None:
    wrong = event(
        "TransformationEvent",
        "urn:uuid:bad",
        "2026-03-02T08:00:00Z",
        inputQuantityList=[lot("urn:example:lot:pulp", 500)],
        outputQuantityList=[lot("urn:example:lot:tissue-WRONG", 450)],
        errorDeclaration={
            "declarationTime": "2026-03-03T08:00:00Z",
            "reason": "urn:epcglobal:cbv:er:incorrect_data",
            "correctiveEventIDs": ["urn:uuid:good"],
        },
    )
    right = event(
        "TransformationEvent",
        "urn:uuid:good",
        "2026-03-02T08:00:00Z",
        inputQuantityList=[lot("urn:example:lot:pulp", 500)],
        outputQuantityList=[lot("urn:example:lot:tissue-7", 480)],
    )
    result = qf.load_epcis(doc(wrong, right))
    g = result.genealogy
    assert "urn:example:lot:tissue-WRONG" not in g
    assert g.batch("urn:example:lot:tissue-7").quantity == qf.Quantity(amount=480, unit="kg")
    assert result.retracted == ["urn:uuid:bad"]
    assert [e.event_id for e in result.events] == ["urn:uuid:good"]


def test_duplicates_by_event_id_or_by_content_count_once() -> None:
    ship = event(
        "ObjectEvent",
        "urn:uuid:ship-1",
        "2026-03-02T08:00:00Z",
        action="OBSERVE",
        bizStep="shipping",
        quantityList=[lot("urn:example:lot:soap-3", 40)],
        destinationList=[{"type": "owning_party", "destination": "urn:example:party:hotel"}],
    )
    same_id = dict(ship)
    other_id = {**ship, "eventID": "urn:uuid:ship-1-resent"}
    result = qf.load_epcis(doc(ship), doc(same_id, other_id))
    assert len(list(result.genealogy.shipments())) == 1
    assert len(result.events) == 1
    assert sum("counted once" in w.message for w in result.warnings) == 2


def test_flawed_partner_data_gives_warnings_naming_file_and_event() -> None:
    flawed = doc(
        event(
            "ObjectEvent",
            "urn:uuid:t",
            "yesterday",
            action="ADD",
            quantityList=[lot("urn:example:lot:a", 1)],
        ),
        event(
            "ObjectEvent",
            "urn:uuid:q",
            "2026-03-02T08:00:00Z",
            action="ADD",
            quantityList=[lot("urn:example:lot:b", "twenty")],
        ),
        event(
            "ObjectEvent",
            "urn:uuid:d",
            "2026-03-02T09:00:00Z",
            action="OBSERVE",
            bizStep="shipping",
            quantityList=[lot("urn:example:lot:b", 5)],
        ),
    )
    result = qf.load_epcis(json.dumps(flawed))
    by_event = {w.event_id: w for w in result.warnings}
    assert set(by_event) == {"urn:uuid:t", "urn:uuid:q", "urn:uuid:d"}
    assert all(w.file == "<text 1>" for w in result.warnings)
    assert "skipped" in by_event["urn:uuid:t"].message
    assert "'twenty'" in by_event["urn:uuid:q"].message
    assert "no destination" in by_event["urn:uuid:d"].message
    assert result.genealogy.shipment("urn:uuid:d").customer_id == "unknown"
    with pytest.raises(qf.InteropError, match=r"<text 1>: event urn:uuid:t: eventTime"):
        qf.load_epcis(json.dumps(flawed), strict=True)


def test_a_cycle_in_partner_data_is_cut_with_a_warning() -> None:
    loop = doc(
        event(
            "TransformationEvent",
            "urn:uuid:1",
            "2026-03-02T08:00:00Z",
            inputQuantityList=[lot("urn:example:lot:x", 1)],
            outputQuantityList=[lot("urn:example:lot:y", 1)],
        ),
        event(
            "TransformationEvent",
            "urn:uuid:2",
            "2026-03-02T09:00:00Z",
            inputQuantityList=[lot("urn:example:lot:y", 1)],
            outputQuantityList=[lot("urn:example:lot:x", 1)],
        ),
    )
    result = qf.load_epcis(loop)
    assert len(list(result.genealogy.links())) == 1
    assert any("cycle" in w.message for w in result.warnings)


def test_xml_entity_bombs_and_external_entities_are_refused() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        "<EPCISDocument><EPCISBody><EventList/></EPCISBody></EPCISDocument>"
    )
    with pytest.raises(qf.InteropError, match="entities"):
        qf.load_epcis(bomb)
    external = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<EPCISDocument><EPCISBody><EventList/></EPCISBody></EPCISDocument>"
    )
    with pytest.raises(qf.InteropError):
        qf.load_epcis(external)


def test_sources_that_are_not_epcis_are_refused_and_change_nothing(tmp_path: Path) -> None:
    csv_file = tmp_path / "lots.csv"
    csv_file.write_text("lot,qty\nA,1\n")
    with pytest.raises(qf.InteropError, match="neither XML nor JSON"):
        qf.load_epcis(csv_file)
    with pytest.raises(qf.InteropError, match="cannot read the file"):
        qf.load_epcis(tmp_path / "missing.jsonld")
    with pytest.raises(qf.InteropError, match="not an EPCIS document"):
        qf.load_epcis("<html><body/></html>")
    with pytest.raises(qf.InteropError, match="JSON list"):
        qf.load_epcis("[1, 2]")


def test_duplicate_detection_compares_every_business_field() -> None:
    from qualityflow.interop import EpcisEvent

    # content_key slices the named tuple from action to biz_transactions
    assert EpcisEvent._fields[5] == "action"
    assert EpcisEvent._fields[20] == "biz_transactions"
    base = event(
        "ObjectEvent",
        "urn:uuid:a",
        "2026-03-02T08:00:00Z",
        action="OBSERVE",
        bizStep="shipping",
        quantityList=[lot("urn:example:lot:towel-5", 12)],
        destinationList=[{"type": "owning_party", "destination": "urn:example:party:spa"}],
    )
    other_destination = {
        **base,
        "eventID": "urn:uuid:b",
        "destinationList": [{"type": "owning_party", "destination": "urn:example:party:gym"}],
    }
    result = qf.load_epcis(doc(base, other_destination))
    assert len(list(result.genealogy.shipments())) == 2


def test_imported_records_pass_model_validation() -> None:
    result = qf.load_epcis(_pallet_story([0, 1, 2, 3, 4]))
    for batch in result.genealogy.batches():
        assert qf.Batch.model_validate(batch.model_dump()) == batch
    for shipment in result.genealogy.shipments():
        assert qf.Shipment.model_validate(shipment.model_dump()) == shipment


@needs_data
def test_what_was_on_the_pallet_when_it_left_and_after_unpacking() -> None:
    from datetime import datetime, timezone

    loaded = qf.load_epcis(DATA / "opentraceability" / "traceback_tests.jsonld")
    pallet, case = "urn:epc:id:sscc:08600031303.0005", "urn:epc:id:sscc:08600031303.0004"
    shipped = datetime(2022, 1, 29, 11, 12, 4, tzinfo=timezone.utc)
    assert loaded.contents(pallet, shipped) == {case}
    assert loaded.contents(case, shipped) == {GDST + "processor.2u.v1-0122-2022"}
    unpacked = datetime(2022, 2, 5, tzinfo=timezone.utc)
    assert loaded.contents(pallet, unpacked) == set()
    before_packing = datetime(2022, 1, 1, tzinfo=timezone.utc)
    assert loaded.contents(pallet, before_packing) == set()
