"""Random sequences of storage operations, checked against a plain model of the rules.

Adds, fresh and stale saves, links and rolled-back transactions are applied to the memory
and SQLite backends; after every step the stored versions, statuses and traces equal the
model's. A stale save never writes; a failed transaction leaves nothing behind.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import qualityflow as qf
from qualityflow.storage import Edge, MemoryStorage, Storage, sqlite_storage

LOTS = [f"YARN-{i}" for i in range(6)]
STATUSES = ["released", "on_hold", "quarantined"]


class _Abort(Exception):
    pass


def _lot(id: str, status: str = "released", version: int = 0) -> qf.Batch:
    return qf.Batch.model_validate(
        {
            "id": id,
            "kind": "intermediate",
            "product": "cotton yarn",
            "quantity": {"amount": "250", "unit": "kg"},
            "status": status,
            "version": version,
        }
    )


class StorageRules(RuleBasedStateMachine):
    """A textile mill's yarn lots, stored and linked at random."""

    def make_storage(self) -> Storage:
        raise NotImplementedError

    def __init__(self) -> None:
        super().__init__()
        self.storage = self.make_storage()
        self.versions: dict[str, int] = {}
        self.statuses: dict[str, str] = {}
        self.edges: set[tuple[str, str]] = set()

    def teardown(self) -> None:
        self.storage.close()

    @rule(id=st.sampled_from(LOTS), status=st.sampled_from(STATUSES))
    def add(self, id: str, status: str) -> None:
        if id in self.versions:
            with pytest.raises(qf.StorageError):
                self.storage.add(_lot(id, status))
            return
        assert self.storage.add(_lot(id, status)).version == 1
        self.versions[id], self.statuses[id] = 1, status

    @rule(id=st.sampled_from(LOTS), status=st.sampled_from(STATUSES), lag=st.integers(0, 2))
    def save(self, id: str, status: str, lag: int) -> None:
        if id not in self.versions:
            with pytest.raises(qf.NotFoundError):
                self.storage.save(_lot(id, status, version=1))
            return
        based_on = self.versions[id] - lag
        if lag:
            with pytest.raises(qf.ConcurrencyError):
                self.storage.save(_lot(id, status, version=max(based_on, 0)))
            return
        assert self.storage.save(_lot(id, status, version=based_on)).version == based_on + 1
        self.versions[id], self.statuses[id] = based_on + 1, status

    @rule(a=st.sampled_from(LOTS), b=st.sampled_from(LOTS))
    def link(self, a: str, b: str) -> None:
        if a >= b or a not in self.versions or b not in self.versions:
            return  # keep the model a DAG of stored lots (the service checks the rest)
        if (a, b) in self.edges:
            with pytest.raises(qf.StorageError):
                self.storage.add_edge(Edge(a, b))
            return
        self.storage.add_edge(Edge(a, b))
        self.edges.add((a, b))

    @rule(id=st.sampled_from(LOTS))
    def rolled_back(self, id: str) -> None:
        with pytest.raises(_Abort), self.storage.transaction():
            if id in self.versions:
                self.storage.save(_lot(id, "on_hold", version=self.versions[id]))
            else:
                self.storage.add(_lot(id))
            self.storage.enqueue(
                qf.Notification(
                    kind="transition",
                    subject_kind="batch",
                    subject_id=id,
                    title="never sent",
                    at="2026-03-02T06:00:00+00:00",
                )
            )
            raise _Abort

    @invariant()
    def stored_state_matches_the_model(self) -> None:
        stored = {b.id: (b.version, b.status.value) for b in self.storage.list("batch")}  # type: ignore[union-attr]
        assert stored == {id: (v, self.statuses[id]) for id, v in self.versions.items()}
        assert self.storage.outbox(pending_only=False) == []

    @invariant()
    def traces_match_the_model(self) -> None:
        for start in self.versions:
            reached, frontier = {start}, [start]
            while frontier:
                node = frontier.pop()
                for a, b in self.edges:
                    if a == node and b not in reached:
                        reached.add(b)
                        frontier.append(b)
            assert self.storage.reach([start], "forward") == reached


class MemoryRules(StorageRules):
    def make_storage(self) -> Storage:
        return MemoryStorage()


class SQLiteRules(StorageRules):
    def make_storage(self) -> Storage:
        self.directory = Path(tempfile.mkdtemp(prefix="qf-yarn-"))
        return sqlite_storage(f"sqlite:///{self.directory / 'mill.db'}")

    def teardown(self) -> None:
        super().teardown()
        shutil.rmtree(self.directory, ignore_errors=True)


TestMemoryRules = MemoryRules.TestCase
TestMemoryRules.settings = settings(max_examples=40, stateful_step_count=20, deadline=None)
TestSQLiteRules = SQLiteRules.TestCase
TestSQLiteRules.settings = settings(max_examples=15, stateful_step_count=15, deadline=None)
