"""Ids mean the same on every backend: byte-exact, and up to one documented length.

MariaDB's default collation folds case and accents (``get('Flour-1')`` found
``FLOUR-1``), and ids over about 233 characters broke every later ``fire()`` on the
servers because the outbox key did not fit its column. Here the same plant runs on
memory, SQLite, PostgreSQL and MariaDB with look-alike ids and ids of exactly
:data:`qualityflow.models.MAX_ID_LENGTH` characters (4-byte UTF-8 characters included).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pydantic
import pytest

import qualityflow as qf
from qualityflow.models import MAX_ID_LENGTH
from qualityflow.testing import (
    MYSQL_ENV,
    POSTGRESQL_ENV,
    Clock,
    emergency_team,
    server_url,
    temporary_database,
)

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
LOOK_ALIKES = ("FLOUR-1", "flour-1", "Flour-1", "flöur-1", "FLÖUR-1")
LEADER = qf.TeamMember(name="Li Na", role="leader", department="quality")


def longest(tag: str) -> str:
    """An id of exactly MAX_ID_LENGTH characters with emoji and CJK extension B in it."""
    head = f"{tag}-🍪饼干𠀀-"
    return head + "é" * (MAX_ID_LENGTH - len(head) - 1) + "🥛"


def kg(amount: int) -> qf.Quantity:
    return qf.Quantity(amount=amount, unit="kg")


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgresql),
        pytest.param("mysql", marks=pytest.mark.mysql),
    ]
)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "memory":
        yield "memory://"
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ids.db'}"
    else:
        env = POSTGRESQL_ENV if request.param == "postgresql" else MYSQL_ENV
        try:
            with temporary_database(server_url(env)) as database_url:
                yield database_url
        except ConnectionError as exc:
            pytest.skip(f"{request.param} tests skipped ({env} or its default): {exc}")


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def qms(url: str, clock: Clock) -> Iterator[qf.QualityFlow]:
    with qf.QualityFlow(url, load_entry_points=False, clock=clock) as service:
        yield service


def test_ids_differing_in_case_or_accents_are_five_batches(qms: qf.QualityFlow) -> None:
    for number, id in enumerate(LOOK_ALIKES):
        qms.batches.add(
            qf.Batch(id=id, kind="raw_material", product=f"flour {number}", quantity=kg(10))
        )
    assert [qms.batches.get(id).product for id in LOOK_ALIKES] == [
        f"flour {n}" for n in range(len(LOOK_ALIKES))
    ]
    assert [b.id for b in qms.batches.list()] == sorted(LOOK_ALIKES)
    with pytest.raises(qf.NotFoundError):
        qms.batches.get("FLoUR-1")
    qms.link("FLOUR-1", "flour-1")
    qms.link("flour-1", "Flour-1")
    qms.link("flöur-1", "FLÖUR-1")
    assert qms.trace_forward("FLOUR-1").ids == {"flour-1", "Flour-1"}
    assert qms.trace_backward("FLÖUR-1").ids == {"flöur-1"}
    with pytest.raises(qf.GenealogyError, match="cycle"):
        qms.link("Flour-1", "FLOUR-1")
    qms.link("FLÖUR-1", "FLOUR-1")  # no cycle: a different lot


def test_the_longest_ids_go_through_the_whole_flow(qms: qf.QualityFlow, clock: Clock) -> None:
    supplier, lot, mix, finished = (longest(t) for t in ("SUP", "FLOUR", "DOUGH", "BISC"))
    shipment, customer, incident_id = longest("SHIP"), longest("CUST"), longest("INC")
    assert {len(i) for i in (supplier, lot, mix, finished, shipment, incident_id)} == {255}
    assert len(lot.encode("utf-8")) > 2 * MAX_ID_LENGTH

    qms.suppliers.add(qf.Supplier(id=supplier, name="Northfield Mill"))
    qms.batches.add(
        qf.Batch(
            id=lot, kind="raw_material", product="flour", quantity=kg(1000), supplier_id=supplier
        )
    )
    qms.batches.add(qf.Batch(id=mix, kind="intermediate", product="dough", quantity=kg(800)))
    qms.batches.add(qf.Batch(id=finished, kind="finished", product="biscuits", quantity=kg(300)))
    qms.link(lot, mix, kg(400))
    qms.link(mix, finished, kg(300))
    qms.shipments.add(
        qf.Shipment(
            id=shipment,
            batch_id=finished,
            customer_id=customer,
            quantity=kg(120),
            shipped_at=T0 + timedelta(days=1),
        )
    )
    assert qms.trace_forward(lot).ids == {mix, finished, shipment}
    assert qms.trace_backward(shipment).ids == {lot, mix, finished}

    qms.incidents.add(
        qf.Incident(
            id=incident_id,
            title="Metal fragment in biscuit pack",
            severity="critical",
            reported_at=T0,
            batch_ids=[finished],
        )
    )
    late = qms.overdue(T0 + timedelta(days=3))
    assert late and {d.subject_id for d in late} == {incident_id}
    assert qms.overdue(T0 + timedelta(days=3)) == late  # queued once, not failing
    notices = [e.notification for e in qms.storage.outbox(pending_only=False)]
    overdue_keys = [n.id for n in notices if n.kind == "overdue"]
    assert len(overdue_keys) == len(late) and len(set(overdue_keys)) == len(late)
    assert all(key is not None and len(key) > MAX_ID_LENGTH for key in overdue_keys)
    assert {n.subject_id for n in notices if n.subject_kind == "incident"} == {incident_id}

    clock.advance(hours=1)
    qms.incidents.fire(
        incident_id,
        "assess",
        actor="Li Na",
        at=clock.now,
        team=emergency_team(LEADER),
        assessment=qf.ImpactAssessment(
            severity="critical",
            batch_ids=[finished],
            regions=["CN-31"],
            risk="injury to consumers",
            rationale="the affected lots reached the market",
        ),
    )
    clock.advance(hours=1)
    contained = qms.incidents.fire(
        incident_id,
        "contain",
        actor="Li Na",
        at=clock.now,
        containment=[
            qf.ContainmentAction(
                batch_id=finished, action="quarantine", by="Li Na", at=T0 + timedelta(hours=2)
            )
        ],
    )
    assert contained.status.value == "contained"
    assert qms.batches.get(finished).status.value == "quarantined"
    assert [i.id for i in qms.incidents.list()] == [incident_id]
    assert [b.id for b in qms.batches.list(status="quarantined")] == [finished]
    assert [s.id for s in qms.shipments.list()] == [shipment]
    assert qms.suppliers.get(supplier).id == supplier
    assert qms.batches.get(lot).supplier_id == supplier


@pytest.mark.parametrize(
    "make",
    [
        lambda id: qf.Batch(id=id, kind="raw_material", product="flour", quantity=kg(1)),
        lambda id: qf.Supplier(id=id, name="Northfield Mill"),
        lambda id: qf.Incident(id="INC-1", title="t", severity="minor", batch_ids=["B-1", id]),
        lambda id: qf.Shipment(
            id="S-1", batch_id="B-1", customer_id=id, quantity=kg(1), shipped_at=T0
        ),
        lambda id: qf.Batch(
            id="B-1", kind="raw_material", product="flour", quantity=kg(1), supplier_id=id
        ),
    ],
    ids=["batch id", "supplier id", "incident batch_ids", "shipment customer_id", "supplier_id"],
)
def test_an_id_one_character_too_long_is_refused_by_the_model(make: object) -> None:
    assert callable(make)
    make("X" * MAX_ID_LENGTH)  # the maximum itself is fine
    with pytest.raises(pydantic.ValidationError) as refused:
        make("X" * (MAX_ID_LENGTH + 1))
    assert "id is 256 characters long; qualityflow ids are at most 255: shorten it" in str(
        refused.value
    )


def test_a_300_character_id_names_its_length() -> None:
    with pytest.raises(pydantic.ValidationError, match="id is 300 characters long"):
        qf.Supplier(id="S" * 300, name="Northfield Mill")


def test_max_id_length_is_in_the_json_schema() -> None:
    schema = qf.models.json_schemas()["Batch"]
    assert schema["properties"]["id"]["maxLength"] == MAX_ID_LENGTH
