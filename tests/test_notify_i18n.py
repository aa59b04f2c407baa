"""Notifications in the plant's language, and in each notifier's own.

A toy plant in Dongguan runs qualityflow in Chinese; its WeCom group reads Chinese, the
export customer's QA gets e-mail in English. Each notification keeps its text as message
ids and values, so every notifier writes it in its own language; ids, kinds and values
stay as stored.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import qualityflow as qf
from qualityflow.i18n import using
from qualityflow.plugins import hookimpl
from qualityflow.testing import emergency_team

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


class Inbox:
    qualityflow_name = "test.inbox"

    def __init__(self) -> None:
        self.got: list[qf.Notification] = []

    @hookimpl
    def qualityflow_notify(self, notification: qf.Notification) -> None:
        self.got.append(notification)


def _assess(qms: qf.QualityFlow) -> None:
    qms.batches.add(
        qf.Batch(
            id="BEAR-0907",
            kind="finished",
            product="plush bear",
            quantity=qf.Quantity(amount=500, unit="pcs"),
        )
    )
    qms.incidents.add(
        qf.Incident(id="INC-BEAR-1", title="Loose eyes", severity="major", reported_at=T0)
    )
    qms.incidents.fire(
        "INC-BEAR-1",
        "assess",
        actor="Li Na",
        at=T0,
        team=emergency_team(),
        assessment=qf.ImpactAssessment(
            severity="major",
            batch_ids=["BEAR-0907"],
            regions=["CN-31"],
            risk="injury to consumers",
            rationale="the affected lots reached the market",
        ),
    )
    qms.incidents.fire(
        "INC-BEAR-1",
        "contain",
        actor="Li Na",
        at=T0,
        containment=[
            qf.ContainmentAction(batch_id="BEAR-0907", action="quarantine", by="Li Na", at=T0)
        ],
    )


def test_the_service_writes_its_notifications_in_the_plants_language() -> None:
    inbox = Inbox()
    with qf.QualityFlow(plugins=[inbox], load_entry_points=False, locale="zh-CN") as qms:
        assert qms.locale == "zh_CN"
        _assess(qms)
    titles = [n.title for n in inbox.got]
    assert "质量事故 INC-BEAR-1：已报告 -> 已评估（评估）" in titles or any(
        t.startswith("质量事故 INC-BEAR-1：") for t in titles
    )
    [batch] = [n for n in inbox.got if n.kind == "batch_status"]
    assert batch.title.startswith("批次 BEAR-0907（plush bear）：")
    assert "操作人：Li Na" in batch.body
    # What machines read stays as stored.
    assert batch.subject_id == "BEAR-0907" and batch.kind == "batch_status"


def test_english_stays_as_it_was_and_every_notice_carries_its_neutral_text() -> None:
    inbox = Inbox()
    with qf.QualityFlow(plugins=[inbox], load_entry_points=False) as qms:
        _assess(qms)
    [assessed] = [n for n in inbox.got if n.kind == "transition" and "assess)" in n.title]
    assert assessed.title == "Incident INC-BEAR-1: reported -> assessed (assess)"
    assert assessed.body.startswith("assess by Li Na at 2026-03-02T06:00:00+00:00")
    assert all(n.text is not None for n in inbox.got)
    # The same notice rendered in Chinese afterwards, by a notifier that reads Chinese.
    chinese = assessed.in_locale("zh_CN")
    assert chinese.title.startswith("质量事故 INC-BEAR-1：")
    assert chinese.id == assessed.id and chinese.text == assessed.text
    assert assessed.in_locale(None) is assessed


def test_each_notifier_writes_in_its_own_locale() -> None:
    inbox = Inbox()
    with qf.QualityFlow(plugins=[inbox], load_entry_points=False, locale="zh_CN") as qms:
        _assess(qms)
    notice = next(n for n in inbox.got if n.kind == "batch_status")
    export = qf.EmailNotifier(
        "127.0.0.1", 2525, sender="qms@toys.example", recipients=["qa@buyer.example"], locale="en"
    )
    mail = export.message(notice)
    assert mail["Subject"].startswith("[qualityflow] Batch BEAR-0907 (plush bear): released")
    assert "What happened: batch_status" in mail.get_content()
    wecom = qf.WebhookNotifier("http://127.0.0.1:9/hook", locale="zh_CN")
    body, _ = wecom.request(notice.in_locale("en"))
    payload = json.loads(body)
    assert payload["title"].startswith("批次 BEAR-0907")
    assert payload["kind"] == "batch_status" and payload["subject_id"] == "BEAR-0907"
    with using("zh_CN"):
        text = qf.EmailNotifier(
            "127.0.0.1", 2525, sender="qms@toys.example", recipients=["qa@toys.example"]
        ).message(notice.in_locale("zh_CN"))
    assert "事件：" in text.get_content()


def test_a_hand_built_notification_is_delivered_as_written() -> None:
    hand = qf.Notification(
        kind="memo", subject_kind="incident", subject_id="INC-1", title="Call the lab", at=T0
    )
    assert hand.in_locale("zh_CN") is hand


def test_the_outbox_keeps_the_neutral_text(tmp_path: pytest.TempPathFactory) -> None:
    url = f"sqlite:///{tmp_path}/toys.db"
    with qf.QualityFlow(url, load_entry_points=False, locale="zh_CN") as qms:
        _assess(qms)
        stored = [e.notification for e in qms.storage.outbox(pending_only=False)]
    assert stored and all(n.text is not None for n in stored)
    assert stored[0].in_locale("en").title.startswith("Incident INC-BEAR-1: reported")


def test_notifier_locales_come_from_the_settings() -> None:
    built = qf.builtin_notifiers(
        {
            "QUALITYFLOW_WEBHOOK_URL": "http://127.0.0.1:9/hook",
            "QUALITYFLOW_WEBHOOK_LOCALE": "zh-CN",
        }
    )
    [hook] = [n for n in built if isinstance(n, qf.WebhookNotifier)]
    assert hook.locale == "zh_CN"
    with pytest.raises(qf.QualityFlowError, match="locale"):
        qf.WebhookNotifier("http://127.0.0.1:9/hook", locale="!!")
