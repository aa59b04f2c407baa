"""Signed webhooks and apprise, delivered to a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import qualityflow as qf
from qualityflow.notify import EVENT_HEADER, ID_HEADER, SIGNATURE_HEADER

AT = datetime(2026, 5, 11, 9, 15, tzinfo=timezone.utc)
SECRET = "tissue-mill-webhook-7f3a9c"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """The recall desk's HTTP endpoint: records every request, answers ``status``."""

    port: int
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0

    def url(self, path: str = "/qms/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    state = Receiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.requests.append(
                Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            time.sleep(state.delay)
            reply = b'{"ok": true}' if state.status < 300 else b"database is locked"
            try:
                self.send_response(state.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the notifier gave up waiting (the timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wet_strength_incident(**changes: Any) -> qf.Notification:
    data: dict[str, Any] = {
        "kind": "transition",
        "subject_kind": "incident",
        "subject_id": "INC-PM2-0042",
        "title": "INC-PM2-0042 contained: wet strength below spec on PM2",
        "body": "Reels PM2-R1180 to PM2-R1186 quarantined in warehouse B.",
        "severity": "major",
        "recipients": ["#pm2-quality"],
        "at": AT,
        "id": "ntf-pm2-0042-3",
    }
    data.update(changes)
    return qf.Notification(**data)


# --- webhook -----------------------------------------------------------------------------


def test_the_recall_desk_receives_a_signed_json_notification(receiver: Receiver) -> None:
    notifier = qf.WebhookNotifier(
        receiver.url(), secret=SECRET, headers={"Authorization": "Bearer desk-token"}
    )
    sent = wet_strength_incident()

    notifier.qualityflow_notify(sent)

    [request] = receiver.requests
    assert request.path == "/qms/hook"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == "Bearer desk-token"
    assert request.headers[EVENT_HEADER.lower()] == "transition"
    assert request.headers[ID_HEADER.lower()] == "ntf-pm2-0042-3"
    # the receiver checks the signature over the raw body, before parsing it
    signature = request.headers[SIGNATURE_HEADER.lower()]
    assert signature.startswith("sha256=")
    assert qf.verify_signature(request.body, signature, SECRET)
    assert not qf.verify_signature(request.body, signature, "another-plant-secret")
    assert not qf.verify_signature(request.body.replace(b"R1186", b"R1187"), signature, SECRET)
    assert qf.Notification.model_validate_json(request.body) == sent
    assert json.loads(request.body)["severity"] == "major"


def test_without_a_secret_no_signature_is_sent(receiver: Receiver) -> None:
    qf.WebhookNotifier(receiver.url()).qualityflow_notify(wet_strength_incident(id=None))

    [request] = receiver.requests
    assert SIGNATURE_HEADER.lower() not in request.headers
    assert ID_HEADER.lower() not in request.headers
    assert not qf.verify_signature(request.body, request.headers.get("x"), SECRET)


def test_a_500_answer_raises_so_the_service_retries(receiver: Receiver) -> None:
    receiver.status = 500
    notifier = qf.WebhookNotifier(receiver.url(), secret=SECRET)

    with pytest.raises(qf.DeliveryError) as caught:
        notifier.qualityflow_notify(wet_strength_incident())

    message = str(caught.value)
    assert "500" in message and "database is locked" in message
    assert f"127.0.0.1:{receiver.port}" in message
    assert SECRET not in message
    assert len(receiver.requests) == 1

    receiver.status = 204  # the desk is back: the retry goes through
    notifier.qualityflow_notify(wet_strength_incident())
    assert len(receiver.requests) == 2


def test_a_receiver_that_is_down_raises_an_error_naming_host_and_port() -> None:
    port = closed_port()
    notifier = qf.WebhookNotifier(f"http://127.0.0.1:{port}/hook?token=desk-token", secret=SECRET)

    with pytest.raises(qf.DeliveryError) as caught:
        notifier.qualityflow_notify(wet_strength_incident())

    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message
    assert "connection failed" in message
    assert "desk-token" not in message and SECRET not in message


def test_a_slow_receiver_times_out_with_a_clear_error(receiver: Receiver) -> None:
    receiver.delay = 1.0
    notifier = qf.WebhookNotifier(receiver.url(), timeout=0.2)

    with pytest.raises(qf.DeliveryError, match=r"no answer within 0\.2 s"):
        notifier.qualityflow_notify(wet_strength_incident())


def test_secrets_stay_out_of_the_repr() -> None:
    notifier = qf.WebhookNotifier(
        "https://desk:pa55word@qms.example/hooks/0123456789abcdefXYZ?key=k3y", secret=SECRET
    )

    text = repr(notifier)
    for secret in ("pa55word", "0123456789abcdefXYZ", "k3y", SECRET):
        assert secret not in text
    assert "qms.example" in text


@pytest.mark.parametrize("url", ["ftp://qms.example/hook", "qms.example/hook", ""])
def test_a_webhook_url_must_be_http(url: str) -> None:
    with pytest.raises(qf.NotifierConfigError, match="http"):
        qf.WebhookNotifier(url)


def test_notifiers_run_through_a_pluggy_manager_like_any_plugin(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    import pluggy

    pm = pluggy.PluginManager("qualityflow")
    pm.register(qf.LoggingNotifier())
    pm.register(qf.WebhookNotifier(receiver.url(), secret=SECRET))

    with caplog.at_level("INFO", logger="qualityflow.notify"):
        pm.hook.qualityflow_notify(notification=wet_strength_incident())

    assert len(receiver.requests) == 1
    assert any("INC-PM2-0042 contained" in r.getMessage() for r in caplog.records)


def test_webhook_settings_from_the_environment(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUALITYFLOW_WEBHOOK_URL", receiver.url("/from-env"))
    monkeypatch.setenv("QUALITYFLOW_WEBHOOK_SECRET", SECRET)
    for name in ("QUALITYFLOW_SMTP_HOST", "QUALITYFLOW_APPRISE_URLS"):
        monkeypatch.delenv(name, raising=False)

    [logger, hook] = qf.builtin_notifiers()
    assert isinstance(logger, qf.LoggingNotifier) and isinstance(hook, qf.WebhookNotifier)
    hook.qualityflow_notify(wet_strength_incident())

    [request] = receiver.requests
    assert request.path == "/from-env"
    assert qf.verify_signature(request.body, request.headers["x-qualityflow-signature"], SECRET)


# --- apprise -----------------------------------------------------------------------------

try:
    import apprise  # noqa: F401

    HAVE_APPRISE = True
except ImportError:
    HAVE_APPRISE = False

_skip_without_apprise = pytest.mark.skipif(
    not HAVE_APPRISE, reason="apprise is not installed (pip install 'qualityflow[notify]')"
)
_apprise_own_warning = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated")


def needs_apprise(test: Any) -> Any:
    return _skip_without_apprise(_apprise_own_warning(test))


@needs_apprise
def test_apprise_delivers_to_a_json_endpoint(receiver: Receiver) -> None:
    notifier = qf.AppriseNotifier(f"json://127.0.0.1:{receiver.port}/chat")

    notifier.qualityflow_notify(wet_strength_incident(severity="critical"))

    [request] = receiver.requests
    assert request.path == "/chat"
    payload = json.loads(request.body)
    assert payload["title"] == (
        "[qualityflow][critical] INC-PM2-0042 contained: wet strength below spec on PM2"
    )
    assert "Reels PM2-R1180 to PM2-R1186 quarantined" in payload["message"]
    assert payload["type"] == "failure"


@needs_apprise
def test_apprise_reaches_several_services_from_one_setting(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = f"json://127.0.0.1:{receiver.port}"
    monkeypatch.setenv("QUALITYFLOW_APPRISE_URLS", f"{base}/wecom, {base}/dingtalk")
    for name in ("QUALITYFLOW_SMTP_HOST", "QUALITYFLOW_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)

    [_, chat] = qf.builtin_notifiers()
    assert isinstance(chat, qf.AppriseNotifier)
    chat.qualityflow_notify(wet_strength_incident(severity="minor"))

    assert sorted(r.path for r in receiver.requests) == ["/dingtalk", "/wecom"]
    assert {json.loads(r.body)["type"] for r in receiver.requests} == {"info"}


@needs_apprise
def test_apprise_failure_raises_and_names_the_service(receiver: Receiver) -> None:
    receiver.status = 500
    notifier = qf.AppriseNotifier(f"json://127.0.0.1:{receiver.port}/chat")

    with pytest.raises(qf.DeliveryError) as caught:
        notifier.qualityflow_notify(wet_strength_incident())

    assert f"127.0.0.1:{receiver.port}" in str(caught.value)
    assert "1 of 1 service(s) failed" in str(caught.value)


@needs_apprise
def test_apprise_service_down_raises() -> None:
    port = closed_port()
    notifier = qf.AppriseNotifier(f"json://127.0.0.1:{port}/chat")

    with pytest.raises(qf.DeliveryError, match=f"127.0.0.1:{port}"):
        notifier.qualityflow_notify(wet_strength_incident())


@needs_apprise
def test_apprise_refuses_an_unknown_url_without_showing_its_secret() -> None:
    with pytest.raises(qf.NotifierConfigError) as caught:
        qf.AppriseNotifier("nosuchservice://bot:pa55word@chat.example/room")
    assert "pa55word" not in str(caught.value)
    assert "chat.example" in str(caught.value)


@needs_apprise
def test_apprise_hides_chat_tokens_in_its_repr() -> None:
    # wecombot:// takes the bot key as its host; constructing it makes no request
    notifier = qf.AppriseNotifier("wecombot://0a1b2c3d4e5f60718293a4b5c6d7e8f9")
    assert "0a1b2c3d4e5f60718293a4b5c6d7e8f9" not in repr(notifier)
    assert repr(notifier).startswith("AppriseNotifier(urls=['wecombot://")


def test_without_apprise_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)  # import apprise now fails

    with pytest.raises(qf.NotifierConfigError, match=r"pip install 'qualityflow\[notify\]'"):
        qf.AppriseNotifier("json://127.0.0.1:9/chat")


# --- through the service: a failed delivery is kept and retried ----------------------------


def test_a_failed_webhook_is_retried_by_the_service_without_undoing_the_change(
    receiver: Receiver,
) -> None:
    if not hasattr(qf, "QualityFlow"):
        pytest.skip("qf.QualityFlow (the service, issue 5) is not importable yet")
    hook = qf.WebhookNotifier(receiver.url(), secret=SECRET)
    qms = qf.QualityFlow("memory://", plugins=[hook])
    qms.incidents.add(
        qf.Incident(
            id="INC-PM2-0050",
            title="Reel core crushed in transport",
            severity="minor",
            reported_at=AT,
            reported_by="warehouse B",
            batch_ids=[],
        )
    )
    receiver.status = 503  # the recall desk's server is being updated

    cancelled = qms.incidents.fire(
        "INC-PM2-0050", "cancel", actor="qa", note="damage happened at the customer's site"
    )

    assert cancelled.status == "cancelled"
    assert qms.incidents.get("INC-PM2-0050").status == "cancelled"
    assert len(receiver.requests) == 1
    assert qms.deliver_pending() != []  # still down: kept for later
    assert len(receiver.requests) == 2

    receiver.status = 200
    assert qms.deliver_pending() == []
    first, retried = receiver.requests[0], receiver.requests[-1]
    assert retried.body == first.body
    assert retried.headers[ID_HEADER.lower()] == first.headers[ID_HEADER.lower()]
    assert qf.verify_signature(retried.body, retried.headers["x-qualityflow-signature"], SECRET)
    assert "INC-PM2-0050" in qf.Notification.model_validate_json(retried.body).subject_id
    assert qms.deliver_pending() == []  # delivered once, never again
    assert len(receiver.requests) == 3
