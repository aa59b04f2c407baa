"""``qualityflow incidents ...`` and ``qualityflow complaints ...``: list, show, add, fire."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from qualityflow.cli import _output as out
from qualityflow.cli._db import Db, open_service
from qualityflow.cli._errors import fail, handles_errors
from qualityflow.cli._input import exists, parse_data, parse_time
from qualityflow.i18n import N_, _, label

if TYPE_CHECKING:
    from qualityflow.models import Complaint, Incident
    from qualityflow.service import QualityFlow

__all__ = ["complaints_app", "incidents_app"]

incidents_app = typer.Typer(
    help=N_("List, show, add and move quality incidents."), no_args_is_help=True
)
complaints_app = typer.Typer(
    help=N_("List, show, add, move and escalate customer complaints."), no_args_is_help=True
)

AsJson = Annotated[bool, typer.Option("--json", help=N_("Print JSON only."))]

# The help of the commands both groups share, per kind: message ids for --lang.
_HELP: dict[str, dict[str, str]] = {
    "incident": {
        "list_short": N_("List incidents (--status STATE)."),
        "list": N_("List incidents, optionally only those in one state."),
        "show_short": N_("Show an incident: state, history, next steps."),
        "show": N_("Show an incident: its state, history, links and what the next steps need."),
        "add_short": N_("Record a new incident from JSON."),
        "add": N_(
            "Record a new incident from JSON (the model's fields; see `qualityflow schema "
            "Incident`)."
        ),
        "add_json": N_("The new incident as a JSON object, or @file.json."),
        "fire_short": N_("Fire a lifecycle trigger on an incident."),
        "fire": N_(
            "Fire a lifecycle trigger on an incident, setting --data fields first; a refused "
            "trigger changes nothing and lists what is missing. Example: qualityflow incidents "
            "fire INC-5 reopen --actor 'Dana Ruiz' --note 'second shard found'."
        ),
    },
    "complaint": {
        "list_short": N_("List complaints (--status STATE)."),
        "list": N_("List complaints, optionally only those in one state."),
        "show_short": N_("Show a complaint: state, history, next steps."),
        "show": N_("Show a complaint: its state, history, links and what the next steps need."),
        "add_short": N_("Record a new complaint from JSON."),
        "add": N_(
            "Record a new complaint from JSON (the model's fields; see `qualityflow schema "
            "Complaint`)."
        ),
        "add_json": N_("The new complaint as a JSON object, or @file.json."),
        "fire_short": N_("Fire a lifecycle trigger on a complaint."),
        "fire": N_(
            "Fire a lifecycle trigger on a complaint, setting --data fields first; a refused "
            "trigger changes nothing and lists what is missing. Example: qualityflow complaints "
            "fire CMP-17 reopen --actor 'Dana Ruiz' --note 'second shard found'."
        ),
    },
}

IdArg = Annotated[
    str,
    typer.Argument(metavar="ID", help=N_("The incident or complaint id, e.g. INC-5 or CMP-17.")),
]


def _case_commands(group: typer.Typer, kind: str) -> None:
    """Register list, show, add and fire on ``group`` for the ``kind`` repository."""
    helps = _HELP[kind]

    def repo(qms: "QualityFlow") -> Any:
        return qms.incidents if kind == "incident" else qms.complaints

    def lifecycle() -> Any:
        from qualityflow import lifecycle as lc

        return lc.INCIDENT_LIFECYCLE if kind == "incident" else lc.COMPLAINT_LIFECYCLE

    @group.command("list", short_help=helps["list_short"])
    @handles_errors
    def list_(
        status: Annotated[
            str | None,
            typer.Option(metavar="STATE", help=N_("Only cases in this state, e.g. investigating.")),
        ] = None,
        as_json: AsJson = False,
        db: Db = None,
    ) -> None:
        states = lifecycle().states
        if status is not None and status not in states:
            raise fail(
                "bad_input",
                f"--status {status!r}",
                _("use one of {choices}").format(choices=", ".join(states)),
            )
        filters = {"status": status} if status else {}
        cases = repo(open_service(db, write=False)).list(**filters)
        if as_json:
            out.print_json(cases)
            return
        rows: list[tuple[object, ...]]
        headers: tuple[str, ...]
        if kind == "incident":
            rows = [
                (i.id, label(i.severity), label(i.status, i), i.reported_at, i.title) for i in cases
            ]
            headers = (_("id"), _("severity"), _("status"), _("reported (UTC)"), _("title"))
        else:
            rows = [
                (
                    c.id,
                    label(c.severity),
                    label(c.status, c),
                    c.received_at,
                    label(c.channel),
                    c.customer_id,
                    c.incident_id,
                    c.description,
                )
                for c in cases
            ]
            headers = (
                _("id"), _("severity"), _("status"), _("received (UTC)"), _("channel"),
                _("customer"), _("incident"), _("description"),
            )  # fmt: skip
        out.table(
            out.plural(len(rows), kind),
            headers,
            rows,
            ids=(0, 5, 6) if kind == "complaint" else (0,),
        )

    list_.__doc__ = helps["list"]

    @group.command(short_help=helps["show_short"])
    @handles_errors
    def show(
        id: IdArg,
        as_json: Annotated[bool, typer.Option("--json", help=N_("Print the stored JSON."))] = False,
        db: Db = None,
    ) -> None:
        qms = open_service(db, write=False)
        entity = repo(qms).get(id)
        if as_json:
            out.print_json(entity)
            return
        _show_case(qms, entity, lifecycle())

    show.__doc__ = helps["show"]

    @group.command(short_help=helps["add_short"])
    @handles_errors
    def add(
        data: Annotated[
            str,
            typer.Argument(metavar="JSON", help=helps["add_json"]),
        ],
        as_json: AsJson = False,
        db: Db = None,
    ) -> None:
        fields = _parse_model(data, lifecycle().model)
        qms = open_service(db, write=True)
        if exists(repo(qms), fields.id):
            raise fail(
                "bad_input",
                _("{kind} {id!r} already exists").format(kind=label(kind), id=fields.id),
                _("give a new id, or see it with `{command}`").format(
                    command=f"qualityflow {kind}s show {fields.id}"
                ),
            )
        entity = repo(qms).add(fields)
        if as_json:
            out.print_json(entity)
            return
        out.note(_("{id}: added ({state})").format(id=entity.id, state=label(entity.status, kind)))

    add.__doc__ = helps["add"]

    @group.command(short_help=helps["fire_short"])
    @handles_errors
    def fire(
        id: IdArg,
        trigger: Annotated[
            str, typer.Argument(metavar="TRIGGER", help=N_("The trigger, e.g. assess or close."))
        ],
        actor: Annotated[
            str,
            typer.Option(
                metavar="NAME",
                envvar="QUALITYFLOW_ACTOR",
                help=N_("Who fires it (recorded in the audit); default $QUALITYFLOW_ACTOR."),
            ),
        ],
        note: Annotated[
            str, typer.Option(metavar="TEXT", help=N_("Note for the audit record."))
        ] = "",
        at: Annotated[
            str | None,
            typer.Option(metavar="TIME", help=N_("When (ISO 8601 with timezone); default now.")),
        ] = None,
        data: Annotated[
            str | None,
            typer.Option(
                metavar="JSON", help=N_("JSON object of fields to set first, or @file.json.")
            ),
        ] = None,
        sign: Annotated[
            str | None,
            typer.Option(
                metavar="MEANING",
                help=N_(
                    "Sign the step electronically with this meaning (e.g. 'approved "
                    "closure'); the credential is $QUALITYFLOW_CREDENTIAL, else asked."
                ),
            ),
        ] = None,
        as_json: AsJson = False,
        db: Db = None,
    ) -> None:
        fields = parse_data(data)
        when = parse_time(at, "--at")
        if sign is not None:
            from qualityflow.cli._people import credential
            from qualityflow.models import Signature

            if not sign.strip():
                raise fail(
                    "bad_input",
                    _("--sign needs the signature's meaning"),
                    _("e.g. --sign 'approved closure'"),
                )
            fields["signature"] = Signature(meaning=sign.strip())
            fields["credential"] = credential(actor)
        known = lifecycle().triggers
        if trigger not in known:
            raise fail(
                "bad_input",
                _("unknown trigger {trigger!r}").format(trigger=trigger),
                _("use one of {choices}").format(choices=", ".join(known)),
            )
        qms = open_service(db, write=True)
        entity = repo(qms).fire(id, trigger, actor=actor, at=when, note=note, **fields)
        if as_json:
            out.print_json(entity)
            return
        record = entity.history[-1]
        out.note(
            _("{id}: {trigger} ({source} -> {dest}) by {actor}").format(
                id=entity.id,
                trigger=record.trigger,
                source=record.source,
                dest=record.dest,
                actor=record.actor,
            )
        )

    fire.__doc__ = helps["fire"]


def _parse_model(data: str, model: Any) -> Any:
    return model.model_validate(parse_data(data, "JSON"))


def _show_case(qms: "QualityFlow", entity: "Incident | Complaint", lifecycle: Any) -> None:
    from qualityflow.errors import NotFoundError
    from qualityflow.models import Incident
    from qualityflow.reports._doc import signed_note

    title = entity.title if isinstance(entity, Incident) else entity.description
    out.note(f"{entity.id}: {title}")
    out.note(
        _("state: {state}   severity: {severity}").format(
            state=label(entity.status, entity), severity=label(entity.severity)
        )
    )
    if isinstance(entity, Incident):
        for complaint_id in getattr(entity, "complaint_ids", []):
            out.note(_("complaint: {id}").format(id=complaint_id))
    else:
        out.note(
            _("customer: {customer}   channel: {channel}").format(
                customer=entity.customer_id, channel=label(entity.channel)
            )
        )
        if entity.batch_ids:
            out.note(_("batches: {ids}").format(ids=", ".join(entity.batch_ids)))
        if entity.incident_id:
            try:
                linked = qms.incidents.get(entity.incident_id)
                detail = " " + _("({state}: {title})").format(
                    state=label(linked.status, linked), title=linked.title
                )
            except NotFoundError:
                detail = " " + _("(not stored)")
            out.note(_("incident: {id}{detail}").format(id=entity.incident_id, detail=detail))
        else:
            out.note(_("incident: none (escalate with `qualityflow complaints escalate`)"))
    out.note()
    out.table(
        _("History"),
        (_("when (UTC)"), _("trigger"), _("state"), _("by"), _("note")),
        [
            (r.at, r.trigger, f"{r.source} -> {r.dest}", r.actor, signed_note(r))
            for r in entity.history
        ],
        ids=(),
    )
    state = out.text(entity.status)
    rows = []
    for transition in lifecycle.transitions:
        if state not in transition["source"]:
            continue
        blockers = lifecycle.blockers(entity, transition["trigger"])
        rows.append((transition["trigger"], _("ready") if not blockers else _("; ").join(blockers)))
    out.table(_("Next steps"), (_("trigger"), _("needs")), rows, ids=())


_case_commands(incidents_app, "incident")
_case_commands(complaints_app, "complaint")


@complaints_app.command(
    short_help=N_("Link a complaint to an incident, opening it if asked."),
    help=N_(
        "Escalate a complaint to an incident, opening the incident first if asked to.\n\n"
        "A new incident takes the complaint's batches, product and description, so the "
        "emergency team starts from what the customer reported (the rules are the service's, "
        "``qms.complaints.escalate``: a second escalation to the same incident, and one of a "
        "closed or rejected complaint, are refused)."
    ),
)
@handles_errors
def escalate(
    id: Annotated[str, typer.Argument(metavar="ID", help=N_("The complaint id, e.g. CMP-17."))],
    incident: Annotated[
        str, typer.Option(metavar="ID", help=N_("The incident to link, e.g. INC-5."))
    ],
    actor: Annotated[
        str,
        typer.Option(
            metavar="NAME",
            envvar="QUALITYFLOW_ACTOR",
            help=N_("Who escalates (recorded in the audit); default $QUALITYFLOW_ACTOR."),
        ),
    ],
    title: Annotated[
        str | None,
        typer.Option(
            metavar="TEXT", help=N_("Open the incident with this title if it does not exist.")
        ),
    ] = None,
    severity: Annotated[
        str | None,
        typer.Option(
            metavar="SEVERITY",
            help=N_(
                "Severity of a new incident: critical, major or minor (default: the complaint's)."
            ),
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(metavar="TIME", help=N_("When (ISO 8601 with timezone); default now.")),
    ] = None,
    as_json: AsJson = False,
    db: Db = None,
) -> None:
    """Escalate a complaint to an incident, opening the incident first if asked to.

    A new incident takes the complaint's batches, product and description, so the
    emergency team starts from what the customer reported (the rules are the service's,
    ``qms.complaints.escalate``: a second escalation to the same incident, and one of a
    closed or rejected complaint, are refused).
    """
    when = parse_time(at, "--at")
    qms = open_service(db, write=True)
    messages = []
    opening: dict[str, str] | None = None
    if not exists(qms.incidents, incident):
        if title is None:
            raise fail(
                "not_found",
                _("{kind} {id!r} not found").format(kind=label("incident"), id=incident),
                _("give --title (and --severity) to open it, or name an existing incident"),
            )
        opening = {"title": title, **({"severity": severity} if severity else {})}
    updated = qms.complaints.escalate(
        id, incident_id=incident, incident=opening, actor=actor, at=when
    )
    if opening is not None:
        messages.append(_("{id}: opened ({title})").format(id=incident, title=title))
    messages.append(
        _("{id}: escalated to {incident_id}").format(id=updated.id, incident_id=updated.incident_id)
    )
    for message in messages:
        out.note(message, err=as_json)
    if as_json:
        out.print_json(updated)
