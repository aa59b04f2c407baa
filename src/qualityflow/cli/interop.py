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

__all__ = ["export_fsma204", "import_epcis"]

WARNINGS_SHOWN = 50
"""How many distinct import warnings are printed on stderr (``--json`` holds them all)."""


@handles_errors
def import_epcis(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE", help="EPCIS 2.0 JSON-LD or 1.2/2.0 XML files."),
    ],
    strict: Annotated[
        bool, typer.Option(help="Refuse flawed data (exit 2) instead of warning.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the counts and warnings as JSON.")
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
        raise fail("bad_input", f"no such file: {', '.join(missing)}")
    size = sum(f.stat().st_size for f in files)
    with out.progress() as bar:
        bar.add_task(
            f"Reading {out.plural(len(files), 'EPCIS file')} ({size / 1e6:.1f} MB)", total=None
        )
        result = load_epcis(*files, strict=strict)
    genealogy = result.genealogy
    batches = list(genealogy.batches())
    links = list(genealogy.links())
    shipments = list(genealogy.shipments())
    warnings = list(dict.fromkeys(str(w) for w in result.warnings))
    if not batches and not shipments:
        for warning in warnings[:WARNINGS_SHOWN]:
            out.warn(warning)
        raise fail(
            "bad_input",
            f"nothing to import: {', '.join(str(f) for f in files)} "
            f"({out.plural(len(result.events), 'event')}) hold no lots or shipments",
            "check that these are EPCIS documents with object, aggregation or "
            "transformation events",
        )
    qms = open_service(db, write=True)
    added = _store(qms, batches, links, shipments)
    if as_json:
        out.print_json(
            {
                "files": [str(f) for f in files],
                "events": len(result.events),
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
    summary = (
        f"Imported {out.plural(len(result.events), 'event')}: "
        f"{out.plural(added['lots'], 'new lot')}, {out.plural(added['links'], 'new link')}, "
        f"{out.plural(added['shipments'], 'new shipment')}"
    )
    if not new:
        summary += " (everything was already stored)"
    summary += f"; {out.plural(len(warnings), 'warning')}"
    if warnings:
        summary += " (on stderr; --strict refuses flawed data instead)"
    out.note(summary + ".", err=as_json)
    for warning in warnings[:WARNINGS_SHOWN]:
        out.warn(warning)
    if len(warnings) > WARNINGS_SHOWN:
        out.note(
            f"warning: ... and {len(warnings) - WARNINGS_SHOWN} more (--json lists them all)",
            err=True,
        )


def _store(qms: Any, batches: list[Any], links: list[Any], shipments: list[Any]) -> dict[str, int]:
    """Store what is not stored yet, in one transaction, with progress on stderr."""
    known_batches = {b.id for b in qms.batches.list()}
    known_shipments = {s.id for s in qms.shipments.list()}
    known_links = {(e.input_id, e.output_id) for e in qms.storage.edges() if e.kind == "link"}
    added = {"lots": 0, "links": 0, "shipments": 0}
    with out.progress() as bar, qms.storage.transaction():
        task = bar.add_task("Storing", total=len(batches) + len(links) + len(shipments))
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
        typer.Argument(metavar="LOT", help="Suspect lot ids whose recall to export."),
    ],
    out_path: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="FILE",
            help="The sheet to write: a .csv file, or .xlsx (needs the xlsx extra).",
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was written as JSON.")
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
    with out.status("Tracing and writing..."):
        require_known(qms.known(*ids), ids)
        # What the recall reaches and every reached batch's inputs (the sheet's
        # transformation rows list them): the same sheet as from the whole genealogy.
        genealogy = qms.local_genealogy(*ids, inputs=True)
        impact = genealogy.recall_impact(*ids)
        try:
            to_fsma204(impact, out_path, genealogy=genealogy)
        except OSError as exc:
            raise fail(
                "bad_input", f"--out {out_path}: cannot write: {exc.strerror or exc}"
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
        f"FSMA 204 spreadsheet written to {out_path}: {out.plural(len(impact.batches), 'lot')}, "
        f"{out.plural(len(impact.shipments), 'shipment')}."
    )
