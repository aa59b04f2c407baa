"""``qualityflow demo``: play Sunrise Biscuits' worst week and say what to try next."""

from __future__ import annotations

import logging
import shlex
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qualityflow.cli import _output as out
from qualityflow.cli._db import DEFAULT_URL, Db, open_service, sqlite_path, url
from qualityflow.cli._errors import handles_errors
from qualityflow.cli._input import check_output, write_output
from qualityflow.cli.trace import print_impact
from qualityflow.i18n import N_, _, label
from qualityflow.plugins import hookimpl

if TYPE_CHECKING:
    from qualityflow.demo import DemoRun
    from qualityflow.models import Notification

__all__ = ["HELP", "PROG_ENV", "demo", "prog", "try_lines"]

PROG_ENV = "QUALITYFLOW_PROG"
"""How to run the command, as the demo's "Try:" lines print it (``tasks.py`` sets it)."""

prog = out.prog

HELP = N_(
    "Play a biscuit plant's worst week: complaint, incident, recall, root cause, 8D.\n\n"
    "Builds Sunrise Biscuits (suppliers, lots, mixes, finished batches, shipments) in the\n"
    "database, then a consumer posts a photo of a metal shard on social media: the\n"
    "complaint escalates to an incident, the emergency team assesses and recalls, finds the\n"
    "root cause with 5-Why and fishbone, corrects, verifies and closes. On a database that\n"
    "already holds a run, the new run's ids get a suffix (-R2, -R3...), and it says so."
)
"""The help of ``demo`` (its docstring, as a message id for ``--lang``)."""


class _NotificationLog:
    """A plugin that keeps the notifications the demo sends, to show them as a table."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    @hookimpl
    def qualityflow_notify(self, notification: Notification) -> None:
        """Keep ``notification``."""
        self.sent.append(notification)


def is_memory(database_url: str) -> bool:
    """Tell whether the database is gone when the command ends."""
    scheme = database_url.partition("://")[0].split("+", 1)[0].lower()
    if scheme == "memory":
        return True
    return scheme == "sqlite" and sqlite_path(database_url) is None


def try_lines(run: DemoRun, database_url: str, command: str | None = None) -> list[str]:
    """Return the commands to try after the demo, runnable as printed (none for memory://)."""
    if is_memory(database_url):
        return []
    base = command or out.prog()
    db = "" if database_url == DEFAULT_URL else f" --db {shlex.quote(database_url)}"
    return [
        f"{base} trace {run.flour_lot_id}{db}",
        f"{base} recall {run.suspect_batch_id} --drill{db}",
        f"{base} incidents show {run.incident_id}{db}",
        f"{base} complaints show {run.complaint_id}{db}",
        f"{base} report 8d {run.incident_id} --html {run.incident_id}-8D.html{db}",
    ]


@handles_errors
def demo(
    db: Db = None,
    html: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help=N_("Also write the 8D report as an HTML page here.")),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help=N_("Print the run's ids and notifications as JSON."))
    ] = False,
) -> None:
    """Play a biscuit plant's worst week: complaint, incident, recall, root cause, 8D.

    Builds Sunrise Biscuits (suppliers, lots, mixes, finished batches, shipments) in the
    database, then a consumer posts a photo of a metal shard on social media: the
    complaint escalates to an incident, the emergency team assesses and recalls, finds the
    root cause with 5-Why and fishbone, corrects, verifies and closes. On a database that
    already holds a run, the new run's ids get a suffix (-R2, -R3...), and it says so.
    """
    from qualityflow.demo import plant, run_demo
    from qualityflow.notify.log import LOGGER_NAME
    from qualityflow.reports import eight_d, mock_recall

    check_output(html, "--html")
    database_url = url(db)
    sent = _NotificationLog()
    qms = open_service(db, write=True, plugins=[sent])
    # The notifications are shown as a table below, not also as log lines.
    quiet = logging.NullHandler()
    logger = logging.getLogger(LOGGER_NAME)
    logger.addHandler(quiet)
    try:
        with out.status(_("Building Sunrise Biscuits and playing the week...")):
            run = run_demo(qms)
    finally:
        logger.removeHandler(quiet)
    if run.tag:
        out.warn(
            _(
                "{url} already held a demo run, so this run's ids end in {tag} "
                "({ids}, ...); use a new --db for the plain ids"
            ).format(
                url=database_url,
                tag=run.tag,
                ids=", ".join((run.incident_id, run.complaint_id, run.flour_lot_id)),
            )
        )
    notifications = sorted(sent.sent, key=lambda n: n.at)
    lines = try_lines(run, database_url)
    incident = qms.incidents.get(run.incident_id)
    complaint = qms.complaints.get(run.complaint_id)
    assert incident.recall is not None  # the demo recalls
    impact = qms.recall_impact(*incident.recall.batch_ids)
    report = eight_d(
        incident,
        impact=impact,
        genealogy=qms.genealogy,
        complaints=[complaint],
        audit_head=qms.audit.head(),
        audit_at=datetime.now(timezone.utc),
    )
    if html is not None:
        write_output(html, report.to_html(), "--html")
    if as_json:
        out.print_json(
            {
                "database": database_url,
                "tag": run.tag,
                "incident_id": run.incident_id,
                "complaint_id": run.complaint_id,
                "suspect_batch_id": run.suspect_batch_id,
                "flour_lot_id": run.flour_lot_id,
                "notifications": notifications,
                "recall": impact.to_dict(),
                "try": lines,
            }
        )
        if html is not None:
            out.note(_("8D report written to {path}").format(path=html), err=True)
        return
    p = plant(run.tag)
    out.note(_("== Sunrise Biscuits =="))
    out.table(
        _("The plant"),
        (_("batch"), _("kind"), _("product"), _("quantity"), _("supplier / line")),
        [(b.id, label(b.kind), b.product, b.quantity, b.supplier_id or b.line) for b in p.batches],
        ids=(0, 4),
    )
    out.note(_("== Timeline =="))
    history = [(complaint.id, r) for r in complaint.history] + [
        (incident.id, r) for r in incident.history
    ]
    out.table(
        _("{complaint} (complaint) and {incident} (incident)").format(
            complaint=complaint.id, incident=incident.id
        ),
        (_("when (UTC)"), _("case"), _("step"), _("by")),
        [
            (r.at, case, f"{r.trigger}: {r.source} -> {r.dest}", r.actor)
            for case, r in sorted(history, key=lambda item: item[1].at)
        ],
        ids=(1,),
    )
    out.table(
        (
            _("{n} notification sent (the logging notifier and plugins get each)")
            if len(notifications) == 1
            else _("{n} notifications sent (the logging notifier and plugins get each)")
        ).format(n=len(notifications)),
        (_("at (UTC)"), _("kind"), _("case"), _("title")),
        [(n.at, n.kind, n.subject_id, n.title) for n in notifications],
        ids=(2,),
    )
    out.note(_("== Recall impact =="))
    print_impact(impact)
    drill = mock_recall(qms, run.flour_lot_id)
    n_batches, n_shipments = len(drill.batch_ids), len(drill.shipment_ids)
    n_customers = len(drill.customer_ids)
    out.note(
        _(
            "Mock-recall drill for flour lot {lot}: answered in {seconds} s "
            "(FSMA 204 bound: 24 h), {batches}, {shipments}, {customers}."
        ).format(
            lot=drill.lot_id,
            seconds=f"{drill.elapsed.total_seconds():.3f}",
            batches=(_("{n} batch") if n_batches == 1 else _("{n} batches")).format(n=n_batches),
            shipments=(_("{n} shipment") if n_shipments == 1 else _("{n} shipments")).format(
                n=n_shipments
            ),
            customers=(_("{n} customer") if n_customers == 1 else _("{n} customers")).format(
                n=n_customers
            ),
        )
    )
    out.note()
    out.note(_("== 8D report =="))
    out.markdown(report.to_markdown())
    if html is not None:
        out.note(_("8D report written to {path}").format(path=html))
    out.note()
    if not lines:
        out.note(
            _(
                "The demo ran on {url}, which is gone now that the command has ended. "
                "To try the other commands on its data, run it on a file, e.g. "
                "--db sqlite:///sunrise.db."
            ).format(url=database_url)
        )
        return
    out.note(_("Data stored in {url}. Try:").format(url=database_url))
    for line in lines:
        out.note(f"  {line}")


demo.__doc__ = HELP  # the same text: typer's help is a message id, as --lang needs
