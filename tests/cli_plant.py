"""A plant whose every id is a long GS1-style URN, for the command-line output tests.

The demo plant's lots, shipments and customers renamed to URNs of 50-70 characters, an
incident and a complaint with long ids, and the commands to run against it.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import qualityflow as qf
from qualityflow.demo import DemoPlant, plant, stock
from qualityflow.testing import emergency_team


def lot_urn(id: str) -> str:
    return f"urn:epc:class:lgtin:4012345.012345.{id}-2026-03-02-SUNRISE-BISCUITS"


def ship_urn(id: str) -> str:
    return f"urn:epc:id:sscc:4012345.{id}-0000000001234567"


def customer_urn(id: str) -> str:
    return f"urn:epc:id:sgln:4012345.00001.{id}-DISTRIBUTION-CENTRE-NORTH"


LOT = lot_urn("FLOUR-0412")
SUSPECT = lot_urn("BISC-0302")
SHIP = ship_urn("SHP-9001")
CUSTOMER = customer_urn("CUST-FRESHMART")
CORNERSHOP = customer_urn("CUST-CORNERSHOP")
INC = "INC-2026-03-05-SUNRISE-BISCUITS-LINE-L2-METAL-FRAGMENT-0005"
CMP = "CMP-2026-03-05-SOCIAL-MEDIA-CRUNCHLOVER-METAL-SHARD-0017"
COMPLAINANT = "urn:example:consumer:social-media:instagram:crunchlover-2026"
FILM = lot_urn("FILM-0057")
NC = f"NC-IQC-{FILM}"
SCAR = f"SCAR-{NC}"
# An incident whose recall is open, and one with a recall decision and no recall yet.
RECALLED = "INC-2026-03-06-SUNRISE-BISCUITS-LINE-L2-GLASS-IN-BUTTER-BISCUITS-0006"
RECALL = f"RCL-{RECALLED}"
DECIDED = "INC-2026-03-07-SUNRISE-BISCUITS-LINE-L3-GLASS-IN-OAT-BARS-0007"
OATS = lot_urn("OAT-0303")


def long_plant() -> DemoPlant:
    p = plant()
    batches = tuple(b.model_copy(update={"id": lot_urn(b.id)}) for b in p.batches)
    links = tuple((lot_urn(a), lot_urn(b), q) for a, b, q in p.links)
    shipments = tuple(
        s.model_copy(
            update={
                "id": ship_urn(s.id),
                "batch_id": lot_urn(s.batch_id),
                "customer_id": customer_urn(s.customer_id),
            }
        )
        for s in p.shipments
    )
    inspections = tuple(
        i.model_copy(update={"id": f"IQC-{lot_urn(i.batch_id)}", "batch_id": lot_urn(i.batch_id)})
        for i in p.inspections
    )
    return DemoPlant(p.suppliers, batches, links, shipments, inspections)


def build(path: Path) -> None:
    """Store the long-id plant, a reported incident and a received complaint at ``path``."""
    with qf.QualityFlow(f"sqlite:///{path}", load_entry_points=False) as qms:
        stock(qms, long_plant())
        qms.incidents.add(
            qf.Incident(
                id=INC,
                title="Metal fragment in butter biscuits",
                severity="critical",
                reported_at=datetime(2026, 3, 5, 8, 40, tzinfo=timezone.utc),
                reported_by="Lena Fox",
                batch_ids=[SUSPECT],
            )
        )
        qms.complaints.add(
            qf.Complaint(
                id=CMP,
                customer_id=COMPLAINANT,
                channel="social_media",
                received_at=datetime(2026, 3, 5, 7, 10, tzinfo=timezone.utc),
                description="Posted a photo of a sharp metal shard found in a butter biscuit.",
                severity="critical",
                batch_ids=[SUSPECT],
                product="butter biscuits 200 g",
                category="foreign body",
            )
        )
        _decide_recall(qms, RECALLED, SUSPECT, datetime(2026, 3, 6, 9, 0, tzinfo=timezone.utc))
        qms.recalls.open(RECALLED, grade="I", presets=["CN_FOOD_RECALL_2015"], actor="Dana Ruiz")
        started = datetime(2026, 3, 6, 10, 0, tzinfo=timezone.utc)
        qms.recalls.fire(RECALL, "start", actor="Dana Ruiz", at=started)
        qms.recalls.notify(RECALL, CUSTOMER, channel="email", actor="Dana Ruiz", at=started)
        _decide_recall(qms, DECIDED, OATS, datetime(2026, 3, 7, 9, 0, tzinfo=timezone.utc))
        qms.supplier_actions.request(
            NC, due=date.today() + timedelta(days=30), actor="Dana Ruiz", supplier_caused=True
        )


def _decide_recall(qms: qf.QualityFlow, incident_id: str, lot: str, at: datetime) -> None:
    """Report, assess and contain a critical incident with a recall decision at ``at``."""
    qms.incidents.add(
        qf.Incident(
            id=incident_id,
            title="Glass splinters",
            severity="critical",
            reported_at=at - timedelta(hours=1),
            batch_ids=[lot],
        )
    )
    assessment = qf.ImpactAssessment(
        severity="critical",
        batch_ids=[lot],
        recall_required=True,
        risk="cuts",
        regions=["CN-31"],
        rationale="the affected lots reached the market",
    )
    qms.incidents.fire(
        incident_id,
        "assess",
        actor="Dana Ruiz",
        at=at - timedelta(minutes=30),
        team=emergency_team(),
        assessment=assessment,
    )
    qms.incidents.fire(
        incident_id,
        "contain",
        actor="Dana Ruiz",
        at=at,
        containment=[qf.ContainmentAction(batch_id=lot, action="recall", by="Sam Patel", at=at)],
        recall=qf.RecallDecision(initiated_at=at, batch_ids=[lot], reason="glass splinters"),
    )


def epcis_file(path: Path) -> Path:
    p = long_plant()
    genealogy = qf.Genealogy.build(p.batches, p.links, p.shipments)
    path.write_text(json.dumps(qf.to_epcis(genealogy)), encoding="utf-8")
    return path


NEW_INCIDENT = json.dumps(
    {
        "id": "INC-2026-04-01-SUNRISE-BISCUITS-WAREHOUSE-WET-CARTONS-0008",
        "title": "Wet cartons",
        "severity": "minor",
        "reported_at": "2026-04-01T08:00:00+00:00",
        "batch_ids": [lot_urn("BISC-0305")],
    }
)
NEW_COMPLAINT = json.dumps(
    {
        "id": "CMP-2026-04-03-EMAIL-SHOP-FIR-PACKS-UNDER-WEIGHT-0050",
        "customer_id": customer_urn("SHOP-FIR"),
        "channel": "email",
        "received_at": "2026-04-03T10:00:00+00:00",
        "description": "Packs under weight",
    }
)
CONTACT = json.dumps(
    {
        "contacts": [
            {
                "at": "2026-03-05T07:35:00+00:00",
                "direction": "outbound",
                "channel": "social_media",
                "message": "We are so sorry.",
                "by": "Lena Fox",
            }
        ]
    }
)

# name: (arguments, exit code, ids that must appear whole). {tmp} is a scratch directory.
READ_COMMANDS: dict[str, tuple[list[str], int, list[str]]] = {
    "trace": (["trace", LOT], 0, [LOT, SUSPECT, SHIP, CUSTOMER]),
    "trace-backward": (["trace", SHIP, "--backward"], 0, [LOT, SUSPECT]),
    "recall": (["recall", SUSPECT], 0, [SUSPECT, SHIP, CUSTOMER]),
    "recall-drill": (["recall", SUSPECT, "--drill"], 0, [SUSPECT, SHIP]),
    "incidents-list": (["incidents", "list"], 0, [INC]),
    "incidents-show": (["incidents", "show", INC], 0, [INC]),
    "complaints-list": (["complaints", "list"], 0, [CMP, COMPLAINANT]),
    "complaints-show": (["complaints", "show", CMP], 0, [CMP, COMPLAINANT, SUSPECT]),
    "overdue": (["overdue", "--now", "2026-03-10T00:00+00:00"], 1, [INC, CMP]),
    "report-8d": (["report", "8d", INC], 0, [INC]),
    "report-kpis": (["report", "kpis"], 0, []),
    "report-pareto": (["report", "pareto", "--by", "customer"], 0, [COMPLAINANT]),
    "report-scorecard": (["report", "scorecard", "--period", "2026-03"], 0, []),
    "report-review": (["report", "review", "--period", "2026-Q1"], 0, []),
    "recalls-progress": (["recalls", "progress", RECALL], 0, [RECALL]),
    "recalls-report": (["recalls", "report", RECALL], 0, [RECALL, RECALLED, CUSTOMER]),
    "nc-list": (["nc", "list"], 0, [NC, FILM]),
    "nc-show": (["nc", "show", NC], 0, [NC, FILM]),
    "scar-list": (["scar", "list"], 0, [SCAR]),
    "scar-show": (["scar", "show", SCAR], 0, [SCAR, NC, FILM]),
    "audit-verify": (["audit", "verify"], 0, []),
    "audit-head": (["audit", "head"], 0, []),
    "db-current": (["db", "current"], 0, []),
    "report-nc-pareto": (["report", "nc-pareto", "--by", "characteristic"], 0, []),
    "evidence-verify": (["evidence", "verify"], 0, []),
}
WRITE_COMMANDS: dict[str, tuple[list[str], int, list[str]]] = {
    "export-fsma204": (["export-fsma204", LOT, "--out", "{tmp}/sheet.csv"], 0, []),
    "incidents-add": (["incidents", "add", NEW_INCIDENT], 0, []),
    "incidents-fire": (
        ["incidents", "fire", INC, "cancel", "--actor", "Dana Ruiz", "--note", "a duplicate"],
        0,
        [INC],
    ),
    "complaints-add": (["complaints", "add", NEW_COMPLAINT], 0, []),
    "complaints-fire": (
        ["complaints", "fire", CMP, "acknowledge", "--actor", "Lena Fox", "--data", CONTACT],
        0,
        [CMP],
    ),
    "complaints-escalate": (
        ["complaints", "escalate", CMP, "--incident", INC, "--actor", "Lena Fox"],
        0,
        [CMP, INC],
    ),
    "import-epcis": (["import-epcis", "{tmp}/partner.jsonld"], 0, []),
    "demo": (["demo", "--db", "sqlite:///{tmp}/demo.db"], 0, ["FLOUR-0412"]),
    "recalls-open": (
        ["recalls", "open", DECIDED, "--grade", "II", "--actor", "Dana Ruiz"],
        0,
        [f"RCL-{DECIDED}"],
    ),
    "recalls-fire": (
        ["recalls", "fire", RECALL, "terminate", "--note", "withdrawn", "--actor", "Dana Ruiz"],
        0,
        [RECALL],
    ),
    "recalls-notify": (
        ["recalls", "notify", RECALL, CORNERSHOP, "--channel", "phone", "--actor", "Dana Ruiz"],
        0,
        [RECALL, CORNERSHOP],
    ),
    "recalls-confirm": (
        ["recalls", "confirm", RECALL, CUSTOMER, "--actor", "Dana Ruiz"],
        0,
        [RECALL, CUSTOMER],
    ),
    "recalls-return": (
        ["recalls", "return", RECALL, CUSTOMER, "--returned", "600 pack", "--actor", "Dana Ruiz"],
        0,
        [RECALL, CUSTOMER],
    ),
    "nc-dispose": (
        ["nc", "dispose", NC, "--part", "return_to_supplier=40roll", "--actor", "Dana Ruiz"],
        0,
        [NC],
    ),
    "db-upgrade": (["db", "upgrade"], 0, []),
    "evidence-add": (
        [
            "evidence",
            "add",
            "{tmp}/seal-test.png",
            "--to",
            RECALLED,
            "--part",
            "containment",
            "--actor",
            "Dana Ruiz",
        ],
        0,
        [RECALLED],
    ),
    "scar-issue": (["scar", "issue", "--nc", NC, "--actor", "Dana Ruiz"], 0, [NC]),
    "scar-respond": (
        ["scar", "respond", SCAR, "--file", "{tmp}/answer.json", "--actor", "Dana Ruiz"],
        0,
        [SCAR],
    ),
}
# Commands that print one line of status and have no --json (json mode runs them plainly).
NO_JSON = {
    "evidence-add",
    "evidence-verify",
    "audit-head",
    "nc-dispose",
    "db-current",
    "db-upgrade",
    "recalls-open",
    "recalls-fire",
    "recalls-notify",
    "recalls-confirm",
    "recalls-return",
    "recalls-report",
}
# Commands no sweep runs, and why.
NOT_SWEPT = {
    "relay": "needs a broker; tests/test_relay.py runs it against NATS, RabbitMQ and Redis",
}
# Commands that need no database.
OTHER_COMMANDS: dict[str, tuple[list[str], int, list[str]]] = {
    "schema": (["schema", "Batch"], 0, []),
}


def scratch(tmp: Path) -> Path:
    """Prepare ``tmp`` for the commands: the EPCIS file they import."""
    tmp.mkdir(parents=True, exist_ok=True)
    epcis_file(tmp / "partner.jsonld")
    answer = {
        "containment": "Held the remaining film rolls of the lot at our warehouse.",
        "root_cause": "Sealing jaw temperature drifted on line 3.",
        "corrective_action": "Jaw temperature alarm and an hourly seal-strength check.",
        "responded_by": "Packaging supplier QA",
        "responded_at": (datetime.now(timezone.utc) - timedelta(seconds=2)).isoformat(),
    }
    (tmp / "answer.json").write_text(json.dumps(answer), encoding="utf-8")
    # a photo of the seal test for `evidence add` (a 1x1 PNG)
    (tmp / "seal-test.png").write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e0a6c5a0"
            "0000000049454e44ae426082"
        )
    )
    return tmp


def fill(args: list[str], tmp: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp)) for a in args]


def _chattr(flag: str, *paths: Path) -> bool:
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        return False
    result = subprocess.run(["chattr", flag, *map(str, paths)], capture_output=True, check=False)
    return result.returncode == 0


@contextmanager
def read_only(*paths: Path) -> Iterator[bool]:
    """Make files and directories read-only (chmod, and ``chattr +i`` when root).

    Yields whether they really cannot be written by this process (False: root without
    chattr, so the caller skips).
    """
    modes = {p: p.stat().st_mode for p in paths}
    for p in paths:
        p.chmod(0o555 if p.is_dir() else 0o444)
    immutable = _chattr("+i", *paths)
    probe = next((p for p in paths if p.is_dir()), None)
    really = True
    if probe is not None:
        try:
            (probe / ".probe").write_text("x")
        except OSError:
            pass
        else:
            (probe / ".probe").unlink()
            really = False
    try:
        yield really
    finally:
        if immutable:
            _chattr("-i", *paths)
        for p, mode in modes.items():
            p.chmod(stat.S_IMODE(mode))
