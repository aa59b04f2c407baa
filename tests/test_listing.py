"""Listing by indexed fields, paged and streamed (issue 19): service and SQL specifics.

The storage side (where/limit/after/iter_list on every backend) is in the conformance
suite; here: ``Repository.list(**filters)`` pushes indexed filters down and equals
filtering everything in Python, a backend without the capability still works, the index
is never trusted (a DBA's edits cannot make a wrong record appear, ``reindex`` and
reopening repair it), and ``batches.release`` decides on the batch's own inspections.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualityflow as qf
from qualityflow.storage import Storage
from qualityflow.storage.base import ListingStorage, fields_signature, index_value
from qualityflow.storage.sql import SQLStorage, fields_table, meta_table, sqlite_storage
from qualityflow.testing import MYSQL_ENV, POSTGRESQL_ENV, server_url, temporary_database

QTY = qf.Quantity(amount=1, unit="t")


def _lot(id: str, **extra: Any) -> qf.Batch:
    fields: dict[str, Any] = {"kind": "raw_material", "product": "flour", "quantity": QTY}
    fields.update(extra)
    return qf.Batch(id=id, **fields)


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database on each SQL backend (servers skipped when they do not answer)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'plant.db'}"
        return
    env = POSTGRESQL_ENV if request.param == "postgresql" else MYSQL_ENV
    try:
        with temporary_database(server_url(env)) as url:
            yield url
    except ConnectionError as exc:
        pytest.skip(f"{request.param} server not available: {exc}")


# -- a backend without where/limit/after --------------------------------------------------


class PlainStorage:
    """A third-party backend written before ListingStorage: list(kind, status, ids) only."""

    def __init__(self, url: str) -> None:
        self.inner = qf.storage.MemoryStorage()
        self.url = url
        self.calls: builtins.list[dict[str, Any]] = []

    def transaction(self) -> Any:
        return self.inner.transaction()

    def get(self, kind: str, id: str) -> Any:
        return self.inner.get(kind, id)

    def add(self, entity: Any) -> Any:
        return self.inner.add(entity)

    def save(self, entity: Any, *, expected_version: int | None = None) -> Any:
        return self.inner.save(entity, expected_version=expected_version)

    def list(
        self, kind: str, *, status: Any = None, ids: Iterable[str] | None = None
    ) -> builtins.list[Any]:
        self.calls.append({"kind": kind, "status": status})
        return self.inner.list(kind, status=status, ids=ids)

    def count(self, kind: str) -> int:
        return self.inner.count(kind)

    def genealogy_lock(self) -> Any:
        return self.inner.genealogy_lock()

    def add_edge(self, edge: Any) -> None:
        self.inner.add_edge(edge)

    def edges(self, *, among: Iterable[str] | None = None) -> builtins.list[Any]:
        return self.inner.edges(among=among)

    def reach(self, ids: Iterable[str], direction: Any) -> set[str]:
        return self.inner.reach(ids, direction)

    def enqueue(self, notification: Any) -> int | None:
        return self.inner.enqueue(notification)

    def outbox(self, *, pending_only: bool = True) -> builtins.list[Any]:
        return self.inner.outbox(pending_only=pending_only)

    def update_delivery(self, entry_id: int, deliveries: Any, *, delivered: bool) -> None:
        self.inner.update_delivery(entry_id, deliveries, delivered=delivered)

    def close(self) -> None:
        self.inner.close()


class PlainBackend:
    def __init__(self) -> None:
        self.made: builtins.list[PlainStorage] = []

    @qf.hookimpl
    def qualityflow_register_storage(self, register: Any) -> None:
        def make(url: str) -> PlainStorage:
            self.made.append(PlainStorage(url))
            return self.made[-1]

        register("plain", make)


def test_a_backend_without_the_capability_is_filtered_and_paged_in_python() -> None:
    backend = PlainBackend()
    with qf.QualityFlow("plain://", plugins=[backend], load_entry_points=False) as qms:
        storage = backend.made[0]
        assert isinstance(storage, Storage) and not isinstance(storage, ListingStorage)
        for n in range(7):
            qms.batches.add(_lot(f"L-{n}", supplier_id="SUP-A" if n % 2 else "SUP-B"))
        assert [b.id for b in qms.batches.list(supplier_id="SUP-A")] == ["L-1", "L-3", "L-5"]
        assert [b.id for b in qms.batches.list(supplier_id="SUP-A", limit=2)] == ["L-1", "L-3"]
        assert [b.id for b in qms.batches.list(supplier_id="SUP-A", after="L-3")] == ["L-5"]
        assert [b.id for b in qms.batches.iter_list(supplier_id="SUP-B", page=2)] == [
            "L-0",
            "L-2",
            "L-4",
            "L-6",
        ]
        assert qms.batches.list(limit=0) == []
        assert all(set(call) == {"kind", "status"} for call in storage.calls)


# -- the repository pushes down and equals Python -------------------------------------------


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
def test_pushed_down_list_equals_filtering_every_record_in_python(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    suppliers = st.sampled_from(["SUP-A", "sup-a", "SUP-Ä", "S" * 255])
    lines = st.none() | st.sampled_from(["L1", "l1", "L1 ", "x" * 300])
    products = st.sampled_from(["flour", "Flour", "wheat flour " + "🌾" * 260])
    rows = data.draw(
        st.lists(
            st.tuples(
                suppliers,
                lines,
                products,
                st.sampled_from(["raw_material", "finished"]),
                st.sampled_from(["released", "on_hold"]),
            ),
            max_size=14,
        )
    )
    filters: dict[str, Any] = {}
    for name, strategy in [
        ("supplier_id", suppliers),
        ("line", lines),
        ("product", products),
        ("kind", st.sampled_from([qf.BatchKind.FINISHED, "raw_material"])),
        ("status", st.sampled_from(["released", "on_hold"])),
        ("quantity", st.just(QTY)),  # not indexed: filtered in Python
    ]:
        if data.draw(st.booleans(), label=f"filter {name}"):
            filters[name] = data.draw(strategy, label=name)
    limit = data.draw(st.none() | st.integers(0, 5), label="limit")
    url = data.draw(st.sampled_from(["memory", "sqlite"]), label="backend")
    if url == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('plant') / 'plant.db'}"
    else:
        url = "memory://"
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        for n, (supplier, line, product, kind, status) in enumerate(rows):
            qms.batches.add(
                _lot(
                    f"{'Ll'[n % 2]}-{n:02d}",
                    supplier_id=supplier,
                    line=line,
                    product=product,
                    kind=kind,
                    status=status,
                )
            )
        everything = qms.batches.list()

        def value(v: Any) -> Any:
            return getattr(v, "value", v)

        expected = [
            b.id
            for b in everything
            if all(value(getattr(b, k)) == value(v) for k, v in filters.items())
        ]
        assert [b.id for b in qms.batches.list(**filters)] == expected
        assert [b.id for b in qms.batches.iter_list(page=2, **filters)] == expected
        if limit is not None:
            assert [b.id for b in qms.batches.list(limit=limit, **filters)] == expected[:limit]
        if expected:
            after = expected[0]
            assert [b.id for b in qms.batches.list(after=after, **filters)] == expected[1:]


def test_unknown_filters_and_bad_pages_are_refused() -> None:
    qms = qf.QualityFlow(load_entry_points=False)
    with pytest.raises(TypeError, match="cannot be filtered by colour"):
        qms.batches.list(colour="red")
    with pytest.raises(TypeError, match="cannot be filtered by page"):
        qms.batches.list(page=3)
    with pytest.raises(TypeError, match="cannot be filtered by limit"):
        qms.batches.iter_list(limit=3)
    with pytest.raises(ValueError, match="limit=-1"):
        qms.batches.list(limit=-1)
    with pytest.raises(ValueError, match="page=0"):
        qms.batches.iter_list(page=0)


# -- the index is never trusted ------------------------------------------------------------


def _seed(url: str) -> None:
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        for n in range(4):
            qms.batches.add(_lot(f"L-{n}", supplier_id="SUP-A" if n < 2 else "SUP-B"))


def _index_rows(storage: SQLStorage) -> builtins.list[tuple[str, ...]]:
    with storage.engine.connect() as conn:
        rows = conn.execute(sa.select(fields_table)).all()
    return sorted(tuple(str(v) for v in row) for row in rows)


def test_a_dba_editing_the_index_cannot_make_list_return_a_wrong_record(sql_url: str) -> None:
    _seed(sql_url)
    with qf.QualityFlow(sql_url, load_entry_points=False) as qms:
        storage = qms.storage
        assert isinstance(storage, SQLStorage)
        before = _index_rows(storage)
        with storage.engine.begin() as conn:  # point SUP-A's index rows at SUP-B's lots
            conn.execute(
                fields_table.update()
                .where(fields_table.c.field == "supplier_id")
                .values(value="SUP-A")
            )
        assert [b.id for b in qms.batches.list(supplier_id="SUP-A")] == ["L-0", "L-1"]
        assert [b.id for b in qms.batches.list(supplier_id="SUP-A", limit=1, after="L-0")] == [
            "L-1"
        ]
        assert qms.batches.list(supplier_id="SUP-B") == []  # lost rows hide records...
        assert storage.reindex() == len(before)  # ...until the index is rebuilt
        assert _index_rows(storage) == before
        assert [b.id for b in qms.batches.list(supplier_id="SUP-B")] == ["L-2", "L-3"]


def test_opening_rebuilds_a_dropped_or_outdated_index(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    _seed(url)
    store = sqlite_storage(url)
    before = _index_rows(store)
    with store.engine.begin() as conn:
        fields_table.drop(conn)
    store.close()
    store = sqlite_storage(url)  # at the head: the table is created again and filled
    assert _index_rows(store) == before
    with store.engine.begin() as conn:
        conn.execute(fields_table.delete())
        conn.execute(
            meta_table.update().where(meta_table.c.key == "fields_index").values(value="old")
        )
    store.close()
    store = sqlite_storage(url)  # built for another mapping: rebuilt
    assert _index_rows(store) == before
    with store.engine.connect() as conn:
        marker = conn.execute(
            sa.select(meta_table.c.value).where(meta_table.c.key == "fields_index")
        ).scalar_one()
    assert marker == fields_signature()
    store.close()


def test_index_rows_follow_adds_and_saves_byte_exactly(sql_url: str) -> None:
    long_line = "Linie 2 — Ofen 🔥 " * 20
    with qf.QualityFlow(sql_url, load_entry_points=False) as qms:
        storage = qms.storage
        assert isinstance(storage, SQLStorage)
        lot = qms.batches.add(_lot("FLOUR-1", supplier_id="SUP-MILL", line=long_line))
        assert len(long_line) > 255
        assert ("batch", "FLOUR-1", "line", index_value(long_line)) in _index_rows(storage)
        assert [b.id for b in qms.batches.list(line=long_line)] == ["FLOUR-1"]
        assert qms.batches.list(line=long_line[:-1]) == []
        lot.line = "L2"
        qms.batches.save(lot, actor="Planner Joe", reason="moved")
        assert [r for r in _index_rows(storage) if r[1] == "FLOUR-1"] == [
            ("batch", "FLOUR-1", "kind", "raw_material"),
            ("batch", "FLOUR-1", "line", "L2"),
            ("batch", "FLOUR-1", "product", "flour"),
            ("batch", "FLOUR-1", "supplier_id", "SUP-MILL"),
        ]
        assert [b.id for b in qms.batches.list(line="L2")] == ["FLOUR-1"]
        assert qms.batches.list(line="l2") == []


# -- release decides on the batch's own inspections ----------------------------------------


def test_release_reads_only_the_batchs_inspections_through_the_index(sql_url: str) -> None:
    with qf.QualityFlow(sql_url, load_entry_points=False) as qms:
        for id in ("BISC-1", "BISC-2"):
            qms.batches.add(
                _lot(id, kind="finished", product="biscuits", status="on_hold", line="L1")
            )
        qms.inspections.add(
            qf.Inspection(id="FQC-2", batch_id="BISC-2", stage="final", result="fail")
        )
        qms.inspections.add(
            qf.Inspection(id="FQC-1", batch_id="BISC-1", stage="final", result="pass")
        )
        storage = qms.storage
        assert isinstance(storage, SQLStorage)
        with storage.engine.begin() as conn:  # a forged index row: BISC-2's failure on BISC-1
            conn.execute(
                fields_table.insert().values(
                    kind="inspection", id="FQC-2x", field="batch_id", value="BISC-1"
                )
            )
            conn.execute(
                fields_table.update()
                .where(fields_table.c.id == "FQC-2", fields_table.c.field == "batch_id")
                .values(value="BISC-1")
            )
        assert qms.batches.release("BISC-1", actor="QA Mia").status.value == "released"
        storage.reindex()
        with pytest.raises(qf.TransitionError, match="FQC-2"):
            qms.batches.release("BISC-2", actor="QA Mia")
