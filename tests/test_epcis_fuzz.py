"""Partners send broken files: mutated real EPCIS documents give warnings or InteropError.

Never another exception, never a hang. Mutations are applied to the real documents of the
dataset folder when it is there, and to a small document written here otherwise.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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

FALLBACK_JSON: dict[str, Any] = {
    "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
    "type": "EPCISDocument",
    "schemaVersion": "2.0",
    "creationDate": "2026-03-02T06:00:00Z",
    "epcisBody": {
        "eventList": [
            {
                "type": "TransformationEvent",
                "eventID": "urn:uuid:mix",
                "eventTime": "2026-03-02T06:00:00Z",
                "eventTimeZoneOffset": "+00:00",
                "inputQuantityList": [
                    {"epcClass": "urn:example:lot:flour", "quantity": 25, "uom": "KGM"}
                ],
                "outputQuantityList": [
                    {"epcClass": "urn:example:lot:dough", "quantity": 40, "uom": "KGM"}
                ],
            },
            {
                "type": "AggregationEvent",
                "eventID": "urn:uuid:pack",
                "eventTime": "2026-03-02T07:00:00Z",
                "eventTimeZoneOffset": "+00:00",
                "action": "ADD",
                "parentID": "urn:epc:id:sscc:4012345.0000000111",
                "childQuantityList": [
                    {"epcClass": "urn:example:lot:dough", "quantity": 40, "uom": "KGM"}
                ],
            },
            {
                "type": "ObjectEvent",
                "eventID": "urn:uuid:ship",
                "eventTime": "2026-03-02T08:00:00Z",
                "eventTimeZoneOffset": "+00:00",
                "action": "OBSERVE",
                "bizStep": "shipping",
                "epcList": ["urn:epc:id:sscc:4012345.0000000111"],
                "destinationList": [
                    {"type": "owning_party", "destination": "urn:example:party:shop"}
                ],
            },
        ]
    },
}


# The other event types and shapes: a TransactionEvent shipment, an AssociationEvent, an
# error declaration without eventID (a copy of the event it withdraws), sensor data.
_SHIP_NO_ID: dict[str, Any] = {
    "type": "ObjectEvent",
    "eventTime": "2026-03-02T09:00:00Z",
    "eventTimeZoneOffset": "+00:00",
    "action": "OBSERVE",
    "bizStep": "urn:epcglobal:fmcg:bizstep:shipping",
    "quantityList": [{"epcClass": "urn:example:lot:dough", "quantity": 5, "uom": "KGM"}],
    "destinationList": [{"type": "owning_party", "destination": "urn:example:party:cafe"}],
    "sensorElementList": [
        {
            "sensorMetadata": {"time": "2026-03-02T09:00:00Z"},
            "sensorReport": [{"type": "Temperature", "value": 4.5, "uom": "CEL"}],
        }
    ],
}
SHAPES_JSON: dict[str, Any] = {
    **FALLBACK_JSON,
    "epcisBody": {
        "eventList": [
            *FALLBACK_JSON["epcisBody"]["eventList"],
            {
                "type": "TransactionEvent",
                "eventID": "urn:uuid:tx",
                "eventTime": "2026-03-02T08:00:00Z",
                "eventTimeZoneOffset": "+00:00",
                "action": "ADD",
                "bizStep": "shipping",
                "parentID": "urn:epc:id:sscc:4012345.0000000111",
                "epcList": ["urn:epc:id:sgtin:4012345.011111.1"],
                "bizTransactionList": [{"type": "po", "bizTransaction": "urn:example:po:1"}],
                "destinationList": [
                    {"type": "owning_party", "destination": "urn:example:party:shop"}
                ],
            },
            {
                "type": "AssociationEvent",
                "eventID": "urn:uuid:assoc",
                "eventTime": "2026-03-02T07:30:00Z",
                "eventTimeZoneOffset": "+00:00",
                "action": "ADD",
                "parentID": "urn:epc:id:grai:4012345.55555.1",
                "childEPCs": ["urn:epc:id:giai:4000001.111"],
                "childQuantityList": [{"epcClass": "urn:example:lot:flour", "quantity": 1}],
            },
            _SHIP_NO_ID,
            {
                **_SHIP_NO_ID,
                "errorDeclaration": {
                    "declarationTime": "2026-03-03T09:00:00Z",
                    "correctiveEventIDs": ["urn:uuid:tx"],
                },
            },
        ]
    },
}


def json_documents() -> list[Any]:
    docs: list[Any] = [FALLBACK_JSON, SHAPES_JSON]
    if DATA.is_dir():
        for name in (
            "opentraceability/traceback_tests.jsonld",
            "gs1-EPCIS/ErrorDeclarationAndCorrectiveEvent.jsonld",
            "gs1-EPCIS/Example_9.6.4-TransformationEventWithDigitalLink.jsonld",
            "openepcis-test-resources/CurieString_document.json",
        ):
            docs.append(json.loads((DATA / name).read_text(encoding="utf-8-sig")))
    return docs


def xml_documents() -> list[str]:
    docs = [
        "<EPCISDocument><EPCISBody><EventList><ObjectEvent><eventTime>2026-03-02T06:00:00Z"
        "</eventTime><action>ADD</action><extension><quantityList><quantityElement>"
        "<epcClass>urn:example:lot:a</epcClass><quantity>3</quantity><uom>KGM</uom>"
        "</quantityElement></quantityList></extension></ObjectEvent></EventList></EPCISBody>"
        "</EPCISDocument>",
        "<EPCISDocument><EPCISBody><EventList><TransactionEvent><eventTime>"
        "2026-03-02T06:00:00Z</eventTime><bizTransactionList><bizTransaction "
        'type="urn:epcglobal:cbv:btt:po">urn:example:po:9</bizTransaction>'
        "</bizTransactionList><epcList><epc>urn:example:item:1</epc></epcList>"
        "<action>ADD</action><bizStep>urn:epcglobal:hls:bizstep:shipping</bizStep>"
        "<bizLocation><id>urn:example:loc:1</id><epcClass>x</epcClass></bizLocation>"
        "<extension><destinationList><destination "
        'type="urn:epcglobal:cbv:sdt:owning_party">urn:example:party:p</destination>'
        "</destinationList></extension><baseExtension><errorDeclaration><declarationTime>"
        "2026-03-03T06:00:00Z</declarationTime></errorDeclaration></baseExtension>"
        "</TransactionEvent><extension><AssociationEvent><eventTime>2026-03-02T06:00:00Z"
        "</eventTime><parentID>urn:example:asset:1</parentID><childEPCs><epc>"
        "urn:example:sensor:1</epc></childEPCs><action>ADD</action><sensorElementList>"
        '<sensorElement><sensorReport type="gs1:Temperature" value="3"/></sensorElement>'
        "</sensorElementList></AssociationEvent></extension></EventList></EPCISBody>"
        "</EPCISDocument>",
    ]
    if DATA.is_dir():
        for name in (
            "opentraceability/secondary-processor.xml",
            "InteroperabilityExercise/IOE - USWildTunaScenario.xml",
            "gs1-EPCIS/ErrorDeclarationAndCorrectiveEvent.xml",
        ):
            docs.append((DATA / name).read_text(encoding="utf-8-sig"))
    return docs


JSON_DOCS = json_documents()
XML_DOCS = xml_documents()

junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "",
            "ADD",
            "DELETE",
            "shipping",
            "KGM",
            "-5",
            "1e400",
            "1e9999999",
            "2026-13-45T99:00:00Z",
            "urn:epc:id:sscc:1.2",
            "https://id.gs1.org/01/123/10/x",
        ]
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.extend(_paths(value, (*prefix, index)))
    return out


@st.composite
def mutated_json(draw: st.DrawFn) -> Any:
    document = copy.deepcopy(draw(st.sampled_from(JSON_DOCS)))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(document)
        path = draw(st.sampled_from(paths))
        if not path:
            continue
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "duplicate"]))
        if action == "replace":
            parent[path[-1]] = draw(junk)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
    return document


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_json(), st.booleans(), st.booleans())
def test_mutated_json_documents_give_warnings_or_interop_error(
    document: Any, as_text: bool, strict: bool
) -> None:
    source = json.dumps(document) if as_text else document
    try:
        result = qf.load_epcis(source, strict=strict)
    except qf.InteropError:
        return
    assert isinstance(result.genealogy, qf.Genealogy)
    assert all(isinstance(w, qf.EpcisWarning) for w in result.warnings)


@st.composite
def mutated_xml(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(XML_DOCS))
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, max(0, len(text) - 1)))
        length = draw(st.integers(0, 40))
        replacement = draw(
            st.sampled_from(
                [
                    "",
                    "<",
                    ">",
                    "&amp;",
                    "&lol;",
                    "</extension>",
                    "<epc>x</epc>",
                    "twenty",
                    "<quantity>-3</quantity>",
                    "<!DOCTYPE x>",
                    "\x00",
                    "Z",
                ]
            )
            | st.text(max_size=8)
        )
        text = text[:start] + replacement + text[start + length :]
    return text


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_xml(), st.booleans())
def test_mutated_xml_documents_give_warnings_or_interop_error(text: str, as_bytes: bool) -> None:
    source: str | bytes = text.encode("utf-8", errors="replace") if as_bytes else text
    try:
        result = qf.load_epcis(source)
    except qf.InteropError:
        return
    assert isinstance(result.genealogy, qf.Genealogy)


@pytest.mark.parametrize(
    "document", [json.dumps(d)[:n] for d in JSON_DOCS[:1] for n in (0, 1, 50, 400)]
)
def test_truncated_json_is_refused(document: str) -> None:
    with pytest.raises(qf.InteropError):
        qf.load_epcis(document or "{")
