"""E-mail notifications, delivered to a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

import qualityflow as qf

AT = datetime(2026, 3, 4, 14, 30, tzinfo=timezone.utc)
PASSWORD = "Fl0ur-Silo-7!"

# the test relay takes a login without TLS (no certificate on a test box); aiosmtpd warns
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class Mailbox:
    """Collects what the plant's mail relay received; can refuse some recipients."""

    mails: list[Mail] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@dataclass
class Relay:
    host: str
    port: int
    mailbox: Mailbox


def _start(mailbox: Mailbox, **smtp_kwargs: Any) -> tuple[Controller, Relay]:
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **smtp_kwargs)
    controller.start()
    return controller, Relay("127.0.0.1", port, mailbox)


@pytest.fixture
def relay() -> Iterator[Relay]:
    """The plant's mail relay: plain SMTP, no login."""
    controller, relay = _start(Mailbox())
    yield relay
    controller.stop()


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"qms"
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def submission_server() -> Iterator[Relay]:
    """An office mail server that wants a login (allowed without TLS on the test box)."""
    controller, relay = _start(
        Mailbox(), authenticator=_authenticate, auth_required=True, auth_require_tls=False
    )
    yield relay
    controller.stop()


def metal_fragment_recall(**changes: Any) -> qf.Notification:
    data: dict[str, Any] = {
        "kind": "recall",
        "subject_kind": "incident",
        "subject_id": "INC-2026-014",
        "title": "Recall decided: metal fragment in butter biscuits",
        "body": "Batches BISC-0301 and BISC-0302 are recalled; 3 customers in 2 regions.",
        "severity": "critical",
        "recipients": ["recall-desk@biscuits.example", "QA lead"],
        "at": AT,
        "id": "ntf-0007",
    }
    data.update(changes)
    return qf.Notification(**data)


def test_the_qa_team_receives_a_readable_recall_mail(relay: Relay) -> None:
    notifier = qf.EmailNotifier(
        relay.host,
        relay.port,
        sender="qms@biscuits.example",
        recipients=["qa-team@biscuits.example"],
    )

    notifier.qualityflow_notify(metal_fragment_recall())

    [mail] = relay.mailbox.mails
    assert mail.sender == "qms@biscuits.example"
    # the fixed list plus the notification's own addresses; "QA lead" is not an address
    assert mail.recipients == ["qa-team@biscuits.example", "recall-desk@biscuits.example"]
    assert mail.message["Subject"] == (
        "[qualityflow][critical] Recall decided: metal fragment in butter biscuits "
        "(incident INC-2026-014)"
    )
    assert mail.message["To"] == "qa-team@biscuits.example, recall-desk@biscuits.example"
    assert mail.message["X-QualityFlow-Event"] == "recall"
    assert mail.message.get_content_type() == "text/plain"
    text = mail.message.get_content()
    assert "Batches BISC-0301 and BISC-0302 are recalled" in text
    assert "Record: incident INC-2026-014" in text
    assert "Severity: critical" in text
    assert "Notification id: ntf-0007" in text


def test_a_title_with_line_breaks_cannot_inject_mail_headers(relay: Relay) -> None:
    notifier = qf.EmailNotifier(
        relay.host, relay.port, sender="qms@biscuits.example", recipients=["qa@biscuits.example"]
    )
    sneaky = metal_fragment_recall(title="Oven 3 alarm\r\nBcc: everyone@biscuits.example")

    notifier.qualityflow_notify(sneaky)

    [mail] = relay.mailbox.mails
    assert mail.message["Bcc"] is None
    assert mail.recipients == ["qa@biscuits.example", "recall-desk@biscuits.example"]
    assert "Oven 3 alarm Bcc: everyone@biscuits.example" in mail.message["Subject"]


def test_each_address_gets_the_mail_once(relay: Relay) -> None:
    notifier = qf.EmailNotifier(
        relay.host, relay.port, sender="qms@mill.example", recipients=iter(["QA@mill.example"])
    )

    notifier.qualityflow_notify(metal_fragment_recall(recipients=["qa@mill.example"]))

    assert relay.mailbox.mails[0].recipients == ["QA@mill.example"]


def test_login_with_the_right_password_delivers(submission_server: Relay) -> None:
    notifier = qf.EmailNotifier(
        submission_server.host,
        submission_server.port,
        sender="qms@biscuits.example",
        recipients=["qa@biscuits.example"],
        username="qms",
        password=PASSWORD,
    )

    notifier.qualityflow_notify(metal_fragment_recall())

    assert len(submission_server.mailbox.mails) == 1


def test_a_refused_login_names_the_user_but_never_the_password(submission_server: Relay) -> None:
    notifier = qf.EmailNotifier(
        submission_server.host,
        submission_server.port,
        sender="qms@biscuits.example",
        recipients=["qa@biscuits.example"],
        username="qms",
        password="wrong-" + PASSWORD,
    )

    with pytest.raises(qf.DeliveryError) as caught:
        notifier.qualityflow_notify(metal_fragment_recall())

    message = str(caught.value)
    assert "'qms'" in message and "refused" in message
    assert f"127.0.0.1:{submission_server.port}" in message
    assert PASSWORD not in message and PASSWORD not in repr(notifier)
    assert "password='***'" in repr(notifier)
    assert submission_server.mailbox.mails == []


def test_a_server_that_is_down_raises_an_error_naming_host_and_port() -> None:
    port = free_port()  # nothing listens there any more
    notifier = qf.EmailNotifier(
        "127.0.0.1", port, sender="qms@biscuits.example", recipients=["qa@biscuits.example"]
    )

    with pytest.raises(qf.DeliveryError) as caught:
        notifier.qualityflow_notify(metal_fragment_recall())

    assert caught.value.target == f"smtp://127.0.0.1:{port}"
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "connection refused" in str(caught.value)


def test_a_refused_recipient_is_named(relay: Relay) -> None:
    relay.mailbox.refuse.add("left-the-company@biscuits.example")
    notifier = qf.EmailNotifier(
        relay.host,
        relay.port,
        sender="qms@biscuits.example",
        recipients=["left-the-company@biscuits.example"],
    )

    with pytest.raises(qf.DeliveryError, match=r"left-the-company@biscuits\.example"):
        notifier.qualityflow_notify(metal_fragment_recall(recipients=[]))
    assert relay.mailbox.mails == []


def test_no_recipient_at_all_is_a_delivery_error_saying_how_to_fix_it(relay: Relay) -> None:
    notifier = qf.EmailNotifier(relay.host, relay.port, sender="qms@biscuits.example")

    with pytest.raises(qf.DeliveryError, match="QUALITYFLOW_SMTP_TO"):
        notifier.qualityflow_notify(metal_fragment_recall(recipients=["QA lead"]))
    assert relay.mailbox.mails == []


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"sender": "quality department"}, "not an e-mail address"),
        ({"sender": "qms@x.example", "recipients": "qa@x.example"}, "list of e-mail addresses"),
        ({"sender": "qms@x.example", "recipients": iter(["QA lead"])}, "not e-mail addresses"),
        ({"sender": "qms@x.example", "recipients": ["QA lead"]}, "QA lead"),
        ({"sender": "qms@x.example", "starttls": True, "ssl": True}, "not both"),
        ({"sender": "qms@x.example", "password": PASSWORD}, "without a username"),
    ],
)
def test_a_misconfigured_mail_notifier_is_refused_at_once(
    kwargs: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(qf.NotifierConfigError, match=fragment) as caught:
        qf.EmailNotifier("mail.biscuits.example", 25, **kwargs)
    assert PASSWORD not in str(caught.value)


def test_settings_from_the_environment_reach_the_relay(
    relay: Relay, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUALITYFLOW_SMTP_HOST", relay.host)
    monkeypatch.setenv("QUALITYFLOW_SMTP_PORT", str(relay.port))
    monkeypatch.setenv("QUALITYFLOW_SMTP_FROM", "qms@tissue-mill.example")
    monkeypatch.setenv(
        "QUALITYFLOW_SMTP_TO", "shift-lead@tissue-mill.example, qa@tissue-mill.example"
    )
    for name in ("QUALITYFLOW_WEBHOOK_URL", "QUALITYFLOW_APPRISE_URLS", "QUALITYFLOW_SMTP_USER"):
        monkeypatch.delenv(name, raising=False)

    notifiers = qf.builtin_notifiers()
    mailer = next(n for n in notifiers if isinstance(n, qf.EmailNotifier))
    mailer.qualityflow_notify(
        metal_fragment_recall(
            kind="overdue",
            subject_id="INC-2026-020",
            title="Containment overdue: wet-strength drift on PM2",
            severity="major",
            recipients=[],
        )
    )

    [mail] = relay.mailbox.mails
    assert mail.sender == "qms@tissue-mill.example"
    assert mail.recipients == ["shift-lead@tissue-mill.example", "qa@tissue-mill.example"]
    assert mail.message["Subject"].startswith("[qualityflow][major] Containment overdue")


# --- TLS: STARTTLS (587) and SMTPS (465) with a certificate from the plant's own CA -------


@dataclass
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1, as a plant's internal CA would issue."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed; it makes the test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "relay.pem", folder / "relay.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
         "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return Certificate(cert, key)


def test_starttls_login_and_delivery_with_the_plants_ca(certificate: Certificate) -> None:
    controller, relay = _start(
        Mailbox(),
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=_authenticate,
        auth_required=True,
    )
    try:
        notifier = qf.EmailNotifier(
            relay.host,
            relay.port,
            sender="qms@biscuits.example",
            recipients=["qa@biscuits.example"],
            username="qms",
            password=PASSWORD,
            starttls=True,
            ssl_context=certificate.client_context(),
        )
        notifier.qualityflow_notify(metal_fragment_recall())
    finally:
        controller.stop()

    [mail] = relay.mailbox.mails
    assert mail.message["Subject"].startswith("[qualityflow][critical] Recall decided")


def test_an_untrusted_certificate_is_refused_with_a_hint(certificate: Certificate) -> None:
    controller, relay = _start(
        Mailbox(), tls_context=certificate.server_context(), require_starttls=True
    )
    try:
        notifier = qf.EmailNotifier(  # the system's CAs do not know the plant's CA
            relay.host,
            relay.port,
            sender="qms@biscuits.example",
            recipients=["qa@biscuits.example"],
            starttls=True,
        )
        with pytest.raises(qf.DeliveryError, match=r"not trusted.*cafile"):
            notifier.qualityflow_notify(metal_fragment_recall())
    finally:
        controller.stop()
    assert relay.mailbox.mails == []


def test_smtps_implicit_tls(certificate: Certificate) -> None:
    port = free_port()
    mailbox = Mailbox()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, ssl_context=certificate.server_context()
    )
    controller.start()
    try:
        qf.EmailNotifier(
            "127.0.0.1",
            port,
            sender="qms@biscuits.example",
            recipients=["qa@biscuits.example"],
            ssl=True,
            ssl_context=certificate.client_context(),
        ).qualityflow_notify(metal_fragment_recall())
    finally:
        controller.stop()

    assert len(mailbox.mails) == 1
