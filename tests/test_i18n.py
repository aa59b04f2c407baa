"""Translations: gettext catalogs managed with Babel, ``en`` and ``zh_CN`` complete.

Guard refusals, transition errors and reports are read by people, so they come in the
locale asked for; ids, enum values and stored data stay language-neutral.
"""

from __future__ import annotations

import os
import re
import string
import subprocess
import sys
import threading
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import qualityflow as qf
from qualityflow import i18n
from qualityflow.i18n import _, negotiate, normalize, translation, using
from qualityflow.lifecycle import guards
from qualityflow.reports import DISCIPLINES

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "qualityflow"
CATALOGS = {loc: SRC / "locale" / loc / "LC_MESSAGES" / "qualityflow.po" for loc in ("en", "zh_CN")}
CJK = re.compile(r"[\u4e00-\u9fff]")
# Placeholders a translation may leave out: Chinese has no article.
MAY_DROP = {"article"}

ENGLISH_8D_HEADINGS = [
    "8D report",
    "Timeline",
    "Emergency response",
    "Team",
    "Problem description",
    "Containment",
    "Root cause",
    "Chosen corrective actions",
    "Implementation and verification",
    "Prevention of recurrence",
    "Closure and recognition",
    "Not recorded yet",
    "Lessons learned",
    "Preventive actions",
    "Severity",
    "Reported",
    "Recall decided",
    "recall impact",
    "after the report",
    "Fishbone",
    "what the customer said",
]

ZH_8D_NAMES = [
    "D0 准备/应急响应",
    "D1 成立小组",
    "D2 问题描述",
    "D3 临时遏制措施",
    "D4 根本原因分析",
    "D5 选定永久纠正措施",
    "D6 实施并验证纠正措施",
    "D7 预防再发生",
    "D8 小组祝贺/关闭",
]


def _source_msgids() -> set[str]:
    """Every message id marked in the package source (what `pybabel extract` finds)."""
    found = extract_from_dir(str(ROOT), method_map=[("src/qualityflow/**.py", "python")])
    ids: set[str] = set()
    for _filename, _lineno, message, _comments, _context in found:
        ids.update([message] if isinstance(message, str) else [m for m in message if m])
    return ids


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


# --- the catalogs -----------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_every_message_in_the_source_is_in_the_catalog(locale: str) -> None:
    catalog = read_po(CATALOGS[locale].open("rb"))
    in_catalog = {m.id for m in catalog if m.id}
    missing = sorted(_source_msgids() - in_catalog)
    assert not missing, (
        f"{locale} catalog lacks {missing}: run the refresh commands of docs/i18n.md "
        "(pybabel extract + update) and translate"
    )
    obsolete = sorted(in_catalog - _source_msgids())
    assert not obsolete, f"{locale} catalog holds ids the source no longer has: {obsolete}"


def test_every_chinese_entry_is_translated_keeps_its_placeholders_and_is_not_fuzzy() -> None:
    catalog = read_po(CATALOGS["zh_CN"].open("rb"))
    problems = []
    for m in catalog:
        if not m.id:
            continue
        if m.fuzzy:
            problems.append(f"fuzzy: {m.id!r}")
        if not m.string:
            problems.append(f"untranslated: {m.id!r}")
            continue
        assert isinstance(m.id, str) and isinstance(m.string, str)
        wanted, got = _fields(m.id), _fields(m.string)
        if got - wanted or (wanted - got) - MAY_DROP:
            problems.append(f"placeholders {sorted(wanted)} -> {sorted(got)} in {m.id!r}")
    assert not catalog.obsolete, f"obsolete entries: {list(catalog.obsolete)}"
    assert not problems, "\n".join(problems)


def test_pybabel_finds_the_chinese_catalog_complete() -> None:
    pybabel = Path(sys.executable).with_name("pybabel")
    if not pybabel.exists():
        pytest.skip(f"no pybabel next to {sys.executable}")
    result = subprocess.run(
        [
            str(pybabel),
            "compile",
            "--statistics",
            "-D",
            "qualityflow",
            "-d",
            str(SRC / "locale"),
            "-l",
            "zh_CN",
            "-o",
            "/dev/null",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    stats = result.stdout + result.stderr
    assert "messages (100%) translated" in stats, stats


def test_the_loaded_catalog_is_the_po_file_as_it_is_now() -> None:
    """A compiled .mo, if present, must not be stale: the loader gives the .po's texts."""
    zh = translation("zh_CN")
    catalog = read_po(CATALOGS["zh_CN"].open("rb"))
    for m in catalog:
        if m.id and isinstance(m.id, str):
            assert zh.gettext(m.id) == m.string, m.id


def test_a_checkout_keeps_the_catalog_it_compiled_and_a_newer_po_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An editable install parses the .po once and keeps the .mo beside it; the next
    # process loads that. A translator's later edit of the .po makes it stale again.
    folder = tmp_path / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = folder / "qualityflow.po"
    po.write_bytes(CATALOGS["zh_CN"].read_bytes())
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    msgid = "no corrective action has been planned"
    assert i18n._load("zh_CN").gettext(msgid) == "尚未制定任何纠正措施"
    mo = folder / "qualityflow.mo"
    assert mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []  # no temp left
    text = po.read_text(encoding="utf-8").replace("尚未制定任何纠正措施", "还没有纠正措施")
    po.write_text(text, encoding="utf-8")
    os.utime(po, (mo.stat().st_mtime + 10, mo.stat().st_mtime + 10))
    assert i18n._load("zh_CN").gettext(msgid) == "还没有纠正措施"

    # A read-only checkout (the folder refuses new files) still translates, in memory.
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Read-only file system")

    monkeypatch.setattr(i18n.tempfile, "mkstemp", refuse)
    before = mo.read_bytes()
    os.utime(po, (mo.stat().st_mtime + 20, mo.stat().st_mtime + 20))
    assert i18n._load("zh_CN").gettext(msgid) == "还没有纠正措施"
    assert mo.read_bytes() == before


def test_english_is_the_message_id_itself() -> None:
    for msgid in (guards.NO_TEAM, guards.BATCH_NOT_CONTAINED, "Emergency response"):
        assert translation("en").gettext(msgid) == msgid


# --- locale names and negotiation ------------------------------------------------------


def test_locale_names_are_normalized_and_unknown_ones_fall_back_to_english() -> None:
    assert [normalize(n) for n in ("zh_CN", "zh-CN", "zh_Hans_CN", "zh", "zh_TW")] == ["zh_CN"] * 5
    assert [normalize(n) for n in ("en", "en_US", "en-GB", "de_DE", "fr", "C", "POSIX")] == [
        "en"
    ] * 7
    with pytest.raises(qf.QualityFlowError, match=r"not a locale.*zh_CN"):
        normalize("!!not a locale!!")
    with pytest.raises(ValueError, match="not a locale"), using("123"):
        pass


def test_negotiate_reads_the_environment_like_gettext() -> None:
    assert negotiate({"LANG": "zh_CN.UTF-8"}) == "zh_CN"
    assert negotiate({"LC_ALL": "zh_CN.utf8", "LANG": "en_US.UTF-8"}) == "zh_CN"
    assert negotiate({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert negotiate({"LC_MESSAGES": "zh_CN", "LANG": "C"}) == "zh_CN"
    assert negotiate({"LANGUAGE": "de:zh_CN", "LANG": "en_US"}) == "zh_CN"
    assert negotiate({"LANGUAGE": "de:fr", "LANG": "zh_CN"}) == "zh_CN"
    assert negotiate({"LANG": "garbage!!"}) == "en"
    assert negotiate({}) == "en"


# --- guards and transitions ---------------------------------------------------------------


def _fresh_incident() -> qf.Incident:
    return qf.Incident(id="INC-71", title="Metal flake in biscuits", severity="critical")


def test_blockers_of_a_fresh_incident_in_chinese() -> None:
    inc = _fresh_incident()
    reasons = qf.INCIDENT_LIFECYCLE.blockers(inc, "assess", locale="zh_CN")
    assert reasons == [
        "尚无影响评估：请记录严重程度、涉及的批次和地区、风险以及是否需要召回",
        "尚未成立应急小组：请指定组长，以及来自生产、技术、质量和销售部门的成员",
    ]
    assert all(not re.search(r"[a-z]{3,}", r) for r in reasons)  # no English left
    # the English is byte-identical to the module constants, by default and by name
    assert qf.INCIDENT_LIFECYCLE.blockers(inc, "assess") == [guards.NO_ASSESSMENT, guards.NO_TEAM]
    assert qf.INCIDENT_LIFECYCLE.blockers(inc, "assess", locale="en") == [
        guards.NO_ASSESSMENT,
        guards.NO_TEAM,
    ]
    # a trigger from the wrong state names the state and triggers as identifiers
    wrong = qf.INCIDENT_LIFECYCLE.blockers(inc, "close", locale="zh_CN")
    assert wrong == [
        "质量事故处于 'reported' 状态时不能执行 'close'（仅可从以下状态执行：verifying）；"
        "在 'reported' 状态下可执行的步骤为：assess, cancel"
    ]


def test_templates_are_formatted_in_the_locale_at_check_time() -> None:
    inc = _fresh_incident()
    at = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    qf.INCIDENT_LIFECYCLE.fire(
        inc,
        "assess",
        actor="QA Lena",
        at=at,
        assessment=qf.ImpactAssessment(
            severity="critical",
            batch_ids=["BISC-1", "BISC-2"],
            regions=["CN-31"],
            risk="metal",
            recall_required=True,
            rationale="foreign body",
        ),
        team=qf.EmergencyTeam(leader=qf.TeamMember(name="Wang", role="QA", department="quality")),
        recorded_at=at,
    )
    zh = qf.INCIDENT_LIFECYCLE.blockers(inc, "contain", locale="zh_CN")
    assert zh == [
        "评估范围内的批次 BISC-1 尚无遏制措施",
        "评估范围内的批次 BISC-2 尚无遏制措施",
        "评估认为需要召回，但尚未记录召回决定：请记录召回哪些批次、涉及哪些客户以及召回原因",
    ]
    assert qf.INCIDENT_LIFECYCLE.blockers(inc, "contain")[0] == (
        guards.BATCH_NOT_CONTAINED.format(batch_id="BISC-1")
    )
    assert qf.INCIDENT_LIFECYCLE.allowed(inc, locale="zh_CN") == []  # triggers are ids
    assert qf.INCIDENT_LIFECYCLE.allowed(inc, note="duplicate", locale="zh_CN") == ["cancel"]


def test_a_transition_error_speaks_the_locale_active_when_raised() -> None:
    inc = _fresh_incident()
    with using("zh_CN"), pytest.raises(qf.TransitionError) as zh:
        qf.INCIDENT_LIFECYCLE.fire(inc, "assess", actor="QA Lena")
    assert zh.value.reasons[1].startswith("尚未成立应急小组")
    assert str(zh.value).startswith("无法在状态 'reported' 下执行 'assess'：")
    assert zh.value.trigger == "assess" and zh.value.state == "reported"  # identifiers
    with pytest.raises(qf.TransitionError) as en:
        qf.INCIDENT_LIFECYCLE.fire(inc, "assess", actor="QA Lena")
    assert en.value.reasons == [guards.NO_ASSESSMENT, guards.NO_TEAM]
    assert str(en.value).startswith("cannot 'assess' from state 'reported': ")
    with pytest.raises(qf.TransitionError) as named:
        qf.INCIDENT_LIFECYCLE.fire(inc, "assess", actor="QA Lena", locale="zh-CN")
    assert named.value.reasons == zh.value.reasons
    assert inc.history == [] and inc.status.value == "reported"  # refused: nothing written


def test_a_complaint_refusal_translates_the_enum_words_but_keeps_the_data() -> None:
    at = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    c = qf.Complaint(
        id="CMP-3", customer_id="SHOP", channel="phone", received_at=at, description="soft biscuits"
    )
    with using("zh_CN"):
        assert qf.COMPLAINT_LIFECYCLE.blockers(c, "acknowledge") == [
            "尚未联系客户：请记录一次向客户确认已受理投诉的联系"
        ]
        with pytest.raises(qf.TransitionError) as err:
            qf.COMPLAINT_LIFECYCLE.fire(c, "nope", actor="desk")
    assert err.value.reasons[0].startswith("投诉流程没有 'nope' 这一步骤")
    assert c.channel.value == "phone"


def test_threads_with_different_locales_do_not_leak_into_each_other() -> None:
    inc = _fresh_incident()
    barrier = threading.Barrier(4)
    results: dict[str, set[str]] = {}
    errors: list[BaseException] = []

    def work(locale: str) -> None:
        try:
            with using(locale):
                barrier.wait()
                seen = set()
                for _round in range(200):
                    seen.add(qf.INCIDENT_LIFECYCLE.blockers(inc, "assess")[1])
                    seen.add(_("Emergency response"))
                results[locale] = seen
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(loc,)) for loc in ("en", "zh_CN", "zh-CN")]
    threads.append(threading.Thread(target=work, args=("en_US",)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results["en"] == results["en_US"] == {guards.NO_TEAM, "Emergency response"}
    assert (
        results["zh_CN"]
        == results["zh-CN"]
        == {
            "尚未成立应急小组：请指定组长，以及来自生产、技术、质量和销售部门的成员",
            "准备/应急响应",
        }
    )
    assert i18n.current_locale() == "en"


def test_asyncio_tasks_keep_their_own_locale() -> None:
    import asyncio

    async def speak(locale: str) -> str:
        with using(locale):
            await asyncio.sleep(0)
            return _("no corrective action has been planned")

    async def both() -> list[str]:
        return list(await asyncio.gather(speak("zh_CN"), speak("en")))

    assert asyncio.run(both()) == ["尚未制定任何纠正措施", "no corrective action has been planned"]


def test_model_validation_messages_follow_the_locale() -> None:
    import pydantic

    with using("zh_CN"), pytest.raises(pydantic.ValidationError) as err:
        qf.Incident(id="INC-1", title="t", severity="minor", reported_at=datetime(2026, 3, 2))
    assert "时间未带时区" in str(err.value)
    with pytest.raises(pydantic.ValidationError, match="naive datetime"):
        qf.Incident(id="INC-1", title="t", severity="minor", reported_at=datetime(2026, 3, 2))


# --- reports --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> tuple[qf.EightDReport, qf.EightDReport]:
    from qualityflow.demo import run_demo

    with qf.QualityFlow("memory://") as qms:
        run = run_demo(qms)
        incident = qms.incidents.get(run.incident_id)
        assert incident.recall is not None
        impact = qms.recall_impact(*incident.recall.batch_ids)
        genealogy, complaints = qms.genealogy, qms.complaints.list()

        def build(locale: str | None) -> qf.EightDReport:
            return qf.eight_d(
                incident, impact=impact, genealogy=genealogy, complaints=complaints, locale=locale
            )

        return build("zh_CN"), build(None)


def test_the_demo_8d_report_in_chinese_has_the_chinese_disciplines_and_no_english_heading(
    demo: tuple[qf.EightDReport, qf.EightDReport],
) -> None:
    zh, en = demo
    assert zh.locale == "zh_CN" and en.locale == "en"
    assert zh.missing == en.missing == []
    for text in (zh.to_markdown(), zh.to_html()):
        for name in ZH_8D_NAMES:
            assert name in text, name
        for heading in ENGLISH_8D_HEADINGS:
            assert heading not in text, f"untranslated: {heading!r}"
        assert "INC-5" in text and "BISC-0302" in text  # ids unchanged
    md = zh.to_markdown()
    assert md.startswith("# 8D 报告：INC-5 ")
    assert "## 时间线" in md and "| 时间 | 距报告 | 步骤 | 状态 | 执行人 | 备注 |" in md
    assert "年" in md and "UTC" in md  # dates by Babel, in UTC
    assert '<html lang="zh-CN">' in zh.to_html()
    # English unchanged
    en_md = en.to_markdown()
    assert en_md.startswith("# 8D report: INC-5 ")
    for code, title in DISCIPLINES:
        assert f"## {code} {title}" in en_md
    assert not CJK.search(en_md.replace(en.incident.title, ""))
    assert '<html lang="en">' in en.to_html()


def test_an_empty_8d_report_says_not_recorded_in_chinese() -> None:
    inc = qf.Incident(id="INC-1", title="Crumbly biscuits", severity="minor")
    md = qf.eight_d(inc, locale="zh_CN").to_markdown()
    assert md.count("尚未记录：") == 9
    assert "事故状态为“已报告”，尚未关闭" in md
    with using("zh_CN"):  # the active locale is the default
        assert qf.eight_d(inc).locale == "zh_CN"
    assert qf.eight_d(inc).to_markdown().count("Not recorded yet") == 9


def test_kpis_pareto_and_scorecard_render_in_chinese() -> None:
    from datetime import timedelta

    t = datetime(2026, 3, 5, 8, tzinfo=timezone.utc)
    complaints = [
        qf.Complaint(
            id=f"C{i}",
            customer_id="SHOP",
            channel="email",
            received_at=t,
            description="d",
            category=cat,
        )
        for i, cat in enumerate(["broken", "broken", None])
    ]
    k = qf.kpis([], complaints, as_of=t + timedelta(days=30), locale="zh_CN")
    md = k.to_markdown()
    assert md.startswith("## 关键绩效指标（KPI）") and "超时率" in md and "投诉：受理确认用时" in md
    assert "C0 受理确认 超时" in md  # the case id stays, the step reads in Chinese
    assert "SLA breach rate" in k.to_markdown(locale="en") or "SLA" in k.to_markdown(locale="en")
    p = qf.pareto(complaints, "channel")
    zh = p.to_markdown(locale="zh_CN")
    assert zh.startswith("## 投诉帕累托分析（按渠道）") and "电子邮件" in zh and "关键少数" in zh
    assert [r.key for r in p.rows] == ["email"]  # keys stay language-neutral
    assert p.to_markdown().startswith("## Pareto of complaints by channel")
    assert "未分类" in qf.pareto(complaints, locale="zh_CN").to_markdown()
    mill = qf.Supplier(id="SUP-MILL", name="Northfield Mill")
    card = qf.supplier_scorecard([mill], period="2026-03", inspections=[], locale="zh_CN")
    assert card.to_markdown().startswith("## 供应商评分卡 2026-03")
    assert "未评分" in card.to_markdown()
    review = qf.quality_review([], complaints, locale="zh_CN", as_of=t)
    assert review.to_markdown().startswith("# 质量评审\n\n截至 2026年3月5日 08:00 UTC。")
    assert qf.quality_review([], complaints, as_of=t).to_markdown().startswith("# Quality review")


def test_deadlines_read_in_the_locale() -> None:
    t0 = datetime(2026, 3, 2, 8, tzinfo=timezone.utc)
    inc = qf.Incident(id="INC-2", title="t", severity="major", reported_at=t0)
    late = qf.overdue([inc], t0.replace(day=20))
    assert str(late[0]).startswith("incident INC-2: ")
    with using("zh_CN"):
        text = str(late[0])
    assert text.startswith("质量事故 INC-2：") and "已超期" in text and "天" in text


# --- packaging ------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_wheel_ships_the_compiled_catalogs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {result.stderr[-500:]}")
    (wheel,) = tmp_path.glob("qualityflow-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for loc in ("en", "zh_CN"):
            assert f"qualityflow/locale/{loc}/LC_MESSAGES/qualityflow.mo" in names
            # only compiled catalogs: an installer's file times cannot make a .po look newer
            assert f"qualityflow/locale/{loc}/LC_MESSAGES/qualityflow.po" not in names
        mo = zf.read("qualityflow/locale/zh_CN/LC_MESSAGES/qualityflow.mo")
    import gettext
    import io

    shipped = gettext.GNUTranslations(io.BytesIO(mo))
    assert shipped.gettext(guards.NO_TEAM).startswith("尚未成立应急小组")
    assert shipped.gettext("Emergency response") == "准备/应急响应"
    # installed from the wheel (no source tree on the path), the catalogs work
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    probe = (
        "import qualityflow as qf, qualityflow.i18n as i;"
        "inc = qf.Incident(id='INC-1', title='t', severity='minor');"
        "print(i.__file__); print(qf.INCIDENT_LIFECYCLE.blockers(inc, 'assess', locale='zh_CN')[1])"
    )
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    ).stdout.splitlines()
    assert out[0].startswith(str(site))
    assert out[1].startswith("尚未成立应急小组")


def test_the_recall_documents_of_the_demo_in_chinese() -> None:
    from qualityflow.demo import run_demo
    from qualityflow.reports.recall_case import RECALL_DOCUMENTS, recall_document

    with qf.QualityFlow("memory://") as qms:
        recall = qms.recalls.open(
            run_demo(qms).incident_id,
            grade="I",
            actor="Dana Ruiz",
            presets=["CN_FOOD_RECALL_2015"],
        )
        docs = {k: recall_document(recall, k, locale="zh_CN") for k in RECALL_DOCUMENTS}
        english = recall_document(recall, "plan")
    plan = docs["plan"].to_markdown()
    assert plan.startswith("# 召回计划：RCL-INC-5")
    assert "## 召回范围" in plan and "## 法定时限" in plan and "| 状态 | 已计划 |" in plan
    assert docs["plan"].section("Scope").title == "召回范围"  # found by its English title
    assert docs["notice"].to_markdown().startswith("# 召回公告：")
    assert "## 回收情况" in docs["progress"].to_markdown()
    assert "<h2>时间线</h2>" in docs["summary"].to_html()
    for doc in docs.values():
        text = doc.to_markdown()
        for heading in (
            "## Scope",
            "## Legal deadlines",
            "## Recovery",
            "## Consignees",
            "| field | value |",
            "Recall plan",
        ):
            assert heading not in text
    assert english.to_markdown().startswith("# Recall plan (召回计划): RCL-INC-5")
    assert english.section("Scope").title == "Scope"
