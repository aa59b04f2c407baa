"""The EPCIS reader's warnings and refusals speak the active locale; ids stay as given."""

from __future__ import annotations

from typing import Any

import pytest

import qualityflow as qf
from qualityflow.i18n import using
from qualityflow.interop import epcis, events

CTX = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"]
LOT = "urn:epc:class:lgtin:4012345.012345.LOT-7"
PALLET = "urn:epc:id:sscc:4012345.0000000042"


def event(kind: str, event_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "eventID": event_id,
        "eventTime": "2026-03-02T08:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        **fields,
    }


def flawed_document() -> dict[str, Any]:
    """Three flaws of the event reader and one of the genealogy builder, in this order."""
    return {
        "@context": CTX,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-02T06:00:00Z",
        "epcisBody": {
            "eventList": [
                event(
                    "ObjectEvent",
                    "urn:uuid:ev-1",
                    action="MOVE",
                    bizStep="commissioning",
                    quantityList=[{"epcClass": LOT, "quantity": 5, "uom": "KGM"}],
                ),
                event("FooEvent", "urn:uuid:ev-2"),
                event("ObjectEvent", "urn:uuid:ev-3", action="OBSERVE"),
                event(
                    "AggregationEvent",
                    "urn:uuid:ev-4",
                    action="ADD",
                    parentID=PALLET,
                    childEPCs=[PALLET],
                ),
            ]
        },
    }


ENGLISH = [
    ("urn:uuid:ev-1", "action 'MOVE' is not ADD, OBSERVE or DELETE; read as OBSERVE"),
    ("urn:uuid:ev-2", "unknown event type 'FooEvent'; event skipped"),
    (
        "urn:uuid:ev-3",
        "ObjectEvent names no objects (no epcList or quantityList); nothing recorded",
    ),
    ("urn:uuid:ev-4", f"{PALLET} cannot contain itself; ignored"),
]

CHINESE = [
    ("urn:uuid:ev-1", "动作 'MOVE' 不是 ADD、OBSERVE 或 DELETE；按 OBSERVE 读取"),
    ("urn:uuid:ev-2", "未知的事件类型 'FooEvent'；已跳过该事件"),
    (
        "urn:uuid:ev-3",
        "ObjectEvent（对象事件）未列出任何对象（没有 epcList 或 quantityList）；未记录任何内容",
    ),
    ("urn:uuid:ev-4", f"{PALLET} 不能包含自身；已忽略"),
]


def messages(result: qf.EpcisImport) -> list[tuple[str | None, str]]:
    return [(w.event_id, w.message) for w in result.warnings]


def test_english_warnings_are_todays_text() -> None:
    result = qf.load_epcis(flawed_document())
    assert messages(result) == ENGLISH
    assert {w.file for w in result.warnings} == {"<document 1>"}
    with using("en"):
        assert messages(qf.load_epcis(flawed_document())) == ENGLISH


def test_chinese_warnings_keep_ids_files_and_values() -> None:
    with using("zh_CN"):
        result = qf.load_epcis(flawed_document())
    assert messages(result) == CHINESE
    assert {w.file for w in result.warnings} == {"<document 1>"}
    # the import itself does not depend on the language
    english = qf.load_epcis(flawed_document())
    assert sorted(b.id for b in result.genealogy.batches()) == sorted(
        b.id for b in english.genealogy.batches()
    )


def test_a_warning_keeps_the_language_it_was_made_in() -> None:
    with using("zh_CN"):
        result = qf.load_epcis(flawed_document())
    with using("en"):
        assert messages(result) == CHINESE
        assert str(result.warnings[0]).endswith(CHINESE[0][1])


def test_strict_refusal_is_in_the_active_locale() -> None:
    with pytest.raises(qf.InteropError) as english:
        qf.load_epcis(flawed_document(), strict=True)
    assert str(english.value) == f"<document 1>: event urn:uuid:ev-1: {ENGLISH[0][1]}"
    with using("zh_CN"), pytest.raises(qf.InteropError) as chinese:
        qf.load_epcis(flawed_document(), strict=True)
    assert str(chinese.value) == f"<document 1>: event urn:uuid:ev-1: {CHINESE[0][1]}"


def test_message_constants_are_the_english_texts() -> None:
    assert events.BAD_ACTION.format(action="'MOVE'") == ENGLISH[0][1]
    assert events.UNKNOWN_EVENT_TYPE.format(type="'FooEvent'") == ENGLISH[1][1]
    assert ENGLISH[2][1] == events.OBJECT_EVENT_EMPTY
    assert epcis.CONTAINS_ITSELF.format(epc=PALLET) == ENGLISH[3][1]
