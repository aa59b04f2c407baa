"""``qualityflow nc ...`` and ``qualityflow scar ...``: nonconformances and SCARs.

Two typer groups, :data:`nc_app` (``list``, ``show``, ``dispose``) and :data:`scar_app`
(``list``, ``show``, ``issue``, ``respond``), and :data:`app` holding both (``nc`` and
``scar``), to mount on the main command with ``app.add_typer(nc_app, name="nc")`` and
``app.add_typer(scar_app, name="scar")``. Errors go through the main command's error
boundary (:func:`qualityflow.cli.handles_errors`), imported when a command runs so this
module can be imported from ``qualityflow.cli`` at any point.

``nc dispose NC-ID --part KIND=AMOUNT[UNIT] ...`` gives one part per ``--part`` (``KIND`` is
use_as_is, rework, regrade, return_to_supplier or scrap; the unit defaults to the held
quantity's); ``--approver`` signs the use-as-is parts (the concession).

``scar issue`` takes exactly one source: ``--nc NC-ID`` (a nonconformance with a part
returned or a supplier-caused defect), ``--incident INC-ID`` (a confirmed material root
cause) or ``--supplier SUP-ID --lot ID --lot ID`` (the common causes of those suspect lots
point at the supplier); ``--due`` defaults to 30 days after today (UTC).
``scar respond SCAR-ID --file answer.json`` validates the supplier's JSON answer against
the published schema (``qualityflow schema SupplierResponse``) before anything is written;
a SCAR still ``requested`` is acknowledged by the answer in the same run.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from qualityflow.cli import _output as out
from qualityflow.cli._db import Db, open_service
from qualityflow.cli._output import print_json
from qualityflow.i18n import N_, _, label

if TYPE_CHECKING:
    from qualityflow.models.nonconformance import Disposition, SupplierResponse

__all__ = ["app", "nc_app", "scar_app"]

nc_app = typer.Typer(
    help=N_("Nonconformances: list, show, and dispose of the held quantity."),
    no_args_is_help=True,
)
scar_app = typer.Typer(
    help=N_("Supplier corrective actions (SCAR): list, show, issue, respond."),
    no_args_is_help=True,
)
app = typer.Typer(
    help=N_("Nonconformances and supplier corrective actions."),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(nc_app, name="nc")
app.add_typer(scar_app, name="scar")

AsJson = Annotated[bool, typer.Option("--json", help=N_("Print JSON only."))]

F = TypeVar("F", bound=Callable[..., Any])

_PART = re.compile(
    r"^\s*(?P<kind>[a-z_]+)\s*=\s*(?P<amount>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>\S*)\s*$"
)


def _boundary(func: F) -> F:
    """Wrap ``func`` in the main command's error boundary, looked up when it runs."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from qualityflow.cli import handles_errors

        return handles_errors(func)(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _cli() -> Any:
    import qualityflow.cli as cli

    return cli


@nc_app.command(
    "list", help=N_("List nonconformances: lot, state, quantity held and dispositioned, defect.")
)
@_boundary
def nc_list(
    status: Annotated[
        str | None,
        typer.Option(
            metavar="STATE", help=N_("Only those in this state: open, dispositioned, closed.")
        ),
    ] = None,
    batch: Annotated[
        str | None, typer.Option(metavar="LOT", help=N_("Only those of this lot."))
    ] = None,
    as_json: AsJson = False,
    db: Db = None,
) -> None:
    """List nonconformances: lot, state, quantity held and dispositioned, defect."""
    filters: dict[str, Any] = {}
    if status:
        filters["status"] = status
    if batch:
        filters["batch_id"] = batch
    found = open_service(db, write=False).nonconformances.list(**filters)
    if as_json:
        print_json(found)
        return
    rows = [
        (
            n.id,
            n.batch_id,
            label(n.status, n),
            n.quantity,
            n.dispositioned,
            n.characteristic,
            n.defect,
        )
        for n in found
    ]
    headers = (
        _("id"), _("lot"), _("status"), _("held"), _("dispositioned"), _("characteristic"),
        _("defect"),
    )  # fmt: skip
    title = _("{n} nonconformances").format(n=len(rows))
    out.table(title, headers, rows)


@nc_app.command(
    "show",
    help=N_("Show one nonconformance: the defect, the dispositions, the history, the next steps."),
)
@_boundary
def nc_show(
    id: Annotated[str, typer.Argument(help=N_("The nonconformance id, e.g. NC-IQC-0412."))],
    as_json: Annotated[bool, typer.Option("--json", help=N_("Print the stored JSON."))] = False,
    db: Db = None,
) -> None:
    """Show one nonconformance: the defect, the dispositions, the history, the next steps."""
    from qualityflow.lifecycle.nonconformance import NONCONFORMANCE_LIFECYCLE

    nc = open_service(db, write=False).nonconformances.get(id)
    if as_json:
        print_json(nc)
        return
    out.note(
        f"{nc.id} "
        + _("lot {batch_id}: {characteristic}").format(
            batch_id=nc.batch_id, characteristic=nc.characteristic
        )
    )
    out.note(
        _("state: {state}   held: {held}   defect: {defect}").format(
            state=label(nc.status, nc), held=nc.quantity, defect=nc.defect
        )
    )
    if nc.evidence:
        out.note(_("evidence: {evidence}").format(evidence=nc.evidence))
    if nc.incident_id:
        out.note(_("escalated to incident {id}").format(id=nc.incident_id))
    out.table(
        _("Dispositions"),
        (_("child lot"), _("kind"), _("quantity"), _("approver"), _("by"), _("note")),
        [(d.lot_id, d.kind, d.quantity, d.approver, d.by, d.note) for d in nc.dispositions],
    )
    out.table(
        _("History"),
        (_("when (UTC)"), _("trigger"), _("state"), _("by"), _("note")),
        [(r.at, r.trigger, f"{r.source} -> {r.dest}", r.actor, r.note) for r in nc.history],
        ids=(),
    )
    rows = []
    for transition in NONCONFORMANCE_LIFECYCLE.transitions:
        if nc.status.value in transition["source"]:
            blockers = NONCONFORMANCE_LIFECYCLE.blockers(nc, transition["trigger"])
            rows.append(
                (transition["trigger"], _("ready") if not blockers else _("; ").join(blockers))
            )
    next_steps = list(dict.fromkeys(rows))
    out.table(_("Next steps"), (_("trigger"), _("needs")), next_steps, ids=())


def _parts(parts: list[str], unit: str, approver: str | None, note: str) -> list[Disposition]:
    from qualityflow.models import Quantity
    from qualityflow.models.nonconformance import Disposition, DispositionKind

    cli = _cli()
    kinds = [k.value for k in DispositionKind]
    chosen = []
    for text in parts:
        match = _PART.match(text)
        if match is None or match["kind"] not in kinds:
            raise cli._fail(
                "bad_input",
                _("--part {text!r} is not KIND=AMOUNT[UNIT]").format(text=text),
                _("e.g. --part rework=500kg; KIND is one of {kinds}").format(
                    kinds=", ".join(kinds)
                ),
            )
        try:
            amount = Decimal(match["amount"])
        except InvalidOperation:  # pragma: no cover - the pattern admits decimals only
            raise cli._fail(
                "bad_input", _("--part {text!r}: bad amount").format(text=text)
            ) from None
        kind = match["kind"]
        chosen.append(
            Disposition(
                kind=kind,
                quantity=Quantity(amount=amount, unit=match["unit"] or unit),
                approver=approver if kind == "use_as_is" else None,
                note=note,
            )
        )
    return chosen


@nc_app.command(
    "dispose",
    help=N_(
        "Dispose of (part of) the held quantity; each part becomes a child lot.\n\n"
        "A refused disposition (more than held, another unit, a concession without approver) "
        "changes nothing and says why."
    ),
)
@_boundary
def nc_dispose(
    id: Annotated[str, typer.Argument(help=N_("The nonconformance id, e.g. NC-IQC-0412."))],
    part: Annotated[
        list[str],
        typer.Option(
            metavar="KIND=AMOUNT",
            help=N_("One part, KIND=AMOUNT[UNIT], e.g. rework=500kg (repeat for each part)."),
        ),
    ],
    actor: Annotated[
        str,
        typer.Option(
            metavar="NAME",
            envvar="QUALITYFLOW_ACTOR",
            help=N_("Who decides (recorded in the audit); default $QUALITYFLOW_ACTOR."),
        ),
    ],
    approver: Annotated[
        str | None,
        typer.Option(metavar="NAME", help=N_("Who approves the use-as-is parts (the concession).")),
    ] = None,
    note: Annotated[
        str, typer.Option(metavar="TEXT", help=N_("Note for the parts and the audit record."))
    ] = "",
    at: Annotated[
        str | None,
        typer.Option(metavar="TIME", help=N_("When (ISO 8601 with timezone); default now.")),
    ] = None,
    db: Db = None,
) -> None:
    """Dispose of (part of) the held quantity; each part becomes a child lot.

    A refused disposition (more than held, another unit, a concession without approver)
    changes nothing and says why.
    """
    cli = _cli()
    when = cli._parse_time(at)
    qms = cli._open(db)
    held = qms.nonconformances.get(id).quantity
    chosen = _parts(part, held.unit, approver, note)
    nc = qms.nonconformances.dispose(id, chosen, actor=actor, at=when, note=note)
    out.note(
        _("{id}: {state}; {done} of {held} dispositioned").format(
            id=nc.id, state=nc.status.value, done=nc.dispositioned, held=nc.quantity
        )
    )
    for d in nc.dispositions[-len(chosen) :]:
        out.note(f"  {d.lot_id}: {d.quantity} {d.kind.value}")


@scar_app.command(
    "list",
    help=N_("List supplier corrective actions: supplier, state, response due, nonconformances."),
)
@_boundary
def scar_list(
    status: Annotated[
        str | None,
        typer.Option(metavar="STATE", help=N_("Only those in this state, e.g. requested.")),
    ] = None,
    supplier: Annotated[
        str | None, typer.Option(metavar="SUP-ID", help=N_("Only those to this supplier."))
    ] = None,
    as_json: AsJson = False,
    db: Db = None,
) -> None:
    """List supplier corrective actions: supplier, state, response due, nonconformances."""
    filters: dict[str, Any] = {}
    if status:
        filters["status"] = status
    if supplier:
        filters["supplier_id"] = supplier
    found = open_service(db, write=False).supplier_actions.list(**filters)
    if as_json:
        print_json(found)
        return
    rows = [
        (
            s.id,
            s.supplier_id,
            label(s.status, s),
            s.due.isoformat(),
            ", ".join(s.sources),
        )
        for s in found
    ]
    headers = (_("id"), _("supplier"), _("status"), _("response due"), _("for"))
    title = _("{n} supplier actions").format(n=len(rows))
    out.table(title, headers, rows)


@scar_app.command(
    "show",
    help=N_("Show one SCAR: what was asked, the supplier's response, our verification, history."),
)
@_boundary
def scar_show(
    id: Annotated[str, typer.Argument(help=N_("The SCAR id, e.g. SCAR-NC-IQC-0412."))],
    as_json: Annotated[bool, typer.Option("--json", help=N_("Print the stored JSON."))] = False,
    db: Db = None,
) -> None:
    """Show one SCAR: what was asked, the supplier's response, our verification, history."""
    from qualityflow.lifecycle.nonconformance import SCAR_LIFECYCLE

    scar = open_service(db, write=False).supplier_actions.get(id)
    if as_json:
        print_json(scar)
        return
    out.note(
        f"{scar.id} "
        + _("to {supplier}: {description}").format(
            supplier=scar.supplier_id, description=scar.description
        )
    )
    out.note(
        _("state: {state}   response due: {due}   for: {ids}").format(
            state=label(scar.status, scar),
            due=scar.due.isoformat(),
            ids=", ".join(scar.sources),
        )
    )
    if scar.response is not None:
        r = scar.response
        out.note(_("containment: {text}").format(text=r.containment))
        out.note(_("root cause: {text}").format(text=r.root_cause))
        out.note(_("corrective action: {text}").format(text=r.corrective_action))
        if r.evidence:
            out.note(_("evidence: {evidence}").format(evidence=r.evidence))
    if scar.verification is not None:
        v = scar.verification
        verdict = _("effective") if v.effective else _("not effective")
        out.note(
            _("verification: {verdict} ({evidence}, {by})").format(
                verdict=verdict, evidence=v.evidence, by=v.verified_by
            )
        )
    out.table(
        _("History"),
        (_("when (UTC)"), _("trigger"), _("state"), _("by"), _("note")),
        [(r.at, r.trigger, f"{r.source} -> {r.dest}", r.actor, r.note) for r in scar.history],
        ids=(),
    )
    rows = [
        (t, _("ready") if not (b := SCAR_LIFECYCLE.blockers(scar, t)) else _("; ").join(b))
        for t in dict.fromkeys(
            tr["trigger"] for tr in SCAR_LIFECYCLE.transitions if scar.status.value in tr["source"]
        )
    ]
    out.table(_("Next steps"), (_("trigger"), _("needs")), rows, ids=())


Actor = Annotated[
    str,
    typer.Option(
        metavar="NAME",
        envvar="QUALITYFLOW_ACTOR",
        help=N_("Who does it (recorded in the audit); default $QUALITYFLOW_ACTOR."),
    ),
]

DEFAULT_DUE_DAYS = 30
"""``scar issue`` without ``--due``: the response is due this many days after today."""


@scar_app.command(
    "issue",
    help=N_(
        "Issue a SCAR to a supplier from a nonconformance (--nc), an incident with a "
        "confirmed material root cause (--incident), or the suspect lots whose common "
        "causes point at the supplier (--supplier with --lot).\n\n"
        "Example: qualityflow scar issue --nc NC-IQC-0412 --due 2026-03-16 --actor 'SQE Priya'."
    ),
)
@_boundary
def scar_issue(
    actor: Actor,
    nc: Annotated[
        str | None, typer.Option("--nc", metavar="NC-ID", help=N_("From this nonconformance."))
    ] = None,
    incident: Annotated[
        str | None,
        typer.Option(
            metavar="INC-ID", help=N_("From this incident (root cause confirmed, material).")
        ),
    ] = None,
    supplier: Annotated[
        str | None,
        typer.Option(
            metavar="SUP-ID",
            help=N_(
                "To this supplier: with --lot, the common causes of the lots must point at it; "
                "with --incident, the supplier among several upstream."
            ),
        ),
    ] = None,
    lot: Annotated[
        list[str] | None,
        typer.Option(metavar="ID", help=N_("A suspect lot (repeat), with --supplier.")),
    ] = None,
    due: Annotated[
        str | None,
        typer.Option(
            metavar="DATE",
            help=N_("The day the response is due, e.g. 2026-03-16 (default: in 30 days)."),
        ),
    ] = None,
    supplier_caused: Annotated[
        bool,
        typer.Option(
            "--supplier-caused", help=N_("With --nc: the defect is the supplier's (recorded).")
        ),
    ] = False,
    description: Annotated[
        str,
        typer.Option(metavar="TEXT", help=N_("What is asked (default: the defect or root cause).")),
    ] = "",
    id: Annotated[
        str | None,
        typer.Option("--id", metavar="ID", help=N_("The SCAR id (default: from the source).")),
    ] = None,
    as_json: AsJson = False,
    db: Db = None,
) -> None:
    """Issue a SCAR from a nonconformance, an incident, or common causes of suspect lots."""
    from datetime import date, datetime, timedelta, timezone

    cli = _cli()
    lots = list(lot or [])
    sources = [name for name, given in (("--nc", nc), ("--incident", incident)) if given]
    if lots:
        sources.append("--lot")
    if len(sources) != 1:
        raise cli._fail(
            "bad_input",
            _("give exactly one source of the SCAR, not {given}").format(
                given=_(", ").join(sources) or _("none")
            ),
            _("--nc NC-ID, --incident INC-ID, or --supplier SUP-ID with --lot ID (repeated)"),
        )
    if lots and not supplier:
        raise cli._fail(
            "bad_input",
            _("--lot needs --supplier: the supplier the common causes point at"),
            _("e.g. --supplier SUP-MILL --lot BISC-1 --lot BISC-2"),
        )
    if nc and supplier:
        raise cli._fail(
            "bad_input",
            _("--supplier does not go with --nc: the SCAR goes to the supplier of the lot"),
        )
    if due is None:
        when = datetime.now(timezone.utc).date() + timedelta(days=DEFAULT_DUE_DAYS)
    else:
        try:
            when = date.fromisoformat(due)
        except ValueError:
            raise cli._fail(
                "bad_input",
                _("--due {value!r} is not a date").format(value=due),
                _("give the day as YYYY-MM-DD, e.g. --due 2026-03-16"),
            ) from None
    common: dict[str, Any] = {"due": when, "actor": actor, "id": id, "description": description}
    qms = cli._open(db)
    repo = qms.supplier_actions
    if nc:
        scar = repo.request(nc, supplier_caused=supplier_caused, **common)
    elif incident:
        scar = repo.request_from_incident(incident, supplier_id=supplier, **common)
    else:
        assert supplier is not None
        scar = repo.request_from_common_causes(lots, supplier_id=supplier, **common)
    if as_json:
        print_json(scar)
        return
    out.note(
        _("{id}: issued to {supplier}, response due {due}").format(
            id=scar.id, supplier=scar.supplier_id, due=scar.due.isoformat()
        )
    )
    out.note(_("for: {ids}").format(ids=", ".join(scar.sources)))


def _answer(path: Path) -> SupplierResponse:
    """Read the supplier's JSON answer and check it against the published schema.

    The schema is ``json_schemas()["SupplierResponse"]``, generated from the model that
    checks it here, so a portal validating against the schema and this command agree.
    """
    import json

    from pydantic import ValidationError

    from qualityflow.models.nonconformance import SupplierResponse

    cli = _cli()
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise cli._fail(
            "bad_input",
            _("--file {path}: cannot read it: {error}").format(path=path, error=exc),
        ) from None
    try:
        answer = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise cli._fail(
            "bad_input",
            _("--file {path} is not valid JSON ({error} at line {line} column {column})").format(
                path=path, error=exc.msg, line=exc.lineno, column=exc.colno
            ),
        ) from None
    try:
        return SupplierResponse.model_validate(answer)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) or _("(the answer)")
            if error["type"] == "missing":
                lines.append("  - " + _("{field}: missing (required)").format(field=field))
            elif error["type"] == "extra_forbidden":
                lines.append("  - " + _("{field}: not a field of the answer").format(field=field))
            else:
                lines.append(f"  - {field}: {error['msg']}")
        raise cli._fail(
            "bad_input",
            _("--file {path} is not a valid supplier answer:").format(path=path)
            + "\n"
            + "\n".join(lines),
            _("see `qualityflow schema SupplierResponse` for the fields; nothing was written"),
        ) from None


@scar_app.command(
    "respond",
    help=N_(
        "Record the supplier's answer to a SCAR from a JSON file (containment, root cause, "
        "corrective action, responded_by, responded_at).\n\n"
        "The answer is checked against the published schema first: a malformed one is "
        "refused naming the field, exit code 2, and nothing is written."
    ),
)
@_boundary
def scar_respond(
    id: Annotated[str, typer.Argument(help=N_("The SCAR id, e.g. SCAR-NC-IQC-0412."))],
    file: Annotated[
        Path,
        typer.Option(
            "--file", metavar="FILE", help=N_("The supplier's answer as JSON (SupplierResponse).")
        ),
    ],
    actor: Actor,
    note: Annotated[str, typer.Option(metavar="TEXT", help=N_("Note for the audit record."))] = "",
    as_json: AsJson = False,
    db: Db = None,
) -> None:
    """Record the supplier's answer to a SCAR from a JSON file."""
    from qualityflow.models.nonconformance import ScarStatus

    cli = _cli()
    response = _answer(file)
    qms = cli._open(db)
    repo = qms.supplier_actions
    if repo.get(id).status is ScarStatus.REQUESTED:
        repo.fire(id, "acknowledge", actor=actor, note=_("acknowledged by the answer"))
    scar = repo.fire(id, "respond", actor=actor, note=note, response=response)
    if as_json:
        print_json(scar)
        return
    out.note(
        _("{id}: {state}; answered by {by}").format(
            id=scar.id, state=label(scar.status, scar), by=response.responded_by
        )
    )
