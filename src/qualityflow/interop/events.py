"""Normalised EPCIS events: one typed shape for JSON-LD and XML, 1.2 and 2.0.

:class:`EpcisEvent` is what :func:`qualityflow.load_epcis` keeps of each event once the
vocabulary is normalised (bare CBV words such as ``shipping``; extension values such as
``urn:gdst:bizStep:farmHarvest`` kept as given), times are read, quantities are decimals and
units are the plant's (``KGM`` becomes ``kg``). Identifiers are kept exactly as the partner
wrote them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from qualityflow.interop._read import EVENT_TYPES
from qualityflow.interop._vocab import UNIT_FROM_UNECE, normalise_vocab, parse_decimal, parse_time

__all__ = ["EpcisEvent", "EpcisWarning", "ErrorDeclaration", "QuantityElement"]


@dataclass(frozen=True)
class EpcisWarning:
    """A flaw found in partner data: which file, which event, what is wrong.

    The import goes on; the flawed part is skipped or read with the assumption the message
    states. ``event_id`` is ``None`` for flaws of the document as a whole.
    """

    file: str
    event_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"event {self.event_id}" if self.event_id else "document"
        return f"{self.file}: {where}: {self.message}"


@dataclass(frozen=True)
class QuantityElement:
    """A class-level identifier (a lot) with an amount; ``quantity`` is ``None`` when absent.

    ``unit`` is the plant unit (``kg`` for ``KGM``; unknown UN/ECE codes kept as given;
    ``EA`` when the document gives a count without a unit of measure).
    """

    epc_class: str
    quantity: Decimal | None
    unit: str | None


@dataclass(frozen=True)
class ErrorDeclaration:
    """An EPCIS error declaration: the event carrying it is retracted; corrective ones apply."""

    declaration_time: datetime | None
    reason: str | None
    corrective_event_ids: tuple[str, ...]


@dataclass(frozen=True)
class EpcisEvent:
    """One EPCIS event after normalisation.

    ``epcs`` and ``quantities`` hold an ObjectEvent's ``epcList``/``quantityList`` or an
    AggregationEvent's ``childEPCs``/``childQuantityList``; TransformationEvents use the
    ``input_*`` and ``output_*`` fields. ``sources`` and ``destinations`` are ``(type, id)``
    pairs with the type normalised (``owning_party``, ``location``...). ``index`` is the
    event's position in its file, used to keep file order among events at the same time.
    """

    type: str
    event_id: str
    event_time: datetime
    file: str
    index: int = 0
    action: str | None = None
    biz_step: str | None = None
    disposition: str | None = None
    read_point: str | None = None
    biz_location: str | None = None
    epcs: tuple[str, ...] = ()
    quantities: tuple[QuantityElement, ...] = ()
    parent_id: str | None = None
    input_epcs: tuple[str, ...] = ()
    input_quantities: tuple[QuantityElement, ...] = ()
    output_epcs: tuple[str, ...] = ()
    output_quantities: tuple[QuantityElement, ...] = ()
    transformation_id: str | None = None
    sources: tuple[tuple[str, str], ...] = ()
    destinations: tuple[tuple[str, str], ...] = ()
    biz_transactions: tuple[tuple[str, str], ...] = ()
    error_declaration: ErrorDeclaration | None = None
    ilmd: Mapping[str, Any] = field(default_factory=dict, compare=False)
    extensions: Mapping[str, Any] = field(default_factory=dict, compare=False)
    has_event_id: bool = True

    def content_key(self) -> tuple[object, ...]:
        """Return the business content, for spotting the same event under another id."""
        return (
            self.type,
            self.event_time,
            self.action,
            self.biz_step,
            self.disposition,
            self.read_point,
            self.biz_location,
            self.epcs,
            self.quantities,
            self.parent_id,
            self.input_epcs,
            self.input_quantities,
            self.output_epcs,
            self.output_quantities,
            self.transformation_id,
            self.sources,
            self.destinations,
            self.biz_transactions,
            self.extensions.get("qf:shipmentId"),
        )

    def extension(self, name: str) -> Any:
        """Return an extension field by local name: ``productOwner`` finds ``gdst:productOwner``."""
        for key, value in self.extensions.items():
            local = key.rsplit("}", 1)[-1] if key.startswith("{") else key.rsplit(":", 1)[-1]
            if local == name:
                return value
        return None


Warn = Callable[[str | None, str], None]

_KNOWN_KEYS = frozenset(
    {
        "type",
        "@context",
        "eventTime",
        "recordTime",
        "eventTimeZoneOffset",
        "eventID",
        "action",
        "bizStep",
        "disposition",
        "persistentDisposition",
        "readPoint",
        "bizLocation",
        "epcList",
        "childEPCs",
        "quantityList",
        "childQuantityList",
        "parentID",
        "inputEPCList",
        "inputQuantityList",
        "outputEPCList",
        "outputQuantityList",
        "transformationID",
        "sourceList",
        "destinationList",
        "bizTransactionList",
        "errorDeclaration",
        "ilmd",
        "sensorElementList",
        "certificationInfo",
        "epcClass",
        "quantity",
        "qf:uom",
    }
)


def _identifier_list(raw: Any, field_name: str, warn: Warn, event_id: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        warn(event_id, f"{field_name} is a {type(raw).__name__}, not a list; ignored")
        return ()
    out: list[str] = []
    for item in raw:
        if isinstance(item, Mapping) and isinstance(item.get("epc"), str):
            item = item["epc"]
        if isinstance(item, str) and item.strip():
            if item.strip() not in out:
                out.append(item.strip())
        else:
            warn(event_id, f"{field_name} holds {item!r}, not an identifier; ignored")
    return tuple(out)


def _quantity_list(
    raw: Any, field_name: str, warn: Warn, event_id: str
) -> tuple[QuantityElement, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        warn(event_id, f"{field_name} is a {type(raw).__name__}, not a list; ignored")
        return ()
    out: list[QuantityElement] = []
    for item in raw:
        if not isinstance(item, Mapping):
            warn(event_id, f"{field_name} holds {item!r}, not a quantity element; ignored")
            continue
        epc_class = item.get("epcClass")
        if not isinstance(epc_class, str) or not epc_class.strip():
            warn(event_id, f"{field_name} element without epcClass ({dict(item)!r}); ignored")
            continue
        raw_qty = item.get("quantity")
        amount = parse_decimal(raw_qty)
        if raw_qty not in (None, "") and amount is None:
            warn(
                event_id,
                f"{field_name}: quantity {raw_qty!r} of {epc_class} is not a non-negative "
                "number; read as unknown",
            )
        uom = item.get("uom")
        unit: str | None
        if isinstance(uom, str) and uom.strip():
            unit = UNIT_FROM_UNECE.get(uom.strip(), uom.strip())
        elif amount is not None:
            unit = "EA"
        else:
            unit = None
        out.append(QuantityElement(epc_class.strip(), amount, unit))
    return tuple(out)


def _pairs(
    raw: Any, field_name: str, value_key: str, vocabulary: str, warn: Warn, event_id: str
) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        warn(event_id, f"{field_name} is a {type(raw).__name__}, not a list; ignored")
        return ()
    out: list[tuple[str, str]] = []
    for item in raw:
        if not isinstance(item, Mapping):
            warn(event_id, f"{field_name} holds {item!r}; ignored")
            continue
        kind = normalise_vocab(
            item.get("type") if isinstance(item.get("type"), str) else None, vocabulary
        )
        value = item.get(value_key)
        if not isinstance(value, str) or not value.strip():
            what = f"of type {kind!r}" if kind else "with an empty type"
            warn(event_id, f"{field_name} entry {what} names no party or location; ignored")
            continue
        if kind is None:
            warn(
                event_id,
                f"{field_name} entry {value.strip()!r} has an empty type; read as 'unspecified'",
            )
            kind = "unspecified"
        out.append((kind, value.strip()))
    return tuple(out)


def _with_units(elements: tuple[QuantityElement, ...], units: Any) -> tuple[QuantityElement, ...]:
    if not isinstance(units, Mapping) or not units:
        return elements
    return tuple(
        QuantityElement(e.epc_class, e.quantity, str(units[e.epc_class]))
        if e.epc_class in units and e.quantity is not None and isinstance(units[e.epc_class], str)
        else e
        for e in elements
    )


def _location(raw: Any) -> str | None:
    if isinstance(raw, Mapping):
        raw = raw.get("id")
    if isinstance(raw, str) and raw.strip():
        return raw.strip()
    return None


def _text(raw: Any) -> str | None:
    return raw.strip() if isinstance(raw, str) and raw.strip() else None


def normalise_event(
    raw: Mapping[str, Any], file: str, index: int, warn_in_file: Callable[[str | None, str], None]
) -> EpcisEvent | None:
    """Turn one raw event dict into an :class:`EpcisEvent`; ``None`` when it is unusable.

    ``warn_in_file(event_id, message)`` is called for every flaw (it raises
    :class:`~qualityflow.errors.InteropError` in strict mode).
    """
    raw_id = raw.get("eventID")
    has_id = isinstance(raw_id, str) and bool(raw_id.strip())
    event_id = raw_id.strip() if isinstance(raw_id, str) and has_id else f"{file}#event-{index + 1}"
    label = event_id if has_id else f"#{index + 1} (no eventID)"
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        warn_in_file(label, f"unknown event type {kind!r}; event skipped")
        return None
    if kind == "QuantityEvent":
        warn_in_file(label, "QuantityEvent (deprecated since EPCIS 1.2) read as an ObjectEvent")
        raw = dict(raw)
        raw["quantityList"] = [{"epcClass": raw.get("epcClass"), "quantity": raw.get("quantity")}]
        kind = "ObjectEvent"
    when, problem = parse_time(raw.get("eventTime"), raw.get("eventTimeZoneOffset"))
    if when is None:
        warn_in_file(label, f"eventTime: {problem}; event skipped")
        return None
    if problem:
        warn_in_file(label, f"eventTime: {problem}")
    action = _text(raw.get("action"))
    if action is not None:
        action = action.upper()
    if kind != "TransformationEvent" and action not in ("ADD", "OBSERVE", "DELETE"):
        warn_in_file(
            label,
            f"action {raw.get('action')!r} is not ADD, OBSERVE or DELETE; read as OBSERVE",
        )
        action = "OBSERVE"
    decl = raw.get("errorDeclaration")
    declaration = None
    if isinstance(decl, Mapping):
        decl_time, _ = parse_time(decl.get("declarationTime"))
        corrective = decl.get("correctiveEventIDs") or []
        if isinstance(corrective, str):
            corrective = [corrective]
        declaration = ErrorDeclaration(
            decl_time,
            normalise_vocab(_text(decl.get("reason")), "er"),
            tuple(c.strip() for c in corrective if isinstance(c, str) and c.strip()),
        )
    elif decl is not None:
        warn_in_file(label, "errorDeclaration is not an object; ignored")
    is_child = kind == "AggregationEvent" or kind == "AssociationEvent"
    epcs = _identifier_list(
        raw.get("childEPCs" if is_child else "epcList"), "epcList", warn_in_file, label
    )
    quantities = _quantity_list(
        raw.get("childQuantityList" if is_child else "quantityList"),
        "quantityList",
        warn_in_file,
        label,
    )
    ilmd = raw.get("ilmd")
    units = raw.get("qf:uom")
    if isinstance(units, Mapping):
        # qualityflow's own exports name units that have no UN/ECE code here
        quantities = _with_units(quantities, units)
    event = EpcisEvent(
        type=kind,
        event_id=event_id,
        event_time=when,
        file=file,
        index=index,
        action=action,
        biz_step=normalise_vocab(_text(raw.get("bizStep")), "bizStep"),
        disposition=normalise_vocab(_text(raw.get("disposition")), "disposition"),
        read_point=_location(raw.get("readPoint")),
        biz_location=_location(raw.get("bizLocation")),
        epcs=epcs,
        quantities=quantities,
        parent_id=_text(raw.get("parentID")),
        input_epcs=_identifier_list(raw.get("inputEPCList"), "inputEPCList", warn_in_file, label),
        input_quantities=_with_units(
            _quantity_list(raw.get("inputQuantityList"), "inputQuantityList", warn_in_file, label),
            units,
        ),
        output_epcs=_identifier_list(
            raw.get("outputEPCList"), "outputEPCList", warn_in_file, label
        ),
        output_quantities=_with_units(
            _quantity_list(
                raw.get("outputQuantityList"), "outputQuantityList", warn_in_file, label
            ),
            units,
        ),
        transformation_id=_text(raw.get("transformationID")),
        sources=_pairs(raw.get("sourceList"), "sourceList", "source", "sdt", warn_in_file, label),
        destinations=_pairs(
            raw.get("destinationList"), "destinationList", "destination", "sdt", warn_in_file, label
        ),
        biz_transactions=_pairs(
            raw.get("bizTransactionList"),
            "bizTransactionList",
            "bizTransaction",
            "btt",
            warn_in_file,
            label,
        ),
        error_declaration=declaration,
        ilmd=ilmd if isinstance(ilmd, Mapping) else {},
        extensions={k: v for k, v in raw.items() if k not in _KNOWN_KEYS},
        has_event_id=has_id,
    )
    if kind == "ObjectEvent" and not event.epcs and not event.quantities:
        warn_in_file(
            label, "ObjectEvent names no objects (no epcList or quantityList); nothing recorded"
        )
    if kind == "AggregationEvent" and event.parent_id is None and action != "OBSERVE":
        warn_in_file(label, "AggregationEvent without parentID; containment not recorded")
    if (
        kind == "TransformationEvent"
        and not (event.output_epcs or event.output_quantities)
        and not event.transformation_id
    ):
        warn_in_file(label, "TransformationEvent without outputs; nothing produced")
    return event
