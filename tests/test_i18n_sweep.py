"""zh_CN for the recall, nonconformance and SCAR refusals, the people refusals and the CLI.

Each refusal reads Chinese in ``zh_CN`` (``locale=`` or ``using``), keeps its ids and
numbers, and is unchanged in English; the command line's messages follow ``--lang`` with
the same exit codes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qualityflow as qf
from qualityflow.errors import PermissionDenied
from qualityflow.i18n import current_locale, using
from qualityflow.lifecycle import nonconformance as ncl
from qualityflow.lifecycle import recall as rcl
from qualityflow.lifecycle.audit import seal
from qualityflow.models import Signature
from qualityflow.models.nonconformance import Disposition, Nonconformance, SupplierAction
from qualityflow.models.recall import Consignee, Recall, RecallReturn
from qualityflow.people import SOD_RULES, Actor, RolePolicy, policies
from qualityflow.people.signatures import sign
from qualityflow.people.signatures import verify as verify_signatures

T0 = datetime(2026, 3, 5, 9, 0, tzinfo=timezone.utc)
CJK = re.compile(r"[\u4e00-\u9fff]")
# A reason is English when it has no Chinese character at all.
ENGLISH = re.compile(r"^[\x00-\x7f]*$")


def pack(n: int | str) -> qf.Quantity:
    return qf.Quantity(amount=Decimal(n), unit="pack")


def _recall(**fields: object) -> Recall:
    base: dict[str, object] = {
        "id": "RCL-INC-5",
        "incident_id": "INC-5",
        "grade": "I",
        "reason": "metal fragments",
        "opened_at": T0,
        "opened_by": "QA Dana",
        "learned_at": T0,
        "consignees": [Consignee(id="CUST-NORD", shipped=[pack(600)])],
    }
    base.update(fields)
    return Recall(**base)  # type: ignore[arg-type]


def _nc() -> Nonconformance:
    return Nonconformance(
        id="NC-IQC-0412",
        batch_id="FLOUR-0412",
        quantity=qf.Quantity(amount=2000, unit="kg"),
        characteristic="moisture",
        defect="15.8 % (max 14.5 %)",
    )


def _scar() -> SupplierAction:
    return SupplierAction(
        id="SCAR-NC-IQC-0412",
        supplier_id="MILL-07",
        nonconformance_ids=["NC-IQC-0412"],
        due=date(2026, 3, 20),
        status="acknowledged",
    )


# --------------------------------------------------------------------------- lifecycles


def test_a_refused_recall_start_reads_chinese_and_keeps_the_recall_as_it_was() -> None:
    recall = _recall()
    english = rcl.RECALL_LIFECYCLE.blockers(recall, "start")
    chinese = rcl.RECALL_LIFECYCLE.blockers(recall, "start", locale="zh_CN")
    assert english == [rcl.NO_NOTICE_TIME]
    assert chinese == ["召回通知没有时间：请给出 notice_at（通知发布时间），且不得早于召回决定"]
    before = recall.model_dump_json()
    with using("zh_CN"), pytest.raises(qf.TransitionError) as err:
        rcl.RECALL_LIFECYCLE.fire(recall, "start", actor="QA Dana")
    assert err.value.reasons == chinese
    assert (err.value.trigger, err.value.state) == ("start", "planned")  # ids stay ids
    assert recall.model_dump_json() == before
    assert current_locale() == "en"


def test_the_recall_refusals_name_the_consignees_and_numbers_in_both_locales() -> None:
    notified = T0 + timedelta(hours=1)
    recall = _recall(
        status="recovering",
        notice_at=notified,
        consignees=[
            Consignee(id="CUST-NORD", shipped=[pack(600)]),
            Consignee(
                id="CUST-SUD",
                shipped=[pack(400)],
                returns=[RecallReturn(at=notified, by="QA", returned=pack(100))],
            ),
        ],
    )
    english = rcl.RECALL_LIFECYCLE.blockers(recall, "complete")
    chinese = rcl.RECALL_LIFECYCLE.blockers(recall, "complete", locale="zh_CN")
    assert english[0] == rcl.NOT_NOTIFIED.format(id="CUST-NORD")
    assert len(chinese) == len(english) and all(CJK.search(r) for r in chinese)
    assert "尚未向收货方 CUST-NORD 发出召回通知" in chinese[0]
    assert any("CUST-SUD" in r and "300 pack" in r and "仍持有" in r for r in chinese)
    for name, cancel in (("terminate", "终止召回需要填写备注说明原因"), ("cancel", None)):
        reasons = rcl.RECALL_LIFECYCLE.blockers(recall, name, locale="zh_CN")
        assert cancel is None or cancel in reasons
    planned = _recall()
    assert rcl.RECALL_LIFECYCLE.blockers(planned, "cancel") == [
        "cancelling a recall needs a note saying why"
    ]
    assert rcl.RECALL_LIFECYCLE.blockers(planned, "cancel", locale="zh_CN") == [
        "取消召回需要填写备注说明原因"
    ]


@settings(max_examples=40, deadline=None)
@given(
    shipped=st.integers(min_value=1, max_value=5000),
    returned=st.integers(min_value=0, max_value=8000),
    unit=st.sampled_from(["pack", "kg"]),
)
def test_recovery_problems_read_the_same_in_both_locales_bar_the_words(
    shipped: int, returned: int, unit: str
) -> None:
    """The lifecycle's within_shipped check says what the model's rule says, in the locale."""
    from qualityflow.models.recall import recovery_problems

    consignee = Consignee.model_construct(
        id="CUST-1",
        shipped=[pack(shipped)],
        returns=[
            RecallReturn(at=T0, by="QA", returned=qf.Quantity(amount=Decimal(returned), unit=unit))
        ],
        notice=None,
        confirmation=None,
        unreachable=None,
        check=None,
    )
    english = rcl._recovery_problems(consignee)
    assert english == recovery_problems(consignee)  # byte-identical to the model's rule
    with using("zh_CN"):
        chinese = rcl._recovery_problems(consignee)
    assert len(chinese) == len(english)
    for text in chinese:
        assert CJK.search(text) and "CUST-1" in text


def test_a_refused_disposition_reads_chinese_with_its_ids_and_quantities() -> None:
    nc = _nc()
    assert ncl.NONCONFORMANCE_LIFECYCLE.blockers(nc, "dispose") == [ncl.NO_DISPOSITION]
    assert ncl.NONCONFORMANCE_LIFECYCLE.blockers(nc, "dispose", locale="zh_CN") == [
        "尚未给出处置：请说明被扣留的数量如何处置（让步接收、返工、降级、退货、报废）以及各自的数量"
    ]
    parts = [
        Disposition(kind="use_as_is", quantity=qf.Quantity(amount=1200, unit="kg")),
        Disposition(kind="scrap", quantity=qf.Quantity(amount=900, unit="kg")),
    ]
    before = nc.model_dump_json()
    with using("zh_CN"), pytest.raises(qf.TransitionError) as err:
        ncl.NONCONFORMANCE_LIFECYCLE.fire(nc, "dispose", actor="QA Lena", dispositions=parts)
    assert err.value.reasons == [
        "各项处置合计 2100 kg，超过了不合格品 NC-IQC-0412（批次 FLOUR-0412）扣留的 2000 kg："
        "请减少 100 kg",
        "第 1 项处置将 1200 kg 照常使用（让步接收），但没有批准人：请指定批准该让步接收的人员",
    ]
    assert nc.model_dump_json() == before  # the dispositions given were not kept
    with pytest.raises(qf.TransitionError) as english:
        ncl.NONCONFORMANCE_LIFECYCLE.fire(nc, "dispose", actor="QA Lena", dispositions=parts)
    assert english.value.reasons[0] == (
        "the dispositions add up to 2100 kg, more than the 2000 kg held by nonconformance "
        "NC-IQC-0412 (lot FLOUR-0412): reduce them by 100 kg"
    )
    assert ncl.NONCONFORMANCE_LIFECYCLE.blockers(nc, "escalate", locale="zh_CN") == [
        "尚未关联质量事故：请将 incident_id 设为升级到的质量事故"
    ]


def test_a_refused_scar_step_reads_chinese() -> None:
    scar = _scar()
    assert ncl.SCAR_LIFECYCLE.blockers(scar, "respond") == [ncl.NO_RESPONSE]
    assert ncl.SCAR_LIFECYCLE.blockers(scar, "respond", locale="zh_CN") == [
        "供应商尚未答复：请登记其答复，包括临时遏制措施、根本原因和纠正措施"
    ]
    with using("zh_CN"), pytest.raises(qf.TransitionError) as err:
        ncl.SCAR_LIFECYCLE.fire(scar, "cancel", actor="QA Dana")
    assert err.value.reasons == ["取消需要填写备注，说明撤回该 SCAR 的原因"]
    assert scar.status.value == "acknowledged" and scar.history == []


@pytest.mark.parametrize(
    "guards",
    [rcl.RECALL_GUARDS, ncl.NONCONFORMANCE_GUARDS, ncl.SCAR_GUARDS],
    ids=["recall", "nonconformance", "scar"],
)
def test_every_guard_describes_itself_in_chinese(guards: dict[str, qf.lifecycle.Guard]) -> None:
    for guard in guards.values():
        assert ENGLISH.match(guard.describe()) and guard.describe() == guard.requires
        with using("zh_CN"):
            assert CJK.search(guard.describe()), guard.name


# --------------------------------------------------------------------------------- people


def test_permission_denied_reads_chinese_and_its_fields_stay_ids() -> None:
    qms = qf.QualityFlow(policy=RolePolicy({"batch.release": {"qa_manager"}}))
    try:
        with using("zh_CN"), pytest.raises(PermissionDenied) as err:
            qms.authorize(Actor(id="tom", roles={"production"}), "batch.release")
        denied = err.value
        assert str(denied) == (
            "'tom' 无权执行 'batch.release'：'tom' 没有可执行 'batch.release' 的角色"
            "（须为以下之一：qa_manager；tom 的角色：production）"
        )
        assert (denied.actor, denied.action, denied.roles) == (
            "tom",
            "batch.release",
            ["qa_manager"],
        )
        with pytest.raises(PermissionDenied) as english:
            qms.authorize("Tom", "batch.release")
        assert str(english.value) == (
            "'Tom' may not 'batch.release': 'Tom' does not have a role that may "
            "'batch.release' (one of: qa_manager; Tom has: no roles)"
        )
    finally:
        qms.close()


def test_segregation_of_duties_refusals_read_chinese() -> None:
    incident = qf.Incident(
        id="INC-9",
        title="Lead in paint",
        severity="critical",
        reported_at=T0,
        team=qf.EmergencyTeam(
            leader=qf.TeamMember(name="Dana Weber", role="leader", department="quality")
        ),
    )
    policy = policies.STRICT
    dana = Actor(id="dana", name="Dana Weber", roles={"qa_manager"})
    english = policy.check(dana, "incident.assess", incident)
    assert english[0] == (
        "the emergency team of critical incident 'INC-9' is its leader 'Dana Weber' alone: "
        "name the members from production, technical, quality, sales"
    )
    with using("zh_CN"):
        chinese = policy.check(dana, "incident.assess", incident)
        rules = [_(text) for text in SOD_RULES.values()]
    assert chinese == [
        "致命质量事故 'INC-9' 的应急小组只有组长 'Dana Weber' 一人："
        "请指定来自生产、技术、质量、销售部门的成员",
        "致命质量事故 'INC-9' 的应急小组中没有生产、技术、销售部门的人员："
        "请将各部门负责人加入 team.members",
    ]
    assert all(CJK.search(rule) for rule in rules)


def _(text: str) -> str:
    from qualityflow.i18n import _ as translate

    return translate(text)


def test_a_moved_signature_is_reported_in_chinese() -> None:
    first = seal(
        qf.TransitionRecord(at=T0, actor="Dana", trigger="verify", source="a", dest="b"), ""
    )
    second = seal(
        qf.TransitionRecord(at=T0, actor="Dana", trigger="close", source="b", dest="c"),
        first.hash,
    )
    signed = sign(first, Signature(meaning="approved closure"), Actor(id="dana"), T0)
    moved = second.model_copy(update={"signature": signed.signature})
    assert verify_signatures([moved], "incident INC-1")[0].startswith(
        "incident INC-1: the signature of 'dana' ('approved closure') on history record 1"
    )
    with using("zh_CN"):
        problems = verify_signatures([moved], "incident INC-1")
    assert problems == [
        "incident INC-1: 第 1 条历史记录（'close'）上 'dana' 的签名（'approved closure'）"
        "不属于该记录：它是从其他记录移来或复制的，或者该记录已被修改"
    ]


# ---------------------------------------------------------------------------- command line


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "qualityflow", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sweep') / 'plant.db'}"
    assert run("--db", url, "demo").returncode == 0
    return url


def _nc_id(plant: str) -> str:
    listed = run("--db", plant, "nc", "list")
    found = re.search(r"NC-[A-Z0-9-]+", listed.stdout)
    assert found, listed.stdout
    return found.group(0)


def test_a_refused_disposition_on_the_command_line_reads_chinese(plant: str) -> None:
    nc_id = _nc_id(plant)
    args = ("--db", plant, "nc", "dispose", nc_id, "--part", "scrap=99999", "--actor", "QA")
    english, chinese = run(*args), run("--lang", "zh_CN", *args)
    assert english.returncode == chinese.returncode == 1
    assert english.stderr.startswith("error: cannot 'dispose' from state 'open'; what is missing:")
    assert chinese.stderr.startswith("错误：处于 'open' 状态时不能执行 'dispose'；缺少以下条件：")
    assert "各项处置合计 99999" in chinese.stderr and nc_id in chinese.stderr
    assert "提示：" in chinese.stderr and "hint:" not in chinese.stderr


@pytest.mark.parametrize(
    ("args", "english", "chinese"),
    [
        (
            ("incidents", "show", "INC-404"),
            "error: incident 'INC-404' not found",
            "错误：未找到质量事故 'INC-404'",
        ),
        (
            ("nc", "show", "NC-404"),
            "error: nonconformance 'NC-404' not found",
            "错误：未找到不合格品 'NC-404'",
        ),
        (
            ("scar", "show", "SCAR-404"),
            "error: supplier_action 'SCAR-404' not found",
            "错误：未找到供应商纠正措施要求（SCAR） 'SCAR-404'",
        ),
        (
            ("recalls", "progress", "RCL-404"),
            "error: recall 'RCL-404' not found",
            "错误：未找到召回 'RCL-404'",
        ),
    ],
    ids=["incidents", "nc", "scar", "recalls"],
)
def test_not_found_reads_chinese_with_exit_3(
    plant: str, args: tuple[str, ...], english: str, chinese: str
) -> None:
    got_en = run("--db", plant, *args)
    got_zh = run("--lang", "zh_CN", "--db", plant, *args)
    assert got_en.returncode == got_zh.returncode == 3
    assert got_en.stderr.splitlines()[0] == english
    assert got_zh.stderr.splitlines()[0] == chinese
    assert got_zh.stderr.splitlines()[1].startswith("提示：请检查编号")


def test_a_recall_refusal_on_the_command_line_reads_chinese(plant: str) -> None:
    args = ("recalls", "return", "RCL-INC-5", "CUST-1", "--actor", "QA")
    english = run("--db", plant, *args)
    chinese = run("--lang", "zh_CN", "--db", plant, *args)
    assert english.returncode == chinese.returncode == 2
    assert english.stderr == (
        "error: nothing to record\nhint: give --returned, --destroyed or --corrected\n"
    )
    assert chinese.stderr == (
        "错误：没有可登记的内容\n提示：请指定 --returned、--destroyed 或 --corrected\n"
    )


def test_the_help_follows_lang(plant: str) -> None:
    english = run("recalls", "--help")
    chinese = run("--lang", "zh_CN", "recalls", "--help")
    assert english.returncode == chinese.returncode == 0
    assert "Run a recall: open it from an incident" in english.stdout
    assert "执行召回：由质量事故发起，通知收货方，登记回收，报告。" in chinese.stdout
    root = run("--lang", "zh_CN", "--help")
    assert "列出、查看、新增和推进质量事故。" in root.stdout
    assert "Play the biscuit plant's worst week" in run("--help").stdout
