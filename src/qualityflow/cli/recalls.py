"""``qualityflow recall ...``: run a recall from the terminal.

A typer sub-app (:data:`recall_app`) with ``open``, ``notify``, ``confirm``, ``return``,
``fire``, ``progress`` and ``report``; the main command mounts it as ``recalls``
(``recall LOT...`` is the recall impact). Errors go through the same boundary and exit
codes as every other command.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qualityflow.cli import Db, _fail, _open, _parse_time, handles_errors
from qualityflow.cli import _output as out
from qualityflow.cli._db import open_service
from qualityflow.i18n import N_, _, label

if TYPE_CHECKING:
    from qualityflow.models import Quantity

__all__ = ["recall_app"]

recall_app: typer.Typer = typer.Typer(
    help=N_("Run a recall: open it from an incident, notify consignees, record returns, report."),
    no_args_is_help=True,
)

Actor = Annotated[
    str,
    typer.Option(
        metavar="NAME",
        envvar="QUALITYFLOW_ACTOR",
        help=N_("Who does it (recorded in the audit); default $QUALITYFLOW_ACTOR."),
    ),
]
At = Annotated[
    str | None, typer.Option(metavar="TIME", help=N_("When (ISO 8601 with timezone); default now."))
]
RecallId = Annotated[str, typer.Argument(help=N_("The recall id, e.g. RCL-INC-5."))]
ConsigneeId = Annotated[str, typer.Argument(help=N_("The consignee (customer) id."))]


def _quantity(text: str | None, option: str) -> Quantity | None:
    if text is None:
        return None
    from qualityflow.models import Quantity

    parts = text.split()
    try:
        if len(parts) != 2:
            raise InvalidOperation
        return Quantity(amount=Decimal(parts[0]), unit=parts[1])
    except (InvalidOperation, ValueError):
        raise _fail(
            "bad_input",
            _("{option} {text!r} is not a quantity").format(option=option, text=text),
            _('give it as {option} "600 pack"').format(option=option),
        ) from None


@recall_app.command(
    "open",
    help=N_(
        "Open the recall of an incident's recall decision; the scope comes from the genealogy."
    ),
)
@handles_errors
def open_(
    incident_id: Annotated[
        str, typer.Argument(help=N_("The incident whose recall decision it is."))
    ],
    grade: Annotated[str, typer.Option(metavar="I|II|III", help=N_("Recall grade: I, II or III."))],
    actor: Actor,
    preset: Annotated[
        list[str] | None,
        typer.Option(
            metavar="PRESET", help=N_("Legal preset, e.g. CN_FOOD_RECALL_2015 (repeatable).")
        ),
    ] = None,
    id: Annotated[
        str | None, typer.Option(metavar="ID", help=N_("Recall id (default RCL-<incident>)."))
    ] = None,
    at: At = None,
    db: Db = None,
) -> None:
    """Open the recall of an incident's recall decision; the scope comes from the genealogy."""
    qms = _open(db)
    try:
        recall = qms.recalls.open(
            incident_id,
            grade=grade,
            presets=preset or (),
            actor=actor,
            at=_parse_time(at),
            id=id,
        )
        out.note(
            _(
                "{id}: opened (grade {grade}), {consignees} consignee(s), {shipments} shipment(s)"
            ).format(
                id=recall.id,
                grade=recall.grade.value,
                consignees=len(recall.consignees),
                shipments=len(recall.shipments),
            )
        )
    finally:
        qms.close()


@recall_app.command(help=N_("Record the recall notice sent to one consignee."))
@handles_errors
def notify(
    recall_id: RecallId,
    consignee_id: ConsigneeId,
    channel: Annotated[
        str, typer.Option(metavar="CHANNEL", help=N_("How: email, phone, fax, edi, in_person..."))
    ],
    actor: Actor,
    at: At = None,
    message: Annotated[str, typer.Option(metavar="TEXT", help=N_("What the notice said."))] = "",
    db: Db = None,
) -> None:
    """Record the recall notice sent to one consignee."""
    qms = _open(db)
    try:
        when = _parse_time(at) or qms.now()
        qms.recalls.notify(
            recall_id, consignee_id, channel=channel, at=when, actor=actor, message=message
        )
        out.note(
            _("{id}: notice to {consignee} recorded ({channel})").format(
                id=recall_id, consignee=consignee_id, channel=channel
            )
        )
    finally:
        qms.close()


@recall_app.command(help=N_("Record a consignee's confirmation of the notice."))
@handles_errors
def confirm(
    recall_id: RecallId,
    consignee_id: ConsigneeId,
    actor: Actor,
    by: Annotated[
        str | None, typer.Option(metavar="NAME", help=N_("Who confirmed at the consignee."))
    ] = None,
    at: At = None,
    note: Annotated[str, typer.Option(metavar="TEXT", help=N_("Note."))] = "",
    db: Db = None,
) -> None:
    """Record a consignee's confirmation of the notice."""
    qms = _open(db)
    try:
        when = _parse_time(at) or qms.now()
        qms.recalls.confirm(recall_id, consignee_id, at=when, actor=actor, by=by, note=note)
        out.note(_("{id}: {consignee} confirmed").format(id=recall_id, consignee=consignee_id))
    finally:
        qms.close()


@recall_app.command(
    "return", help=N_("Record what a consignee returned, destroyed on site or corrected.")
)
@handles_errors
def return_(
    recall_id: RecallId,
    consignee_id: ConsigneeId,
    actor: Actor,
    returned: Annotated[
        str | None, typer.Option(metavar="QUANTITY", help=N_('Returned, e.g. "600 pack".'))
    ] = None,
    destroyed: Annotated[
        str | None, typer.Option(metavar="QUANTITY", help=N_("Destroyed on site."))
    ] = None,
    corrected: Annotated[
        str | None, typer.Option(metavar="QUANTITY", help=N_("Corrected on site."))
    ] = None,
    evidence: Annotated[
        str, typer.Option(metavar="TEXT", help=N_("Evidence: note number, photo, witness."))
    ] = "",
    at: At = None,
    db: Db = None,
) -> None:
    """Record what a consignee returned, destroyed on site or corrected."""
    quantities = {
        "returned": _quantity(returned, "--returned"),
        "destroyed": _quantity(destroyed, "--destroyed"),
        "corrected": _quantity(corrected, "--corrected"),
    }
    if all(q is None for q in quantities.values()):
        raise _fail(
            "bad_input",
            _("nothing to record"),
            _("give --returned, --destroyed or --corrected"),
        )
    qms = _open(db)
    try:
        when = _parse_time(at) or qms.now()
        recall = qms.recalls.record_return(
            recall_id,
            consignee_id,
            at=when,
            actor=actor,
            evidence=evidence,
            returned=quantities["returned"],
            destroyed=quantities["destroyed"],
            corrected=quantities["corrected"],
        )
        left = ", ".join(str(q) for q in recall.consignee(consignee_id).still_at_customer())
        out.note(
            _("{id}: return from {consignee} recorded; still there: {left}").format(
                id=recall_id, consignee=consignee_id, left=left
            )
        )
    finally:
        qms.close()


@recall_app.command(help=N_("Move a recall: start, recover, complete, close, terminate or cancel."))
@handles_errors
def fire(
    recall_id: RecallId,
    trigger: Annotated[
        str, typer.Argument(help=N_("start, recover, complete, close, terminate..."))
    ],
    actor: Actor,
    note: Annotated[str, typer.Option(metavar="TEXT", help=N_("Note for the audit record."))] = "",
    summary: Annotated[
        str | None, typer.Option(metavar="TEXT", help=N_("The closing summary (close)."))
    ] = None,
    at: At = None,
    db: Db = None,
) -> None:
    """Move a recall: start, recover, complete, close, terminate or cancel."""
    data = {} if summary is None else {"summary": summary}
    qms = _open(db)
    try:
        recall = qms.recalls.fire(
            recall_id, trigger, actor=actor, at=_parse_time(at), note=note, **data
        )
        out.note(
            _("{id}: {trigger} -> {state}").format(
                id=recall.id, trigger=trigger, state=recall.status.value
            )
        )
    finally:
        qms.close()


@recall_app.command(
    help=N_("Show recovered ÷ shipped, the consignees, and the next legal deadline.")
)
@handles_errors
def progress(
    recall_id: RecallId,
    as_json: Annotated[bool, typer.Option("--json", help=N_("Print as JSON."))] = False,
    db: Db = None,
) -> None:
    """Show recovered ÷ shipped, the consignees, and the next legal deadline."""
    qms = open_service(db, write=False)
    try:
        p = qms.recalls.progress(recall_id)
    finally:
        qms.close()
    if as_json:
        out.print_json(
            {
                "recall_id": p.recall_id,
                "status": p.status,
                "shipped": {u: str(q.amount) for u, q in p.shipped.items()},
                "recovered": {u: str(q.amount) for u, q in p.recovered.items()},
                "recovery_rate": None if p.recovery_rate is None else str(p.recovery_rate),
                "consignees": p.consignees,
                "notified": p.notified,
                "confirmed": p.confirmed,
                "accounted": p.accounted,
                "next_deadline": None
                if p.next_deadline is None
                else {
                    "what": p.next_deadline.what,
                    "due": p.next_deadline.due.isoformat(),
                    "legal_basis": p.next_deadline.legal_basis,
                },
                "missing": p.missing,
            }
        )
        return
    rate = _("n/a") if p.recovery_rate is None else f"{p.recovery_rate:.1%}"
    out.note(
        _("{id} ({state}): recovery rate {rate}").format(
            id=p.recall_id, state=label(p.status), rate=rate
        )
    )
    out.table(
        _("quantities"),
        (_("unit"), _("shipped"), _("recovered"), _("outstanding")),
        [(u, q, p.recovered.get(u, "0"), p.outstanding[u]) for u, q in p.shipped.items()],
    )
    n = len(p.consignees)
    out.note(
        _(
            "notified {notified}/{n}, confirmed {confirmed}/{n}, accounted for {accounted}/{n}"
        ).format(
            notified=len(p.notified), confirmed=len(p.confirmed), accounted=len(p.accounted), n=n
        )
    )
    if p.next_deadline is not None:
        d = p.next_deadline
        out.note(
            _("next deadline: {what} due {due} ({legal_basis})").format(
                what=label(d.what), due=d.due.isoformat(), legal_basis=d.legal_basis
            )
        )
    for reason in p.missing:
        out.note(f"  - {reason}")


@recall_app.command(
    help=N_("Print a recall document as Markdown (and write it as HTML with --html).")
)
@handles_errors
def report(
    recall_id: RecallId,
    kind: Annotated[
        str, typer.Argument(help=N_("plan, notice, progress or summary."))
    ] = "progress",
    html: Annotated[
        Path | None, typer.Option(metavar="PATH", help=N_("Also write it as an HTML page here."))
    ] = None,
    company: Annotated[
        str, typer.Option(metavar="NAME", help=N_("Company name for the public notice."))
    ] = "",
    contact: Annotated[
        str, typer.Option(metavar="TEXT", help=N_("Contact line for the public notice."))
    ] = "",
    fsma204: Annotated[
        Path | None,
        typer.Option(
            "--fsma204",
            metavar="FILE",
            help=N_("Also write the FSMA 204 sheet of the recall's lots here (.csv or .xlsx)."),
        ),
    ] = None,
    db: Db = None,
) -> None:
    """Print a recall document as Markdown (and write it as HTML with --html)."""
    from qualityflow.reports.recall_case import RECALL_DOCUMENTS, recall_document

    if kind not in RECALL_DOCUMENTS:
        raise _fail(
            "bad_input",
            _("no recall document {kind!r}").format(kind=kind),
            _("use {choices}").format(choices=", ".join(RECALL_DOCUMENTS)),
        )
    if fsma204 is not None:
        _check_sheet(fsma204)
    qms = open_service(db, write=False)
    try:
        recall = qms.recalls.get(recall_id)
        doc = recall_document(
            recall,
            kind,
            progress=qms.recalls.progress(recall_id),
            now=qms.now(),
            company=company,
            contact=contact,
        )
        sheet = None if fsma204 is None else qms.recalls.fsma204(recall_id, fsma204)
    finally:
        qms.close()
    out.note(doc.to_markdown())
    if html is not None:
        html.write_text(doc.to_html(), encoding="utf-8")
        out.note(_("written: {path}").format(path=html))
    if sheet is not None:
        out.note(_("written: {path}").format(path=sheet))


def _check_sheet(path: Path) -> None:
    """Refuse an FSMA 204 sheet name that is neither .csv nor .xlsx, or cannot be written."""
    from qualityflow.cli._input import check_output

    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise _fail(
            "bad_input",
            _(
                "--fsma204 {path}: the FSMA 204 sheet is written as .csv or .xlsx, not {suffix}"
            ).format(path=path, suffix=path.suffix or _("a name without suffix")),
            _("give {csv} (CSV) or {xlsx} (Excel, needs the xlsx extra)").format(
                csv=path.with_suffix(".csv"), xlsx=path.with_suffix(".xlsx")
            ),
        )
    check_output(path, "--fsma204")
