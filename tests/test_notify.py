"""The default logging notifier, the settings that pick notifiers, signatures and masking."""

from __future__ import annotations

import logging
import string
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import qualityflow as qf
from qualityflow.notify import mask_url, sign

AT = datetime(2026, 6, 1, 22, 40, tzinfo=timezone.utc)


def teddy_bear_notification(**changes: Any) -> qf.Notification:
    data: dict[str, Any] = {
        "kind": "transition",
        "subject_kind": "complaint",
        "subject_id": "CMP-TOY-311",
        "title": "CMP-TOY-311 acknowledged: eye of a plush bear came loose",
        "body": "Customer called back within 2 h;\nsample requested.",
        "at": AT,
    }
    data.update(changes)
    return qf.Notification(**data)


# --- logging -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        ("critical", logging.ERROR),
        ("major", logging.WARNING),
        ("minor", logging.INFO),
        (None, logging.INFO),
    ],
)
def test_the_log_level_follows_severity(
    severity: str | None, level: int, caplog: pytest.LogCaptureFixture
) -> None:
    sent = teddy_bear_notification(severity=severity)

    with caplog.at_level(logging.DEBUG, logger="qualityflow.notify"):
        qf.LoggingNotifier().qualityflow_notify(sent)

    [record] = caplog.records
    assert record.name == "qualityflow.notify"
    assert record.levelno == level
    assert "eye of a plush bear came loose" in record.getMessage()
    assert "sample requested" in record.getMessage()
    assert "\n" not in record.getMessage()  # one line per notification in the log
    assert record.notification == sent  # type: ignore[attr-defined]


def test_an_application_can_route_notifications_to_its_own_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="toyfactory.qms"):
        qf.LoggingNotifier("toyfactory.qms").qualityflow_notify(teddy_bear_notification())

    assert [r.name for r in caplog.records] == ["toyfactory.qms"]


# --- settings ----------------------------------------------------------------------------


def test_logging_is_always_on_and_nothing_else_without_settings() -> None:
    notifiers = qf.builtin_notifiers({})

    assert [type(n) for n in notifiers] == [qf.LoggingNotifier]


@pytest.mark.filterwarnings("ignore:'imghdr' is deprecated")
def test_every_configured_channel_is_built_in_a_fixed_order() -> None:
    pytest.importorskip("apprise", reason="apprise is not installed (extra 'notify')")
    settings = {
        "QUALITYFLOW_SMTP_HOST": "mail.toys.example",
        "QUALITYFLOW_SMTP_PORT": "587",
        "QUALITYFLOW_SMTP_FROM": "qms@toys.example",
        "QUALITYFLOW_SMTP_TO": "qa@toys.example,plant-manager@toys.example",
        "QUALITYFLOW_SMTP_USER": "qms",
        "QUALITYFLOW_SMTP_PASSWORD": "Teddy-Bear-42",
        "QUALITYFLOW_SMTP_STARTTLS": "yes",
        "QUALITYFLOW_WEBHOOK_URL": "https://mes.toys.example/qms-events",
        "QUALITYFLOW_WEBHOOK_SECRET": "hook-secret-99",
        "QUALITYFLOW_APPRISE_URLS": "json://127.0.0.1:9/chat",
    }

    notifiers = qf.builtin_notifiers(settings)

    assert [type(n).__name__ for n in notifiers] == [
        "LoggingNotifier",
        "EmailNotifier",
        "WebhookNotifier",
        "AppriseNotifier",
    ]
    mailer = notifiers[1]
    assert isinstance(mailer, qf.EmailNotifier)
    assert (mailer.host, mailer.port, mailer.starttls) == ("mail.toys.example", 587, True)
    assert mailer.recipients == ["qa@toys.example", "plant-manager@toys.example"]
    shown = repr(notifiers)
    assert "Teddy-Bear-42" not in shown and "hook-secret-99" not in shown


def test_empty_values_count_as_unset() -> None:
    settings = {"QUALITYFLOW_SMTP_HOST": " ", "QUALITYFLOW_WEBHOOK_URL": ""}

    assert [type(n) for n in qf.builtin_notifiers(settings)] == [qf.LoggingNotifier]


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"QUALITYFLOW_SMTP_HOST": "mail.toys.example"}, "QUALITYFLOW_SMTP_FROM"),
        (
            {
                "QUALITYFLOW_SMTP_HOST": "mail.toys.example",
                "QUALITYFLOW_SMTP_FROM": "qms@toys.example",
                "QUALITYFLOW_SMTP_PORT": "smtp",
            },
            "QUALITYFLOW_SMTP_PORT='smtp' is not a number",
        ),
        (
            {
                "QUALITYFLOW_SMTP_HOST": "mail.toys.example",
                "QUALITYFLOW_SMTP_FROM": "qms@toys.example",
                "QUALITYFLOW_SMTP_STARTTLS": "maybe",
            },
            "QUALITYFLOW_SMTP_STARTTLS='maybe' is not a yes/no value",
        ),
        ({"QUALITYFLOW_WEBHOOK_URL": "mes.toys.example/hook"}, "not an http"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(
    settings: dict[str, str], fragment: str
) -> None:
    with pytest.raises(qf.NotifierConfigError, match=fragment):
        qf.builtin_notifiers(settings)


def test_every_setting_read_is_documented_in_the_settings_table() -> None:
    from pathlib import Path

    from qualityflow.notify import SETTINGS

    docs = (Path(__file__).parents[1] / "docs" / "notifications.md").read_text()
    assert set(SETTINGS) >= {
        "QUALITYFLOW_SMTP_HOST",
        "QUALITYFLOW_SMTP_PORT",
        "QUALITYFLOW_SMTP_FROM",
        "QUALITYFLOW_SMTP_TO",
        "QUALITYFLOW_WEBHOOK_URL",
        "QUALITYFLOW_WEBHOOK_SECRET",
        "QUALITYFLOW_APPRISE_URLS",
    }
    assert [key for key in SETTINGS if key not in docs] == []


# --- signatures and masking (properties) -------------------------------------------------

secrets = st.text(min_size=1, max_size=40)
bodies = st.binary(max_size=300)


@given(body=bodies, secret=secrets)
def test_a_signature_made_with_the_secret_verifies(body: bytes, secret: str) -> None:
    assert qf.verify_signature(body, sign(body, secret), secret)
    assert qf.verify_signature(body, f"  {sign(body, secret).upper()}\n", secret)


@given(body=bodies, other=bodies, secret=secrets, guess=secrets)
def test_a_changed_body_or_wrong_secret_never_verifies(
    body: bytes, other: bytes, secret: str, guess: str
) -> None:
    header = sign(body, secret)
    if other != body:
        assert not qf.verify_signature(other, header, secret)
    if guess != secret:
        assert not qf.verify_signature(body, header, guess)
    assert not qf.verify_signature(body, header.removeprefix("sha256="), secret)
    assert not qf.verify_signature(body, "", secret)


token_chars = string.ascii_letters + string.digits + "-_.~"
tokens = st.text(alphabet=token_chars, min_size=6, max_size=30).filter(
    lambda t: any(c.isdigit() for c in t) and any(c.isalpha() for c in t)
)


@given(password=tokens, key=tokens, path_token=tokens.filter(lambda t: len(t) >= 16))
def test_masked_urls_never_show_passwords_keys_or_path_tokens(
    password: str, key: str, path_token: str
) -> None:
    url = f"https://bot:{password}@hooks.plant.example:8443/hook/{path_token}?key={key}"

    masked = mask_url(url)

    for secret in {password, key, path_token}:
        assert secret not in masked.replace("hooks.plant.example", "")
    assert masked.startswith("https://bot:***@hooks.plant.example:8443/hook/")


@given(title=st.text(max_size=80), body=st.text(max_size=200))
def test_the_subject_is_always_one_line_and_names_the_record(title: str, body: str) -> None:
    from qualityflow.notify._base import plain_text, subject_line

    sent = teddy_bear_notification(title=title, body=body, severity="minor")

    subject = subject_line(sent)
    assert "\n" not in subject and "\r" not in subject
    assert subject.startswith("[qualityflow][minor] ")
    assert "CMP-TOY-311" in subject
    assert "Record: complaint CMP-TOY-311" in plain_text(sent)
