"""The example plugin in examples/plugins/qualityflow-wecom-demo, installed as a user would.

The test fakes what ``pip install`` leaves behind (the module and its ``.dist-info`` with
``entry_points.txt``) in a temporary directory on ``sys.path``, so it needs no network and
no build backend, and checks that qualityflow finds and uses it.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import qualityflow as qf

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser from PyPI
    tomllib = pytest.importorskip("tomli", reason="reading pyproject.toml needs tomli on 3.10")

PLUGIN_DIR = Path(__file__).parents[1] / "examples" / "plugins" / "qualityflow-wecom-demo"
MODULE = "qualityflow_wecom_demo"
AT = datetime(2026, 3, 4, 14, 30, tzinfo=timezone.utc)


@dataclass
class WeComRobot:
    """A stand-in for WeCom's group-robot endpoint on 127.0.0.1."""

    port: int = 0
    messages: list[dict[str, Any]] = field(default_factory=list)
    errcode: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cgi-bin/webhook/send?key=robot-key-1f2e3d4c"


@pytest.fixture
def robot(monkeypatch: pytest.MonkeyPatch) -> Iterator[WeComRobot]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    state = WeComRobot()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.messages.append(json.loads(body))
            errmsg = "ok" if state.errcode == 0 else "invalid webhook url"
            reply = json.dumps({"errcode": state.errcode, "errmsg": errmsg}).encode()
            self.send_response(200)  # WeCom reports errors in the body, not the status
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("QUALITYFLOW_WECOM_WEBHOOK_URL", state.url)
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The plugin as ``pip install`` would leave it: module plus dist-info, on sys.path."""
    project = tomllib.loads((PLUGIN_DIR / "pyproject.toml").read_text())["project"]
    site = tmp_path / "site-packages"
    site.mkdir()
    shutil.copy(PLUGIN_DIR / f"{MODULE}.py", site)
    dist_info = site / f"{MODULE}-{project['version']}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    entry_points = "".join(
        f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in points.items())
        for group, points in project["entry-points"].items()
    )
    (dist_info / "entry_points.txt").write_text(entry_points)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    yield site
    sys.modules.pop(MODULE, None)


def recall_notification() -> qf.Notification:
    return qf.Notification(
        kind="recall",
        subject_kind="incident",
        subject_id="INC-2026-014",
        title="Recall decided: metal fragment in butter biscuits",
        body="Batches BISC-0301 and BISC-0302 are recalled.",
        severity="critical",
        at=AT,
    )


def test_the_entry_point_is_declared_in_the_plugins_own_pyproject() -> None:
    project = tomllib.loads((PLUGIN_DIR / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["qualityflow"] == {"wecom_demo": MODULE}
    assert (PLUGIN_DIR / "README.md").is_file()


def test_the_installed_plugin_is_found_in_the_qualityflow_group(installed: Path) -> None:
    found = {ep.name: ep for ep in importlib.metadata.entry_points(group="qualityflow")}

    assert "wecom_demo" in found
    assert found["wecom_demo"].value == MODULE
    assert found["wecom_demo"].dist is not None
    assert found["wecom_demo"].dist.name == "qualityflow-wecom-demo"
    plugin = found["wecom_demo"].load()
    assert isinstance(plugin, ModuleType)
    assert Path(plugin.__file__ or "").parent == installed


def test_the_plugin_posts_a_wecom_markdown_message(installed: Path, robot: WeComRobot) -> None:
    plugin = importlib.metadata.entry_points(group="qualityflow")["wecom_demo"].load()

    plugin.qualityflow_notify(notification=recall_notification())

    [message] = robot.messages
    assert message["msgtype"] == "markdown"
    content = message["markdown"]["content"]
    assert content.startswith("### Recall decided: metal fragment in butter biscuits")
    assert '<font color="warning">critical</font>' in content
    assert "incident INC-2026-014" in content
    assert "BISC-0302 are recalled" in content


def test_a_wecom_error_code_raises_without_showing_the_robot_key(
    installed: Path, robot: WeComRobot
) -> None:
    plugin = importlib.metadata.entry_points(group="qualityflow")["wecom_demo"].load()
    robot.errcode = 93000

    with pytest.raises(qf.DeliveryError, match="WeCom error 93000") as caught:
        plugin.qualityflow_notify(notification=recall_notification())
    assert "robot-key-1f2e3d4c" not in str(caught.value)
    assert f"127.0.0.1:{robot.port}" in str(caught.value)


def test_a_quality_flow_service_loads_the_plugin_and_notifies_through_it(
    installed: Path, robot: WeComRobot
) -> None:
    if not hasattr(qf, "QualityFlow"):
        pytest.skip("qf.QualityFlow (the service, issue 5) is not importable yet")
    qms = qf.QualityFlow("memory://")
    qms.incidents.add(
        qf.Incident(
            id="INC-2026-031",
            title="Foreign body reported on line L2",
            severity="minor",
            reported_at=AT,
            reported_by="line lead L2",
            batch_ids=[],
        )
    )

    qms.incidents.fire("INC-2026-031", "cancel", actor="qa", note="duplicate of INC-2026-030")

    contents = [m["markdown"]["content"] for m in robot.messages]
    assert any("INC-2026-031" in c for c in contents), contents
