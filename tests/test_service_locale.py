"""A service opened in Chinese refuses in Chinese: ``qf.QualityFlow(url, locale="zh_CN")``."""

from __future__ import annotations

import pytest

import qualityflow as qf
from qualityflow.i18n import current_locale
from qualityflow.people import RolePolicy


def test_the_refusal_of_assess_on_a_new_incident_reads_chinese() -> None:
    qms = qf.QualityFlow(locale="zh_CN", load_entry_points=False)
    qms.incidents.add(qf.Incident(id="INC-1", title="玻璃碎片", severity="critical"))
    with pytest.raises(qf.TransitionError) as refused:
        qms.incidents.fire("INC-1", "assess", actor="质量部 陈洁")
    assert refused.value.trigger == "assess" and refused.value.state == "reported"
    assert "影响评估" in refused.value.reasons[0] and "应急小组" in refused.value.reasons[1]
    assert str(refused.value).startswith("无法在状态 'reported' 下执行 'assess'")
    assert current_locale() == "en"  # the caller's own locale is left as it was
    english = qf.QualityFlow(load_entry_points=False)
    english.incidents.add(qf.Incident(id="INC-1", title="Glass", severity="critical"))
    with pytest.raises(qf.TransitionError, match="no impact assessment"):
        english.incidents.fire("INC-1", "assess", actor="QA")


def test_permission_refusals_and_the_other_lifecycles_follow_the_service_locale() -> None:
    qms = qf.QualityFlow(
        locale="zh_CN",
        load_entry_points=False,
        policy=RolePolicy({"incident.cancel": {"qa_manager"}}),
    )
    qms.incidents.add(qf.Incident(id="INC-2", title="Dent", severity="minor"))
    with pytest.raises(qf.PermissionDenied) as denied:
        qms.incidents.fire("INC-2", "cancel", actor="Tom", note="duplicate")
    assert "qa_manager" in str(denied.value) and "没有可执行" in str(denied.value)
    assert "may not" not in str(denied.value)
    qms.complaints.add(
        qf.Complaint(
            id="CMP-1",
            customer_id="C",
            channel="phone",
            description="soft",
            received_at="2026-03-02T06:00:00+00:00",
        )
    )
    with pytest.raises(qf.TransitionError) as refused:
        qms.complaints.fire("CMP-1", "acknowledge", actor="客服")
    assert not refused.value.reasons[0].isascii()
