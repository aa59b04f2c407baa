"""Evidence attached to the parts of a case: hash-chained with the record, re-hashed on audit.

The story: QA Lena photographs the capper, attaches the photo to the root-cause analysis,
the verification rests on three weeks of line records, the customer's photo comes with the
complaint's contact, and the recall's destruction certificate with the return. Rows written
before ``attachments`` existed keep verifying.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import qualityflow as qf
from qualityflow.errors import ProtectedFieldError
from qualityflow.lifecycle.audit import history_problems
from qualityflow.models.evidence import Evidence
from test_listing import sql_url
from test_people import DANA, T0, _close, _service, _team, _to_verifying, _verification, url

__all__ = ["sql_url", "url"]  # the fixtures of test_people and test_listing, reused


def _strip(value: Any) -> Any:
    """The JSON an older qualityflow wrote: no ``attachments`` keys anywhere."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "attachments"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _rows(path: Path, id: str) -> dict[str, Any]:
    con = sqlite3.connect(path)
    try:
        (data,) = con.execute("SELECT data FROM qf_entities WHERE id = ?", (id,)).fetchone()
    finally:
        con.close()
    doc: dict[str, Any] = json.loads(data)
    return doc


def _write_row(path: Path, id: str, doc: dict[str, Any]) -> None:
    con = sqlite3.connect(path)
    con.execute("UPDATE qf_entities SET data = ? WHERE id = ?", (json.dumps(doc), id))
    con.commit()
    con.close()


def test_a_row_written_before_attachments_existed_verifies_and_moves_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "plant.db"
    with monkeypatch.context() as older:
        # qualityflow before the field: the same models, written without any attachments.
        def old_json(self: qf.Incident, **_: Any) -> str:
            return json.dumps(_strip(self.model_dump(mode="json")))

        older.setattr(qf.Incident, "model_dump_json", old_json)
        for qms in _service(f"sqlite:///{path}"):
            _to_verifying(qms, {})
    doc = _rows(path, "INC-1")
    assert "attachments" not in json.dumps(doc) and doc["root_cause"]["root_cause"]
    for qms in _service(f"sqlite:///{path}"):
        assert qms.audit.verify().ok, str(qms.audit.verify())
        photo = qms.evidence.put(b"\x89PNG capper", media_type="image/png", filename="cap.png")
        verification = _verification("Sam Roy").model_copy(update={"attachments": [photo]})
        closed = qms.incidents.fire(
            "INC-1",
            "close",
            actor=DANA,
            at=T0 + timedelta(hours=8),
            verification=verification,
            lessons=["align cappers weekly"],
        )
        assert closed.verification is not None and closed.verification.attachments == [photo]
        report = qms.audit.verify(blobs=True)
        assert report.ok, str(report)
        assert "1 evidence file(s) re-hashed" in " ".join(report.notes)
        # the attachment counts in the digest the close record sealed
        stored = qms.incidents.get("INC-1")
        assert history_problems(stored) == []
        assert stored.verification is not None
        without = stored.model_copy(deep=True)
        assert without.verification is not None
        without.verification.attachments = []
        assert [p.record for p in history_problems(without)] == ["history[5]"]
    # an attachment edited in the stored row is reported
    doc = _rows(path, "INC-1")
    doc["verification"]["attachments"][0]["filename"] = "other.png"
    _write_row(path, "INC-1", doc)
    for qms in _service(f"sqlite:///{path}"):
        text = str(qms.audit.verify())
        assert "INC-1" in text and "no longer match the state this record sealed" in text


def test_every_part_takes_attachments_through_its_command_and_audit_rehashes_them(
    url: str,
) -> None:
    for qms in _service(url):
        put = qms.evidence.put
        lot = qf.Batch(
            id="JAM-1", kind="finished", product="jam", quantity=qf.Quantity(amount=10, unit="jar")
        )
        qms.batches.add(lot)
        coa = put(b"IQC sheet", media_type="text/plain", filename="iqc.txt", by="QA Lena")
        qms.inspections.add(
            qf.Inspection(
                id="FQC-1", batch_id="JAM-1", stage="final", result="pass", attachments=[coa]
            )
        )
        qms.incidents.add(
            qf.Incident(
                id="INC-2", title="Chipped jar", severity="minor", reported_at=T0, batch_ids=[]
            )
        )
        hold = put(b"hold tag photo", media_type="image/jpeg", filename="hold.jpg")
        qms.incidents.fire(
            "INC-2",
            "assess",
            actor="QA Lena",
            at=T0 + timedelta(hours=1),
            assessment=qf.ImpactAssessment(severity="minor", batch_ids=["JAM-1"]),
            team=_team(),
        )
        contained = qms.incidents.fire(
            "INC-2",
            "contain",
            actor="QA Lena",
            at=T0 + timedelta(hours=2),
            containment=[
                qf.ContainmentAction(
                    batch_id="JAM-1",
                    action="hold",
                    by="Tom",
                    at=T0 + timedelta(hours=2),
                    attachments=[hold],
                )
            ],
        )
        assert contained.containment[0].attachments == [hold]
        # containment is fixed for save(), but attaching evidence to it is an amendment
        tag = put(b"second tag", media_type="image/jpeg", filename="tag2.jpg")
        more = qms.evidence.attach("INC-2", tag, actor="QA Lena", part="containment", item=1)
        assert more.containment[0].attachments == [hold, tag]  # type: ignore[attr-defined]
        moved = qms.incidents.get("INC-2")
        moved.containment[0].note = "moved to bay 5"
        with pytest.raises(ProtectedFieldError, match="containment"):
            qms.incidents.save(moved, actor="QA Lena")
        with pytest.raises(
            qf.QualityFlowError, match="containment has no item 2: give an item from 1 to 1"
        ):
            qms.evidence.attach("INC-2", tag, actor="QA Lena", part="containment", item=2)
        qms.complaints.add(
            qf.Complaint(
                id="CMP-1",
                customer_id="SHOP-1",
                channel="wechat",
                received_at=T0,
                description="chipped jar",
            )
        )
        shot = put(b"customer photo", media_type="image/jpeg", filename="jar.jpg")
        contact = qf.Contact(
            at=T0 + timedelta(hours=1),
            direction="outbound",
            channel="wechat",
            message="thank you for the photo of the jar",
            by="Service desk",
            attachments=[shot],
        )
        acked = qms.complaints.fire(
            "CMP-1", "acknowledge", actor="Service desk", contacts=[contact]
        )
        assert acked.contacts[0].attachments == [shot]
        report = qms.audit.verify(blobs=True)
        assert report.ok and "4 evidence file(s)" in " ".join(report.notes)
        Path(shot.uri.removeprefix("file://")).write_bytes(b"swapped")
        text = str(qms.audit.verify(blobs=True))
        assert "complaint CMP-1 evidence" in text and "jar.jpg" in text and "altered" in text


def test_a_recall_return_keeps_its_destruction_certificate(tmp_path: Path) -> None:
    from qualityflow.demo import run_demo

    for qms in _service(f"sqlite:///{tmp_path / 'plant.db'}", settings={}):
        run = run_demo(qms)
        recall = qms.recalls.open(run.incident_id, grade="I", actor="Dana Ruiz")
        customer = recall.consignees[0]
        qms.recalls.fire(recall.id, "start", actor="Dana Ruiz")
        at = qms.now()
        qms.recalls.notify(recall.id, customer.id, channel="email", at=at, actor="Dana Ruiz")
        cert = qms.evidence.put(b"%PDF destroyed", media_type="application/pdf", filename="d.pdf")
        done = qms.recalls.record_return(
            recall.id,
            customer.id,
            destroyed=customer.shipped[0],
            at=at,
            actor="Dana Ruiz",
            evidence="destruction certificate",
            attachments=[cert],
        )
        assert done.consignee(customer.id).returns[0].attachments == [cert]
        photo = qms.evidence.put(b"pallet photo", media_type="image/jpeg", filename="p.jpg")
        later = qms.evidence.attach(recall.id, photo, actor="Dana Ruiz", kind="recall")
        assert later.consignee(customer.id).returns[0].attachments == [cert, photo]  # type: ignore[attr-defined]
        assert qms.audit.verify(blobs=True).ok


def test_evidence_attached_later_is_an_amendment_even_on_a_closed_case(url: str) -> None:
    for qms in _service(url):
        _to_verifying(qms, {})
        _close(qms, DANA, "Sam Roy")
        logbook = qms.evidence.put(b"line log", media_type="text/plain", filename="log.txt")
        saved = qms.evidence.attach("INC-1", logbook, actor="QA Lena", part="verification")
        assert isinstance(saved, qf.Incident) and saved.verification is not None
        assert saved.verification.attachments == [logbook]
        amendment = saved.amendments[-1]
        assert amendment.actor == "QA Lena" and amendment.changes[0].field == "verification"
        assert "log.txt" in amendment.reason and qf.verify_history(saved)
        photo = qms.evidence.put(b"capper", media_type="image/jpeg", filename="cap.jpg")
        rca = qms.evidence.attach("INC-1", [photo], actor="QA Lena", part="root_cause")
        assert rca.root_cause.attachments == [photo]  # type: ignore[attr-defined]
        # anything else in the relied-on part stays refused, attachments or not
        edited = qms.incidents.get("INC-1")
        assert edited.verification is not None
        edited.verification.attachments = [*edited.verification.attachments, photo]
        edited.verification.evidence = "better words"
        with pytest.raises(ProtectedFieldError, match="verification"):
            qms.incidents.save(edited, actor="QA Lena")
        # removing an attachment is no attachment either
        dropped = qms.incidents.get("INC-1")
        assert dropped.verification is not None
        dropped.verification.attachments = []
        with pytest.raises(ProtectedFieldError):
            qms.incidents.save(dropped, actor="QA Lena")
        assert qms.audit.verify(blobs=True).ok


def test_attach_says_what_is_missing(url: str) -> None:
    for qms in _service(url):
        ev = qms.evidence.put(b"x", media_type="text/plain")
        with pytest.raises(qf.NotFoundError, match="no incident, complaint, recall or inspection"):
            qms.evidence.attach("INC-404", ev, actor="QA")
        qms.incidents.add(qf.Incident(id="INC-3", title="Odd smell", severity="minor"))
        with pytest.raises(qf.QualityFlowError, match="no verification recorded yet"):
            qms.evidence.attach("INC-3", ev, actor="QA")
        with pytest.raises(qf.QualityFlowError, match=r"no part 'contact'.*verification"):
            qms.evidence.attach("INC-3", ev, actor="QA", part="contact")
        assert qms.incidents.get("INC-3").amendments == []


def test_attachments_round_trip_and_are_evidence() -> None:
    ev = Evidence(
        sha256="ab" * 32,
        media_type="image/png",
        filename="a.png",
        size=3,
        uri="file:///e/ab",
        captured_at=T0,
    )
    contact = qf.Contact(
        at=T0, direction="inbound", channel="phone", message="m", by="b", attachments=[ev]
    )
    assert qf.Contact.model_validate_json(contact.model_dump_json()) == contact
    assert (
        qf.Contact(at=T0, direction="inbound", channel="phone", message="m", by="b").attachments
        == []
    )


def test_the_8d_lists_the_evidence_and_shows_images_as_thumbnails(url: str) -> None:
    import base64

    for qms in _service(url):
        _to_verifying(qms, {})
        photo = qms.evidence.put(b"\x89PNG capper", media_type="image/png", filename="cap.png")
        log = qms.evidence.put(b"line log", media_type="text/plain", filename="log.txt", by="QA")
        verification = _verification("Sam Roy").model_copy(update={"attachments": [log]})
        qms.incidents.fire(
            "INC-1",
            "close",
            actor=DANA,
            at=T0 + timedelta(hours=8),
            verification=verification,
            lessons=["align cappers weekly"],
        )
        closed = qms.evidence.attach("INC-1", photo, actor="QA Lena", part="root-cause")
        assert isinstance(closed, qf.Incident)
        report = qf.eight_d(closed, evidence=qms.evidence.read_verified)
        markdown = report.to_markdown()
        assert "## Appendix: evidence" in markdown
        row = next(line for line in markdown.splitlines() if "cap.png" in line)
        assert photo.sha256 in row and "image/png" in row and "D4 root-cause analysis" in row
        assert "11 B" in row
        assert "| log.txt | text/plain | 8 B |" in markdown and "D6 verification" in markdown
        page = report.to_html()
        embedded = "data:image/png;base64," + base64.b64encode(b"\x89PNG capper").decode()
        assert embedded in page and 'alt="cap.png"' in page
        assert "base64," + base64.b64encode(b"line log").decode() not in page  # not an image
        # without a reader, or when the file was altered, the image is listed, not shown
        assert embedded not in qf.eight_d(closed).to_html()
        Path(photo.uri.removeprefix("file://")).write_bytes(b"other")
        altered = qf.eight_d(closed, evidence=qms.evidence.read_verified).to_html()
        assert embedded not in altered and "cap.png: the image is not shown" in altered
        chinese = qf.eight_d(closed, locale="zh_CN").to_markdown()
        assert "## 附录：证据" in chinese and "D4 根本原因分析" in chinese


def test_an_8d_without_evidence_has_no_appendix() -> None:
    inc = qf.Incident(id="INC-9", title="Crumbly biscuits", severity="minor")
    assert "Appendix" not in qf.eight_d(inc).to_markdown()
    assert 'id="evidence"' not in qf.eight_d(inc).to_html()


def test_attachments_on_every_sql_backend(sql_url: str, tmp_path: Path) -> None:
    blobs = (tmp_path / "blobs").as_uri()
    for qms in _service(sql_url, blobs=blobs):
        _to_verifying(qms, {})
        before = qms.incidents.get("INC-1")
        assert before.root_cause is not None and before.root_cause.attachments == []
        photo = qms.evidence.put(b"capper", media_type="image/jpeg", filename="cap.jpg")
        saved = qms.evidence.attach("INC-1", photo, actor="QA Lena", part="root-cause")
        assert qms.incidents.get("INC-1") == saved
        closed = _close(qms, DANA, "Sam Roy")
        assert closed.root_cause is not None and closed.root_cause.attachments == [photo]
        assert qms.audit.verify(blobs=True).ok
        Path(photo.uri.removeprefix("file://")).unlink()
        assert "missing" in str(qms.audit.verify(blobs=True))
