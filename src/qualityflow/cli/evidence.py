"""``qualityflow evidence``: store a file as evidence and attach it to a recorded part.

``qualityflow evidence add FILE --to INC-5 --part verification --actor NAME`` stores the
file in the blob store (``--blobs URL`` or ``QUALITYFLOW_BLOBS``, default beside the
SQLite file: ``plant.db.evidence``) and appends it to the part's ``attachments`` through
``qms.evidence.attach``: an amendment of the record (who, when, why), hash-chained with
it, accepted even on a part a step relied on and on a closed case, since nothing but the
attachments grows. ``qualityflow evidence verify`` re-hashes the stored files (of one
record with ``--to``). Exit codes as every command: 2 bad input (a missing file, an
unknown part), 3 not found (no record with that id), 5 permission denied.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qualityflow.cli import _output as out
from qualityflow.cli._db import Db, open_service
from qualityflow.cli._errors import EXIT_CODES, fail, handles_errors
from qualityflow.cli._input import parse_time
from qualityflow.i18n import N_, _

if TYPE_CHECKING:
    from qualityflow.service import QualityFlow
    from qualityflow.service.evidence import EvidenceStore

__all__ = ["app"]

# Annotated: the group imports from qualityflow.cli, which imports the group, and mypy
# needs the type spelled out across that cycle.
app: typer.Typer = typer.Typer(
    help=N_("Store evidence files and attach them to incidents, complaints, recalls."),
    no_args_is_help=True,
)

Blobs = Annotated[
    str | None,
    typer.Option(
        "--blobs",
        metavar="URL",
        envvar="QUALITYFLOW_BLOBS",
        help=N_(
            "The blob store for evidence files (file:///dir or a plugin's scheme); default "
            "beside the SQLite file, $QUALITYFLOW_BLOBS."
        ),
    ),
]
Kind = Annotated[
    str | None,
    typer.Option(
        "--kind",
        metavar="KIND",
        help=N_("incident, complaint, recall or inspection, when the id is several."),
    ),
]


def _store(qms: QualityFlow, blobs: str | None) -> EvidenceStore:
    from qualityflow.service.evidence import EvidenceStore

    return qms.evidence if blobs is None else EvidenceStore(qms, blobs)


@app.command(
    "add",
    help=N_(
        "Store FILE as evidence and attach it to a recorded part of a record.\n\n"
        "Parts: an incident's verification (default), root-cause or containment; a "
        "complaint's contact; a recall's return; an inspection. The attachment is an "
        "amendment of the record, hash-chained with it."
    ),
)
@handles_errors
def add(
    file: Annotated[Path, typer.Argument(metavar="FILE", help=N_("The file to store."))],
    to: Annotated[
        str,
        typer.Option(
            "--to", metavar="ID", help=N_("The incident, complaint, recall or inspection.")
        ),
    ],
    actor: Annotated[
        str,
        typer.Option(
            metavar="NAME",
            envvar="QUALITYFLOW_ACTOR",
            help=N_("Who attaches it (recorded in the audit); default $QUALITYFLOW_ACTOR."),
        ),
    ],
    part: Annotated[
        str | None,
        typer.Option(
            "--part",
            metavar="PART",
            help=N_(
                "verification, root-cause, containment, contact, return or inspection "
                "(default: the record's first)."
            ),
        ),
    ] = None,
    item: Annotated[
        int | None,
        typer.Option(
            "--item",
            metavar="N",
            min=1,
            help=N_("Which entry of a list part (1 = first; default the last)."),
        ),
    ] = None,
    consignee: Annotated[
        str | None,
        typer.Option(
            "--consignee", metavar="ID", help=N_("The consignee whose return it documents.")
        ),
    ] = None,
    media_type: Annotated[
        str | None,
        typer.Option(
            "--media-type",
            metavar="TYPE",
            help=N_("The file's media type (default: guessed from its name)."),
        ),
    ] = None,
    reason: Annotated[
        str, typer.Option(metavar="TEXT", help=N_("Why (recorded in the amendment)."))
    ] = "",
    at: Annotated[
        str | None,
        typer.Option(metavar="TIME", help=N_("When (ISO 8601 with timezone); default now.")),
    ] = None,
    kind: Kind = None,
    blobs: Blobs = None,
    db: Db = None,
) -> None:
    """Store FILE as evidence and attach it to a recorded part of a record."""
    from qualityflow.service.evidence import PARTS

    if not file.is_file():
        raise fail(
            "bad_input",
            _("no file {path}: nothing to attach").format(path=file),
            _("give the path of the photo, certificate or record to attach"),
        )
    known = [name for parts in PARTS.values() for name in parts]
    if part is not None and part.replace("_", "-") not in known:
        raise fail(
            "bad_input",
            _("unknown part {part!r}").format(part=part),
            _("use one of {choices}").format(choices=", ".join(known)),
        )
    if kind is not None and kind not in PARTS:
        raise fail(
            "bad_input",
            _("unknown kind {kind!r}").format(kind=kind),
            _("use one of {choices}").format(choices=", ".join(PARTS)),
        )
    when = parse_time(at, "--at")
    qms = open_service(db, write=True)
    try:
        store = _store(qms, blobs)
        # Find the record and ask the policy (refusing an unknown id, a part not recorded,
        # an actor who may not amend it) before storing any bytes.
        found, _part = qms.evidence.locate(to, part=part, kind=kind, item=item, consignee=consignee)
        qms.authorize(actor, f"{found}.save", qms.evidence.target(to, found))
        evidence = store.put(file, media_type=media_type, by=actor)
        qms.evidence.attach(
            to,
            evidence,
            actor=actor,
            part=part,
            kind=kind,
            item=item,
            consignee=consignee,
            reason=reason,
            at=when,
        )
    finally:
        qms.close()
    out.note(
        _("{id}: {file} attached ({size} bytes, sha256 {digest}) by {actor}").format(
            id=to,
            file=evidence.filename,
            size=evidence.size,
            digest=evidence.sha256[:12],
            actor=evidence.by or actor,
        )
    )


@app.command(
    "verify",
    help=N_(
        "Re-hash every stored evidence file (of one record with --to); exit 1 when one is "
        "missing or altered."
    ),
)
@handles_errors
def verify(
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="ID", help=N_("Only the evidence of this record.")),
    ] = None,
    kind: Kind = None,
    blobs: Blobs = None,
    db: Db = None,
) -> None:
    """Re-hash every stored evidence file; exit 1 when one is missing or altered."""
    from qualityflow.service.audit import evidence_in

    qms = open_service(db, write=False)
    try:
        store = _store(qms, blobs)
        if to is not None:
            found = [(to, ev) for ev in evidence_in(qms.evidence.target(to, kind))]
        else:
            found = [(id, ev) for _kind, id, ev in qms.audit.evidence()]
        problems = [f"{id}: {what}" for id, ev in found for what in store.verify([ev])]
    finally:
        qms.close()
    for problem in problems:
        out.note(f"  - {problem}")
    out.note(
        _("{count} evidence file(s) re-hashed, {bad} missing or altered").format(
            count=len(found), bad=len(problems)
        )
    )
    if problems:
        raise typer.Exit(EXIT_CODES["refused"])
