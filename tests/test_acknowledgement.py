"""Sincere acknowledgements (换位思考，展现真诚关怀).

A consumer writes on WeChat that the butter biscuits she bought were soft and smelled
stale. Consumer care answers within the hour, from the plant's template: an apology,
what happens next, by when she hears from us (the complaint's resolve deadline) and who to
contact. Never blame: whether the pack was stored well is for the investigation to find.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import qualityflow as qf
from qualityflow.i18n import format_datetime
from qualityflow.lifecycle.acknowledgement import (
    ACKNOWLEDGEMENT,
    BLAME_PHRASES,
    AcknowledgementTemplates,
    respond_by,
)
from qualityflow.lifecycle.timelimits import DefaultDeadlinePolicy

RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
CONTACT = "Lena Fox, consumer care, 400-820-1234"


def biscuits(channel: str = "wechat", **fields: object) -> qf.Complaint:
    return qf.Complaint.model_validate(
        {
            "id": "CMP-2026-031",
            "customer_id": "WX-mei",
            "channel": channel,
            "received_at": RECEIVED,
            "description": "Soft, stale-smelling biscuits",
            "product": "butter biscuits 200 g",
            **fields,
        }
    )


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_both_languages_render_the_complaints_data_and_no_blame(locale: str) -> None:
    text = AcknowledgementTemplates().render(
        biscuits(), contact=CONTACT, locale=locale, customer="Ms Mei", sender="Lena Fox"
    )
    due = RECEIVED + timedelta(days=7)  # the default policy's resolve deadline
    for value in (
        "Ms Mei",
        "butter biscuits 200 g",
        "CMP-2026-031",
        CONTACT,
        "Lena Fox",
        format_datetime(due, locale),
    ):
        assert value in text, (value, text)
    assert ("2026-03-02" if locale == "en" else "2026年3月2日") in text
    lowered = text.casefold()
    for phrase in [p for phrases in BLAME_PHRASES.values() for p in phrases]:
        assert phrase.casefold() not in lowered, phrase
    if locale == "en":
        assert "sorry" in text and "What happens next" in text
    else:
        assert "歉意" in text and "接下来" in text and "核实" in text
        assert not any(word in text for word in ("Dear", "sorry", "contact"))


def test_the_blame_phrases_cover_both_languages() -> None:
    assert {"misuse", "your fault"} <= set(BLAME_PHRASES["en"])
    assert {"使用不当", "您的责任"} <= set(BLAME_PHRASES["zh_CN"])


def test_by_when_comes_from_the_deadline_policy_and_the_12315_clocks() -> None:
    quick = DefaultDeadlinePolicy(resolve_within={s: timedelta(days=3) for s in qf.Severity})
    assert respond_by(biscuits(), quick) == RECEIVED + timedelta(days=3)
    # the plant's own 7 days come before the regulator's 45 working days
    assert respond_by(biscuits("platform_12315")) == RECEIVED + timedelta(days=7)
    text = AcknowledgementTemplates().render(biscuits(), contact=CONTACT, policy=quick)
    assert format_datetime(RECEIVED + timedelta(days=3), "en") in text
    given = RECEIVED + timedelta(days=2)
    assert format_datetime(given, "en") in AcknowledgementTemplates().render(
        biscuits(), contact=CONTACT, respond_by=given
    )


def test_a_complaint_without_product_or_name_reads_naturally() -> None:
    complaint = biscuits(product=None)
    en = AcknowledgementTemplates().render(complaint, contact=CONTACT, locale="en")
    zh = AcknowledgementTemplates().render(complaint, contact=CONTACT, locale="zh_CN")
    assert en.startswith("Dear customer,") and "our product" in en
    assert zh.startswith("尊敬的客户：") and "我们的产品" in zh


def test_a_plant_writes_its_own_template_per_locale() -> None:
    own = "亲爱的{customer}，非常抱歉！我们将在 {respond_by} 前给您答复。联系人：{contact}"
    templates = AcknowledgementTemplates({"zh-CN": own})
    text = templates.render(biscuits(), contact=CONTACT, locale="zh_CN", customer="梅女士")
    assert (
        text
        == f"亲爱的梅女士，非常抱歉！我们将在 2026年3月9日 09:00 UTC 前给您答复。联系人：{CONTACT}"
    )
    # English is still the built-in text
    assert templates.template("en") == ACKNOWLEDGEMENT
    templates.reset("zh_CN")
    assert "歉意" in templates.render(biscuits(), contact=CONTACT, locale="zh_CN")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Sorry. Call {contact}.", "lacks {respond_by}"),
        ("Sorry, we answer by {respond_by}.", "lacks {contact}"),
        ("Sorry {name}: by {respond_by}, {contact}", "unknown placeholders {name}"),
        ("{customer.__class__} {respond_by} {contact}", "unknown placeholders"),
        ("Sorry {respond_by {contact}", "not a valid format text"),
        ("   ", "is empty"),
        ("This was misuse. By {respond_by}, call {contact}.", "blames the customer ('misuse')"),
        (
            "由于使用不当造成。{respond_by} 前答复，联系 {contact}",
            "blames the customer ('使用不当')",
        ),
    ],
)
def test_a_template_that_would_fail_the_customer_is_refused(text: str, says: str) -> None:
    templates = AcknowledgementTemplates()
    with pytest.raises(ValueError, match=_escaped(says)):
        templates.set("en", text)
    assert templates.template("en") == ACKNOWLEDGEMENT, "a refused template changes nothing"


def _escaped(text: str) -> str:
    import re

    return re.escape(text)


def test_the_refusals_are_translated() -> None:
    from qualityflow.i18n import using

    with using("zh_CN"), pytest.raises(ValueError, match="指责客户"):
        AcknowledgementTemplates({"en": "your fault. {respond_by} {contact}"})
    with using("zh_CN"), pytest.raises(ValueError, match="联系谁"):
        AcknowledgementTemplates().render(biscuits(), contact=" ")


def test_acknowledge_records_the_rendered_template_as_the_outbound_contact() -> None:
    qms = qf.QualityFlow(
        load_entry_points=False, locale="zh_CN", clock=lambda: RECEIVED + timedelta(hours=2)
    )
    qms.complaints.add(biscuits())
    at = RECEIVED + timedelta(minutes=40)
    done = qms.complaints.acknowledge("CMP-2026-031", actor="Lena Fox", contact=CONTACT, at=at)
    assert done.status is qf.ComplaintStatus.ACKNOWLEDGED
    reply = done.contacts[-1]
    assert (reply.direction, reply.channel, reply.by, reply.at) == (
        qf.Direction.OUTBOUND,
        qf.Channel.WECHAT,
        "Lena Fox",
        at,
    )
    assert reply.message == AcknowledgementTemplates().render(
        biscuits(), contact=CONTACT, locale="zh_CN", sender="Lena Fox"
    )
    assert done.history[-1].fields == ["contacts"] and done.history[-1].actor == "Lena Fox"
    assert qms.audit.verify().ok


def test_acknowledge_uses_the_plants_templates_and_an_english_override() -> None:
    own = "Dear {customer}, we are so sorry. Answer by {respond_by}; call {contact}. {sender}"
    qms = qf.QualityFlow(
        load_entry_points=False,
        acknowledgements={"en": own},
        clock=lambda: RECEIVED + timedelta(hours=2),
    )
    qms.complaints.add(biscuits(channel="email"))
    done = qms.complaints.acknowledge(
        "CMP-2026-031",
        actor=qf.Actor(id="lena", name="Lena Fox"),
        contact=CONTACT,
        customer="Ms Mei",
        channel="phone",
        locale="en",
        at=RECEIVED + timedelta(minutes=30),
    )
    assert done.contacts[-1].message == (
        f"Dear Ms Mei, we are so sorry. Answer by 2026-03-09 09:00 UTC; call {CONTACT}. Lena Fox"
    )
    assert done.contacts[-1].channel is qf.Channel.PHONE


def test_acknowledge_keeps_the_guards_and_writes_nothing_when_refused() -> None:
    qms = qf.QualityFlow(load_entry_points=False, clock=lambda: RECEIVED + timedelta(hours=2))
    qms.complaints.add(biscuits())
    before = qms.complaints.get("CMP-2026-031")
    # an answer dated before the complaint came in does not acknowledge it
    with pytest.raises(qf.TransitionError, match="predates the complaint"):
        qms.complaints.acknowledge(
            "CMP-2026-031", actor="Lena", contact=CONTACT, at=RECEIVED - timedelta(hours=1)
        )
    with pytest.raises(ValueError, match="contact"):
        qms.complaints.acknowledge("CMP-2026-031", actor="Lena", contact="")
    with pytest.raises(qf.TransitionError, match="actor"):
        qms.complaints.acknowledge("CMP-2026-031", actor=" ", contact=CONTACT)
    assert qms.complaints.get("CMP-2026-031") == before
    qms.complaints.acknowledge("CMP-2026-031", actor="Lena", contact=CONTACT)
    with pytest.raises(qf.TransitionError, match="acknowledged"):
        qms.complaints.acknowledge("CMP-2026-031", actor="Lena", contact=CONTACT)


def test_acknowledge_refuses_when_someone_changed_the_complaint_in_between() -> None:
    qms = qf.QualityFlow(load_entry_points=False, clock=lambda: RECEIVED + timedelta(hours=2))
    qms.complaints.add(biscuits())
    repo = qms.complaints
    real_get = repo.get
    calls = {"n": 0}

    def get_then_someone_saves(id: str) -> qf.Complaint:
        loaded = real_get(id)
        calls["n"] += 1
        if calls["n"] == 1:  # between the render and the fire, a colleague adds a call
            other = real_get(id)
            other.contacts.append(
                qf.Contact(
                    at=RECEIVED + timedelta(minutes=10),
                    direction="inbound",
                    channel="phone",
                    message="she called again",
                    by="WX-mei",
                )
            )
            repo.save(other, actor="Desk")
        return loaded

    repo.get = get_then_someone_saves  # type: ignore[method-assign]
    with pytest.raises(qf.ConcurrencyError):
        repo.acknowledge("CMP-2026-031", actor="Lena", contact=CONTACT)
    del repo.get
    assert [c.message for c in repo.get("CMP-2026-031").contacts] == ["she called again"]
