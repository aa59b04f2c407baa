"""The FDA FSMA 204 electronic sortable spreadsheet of Key Data Elements.

Under the Food Traceability Rule (21 CFR 1 subpart S) a firm must give FDA, within 24 hours
of a request, a sortable spreadsheet of the Key Data Elements (KDEs) of the Critical
Tracking Events (CTEs) for the lots asked about. :func:`to_fsma204` writes one row per CTE
of every lot and shipment in a trace or recall impact: the lot's creation (harvesting,
first land-based receiving, initial packing, receiving or transformation, with the input
lot codes), each shipment, and the receipt that confirmed it when the data holds one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from qualityflow.errors import InteropError
from qualityflow.models import Batch, BatchKind, Shipment

if TYPE_CHECKING:
    from qualityflow.genealogy import Genealogy, RecallImpact, Trace

__all__ = ["FSMA204_COLUMNS", "fsma204_rows", "to_fsma204"]

FSMA204_COLUMNS: tuple[str, ...] = (
    "Traceability Lot Code (TLC)",
    "Product Description",
    "Quantity",
    "Unit of Measure",
    "Critical Tracking Event (CTE)",
    "Event Date",
    "Event Time (UTC)",
    "Location of CTE",
    "Ship-From Location",
    "Ship-To Location",
    "TLC Source",
    "Input TLCs (transformation)",
    "Reference Document Type",
    "Reference Document Number",
)
"""Column headings, in order, of the sortable spreadsheet."""

_CTE_BY_STEP = {
    "harvesting": "Harvesting",
    "urn:gdst:bizStep:farmHarvest": "Harvesting",
    "urn:gdst:bizStep:fishingEvent": "Harvesting",
    "urn:gdst:bizStep:hatching": "Harvesting",
    "urn:gdst:bizStep:landing": "First Land-Based Receiving",
    "receiving": "Receiving",
    "cooling": "Cooling",
    "packing": "Initial Packing",
}


def _iso(batch_or_shipment: Batch | Shipment) -> tuple[str, str]:
    when = (
        batch_or_shipment.shipped_at
        if isinstance(batch_or_shipment, Shipment)
        else batch_or_shipment.produced_at
    )
    if when is None:
        return "", ""
    utc = when.astimezone(timezone.utc)
    return utc.date().isoformat(), utc.strftime("%H:%M:%S")


def _attr(batch: Batch, key: str) -> str:
    value = batch.attributes.get(key)
    return value if isinstance(value, str) else ""


def _amount(batch_quantity: Any) -> tuple[str, str]:
    if batch_quantity.unit == "unknown":
        return "", ""
    return f"{batch_quantity.amount.normalize():f}", str(batch_quantity.unit)


def fsma204_rows(
    batches: Iterable[Batch],
    shipments: Iterable[Shipment],
    inputs: Mapping[str, list[str]] | None = None,
) -> list[dict[str, str]]:
    """Return the spreadsheet rows (one dict per CTE), sorted by lot code, date and time.

    ``inputs`` maps a batch id to the ids of the lots that went into it; a batch with
    inputs is a Transformation CTE listing them.
    """
    inputs = inputs or {}
    by_id: dict[str, Batch] = {}
    for batch in batches:
        by_id[batch.id] = batch
    rows: list[dict[str, str]] = []
    for batch in by_id.values():
        date, time = _iso(batch)
        quantity, unit = _amount(batch.quantity)
        location = _attr(batch, "epcis_location") or (batch.line or "")
        lot_inputs = inputs.get(batch.id, [])
        if lot_inputs:
            cte = "Transformation"
        else:
            step = _attr(batch, "epcis_cte")
            cte = _CTE_BY_STEP.get(step, "")
            if not cte:
                cte = "Receiving" if batch.kind is BatchKind.RAW_MATERIAL else "Initial Packing"
        created_by = _attr(batch, "epcis_created_by")
        rows.append(
            {
                "Traceability Lot Code (TLC)": batch.id,
                "Product Description": batch.product,
                "Quantity": quantity,
                "Unit of Measure": unit,
                "Critical Tracking Event (CTE)": cte,
                "Event Date": date,
                "Event Time (UTC)": time,
                "Location of CTE": location,
                "Ship-From Location": "",
                "Ship-To Location": "",
                "TLC Source": location or (batch.supplier_id or ""),
                "Input TLCs (transformation)": "; ".join(lot_inputs),
                "Reference Document Type": "EPCIS event" if created_by else "batch record",
                "Reference Document Number": created_by or batch.id,
            }
        )
    for shipment in shipments:
        shipped: Batch | None = by_id.get(shipment.batch_id)
        details: Mapping[str, Any] = {}
        if shipped is not None:
            recorded = shipped.attributes.get("epcis_shipments")
            entry = recorded.get(shipment.id) if isinstance(recorded, Mapping) else None
            if isinstance(entry, Mapping):
                details = entry
        date, time = _iso(shipment)
        quantity, unit = _amount(shipment.quantity)
        ship_from = details.get("ship_from") or (
            _attr(shipped, "epcis_location") if shipped is not None else ""
        )
        transactions = details.get("biz_transactions") or []
        if transactions:
            doc_type = "; ".join(str(t[0]) for t in transactions)
            doc_number = "; ".join(str(t[1]) for t in transactions)
        else:
            doc_type = "EPCIS event" if details.get("event_id") else "shipment record"
            doc_number = str(details.get("event_id") or shipment.id)
        base = {
            "Traceability Lot Code (TLC)": shipment.batch_id,
            "Product Description": shipped.product if shipped is not None else "",
            "Quantity": quantity,
            "Unit of Measure": unit,
            "Event Date": date,
            "Event Time (UTC)": time,
            "Ship-From Location": str(ship_from or ""),
            "Ship-To Location": shipment.customer_id,
            "TLC Source": _attr(shipped, "epcis_location") if shipped is not None else "",
            "Input TLCs (transformation)": "",
        }
        rows.append(
            {
                **base,
                "Critical Tracking Event (CTE)": "Shipping",
                "Location of CTE": str(ship_from or ""),
                "Reference Document Type": doc_type,
                "Reference Document Number": doc_number,
            }
        )
        if details.get("received_by"):
            received_on = details.get("received_on")
            if isinstance(received_on, str):
                when = datetime.fromisoformat(received_on).astimezone(timezone.utc)
                base["Event Date"], base["Event Time (UTC)"] = (
                    when.date().isoformat(),
                    when.strftime("%H:%M:%S"),
                )
            rows.append(
                {
                    **base,
                    "Critical Tracking Event (CTE)": "Receiving",
                    "Location of CTE": str(details.get("received_at") or shipment.customer_id),
                    "Reference Document Type": "EPCIS event",
                    "Reference Document Number": str(details["received_by"]),
                }
            )
    rows.sort(
        key=lambda r: (
            r["Traceability Lot Code (TLC)"],
            r["Event Date"],
            r["Event Time (UTC)"],
            r["Critical Tracking Event (CTE)"] == "Receiving",
        )
    )
    return [{column: row[column] for column in FSMA204_COLUMNS} for row in rows]


def _collect(
    impact_or_trace: RecallImpact | Trace, genealogy: Genealogy | None
) -> tuple[list[Batch], list[Shipment], dict[str, list[str]]]:
    from qualityflow.genealogy import RecallImpact, Trace

    if isinstance(impact_or_trace, Trace):
        graph = impact_or_trace.subgraph
        entities = [graph.nodes[n]["entity"] for n in graph.nodes]
        batches = [e for e in entities if isinstance(e, Batch)]
        shipments = [e for e in entities if isinstance(e, Shipment)]
        full: nx.DiGraph | None = genealogy.graph if genealogy is not None else None
    elif isinstance(impact_or_trace, RecallImpact):
        batches = list(impact_or_trace.batches)
        shipments = list(impact_or_trace.shipments)
        full = genealogy.graph if genealogy is not None else None
        graph = full
    else:
        raise InteropError(
            f"to_fsma204 expects a Trace or a RecallImpact, got {type(impact_or_trace).__name__}"
        )
    source = full if full is not None else graph
    inputs: dict[str, list[str]] = {}
    if source is not None:
        for batch in batches:
            if batch.id in source:
                preds = [
                    p
                    for p in source.predecessors(batch.id)
                    if source.nodes[p].get("kind") != "shipment"
                ]
                if preds:
                    inputs[batch.id] = sorted(preds)
    return batches, shipments, inputs


def to_fsma204(
    impact_or_trace: RecallImpact | Trace,
    path: str | Path,
    *,
    genealogy: Genealogy | None = None,
) -> Path:
    """Write the FSMA 204 sortable spreadsheet for a trace or a recall impact.

    Parameters
    ----------
    impact_or_trace
        A :class:`~qualityflow.genealogy.RecallImpact` (its batches and shipments) or a
        :class:`~qualityflow.genealogy.Trace` (its starting and reached ids).
    path
        Where to write: ``.xlsx`` writes an Excel workbook (needs the ``xlsx`` extra,
        ``pip install qualityflow[xlsx]``); any other suffix writes CSV (UTF-8).
    genealogy
        The genealogy the impact came from, so that transformation rows list their input
        lots (a Trace carries its own; a RecallImpact does not).

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import qualityflow as qf, tempfile, pathlib
    >>> from qualityflow.testing import example_genealogy
    >>> g = example_genealogy()
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "fsma204.csv"
    >>> qf.to_fsma204(g.recall_impact("COCOA-7"), out, genealogy=g).name
    'fsma204.csv'
    >>> out.read_text().splitlines()[0].split(",")[0]
    'Traceability Lot Code (TLC)'

    """
    target = Path(path)
    batches, shipments, inputs = _collect(impact_or_trace, genealogy)
    rows = fsma204_rows(batches, shipments, inputs)
    if target.suffix.lower() == ".xlsx":
        try:
            from openpyxl import Workbook
        except ImportError as exc:  # pragma: no cover - openpyxl is a dev dependency
            raise InteropError(
                f"{target}: writing .xlsx needs openpyxl; install the extra with "
                "`pip install qualityflow[xlsx]`, or give a .csv path"
            ) from exc
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "FSMA 204 KDEs"
        sheet.append(list(FSMA204_COLUMNS))
        for row in rows:
            sheet.append([row[c] for c in FSMA204_COLUMNS])
        sheet.auto_filter.ref = sheet.dimensions
        sheet.freeze_panes = "A2"
        buffer = io.BytesIO()
        workbook.save(buffer)
        target.write_bytes(buffer.getvalue())
        return target
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=list(FSMA204_COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    target.write_text(text.getvalue(), encoding="utf-8", newline="")
    return target
