"""zh_CN for the audit findings, the EPCIS document problems and the service's signature refusals.

The auditor of a Chinese plant runs ``qualityflow --lang zh_CN audit verify`` and reads what
was tampered with in Chinese; ids, record names (``history[2]``, ``ledger 7``), states and
versions stay as stored. ``--json`` prints the same document in every language.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qualityflow as qf
from qualityflow.cli import app
from qualityflow.i18n import using
from qualityflow.lifecycle.audit import history_problems, seal
from qualityflow.people import RolePolicy
from test_audit_ledger import Tamper, plant

CJK = re.compile(r"[\u4e00-\u9fff]")
runner = CliRunner()


@pytest.fixture
def tampered(tmp_path: Path) -> tuple[qf.QualityFlow, str]:
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    qms = qf.QualityFlow(url, load_entry_points=False)
    plant(qms)
    tamper = Tamper(qms)
    data = tamper.row("incident", "INC-1")
    data["title"] = "Nothing happened"
    tamper.write_row("incident", "INC-1", data)
    tamper.delete_row("complaint", "CMP-1")
    lot = tamper.row("batch", "BISC-1")
    lot["status"] = "released"
    tamper.write_row("batch", "BISC-1", lot)
    tamper.close()
    return qms, url


def test_the_findings_read_chinese_and_keep_their_ids(tampered: tuple[qf.QualityFlow, str]) -> None:
    qms, _ = tampered
    english = qms.audit.verify()
    with using("zh_CN"):
        chinese = qms.audit.verify()
        text = str(chinese)
    qms.close()
    assert len(english.problems) == len(chinese.problems) >= 3
    for en, zh in zip(english.problems, chinese.problems, strict=True):
        assert (en.kind, en.id, en.record) == (zh.kind, zh.id, zh.record)
        assert CJK.search(zh.what), zh.what
        assert not CJK.search(en.what), en.what
    assert any("在 qualityflow 之外被篡改" in p.what for p in chinese.problems)
    assert any("数据行已不存在" in p.what for p in chinese.problems)
    assert "的审计：发现" in text and "审计头：" in text
    assert "INC-1" in text and "CMP-1" in text and "BISC-1" in text


def test_the_cli_prints_the_findings_in_chinese_and_json_in_english(
    tampered: tuple[qf.QualityFlow, str],
) -> None:
    qms, url = tampered
    english = [p.what for p in qms.audit.verify().problems]
    qms.close()
    with using("en"):  # the CLI activates its --lang in this thread: keep it inside
        shown = runner.invoke(app, ["--lang", "zh_CN", "audit", "verify", "--db", url])
    assert shown.exit_code == 1, shown.output
    assert "发现" in shown.output and "被篡改" in shown.output
    assert "Traceback" not in shown.output
    with using("en"):
        as_json = runner.invoke(app, ["--lang", "zh_CN", "audit", "verify", "--db", url, "--json"])
    assert as_json.exit_code == 1
    assert [p["what"] for p in json.loads(as_json.output)["problems"]] == english


def test_history_findings_read_chinese() -> None:
    record = seal(
        qf.TransitionRecord(
            at="2026-03-02T06:00:00+00:00",
            actor="nobody",
            trigger="close",
            source="reported",
            dest="closed",
        ),
        "",
    )
    forged = qf.Incident(
        id="INC-1", title="Forged", severity="minor", status="closed", history=[record]
    )
    (en,) = history_problems(forged)
    assert en.what == "trigger 'close' is not allowed from state 'reported'"
    with using("zh_CN"):
        (zh,) = history_problems(forged)
    assert zh.what == "状态 'reported' 下不允许执行 'close'"
    assert str(zh) == "incident INC-1 history[0]: 状态 'reported' 下不允许执行 'close'"


@pytest.mark.parametrize(
    ("source", "english", "chinese"),
    [
        ("<text>", "not well-formed XML", "XML 格式不正确"),
        ('{"type": "EPCISMasterDataDocument"}', "master-data document", "主数据文档"),
        ('{"$schema": "x", "title": "Event"}', "a JSON Schema Event, not", "JSON Schema Event"),
        ('{"type": "EPCISDocument"}', "without epcisBody", "缺少 epcisBody"),
        ('{"type": "EPCISDocument", "epcisBody": {"eventList": 3}}', "is a int", "不是列表"),
        ("[1, 2]", "a JSON list, not", "不是 EPCIS 文档对象"),
    ],
)
def test_document_problems_read_chinese(source: str, english: str, chinese: str) -> None:
    with pytest.raises(qf.InteropError, match=re.escape(english)):
        qf.load_epcis(source)
    with using("zh_CN"), pytest.raises(qf.InteropError) as refused:
        qf.load_epcis(source)
    assert chinese in str(refused.value) and CJK.search(str(refused.value))


def test_document_warnings_read_chinese() -> None:
    empty = json.dumps({"type": "EPCISDocument", "epcisBody": {"eventList": [1]}})
    en = [w.message for w in qf.load_epcis(empty).warnings]
    assert any("no @context" in m for m in en) and any("not JSON objects" in m for m in en)
    with using("zh_CN"):
        zh = [w.message for w in qf.load_epcis(empty).warnings]
    assert any("没有 @context" in m for m in zh) and any("已跳过" in m for m in zh)
    nothing = json.dumps({"type": "EPCISDocument", "epcisBody": {"eventList": []}})
    with using("zh_CN"):
        (none,) = [w.message for w in qf.load_epcis(nothing).warnings if "没有事件" in w.message]
    assert none == "文档中没有事件；未向追溯关系添加任何内容"


class Pin:
    @qf.hookimpl
    def qualityflow_authenticate(self, actor: object, credential: object) -> bool:
        return credential == "pin-1234"


def test_the_signature_refusals_of_the_service_read_chinese() -> None:
    policy = RolePolicy({}, signatures={"incident.cancel"})
    qms = qf.QualityFlow(load_entry_points=False, policy=policy, plugins=[Pin()])
    qms.incidents.add(qf.Incident(id="INC-9", title="Torn seams", severity="minor"))
    with pytest.raises(qf.TransitionError) as english:
        qms.incidents.fire("INC-9", "cancel", actor="QA Lena", note="duplicate")
    assert "needs the electronic signature of 'QA Lena'" in english.value.reasons[0]
    with using("zh_CN"), pytest.raises(qf.TransitionError) as chinese:
        qms.incidents.fire("INC-9", "cancel", actor="QA Lena", note="duplicate")
    assert "需要 'QA Lena' 的电子签名" in chinese.value.reasons[0]
    assert "'incident.cancel'" in chinese.value.reasons[0]
    with using("zh_CN"), pytest.raises(qf.PermissionDenied) as denied:
        qms.incidents.fire(
            "INC-9",
            "cancel",
            actor="QA Lena",
            note="duplicate",
            signature=qf.Signature(meaning="cancelled as a duplicate"),
            credential="guess",
        )
    assert "身份验证" in str(denied.value)
    with using("zh_CN"), pytest.raises(qf.TransitionError) as wrong:
        qms.incidents.fire("INC-9", "cancel", actor="QA Lena", note="x", signature="yes")
    assert "qf.Signature" in wrong.value.reasons[0] and "请给出" in wrong.value.reasons[0]


def test_the_8d_footer_reads_chinese() -> None:
    from datetime import datetime, timezone

    incident = qf.Incident(id="INC-1", title="Glass in jam", severity="critical")
    when = datetime(2026, 3, 9, 8, 0, tzinfo=timezone.utc)
    head = "ab" * 32
    zh = qf.eight_d(incident, locale="zh_CN", audit_head=head, audit_at=when)
    assert zh.to_markdown().rstrip().endswith(f"审计头：{head}（截至 2026年3月9日 08:00 UTC）")
    en = qf.eight_d(incident, locale="en", audit_head=head, audit_at=when)
    assert en.to_markdown().rstrip().endswith(f"Audit head: {head} (as of 2026-03-09 08:00 UTC)")
