"""The plugin manager: built-ins, entry points, a broken plugin, misspelled hooks."""

from __future__ import annotations

import logging
import textwrap
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pluggy
import pytest

import qualityflow as qf
from qualityflow.plugins import hookspecs
from qualityflow.plugins.manager import make_plugins, plugin_name
from qualityflow.storage import MemoryStorage

NOTICE = qf.Notification(
    kind="transition",
    subject_kind="incident",
    subject_id="INC-3",
    title="Incident INC-3: reported -> assessed (assess)",
    at=datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc),
)


@pytest.fixture
def installed_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake distribution with two entry points: one good, one broken on import."""
    (tmp_path / "qf_wecom_test.py").write_text(
        textwrap.dedent(
            """
            import qualityflow as qf

            received = []

            @qf.hookimpl
            def qualityflow_notify(notification):
                received.append(notification.subject_id)
            """
        )
    )
    (tmp_path / "qf_broken_test.py").write_text("raise ImportError('needs wecom-sdk 9')\n")
    dist = tmp_path / "qualityflow_site_plugins-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: qualityflow-site-plugins\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[qualityflow]\nwecom = qf_wecom_test\nbroken = qf_broken_test\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_entry_points_load_and_a_broken_one_is_skipped_with_a_warning(
    installed_plugins: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="qualityflow.plugins.manager"):
        plugins = make_plugins(environ={})
    assert "wecom" in plugins.names()
    assert "broken" not in plugins.names()
    assert "'broken'" in caplog.text and "needs wecom-sdk 9" in caplog.text
    results = plugins.notify(NOTICE)
    assert [r.notifier for r in results if r.ok] == ["wecom"]
    import qf_wecom_test  # type: ignore[import-not-found]

    assert qf_wecom_test.received == ["INC-3"]


def test_disabled_plugins_are_not_loaded(installed_plugins: Path) -> None:
    plugins = make_plugins(environ={"QUALITYFLOW_DISABLE_PLUGINS": "wecom, something-else"})
    assert "wecom" not in plugins.names()


def test_the_service_loads_entry_points_and_honours_the_environment(
    installed_plugins: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "wecom" in qf.QualityFlow().plugins.names()
    monkeypatch.setenv("QUALITYFLOW_DISABLE_PLUGINS", "wecom")
    assert "wecom" not in qf.QualityFlow().plugins.names()


class Misspelled:
    @qf.hookimpl
    def qualityflow_notfy(self, notification: qf.Notification) -> None:
        """A typo: no such hook."""


def test_a_misspelled_hook_fails_loudly() -> None:
    with pytest.raises(pluggy.PluginValidationError, match="qualityflow_notfy"):
        make_plugins([Misspelled()], load_entry_points=False)


class Recorder:
    def __init__(self, name: str, fail: bool = False) -> None:
        self.name = name
        self.fail = fail
        self.titles: list[str] = []

    @qf.hookimpl
    def qualityflow_notify(self, notification: qf.Notification) -> None:
        if self.fail:
            raise TimeoutError("SMTP relay timed out")
        self.titles.append(notification.title)


def test_each_notifier_is_called_separately() -> None:
    first, broken, last = Recorder("first"), Recorder("broken", fail=True), Recorder("last")
    plugins = make_plugins([first, broken, last], load_entry_points=False)
    results = {r.notifier: r.error for r in plugins.notify(NOTICE)}
    assert results == {
        "first": None,
        "broken": "TimeoutError: SMTP relay timed out",
        "last": None,
    }
    assert first.titles == last.titles == [NOTICE.title]
    retry = plugins.notify(NOTICE, only=["broken"])
    assert [r.notifier for r in retry] == ["broken"]
    assert first.titles == [NOTICE.title]


def test_each_service_has_its_own_plugin_manager() -> None:
    mine = Recorder("mine")
    with_plugin = qf.QualityFlow(plugins=[mine], load_entry_points=False)
    without = qf.QualityFlow(load_entry_points=False)
    assert "mine" in with_plugin.plugins.names()
    assert "mine" not in without.plugins.names()
    assert with_plugin.plugins.pm is not without.plugins.pm


def test_builtins_come_first_and_user_plugins_last() -> None:
    user = Recorder("user")
    qms = qf.QualityFlow(plugins=[user], load_entry_points=False)
    names = qms.plugins.names()
    assert names[0] == "qualityflow.storage"
    assert names[-1] == "user"
    assert [name for name, _ in qms.plugins.notifiers()][-1] == "user"


def test_two_instances_of_one_notifier_class_get_distinct_names() -> None:
    plugins = make_plugins([Recorder("mail"), Recorder("mail")], load_entry_points=False)
    assert plugins.names() == ["mail", "mail#2"]


def test_plugin_names_are_stable_across_processes() -> None:
    class Pager:
        @qf.hookimpl
        def qualityflow_notify(self, notification: qf.Notification) -> None:
            """Page the night shift."""

    assert plugin_name(Pager()).endswith("Pager")
    assert plugin_name(hookspecs) == "qualityflow.plugins.hookspecs"


class LineSevenRules:
    @qf.hookimpl
    def qualityflow_extra_guards(self, lifecycle: Any, trigger: str, entity: Any) -> list[str]:
        return ["line 7 needs the hygiene officer's sign-off"] if trigger == "close" else []


class MoreRules:
    @qf.hookimpl
    def qualityflow_extra_guards(self, lifecycle: Any, trigger: str, entity: Any) -> list[str]:
        return ["allergen swab results missing"] if trigger == "close" else []


def test_extra_guards_from_every_plugin_are_collected() -> None:
    plugins = make_plugins([LineSevenRules(), MoreRules()], load_entry_points=False)
    assert sorted(plugins.extra_guards(qf.INCIDENT_LIFECYCLE, "close", None)) == [
        "allergen swab results missing",
        "line 7 needs the hygiene officer's sign-off",
    ]
    assert plugins.extra_guards(qf.INCIDENT_LIFECYCLE, "assess", None) == []


class FirstPolicy:
    @qf.hookimpl
    def qualityflow_deadline_policy(self, entity: Any) -> list[qf.Deadline] | None:
        return None


CONTAIN_FAST = qf.Deadline(
    subject_kind="incident",
    subject_id="INC-3",
    what="contain",
    due=datetime(2026, 5, 4, 11, 0, tzinfo=timezone.utc),
    severity="critical",
)


class SecondPolicy:
    @qf.hookimpl
    def qualityflow_deadline_policy(self, entity: Any) -> list[qf.Deadline] | None:
        return [CONTAIN_FAST]


def test_deadline_policy_stops_at_the_first_answer() -> None:
    plugins = make_plugins([SecondPolicy(), FirstPolicy()], load_entry_points=False)
    assert plugins.deadline_policy(object()) == [CONTAIN_FAST]
    assert make_plugins(load_entry_points=False).deadline_policy(object()) is None


class MemoryOverride:
    @qf.hookimpl
    def qualityflow_register_storage(self, register: Any) -> None:
        register("memory", lambda url: MemoryStorage("memory://override"))


class BadScheme:
    @qf.hookimpl
    def qualityflow_register_storage(self, register: Any) -> None:
        register("Not A Scheme", MemoryStorage)


def test_a_plugin_backend_replaces_a_builtin_scheme() -> None:
    qms = qf.QualityFlow(plugins=[MemoryOverride()], load_entry_points=False)
    assert qms.storage.url == "memory://override"


def test_a_bad_scheme_registration_is_a_clear_error() -> None:
    with pytest.raises(qf.QualityFlowError, match="'Not A Scheme'"):
        qf.QualityFlow(plugins=[BadScheme()], load_entry_points=False)


def test_supplier_policy_comes_from_the_last_registered_plugin_that_answers() -> None:
    class Lenient:
        @qf.hookimpl
        def qualityflow_supplier_policy(self) -> qf.SupplierPolicy:
            return qf.DefaultSupplierPolicy(approve_at=70)

    class Undecided:
        @qf.hookimpl
        def qualityflow_supplier_policy(self) -> None:
            return None

    assert make_plugins(load_entry_points=False).supplier_policy() is None
    chosen = make_plugins([Lenient(), Undecided()], load_entry_points=False).supplier_policy()
    assert isinstance(chosen, qf.DefaultSupplierPolicy) and chosen.approve_at == 70


class Wrapper:
    """A ``wrapper=True`` notifier wrapper that sees (and times) every delivery."""

    name = "wrapper"

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.outcomes: list[str] = []

    @qf.hookimpl(wrapper=True)
    def qualityflow_notify(self, notification: qf.Notification) -> Any:
        self.seen.append(notification.title)
        try:
            result = yield
        except Exception as exc:
            self.outcomes.append(f"failed: {exc}")
            raise
        self.outcomes.append("ok")
        return result


def test_a_wrapper_notifier_runs_around_each_notifier_and_is_not_a_notifier() -> None:
    wrapper = Wrapper()
    first, broken, last = Recorder("first"), Recorder("broken", fail=True), Recorder("last")
    plugins = make_plugins([first, wrapper, broken, last], load_entry_points=False)
    assert [name for name, _ in plugins.notifiers()] == ["first", "broken", "last"]
    results = {r.notifier: r.error for r in plugins.notify(NOTICE)}
    assert results == {
        "first": None,
        "broken": "TimeoutError: SMTP relay timed out",
        "last": None,
    }
    assert wrapper.seen == [NOTICE.title] * 3
    assert sorted(wrapper.outcomes) == ["failed: SMTP relay timed out", "ok", "ok"]
    assert first.titles == last.titles == [NOTICE.title]


def test_a_failing_wrapper_fails_only_the_delivery_it_wraps() -> None:
    class Picky:
        name = "picky"

        @qf.hookimpl(wrapper=True)
        def qualityflow_notify(self, notification: qf.Notification) -> Any:
            raise RuntimeError("refused")
            yield  # pragma: no cover

    first = Recorder("first")
    plugins = make_plugins([first, Picky()], load_entry_points=False)
    [result] = plugins.notify(NOTICE)
    assert result.notifier == "first"
    assert result.error == "RuntimeError: refused"
    assert first.titles == []


def test_transitioned_goes_through_pluggy_wrappers_and_isolates_failures() -> None:
    calls: list[str] = []

    class Around:
        name = "around"

        @qf.hookimpl(wrapper=True)
        def qualityflow_transitioned(self, entity: Any, record: Any) -> Any:
            calls.append("wrap")
            return (yield)

    class Broken:
        name = "broken"

        @qf.hookimpl(tryfirst=True)
        def qualityflow_transitioned(self, entity: Any, record: Any) -> None:
            calls.append("broken")
            raise ValueError("boom")

    class Fine:
        name = "fine"

        @qf.hookimpl
        def qualityflow_transitioned(self, entity: Any, record: Any) -> None:
            calls.append("fine")

    plugins = make_plugins([Fine(), Around(), Broken()], load_entry_points=False)
    plugins.transitioned(object(), object())  # type: ignore[arg-type]
    assert calls == ["wrap", "broken", "wrap", "fine"]
