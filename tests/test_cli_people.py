"""The command line under a plant's policy: QUALITYFLOW_POLICY, QUALITYFLOW_ACTORS, --sign.

The story: the QA desk of a jam plant runs the command line under the STRICT preset with
its people listed in a JSON file. An engineer may not close; the QA manager must sign the
close; the signature shows in ``incidents show``. Bad settings stop with exit 2 naming the
variable, never a traceback.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qualityflow as qf
from jam_plant import T0, jam_incident, jam_lot, steps_to_verifying
from qualityflow.cli import app
from qualityflow.models import Signature
from qualityflow.people import Actor, policies

DANA = Actor(id="dana", name="Dana Weber", roles=frozenset({"qa_manager"}))
LENA = Actor(id="lena", name="Lena Ortiz", roles=frozenset({"quality_engineer"}))
PEOPLE = [
    {"id": "dana", "name": "Dana Weber", "roles": ["qa_manager"], "department": "quality"},
    {"id": "lena", "name": "Lena Ortiz", "roles": ["quality_engineer"], "department": "quality"},
]

runner = CliRunner()


def _plant(path: Path) -> None:
    """INC-1, critical, taken to verifying under STRICT by Lena (verify signed)."""
    now = T0 + timedelta(hours=6)
    with qf.QualityFlow(
        f"sqlite:///{path}", policy=policies.STRICT, actors=[DANA, LENA], clock=lambda: now
    ) as qms:
        qms.batches.add(jam_lot())
        qms.incidents.add(jam_incident())
        steps = steps_to_verifying(
            done_at=T0 + timedelta(hours=4), signature=Signature(meaning="actions done")
        )
        for hour, (trigger, data) in enumerate(steps, start=1):
            qms.incidents.fire("INC-1", trigger, actor=LENA, at=T0 + timedelta(hours=hour), **data)


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "jam.db"
    _plant(db)
    people = tmp_path / "people.json"
    people.write_text(json.dumps(PEOPLE), encoding="utf-8")
    monkeypatch.setenv("QUALITYFLOW_URL", f"sqlite:///{db}")
    monkeypatch.setenv("QUALITYFLOW_POLICY", "strict")
    monkeypatch.setenv("QUALITYFLOW_ACTORS", str(people))
    monkeypatch.delenv("QUALITYFLOW_CREDENTIAL", raising=False)
    return tmp_path


CLOSE = json.dumps(
    {
        "verification": {
            "effective": True,
            "evidence": "no chips in 3 weeks",
            "verified_by": "Dana Weber",
            "at": (T0 + timedelta(hours=5, minutes=30)).isoformat(),
        },
        "lessons": ["align cappers weekly"],
    }
)


def _close(*extra: str) -> tuple[int, str, str]:
    at = (T0 + timedelta(hours=6)).isoformat()
    result = runner.invoke(
        app, ["incidents", "fire", "INC-1", "close", "--data", CLOSE, "--at", at, *extra]
    )
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_under_strict_the_engineer_may_not_close_and_the_manager_must_sign(desk: Path) -> None:
    code, _, err = _close("--actor", "lena", "--sign", "approved closure")
    assert code == 5 and "'lena' may not 'incident.close'" in err and "qa_manager" in err
    code, _, err = _close("--actor", "dana")
    assert code != 0 and "signature" in err and "Traceback" not in err
    code, out, err = _close("--actor", "dana", "--sign", "approved closure")
    assert code == 0, err
    assert "close (verifying -> closed) by Dana Weber" in out + err
    result = runner.invoke(app, ["incidents", "show", "INC-1"])
    assert result.exit_code == 0
    assert "approved closure" in result.stdout and "Dana Weber" in result.stdout
    with qf.QualityFlow(f"sqlite:///{desk / 'jam.db'}") as qms:
        record = qms.incidents.get("INC-1").history[-1]
        assert record.signature is not None and record.signature.signer_id == "dana"
        assert record.actor_id == "dana" and qms.audit.verify().ok


def test_the_credential_goes_to_the_plant_s_authentication(
    desk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plant's plugin checks the credential it is handed.
    seen: list[object] = []

    class Passwords:
        @qf.hookimpl
        def qualityflow_authenticate(self, actor: Actor, credential: object) -> bool:
            seen.append(credential)
            return credential == f"pw-{actor.id}"

    import qualityflow.cli._db as cli_db

    real = cli_db.open_service  # a plant's plugin would come in through its entry point

    def with_passwords(db: str | None, *, write: bool, plugins: object = ()) -> qf.QualityFlow:
        return real(db, write=write, plugins=[Passwords()])

    monkeypatch.setattr("qualityflow.cli.cases.open_service", with_passwords)
    monkeypatch.setenv("QUALITYFLOW_CREDENTIAL", "wrong")
    code, _, err = _close("--actor", "dana", "--sign", "approved closure")
    assert code == 5 and "could not be authenticated" in err and seen == ["wrong"]
    monkeypatch.setenv("QUALITYFLOW_CREDENTIAL", "pw-dana")
    code, _, err = _close("--actor", "dana", "--sign", "approved closure")
    assert code == 0, err


@pytest.mark.parametrize(
    ("env", "value", "says"),
    [
        ("QUALITYFLOW_POLICY", "stricter", "QUALITYFLOW_POLICY='stricter' is not a policy"),
        ("QUALITYFLOW_POLICY", "no_such_module:P", "cannot load it"),
        ("QUALITYFLOW_POLICY", "json:dumps", "is a function, not a policy"),
        ("QUALITYFLOW_ACTORS", "/nonexistent/people.json", "cannot read the file"),
        ("QUALITYFLOW_ACTORS", "@bad", "cannot read the file"),
    ],
)
def test_a_bad_setting_is_named_with_exit_2(
    desk: Path, monkeypatch: pytest.MonkeyPatch, env: str, value: str, says: str
) -> None:
    monkeypatch.setenv(env, value)
    result = runner.invoke(app, ["incidents", "show", "INC-1"])
    assert result.exit_code == 2, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr


def test_a_people_file_with_a_bad_entry_names_the_entry(
    desk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = desk / "bad.json"
    bad.write_text(json.dumps([PEOPLE[0], {"name": "no id"}]), encoding="utf-8")
    monkeypatch.setenv("QUALITYFLOW_ACTORS", str(bad))
    result = runner.invoke(app, ["incidents", "show", "INC-1"])
    assert result.exit_code == 2 and "entry 1.id" in result.stderr
    (desk / "notjson.json").write_text("[{", encoding="utf-8")
    monkeypatch.setenv("QUALITYFLOW_ACTORS", str(desk / "notjson.json"))
    result = runner.invoke(app, ["incidents", "show", "INC-1"])
    assert result.exit_code == 2 and "is not JSON" in result.stderr


def test_the_open_default_is_unchanged(desk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the variables anyone may act, as in the quick start: Lena closes unsigned.
    monkeypatch.delenv("QUALITYFLOW_POLICY")
    monkeypatch.delenv("QUALITYFLOW_ACTORS")
    code, _, err = _close("--actor", "Lena Ortiz")
    assert code == 0, err


def test_a_policy_object_of_the_plant_s_own_module(
    desk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUALITYFLOW_POLICY", "qualityflow.people.policies:STRICT")
    code, _, err = _close("--actor", "lena", "--sign", "approved closure")
    assert code == 5 and "may not 'incident.close'" in err
