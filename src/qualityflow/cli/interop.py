"""``qualityflow import-epcis`` and ``qualityflow export-fsma204``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from qualityflow.cli import _output as out
from qualityflow.cli._db import Db, open_service
from qualityflow.cli._errors import fail, handles_errors
from qualityflow.cli._input import check_output, require_known
from qualityflow.cli.trace import _check_sheet_suffix
from qualityflow.i18n import N_, _

__all__ = ["EXPORT_HELP", "IMPORT_HELP", "export_fsma204", "import_epcis"]

WARNINGS_SHOWN = 50
"""How many distinct import warnings are printed on stderr (``--json`` holds them all)."""

IMPORT_HELP = N_(
    "Import partners' EPCIS events: lots, transformations and shipments into the genealogy."
    "\n\nAlready stored lots, links and shipments are kept, so importing a file again adds "
    "only\nwhat is new. Exits 2 when the files hold no lots or shipments at all."
)
"""The help of ``import-epcis`` (its docstring, as a message id for ``--lang``)."""

EXPORT_HELP = N_(
    "Write the FDA FSMA 204 sortable spreadsheet for a recall of the given lots.\n\n"
    "The suffix of --out chooses the format: .csv or .xlsx; any other suffix is refused.\n"
    "Example: qualityflow export-fsma204 FLOUR-0412 --out fsma204.csv."
)
"""The help of ``export-fsma204`` (its docstring, as a message id for ``--lang``)."""


@handles_errors
def import_epcis(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE", help=N_("EPCIS 2.0 JSON-LD or 1.2/2.0 XML files.")),
    ],
    strict: Annotated[
        bool, typer.Option(help=N_("Refuse flawed data (exit 2) instead of warning."))
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help=N_("Print the counts and warnings as JSON."))
    ] = False,
    db: Db = None,
) -> None:
    """Import partners' EPCIS events: lots, transformations and shipments into the genealogy.

    Already stored lots, links and shipments are kept, so importing a file again adds only
    what is new. Exits 2 when the files hold no lots or shipments at all.
    """
    from qualityflow.interop import load_epcis

    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise fail("bad_input", _("no such file: {files}").format(files=", ".join(missing)))
    size = sum(f.stat().st_size for f in files)
    with out.progress() as bar:
        reading = _("Reading {files} ({size} MB)").format(
            files=(_("{n} EPCIS file") if len(files) == 1 else _("{n} EPCIS files")).format(
                n=len(files)
            ),
            size=f"{size / 1e6:.1f}",
        )
        bar.add_task(reading, total=None)
        result = load_epcis(*files, strict=strict)
    genealogy = result.genealogy
    batches = list(genealogy.batches())
    links = list(genealogy.links())
    shipments = list(genealogy.shipments())
    warnings = list(dict.fromkeys(str(w) for w in result.warnings))
    n_events = len(result.events)
    if not batches and not shipments:
        for warning in warnings[:WARNINGS_SHOWN]:
            out.warn(warning)
        raise fail(
            "bad_input",
            _("nothing to import: {files} ({events}) hold no lots or shipments").format(
                files=", ".join(str(f) for f in files),
                events=(_("{n} event") if n_events == 1 else _("{n} events")).format(n=n_events),
            ),
            _(
                "check that these are EPCIS documents with object, aggregation or "
                "transformation events"
            ),
        )
    qms = open_service(db, write=True)
    added = _store(qms, batches, links, shipments)
    if as_json:
        out.print_json(
            {
                "files": [str(f) for f in files],
                "events": n_events,
                "added": added,
                "read": {
                    "lots": len(batches),
                    "links": len(links),
                    "shipments": len(shipments),
                },
                "warnings": warnings,
            }
        )
    new = sum(added.values())
    summary = _("Imported {events}: {lots}, {links}, {shipments}").format(
        events=(_("{n} event") if n_events == 1 else _("{n} events")).format(n=n_events),
        lots=(_("{n} new lot") if added["lots"] == 1 else _("{n} new lots")).format(
            n=added["lots"]
        ),
        links=(_("{n} new link") if added["links"] == 1 else _("{n} new links")).format(
            n=added["links"]
        ),
        shipments=(
            _("{n} new shipment") if added["shipments"] == 1 else _("{n} new shipments")
        ).format(n=added["shipments"]),
    )
    if not new:
        summary += _(" (everything was already stored)")
    summary += _("; {warnings}").format(
        warnings=(_("{n} warning") if len(warnings) == 1 else _("{n} warnings")).format(
            n=len(warnings)
        )
    )
    if warnings:
        summary += _(" (on stderr; --strict refuses flawed data instead)")
    # TRANSLATORS: the full stop that ends the import summary.
    out.note(summary + _("."), err=as_json)
    for warning in warnings[:WARNINGS_SHOWN]:
        out.warn(warning)
    if len(warnings) > WARNINGS_SHOWN:
        out.note(
            _("warning: ... and {n} more (--json lists them all)").format(
                n=len(warnings) - WARNINGS_SHOWN
            ),
            err=True,
        )


def _store(qms: Any, batches: list[Any], links: list[Any], shipments: list[Any]) -> dict[str, int]:
    """Store what is not stored yet, in one transaction, with progress on stderr."""
    known_batches = {b.id for b in qms.batches.list()}
    known_shipments = {s.id for s in qms.shipments.list()}
    known_links = {(e.input_id, e.output_id) for e in qms.storage.edges() if e.kind == "link"}
    added = {"lots": 0, "links": 0, "shipments": 0}
    with out.progress() as bar, qms.storage.transaction():
        task = bar.add_task(_("Storing"), total=len(batches) + len(links) + len(shipments))
        for batch in batches:
            if batch.id not in known_batches:
                qms.batches.add(batch)
                known_batches.add(batch.id)
                added["lots"] += 1
            bar.advance(task)
        for link in links:
            if (link[0], link[1]) not in known_links:
                qms.link(link[0], link[1], link[2] if len(link) > 2 else None)
                known_links.add((link[0], link[1]))
                added["links"] += 1
            bar.advance(task)
        for shipment in shipments:
            if shipment.id not in known_shipments:
                qms.shipments.add(shipment)
                known_shipments.add(shipment.id)
                added["shipments"] += 1
            bar.advance(task)
    return added


@handles_errors
def export_fsma204(
    ids: Annotated[
        list[str],
        typer.Argument(metavar="LOT", help=N_("Suspect lot ids whose recall to export.")),
    ],
    out_path: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="FILE",
            help=N_("The sheet to write: a .csv file, or .xlsx (needs the xlsx extra)."),
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help=N_("Print what was written as JSON."))
    ] = False,
    db: Db = None,
) -> None:
    """Write the FDA FSMA 204 sortable spreadsheet for a recall of the given lots.

    The suffix of --out chooses the format: .csv or .xlsx; any other suffix is refused.
    Example: qualityflow export-fsma204 FLOUR-0412 --out fsma204.csv.
    """
    from qualityflow.interop import to_fsma204

    _check_sheet_suffix(out_path, "--out")
    check_output(out_path, "--out")
    qms = open_service(db, write=False)
    with out.status(_("Tracing and writing...")):
        require_known(qms.known(*ids), ids)
        # What the recall reaches and every reached batch's inputs (the sheet's
        # transformation rows list them): the same sheet as from the whole genealogy.
        genealogy = qms.local_genealogy(*ids, inputs=True)
        impact = genealogy.recall_impact(*ids)
        try:
            to_fsma204(impact, out_path, genealogy=genealogy)
        except OSError as exc:
            raise fail(
                "bad_input",
                _("--out {path}: cannot write: {reason}").format(
                    path=out_path, reason=exc.strerror or exc
                ),
            ) from None
    if as_json:
        out.print_json(
            {
                "out": str(out_path),
                "lots": len(impact.batches),
                "shipments": len(impact.shipments),
                "batch_ids": sorted(impact.batch_ids),
                "shipment_ids": sorted(impact.shipment_ids),
            }
        )
        return
    out.note(
        _("FSMA 204 spreadsheet written to {path}: {lots}, {shipments}.").format(
            path=out_path,
            lots=(_("{n} lot") if len(impact.batches) == 1 else _("{n} lots")).format(
                n=len(impact.batches)
            ),
            shipments=(
                _("{n} shipment") if len(impact.shipments) == 1 else _("{n} shipments")
            ).format(n=len(impact.shipments)),
        )
    )


import_epcis.__doc__ = IMPORT_HELP  # the same text: typer's help is a message id, as --lang needs
export_fsma204.__doc__ = EXPORT_HELP
