"""Interchange with partners and regulators: GS1 EPCIS in and out, the FSMA 204 spreadsheet.

* :func:`load_epcis` reads EPCIS 2.0 JSON-LD and EPCIS 1.2 / 2.0 XML into one genealogy,
  with an :class:`EpcisWarning` for every flaw in the data;
* :func:`to_epcis` writes a genealogy as EPCIS 2.0 JSON-LD that reads back unchanged;
* :func:`to_fsma204` writes FDA's sortable spreadsheet of Key Data Elements (CSV or XLSX).

See the "Importing partner data" page of the documentation.
"""

from __future__ import annotations

from qualityflow.interop.epcis import EpcisImport, ShipmentRecord, load_epcis
from qualityflow.interop.events import EpcisEvent, EpcisWarning, ErrorDeclaration, QuantityElement
from qualityflow.interop.export import to_epcis
from qualityflow.interop.fsma import FSMA204_COLUMNS, to_fsma204

__all__ = [
    "FSMA204_COLUMNS",
    "EpcisEvent",
    "EpcisImport",
    "EpcisWarning",
    "ErrorDeclaration",
    "QuantityElement",
    "ShipmentRecord",
    "load_epcis",
    "to_epcis",
    "to_fsma204",
]
