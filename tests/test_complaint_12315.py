"""Complaints forwarded by the regulator's 12315 platform, and the other Chinese channels.

A consumer in Hangzhou files a complaint about a cracked thermos on the 12315 platform on
30 September 2025. The market regulator decides on acceptance within 7 working days and
concludes mediation within 45 working days; with the National Day holiday (1-8 October)
and the make-up working Saturday of 11 October, the acceptance decision falls on 16
October. The plant tracks those clocks beside its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import qualityflow as qf
from qualityflow.i18n import label, using

RECEIVED = datetime(2025, 9, 30, 9, 0, tzinfo=timezone.utc)


def thermos(channel: str = "platform_12315", received: datetime = RECEIVED) -> qf.Complaint:
    return qf.Complaint(
        id="CMP-12315-88",
        customer_id="CONSUMER-HZ-1",
        channel=channel,
        received_at=received,
        description="Thermos cracked after the first use",
        severity="minor",
    )


def test_a_12315_complaint_carries_the_regulators_clocks_in_cn_working_days() -> None:
    found = {d.what: d for d in qf.deadlines(thermos())}
    acceptance = found["12315 acceptance"]
    assert acceptance.due.date().isoformat() == "2025-10-16"
    assert "7个工作日" in acceptance.legal_basis
    assert found["12315 mediation"].due.date().isoformat() == "2025-12-09"
    # The plant's own clocks stay.
    assert {"acknowledge", "resolve"} <= set(found)


def test_other_channels_have_no_regulator_clocks() -> None:
    for channel in ("ecommerce", "wechat", "letter", "phone"):
        whats = {d.what for d in qf.deadlines(thermos(channel))}
        assert not any(w.startswith("12315") for w in whats), channel


def test_the_regulator_clocks_appear_in_overdue_and_the_step_meets_them() -> None:
    qms = qf.QualityFlow(load_entry_points=False, clock=lambda: RECEIVED + timedelta(days=30))
    qms.complaints.add(thermos())
    late = {d.what for d in qms.overdue(RECEIVED + timedelta(days=20))}
    assert "12315 acceptance" in late and "12315 mediation" not in late
    qms.complaints.fire(
        "CMP-12315-88",
        "acknowledge",
        actor="Service desk Wang",
        at=RECEIVED + timedelta(days=21),
        contacts=[
            qf.Contact(
                at=RECEIVED + timedelta(days=21),
                direction="outbound",
                channel="platform_12315",
                message="We are sorry the thermos cracked; we will replace it.",
                by="Service desk Wang",
            )
        ],
    )
    later = {d.what for d in qms.overdue(RECEIVED + timedelta(days=22))}
    assert "12315 acceptance" not in later  # acknowledged: the plant took the case up


def test_past_the_calendar_data_the_clocks_are_estimated_and_say_so() -> None:
    late_2026 = thermos(received=datetime(2026, 12, 20, 9, 0, tzinfo=timezone.utc))
    mediation = next(d for d in qf.deadlines(late_2026) if d.what == "12315 mediation")
    assert mediation.due.year == 2027
    assert "estimated in weekdays" in mediation.legal_basis


@pytest.mark.parametrize(
    ("value", "chinese"),
    [
        ("platform_12315", "12315平台"),
        ("ecommerce", "电商平台"),
        ("wechat", "微信"),
        ("letter", "信函"),
        ("12315 acceptance", "12315受理决定"),
    ],
)
def test_the_new_channels_and_clocks_read_chinese(value: str, chinese: str) -> None:
    with using("zh_CN"):
        assert label(value) == chinese
    assert label(value) == value  # English shows the value itself


def test_the_regulator_clocks_come_back_from_every_backend(backend_url: str) -> None:
    # The plant runs on a shared database: the clocks are computed from the stored
    # complaint, the same on memory, SQLite, PostgreSQL and MariaDB, and met the same way.
    now = RECEIVED + timedelta(days=30)
    with qf.QualityFlow(backend_url, load_entry_points=False, clock=lambda: now) as qms:
        qms.complaints.add(thermos())
        qms.complaints.add(thermos("wechat").model_copy(update={"id": "CMP-WX-1"}))
        late = {(d.subject_id, d.what) for d in qms.overdue(RECEIVED + timedelta(days=20))}
        assert ("CMP-12315-88", "12315 acceptance") in late
        assert not any(id == "CMP-WX-1" and w.startswith("12315") for id, w in late)
        assert qms.overdue(RECEIVED + timedelta(days=20))  # a repeat still answers
        qms.complaints.fire(
            "CMP-12315-88",
            "acknowledge",
            actor="Service desk Wang",
            at=RECEIVED + timedelta(days=21),
            contacts=[
                qf.Contact(
                    at=RECEIVED + timedelta(days=21),
                    direction="outbound",
                    channel="platform_12315",
                    message="We are sorry the thermos cracked; we will replace it.",
                    by="Service desk Wang",
                )
            ],
        )
        later = {(d.subject_id, d.what) for d in qms.overdue(RECEIVED + timedelta(days=22))}
        assert ("CMP-12315-88", "12315 acceptance") not in later
        assert ("CMP-12315-88", "12315 mediation") not in later  # not due before day 45+
