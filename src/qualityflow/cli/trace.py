"""``qualityflow trace`` and ``qualityflow recall``: where lots went, what a recall touches."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from qualityflow.cli import _output as out
from qualityflow.cli._db import Db, open_service
from qualityflow.cli._errors import fail, handles_errors
from qualityflow.cli._input import check_output, require_known
from qualityflow.i18n import N_, _, label

__all__ = ["RECALL_HELP", "TRACE_HELP", "Limit", "recall", "trace"]

Limit = Annotated[
    int,
    typer.Option(
        metavar="N", help=N_("Show at most N rows per table (0: all; --json gives all)."), min=0
    ),
]
"""The ``--limit N`` option of listing commands."""

TRACE_HELP = N_(
    "Trace lots forward (where did they go) or backward (what went into them).\n\n"
    "Example: qualityflow trace FLOUR-0412, or qualityflow trace SHP-9004 --backward."
)
"""The help of ``trace`` (its docstring, as a message id for ``--lang``)."""

RECALL_HELP = N_(
    "Show what a recall of the suspect lots touches: batches, shipments, customers.\n\n"
    "Example: qualityflow recall BISC-0302 --drill."
)
"""The help of ``recall`` (its docstring, as a message id for ``--lang``)."""


@handles_errors
def trace(
    ids: Annotated[
        list[str],
        typer.Argument(metavar="LOT", help=N_("Batch, lot or shipment ids, e.g. FLOUR-0412.")),
    ],
    backward: Annotated[
        bool, typer.Option("--backward", "-b", help=N_("Trace upstream (what went into them)."))
    ] = False,
    depth: Annotated[
        int | None,
        typer.Option(metavar="N", help=N_("Stop after N steps (1: direct inputs or outputs).")),
    ] = None,
    limit: Limit = 200,
    as_json: Annotated[
        bool, typer.Option("--json", help=N_("Print the reached ids as JSON."))
    ] = False,
    db: Db = None,
) -> None:
    """Trace lots forward (where did they go) or backward (what went into them).

    Example: qualityflow trace FLOUR-0412, or qualityflow trace SHP-9004 --backward.
    """
    if depth is not None and depth < 1:
        raise fail(
            "bad_input",
            _("--depth {depth}: the number of steps must be 1 or more").format(depth=depth),
            _("leave --depth out to follow every step"),
        )
    qms = open_service(db, write=False)
    with out.status(_("Tracing...")):
        # The database answers (an indexed existence check, then a recursive query):
        # only the traced lots' records are loaded, never the whole genealogy.
        require_known(qms.known(*ids), ids)
        result = (
            qms.trace_backward(*ids, depth=depth)
            if backward
            else qms.trace_forward(*ids, depth=depth)
        )
    reached = sorted(result.ids)
    nodes = result.subgraph.nodes
    records: list[dict[str, Any]] = []
    for node in reached:
        data = nodes[node]
        records.append(
            {
                "id": node,
                "kind": out.text(data.get("kind")),
                "product": out.text(data.get("product")) or None,
                "customer": out.text(data.get("customer")) or None,
                "status": out.text(data.get("status")) or None,
                "region": out.text(data.get("region")) or None,
                "path": list(result.path_to(node)),
            }
        )
    if as_json:
        direction_name = "backward" if backward else "forward"
        out.print_json({"direction": direction_name, "from": list(ids), "reached": records})
        return
    if backward:
        title = (
            _("{n} id upstream of {ids}") if len(reached) == 1 else _("{n} ids upstream of {ids}")
        )
    else:
        title = (
            _("{n} id downstream of {ids}")
            if len(reached) == 1
            else _("{n} ids downstream of {ids}")
        )
    out.table(
        title.format(n=len(reached), ids=", ".join(ids)),
        (_("id"), _("kind"), _("product / customer"), _("status / region"), _("path")),
        [
            (
                r["id"],
                label(r["kind"]),
                r["product"] or r["customer"],
                label(r["status"]) if r["status"] else r["region"],
                " > ".join(r["path"]),
            )
            for r in records
        ],
        limit=limit,
        ids=(0, 2),
    )


trace.__doc__ = TRACE_HELP  # the same text: typer's help is a message id, as --lang needs


def print_impact(impact: Any, limit: int = 0) -> None:
    """Print a recall impact: affected batches, shipments, and a summary that matches them."""
    out.table(
        _("Affected batches ({n})").format(n=len(impact.batches)),
        (_("batch"), _("kind"), _("product"), _("status")),
        [(b.id, label(b.kind), b.product, label(b.status)) for b in impact.batches],
        limit=limit,
    )
    out.table(
        _("Shipments to recall ({n})").format(n=len(impact.shipments)),
        (_("shipment"), _("batch"), _("customer"), _("region"), _("quantity"), _("shipped (UTC)")),
        [
            (s.id, s.batch_id, s.customer_id, s.region, s.quantity, s.shipped_at)
            for s in sorted(impact.shipments, key=lambda s: s.id)
        ],
        limit=limit,
        ids=(0, 1, 2),
    )
    out.note(summary(impact))


def summary(impact: Any) -> str:
    """One sentence on a recall impact, counted with the right plurals."""

    def amounts(by_unit: dict[str, Any]) -> str:
        return ", ".join(str(q) for q in by_unit.values()) or _("nothing")

    finished = sum(1 for b in impact.batches if out.text(b.kind) == "finished")
    statuses = [
        _("{status} {amounts}").format(status=label(status), amounts=amounts(q))
        for status, q in sorted(impact.in_house_by_status.items())
    ]
    by_status = _(" ({statuses})").format(statuses=", ".join(statuses)) if statuses else ""
    n_batches, n_shipments = len(impact.batches), len(impact.shipments)
    n_customers, n_regions = len(impact.customer_ids), len(impact.regions)
    return _(
        "Recall impact of {suspects}: {batches} ({finished} finished), {shipments} to "
        "{customers} in {regions}; shipped {shipped}; in house {in_house}{by_status}"
    ).format(
        suspects=", ".join(impact.suspect_ids),
        batches=(_("{n} batch") if n_batches == 1 else _("{n} batches")).format(n=n_batches),
        finished=finished,
        shipments=(_("{n} shipment") if n_shipments == 1 else _("{n} shipments")).format(
            n=n_shipments
        ),
        customers=(_("{n} customer") if n_customers == 1 else _("{n} customers")).format(
            n=n_customers
        ),
        regions=(_("{n} region") if n_regions == 1 else _("{n} regions")).format(n=n_regions),
        shipped=amounts(impact.shipped),
        in_house=amounts(impact.in_house),
        by_status=by_status,
    )


@handles_errors
def recall(
    ids: Annotated[
        list[str], typer.Argument(metavar="LOT", help=N_("Suspect lot ids, e.g. BISC-0302."))
    ],
    drill: Annotated[
        bool, typer.Option("--drill", help=N_("Time the answer (mock-recall drill, FSMA 204)."))
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help=N_("Print the impact (and the drills) as JSON."))
    ] = False,
    sheet: Annotated[
        Path | None,
        typer.Option(
            "--fsma204",
            metavar="FILE",
            help=N_("With --drill: also write the FSMA 204 sheet (.csv or .xlsx) here, timed."),
        ),
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            metavar="NAME",
            help=N_(
                "With --drill: time each step against a legal preset, e.g. CN_FOOD_RECALL_2015."
            ),
        ),
    ] = None,
    grade: Annotated[
        str | None,
        typer.Option(
            "--grade", metavar="I|II|III", help=N_("With --preset: the recall grade, I, II or III.")
        ),
    ] = None,
    limit: Limit = 200,
    db: Db = None,
) -> None:
    """Show what a recall of the suspect lots touches: batches, shipments, customers.

    Example: qualityflow recall BISC-0302 --drill.
    """
    from qualityflow.reports import mock_recall

    if sheet is not None and not drill:
        raise fail(
            "bad_input",
            _("--fsma204 goes with --drill (it times writing the sheet)"),
            _(
                "add --drill, or write the sheet alone: qualityflow export-fsma204 {ids} "
                "--out {sheet}"
            ).format(ids=" ".join(ids), sheet=sheet),
        )
    if sheet is not None:
        _check_sheet_suffix(sheet, "--fsma204")
        check_output(sheet, "--fsma204")
    chosen = _drill_preset(preset, grade, drill)
    qms = open_service(db, write=False)
    with out.status(_("Tracing the recall...")):
        require_known(qms.known(*ids), ids)
        impact = qms.recall_impact(*ids)
    drills = []
    if drill:
        for lot in ids:
            target = None
            if sheet is not None:
                target = sheet if len(ids) == 1 else sheet.with_stem(f"{sheet.stem}-{lot}")
            drills.append(mock_recall(qms, lot, spreadsheet=target, preset=chosen, grade=grade))
    if as_json:
        data: dict[str, Any] = impact.to_dict()
        if drill:
            data["drills"] = [{**out.jsonable(d), "within_bound": d.within_bound} for d in drills]
            if chosen is not None:
                _add_verdicts(data["drills"], drills)
        out.print_json(data)
        return
    print_impact(impact, limit)
    for report in drills:
        out.markdown(report.to_markdown())


recall.__doc__ = RECALL_HELP  # the same text, as a message id


def _check_sheet_suffix(path: Path, option: str) -> None:
    """Refuse a sheet name that is neither .csv nor .xlsx (exit 2)."""
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise fail(
            "bad_input",
            _(
                "{option} {path}: the FSMA 204 sheet is written as .csv or .xlsx, not {suffix}"
            ).format(option=option, path=path, suffix=path.suffix or _("a name without suffix")),
            _("give {csv} (CSV) or {xlsx} (Excel, needs the xlsx extra)").format(
                csv=path.with_suffix(".csv"), xlsx=path.with_suffix(".xlsx")
            ),
        )


def _drill_preset(name: str | None, grade: str | None, drill: bool) -> Any:
    """Return the legal preset ``--preset NAME`` names (checked with ``--grade``), or None."""
    from datetime import datetime, timezone

    from qualityflow.i18n import _
    from qualityflow.lifecycle import presets
    from qualityflow.reports.drill import drill_steps

    if name is None:
        if grade is not None:
            raise fail(
                "bad_input",
                _("--grade goes with --preset (the grade picks the preset's clocks)"),
                _("add --preset, e.g. --preset CN_FOOD_RECALL_2015 --grade {grade}").format(
                    grade=grade
                ),
            )
        return None
    known = [n for n in presets.__all__ if n.isupper()]
    if not drill:
        raise fail(
            "bad_input",
            _("--preset goes with --drill (it times the drill's steps against its clocks)"),
            _("add --drill"),
        )
    if name not in known:
        raise fail(
            "bad_input",
            _("--preset {name}: no such legal preset").format(name=name),
            _("use one of {names}").format(names=", ".join(known)),
        )
    if grade is not None and grade not in ("I", "II", "III"):
        raise fail(
            "bad_input",
            _("--grade {grade}: a recall grade is I, II or III").format(grade=grade),
            _("give --grade I (the most serious), II or III"),
        )
    chosen = getattr(presets, name)
    try:
        drill_steps(chosen, datetime.now(timezone.utc), (), grade=grade)
    except ValueError as exc:
        raise fail("bad_input", str(exc), _("add --grade I, II or III")) from None
    return chosen


def _add_verdicts(entries: list[dict[str, Any]], drills: list[Any]) -> None:
    """Add each drill's and each step's ``passed`` and ``margin`` (s) to their JSON."""
    for entry, report in zip(entries, drills, strict=True):
        entry["passed"] = report.passed
        for step_json, step in zip(entry["steps"], report.steps, strict=True):
            step_json["passed"] = step.passed
            step_json["margin"] = step.margin.total_seconds()
