"""Bulk writes: ``qms.batches.add_many``, ``qms.shipments.add_many`` and ``qms.link_many``.

A plant loads a day's lots, links and shipments in three calls; a set with bad rows is
refused as a whole, every bad row named, nothing written. The rules are the one-row
calls': a set succeeds exactly when linking its rows one by one would, and it leaves the
same edges and a ledger that verifies. Every backend: memory, SQLite, PostgreSQL,
MariaDB, and a third-party backend without the bulk methods (the service loops).
"""

from __future__ import annotations

import builtins
import importlib.util
import random
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualityflow as qf
from qualityflow.errors import RowsRefused
from qualityflow.models import MAX_ID_LENGTH
from qualityflow.storage import BulkStorage, Edge, Entity, MemoryStorage, SQLStorage
from qualityflow.storage.base import AuditSnapshot, Delivery, Direction, OutboxEntry
from qualityflow.storage.sql import meta_table, metadata
from qualityflow.testing import MYSQL_ENV, POSTGRESQL_ENV, server_url, temporary_database

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
KG = qf.Quantity(amount=25, unit="kg")


def mixed_case_id(tag: str, n: int) -> str:
    """An id of exactly MAX_ID_LENGTH characters, mixed case, 4-byte characters in it."""
    head = f"{tag}-{n}-Flour-FLOUR-flour-🍪饼干𠀀-"
    return (
        head
        + "Ωω" * ((MAX_ID_LENGTH - len(head) - 1) // 2)
        + "x" * ((MAX_ID_LENGTH - len(head) - 1) % 2)
        + "🥛"
    )


def lot(id: str, kind: str = "raw_material", **extra: Any) -> qf.Batch:
    return qf.Batch(id=id, kind=kind, product=f"{kind} {id[:8]}", quantity=KG, **extra)


def shipment(id: str, batch_id: str) -> qf.Shipment:
    return qf.Shipment(
        id=id,
        batch_id=batch_id,
        customer_id="CUST-FRESHMART",
        quantity=qf.Quantity(amount=100, unit="pack"),
        shipped_at=T0 + timedelta(hours=8),
    )


# -- a backend without the bulk methods ---------------------------------------------------


class LoopOnlyStorage:
    """A third-party style backend: the Storage protocol (and the ledger), no bulk calls."""

    def __init__(self, inner: MemoryStorage) -> None:
        self._inner = inner
        self.url = "looponly://"

    def transaction(self) -> AbstractContextManager[None]:
        return self._inner.transaction()

    def get(self, kind: str, id: str) -> Entity:
        return self._inner.get(kind, id)

    def add(self, entity: Entity) -> Entity:
        return self._inner.add(entity)

    def save(self, entity: Entity, *, expected_version: int | None = None) -> Entity:
        return self._inner.save(entity, expected_version=expected_version)

    def list(
        self,
        kind: str,
        *,
        status: str | Iterable[str] | None = None,
        ids: Iterable[str] | None = None,
    ) -> builtins.list[Entity]:
        return self._inner.list(kind, status=status, ids=ids)

    def count(self, kind: str) -> int:
        return self._inner.count(kind)

    def genealogy_lock(self) -> AbstractContextManager[None]:
        return self._inner.genealogy_lock()

    def add_edge(self, edge: Edge) -> None:
        self._inner.add_edge(edge)

    def edges(self, *, among: Iterable[str] | None = None) -> builtins.list[Edge]:
        return self._inner.edges(among=among)

    def reach(self, ids: Iterable[str], direction: Direction) -> set[str]:
        return self._inner.reach(ids, direction)

    def enqueue(self, notification: qf.Notification) -> int | None:
        return self._inner.enqueue(notification)

    def outbox(self, *, pending_only: bool = True) -> builtins.list[OutboxEntry]:
        return self._inner.outbox(pending_only=pending_only)

    def update_delivery(
        self, entry_id: int, deliveries: Mapping[str, Delivery], *, delivered: bool
    ) -> None:
        self._inner.update_delivery(entry_id, deliveries, delivered=delivered)

    def ledger_head(self) -> str:
        return self._inner.ledger_head()

    def audit_snapshot(self) -> AuditSnapshot:
        return self._inner.audit_snapshot()

    def close(self) -> None:
        self._inner.close()


class LoopOnlyPlugin:
    @qf.hookimpl
    def qualityflow_register_storage(self, register: Any) -> None:
        register("looponly", lambda url: LoopOnlyStorage(MemoryStorage()))


# -- fixtures -----------------------------------------------------------------------------


def _server(env: str, label: str) -> Iterator[str]:
    try:
        with temporary_database(server_url(env)) as url:
            yield url
    except ConnectionError as exc:
        pytest.skip(f"{label} tests skipped ({env} or its default): {exc}")


@pytest.fixture(scope="module")
def postgresql_url() -> Iterator[str]:
    yield from _server(POSTGRESQL_ENV, "PostgreSQL")


@pytest.fixture(scope="module")
def mysql_url() -> Iterator[str]:
    yield from _server(MYSQL_ENV, "MariaDB")


BACKENDS = [
    "memory",
    "sqlite",
    "looponly",
    pytest.param("postgresql", marks=pytest.mark.postgresql),
    pytest.param("mysql", marks=pytest.mark.mysql),
]


def _empty(qms: qf.QualityFlow) -> None:
    storage = qms.storage
    if isinstance(storage, SQLStorage) and storage.engine.dialect.name != "sqlite":
        with storage.engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                if table is not meta_table:
                    conn.execute(table.delete())


class Opener:
    """Open fresh services on one backend (the servers: emptied between uses)."""

    def __init__(self, backend: str, request: pytest.FixtureRequest, tmp: Path) -> None:
        self.backend = backend
        self.request = request
        self.tmp = tmp
        self.opened = 0

    def __call__(self) -> qf.QualityFlow:
        self.opened += 1
        plugins: list[object] = []
        if self.backend == "memory":
            url = "memory://"
        elif self.backend == "looponly":
            url, plugins = "looponly://", [LoopOnlyPlugin()]
        elif self.backend == "sqlite":
            url = f"sqlite:///{self.tmp / f'bulk-{self.opened}.db'}"
        else:
            url = self.request.getfixturevalue(f"{self.backend}_url")
        qms = qf.QualityFlow(url, plugins=plugins, load_entry_points=False)
        if self.backend in ("postgresql", "mysql"):  # left by an earlier test: empty it
            _empty(qms)
            qms.close()
            qms = qf.QualityFlow(url, plugins=plugins, load_entry_points=False)
        return qms


@pytest.fixture(params=BACKENDS)
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    return Opener(request.param, request, tmp_path)


@pytest.fixture
def qms(opener: Opener) -> Iterator[qf.QualityFlow]:
    service = opener()
    try:
        yield service
    finally:
        _empty(service)
        service.close()


def verified(qms: qf.QualityFlow) -> None:
    report = qms.audit.verify()
    assert report.ok, report.problems


# -- scenarios ------------------------------------------------------------------------------


def test_a_plant_loads_a_days_lots_links_and_shipments_in_three_calls(
    qms: qf.QualityFlow,
) -> None:
    raws = [mixed_case_id("RAW", n) for n in range(40)]
    mixes = [f"Mix-{n:03d}" for n in range(15)]
    fins = [f"FIN-{n:03d}" if n % 2 else f"fin-{n:03d}" for n in range(15)]
    lots = [lot(id, supplier_id="SUP-MILL") for id in raws]
    lots += [lot(id, "intermediate") for id in mixes]
    lots += [lot(id, "finished") for id in fins]
    qms.suppliers.add(qf.Supplier(id="SUP-MILL", name="Northfield Mill"))
    assert qms.batches.add_many(iter(lots)) == 70  # a generator is fine
    links = [(raws[(3 * m + k) % 40], mix, KG) for m, mix in enumerate(mixes) for k in range(3)]
    links += [(mixes[f], fin, None) for f, fin in enumerate(fins)]
    links += [(mixes[(f + 1) % 15], fin, None) for f, fin in enumerate(fins)]
    assert qms.link_many(links) == len(links) == 75
    shipped = [shipment(f"SHIP-{n:03d}", fins[n % 15]) for n in range(30)]
    assert qms.shipments.add_many(shipped) == 30
    assert qms.batches.get(raws[0]).version == 1
    # Bulk rows are in the field index like added ones.
    assert [b.id for b in qms.batches.list(supplier_id="SUP-MILL")] == sorted(raws)
    assert [s.id for s in qms.shipments.list(batch_id=fins[0])] == ["SHIP-000", "SHIP-015"]
    stored = {(e.input_id, e.output_id) for e in qms.storage.edges()}
    assert stored == {(u, v) for u, v, _ in links} | {(s.batch_id, s.id) for s in shipped}
    assert qms.trace_forward(raws[0]).ids >= {mixes[0], fins[0]}
    assert set(qms.trace_backward("SHIP-000").ids) >= {fins[0], mixes[0], raws[0]}
    impact = qms.recall_impact(raws[0])
    assert {s.id for s in impact.shipments} >= {"SHIP-000", "SHIP-015"}
    verified(qms)


def test_one_bad_row_among_a_thousand_is_named_and_nothing_is_written(
    qms: qf.QualityFlow,
) -> None:
    qms.batches.add_many(lot(f"L-{n:04d}", "intermediate") for n in range(1001))
    head = qms.audit.head()
    rows: list[Any] = [(f"L-{n:04d}", f"L-{n + 1:04d}", None) for n in range(1000)]
    rows[617] = ("L-0617", "L-0618X", None)
    with pytest.raises(qf.GenealogyError) as refused:
        qms.link_many(rows)
    assert isinstance(refused.value, RowsRefused)
    assert [(p.row, p.ids) for p in refused.value.problems] == [(617, ("L-0617", "L-0618X"))]
    message = str(refused.value)
    assert "1 of 1000 row(s) refused, nothing was written" in message
    assert "rows[617] ('L-0617' -> 'L-0618X'): batch 'L-0618X' is not on file; add it first" in (
        message
    )
    assert qms.storage.edges() == [] and qms.audit.head() == head
    rows[617] = ("L-0617", "L-0618", None)
    rows[999] = ("L-0999", "L-0000", None)  # closes the chain into a ring
    with pytest.raises(RowsRefused) as refused:
        qms.link_many(rows)
    named = {p.row for p in refused.value.problems}
    if isinstance(qms.storage, BulkStorage):
        assert named == set(range(1000))  # every row on the ring
        assert "(992 more links)" in str(refused.value)
        assert "would close the cycle" in refused.value.problems[0].problem
    else:
        assert named == {999}  # one by one: the link that closes it
    assert len(str(refused.value)) < 60_000
    assert qms.storage.edges() == [] and qms.audit.head() == head
    rows[999] = ("L-0999", "L-1000", None)
    assert qms.link_many(rows) == 1000
    verified(qms)


def test_every_rule_of_link_refuses_its_rows_together(qms: qf.QualityFlow) -> None:
    qms.suppliers.add(qf.Supplier(id="SUP-BAD", name="Bad Mill"))
    qms.suppliers.decide("SUP-BAD", "suspended", actor="QA Dana", reason="audit failed")
    qms.batches.add_many(
        [
            lot("FLOUR-1"),
            lot("flour-1"),
            lot("HELD-1", status="on_hold"),
            lot("BAD-1", supplier_id="SUP-BAD"),
            lot("MIX-1", "intermediate"),
            lot("BISC-1", "finished"),
        ]
    )
    qms.link("MIX-1", "BISC-1")
    rows: list[Any] = [
        ("FLOUR-1", "MIX-1", KG),  # fine
        ("BISC-1", "MIX-1", None),  # cycle with the stored MIX-1 -> BISC-1
        ("FLOUR-1", "FLOUR-1", None),  # self-link
        ("MIX-1", "BISC-1", None),  # already linked
        ("flour-1", "MIX-1", None),  # fine: another lot
        ("flour-1", "MIX-1", None),  # given twice
        ("HELD-1", "MIX-1", None),  # on hold
        ("BAD-1", "MIX-1", None),  # suspended supplier
        ("FLOUR-1", "GHOST-1", None),  # unknown output
        ("FLOUR-1", "MIX-1", "40 kg"),  # not a Quantity
        ("FLOUR-1",),  # not a row
    ]
    with pytest.raises(RowsRefused) as refused:
        qms.link_many(rows)
    bad = {p.row: p.problem for p in refused.value.problems}
    assert sorted(bad) == [1, 2, 3, 5, 6, 7, 8, 9, 10]
    assert "cycle" in bad[1] and "itself" in bad[2]
    assert "already linked" in bad[3] and "given in rows[4]" in bad[5]
    assert "on hold" in bad[6] and "SUP-BAD" in bad[7] and "suspended" in bad[7]
    assert "'GHOST-1' is not on file" in bad[8] and "Quantity" in bad[9]
    assert len(qms.storage.edges()) == 1
    override = qf.LinkOverride(reason="re-tested by external lab", approver="QA manager")
    assert qms.link_many([("BAD-1", "MIX-1", None, override), ("flour-1", "MIX-1", None)]) == 2
    assert qms.storage.edges(among={"BAD-1", "MIX-1"})[0].override == override.model_dump(
        mode="json"
    )
    verified(qms)


def test_shipments_keep_the_rules_of_add(qms: qf.QualityFlow) -> None:
    qms.batches.add_many(
        [lot("BISC-1", "finished"), lot("BISC-2", "finished", status="quarantined")]
    )
    qms.shipments.add(shipment("SHIP-1", "BISC-1"))
    given: list[Any] = [
        shipment("SHIP-2", "BISC-1"),
        shipment("SHIP-1", "BISC-1"),  # on file
        shipment("SHIP-3", "BISC-2"),  # quarantined
        shipment("SHIP-4", "BISC-9"),  # unknown batch
        shipment("SHIP-2", "BISC-1"),  # given twice
        lot("BISC-3"),  # not a shipment
    ]
    with pytest.raises(RowsRefused) as refused:
        qms.shipments.add_many(given)
    bad = {p.row: p.problem for p in refused.value.problems}
    assert sorted(bad) == [1, 2, 3, 4, 5]
    assert "already" in bad[1] and "quarantined and may not be shipped" in bad[2]
    assert "'BISC-9' is not on file" in bad[3] and "rows[0]" in bad[4] and "Shipment" in bad[5]
    assert qms.shipments.list() == [qms.shipments.get("SHIP-1")]
    assert qms.shipments.add_many([shipment("SHIP-2", "BISC-1")]) == 1
    assert qms.trace_forward("BISC-1").ids == {"SHIP-1", "SHIP-2"}
    verified(qms)


def test_batches_refused_as_a_set_name_duplicates_and_strangers(qms: qf.QualityFlow) -> None:
    qms.batches.add(lot("FLOUR-1"))
    with pytest.raises(qf.StorageError) as refused:
        qms.batches.add_many([lot("SUGAR-1"), lot("FLOUR-1"), "SALT-1", lot("SUGAR-1")])  # type: ignore[list-item]
    assert isinstance(refused.value, RowsRefused)
    assert [p.row for p in refused.value.problems] == [1, 2, 3]
    assert [b.id for b in qms.batches.list()] == ["FLOUR-1"]
    assert qms.batches.add_many([]) == 0
    verified(qms)


def test_a_read_only_wrapper_refuses_bulk_writes_too(tmp_path: Path) -> None:
    example = _load_example()
    plugins = [example.PlantDirectory(tmp_path)]
    with qf.QualityFlow("plant://sunrise", plugins=plugins, load_entry_points=False) as qms:
        qms.batches.add(lot("FLOUR-1"))
    with qf.QualityFlow("archive://sunrise", plugins=plugins, load_entry_points=False) as audit:
        with pytest.raises(qf.StorageError, match="read-only"):
            audit.batches.add_many([lot("SUGAR-1")])
        assert [b.id for b in audit.batches.list()] == ["FLOUR-1"]


def _load_example() -> Any:
    name = "qualityflow_example_writing_plugins"
    if name not in sys.modules:
        path = Path(__file__).parents[1] / "examples" / "writing_plugins.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


# -- the rule: a set succeeds iff one by one would ---------------------------------------

NODES = ["A", "b", "B", "C", "d", "E"]
pairs = st.tuples(st.sampled_from(NODES), st.sampled_from([*NODES, "GHOST"]))


def _one_by_one(
    stored: list[tuple[str, str]], rows: list[tuple[str, str]]
) -> tuple[bool, set[tuple[str, str]]]:
    """Link ``rows`` one by one on a fresh memory service; return (all linked, edges)."""
    with qf.QualityFlow(load_entry_points=False) as oracle:
        oracle.batches.add_many(lot(id) for id in NODES)
        for u, v in stored:
            oracle.link(u, v)
        ok = True
        for u, v in rows:
            try:
                oracle.link(u, v)
            except (qf.GenealogyError, qf.StorageError):
                ok = False
        return ok, {(e.input_id, e.output_id) for e in oracle.storage.edges()}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    order=st.permutations(NODES),
    stored_picks=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), max_size=6),
    rows=st.lists(pairs, min_size=1, max_size=7),
    seed=st.integers(0, 1000),
)
def test_link_many_succeeds_iff_linking_one_by_one_in_any_order_would(
    opener: Opener,
    order: list[str],
    stored_picks: list[tuple[int, int]],
    rows: list[tuple[str, str]],
    seed: int,
) -> None:
    # The stored genealogy: a DAG along a random order of the nodes.
    stored = sorted({(order[min(i, j)], order[max(i, j)]) for i, j in stored_picks if i != j})
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    ok, edges = _one_by_one(stored, rows)
    ok_shuffled, edges_shuffled = _one_by_one(stored, shuffled)
    assert ok == ok_shuffled  # the rule does not depend on the order
    qms = opener()
    try:
        qms.batches.add_many(lot(id) for id in NODES)
        for u, v in stored:
            qms.link(u, v)
        head = qms.audit.head()
        try:
            assert qms.link_many([(u, v, None) for u, v in rows]) == len(rows)
            linked = True
        except RowsRefused as refused:
            linked = False
            assert refused.problems
            assert qms.audit.head() == head
            assert {(e.input_id, e.output_id) for e in qms.storage.edges()} == set(stored)
        assert linked == ok
        if linked:
            assert {(e.input_id, e.output_id) for e in qms.storage.edges()} == edges
            assert edges == edges_shuffled
        verified(qms)
    finally:
        _empty(qms)
        qms.close()


def test_the_bulk_backends_are_bulk_storages(tmp_path: Path) -> None:
    assert isinstance(MemoryStorage(), BulkStorage)
    with qf.QualityFlow(f"sqlite:///{tmp_path / 'x.db'}", load_entry_points=False) as qms:
        assert isinstance(qms.storage, BulkStorage)
    assert not isinstance(LoopOnlyStorage(MemoryStorage()), BulkStorage)


@settings(max_examples=200)
@given(
    ids=st.tuples(st.text(), st.text()),
    kind=st.sampled_from(["link", "ship"]),
    quantity=st.none() | st.text(),
    override=st.none() | st.text(),
)
def test_edge_keys_and_digests_are_the_json_texts_they_always_were(
    ids: tuple[str, str], kind: str, quantity: str | None, override: str | None
) -> None:
    import hashlib
    import json

    from qualityflow.storage.base import edge_digest, edge_key

    def dumps(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    u, v = ids
    assert edge_key(u, v) == dumps([u, v])
    text = dumps([u, v, kind, quantity, override])
    try:
        expected = hashlib.sha256(text.encode("utf-8")).hexdigest()
    except UnicodeEncodeError:  # a lone surrogate: no id can hold one
        return
    assert edge_digest(u, v, kind, quantity, override) == expected
