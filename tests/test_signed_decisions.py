"""Signed supplier decisions and a signed recall completion, under STRICT (memory, SQLite).

The same machinery as a signed close: the policy names the step, the application
authenticates the signer, the signature is part of the hash-chained record, shown where
the record is shown, and a removed or moved signature is reported by the audit.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import qualityflow as qf
from qualityflow.demo import run_demo
from qualityflow.errors import PermissionDenied
from qualityflow.models import Signature
from qualityflow.people import Actor, policies
from qualityflow.people.signatures import verify as verify_signatures
from qualityflow.reports import supplier_scorecard
from qualityflow.reports.recall_case import recall_summary
from test_people import DANA, LENA, _service, url

__all__ = ["url"]

KIM = Actor(id="kim", name="Kim Lee", roles=frozenset({"qa_manager"}))


class Passwords:
    @qf.hookimpl
    def qualityflow_authenticate(self, actor: Actor, credential: Any) -> bool | None:
        return bool(credential == f"secret-{actor.id}")


def test_disqualifying_and_reapproving_a_supplier_are_signed(url: str) -> None:
    for qms in _service(url, policy=policies.STRICT, plugins=[Passwords()]):
        qms.suppliers.add(qf.Supplier(id="SUP-1", name="Northfield Mill"))
        # a suspension is not a signature step
        assert qms.suppliers.decide("SUP-1", "suspended", actor=DANA, reason="mould").decisions
        with pytest.raises(qf.TransitionError, match=r"'supplier\.disqualify' needs"):
            qms.suppliers.decide("SUP-1", "disqualified", actor=DANA, reason="third mould lot")
        signature = Signature(meaning="disqualified for repeated mould")
        with pytest.raises(PermissionDenied, match="could not be authenticated"):
            qms.suppliers.decide(
                "SUP-1",
                "disqualified",
                actor=DANA,
                reason="third mould lot",
                signature=signature,
                credential="guess",
            )
        assert qms.suppliers.get("SUP-1").status.value == "suspended"
        with pytest.raises(PermissionDenied, match=r"'supplier\.decide'"):
            qms.suppliers.decide(
                "SUP-1", "disqualified", actor=LENA, reason="x", signature=signature
            )
        out = qms.suppliers.decide(
            "SUP-1",
            "disqualified",
            actor=DANA,
            reason="third mould lot",
            signature=signature,
            credential="secret-dana",
        )
        sig = out.decisions[-1].signature
        assert sig is not None and (sig.signer_id, sig.signer_name) == ("dana", "Dana Weber")
        assert sig.meaning == "disqualified for repeated mould" and sig.signed_at is not None
        assert qf.verify_history(out) and verify_signatures(out.decisions) == []
        qms.suppliers.decide(
            "SUP-1", "conditional", actor=KIM, reason="new silo, trial lots", evidence="audit A-7"
        )
        with pytest.raises(qf.TransitionError, match=r"'supplier\.reapprove' needs"):
            qms.suppliers.decide("SUP-1", "approved", actor=KIM, reason="3 good lots", evidence="x")
        back = qms.suppliers.decide(
            "SUP-1",
            "approved",
            actor=KIM,
            reason="3 good lots",
            evidence="IQC-1..3",
            signature=Signature(meaning="re-approved"),
            credential="secret-kim",
        )
        assert back.decisions[-1].signature is not None
        assert qms.audit.verify().ok
        card = supplier_scorecard([back], period="2026-03", inspections=[])
        text = card.to_markdown()
        assert "Last status decisions:" in text
        assert "signed by Kim Lee at" in text and "re-approved" in text
        assert "signed by Kim Lee at" in card.to_html()


def test_the_open_default_signs_nothing_but_accepts_a_signature(url: str) -> None:
    for qms in _service(url):
        qms.suppliers.add(qf.Supplier(id="SUP-1", name="Mill"))
        plain = qms.suppliers.decide("SUP-1", "disqualified", actor="QA", reason="fraud")
        assert plain.decisions[-1].signature is None
        qms.suppliers.add(qf.Supplier(id="SUP-2", name="Dairy"))
        signed = qms.suppliers.decide(
            "SUP-2", "suspended", actor="QA", reason="x", signature=Signature(meaning="suspended")
        )
        assert signed.decisions[-1].signature is not None


def test_a_moved_decision_signature_is_reported_by_the_audit(tmp_path: Path) -> None:
    path = tmp_path / "plant.db"
    for qms in _service(f"sqlite:///{path}", policy=policies.STRICT):
        qms.suppliers.add(qf.Supplier(id="SUP-1", name="Mill"))
        qms.suppliers.decide("SUP-1", "suspended", actor=DANA, reason="mould")
        qms.suppliers.decide(
            "SUP-1",
            "disqualified",
            actor=DANA,
            reason="third lot",
            signature=Signature(meaning="disqualified"),
        )
        assert qms.audit.verify().ok
    con = sqlite3.connect(path)
    (data,) = con.execute("SELECT data FROM qf_entities WHERE id = 'SUP-1'").fetchone()
    doc = json.loads(data)
    doc["decisions"][0]["signature"], doc["decisions"][1]["signature"] = (
        doc["decisions"][1]["signature"],
        None,
    )
    con.execute("UPDATE qf_entities SET data = ? WHERE id = 'SUP-1'", (json.dumps(doc),))
    con.commit()
    con.close()
    for qms in _service(f"sqlite:///{path}"):
        text = str(qms.audit.verify())
        assert "supplier SUP-1 decisions[0]" in text and "moved or copied" in text
        assert "decisions[1]" in text  # removed from its own decision: the chain breaks


def _recovering(qms: qf.QualityFlow) -> str:
    """Open the demo's recall and account for every consignee, as the open policy allows."""
    run = run_demo(qms)
    recall = qms.recalls.open(run.incident_id, grade="I", actor="Dana Ruiz")
    at = qms.now()
    qms.recalls.fire(recall.id, "start", actor="Dana Ruiz", at=at)
    for c in recall.consignees:
        qms.recalls.notify(recall.id, c.id, channel="email", at=at, actor="Dana Ruiz")
        qms.recalls.confirm(recall.id, c.id, at=at, actor="Dana Ruiz")
    qms.recalls.fire(recall.id, "recover", actor="Dana Ruiz", at=at)
    for c in recall.consignees:
        qms.recalls.record_return(
            recall.id, c.id, destroyed=c.shipped[0], at=at, actor="Dana Ruiz", evidence="D-1"
        )
    return recall.id


def test_completing_a_recall_is_signed_under_strict(url: str) -> None:
    for qms in _service(url, settings={}, plugins=[Passwords()]):
        rid = _recovering(qms)
        qms.policy = policies.STRICT
        at = qms.now()
        with pytest.raises(qf.TransitionError, match=r"'recall\.complete' needs the electronic"):
            qms.recalls.fire(rid, "complete", actor=DANA, at=at)
        with pytest.raises(PermissionDenied, match="could not be authenticated"):
            qms.recalls.fire(
                rid, "complete", actor=DANA, at=at, signature=Signature(meaning="x"), credential=1
            )
        assert qms.recalls.get(rid).status.value == "recovering"
        done = qms.recalls.fire(
            rid,
            "complete",
            actor=DANA,
            at=at,
            signature=Signature(meaning="recall completed, all product accounted for"),
            credential="secret-dana",
        )
        sig = done.history[-1].signature
        assert done.status.value == "completed" and sig is not None
        assert sig.signer_name == "Dana Weber" and done.history[-1].actor == "Dana Weber"
        assert qms.audit.verify().ok
        text = recall_summary(done).to_markdown()
        assert "signed by Dana Weber at" in text and "all product accounted for" in text
        # the consignee steps are not signature steps; closing is not signed under STRICT
        closed = qms.recalls.fire(
            rid, "close", actor=DANA, at=at + timedelta(minutes=1), summary="all destroyed"
        )
        assert closed.history[-1].signature is None


def test_incidents_show_prints_the_signature(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from qualityflow.cli import app
    from test_people import _close, _to_verifying

    db = f"sqlite:///{tmp_path / 'plant.db'}"
    for qms in _service(db, policy=policies.STRICT):
        _to_verifying(qms, {"assess": DANA})
        _close(qms, DANA, "Sam Roy")
    result = CliRunner().invoke(app, ["incidents", "show", "INC-1", "--db", db])
    assert result.exit_code == 0, result.output
    assert "signed by Dana Weber at" in result.stdout and "approved closure" in result.stdout


# -- records keep the actor's id and name ------------------------------------------------


def test_records_keep_the_actors_id_and_name(url: str) -> None:
    for qms in _service(url, actors=[KIM]):
        qms.incidents.add(qf.Incident(id="INC-1", title="Odd smell", severity="minor"))
        cancelled = qms.incidents.fire("INC-1", "cancel", actor="kim", note="duplicate")
        record = cancelled.history[-1]
        assert (record.actor, record.actor_id) == ("Kim Lee", "kim")
        cancelled.description = "smell of solvent"
        amended = qms.incidents.save(cancelled, actor=DANA, reason="detail")
        assert (amended.amendments[-1].actor, amended.amendments[-1].actor_id) == (
            "Dana Weber",
            "dana",
        )
        qms.suppliers.add(qf.Supplier(id="SUP-1", name="Mill"))
        decided = qms.suppliers.decide("SUP-1", "suspended", actor="kim", reason="mould")
        assert (decided.decisions[-1].actor, decided.decisions[-1].actor_id) == ("Kim Lee", "kim")
        # a plain string is its own id: nothing more is stored, the hash is as before
        plain = qms.suppliers.decide("SUP-1", "approved", actor="QA Sam", reason="ok", evidence="x")
        assert plain.decisions[-1].actor_id == ""
        assert "actor_id" not in plain.decisions[-1].model_dump(exclude_defaults=True)
        assert qms.audit.verify().ok
        # the id is hash-chained: changing it breaks the chain
        forged = qms.incidents.get("INC-1").model_copy(deep=True)
        forged.history[-1] = forged.history[-1].model_copy(update={"actor_id": "dana"})
        assert not qf.verify_history(forged)


def test_records_without_an_actor_id_keep_their_hashes() -> None:
    from datetime import datetime, timezone

    from qualityflow.lifecycle.audit import record_hash
    from qualityflow.lifecycle.machine import _FAST_RECORD

    at = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    rec = qf.TransitionRecord(at=at, actor="QA", trigger="assess", source="reported", dest="x")
    legacy = rec.model_dump(mode="json", exclude={"actor_id", "signature", "hash"})
    assert qf.TransitionRecord.model_validate(legacy) == rec
    assert record_hash(rec) == record_hash(rec.model_copy(update={"actor_id": ""}))
    # the lifecycle's trusted path still builds records (and hashes them as record_hash does)
    assert _FAST_RECORD
    inc = qf.Incident(id="INC-9", title="Torn seams", severity="minor")
    made = qf.INCIDENT_LIFECYCLE.fire(inc, "cancel", actor="QA", note="dog", at=at)
    assert made.hash == record_hash(made) and made.actor_id == "" and made.signature is None
