"""Writing plugins: a notifier and a storage backend, registered like the built-ins.

qualityflow's extension contract is a set of pluggy hooks (``qf.hookimpl``); the built-in
notifiers and storage backends register through the same hooks as yours.

* **Notifier** (``qualityflow_notify``): ``RecallBoard`` writes every recall decision to the
  plant's recall board (a CSV file here), and ``FlakySmsGateway`` shows what happens when a
  notifier fails: the change is kept, the failure recorded, and
  ``qms.deliver_pending()`` retries it later; nothing is lost.
* **Storage** (``qualityflow_register_storage``): ``PlantDirectory`` registers two URL
  schemes: ``plant://NAME`` opens the plant's SQLite database in a shared directory, and
  ``archive://NAME`` opens the same data read-only for auditors, refusing every write with
  a clear :class:`qualityflow.StorageError`.

A plugin object is passed to ``qf.QualityFlow(url, plugins=[...])``; a plugin package
declares it under the ``qualityflow`` entry-point group instead (see
``examples/plugins/``). Run ``python examples/writing_plugins.py``; files go to a temporary
directory.
"""

from __future__ import annotations

import csv
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import qualityflow as qf
from qualityflow.storage import sqlite_storage

NOW = datetime(2026, 3, 5, 9, 0, tzinfo=timezone.utc)


class RecallBoard:
    """A notifier: appends each recall decision to the recall board."""

    def __init__(self, board: Path) -> None:
        self.board = board

    @qf.hookimpl
    def qualityflow_notify(self, notification: qf.Notification) -> None:
        if notification.kind != "recall":
            return
        new = not self.board.exists()
        with self.board.open("a", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            if new:
                writer.writerow(["at", "incident", "title"])
            writer.writerow(
                [notification.at.isoformat(), notification.subject_id, notification.title]
            )


class FlakySmsGateway:
    """A notifier whose gateway is down at first: deliveries fail, then succeed on retry."""

    def __init__(self) -> None:
        self.up = False
        self.sent: list[str] = []

    @qf.hookimpl
    def qualityflow_notify(self, notification: qf.Notification) -> None:
        if not self.up:
            raise ConnectionError("SMS gateway timed out")
        self.sent.append(notification.title)


class ReadOnlyStorage:
    """A storage wrapper for auditors: reads pass through, every write is refused."""

    _WRITES = frozenset(
        {"add", "add_many", "save", "add_edge", "add_edges", "enqueue", "update_delivery"}
    )

    def __init__(self, inner: Any, name: str) -> None:
        self._inner = inner
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        if attr in self._WRITES:

            def refuse(*args: Any, **kwargs: Any) -> Any:
                raise qf.StorageError(
                    f"archive://{self._name} is read-only (an auditor's view): "
                    f"open plant://{self._name} to change records"
                )

            return refuse
        return getattr(self._inner, attr)


class PlantDirectory:
    """A storage plugin: ``plant://NAME`` and ``archive://NAME`` over SQLite files in ``home``."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def _sqlite(self, url: str) -> Any:
        name = url.split("://", 1)[1].strip("/")
        if not name.isidentifier():
            raise qf.StorageError(f"{url}: give a plant name like plant://sunrise")
        return name, sqlite_storage(f"sqlite:///{self.home / name}.db")

    @qf.hookimpl
    def qualityflow_register_storage(self, register: Any) -> None:
        register("plant", lambda url: self._sqlite(url)[1])
        register("archive", lambda url: ReadOnlyStorage(*reversed(self._sqlite(url))))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="qualityflow-plugins-") as home:
        run(Path(home))


def run(home: Path) -> None:
    """Run the story with the plant directory and the recall board under ``home``."""
    board = home / "recall-board.csv"
    sms = FlakySmsGateway()
    plugins = [PlantDirectory(home), RecallBoard(board), sms]

    qms = qf.QualityFlow("plant://sunrise", plugins=plugins)
    qms.batches.add(
        qf.Batch(
            id="BISC-0302",
            kind="finished",
            product="butter biscuits 200 g",
            quantity=qf.Quantity(amount=4000, unit="pack"),
        )
    )
    qms.incidents.add(
        qf.Incident(id="INC-5", title="Metal in biscuits", severity="critical", reported_at=NOW)
    )
    team = qf.EmergencyTeam(  # a critical incident's team: the heads of each department
        leader=qf.TeamMember(name="Dana Ruiz", role="QA manager", department="quality"),
        members=[
            qf.TeamMember(name="Omar Haddad", role="line manager", department="production"),
            qf.TeamMember(name="Ines Moreau", role="food technologist", department="technical"),
            qf.TeamMember(name="Sam Okafor", role="key accounts", department="sales"),
        ],
    )
    qms.incidents.fire(
        "INC-5",
        "assess",
        actor="Dana Ruiz",
        at=NOW,
        team=team,
        assessment=qf.ImpactAssessment(
            severity="critical",
            batch_ids=["BISC-0302"],
            recall_required=True,
            regions=["CN-31"],
            risk="injury to consumers",
            rationale="the affected lots reached the market",
        ),
    )
    qms.incidents.fire(
        "INC-5",
        "contain",
        actor="Dana Ruiz",
        at=NOW,
        containment=[
            qf.ContainmentAction(batch_id="BISC-0302", action="recall", by="Sam Patel", at=NOW)
        ],
        recall=qf.RecallDecision(
            initiated_at=NOW, batch_ids=["BISC-0302"], reason="Metal fragment hazard."
        ),
    )
    print(f"Stored in {home / 'sunrise.db'}; INC-5 is {qms.incidents.get('INC-5').status.value}")
    print("Recall board:")
    print(board.read_text(encoding="utf-8").strip())
    print(f"SMS while the gateway is down: {len(sms.sent)} sent")
    sms.up = True
    still_pending = qms.deliver_pending()
    print(f"After deliver_pending(): {len(sms.sent)} sent, {len(still_pending)} still pending")
    qms.close()

    auditor = qf.QualityFlow("archive://sunrise", plugins=plugins)
    print(f"Auditor reads INC-5: {auditor.incidents.get('INC-5').title}")
    try:
        auditor.incidents.add(qf.Incident(id="INC-6", title="Test", severity="minor"))
    except qf.StorageError as err:
        print(f"Auditor cannot write: {err}")
    auditor.close()


if __name__ == "__main__":
    main()
