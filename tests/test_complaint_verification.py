"""Information verification before a complaint is investigated (规范投诉受理与信息核实).

A consumer files a complaint about a cracked thermos on the 12315 platform. Before the
quality team spends a day on the retained samples, consumer care checks the information:
is it our thermos, our lot, bought where the customer says, and do we have the sample or
photos? Only a verification concluding that it concerns our product opens the
investigation; a thermos that turns out to be a counterfeit is rejected with that finding.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import qualityflow as qf
from qualityflow.i18n import using
from qualityflow.lifecycle import guards
from qualityflow.models import Complaint, ComplaintVerification, VerificationConclusion
from qualityflow.testing import verified_information

RECEIVED = datetime(2025, 9, 30, 9, 0, tzinfo=timezone.utc)
CARE = "Service desk Wang"
CMP = qf.COMPLAINT_LIFECYCLE


def at(hours: float) -> datetime:
    return RECEIVED + timedelta(hours=hours)


def thermos() -> qf.Complaint:
    return qf.Complaint(
        id="CMP-12315-88",
        customer_id="CONSUMER-HZ-1",
        channel="platform_12315",
        received_at=RECEIVED,
        description="Thermos cracked after the first use",
        product="thermos 500 ml",
    )


def told(hours: float, message: str = "We are sorry; we are checking it now.") -> qf.Contact:
    return qf.Contact(
        at=at(hours), direction="outbound", channel="platform_12315", message=message, by=CARE
    )


def verifying(qms: qf.QualityFlow) -> None:
    qms.complaints.add(thermos())
    qms.complaints.fire("CMP-12315-88", "acknowledge", actor=CARE, at=at(1), contacts=[told(1)])
    qms.complaints.fire("CMP-12315-88", "verify", actor=CARE, at=at(2))


def counterfeit(hours: float = 5) -> ComplaintVerification:
    return ComplaintVerification(
        photo_evidence=True,
        counterfeit_suspected=True,
        conclusion="not_our_product",
        finding="the lot code 2509Z on the photo is not one of ours and the lid is not our mould",
        by="QA Chen Jie",
        at=at(hours),
    )


# --- the record ------------------------------------------------------------------------------


def test_our_product_needs_the_product_confirmed_and_a_sample_or_photos() -> None:
    with pytest.raises(ValidationError, match="product_confirmed=True"):
        ComplaintVerification(sample_received=True, conclusion="our_product", by="QA", at=at(3))
    with pytest.raises(ValidationError, match="sample_received=True or photo_evidence=True"):
        ComplaintVerification(
            product_confirmed=True,
            proof_of_purchase=True,
            conclusion="our_product",
            by="QA",
            at=at(3),
        )
    with pytest.raises(ValidationError, match="contradicts counterfeit_suspected"):
        ComplaintVerification(
            product_confirmed=True,
            photo_evidence=True,
            counterfeit_suspected=True,
            conclusion="our_product",
            by="QA",
            at=at(3),
        )
    ok = ComplaintVerification(
        product_confirmed=True, photo_evidence=True, conclusion="our_product", by="QA", at=at(3)
    )
    assert ok.concerns_our_product and ok.finding == ""


@pytest.mark.parametrize("conclusion", ["not_our_product", "inconclusive"])
def test_a_verification_that_does_not_confirm_needs_a_finding(conclusion: str) -> None:
    with pytest.raises(ValidationError, match=f"conclusion {conclusion} needs a finding"):
        ComplaintVerification(conclusion=conclusion, finding="  ", by="QA", at=at(3))


def test_the_record_refuses_a_naive_time_a_blank_name_and_unknown_fields() -> None:
    base: dict[str, Any] = {"conclusion": "inconclusive", "finding": "no photo yet", "by": "QA"}
    with pytest.raises(ValidationError, match="naive datetime"):
        ComplaintVerification(**base, at=datetime(2025, 10, 1, 9, 0))
    with pytest.raises(ValidationError):
        ComplaintVerification(**{**base, "by": " "}, at=at(3))
    with pytest.raises(ValidationError, match="extra"):
        ComplaintVerification(**base, at=at(3), verdict="ours")


def test_the_validation_messages_are_translated() -> None:
    with using("zh_CN"), pytest.raises(ValidationError) as refused:
        ComplaintVerification(sample_received=True, conclusion="our_product", by="QA", at=at(3))
    assert "product_confirmed=True" in str(refused.value)
    assert "产品" in str(refused.value)


_flags = st.fixed_dictionaries(
    {
        name: st.booleans()
        for name in (
            "product_confirmed",
            "lot_confirmed",
            "proof_of_purchase",
            "sample_received",
            "photo_evidence",
            "counterfeit_suspected",
        )
    }
)


@given(flags=_flags, conclusion=st.sampled_from(list(VerificationConclusion)))
def test_investigate_opens_exactly_for_a_valid_our_product_verification(
    flags: dict[str, bool], conclusion: VerificationConclusion
) -> None:
    try:
        verification = ComplaintVerification(
            **flags, conclusion=conclusion, finding="what was found", by="QA", at=at(3)
        )
    except ValidationError:
        # only a claim of our product without the evidence for it is refused
        assert conclusion is VerificationConclusion.OUR_PRODUCT
        assert not (
            flags["product_confirmed"]
            and (flags["sample_received"] or flags["photo_evidence"])
            and not flags["counterfeit_suspected"]
        )
        return
    complaint = thermos().model_copy(
        update={"status": qf.ComplaintStatus.VERIFYING, "information_verification": verification}
    )
    opens = CMP.blockers(complaint, "investigate") == []
    assert opens == (conclusion is VerificationConclusion.OUR_PRODUCT)
    rejects_on_finding = guards.COMPLAINT_GUARDS["rejection_reason"](complaint) == []
    assert rejects_on_finding == (conclusion is VerificationConclusion.NOT_OUR_PRODUCT)


# --- the lifecycle -------------------------------------------------------------------------


def test_a_12315_complaint_cannot_be_investigated_before_its_information_is_verified() -> None:
    qms = qf.QualityFlow(load_entry_points=False, clock=lambda: at(48))
    verifying(qms)
    with pytest.raises(qf.TransitionError) as refused:
        qms.complaints.fire("CMP-12315-88", "investigate", actor="QA Chen Jie", at=at(3))
    assert refused.value.reasons == [guards.NO_INFORMATION_VERIFICATION]
    stored = qms.complaints.get("CMP-12315-88")
    assert stored.status is qf.ComplaintStatus.VERIFYING and len(stored.history) == 2
    # the regulator's clocks are still running meanwhile
    assert "12315 mediation" in {d.what for d in qf.deadlines(stored)}

    inconclusive = ComplaintVerification(
        conclusion="inconclusive",
        finding="no lot code on the photo",
        by=CARE,
        at=at(3),
    )
    with pytest.raises(qf.TransitionError) as refused:
        qms.complaints.fire(
            "CMP-12315-88",
            "investigate",
            actor="QA Chen Jie",
            at=at(3),
            information_verification=inconclusive,
        )
    assert refused.value.reasons == [
        guards.INFORMATION_INCONCLUSIVE.format(by=CARE, finding="no lot code on the photo")
    ]
    assert qms.complaints.get("CMP-12315-88").information_verification is None

    verified = verified_information(at(4), by=CARE)
    investigated = qms.complaints.fire(
        "CMP-12315-88",
        "investigate",
        actor="QA Chen Jie",
        at=at(4),
        information_verification=verified,
    )
    assert investigated.status is qf.ComplaintStatus.INVESTIGATING
    assert investigated.information_verification == verified
    assert qf.verify_history(investigated)
    assert qms.audit.verify().ok


def test_a_verification_from_before_the_complaint_does_not_count() -> None:
    complaint = thermos().model_copy(
        update={
            "status": qf.ComplaintStatus.VERIFYING,
            "information_verification": verified_information(RECEIVED - timedelta(days=2)),
        }
    )
    assert CMP.blockers(complaint, "investigate") == [
        guards.INFORMATION_BEFORE_RECEIPT.format(verified="2025-09-28", received="2025-09-30")
    ]


def test_a_counterfeit_is_rejected_with_the_finding_and_cannot_be_investigated() -> None:
    qms = qf.QualityFlow(load_entry_points=False, clock=lambda: at(48))
    verifying(qms)
    finding = counterfeit()
    with pytest.raises(qf.TransitionError) as refused:
        qms.complaints.fire(
            "CMP-12315-88", "investigate", actor="QA", at=at(5), information_verification=finding
        )
    assert refused.value.reasons == [
        guards.INFORMATION_NOT_OURS.format(by="QA Chen Jie", finding=finding.finding)
    ]
    # the finding is the rejection's reason; the customer must still be told
    with pytest.raises(qf.TransitionError) as refused:
        qms.complaints.fire(
            "CMP-12315-88", "reject", actor=CARE, at=at(5), information_verification=finding
        )
    assert refused.value.reasons[0].startswith("no outbound contact since the complaint entered")
    explained = told(5, "We checked the photos: the thermos is not one of ours.")
    rejected = qms.complaints.fire(
        "CMP-12315-88",
        "reject",
        actor=CARE,
        at=at(5),
        information_verification=finding,
        contacts=[told(1), explained],
    )
    assert rejected.status is qf.ComplaintStatus.REJECTED
    assert rejected.rejection_reason is None
    assert rejected.information_verification == finding
    assert rejected.history[-1].fields == ["contacts", "information_verification"]


def test_a_reject_without_a_reason_or_a_not_ours_finding_is_refused() -> None:
    qms = qf.QualityFlow(load_entry_points=False, clock=lambda: at(48))
    verifying(qms)
    with pytest.raises(qf.TransitionError) as refused:
        qms.complaints.fire(
            "CMP-12315-88",
            "reject",
            actor=CARE,
            at=at(5),
            contacts=[told(1), told(5, "We have looked into it.")],
            information_verification=verified_information(at(5)),
        )
    assert refused.value.reasons == [guards.NO_REJECTION_REASON]


def test_the_refusals_read_chinese_under_zh_cn() -> None:
    complaint = thermos().model_copy(update={"status": qf.ComplaintStatus.VERIFYING})
    (missing,) = CMP.blockers(complaint, "investigate", locale="zh_CN")
    assert "核实" in missing and "information_verification" in missing
    with_finding = complaint.model_copy(update={"information_verification": counterfeit()})
    (not_ours,) = CMP.blockers(with_finding, "investigate", locale="zh_CN")
    assert "QA Chen Jie" in not_ours and "2509Z" in not_ours and "不予受理" in not_ours
    (no_reason,) = CMP.blockers(complaint, "reject", locale="zh_CN")[:1]
    assert "rejection_reason" in no_reason and "不予受理" in no_reason
    assert CMP.blockers(complaint, "investigate", locale="en") == [
        guards.NO_INFORMATION_VERIFICATION
    ]


def test_the_cli_records_a_verification_given_as_json(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from qualityflow.cli import app

    url = f"sqlite:///{tmp_path / 'plant.db'}"
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        verifying(qms)
    runner = CliRunner()
    with using("en"):  # the CLI activates its --lang in this thread: keep it inside
        refused = runner.invoke(
            app,
            [
                "--lang",
                "zh_CN",
                "complaints",
                "fire",
                "CMP-12315-88",
                "investigate",
                "--actor",
                "QA",
                "--at",
                at(4).isoformat(),
                "--db",
                url,
            ],
        )
    assert refused.exit_code != 0 and "核实" in refused.output
    assert "Traceback" not in refused.output
    data = json.dumps(
        {"information_verification": verified_information(at(4)).model_dump(mode="json")}
    )
    done = runner.invoke(
        app,
        [
            "complaints",
            "fire",
            "CMP-12315-88",
            "investigate",
            "--actor",
            "QA",
            "--at",
            at(4).isoformat(),
            "--data",
            data,
            "--db",
            url,
        ],
    )
    assert done.exit_code == 0, done.output
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        assert qms.complaints.get("CMP-12315-88").status is qf.ComplaintStatus.INVESTIGATING


# --- a complaint stored before the field existed ------------------------------------------


def test_a_row_written_before_the_field_existed_verifies_and_is_then_investigated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows written as the version before issue 16 wrote them: no information_verification key."""
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    dump = Complaint.model_dump_json

    def as_before(self: Complaint, **kwargs: Any) -> str:
        data = json.loads(dump(self, **kwargs))
        del data["information_verification"]
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    with monkeypatch.context() as older:
        older.setattr(Complaint, "model_dump_json", as_before)
        with qf.QualityFlow(url, load_entry_points=False, clock=lambda: at(3)) as qms:
            verifying(qms)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        (row,) = conn.execute(sa.text("SELECT data FROM qf_entities WHERE kind = 'complaint'"))
    engine.dispose()
    assert "information_verification" not in json.loads(row[0]), "written as before"

    with qf.QualityFlow(url, load_entry_points=False, clock=lambda: at(48)) as qms:
        report = qms.audit.verify()
        assert report.ok, str(report)
        old = qms.complaints.get("CMP-12315-88")
        assert old.information_verification is None and qf.verify_history(old)
        with pytest.raises(qf.TransitionError, match="has not been verified"):
            qms.complaints.fire("CMP-12315-88", "investigate", actor="QA", at=at(4))
        investigated = qms.complaints.fire(
            "CMP-12315-88",
            "investigate",
            actor="QA",
            at=at(4),
            information_verification=verified_information(at(4)),
        )
        assert investigated.status is qf.ComplaintStatus.INVESTIGATING
        report = qms.audit.verify()
        assert report.ok, str(report)


def test_the_complaints_page_code_runs_and_prints_what_it_says(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import re

    page = Path(__file__).resolve().parents[1] / "docs" / "complaints.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    exec(compile("\n".join(blocks), "docs/complaints.md", "exec"), {})
    assert capsys.readouterr().out.splitlines() == [
        "尊敬的梅女士：",
        "True",
        "complaint.investigate",
        "investigating",
        "rejected",
    ]
