"""Issue 11, item 4: a chain over the whole record, anchored outside the database.

Every committed write appends a chained ledger entry; ``qms.audit.verify()`` walks every
row and the ledger. The tampering here is done the way a DBA would: raw SQL on the tables
(SQLAlchemy Core on its own engine, not through qualityflow), on a SQLite file, PostgreSQL
and MariaDB; the memory backend is tampered with through the storage object's own
dictionaries. Each tamper must be reported naming the entity and what is wrong, and
``qualityflow audit verify`` must exit 1 naming it.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import qualityflow as qf
from qualityflow import prevention
from qualityflow.cli import app
from qualityflow.lifecycle import chain, seal, verify_chain
from qualityflow.lifecycle.audit import AuditProblem, history_problems, state_digest
from qualityflow.service import AuditReport
from qualityflow.storage import MemoryStorage
from qualityflow.storage.base import LedgerEntry, ledger_hash, row_digest
from qualityflow.testing import (
    MYSQL_ENV,
    POSTGRESQL_ENV,
    emergency_team,
    server_url,
    temporary_database,
)

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
LEADER = qf.TeamMember(name="Li Na", role="leader", department="quality")
runner = CliRunner()

BACKENDS = ["memory", "sqlite", "postgresql", "mysql"]
_ENV = {"postgresql": POSTGRESQL_ENV, "mysql": MYSQL_ENV}
_DRIVER = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of each backend (servers: skipped with the reason if down)."""
    name = request.param
    if name == "memory":
        yield "memory://"
    elif name == "sqlite":
        yield f"sqlite:///{tmp_path / 'plant.db'}"
    else:
        try:
            with temporary_database(server_url(_ENV[name])) as database_url:
                yield database_url
        except ConnectionError as exc:
            pytest.skip(f"{name} tests skipped ({_ENV[name]} or its default): {exc}")


@pytest.fixture(params=[b for b in BACKENDS if b != "memory"])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh SQL database: SQLite file, PostgreSQL, MariaDB."""
    name = request.param
    if name == "sqlite":
        yield f"sqlite:///{tmp_path / 'plant.db'}"
        return
    try:
        with temporary_database(server_url(_ENV[name])) as database_url:
            yield database_url
    except ConnectionError as exc:
        pytest.skip(f"{name} tests skipped ({_ENV[name]} or its default): {exc}")


# -- a small plant -------------------------------------------------------------------


class Sent:
    """A notifier plugin keeping what it was given."""

    def __init__(self) -> None:
        self.notifications: list[qf.Notification] = []

    @qf.hookimpl
    def qualityflow_notify(self, notification: qf.Notification) -> None:
        self.notifications.append(notification)


def _kg(n: int) -> qf.Quantity:
    return qf.Quantity(amount=n, unit="kg")


def plant(qms: qf.QualityFlow) -> None:
    """Two lots linked, two incidents moved through a few steps, one complaint."""
    qms.suppliers.add(qf.Supplier(id="SUP-MILL", name="Northfield Mill"))
    qms.batches.add(
        qf.Batch(id="FLOUR-1", kind="raw_material", product="flour", quantity=_kg(1000))
    )
    qms.batches.add(qf.Batch(id="BISC-1", kind="finished", product="biscuits", quantity=_kg(900)))
    qms.link("FLOUR-1", "BISC-1", _kg(300))
    for n, id in enumerate(("INC-1", "INC-2")):
        qms.incidents.add(
            qf.Incident(id=id, title=f"Metal in biscuits {n}", severity="major", reported_at=T0)
        )
        at = T0 + timedelta(hours=1 + n)
        qms.incidents.fire(
            id,
            "assess",
            actor="Li Na",
            at=at,
            team=emergency_team(LEADER),
            assessment=qf.ImpactAssessment(
                severity="major",
                batch_ids=["BISC-1"],
                regions=["CN-31"],
                risk="injury to consumers",
                rationale="the affected lots reached the market",
            ),
        )
        qms.incidents.fire(
            id,
            "contain",
            actor="Li Na",
            at=at + timedelta(minutes=30),
            containment=[
                qf.ContainmentAction(
                    batch_id="BISC-1", action="hold", by="Li Na", at=at + timedelta(minutes=20)
                )
            ],
        )
        qms.incidents.fire(id, "investigate", actor="Mia Chen", at=at + timedelta(hours=1))
    qms.complaints.add(
        qf.Complaint(
            id="CMP-1",
            customer_id="CUST-1",
            channel="phone",
            received_at=T0,
            description="metal bit",
        )
    )
    contact = qf.Contact(
        at=T0 + timedelta(minutes=5),
        direction="outbound",
        channel="phone",
        message="We are on it",
        by="Service desk",
    )
    qms.complaints.fire(
        "CMP-1",
        "acknowledge",
        actor="Service desk",
        at=T0 + timedelta(minutes=6),
        contacts=[contact],
    )


@pytest.fixture
def planted(url: str) -> Iterator[tuple[qf.QualityFlow, Sent]]:
    sent = Sent()
    qms = qf.QualityFlow(url, plugins=[sent], load_entry_points=False)
    plant(qms)
    yield qms, sent
    qms.close()


# -- tampering as a DBA would ----------------------------------------------------------


class Tamper:
    """Change the stored rows and ledger behind qualityflow's back."""

    def __init__(self, qms: qf.QualityFlow) -> None:
        self.qms = qms
        storage = qms.storage
        self.memory = storage if isinstance(storage, MemoryStorage) else None
        if self.memory is None:
            raw = sa.make_url(qms.storage.engine.url)  # type: ignore[attr-defined]
            self.engine = sa.create_engine(raw)

    def close(self) -> None:
        if self.memory is None:
            self.engine.dispose()

    # rows
    def row(self, kind: str, id: str) -> dict[str, Any]:
        if self.memory is not None:
            return dict(json.loads(self.memory._rows[(kind, id)][2]))
        with self.engine.connect() as conn:
            data = conn.execute(
                sa.text("SELECT data FROM qf_entities WHERE kind = :k AND id = :i"),
                {"k": kind, "i": id},
            ).scalar_one()
        return dict(json.loads(data))

    def row_text(self, kind: str, id: str) -> str:
        if self.memory is not None:
            return self.memory._rows[(kind, id)][2]
        with self.engine.connect() as conn:
            return str(
                conn.execute(
                    sa.text("SELECT data FROM qf_entities WHERE kind = :k AND id = :i"),
                    {"k": kind, "i": id},
                ).scalar_one()
            )

    def write_row(self, kind: str, id: str, data: dict[str, Any]) -> None:
        text = json.dumps(data)
        status = data.get("status")
        if self.memory is not None:
            _, version, _ = self.memory._rows[(kind, id)]
            self.memory._rows[(kind, id)] = (status, version, text)
            return
        with self.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE qf_entities SET data = :d, status = :s WHERE kind = :k AND id = :i"
                ),
                {"d": text, "s": status, "k": kind, "i": id},
            )

    def delete_row(self, kind: str, id: str) -> None:
        if self.memory is not None:
            del self.memory._rows[(kind, id)]
            return
        with self.engine.begin() as conn:
            conn.execute(
                sa.text("DELETE FROM qf_entities WHERE kind = :k AND id = :i"),
                {"k": kind, "i": id},
            )

    def insert_row(self, kind: str, id: str, data: dict[str, Any]) -> None:
        text = json.dumps(data)
        if self.memory is not None:
            self.memory._rows[(kind, id)] = (data.get("status"), 1, text)
            return
        with self.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO qf_entities (kind, id, status, version, data) "
                    "VALUES (:k, :i, :s, 1, :d)"
                ),
                {"k": kind, "i": id, "s": data.get("status"), "d": text},
            )

    # ledger
    def ledger(self) -> list[LedgerEntry]:
        if self.memory is not None:
            return list(self.memory._ledger)
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT seq, kind, id, version, digest, prev_hash, hash, recorded_at "
                    "FROM qf_ledger ORDER BY seq"
                )
            ).all()
        return [LedgerEntry(*row) for row in rows]

    def delete_entry(self, seq: int) -> None:
        if self.memory is not None:
            self.memory._ledger = [e for e in self.memory._ledger if e.seq != seq]
            return
        with self.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM qf_ledger WHERE seq = :s"), {"s": seq})

    def replace_entry(self, entry: LedgerEntry) -> None:
        if self.memory is not None:
            self.memory._ledger = [entry if e.seq == entry.seq else e for e in self.memory._ledger]
            return
        with self.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE qf_ledger SET kind = :kind, id = :id, version = :version, "
                    "digest = :digest, prev_hash = :prev_hash, hash = :hash, "
                    "recorded_at = :recorded_at WHERE seq = :seq"
                ),
                dataclasses.asdict(entry),
            )

    def set_head(self, seq: int, hash: str) -> None:
        if self.memory is not None:
            return  # the memory backend's head is its last entry
        with self.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE qf_ledger_head SET seq = :s, hash = :h WHERE lock_id = 1"),
                {"s": seq, "h": hash},
            )


@pytest.fixture
def tamper(planted: tuple[qf.QualityFlow, Sent]) -> Iterator[Tamper]:
    t = Tamper(planted[0])
    yield t
    t.close()


def _problems(report: AuditReport, kind: str, id: str) -> list[AuditProblem]:
    return [p for p in report.problems if p.kind == kind and p.id == id]


def _cli_names(qms: qf.QualityFlow, *needles: str, known: tuple[str, ...] = ()) -> None:
    """``qualityflow audit verify`` exits 1 and names each needle (SQL backends)."""
    if isinstance(qms.storage, MemoryStorage):
        return
    url = sa.make_url(qms.storage.engine.url).render_as_string(hide_password=False)  # type: ignore[attr-defined]
    url = url.replace("+psycopg", "").replace("+pymysql", "").split("?charset=")[0]
    args = ["audit", "verify", "--db", url]
    for head in known:
        args += ["--known-head", head]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    for needle in needles:
        assert needle in result.output, (needle, result.output)


# -- a clean plant -------------------------------------------------------------------


def test_a_clean_plant_verifies_against_every_published_head(
    planted: tuple[qf.QualityFlow, Sent],
) -> None:
    qms, sent = planted
    heads = [n.audit_head for n in sent.notifications]
    assert heads and all(len(h) == 64 for h in heads)
    assert len(set(heads)) == len(heads)  # each commit moved the head
    report = qms.audit.verify(known_heads=heads)
    assert report.ok, str(report)
    assert report.head == qms.audit.head() == heads[-1]
    assert report.entities == 6  # supplier, 2 batches, 2 incidents, complaint
    assert report.edges == 1
    assert report.records == 7  # 3 + 3 transitions, 1 acknowledgement
    assert report.ledger >= 13
    assert "OK" in str(report) and report.head in str(report)
    assert report.to_json()["ok"] is True


def test_an_empty_database_has_an_empty_head_and_verifies(url: str) -> None:
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        assert qms.audit.head() == ""
        report = qms.audit.verify()
        assert report.ok and report.ledger == 0 and report.head == ""


def test_the_last_notification_carries_the_head_its_commit_left(
    planted: tuple[qf.QualityFlow, Sent],
) -> None:
    qms, sent = planted
    qms.suppliers.decide("SUP-MILL", "suspended", actor="QA manager", reason="mould in flour")
    notice = sent.notifications[-1]
    assert notice.kind == "supplier_status"
    assert notice.audit_head == qms.audit.head()
    entries = Tamper(qms).ledger()
    assert entries[-1].hash == notice.audit_head
    assert (entries[-1].kind, entries[-1].id) == ("supplier", "SUP-MILL")


def test_overdue_and_batch_status_notices_carry_the_head(
    planted: tuple[qf.QualityFlow, Sent],
) -> None:
    qms, sent = planted
    before = len(sent.notifications)
    breaches = qms.overdue(T0 + timedelta(days=30))
    assert breaches
    overdue = [n for n in sent.notifications[before:] if n.kind == "overdue"]
    assert overdue and {n.audit_head for n in overdue} == {qms.audit.head()}
    statuses = [n for n in sent.notifications if n.kind == "batch_status"]
    assert all(len(n.audit_head) == 64 for n in statuses)
    assert qms.audit.verify(known_heads=[n.audit_head for n in sent.notifications]).ok


def test_a_refused_write_appends_no_ledger_entry(url: str) -> None:
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        qms.batches.add(qf.Batch(id="LOT-1", kind="raw_material", product="salt", quantity=_kg(1)))
        stale = qms.batches.get("LOT-1")
        fresh = qms.batches.get("LOT-1")
        fresh.product = "sea salt"
        qms.batches.save(fresh, actor="QA Lena", reason="typo")
        head = qms.audit.head()
        stale.product = "rock salt"
        with pytest.raises(qf.ConcurrencyError):
            qms.batches.save(stale, actor="QA Lena", reason="typo")
        with pytest.raises(qf.StorageError):
            qms.batches.add(qf.Batch(id="LOT-1", kind="raw_material", product="x", quantity=_kg(1)))
        with pytest.raises(qf.GenealogyError):
            qms.link("LOT-1", "LOT-1")
        assert qms.audit.head() == head
        report = qms.audit.verify(known_heads=[head])
        assert report.ok, str(report)
        assert report.ledger == 2


def test_concurrent_writers_do_not_fork_the_chain(url: str) -> None:
    if url == "memory://":
        instances = [qf.QualityFlow(url, load_entry_points=False)] * 2
    else:
        instances = [qf.QualityFlow(url, load_entry_points=False) for _ in range(2)]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for k in range(15):
                instances[n].batches.add(
                    qf.Batch(id=f"W{n}-{k}", kind="raw_material", product="oil", quantity=_kg(k))
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    report = instances[0].audit.verify()
    assert report.ok, str(report)
    assert report.ledger == 30 and report.entities == 30
    for qms in set(instances):
        qms.close()


# -- tampering, one case at a time -----------------------------------------------------


def test_an_edited_field_in_a_stored_row_is_reported(
    planted: tuple[qf.QualityFlow, Sent], tamper: Tamper
) -> None:
    qms, _ = planted
    data = tamper.row("incident", "INC-1")
    data["title"] = "Nothing happened"
    tamper.write_row("incident", "INC-1", data)
    report = qms.audit.verify()
    assert not report.ok
    found = _problems(report, "incident", "INC-1")
    assert any("edited outside qualityflow" in p.what for p in found), str(report)
    assert {p.id for p in report.problems} == {"INC-1"}
    _cli_names(qms, "INC-1", "edited outside qualityflow")


def test_a_12315_complaint_moved_to_another_channel_by_hand_is_reported(url: str) -> None:
    # Taking a complaint off the regulator's platform in the database would switch off its
    # 12315 clocks: the edit is reported and overdue() is not the only witness.
    received = T0 - timedelta(days=20)
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        qms.complaints.add(
            qf.Complaint(
                id="CMP-12315-88",
                customer_id="CONSUMER-HZ-1",
                channel="platform_12315",
                received_at=received,
                description="Thermos cracked after the first use",
            )
        )
        assert any(d.what == "12315 acceptance" for d in qms.overdue(T0))
        tamper = Tamper(qms)
        try:
            data = tamper.row("complaint", "CMP-12315-88")
            data["channel"] = "phone"
            tamper.write_row("complaint", "CMP-12315-88", data)
        finally:
            tamper.close()
        report = qms.audit.verify()
        found = _problems(report, "complaint", "CMP-12315-88")
        assert any("edited outside qualityflow" in p.what for p in found), str(report)


def test_an_edited_status_column_is_reported(
    planted: tuple[qf.QualityFlow, Sent], tamper: Tamper
) -> None:
    qms, _ = planted
    data = tamper.row("batch", "BISC-1")
    data["status"] = "released"
    tamper.write_row("batch", "BISC-1", data)
    report = qms.audit.verify()
    assert _problems(report, "batch", "BISC-1"), str(report)
    _cli_names(qms, "BISC-1")


def test_a_deleted_entity_is_reported(planted: tuple[qf.QualityFlow, Sent], tamper: Tamper) -> None:
    qms, _ = planted
    tamper.delete_row("complaint", "CMP-1")
    report = qms.audit.verify()
    found = _problems(report, "complaint", "CMP-1")
    assert found and "row is gone" in found[0].what, str(report)
    _cli_names(qms, "CMP-1", "deleted")


def test_a_row_inserted_by_hand_is_reported(
    planted: tuple[qf.QualityFlow, Sent], tamper: Tamper
) -> None:
    qms, _ = planted
    lot = qf.Batch(id="GHOST-1", kind="raw_material", product="flour", quantity=_kg(5), version=1)
    tamper.insert_row("batch", "GHOST-1", lot.model_dump(mode="json"))
    report = qms.audit.verify()
    found = _problems(report, "batch", "GHOST-1")
    assert found and "no ledger entry" in found[0].what, str(report)
    _cli_names(qms, "GHOST-1", "no ledger entry")


def test_a_deleted_last_history_record_with_its_status_fixed_is_reported(
    planted: tuple[qf.QualityFlow, Sent], tamper: Tamper
) -> None:
    qms, _ = planted
    data = tamper.row("incident", "INC-1")
    data["history"] = data["history"][:-1]
    data["status"] = data["history"][-1]["dest"]
    tamper.write_row("incident", "INC-1", data)
    # The history alone now looks intact (a shorter valid chain, status matching)...
    assert qf.verify_history(qms.incidents.get("INC-1"))
    report = qms.audit.verify()
    found = _problems(report, "incident", "INC-1")
    assert any("edited outside qualityflow" in p.what for p in found), str(report)
    _cli_names(qms, "INC-1")


def test_two_reordered_history_records_are_reported(
    planted: tuple[qf.QualityFlow, Sent], tamper: Tamper
) -> None:
    qms, _ = planted
    data = tamper.row("incident", "INC-2")
    history = data["history"]
    history[0], history[1] = history[1], history[0]
    tamper.write_row("incident", "INC-2", data)
    report = qms.audit.verify()
    found = _problems(report, "incident", "INC-2")
    records = {p.record for p in found}
    assert {"history[0]", "history[1]"} <= records, str(report)
    assert any("removed, inserted or reordered" in p.what for p in found)
    assert any("not allowed" in p.what or "starts from" in p.what for p in found)
    _cli_names(qms, "INC-2", "history[0]")


def test_a_history_transplanted_from_another_incident_is_reported(
    planted: tuple[qf.QualityFlow, Sent], tamper: Tamper
) -> None:
    qms, _ = planted
    donor = tamper.row("incident", "INC-2")
    data = tamper.row("incident", "INC-1")
    data["history"] = donor["history"]
    data["status"] = donor["status"]
    tamper.write_row("incident", "INC-1", data)
    report = qms.audit.verify()
    found = _problems(report, "incident", "INC-1")
    assert found, str(report)
    assert not _problems(report, "incident", "INC-2")
    _cli_names(qms, "INC-1")


def test_a_deleted_last_ledger_entry_is_reported(
    planted: tuple[qf.QualityFlow, Sent], tamper: Tamper
) -> None:
    qms, _ = planted
    last = tamper.ledger()[-1]
    tamper.delete_entry(last.seq)
    report = qms.audit.verify()
    assert not report.ok
    found = _problems(report, last.kind, last.id)
    assert found and f"version {last.version - 1}" in found[0].what, str(report)
    if not isinstance(qms.storage, MemoryStorage):
        assert _problems(report, "ledger", "head"), str(report)
    _cli_names(qms, last.id)


def test_a_deleted_ledger_entry_in_the_middle_is_reported(
    planted: tuple[qf.QualityFlow, Sent], tamper: Tamper
) -> None:
    qms, _ = planted
    entry = tamper.ledger()[4]
    tamper.delete_entry(entry.seq)
    report = qms.audit.verify()
    assert any(p.record == f"ledger {entry.seq + 1}" for p in report.problems), str(report)
    assert any("removed" in p.what for p in report.problems)
    _cli_names(qms, f"ledger {entry.seq + 1}")


def test_an_edited_ledger_entry_is_reported(
    planted: tuple[qf.QualityFlow, Sent], tamper: Tamper
) -> None:
    qms, _ = planted
    entry = tamper.ledger()[2]
    tamper.replace_entry(dataclasses.replace(entry, recorded_at="2020-01-01T00:00:00+00:00"))
    report = qms.audit.verify()
    found = [p for p in report.problems if p.record == f"ledger {entry.seq}"]
    assert found and "entry was edited" in found[0].what, str(report)
    assert found[0].kind == entry.kind
    _cli_names(qms, "entry was edited")


def test_a_consistently_rewritten_ledger_is_caught_only_by_a_known_head(
    planted: tuple[qf.QualityFlow, Sent], tamper: Tamper
) -> None:
    qms, sent = planted
    published = sent.notifications[-1].audit_head
    old_head = qms.audit.head()
    # The DBA drops INC-1's last step (investigate, which set no field), puts the status
    # back, and rewrites the whole ledger to match: every chain inside the database holds
    # (the record before sealed exactly the state now stored).
    data = tamper.row("incident", "INC-1")
    data["history"] = data["history"][:-1]
    data["status"] = data["history"][-1]["dest"]
    tamper.write_row("incident", "INC-1", data)
    new_digest = row_digest(tamper.row_text("incident", "INC-1"))
    entries = tamper.ledger()
    target = max(e.seq for e in entries if (e.kind, e.id) == ("incident", "INC-1"))
    prev = ""
    for e in entries:
        digest = new_digest if e.seq == target else e.digest
        h = ledger_hash(e.seq, e.kind, e.id, e.version, digest, prev, e.recorded_at)
        tamper.replace_entry(dataclasses.replace(e, digest=digest, prev_hash=prev, hash=h))
        prev = h
    tamper.set_head(entries[-1].seq, prev)
    inside = qms.audit.verify()
    assert inside.ok, str(inside)  # consistent: nothing inside the database betrays it
    report = qms.audit.verify(known_heads=[published, old_head])
    found = _problems(report, "ledger", "head")
    assert found and f"ledger rewritten since head {old_head}" in found[0].what, str(report)
    _cli_names(qms, "ledger rewritten since head", known=(old_head,))


def test_an_edited_link_is_reported(planted: tuple[qf.QualityFlow, Sent], tamper: Tamper) -> None:
    qms, _ = planted
    if tamper.memory is not None:
        edge = tamper.memory._edges[("FLOUR-1", "BISC-1")]
        tamper.memory._edges[("FLOUR-1", "BISC-1")] = dataclasses.replace(edge, quantity=_kg(1))
    else:
        with tamper.engine.begin() as conn:
            conn.execute(sa.text("UPDATE qf_edges SET quantity = NULL"))
    report = qms.audit.verify()
    found = _problems(report, "edge", "FLOUR-1 -> BISC-1")
    assert found and "link differs" in found[0].what, str(report)
    _cli_names(qms, "FLOUR-1 -> BISC-1")


# -- databases written before the ledger -----------------------------------------------


def _drop_ledger(path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE qf_ledger"))
        conn.execute(sa.text("DROP TABLE qf_ledger_head"))
        conn.execute(sa.text("DELETE FROM qf_meta WHERE key = 'ledger_started'"))
    engine.dispose()


def test_rows_written_before_the_ledger_are_listed_not_reported(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with qf.QualityFlow(f"sqlite:///{path}", load_entry_points=False) as qms:
        plant(qms)
        published = qms.audit.head()
    _drop_ledger(path)  # what a 0.1 database looks like
    with qf.QualityFlow(f"sqlite:///{path}", load_entry_points=False) as qms:
        report = qms.audit.verify()
        assert report.ok, str(report)
        # ...which is also what dropping the whole ledger looks like: only a head
        # published before tells the two apart.
        rewritten = qms.audit.verify(known_heads=[published])
        assert [p.id for p in rewritten.problems] == ["head"], str(rewritten)
        assert "incident/INC-1" in report.before_ledger
        assert "edge/FLOUR-1 -> BISC-1" in report.before_ledger
        assert len(report.before_ledger) == 7 and report.ledger == 1  # the start entry
        assert "before the ledger" in str(report)
        lot = qms.batches.get("FLOUR-1")
        lot.product = "wheat flour"
        qms.batches.save(lot, actor="QA Lena", reason="full name")
        report = qms.audit.verify()
        assert report.ok, str(report)
        assert "batch/FLOUR-1" not in report.before_ledger
    tamper_engine = sa.create_engine(f"sqlite:///{path}")
    with tamper_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM qf_entities WHERE id = 'CMP-1'"))
    tamper_engine.dispose()
    with qf.QualityFlow(f"sqlite:///{path}", load_entry_points=False) as qms:
        report = qms.audit.verify()
        found = _problems(report, "ledger", "start")
        assert found and "deleted" in found[0].what, str(report)


# -- single entities: verify_history and history_problems ------------------------------


def _rec(trigger: str, source: str, dest: str, **extra: Any) -> qf.TransitionRecord:
    return qf.TransitionRecord(
        at=T0, actor="QA", trigger=trigger, source=source, dest=dest, **extra
    )


def test_verify_history_checks_legality_and_continuity() -> None:
    history: list[qf.TransitionRecord] = []
    history.append(chain(history, _rec("assess", "reported", "assessed")))
    history.append(chain(history, _rec("investigate", "contained", "investigating")))
    inc = qf.Incident(
        id="INC-9", title="x", severity="minor", status="investigating", history=history
    )
    assert not qf.verify_history(inc)
    (problem,) = history_problems(inc)
    assert problem.record == "history[1]" and "ended in 'assessed'" in problem.what
    wrong_dest: list[qf.TransitionRecord] = []
    wrong_dest.append(chain(wrong_dest, _rec("assess", "reported", "closed")))
    inc = qf.Incident(id="INC-9", title="x", severity="minor", status="closed", history=wrong_dest)
    assert "leads to 'assessed'" in history_problems(inc)[0].what


def test_a_record_bound_to_another_entity_is_a_transplant() -> None:
    history = [seal(_rec("acknowledge", "received", "acknowledged", entity="complaint/CMP-2"), "")]
    complaint = qf.Complaint(
        id="CMP-1",
        customer_id="C",
        channel="phone",
        received_at=T0,
        description="d",
        status="acknowledged",
        history=history,
    )
    problems = history_problems(complaint)
    assert [p.what for p in problems] == [
        "belongs to complaint/CMP-2, not complaint/CMP-1: transplanted from another record"
    ]


def test_a_field_edited_after_the_recorded_state_is_found() -> None:
    inc = qf.Incident(id="INC-3", title="Loose eyes", severity="minor")
    inc.status = "cancelled"  # type: ignore[assignment]
    record = _rec(
        "cancel",
        "reported",
        "cancelled",
        note="dup",
        entity="incident/INC-3",
        recorded_at=T0,
        state=state_digest(inc),
    )
    inc.history = [seal(record, "")]
    assert qf.verify_history(inc)
    inc.title = "Nothing"
    (problem,) = history_problems(inc)
    assert not qf.verify_history(inc)
    assert verify_chain(inc.history)  # the chain alone still holds
    assert problem.record == "history[0]" and "no longer match" in problem.what


def test_a_broken_supplier_decision_chain_is_reported() -> None:
    mill = qf.Supplier(id="SUP-MILL", name="Northfield Mill")
    prevention.decide(mill, "conditional", actor="QA", reason="late lots")
    prevention.decide(mill, "suspended", actor="QA", reason="mould")
    edited = mill.model_copy(deep=True)
    edited.decisions[0] = edited.decisions[0].model_copy(update={"reason": "nothing"})
    assert [p.record for p in history_problems(edited)] == ["decisions[0]"]
    dropped = mill.model_copy(update={"decisions": mill.decisions[:1]})
    assert "decisions end in 'conditional'" in history_problems(dropped)[0].what


# -- the 8D report and the CLI ---------------------------------------------------------


def test_the_8d_report_prints_the_head_in_its_footer(
    planted: tuple[qf.QualityFlow, Sent],
) -> None:
    qms, _ = planted
    head = qms.audit.head()
    when = datetime(2026, 3, 9, 8, 0, tzinfo=timezone.utc)
    report = qf.eight_d(qms.incidents.get("INC-1"), audit_head=head, audit_at=when)
    assert (
        report.to_markdown().rstrip().endswith(f"Audit head: {head} (as of 2026-03-09 08:00 UTC)")
    )
    assert f'<footer id="audit-head"><p>Audit head: {head}' in report.to_html()
    assert "Audit head" not in qf.eight_d(qms.incidents.get("INC-1")).to_markdown()


def test_the_cli_verifies_prints_json_and_the_head(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'plant.db'}"
    with qf.QualityFlow(db, load_entry_points=False) as qms:
        plant(qms)
        head = qms.audit.head()
    result = runner.invoke(app, ["audit", "head", "--db", db])
    assert result.exit_code == 0 and result.output.strip() == head
    result = runner.invoke(app, ["audit", "verify", "--db", db, "--known-head", head])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and head in result.output
    result = runner.invoke(app, ["audit", "verify", "--db", db, "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["ok"] is True
    result = runner.invoke(app, ["audit", "verify", "--db", db, "--known-head", "nope"])
    assert result.exit_code == 2 and "not a ledger head" in result.output
    result = runner.invoke(app, ["audit", "verify", "--db", "nosuch://x"])
    assert result.exit_code == 2 and "Traceback" not in result.output  # a bad URL
    missing = f"sqlite:///{tmp_path / 'none.db'}"
    result = runner.invoke(app, ["audit", "verify", "--db", missing])
    assert result.exit_code == 3 and "Traceback" not in result.output  # nothing to read
    assert not (tmp_path / "none.db").exists()
