"""``qualityflow report ...``: 8D, KPIs, Pareto, supplier scorecard, quality review."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

import typer

from qualityflow.cli import _output as out
from qualityflow.cli._db import Db, open_service
from qualityflow.cli._errors import fail, handles_errors
from qualityflow.cli._input import Period, check_output, exists, parse_period, write_output
from qualityflow.errors import NotFoundError
from qualityflow.i18n import N_, _

__all__ = ["report_app"]

report_app = typer.Typer(
    help=N_("Reports: 8D, KPIs, Pareto of complaints, supplier scorecard, quality review."),
    no_args_is_help=True,
)

AsJson = Annotated[bool, typer.Option("--json", help=N_("Print the report as JSON only."))]
PeriodOpt = Annotated[
    str | None,
    typer.Option(
        metavar="PERIOD",
        help=N_(
            "Only records in this period: 2026, 2026-Q1, 2026-03 or 2026-03-05 "
            "(default: all records)."
        ),
    ),
]
Unit = Annotated[
    str | None, typer.Option(metavar="UNIT", help=N_("Shipment unit to count, e.g. pack."))
]


HtmlOut = Annotated[
    Path | None,
    typer.Option("--html", metavar="FILE", help=N_("Also write it as a self-contained HTML page.")),
]
MarkdownOut = Annotated[
    Path | None, typer.Option("--markdown", metavar="FILE", help=N_("Also write it as Markdown."))
]


def _written(paths: dict[str, Path | None], as_json: bool) -> None:
    for path in paths.values():
        if path is not None:
            out.note(_("written: {path}").format(path=path), err=as_json)


@report_app.command(
    "8d",
    short_help=N_("The 8D report of an incident or a SCAR."),
    help=N_(
        "Print the 8D report of an incident, or the supplier 8D of a SCAR; optionally write "
        "it as HTML and Markdown.\n\n"
        "Example: qualityflow report 8d INC-5 --html INC-5-8D.html."
    ),
)
@handles_errors
def report_8d(
    id: Annotated[
        str,
        typer.Argument(metavar="ID", help=N_("The incident or SCAR id, e.g. INC-5, SCAR-INC-5.")),
    ],
    html: HtmlOut = None,
    markdown: MarkdownOut = None,
    as_json: AsJson = False,
    db: Db = None,
) -> None:
    """Print the 8D report of an incident or a SCAR; optionally write it as HTML and Markdown.

    Example: qualityflow report 8d INC-5 --html INC-5-8D.html.
    """
    from qualityflow.reports import eight_d

    check_output(html, "--html")
    check_output(markdown, "--markdown")
    qms = open_service(db, write=False)
    try:
        incident = qms.incidents.get(id)
    except NotFoundError:
        if not exists(qms.supplier_actions, id):
            raise
        _scar_8d(qms, id, html, markdown, as_json)
        return
    suspects = incident.recall.batch_ids if incident.recall else incident.batch_ids
    # The report draws the incident's batches with their inputs and outputs: the part
    # of the genealogy up- and downstream of them is all it reads.
    pictured = [*incident.batch_ids, *suspects]
    if incident.assessment is not None:
        pictured += incident.assessment.batch_ids
    genealogy = qms.local_genealogy(*dict.fromkeys(pictured), upstream=True)
    present = [s for s in suspects if s in genealogy]
    impact = genealogy.recall_impact(*present) if present else None
    report = eight_d(
        incident,
        impact=impact,
        genealogy=genealogy,
        complaints=qms.complaints.list(),
        audit_head=qms.audit.head(),
        audit_at=datetime.now(timezone.utc),
        evidence=qms.evidence.read_verified,
    )
    _print_8d(report, {"incident": incident}, html, markdown, as_json)


def _print_8d(
    report: Any, subject: dict[str, Any], html: Path | None, markdown: Path | None, as_json: bool
) -> None:
    """Print an 8D report (write it as HTML and Markdown when asked)."""
    text = report.to_markdown()
    if html is not None:
        write_output(html, report.to_html(), "--html")
    if markdown is not None:
        write_output(markdown, text, "--markdown")
    if as_json:
        out.print_json(
            {
                **subject,
                "disciplines": [
                    {
                        "code": d.code,
                        "title": d.title,
                        "recorded": d.recorded,
                        "markdown": d.to_markdown(),
                    }
                    for d in report.disciplines
                ],
                "missing": report.missing,
                "markdown": text,
            }
        )
    else:
        out.markdown(text)
        if report.missing:
            out.note(_("Not recorded yet: {missing}").format(missing=", ".join(report.missing)))
    _written({"html": html, "markdown": markdown}, as_json)


def _scar_8d(qms: Any, id: str, html: Path | None, markdown: Path | None, as_json: bool) -> None:
    """Print (and write) the supplier 8D of SCAR ``id``."""
    from qualityflow.reports.eight_d import supplier_eight_d

    scar = qms.supplier_actions.get(id)
    ncs = qms.nonconformances.list(ids=scar.nonconformance_ids) if scar.nonconformance_ids else []
    incidents = qms.incidents.list(ids=[scar.incident_id]) if scar.incident_id else []
    suppliers = qms.suppliers.list(ids=[scar.supplier_id])
    report = supplier_eight_d(
        scar,
        nonconformances=ncs,
        incident=incidents[0] if incidents else None,
        supplier=suppliers[0] if suppliers else None,
        audit_head=qms.audit.head(),
        audit_at=datetime.now(timezone.utc),
    )
    _print_8d(report, {"scar": scar}, html, markdown, as_json)


@report_app.command(
    "kpis",
    short_help=N_("Handling times, SLA breaches, complaints per million."),
    help=N_("Print handling-time KPIs, the SLA breach rate and complaints per million units."),
)
@handles_errors
def report_kpis(
    unit: Unit = None,
    period: PeriodOpt = None,
    as_json: AsJson = False,
    db: Db = None,
) -> None:
    """Print handling-time KPIs, the SLA breach rate and complaints per million units."""
    from qualityflow.reports import kpis

    span = parse_period(period)
    qms = open_service(db, write=False)
    incidents, complaints, shipments = _in_period(qms, span)
    result = kpis(incidents, complaints, shipments, unit=unit)
    if as_json:
        out.print_json({"period": span.label, **out.jsonable(result)})
        return
    out.markdown(result.to_markdown())


@report_app.command(
    "pareto",
    short_help=N_("Pareto of complaints."),
    help=N_("Print the Pareto of complaints: the vital few groups that make most of them."),
)
@handles_errors
def report_pareto(
    by: Annotated[
        str,
        typer.Option(
            metavar="DIMENSION",
            help=N_("category, product, root_cause, channel or customer."),
        ),
    ] = "category",
    period: PeriodOpt = None,
    html: HtmlOut = None,
    as_json: AsJson = False,
    db: Db = None,
) -> None:
    """Print the Pareto of complaints: the vital few groups that make most of them."""
    from qualityflow.reports import PARETO_DIMENSIONS, pareto

    if by not in PARETO_DIMENSIONS:
        raise fail(
            "bad_input",
            _("--by {value!r}").format(value=by),
            _("use one of {choices}").format(choices=", ".join(PARETO_DIMENSIONS)),
        )
    span = parse_period(period)
    check_output(html, "--html")
    qms = open_service(db, write=False)
    incidents, complaints, _none = _in_period(qms, span, shipments=False)
    result = pareto(complaints, by, incidents=incidents)  # type: ignore[arg-type]
    if html is not None:
        write_output(html, result.to_html(), "--html")
    if as_json:
        out.print_json({"period": span.label, **out.jsonable(result)})
    else:
        out.markdown(result.to_markdown())
    _written({"html": html}, as_json)


@report_app.command(
    "nc-pareto",
    short_help=N_("Pareto of nonconformances."),
    help=N_(
        "Print the Pareto of nonconformances by supplier, characteristic or defect: the "
        "vital few groups that make most of them."
    ),
)
@handles_errors
def report_nc_pareto(
    by: Annotated[
        str, typer.Option(metavar="DIMENSION", help=N_("supplier, characteristic or defect."))
    ] = "supplier",
    period: PeriodOpt = None,
    html: HtmlOut = None,
    as_json: AsJson = False,
    db: Db = None,
) -> None:
    """Print the Pareto of nonconformances by supplier, characteristic or defect."""
    from qualityflow.reports.pareto import NONCONFORMANCE_PARETO_DIMENSIONS, nonconformance_pareto

    if by not in NONCONFORMANCE_PARETO_DIMENSIONS:
        raise fail(
            "bad_input",
            _("--by {value!r}").format(value=by),
            _("use one of {choices}").format(choices=", ".join(NONCONFORMANCE_PARETO_DIMENSIONS)),
        )
    span = parse_period(period)
    check_output(html, "--html")
    qms = open_service(db, write=False)
    found = [n for n in qms.nonconformances.list() if span.holds(n.opened_at)]
    lot_ids = sorted({n.batch_id for n in found if n.supplier_id is None})
    lots = qms.batches.list(ids=lot_ids) if lot_ids else []
    result = nonconformance_pareto(found, by, lots=lots)  # type: ignore[arg-type]
    if html is not None:
        write_output(html, result.to_html(), "--html")
    if as_json:
        out.print_json({"period": span.label, **out.jsonable(result)})
    else:
        out.markdown(result.to_markdown())
    _written({"html": html}, as_json)


def _in_period(
    qms: Any, span: Period, *, shipments: bool = True
) -> tuple[list[Any], list[Any], list[Any]]:
    """Return the incidents (by report time), complaints (by receipt) and shipments in ``span``."""
    incidents = [i for i in qms.incidents.list() if span.holds(i.reported_at)]
    complaints = [c for c in qms.complaints.list() if span.holds(c.received_at)]
    shipped = [s for s in qms.shipments.list() if span.holds(s.shipped_at)] if shipments else []
    return incidents, complaints, shipped


def _scorecard(qms: Any, span: Period, incidents: list[Any], complaints: list[Any]) -> Any:
    from qualityflow.reports import supplier_scorecard

    return supplier_scorecard(
        qms.suppliers.list(),
        period=span.label,
        inspections=qms.inspections.list(),
        incidents=incidents,
        complaints=complaints,
        genealogy=qms.genealogy,
        lots=qms.batches.list(),
        nonconformances=qms.nonconformances.list(),
        start=span.start,
        end=span.end,
    )


@report_app.command(
    "review",
    short_help=N_("The quality review: KPIs, Paretos, scorecard."),
    help=N_(
        "Print the quality review: KPIs, Pareto charts and the supplier scorecard.\n\n"
        "Example: qualityflow report review --period 2026-03 --html review.html."
    ),
)
@handles_errors
def report_review(
    period: PeriodOpt = None,
    unit: Unit = None,
    html: HtmlOut = None,
    as_json: AsJson = False,
    db: Db = None,
) -> None:
    """Print the quality review: KPIs, Pareto charts and the supplier scorecard.

    Example: qualityflow report review --period 2026-03 --html review.html.
    """
    from qualityflow.reports import quality_review

    span = parse_period(period)
    check_output(html, "--html")
    qms = open_service(db, write=False)
    incidents, complaints, shipments = _in_period(qms, span)
    review = quality_review(
        incidents,
        complaints,
        shipments,
        title=_("Quality review {period}").format(
            period=_("all time") if span.start is None else span.label
        ),
        scorecard=_scorecard(qms, span, incidents, complaints),
        unit=unit,
    )
    if html is not None:
        write_output(html, review.to_html(), "--html")
    if as_json:
        data = {"period": span.label, **out.jsonable(review)}
        data["title"] = f"Quality review {span.label}"  # JSON stays language-neutral
        out.print_json(data)
    else:
        out.markdown(review.to_markdown())
    _written({"html": html}, as_json)


@report_app.command(
    "scorecard",
    short_help=N_("Supplier scorecard and recommended statuses."),
    help=N_(
        "Print the supplier scorecard: scores, recommended status, decisions to review.\n\n"
        "Example: qualityflow report scorecard --period 2026-03."
    ),
)
@handles_errors
def report_scorecard(
    period: PeriodOpt = None,
    html: HtmlOut = None,
    as_json: AsJson = False,
    db: Db = None,
) -> None:
    """Print the supplier scorecard: scores, recommended status, decisions to review.

    Example: qualityflow report scorecard --period 2026-03.
    """
    span = parse_period(period)
    check_output(html, "--html")
    qms = open_service(db, write=False)
    incidents, complaints, _none = _in_period(qms, span, shipments=False)
    card = _scorecard(qms, span, incidents, complaints)
    if html is not None:
        write_output(html, card.to_html(), "--html")
    if as_json:
        out.print_json({"period": span.label, **out.jsonable(card)})
    else:
        out.markdown(card.to_markdown())
    _written({"html": html}, as_json)
