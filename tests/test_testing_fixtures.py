"""The pytest fixtures qualityflow ships: a biscuit plant's QA team writes its own tests.

The inner test sessions run in-process through ``pytester`` with entry-point autoloading
off and the plugin named explicitly, exactly one copy of it, whether or not the installed
qualityflow has already registered its ``pytest11`` entry point.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import scipy.sparse.csgraph  # noqa: F401  (see below)
from hypothesis import given
from hypothesis import strategies as st

import qualityflow as qf
import qualityflow.testing.fixtures as plugin
from qualityflow.demo import plant
from qualityflow.testing import Clock

pytest_plugins = ["pytester"]
# pytester's in-process runs drop the modules first imported inside them; numpy's
# extensions cannot be loaded twice, so scipy (imported by the genealogy on its first bulk
# build, as inside the inner runs) is imported here, before them.

ROOT = Path(__file__).parents[1]
PLUGIN = "qualityflow.testing.fixtures"


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_plant=source)
    return pytester.runpytest_inprocess("-p", PLUGIN, "-p", "no:cacheprovider", "-q", *args)


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


# -- the plugin as shipped -------------------------------------------------------------


def test_pyproject_registers_the_plugin_under_pytest11() -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        tomllib = pytest.importorskip("tomli")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["entry-points"]["pytest11"] == {"qualityflow": PLUGIN}


def test_pytest_finds_the_fixtures_through_the_declared_entry_point(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # What `pip install qualityflow` leaves behind: a .dist-info whose entry_points.txt
    # carries pyproject's pytest11 table; pytest autoloads it, no -p needed.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        tomllib = pytest.importorskip("tomli")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    ((name, target),) = project["project"]["entry-points"]["pytest11"].items()
    dist = tmp_path / "site" / "qualityflow_plugin_check-0.1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: qualityflow-plugin-check\nVersion: 0.1.0\n",
        encoding="utf-8",
    )
    (dist / "entry_points.txt").write_text(f"[pytest11]\n{name} = {target}\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    pytester.makepyfile(
        test_plant="""
        def test_plant(qf_plant, qf_clock):
            assert len(qf_plant.suppliers) == 4 and qf_clock().tzinfo is not None
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)


def test_the_plugin_defines_only_qf_fixtures_and_no_hooks() -> None:
    fixtures = [
        name
        for name, value in vars(plugin).items()
        if hasattr(value, "_fixture_function_marker") or hasattr(value, "_pytestfixturefunction")
    ]
    assert sorted(fixtures) == [
        "qf_clock",
        "qf_memory_service",
        "qf_plant",
        "qf_plugins",
        "qf_service",
    ]
    assert not [name for name in vars(plugin) if name.startswith("pytest_")]


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    # Loaded in every pytest session of every project that installs qualityflow: no demo
    # data, no SQLite, no hypothesis, no conformance suite, no scipy (the genealogy
    # imports it on its first bulk build).
    heavy = ["hypothesis", "qualityflow.demo", "qualityflow.testing.storage", "sqlite3", "scipy"]
    code = f"import sys, {PLUGIN}; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


# -- the fixtures in a plant's own test suite --------------------------------------------


def test_a_qa_team_traces_a_flour_lot_with_the_sqlite_service(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import qualityflow as qf

        def test_flour_recall(qf_service, qf_plant, tmp_path):
            assert qf_service.storage.url.startswith("sqlite:///")
            assert (tmp_path / "qualityflow.db").exists()
            lots = {b.id for b in qf_plant.batches}
            assert {b.id for b in qf_service.batches.list()} == lots
            impact = qf_service.recall_impact("FLOUR-0412")
            assert {s.id for s in impact.shipments} == {
                "SHP-9001", "SHP-9002", "SHP-9003", "SHP-9004"}

        def test_each_test_gets_a_fresh_plant(qf_service):
            lot = qf_service.batches.get("BISC-0302")
            lot.line = "L9"
            qf_service.batches.save(lot, actor="QA", reason="moved line")
            assert qf_service.batches.get("BISC-0302").version == 2

        def test_the_change_above_did_not_leak(qf_service):
            assert qf_service.batches.get("BISC-0302").line != "L9"
            assert qf_service.batches.get("BISC-0302").version == 1
        """,
    )
    result.assert_outcomes(passed=3)


def test_the_memory_service_holds_the_same_plant(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        def test_memory(qf_memory_service, qf_plant):
            assert qf_memory_service.storage.url == "memory://"
            assert len(qf_memory_service.shipments.list()) == len(qf_plant.shipments)
            assert len(qf_memory_service.inspections.list()) == len(qf_plant.inspections)
            assert sorted(qf_memory_service.trace_backward("SHP-9005").ids) == [
                "FLOUR-0413", "MIX-0303A", "OAT-0303", "SUGAR-088"]
        """,
    )
    result.assert_outcomes(passed=1)


def test_services_are_closed_after_the_test(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest
        seen = []

        @pytest.fixture
        def qf_plugins():
            return []

        def test_uses_it(qf_service):
            seen.append(qf_service)
            calls = []
            original = qf_service.storage.close
            def close():
                calls.append(1)
                original()
            qf_service.storage.close = close
            seen.append(calls)

        def test_then(qf_memory_service):
            assert seen[1] == [1]
        """,
    )
    result.assert_outcomes(passed=2)


def test_a_team_registers_its_own_notifier_through_qf_plugins(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
        import pytest
        import qualityflow as qf
        from qualityflow.testing import emergency_team

        class Pager:
            def __init__(self):
                self.titles = []

            @qf.hookimpl
            def qualityflow_notify(self, notification):
                self.titles.append(notification.title)

        PAGER = Pager()

        @pytest.fixture
        def qf_plugins():
            return [PAGER]

        def test_incident_pages_the_team(qf_memory_service, qf_clock):
            qf_memory_service.incidents.add(qf.Incident(
                id="INC-9", title="Metal shard", severity="critical",
                reported_at=qf_clock()))
            qf_clock.advance(minutes=30)
            team = emergency_team(qf.TeamMember(
                name="Dana Ruiz", role="QA manager", department="quality"))
            qf_memory_service.incidents.fire(
                "INC-9", "assess", actor="Dana Ruiz", at=qf_clock.now, team=team,
                assessment=qf.ImpactAssessment(severity="critical",
                                               batch_ids=["BISC-0302"],
                                               regions=["CN-31"], risk="cuts",
                                               rationale="shipped to Shanghai"))
            assert any("INC-9" in t for t in PAGER.titles)
        """,
    )
    result.assert_outcomes(passed=1)


def test_the_clock_fixture_starts_on_the_plants_monday(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        from datetime import timedelta

        def test_clock(qf_clock):
            start = qf_clock()
            assert start.tzinfo is not None and start.strftime("%A %H:%M") == "Monday 06:00"
            assert qf_clock.advance(timedelta(hours=72)) - start == timedelta(days=3)
        """,
    )
    result.assert_outcomes(passed=1)


# -- the clock and the stocking helper, used directly -------------------------------------


def test_overdue_containment_shows_up_only_after_the_clock_moves() -> None:
    clock = Clock()
    qms = plugin.stock(qf.QualityFlow(settings={}, load_entry_points=False), plant())
    qms.incidents.add(
        qf.Incident(id="INC-5", title="Metal shard", severity="critical", reported_at=clock())
    )
    assert qms.overdue(now=clock()) == []
    clock.advance(days=30)
    assert {d.subject_id for d in qms.overdue(now=clock.now)} == {"INC-5"}


def test_a_naive_start_or_jump_is_refused_and_the_clock_keeps_its_time() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        Clock(datetime(2026, 3, 2, 6, 0))
    clock = Clock()
    with pytest.raises(ValueError, match="no time zone"):
        clock.set(datetime(2026, 3, 9, 6, 0))
    with pytest.raises(ValueError, match=r"backwards.*clock\.set"):
        clock.advance(hours=-1)
    assert clock.now == plugin.START


@given(
    steps=st.lists(st.integers(min_value=0, max_value=10**6), max_size=20),
    zone=st.sampled_from(
        [timezone.utc, timezone(timedelta(hours=8)), timezone(-timedelta(hours=5))]
    ),
)
def test_the_clock_adds_up_its_steps_and_keeps_the_zone(steps: list[int], zone: timezone) -> None:
    start = datetime(2026, 3, 2, 6, 0, tzinfo=zone)
    clock = Clock(start)
    for seconds in steps:
        before = clock.now
        assert clock.advance(seconds=seconds) >= before
    assert clock.now - start == timedelta(seconds=sum(steps))
    assert clock.now.tzinfo is zone


def test_stocking_a_service_is_all_or_nothing() -> None:
    qms = qf.QualityFlow(settings={}, load_entry_points=False)
    broken = plant()
    bad_link = ("FLOUR-0412", "NO-SUCH-MIX", None)
    broken = type(broken)(
        broken.suppliers, broken.batches, (*broken.links, bad_link), broken.shipments
    )
    with pytest.raises(qf.QualityFlowError, match="NO-SUCH-MIX"):
        plugin.stock(qms, broken)
    assert qms.batches.list() == []
    assert qms.suppliers.list() == []


def test_the_fixture_example_in_the_docs_passes(pytester: pytest.Pytester) -> None:
    text = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    (example,) = [b for b in blocks if "def test_" in b and "my_" not in b]
    result = run(pytester, example)
    result.assert_outcomes(passed=example.count("def test_"))
