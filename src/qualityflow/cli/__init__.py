"""The ``qualityflow`` command: the library's whole loop from a terminal.

Every command reads the database from ``--db URL``, else ``QUALITYFLOW_URL``, else the
embedded default ``sqlite:///qualityflow.db``. Errors print what is wrong and how to fix
it, never a traceback, and exit with a code that says what kind of problem it was:

===== =====================================================================
code  meaning
===== =====================================================================
0     done
1     refused: a lifecycle guard, a genealogy rule or a concurrent change
2     bad input: a command-line mistake, bad JSON, invalid EPCIS or model data
3     not found: no incident, complaint, batch... with that id
4     storage: the database could not be opened or written
===== =====================================================================
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from qualityflow.errors import (
    InteropError,
    NotFoundError,
    QualityFlowError,
    StorageError,
    TransitionError,
)
from qualityflow.plugins import hookimpl

if TYPE_CHECKING:
    from qualityflow.models import Complaint, Incident, Notification, TransitionRecord
    from qualityflow.service import QualityFlow

__all__ = ["DEFAULT_URL", "EXIT_CODES", "app", "main"]

DEFAULT_URL = "sqlite:///qualityflow.db"
"""The database used when neither ``--db`` nor ``QUALITYFLOW_URL`` is given."""

EXIT_CODES = {"ok": 0, "refused": 1, "bad_input": 2, "not_found": 3, "storage": 4}
"""The command's exit codes by meaning."""

app = typer.Typer(
    help="qualityflow: quality-management workflows for light industry.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
incidents_app = typer.Typer(help="List, show and move quality incidents.", no_args_is_help=True)
complaints_app = typer.Typer(help="List, show and move customer complaints.", no_args_is_help=True)
report_app = typer.Typer(
    help="Reports: 8D, KPIs, Pareto of complaints, supplier scorecard, quality review.",
    no_args_is_help=True,
)
app.add_typer(incidents_app, name="incidents")
app.add_typer(complaints_app, name="complaints")
app.add_typer(report_app, name="report")

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="QUALITYFLOW_URL",
        help=f"Database URL (memory://, sqlite:///file.db, postgresql://..., mysql://...). "
        f"Default: $QUALITYFLOW_URL or {DEFAULT_URL}.",
        show_default=False,
    ),
]

Limit = Annotated[int, typer.Option(help="Show at most this many rows per table (0: all).", min=0)]

F = TypeVar("F", bound=Callable[..., Any])


def _fail(code: str, message: str, hint: str = "") -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", markup=True)
    if hint:
        err_console.print(f"[dim]hint:[/] {hint}", markup=True)
    return typer.Exit(EXIT_CODES[code])


def handles_errors(func: F) -> F:
    """Turn library errors into a clear message and an exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TransitionError as exc:
            lines = "\n".join(f"  - {r}" for r in exc.reasons) or "  - not allowed"
            raise _fail(
                "refused",
                f"cannot {exc.trigger!r} from state {exc.state!r}; what is missing:\n{lines}",
                "record the missing data with --data '{...}' (JSON of the entity's fields), "
                "or see `show ID` for the triggers allowed now",
            ) from None
        except NotFoundError as exc:
            raise _fail(
                "not_found", str(exc), "check the id; `incidents list` lists what is stored"
            ) from None
        except StorageError as exc:
            raise _fail(
                "storage", str(exc), "check --db or QUALITYFLOW_URL and that the server answers"
            ) from None
        except InteropError as exc:
            raise _fail("bad_input", str(exc)) from None
        except QualityFlowError as exc:
            raise _fail("refused", str(exc)) from None
        except Exception as exc:
            # pydantic is imported here, not at the top: `qualityflow --help` does not need it.
            from pydantic import ValidationError

            if not isinstance(exc, ValidationError):
                raise
            raise _fail("bad_input", f"invalid data: {exc}") from None

    return wrapper  # type: ignore[return-value]


_ROOT_DB: dict[str, str | None] = {"db": None}


def _url(db: str | None) -> str:
    return db or _ROOT_DB["db"] or os.environ.get("QUALITYFLOW_URL") or DEFAULT_URL


def _open(db: str | None, plugins: Sequence[object] = ()) -> QualityFlow:
    from qualityflow.service import QualityFlow

    return QualityFlow(_url(db), plugins=plugins)


class _NotificationLog:
    """A plugin that keeps the notifications the demo sends, to show them as a table."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    @hookimpl
    def qualityflow_notify(self, notification: Notification) -> None:
        """Keep ``notification``."""
        self.sent.append(notification)


def _version(value: bool) -> None:
    if value:
        from qualityflow import __version__

        console.print(f"qualityflow {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    db: Db = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Quality-management workflows: incidents, complaints, recalls, suppliers."""
    _ROOT_DB["db"] = db


# ------------------------------------------------------------------------------ helpers


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")
    enum_value = getattr(value, "value", None)
    if isinstance(enum_value, str):
        return enum_value
    return str(value)


def _table(
    title: str, headers: Sequence[str], rows: Iterable[Sequence[object]], limit: int = 0
) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    for header in headers:
        table.add_column(header)
    hidden = 0
    for n, row in enumerate(rows):
        if limit and n >= limit:
            hidden += 1
            continue
        table.add_row(*(_text(c) for c in row))
    if hidden:
        table.caption = f"... and {hidden} more (--limit 0 shows all)"
    return table


def _parse_data(data: str | None) -> dict[str, Any]:
    if data is None:
        return {}
    text = data
    if data.startswith("@"):
        path = Path(data[1:])
        if not path.is_file():
            raise _fail("bad_input", f"--data {data}: no such file {path}")
        text = path.read_text(encoding="utf-8")
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(
            "bad_input",
            f"--data is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
            'give a JSON object, e.g. --data \'{"lessons": ["check the sieve daily"]}\' '
            "or --data @fields.json",
        ) from None
    if not isinstance(parsed, dict):
        raise _fail("bad_input", "--data must be a JSON object of field names and values")
    return parsed


def _parse_time(at: str | None) -> datetime | None:
    if at is None:
        return None
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        raise _fail(
            "bad_input", f"--at {at!r} is not an ISO 8601 time", "e.g. 2026-03-05T09:30+00:00"
        ) from None
    if when.tzinfo is None:
        raise _fail("bad_input", f"--at {at!r} has no timezone", "add one, e.g. +00:00 or Z")
    return when


def _timeline_rows(
    cases: Iterable[tuple[str, Sequence[TransitionRecord]]],
) -> list[tuple[object, ...]]:
    rows = [
        (r.at, case, f"{r.trigger}: {r.source} -> {r.dest}", r.actor)
        for case, history in cases
        for r in history
    ]
    return sorted(rows, key=lambda row: row[0])  # type: ignore[arg-type,return-value]


# --------------------------------------------------------------------------------- demo


@app.command()
@handles_errors
def demo(
    db: Db = None,
    html: Annotated[
        Path | None, typer.Option(help="Also write the 8D report as an HTML page here.")
    ] = None,
) -> None:
    """Play a biscuit plant's worst week: complaint, incident, recall, root cause, 8D.

    Builds Sunrise Biscuits (suppliers, lots, mixes, finished batches, shipments) in the
    database, then a consumer posts a photo of a metal shard on social media: the
    complaint escalates to an incident, the emergency team assesses and recalls, finds the
    root cause with 5-Why and fishbone, corrects, verifies and closes. Re-running adds a
    new run with suffixed ids.
    """
    from qualityflow.demo import plant, run_demo
    from qualityflow.notify.log import LOGGER_NAME
    from qualityflow.reports import eight_d, mock_recall

    sent = _NotificationLog()
    qms = _open(db, plugins=[sent])
    # The notifications are shown as a table below, not also as log lines.
    quiet = logging.NullHandler()
    logger = logging.getLogger(LOGGER_NAME)
    logger.addHandler(quiet)
    try:
        with console.status("Building Sunrise Biscuits and playing the week..."):
            run = run_demo(qms)
    finally:
        logger.removeHandler(quiet)
    p = plant(run.tag)
    console.rule("[bold]Sunrise Biscuits", style="blue")
    console.print(
        _table(
            "The plant",
            ("batch", "kind", "product", "quantity", "supplier / line"),
            [(b.id, b.kind, b.product, b.quantity, b.supplier_id or b.line) for b in p.batches],
        )
    )
    incident = qms.incidents.get(run.incident_id)
    complaint = qms.complaints.get(run.complaint_id)
    console.rule("[bold]Timeline", style="blue")
    console.print(
        _table(
            f"{complaint.id} (complaint) and {incident.id} (incident)",
            ("when (UTC)", "case", "step", "by"),
            _timeline_rows([(complaint.id, complaint.history), (incident.id, incident.history)]),
        )
    )
    console.print(
        _table(
            f"{len(sent.sent)} notifications sent (the logging notifier and plugins get each)",
            ("at (UTC)", "kind", "case", "title"),
            [(n.at, n.kind, n.subject_id, n.title) for n in sent.sent],
        )
    )
    assert incident.recall is not None  # the demo recalls
    impact = qms.recall_impact(*incident.recall.batch_ids)
    console.rule("[bold]Recall impact", style="blue")
    _print_impact(impact)
    drill = mock_recall(qms, run.flour_lot_id)
    console.print(
        f"Mock-recall drill for flour lot {drill.lot_id}: answered in "
        f"{drill.elapsed.total_seconds():.3f} s (FSMA 204 bound: 24 h), "
        f"{len(drill.batch_ids)} batches, {len(drill.shipment_ids)} shipments, "
        f"{len(drill.customer_ids)} customers."
    )
    report = eight_d(
        incident,
        impact=impact,
        genealogy=qms.genealogy,
        complaints=[complaint],
        audit_head=qms.audit.head(),
        audit_at=datetime.now(timezone.utc),
    )
    console.rule("[bold]8D report", style="blue")
    console.print(Markdown(report.to_markdown()))
    if html is not None:
        html.write_text(report.to_html(), encoding="utf-8")
        console.print(f"8D report written to {html}")
    console.print(
        f"\nData stored in {_url(db)}. Try: qualityflow trace {run.flour_lot_id}   "
        f"qualityflow incidents show {incident.id}   "
        f"qualityflow report 8d {incident.id} --html 8d.html"
    )


# ----------------------------------------------------------------------- trace & recall


@app.command()
@handles_errors
def trace(
    ids: Annotated[list[str], typer.Argument(help="Batch, lot or shipment ids to trace from.")],
    backward: Annotated[
        bool, typer.Option("--backward", "-b", help="Trace upstream (where it came from).")
    ] = False,
    depth: Annotated[int | None, typer.Option(help="Stop after this many steps.")] = None,
    limit: Limit = 200,
    db: Db = None,
) -> None:
    """Trace lots forward (where did they go) or backward (what went into them)."""
    qms = _open(db)
    with console.status("Loading the genealogy..."):
        genealogy = qms.genealogy
    _require_known(genealogy, ids)
    result = (
        genealogy.trace_backward(*ids, depth=depth)
        if backward
        else genealogy.trace_forward(*ids, depth=depth)
    )
    direction = "upstream of" if backward else "downstream of"
    reached = sorted(result.ids)
    rows = []
    for node in reached[:limit] if limit else reached:
        data = genealogy.graph.nodes[node]
        rows.append(
            (
                node,
                data.get("kind"),
                data.get("product") or data.get("customer"),
                data.get("status") or data.get("region"),
                " > ".join(result.path_to(node)),
            )
        )
    table = _table(
        f"{len(reached)} ids {direction} {', '.join(ids)}",
        ("id", "kind", "product / customer", "status / region", "path"),
        rows,
    )
    if len(rows) < len(reached):
        table.caption = f"... and {len(reached) - len(rows)} more (--limit 0 shows all)"
    console.print(table)


def _require_known(genealogy: Any, ids: Sequence[str]) -> None:
    """Exit 3 naming the ids the genealogy does not hold."""
    missing = [i for i in ids if i not in genealogy]
    if missing:
        raise _fail(
            "not_found",
            f"not in the genealogy: {', '.join(missing)}",
            "check the ids (`qualityflow trace` shows what a lot reaches); lots come in "
            "through the service or `qualityflow import-epcis`",
        )


def _print_impact(impact: Any, limit: int = 0) -> None:
    console.print(
        _table(
            "Affected batches",
            ("batch", "kind", "product", "status"),
            [(b.id, b.kind, b.product, b.status) for b in impact.batches],
            limit,
        )
    )
    console.print(
        _table(
            "Shipments to recall",
            ("shipment", "batch", "customer", "region", "quantity", "shipped (UTC)"),
            [
                (s.id, s.batch_id, s.customer_id, s.region, s.quantity, s.shipped_at)
                for s in sorted(impact.shipments, key=lambda s: s.id)
            ],
            limit,
        )
    )
    console.print(str(impact))


@app.command()
@handles_errors
def recall(
    ids: Annotated[list[str], typer.Argument(help="Suspect batch or lot ids.")],
    drill: Annotated[
        bool, typer.Option("--drill", help="Time the answer (mock-recall drill, FSMA 204).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the impact as JSON.")] = False,
    sheet: Annotated[
        Path | None,
        typer.Option("--fsma204", help="With --drill: also write the FSMA 204 sheet here, timed."),
    ] = None,
    limit: Limit = 200,
    db: Db = None,
) -> None:
    """Show what a recall of the suspect lots touches: batches, shipments, customers."""
    from qualityflow.reports import mock_recall

    qms = _open(db)
    with console.status("Tracing the recall..."):
        _require_known(qms.genealogy, ids)
        impact = qms.recall_impact(*ids)
    if as_json:
        console.print_json(json.dumps(impact.to_dict()))
    else:
        _print_impact(impact, limit)
    if sheet is not None and not drill:
        raise _fail("bad_input", "--fsma204 goes with --drill", "use export-fsma204 alone")
    if drill:
        for lot in ids:
            target = None
            if sheet is not None:
                target = sheet if len(ids) == 1 else sheet.with_stem(f"{sheet.stem}-{lot}")
            console.print(Markdown(mock_recall(qms, lot, spreadsheet=target).to_markdown()))


# ---------------------------------------------------------------- incidents & complaints


def _case_commands(group: typer.Typer, kind: str) -> None:
    """Register list, show and fire on ``group`` for the ``kind`` repository."""

    def repo(qms: QualityFlow) -> Any:
        return qms.incidents if kind == "incident" else qms.complaints

    def lifecycle() -> Any:
        from qualityflow import lifecycle as lc

        return lc.INCIDENT_LIFECYCLE if kind == "incident" else lc.COMPLAINT_LIFECYCLE

    @group.command("list")
    @handles_errors
    def list_(
        status: Annotated[
            str | None, typer.Option(help="Only cases in this state, e.g. investigating.")
        ] = None,
        db: Db = None,
    ) -> None:
        states = lifecycle().states
        if status is not None and status not in states:
            raise _fail("bad_input", f"--status {status!r}", f"use one of {', '.join(states)}")
        filters = {"status": status} if status else {}
        cases = repo(_open(db)).list(**filters)
        rows: list[tuple[object, ...]]
        headers: tuple[str, ...]
        if kind == "incident":
            rows = [(i.id, i.severity, i.status, i.reported_at, i.title) for i in cases]
            headers = ("id", "severity", "status", "reported (UTC)", "title")
        else:
            rows = [
                (c.id, c.severity, c.status, c.received_at, c.channel, c.description) for c in cases
            ]
            headers = ("id", "severity", "status", "received (UTC)", "channel", "description")
        console.print(_table(f"{len(rows)} {kind}s", headers, rows))

    list_.__doc__ = f"List {kind}s, optionally only those in one state."

    @group.command()
    @handles_errors
    def show(
        id: Annotated[
            str, typer.Argument(help="The incident or complaint id, e.g. INC-5 or CMP-17.")
        ],
        as_json: Annotated[bool, typer.Option("--json", help="Print the stored JSON.")] = False,
        db: Db = None,
    ) -> None:
        entity = repo(_open(db)).get(id)
        if as_json:
            console.print_json(entity.model_dump_json())
            return
        _show_case(entity, lifecycle())

    show.__doc__ = f"Show one {kind}: its state, history and what the next steps need."

    @group.command()
    @handles_errors
    def add(
        data: Annotated[str, typer.Argument(help="The new case as a JSON object, or @file.json.")],
        db: Db = None,
    ) -> None:
        fields = _parse_data(data)
        model = lifecycle().model
        entity = repo(_open(db)).add(model.model_validate(fields))
        console.print(f"{entity.id}: added ({_text(entity.status)})")

    add.__doc__ = (
        f"Record a new {kind} from JSON (the model's fields; see `qualityflow schema "
        f"{kind.capitalize()}`)."
    )

    @group.command()
    @handles_errors
    def fire(
        id: Annotated[
            str, typer.Argument(help="The incident or complaint id, e.g. INC-5 or CMP-17.")
        ],
        trigger: Annotated[str, typer.Argument(help="The trigger, e.g. assess, close.")],
        actor: Annotated[str, typer.Option(help="Who fires it (recorded in the audit).")],
        note: Annotated[str, typer.Option(help="Note for the audit record.")] = "",
        at: Annotated[
            str | None, typer.Option(help="When (ISO 8601 with timezone); default now.")
        ] = None,
        data: Annotated[
            str | None,
            typer.Option(help="JSON object of fields to set first, or @file.json."),
        ] = None,
        db: Db = None,
    ) -> None:
        fields = _parse_data(data)
        when = _parse_time(at)
        known = lifecycle().triggers
        if trigger not in known:
            raise _fail(
                "bad_input", f"unknown trigger {trigger!r}", f"use one of {', '.join(known)}"
            )
        entity = repo(_open(db)).fire(id, trigger, actor=actor, at=when, note=note, **fields)
        record = entity.history[-1]
        console.print(
            f"{entity.id}: {record.trigger} ({record.source} -> {record.dest}) by {record.actor}"
        )

    fire.__doc__ = (
        f"Fire a lifecycle trigger on a {kind}, setting --data fields first; "
        "a refused trigger changes nothing and lists what is missing."
    )


def _show_case(entity: Incident | Complaint, lifecycle: Any) -> None:
    from qualityflow.models import Incident

    title = entity.title if isinstance(entity, Incident) else entity.description
    console.print(f"[bold]{entity.id}[/] {title}", markup=True)
    console.print(f"state: {_text(entity.status)}   severity: {_text(entity.severity)}")
    console.print(
        _table(
            "History",
            ("when (UTC)", "trigger", "state", "by", "note"),
            [(r.at, r.trigger, f"{r.source} -> {r.dest}", r.actor, r.note) for r in entity.history],
        )
    )
    state = _text(entity.status)
    rows = []
    for transition in lifecycle.transitions:
        if state not in transition["source"]:
            continue
        blockers = lifecycle.blockers(entity, transition["trigger"])
        rows.append((transition["trigger"], "ready" if not blockers else "; ".join(blockers)))
    console.print(_table("Next steps", ("trigger", "needs"), rows))


_case_commands(incidents_app, "incident")
_case_commands(complaints_app, "complaint")


@complaints_app.command()
@handles_errors
def escalate(
    id: Annotated[str, typer.Argument(help="The complaint id, e.g. CMP-17.")],
    incident: Annotated[str, typer.Option(help="The incident to link, e.g. INC-9.")],
    actor: Annotated[str, typer.Option(help="Who escalates (recorded in the audit).")],
    title: Annotated[
        str | None, typer.Option(help="Open the incident with this title if it does not exist.")
    ] = None,
    severity: Annotated[
        str | None,
        typer.Option(help="Severity of a new incident (default: the complaint's)."),
    ] = None,
    at: Annotated[
        str | None, typer.Option(help="When (ISO 8601 with timezone); default now.")
    ] = None,
    db: Db = None,
) -> None:
    """Escalate a complaint to an incident, opening the incident first if asked to.

    A new incident takes the complaint's batches, product and description, so the
    emergency team starts from what the customer reported.
    """
    from qualityflow.models import Incident

    when = _parse_time(at) or datetime.now(timezone.utc)
    qms = _open(db)
    complaint = qms.complaints.get(id)
    if not _exists(qms.incidents, incident):
        if title is None:
            raise _fail(
                "not_found",
                f"incident {incident!r} not found",
                "give --title (and --severity) to open it, or name an existing incident",
            )
        qms.incidents.add(
            Incident(
                id=incident,
                title=title,
                severity=severity or complaint.severity,
                reported_at=when,
                reported_by=actor,
                batch_ids=list(complaint.batch_ids),
                product=complaint.product,
                description=f"Escalated from complaint {complaint.id}: {complaint.description}",
            )
        )
        console.print(f"{incident}: opened ({title})")
    updated = qms.complaints.fire(id, "escalate", actor=actor, at=when, incident_id=incident)
    console.print(f"{updated.id}: escalated to {updated.incident_id}")


# ------------------------------------------------------------------------------ overdue


@app.command()
@handles_errors
def overdue(
    now: Annotated[
        str | None, typer.Option(help="Check as of this time (ISO 8601); default now.")
    ] = None,
    db: Db = None,
) -> None:
    """List open incidents and complaints past a deadline; exit 1 when any is overdue."""
    when = _parse_time(now) or datetime.now(timezone.utc)
    breaches = _open(db).overdue(when)
    console.print(
        _table(
            f"{len(breaches)} overdue as of {_text(when)} UTC",
            ("case", "deadline", "due (UTC)", "late by"),
            [_breach_row(b, when) for b in breaches],
        )
    )
    if breaches:
        raise typer.Exit(EXIT_CODES["refused"])


def _breach_row(breach: Any, now: datetime) -> tuple[object, ...]:
    due = getattr(breach, "due", None)
    late = getattr(breach, "late_by", None)
    if late is None and isinstance(due, datetime):
        late = now - due
    return (getattr(breach, "subject_id", ""), getattr(breach, "what", ""), due, late)


# ------------------------------------------------------------------------------ reports


@report_app.command("8d")
@handles_errors
def report_8d(
    id: Annotated[str, typer.Argument(help="The incident id.")],
    html: Annotated[Path | None, typer.Option(help="Write the HTML page here.")] = None,
    markdown: Annotated[Path | None, typer.Option(help="Write the Markdown here.")] = None,
    db: Db = None,
) -> None:
    """Print the 8D report of an incident; optionally write it as HTML and Markdown."""
    from qualityflow.reports import eight_d

    qms = _open(db)
    incident = qms.incidents.get(id)
    suspects = incident.recall.batch_ids if incident.recall else incident.batch_ids
    present = [s for s in suspects if s in qms.genealogy]
    impact = qms.recall_impact(*present) if present else None
    report = eight_d(
        incident,
        impact=impact,
        genealogy=qms.genealogy,
        complaints=qms.complaints.list(),
        audit_head=qms.audit.head(),
        audit_at=datetime.now(timezone.utc),
    )
    if html is not None:
        html.write_text(report.to_html(), encoding="utf-8")
    if markdown is not None:
        markdown.write_text(report.to_markdown(), encoding="utf-8")
    console.print(Markdown(report.to_markdown()))
    if report.missing:
        console.print(f"Not recorded yet: {', '.join(report.missing)}")
    for path in (html, markdown):
        if path is not None:
            console.print(f"written: {path}")


@report_app.command("kpis")
@handles_errors
def report_kpis(
    unit: Annotated[str | None, typer.Option(help="Shipment unit to count, e.g. pack.")] = None,
    db: Db = None,
) -> None:
    """Print handling-time KPIs, the SLA breach rate and complaints per million units."""
    from qualityflow.reports import kpis

    qms = _open(db)
    result = kpis(qms.incidents.list(), qms.complaints.list(), qms.shipments.list(), unit=unit)
    console.print(Markdown(result.to_markdown()))


@report_app.command("pareto")
@handles_errors
def report_pareto(
    by: Annotated[
        str, typer.Option(help="category, product, root_cause, channel or customer.")
    ] = "category",
    html: Annotated[Path | None, typer.Option(help="Write the chart page here.")] = None,
    db: Db = None,
) -> None:
    """Print the Pareto of complaints: the vital few groups that make most of them."""
    from qualityflow.reports import PARETO_DIMENSIONS, pareto

    if by not in PARETO_DIMENSIONS:
        raise _fail("bad_input", f"--by {by!r}", f"use one of {', '.join(PARETO_DIMENSIONS)}")
    qms = _open(db)
    result = pareto(qms.complaints.list(), by, incidents=qms.incidents.list())  # type: ignore[arg-type]
    console.print(Markdown(result.to_markdown()))
    if html is not None:
        html.write_text(result.to_html(), encoding="utf-8")
        console.print(f"written: {html}")


@report_app.command("review")
@handles_errors
def report_review(
    period: Annotated[str, typer.Option(help="The period's label, e.g. 2026-Q1.")] = "all time",
    unit: Annotated[str | None, typer.Option(help="Shipment unit to count, e.g. pack.")] = None,
    html: Annotated[Path | None, typer.Option(help="Write the review page here.")] = None,
    db: Db = None,
) -> None:
    """Print the quality review: KPIs, Pareto charts and the supplier scorecard."""
    from qualityflow.reports import quality_review, supplier_scorecard

    qms = _open(db)
    incidents, complaints = qms.incidents.list(), qms.complaints.list()
    card = supplier_scorecard(
        qms.suppliers.list(),
        period=period,
        inspections=qms.inspections.list(),
        incidents=incidents,
        complaints=complaints,
        genealogy=qms.genealogy,
        lots=qms.batches.list(),
    )
    review = quality_review(
        incidents,
        complaints,
        qms.shipments.list(),
        title=f"Quality review {period}",
        scorecard=card,
        unit=unit,
    )
    console.print(Markdown(review.to_markdown()))
    if html is not None:
        html.write_text(review.to_html(), encoding="utf-8")
        console.print(f"written: {html}")


@report_app.command("scorecard")
@handles_errors
def report_scorecard(
    period: Annotated[
        str, typer.Option(help="The period's label, e.g. 2026-Q1 (all records are used).")
    ] = "all time",
    html: Annotated[Path | None, typer.Option(help="Write the scorecard page here.")] = None,
    db: Db = None,
) -> None:
    """Print the supplier scorecard: scores, recommended status, decisions to review."""
    from qualityflow.reports import supplier_scorecard

    qms = _open(db)
    card = supplier_scorecard(
        qms.suppliers.list(),
        period=period,
        inspections=qms.inspections.list(),
        incidents=qms.incidents.list(),
        complaints=qms.complaints.list(),
        genealogy=qms.genealogy,
        lots=qms.batches.list(),
    )
    console.print(Markdown(card.to_markdown()))
    if html is not None:
        html.write_text(card.to_html(), encoding="utf-8")
        console.print(f"written: {html}")


# ------------------------------------------------------------------------------ interop


@app.command("import-epcis")
@handles_errors
def import_epcis(
    files: Annotated[list[Path], typer.Argument(help="EPCIS 2.0 JSON-LD or 1.2/2.0 XML files.")],
    strict: Annotated[bool, typer.Option(help="Refuse flawed data instead of warning.")] = False,
    db: Db = None,
) -> None:
    """Import partners' EPCIS events: lots, transformations and shipments into the genealogy."""
    from rich.progress import Progress

    from qualityflow.interop import load_epcis

    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise _fail("bad_input", f"no such file: {', '.join(missing)}")
    with console.status(f"Reading {len(files)} EPCIS file(s)..."):
        result = load_epcis(*files, strict=strict)
    qms = _open(db)
    genealogy = result.genealogy
    batches = list(genealogy.batches())
    links = list(genealogy.links())
    shipments = list(genealogy.shipments())
    added = {"batches": 0, "links": 0, "shipments": 0}
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Storing", total=len(batches) + len(links) + len(shipments))
        for batch in batches:
            if not _exists(qms.batches, batch.id):
                qms.batches.add(batch)
                added["batches"] += 1
            progress.advance(task)
        for link in links:
            qms.link(link[0], link[1], link[2] if len(link) > 2 else None)
            added["links"] += 1
            progress.advance(task)
        for shipment in shipments:
            if not _exists(qms.shipments, shipment.id):
                qms.shipments.add(shipment)
                added["shipments"] += 1
            progress.advance(task)
    console.print(
        f"Imported {len(result.events)} events: {added['batches']} lots, {added['links']} "
        f"links, {added['shipments']} shipments; {len(result.warnings)} warning(s)."
    )
    for warning in result.warnings[:10]:
        console.print(f"  warning: {warning}")
    if len(result.warnings) > 10:
        console.print(f"  ... and {len(result.warnings) - 10} more")


def _exists(repository: Any, id: str) -> bool:
    try:
        repository.get(id)
    except NotFoundError:
        return False
    return True


@app.command("export-fsma204")
@handles_errors
def export_fsma204(
    ids: Annotated[list[str], typer.Argument(help="Suspect lot ids whose recall to export.")],
    out: Annotated[Path, typer.Option(help="The spreadsheet to write: .csv or .xlsx.")],
    db: Db = None,
) -> None:
    """Write the FDA FSMA 204 sortable spreadsheet for a recall of the given lots."""
    from qualityflow.interop import to_fsma204

    qms = _open(db)
    with console.status("Tracing and writing..."):
        _require_known(qms.genealogy, ids)
        impact = qms.recall_impact(*ids)
        to_fsma204(impact, out, genealogy=qms.genealogy)
    console.print(
        f"FSMA 204 spreadsheet written to {out}: {len(impact.batches)} lots, "
        f"{len(impact.shipments)} shipments."
    )


# ------------------------------------------------------------------------------- schema


@app.command()
@handles_errors
def schema(
    model: Annotated[
        str | None, typer.Argument(help="One model, e.g. Incident; default all.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write one <Model>.schema.json per model here.")
    ] = None,
) -> None:
    """Print the JSON Schema of the models other applications exchange."""
    from qualityflow.models import json_schemas

    schemas = json_schemas()
    if model is not None:
        if model not in schemas:
            raise _fail("not_found", f"no model {model!r}", f"use one of {', '.join(schemas)}")
        schemas = {model: schemas[model]}
    if out is None:
        console.print_json(json.dumps(schemas if model is None else schemas[model]))
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, body in schemas.items():
        (out / f"{name}.schema.json").write_text(json.dumps(body, indent=2), encoding="utf-8")
    console.print(f"{len(schemas)} schema(s) written to {out}")


def main() -> None:
    """Run the command line (the ``qualityflow`` console script)."""
    app()


# --------------------------------------------------------------------------------- audit
# Imported last: the sub-app uses the helpers above.
from qualityflow.cli.audit import audit_app  # noqa: E402

app.add_typer(audit_app, name="audit")
