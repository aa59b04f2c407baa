"""``qualityflow nc ...`` and ``qualityflow scar ...``: nonconformances and SCARs.

Two typer groups, :data:`nc_app` (``list``, ``show``, ``dispose``) and :data:`scar_app`
(``list``, ``show``), and :data:`app` holding both (``nc`` and ``scar``), to mount on the
main command with ``app.add_typer(nc_app, name="nc")`` and
``app.add_typer(scar_app, name="scar")``. Errors go through the main command's error
boundary (:func:`qualityflow.cli.handles_errors`), imported when a command runs so this
module can be imported from ``qualityflow.cli`` at any point.

``nc dispose NC-ID --part KIND=AMOUNT[UNIT] ...`` gives one part per ``--part`` (``KIND`` is
use_as_is, rework, regrade, return_to_supplier or scrap; the unit defaults to the held
quantity's); ``--approver`` signs the use-as-is parts (the concession).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from qualityflow.cli._output import print_json
from qualityflow.i18n import N_, _, label

if TYPE_CHECKING:
    from qualityflow.models.nonconformance import Disposition

__all__ = ["app", "nc_app", "scar_app"]

nc_app = typer.Typer(
    help=N_("Nonconformances: list, show, and dispose of the held quantity."),
    no_args_is_help=True,
)
scar_app = typer.Typer(
    help=N_("Supplier corrective actions (SCAR): list and show."), no_args_is_help=True
)
app = typer.Typer(
    help=N_("Nonconformances and supplier corrective actions."),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(nc_app, name="nc")
app.add_typer(scar_app, name="scar")

Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="QUALITYFLOW_URL",
        help=N_(
            "Database URL (memory://, sqlite:///file.db, postgresql://..., mysql://...). "
            "Default: $QUALITYFLOW_URL or sqlite:///qualityflow.db."
        ),
        show_default=False,
    ),
]

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
        str | None, typer.Option(help=N_("Only those in this state: open, dispositioned, closed."))
    ] = None,
    batch: Annotated[str | None, typer.Option(help=N_("Only those of this lot."))] = None,
    as_json: AsJson = False,
    db: Db = None,
) -> None:
    """List nonconformances: lot, state, quantity held and dispositioned, defect."""
    cli = _cli()
    filters: dict[str, Any] = {}
    if status:
        filters["status"] = status
    if batch:
        filters["batch_id"] = batch
    found = cli._open(db).nonconformances.list(**filters)
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
    cli.console.print(cli._table(title, headers, rows))


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

    cli = _cli()
    nc = cli._open(db).nonconformances.get(id)
    if as_json:
        cli.console.print_json(nc.model_dump_json())
        return
    console = cli.console
    console.print(
        f"[bold]{nc.id}[/] "
        + _("lot {batch_id}: {characteristic}").format(
            batch_id=nc.batch_id, characteristic=nc.characteristic
        ),
        markup=True,
    )
    console.print(
        _("state: {state}   held: {held}   defect: {defect}").format(
            state=label(nc.status, nc), held=nc.quantity, defect=nc.defect
        )
    )
    if nc.evidence:
        console.print(_("evidence: {evidence}").format(evidence=nc.evidence))
    if nc.incident_id:
        console.print(_("escalated to incident {id}").format(id=nc.incident_id))
    console.print(
        cli._table(
            _("Dispositions"),
            (_("child lot"), _("kind"), _("quantity"), _("approver"), _("by"), _("note")),
            [(d.lot_id, d.kind, d.quantity, d.approver, d.by, d.note) for d in nc.dispositions],
        )
    )
    console.print(
        cli._table(
            _("History"),
            (_("when (UTC)"), _("trigger"), _("state"), _("by"), _("note")),
            [(r.at, r.trigger, f"{r.source} -> {r.dest}", r.actor, r.note) for r in nc.history],
        )
    )
    rows = []
    for transition in NONCONFORMANCE_LIFECYCLE.transitions:
        if nc.status.value in transition["source"]:
            blockers = NONCONFORMANCE_LIFECYCLE.blockers(nc, transition["trigger"])
            rows.append(
                (transition["trigger"], _("ready") if not blockers else _("; ").join(blockers))
            )
    next_steps = list(dict.fromkeys(rows))
    console.print(cli._table(_("Next steps"), (_("trigger"), _("needs")), next_steps))


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
            help=N_("One part, KIND=AMOUNT[UNIT], e.g. rework=500kg (repeat for each part).")
        ),
    ],
    actor: Annotated[
        str,
        typer.Option(
            envvar="QUALITYFLOW_ACTOR",
            help=N_("Who decides (recorded in the audit); default $QUALITYFLOW_ACTOR."),
        ),
    ],
    approver: Annotated[
        str | None, typer.Option(help=N_("Who approves the use-as-is parts (the concession)."))
    ] = None,
    note: Annotated[str, typer.Option(help=N_("Note for the parts and the audit record."))] = "",
    at: Annotated[
        str | None, typer.Option(help=N_("When (ISO 8601 with timezone); default now."))
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
    cli.console.print(
        _("{id}: {state}; {done} of {held} dispositioned").format(
            id=nc.id, state=nc.status.value, done=nc.dispositioned, held=nc.quantity
        )
    )
    for d in nc.dispositions[-len(chosen) :]:
        cli.console.print(f"  {d.lot_id}: {d.quantity} {d.kind.value}")


@scar_app.command(
    "list",
    help=N_("List supplier corrective actions: supplier, state, response due, nonconformances."),
)
@_boundary
def scar_list(
    status: Annotated[
        str | None, typer.Option(help=N_("Only those in this state, e.g. requested."))
    ] = None,
    supplier: Annotated[str | None, typer.Option(help=N_("Only those to this supplier."))] = None,
    as_json: AsJson = False,
    db: Db = None,
) -> None:
    """List supplier corrective actions: supplier, state, response due, nonconformances."""
    cli = _cli()
    filters: dict[str, Any] = {}
    if status:
        filters["status"] = status
    if supplier:
        filters["supplier_id"] = supplier
    found = cli._open(db).supplier_actions.list(**filters)
    if as_json:
        print_json(found)
        return
    rows = [
        (
            s.id,
            s.supplier_id,
            label(s.status, s),
            s.due.isoformat(),
            ", ".join(s.nonconformance_ids),
        )
        for s in found
    ]
    headers = (_("id"), _("supplier"), _("status"), _("response due"), _("nonconformances"))
    title = _("{n} supplier actions").format(n=len(rows))
    cli.console.print(cli._table(title, headers, rows))


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

    cli = _cli()
    scar = cli._open(db).supplier_actions.get(id)
    if as_json:
        cli.console.print_json(scar.model_dump_json())
        return
    console = cli.console
    console.print(
        f"[bold]{scar.id}[/] "
        + _("to {supplier}: {description}").format(
            supplier=scar.supplier_id, description=scar.description
        ),
        markup=True,
    )
    console.print(
        _("state: {state}   response due: {due}   for: {ids}").format(
            state=label(scar.status, scar),
            due=scar.due.isoformat(),
            ids=", ".join(scar.nonconformance_ids),
        )
    )
    if scar.response is not None:
        r = scar.response
        console.print(_("containment: {text}").format(text=r.containment))
        console.print(_("root cause: {text}").format(text=r.root_cause))
        console.print(_("corrective action: {text}").format(text=r.corrective_action))
        if r.evidence:
            console.print(_("evidence: {evidence}").format(evidence=r.evidence))
    if scar.verification is not None:
        v = scar.verification
        verdict = _("effective") if v.effective else _("not effective")
        console.print(
            _("verification: {verdict} ({evidence}, {by})").format(
                verdict=verdict, evidence=v.evidence, by=v.verified_by
            )
        )
    console.print(
        cli._table(
            _("History"),
            (_("when (UTC)"), _("trigger"), _("state"), _("by"), _("note")),
            [(r.at, r.trigger, f"{r.source} -> {r.dest}", r.actor, r.note) for r in scar.history],
        )
    )
    rows = [
        (t, _("ready") if not (b := SCAR_LIFECYCLE.blockers(scar, t)) else _("; ").join(b))
        for t in dict.fromkeys(
            tr["trigger"] for tr in SCAR_LIFECYCLE.transitions if scar.status.value in tr["source"]
        )
    ]
    console.print(cli._table(_("Next steps"), (_("trigger"), _("needs")), rows))
