"""Attacks on save() for nonconformances and SCARs: the commands' fields are refused.

The wet flour of ``test_scar.py`` again: 2,000 kg held, split into 1,200 kg used under
concession, 500 kg reworked and 300 kg returned to Northfield Mill, with a SCAR to the
mill. A careless or hostile application loads these records and edits them (in place,
with ``model_copy(update=...)``, or by editing the lists inside) to make the concession
larger, forget the returned part, close the nonconformance, move the SCAR's due day or
slip in a supplier answer. Each is refused with a
:class:`~qualityflow.errors.ProtectedFieldError` naming the field and the command to use;
a reload shows the record unchanged and nothing was queued. What may change (the evidence,
a description) is recorded as hash-chained amendments. On memory, SQLite, and PostgreSQL
and MariaDB when their servers answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualityflow as qf
from qualityflow.errors import ProtectedFieldError
from qualityflow.lifecycle.audit import verify_chain
from qualityflow.models.nonconformance import Disposition, Nonconformance, SupplierAction
from qualityflow.testing import Clock
from test_scar import DUE, NC, SCAR, T0, _answer, _plant, kg, url  # noqa: F401


@pytest.fixture
def qms(url: str) -> Iterator[qf.QualityFlow]:  # noqa: F811
    with _plant(url, Clock(T0)) as service:
        service.supplier_actions.request(NC, due=DUE, actor="SQE Priya")
        yield service


Attack = Callable[[Any], Any]


def _in_place(edit: Callable[[Any], None]) -> Attack:
    def attack(entity: Any) -> Any:
        edit(entity)
        return entity

    return attack


def _copy(**update: Any) -> Attack:
    return lambda entity: entity.model_copy(update=update)


NC_ATTACKS: dict[str, tuple[Attack, str, str]] = {
    "close it by status": (
        _in_place(lambda nc: setattr(nc, "status", "closed")),
        "status",
        "qms.nonconformances.fire(id, 'close'",
    ),
    "forget the returned part": (
        _copy(dispositions=[]),
        "dispositions",
        "qms.nonconformances.dispose(",
    ),
    "turn the rework into a concession in place": (
        _in_place(lambda nc: setattr(nc.dispositions[1], "kind", "use_as_is")),
        "dispositions",
        "which splits the lot into child lots",
    ),
    "append a part without a child lot": (
        _in_place(lambda nc: nc.dispositions.append(Disposition(kind="scrap", quantity=kg(100)))),
        "dispositions",
        "dispose(",
    ),
    "hold more than the lot": (
        _in_place(lambda nc: setattr(nc, "quantity", kg(2500))),
        "quantity",
        "qms.nonconformances.open",
    ),
    "blame the supplier quietly": (
        _copy(supplier_caused=True),
        "supplier_caused",
        "qms.supplier_actions.request(id, supplier_caused=True",
    ),
    "link an incident without escalating": (
        _copy(incident_id="INC-1"),
        "incident_id",
        "'escalate', incident_id=",
    ),
    "rewrite who disposed": (
        _in_place(lambda nc: setattr(nc.history[0], "actor", "nobody")),
        "history",
        "never edited",
    ),
    "drop the history": (_copy(history=[]), "history", "never edited"),
    "backdate the opening": (
        _copy(opened_at=T0 - timedelta(days=3)),
        "opened_at",
        "stays as it is",
    ),
    "move it to another lot": (_copy(batch_id="FLOUR-0413"), "batch_id", "nonconformances.open"),
}

SCAR_ATTACKS: dict[str, tuple[Attack, str, str]] = {
    "close it by status": (_copy(status="closed"), "status", "qms.supplier_actions.fire("),
    "slip in an answer": (
        _copy(response=_answer(T0)),
        "response",
        "'respond', response=",
    ),
    "verify without the command": (
        _copy(
            verification=qf.Verification(
                effective=True, evidence="trust me", verified_by="Bo", at=T0
            )
        ),
        "verification",
        "'verify', verification=",
    ),
    "give the mill more time": (
        _in_place(lambda s: setattr(s, "due", date(2026, 6, 30))),
        "due",
        "request a new one with the agreed day",
    ),
    "widen what it answers": (
        _in_place(lambda s: s.nonconformance_ids.append("NC-OTHER")),
        "nonconformance_ids",
        "fixed when it is requested",
    ),
    "send it to another supplier": (_copy(supplier_id="SUP-OTHER"), "supplier_id", "stays with"),
    "backdate the request": (
        _copy(requested_at=T0 - timedelta(days=10)),
        "requested_at",
        "stays as it is",
    ),
}


def _snapshot(qms: qf.QualityFlow, repo: Any, id: str) -> tuple[str, int]:
    return repo.get(id).model_dump_json(), len(qms.storage.outbox(pending_only=False))


def _attack(qms: qf.QualityFlow, repo: Any, id: str, attack: Attack, field: str, how: str) -> None:
    before = _snapshot(qms, repo, id)
    tampered = attack(repo.get(id))
    with pytest.raises(ProtectedFieldError) as refused:
        repo.save(tampered, actor="Line lead Max", reason="tidy up")
    assert refused.value.fields == [field]
    assert refused.value.trigger == "save"
    (reason,) = refused.value.reasons
    assert f"save() cannot change {field}" in reason and how in reason, reason
    assert _snapshot(qms, repo, id) == before  # nothing written, nothing queued


@pytest.mark.parametrize("name", sorted(NC_ATTACKS))
def test_a_nonconformances_commands_fields_are_refused(qms: qf.QualityFlow, name: str) -> None:
    attack, field, how = NC_ATTACKS[name]
    _attack(qms, qms.nonconformances, NC, attack, field, how)


@pytest.mark.parametrize("name", sorted(SCAR_ATTACKS))
def test_a_scars_commands_fields_are_refused(qms: qf.QualityFlow, name: str) -> None:
    attack, field, how = SCAR_ATTACKS[name]
    _attack(qms, qms.supplier_actions, SCAR, attack, field, how)


def test_several_refused_fields_are_all_named(qms: qf.QualityFlow) -> None:
    nc = qms.nonconformances.get(NC)
    nc.quantity = kg(5000)
    nc.status = "closed"  # type: ignore[assignment]
    nc.evidence = "all fine"  # allowed, but not alone
    with pytest.raises(ProtectedFieldError) as refused:
        qms.nonconformances.save(nc, actor="Max")
    assert sorted(refused.value.fields) == ["quantity", "status"]
    assert "all fine" not in qms.nonconformances.get(NC).evidence


def test_descriptive_edits_are_hash_chained_amendments(qms: qf.QualityFlow) -> None:
    nc = qms.nonconformances.get(NC)
    nc.evidence += "; photos of the wet sacks in DMS-4471"
    first = qms.nonconformances.save(nc, actor="QA Lena", reason="photos filed")
    nc = first.model_copy(update={"defect": "moisture 15.8 % (max 14.5 %), caking"})
    second = qms.nonconformances.save(nc, actor="QA Lena", reason="caking seen at rework")
    assert [len(first.amendments), len(second.amendments)] == [1, 2]
    a, b = second.amendments
    assert (a.actor, a.reason, [c.field for c in a.changes]) == (
        "QA Lena", "photos filed", ["evidence"],
    )  # fmt: skip
    assert [c.field for c in b.changes] == ["defect"] and b.prev_hash == a.hash
    assert a.entity == f"nonconformance/{NC}" and verify_chain(second.amendments)
    assert qf.verify_history(second)
    stored = qms.nonconformances.get(NC)
    assert stored == second and len(stored.dispositions) == 3

    scar = qms.supplier_actions.get(SCAR)
    scar.description += " (mill informed by phone on 2 March)"
    scar.severity = qf.Severity.CRITICAL
    saved = qms.supplier_actions.save(scar, actor="SQE Priya", reason="phone call")
    (amendment,) = saved.amendments
    assert sorted(c.field for c in amendment.changes) == ["description", "severity"]
    assert verify_chain(saved.amendments) and qf.verify_history(saved)


def test_an_edit_needs_an_actor_and_a_stale_copy_is_refused(qms: qf.QualityFlow) -> None:
    nc = qms.nonconformances.get(NC)
    nc.evidence = "re-weighed"
    with pytest.raises(qf.TransitionError, match="say who changes evidence"):
        qms.nonconformances.save(nc)
    stale = qms.nonconformances.get(NC)
    qms.nonconformances.save(nc, actor="QA Lena")
    stale.found_on = "goods-in dock"
    with pytest.raises(qf.ConcurrencyError):
        qms.nonconformances.save(stale, actor="QA Lena")
    unchanged = qms.nonconformances.get(NC)
    assert qms.nonconformances.save(unchanged, actor="QA Lena") == unchanged  # nothing to record
    with pytest.raises(ProtectedFieldError, match="amendments are written by the service"):
        qms.nonconformances.save(unchanged.model_copy(update={"amendments": []}), actor="Max")


def test_the_commands_still_work_after_amendments(qms: qf.QualityFlow) -> None:
    scar = qms.supplier_actions.get(SCAR)
    scar.description += " (see photos)"
    qms.supplier_actions.save(scar, actor="SQE Priya")
    acked = qms.supplier_actions.fire(SCAR, "acknowledge", actor="Mill QA Bo")
    assert acked.status.value == "acknowledged" and len(acked.amendments) == 1
    assert qf.verify_history(acked)


def test_the_protected_fields_cover_what_the_lifecycles_set() -> None:
    from qualityflow.lifecycle.nonconformance import NONCONFORMANCE_LIFECYCLE, SCAR_LIFECYCLE
    from qualityflow.service.nonconformances import (
        NonconformanceRepository,
        SupplierActionRepository,
    )

    for repo, lifecycle, model in [
        (NonconformanceRepository, NONCONFORMANCE_LIFECYCLE, Nonconformance),
        (SupplierActionRepository, SCAR_LIFECYCLE, SupplierAction),
    ]:
        set_by_triggers = set().union(*(lifecycle.sets(t) for t in lifecycle.triggers))
        assert set_by_triggers | {"status", "history"} <= set(repo.commands)
        assert set(repo.commands) <= set(model.model_fields)


EDITS: dict[str, Any] = {
    # free: recorded as amendments
    "evidence": "photos in DMS-4471",
    "defect": "moisture 15.8 %, caking",
    "characteristic": "moisture (oven method)",
    "found_on": "goods-in dock",
    # the commands' own
    "status": "closed",
    "quantity": kg(1999),
    "supplier_caused": True,
    "incident_id": "INC-9",
    "opened_by": "someone else",
    "dispositions": [],
}
FREE = {"evidence", "defect", "characteristic", "found_on"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chosen=st.sets(st.sampled_from(sorted(EDITS)), min_size=1))
def test_any_mix_of_edits_is_refused_or_recorded_exactly(chosen: set[str]) -> None:
    with _plant("memory://", Clock(T0)) as qms:
        before = qms.nonconformances.get(NC)
        edited = before.model_copy(update={name: EDITS[name] for name in chosen})
        protected = chosen - FREE
        if protected:
            with pytest.raises(ProtectedFieldError) as refused:
                qms.nonconformances.save(edited, actor="QA Lena")
            assert set(refused.value.fields) == protected
            assert qms.nonconformances.get(NC) == before
        else:
            saved = qms.nonconformances.save(edited, actor="QA Lena")
            assert {c.field for c in saved.amendments[-1].changes} == chosen
            assert verify_chain(saved.amendments) and qf.verify_history(saved)
