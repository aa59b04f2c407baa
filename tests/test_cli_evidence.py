"""``qualityflow evidence add`` and ``evidence verify`` on the demo week's database."""

from __future__ import annotations

from pathlib import Path

import qualityflow as qf
from qualityflow.people import policies
from test_cli import db, demo_file, run

__all__ = ["db", "demo_file"]  # test_cli's fixtures, reused


def test_a_photo_is_attached_to_the_closed_incidents_verification(db: str, tmp_path: Path) -> None:
    photo = tmp_path / "capper.jpg"
    photo.write_bytes(b"\xff\xd8 the capper after the fix")
    code, out, err = run(
        "evidence", "add", str(photo), "--to", "INC-5", "--part", "verification",
        "--actor", "QA Lena", "--reason", "photo of the fixed capper", "--db", db,
    )  # fmt: skip
    assert code == 0, err
    assert "INC-5: capper.jpg attached" in out and "by QA Lena" in out
    with qf.QualityFlow(db, load_entry_points=False) as qms:
        incident = qms.incidents.get("INC-5")
        assert incident.verification is not None
        (ev,) = incident.verification.attachments
        assert ev.media_type == "image/jpeg" and ev.by == "QA Lena"
        assert incident.amendments[-1].reason == "photo of the fixed capper"
        assert qms.audit.verify(blobs=True).ok
    code, out, _ = run("evidence", "verify", "--db", db)
    assert code == 0 and "1 evidence file(s) re-hashed, 0 missing or altered" in out
    Path(ev.uri.removeprefix("file://")).write_bytes(b"retouched")
    code, out, _ = run("evidence", "verify", "--to", "INC-5", "--db", db)
    assert code == 1 and "INC-5" in out and "capper.jpg" in out and "altered" in out


def test_a_contact_gets_the_customers_photo_with_its_media_type(db: str, tmp_path: Path) -> None:
    shot = tmp_path / "shot.bin"
    shot.write_bytes(b"photo")
    code, _, err = run(
        "evidence", "add", str(shot), "--to", "CMP-17", "--part", "contact", "--item", "1",
        "--media-type", "image/webp", "--actor", "Service desk", "--db", db,
    )  # fmt: skip
    assert code == 0, err
    with qf.QualityFlow(db, load_entry_points=False) as qms:
        contact = qms.complaints.get("CMP-17").contacts[0]
        assert [e.media_type for e in contact.attachments] == ["image/webp"]


def test_mistakes_exit_with_the_documented_codes(db: str, tmp_path: Path) -> None:
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"x")
    missing = tmp_path / "nowhere.jpg"
    code, _, err = run(
        "evidence", "add", str(missing), "--to", "INC-5", "--actor", "QA", "--db", db
    )
    assert code == 2 and str(missing) in err
    code, _, err = run(
        "evidence", "add", str(photo), "--to", "INC-404", "--actor", "QA", "--db", db
    )
    assert code == 3 and "INC-404" in err
    code, _, err = run(
        "evidence", "add", str(photo), "--to", "INC-5", "--part", "label", "--actor", "QA",
        "--db", db,
    )  # fmt: skip
    assert code == 2 and "verification" in err
    code, _, err = run(
        "evidence", "add", str(photo), "--to", "INC-5", "--part", "contact", "--actor", "QA",
        "--db", db,
    )  # fmt: skip
    assert code == 1 and "no part 'contact'" in err
    # nothing was stored for the refused attempts
    assert not any(
        p.is_file() for p in Path(db.removeprefix("sqlite:///") + ".evidence").rglob("*")
    )


def test_a_denied_attachment_exits_5(db: str, tmp_path: Path, monkeypatch: object) -> None:
    from typer.testing import CliRunner

    from qualityflow.cli import _db as cli_db
    from qualityflow.cli import app

    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"x")
    original = cli_db.open_service

    def strict(*args: object, **kwargs: object) -> qf.QualityFlow:
        qms = original(*args, **kwargs)  # type: ignore[arg-type]
        qms.policy = policies.STRICT
        return qms

    import pytest

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("qualityflow.cli.evidence.open_service", strict)
        result = CliRunner().invoke(
            app, ["evidence", "add", str(photo), "--to", "INC-5", "--actor", "tom", "--db", db]
        )
    assert result.exit_code == 5, result.output
    assert "'incident.save'" in result.stderr
    # refused before any byte was stored
    assert not any(Path(db.removeprefix("sqlite:///") + ".evidence").rglob("*"))
