"""Normalised EPCIS events: one typed shape for JSON-LD and XML, 1.2 and 2.0.

:class:`EpcisEvent` is what :func:`qualityflow.load_epcis` keeps of each event once the
vocabulary is normalised (bare CBV words such as ``shipping``; extension values such as
``urn:gdst:bizStep:farmHarvest`` kept as given), times are read, quantities are decimals and
units are the plant's (``KGM`` becomes ``kg``). Identifiers are kept exactly as the partner
wrote them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, DecimalException
from types import MappingProxyType
from typing import Any, NamedTuple

from qualityflow.i18n import N_, _
from qualityflow.interop._read import EVENT_TYPES
from qualityflow.interop._vocab import (
    UNIT_FROM_UNECE,
    identifier_key,
    normalise_vocab,
    parse_decimal,
    parse_signed_decimal,
    parse_time,
)

__all__ = ["EpcisEvent", "EpcisWarning", "ErrorDeclaration", "QuantityElement"]

# The reader's warnings: marked with N_ (the English text is the message id) and
# translated with _() when the warning is made, so the active locale words it. Ids, EPCs,
# field names and values are placeholders and stay as the document has them.
FIELD_MISPLACED = N_(
    "field {key} does not belong in {article} {kind} (EPCIS); ignored (said once per file). "
    "Put it where the standard has it, or give it a namespace as an extension field"
)
PLACE_FIELD_MISPLACED = N_(
    "{place} holds {key}, which does not belong there (a {place} has only an id and "
    "extension fields); ignored"
)
NOT_A_LIST = N_("{field} is a {type}, not a list; ignored")
NOT_AN_IDENTIFIER = N_("{field} holds {item}, not an identifier; ignored")
NOT_A_QUANTITY_ELEMENT = N_("{field} holds {item}, not a quantity element; ignored")
NO_EPC_CLASS = N_("{field} element without epcClass ({item}); ignored")
QUANTITY_FIELD_MISPLACED = N_(
    "{field} element of {epc_class} holds {key}, which does not belong there (epcClass, "
    "quantity and uom only); ignored"
)
BAD_QUANTITY = N_(
    "{field}: quantity {quantity} of {epc_class} is not a non-negative number; read as unknown"
)
ENTRY_NOT_AN_OBJECT = N_("{field} holds {item}; ignored")
TYPED_ENTRY_WITHOUT_VALUE = N_("{field} entry of type {type} names no party or location; ignored")
UNTYPED_ENTRY_WITHOUT_VALUE = N_(
    "{field} entry with an empty type names no party or location; ignored"
)
ENTRY_EMPTY_TYPE = N_("{field} entry {value} has an empty type; read as 'unspecified'")
UNKNOWN_EVENT_TYPE = N_("unknown event type {type}; event skipped")
QUANTITY_EVENT = N_("QuantityEvent (deprecated since EPCIS 1.2) read as an ObjectEvent")
BAD_EVENT_TIME_SKIPPED = N_("eventTime: {problem}; event skipped")
BAD_EVENT_TIME = N_("eventTime: {problem}")
BAD_ACTION = N_("action {action} is not ADD, OBSERVE or DELETE; read as OBSERVE")
DECLARATION_NOT_AN_OBJECT = N_("errorDeclaration is not an object; ignored")
OBJECT_EVENT_EMPTY = N_(
    "ObjectEvent names no objects (no epcList or quantityList); nothing recorded"
)
AGGREGATION_WITHOUT_PARENT = N_("AggregationEvent without parentID; containment not recorded")
TRANSFORMATION_WITHOUT_OUTPUTS = N_("TransformationEvent without outputs; nothing produced")


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


class QuantityElement(NamedTuple):
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


_EMPTY: Mapping[str, Any] = MappingProxyType({})


class EpcisEvent(NamedTuple):
    """One EPCIS event after normalisation (an immutable named tuple).

    ``epcs`` and ``quantities`` hold an ObjectEvent's ``epcList``/``quantityList`` or an
    AggregationEvent's ``childEPCs``/``childQuantityList``; TransformationEvents use the
    ``input_*`` and ``output_*`` fields. ``sources`` and ``destinations`` are ``(type, id)``
    pairs with the type normalised (``owning_party``, ``location``...). ``position`` is the
    event's position in its file, used to keep file order among events at the same time.
    """

    type: str
    event_id: str
    event_time: datetime
    file: str
    position: int = 0
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
    ilmd: Mapping[str, Any] = _EMPTY
    extensions: Mapping[str, Any] = _EMPTY
    has_event_id: bool = True
    sensor_elements: tuple[Any, ...] = ()

    def content_key(self) -> tuple[object, ...]:
        """Return the event's whole content, for spotting the same event under another id.

        Everything the event says counts (ILMD, sensor data, certification, persistent
        disposition and extension fields included); only the eventID, the recordTime, the
        error declaration and where the event sits in its file do not. Two readings of one
        sensor at one time with different values are two events.
        """
        # type and time, then every field from ``action`` to ``biz_transactions``
        return (
            self.type,
            self.event_time,
            self[5:21],
            freeze(self.ilmd) if self.ilmd else None,
            freeze(self.extensions) if self.extensions else None,
            freeze(list(self.sensor_elements)) if self.sensor_elements else None,
        )

    def canonical_key(self) -> tuple[object, ...]:
        """Return :meth:`content_key` with every identifier in its spelling-independent form.

        An LGTIN URN and its GS1 Digital Link compare equal here, as they do in the EPCIS
        2.0 event hash; used to match an error declaration with the event it withdraws.
        """

        def ids(values: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(sorted(identifier_key(v) for v in values))

        def qty(values: tuple[QuantityElement, ...]) -> tuple[object, ...]:
            return tuple(
                sorted(
                    ((identifier_key(q.epc_class), q.quantity, q.unit) for q in values), key=repr
                )
            )

        def pairs(values: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
            return tuple(sorted((kind, identifier_key(v)) for kind, v in values))

        def one(value: str | None) -> str | None:
            return identifier_key(value) if value else None

        content = self.content_key()
        return (
            self.type,
            self.event_time,
            self.action,
            self.biz_step,
            self.disposition,
            one(self.read_point),
            one(self.biz_location),
            ids(self.epcs),
            qty(self.quantities),
            one(self.parent_id),
            ids(self.input_epcs),
            qty(self.input_quantities),
            ids(self.output_epcs),
            qty(self.output_quantities),
            self.transformation_id,
            pairs(self.sources),
            pairs(self.destinations),
            pairs(self.biz_transactions),
            content[3:],
        )

    def extension(self, name: str) -> Any:
        """Return an extension field by local name: ``productOwner`` finds ``gdst:productOwner``."""
        for key, value in self.extensions.items():
            local = key.rsplit("}", 1)[-1] if key.startswith("{") else key.rsplit(":", 1)[-1]
            if local == name:
                return value
        return None


def freeze(value: Any) -> Any:
    """Return a hashable, order-independent form of a JSON-like value, for comparison.

    Lists compare as multisets (EPCIS lists are unordered), a one-element list as its
    element (XML cannot tell them apart), numbers by value (``"26.0"`` equals ``26``).

    Examples
    --------
    >>> freeze({"b": [2, "1.0"], "a": "x"}) == freeze({"a": "x", "b": ["1", 2.0]})
    True

    """
    if isinstance(value, Mapping):
        return ("{}", tuple(sorted((str(k), freeze(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return freeze(value[0])
        return ("[]", tuple(sorted((freeze(v) for v in value), key=repr)))
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, Decimal)) or (
        isinstance(value, str) and value.strip()[:1] in "+-.0123456789" and value.strip()
    ):
        amount = parse_signed_decimal(value)
        if amount is not None:
            if not amount:
                return ("n", "0")
            try:
                return ("n", str(amount.normalize()))
            except DecimalException:  # beyond the context's exponent range: compare as is
                return ("n", str(amount))
    if isinstance(value, str):
        return value.strip()
    return repr(value)


Warn = Callable[[str | None, str], None]

# The standard fields of each event type (EPCIS 2.0, with 1.x's QuantityEvent); a plain
# (un-namespaced) key outside these is misplaced and reported. Extension fields carry a
# namespace (``ex:field`` in JSON-LD, ``{uri}field`` in XML) and are kept.
_COMMON_FIELDS = frozenset(
    {
        "type",
        "isA",
        "@context",
        "eventTime",
        "recordTime",
        "eventTimeZoneOffset",
        "eventID",
        "errorDeclaration",
        "certificationInfo",
        "readPoint",
        "bizLocation",
        "bizStep",
        "disposition",
        "persistentDisposition",
        "sourceList",
        "destinationList",
        "bizTransactionList",
        "sensorElementList",
    }
)
_TYPE_FIELDS: dict[str, frozenset[str]] = {
    "ObjectEvent": _COMMON_FIELDS | {"action", "epcList", "quantityList", "ilmd"},
    "AggregationEvent": _COMMON_FIELDS | {"action", "parentID", "childEPCs", "childQuantityList"},
    "AssociationEvent": _COMMON_FIELDS | {"action", "parentID", "childEPCs", "childQuantityList"},
    "TransactionEvent": _COMMON_FIELDS | {"action", "parentID", "epcList", "quantityList"},
    "TransformationEvent": _COMMON_FIELDS
    | {
        "inputEPCList",
        "inputQuantityList",
        "outputEPCList",
        "outputQuantityList",
        "transformationID",
        "ilmd",
    },
}
_QUANTITY_ELEMENT_FIELDS = frozenset({"epcClass", "quantity", "uom"})


def _article(word: str) -> str:
    return "an" if word[:1] in "AEIOU" else "a"


def _namespaced(key: str) -> bool:
    # ``{uri}name`` (XML), ``prefix:name`` (JSON-LD CURIE) or a JSON-LD keyword (``@id``)
    return key.startswith(("{", "@")) or ":" in key


def _misplaced(
    raw: Mapping[str, Any], kind: str, warn: Warn, event_id: str, reported: set[str] | None
) -> None:
    allowed = _TYPE_FIELDS.get(kind)
    if allowed is None:
        return
    # most events hold only standard fields: one set difference tells, without a loop
    for key in raw if raw.keys() - allowed else ():
        if isinstance(key, str) and key not in allowed and not _namespaced(key):
            if reported is not None:
                if f"{kind}.{key}" in reported:
                    continue
                reported.add(f"{kind}.{key}")
            warn(
                event_id,
                _(FIELD_MISPLACED).format(key=repr(key), article=_article(kind), kind=kind),
            )
    for place in ("readPoint", "bizLocation"):
        value = raw.get(place)
        if value is not None and (type(value) is dict or isinstance(value, Mapping)):
            for key in value:
                if isinstance(key, str) and key != "id" and not _namespaced(key):
                    warn(event_id, _(PLACE_FIELD_MISPLACED).format(place=place, key=repr(key)))


_KNOWN_KEYS = frozenset(
    {
        "type",
        "isA",
        "@context",
        "eventTime",
        "recordTime",
        "eventTimeZoneOffset",
        "eventID",
        "action",
        "bizStep",
        "disposition",
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
        warn(event_id, _(NOT_A_LIST).format(field=field_name, type=type(raw).__name__))
        return ()
    out: list[str] = []
    for item in raw:
        if isinstance(item, dict) and isinstance(item.get("epc"), str):
            item = item["epc"]
        if isinstance(item, str) and item.strip():
            if item.strip() not in out:
                out.append(item.strip())
        else:
            warn(event_id, _(NOT_AN_IDENTIFIER).format(field=field_name, item=repr(item)))
    return tuple(out)


def _quantity_list(
    raw: Any, field_name: str, warn: Warn, event_id: str
) -> tuple[QuantityElement, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        warn(event_id, _(NOT_A_LIST).format(field=field_name, type=type(raw).__name__))
        return ()
    out: list[QuantityElement] = []
    for item in raw:
        if type(item) is dict and len(item) == 3:  # the common well-formed element, fast
            epc_class, raw_qty, uom = item.get("epcClass"), item.get("quantity"), item.get("uom")
            if (
                type(epc_class) is str
                and type(raw_qty) is int
                and raw_qty >= 0
                and type(uom) is str
                and uom in UNIT_FROM_UNECE
                and epc_class.strip() == epc_class
                and epc_class
            ):
                out.append(QuantityElement(epc_class, Decimal(raw_qty), UNIT_FROM_UNECE[uom]))
                continue
        if not isinstance(item, dict):
            warn(event_id, _(NOT_A_QUANTITY_ELEMENT).format(field=field_name, item=repr(item)))
            continue
        epc_class = item.get("epcClass")
        if not isinstance(epc_class, str) or not epc_class.strip():
            warn(event_id, _(NO_EPC_CLASS).format(field=field_name, item=repr(dict(item))))
            continue
        for key in item:
            if (
                isinstance(key, str)
                and key not in _QUANTITY_ELEMENT_FIELDS
                and not _namespaced(key)
            ):
                warn(
                    event_id,
                    _(QUANTITY_FIELD_MISPLACED).format(
                        field=field_name, epc_class=epc_class.strip(), key=repr(key)
                    ),
                )
        raw_qty = item.get("quantity")
        amount = parse_decimal(raw_qty)
        if raw_qty not in (None, "") and amount is None:
            warn(
                event_id,
                _(BAD_QUANTITY).format(
                    field=field_name, quantity=repr(raw_qty), epc_class=epc_class
                ),
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
        warn(event_id, _(NOT_A_LIST).format(field=field_name, type=type(raw).__name__))
        return ()
    out: list[tuple[str, str]] = []
    for item in raw:
        if not isinstance(item, dict):
            warn(event_id, _(ENTRY_NOT_AN_OBJECT).format(field=field_name, item=repr(item)))
            continue
        kind = normalise_vocab(
            item.get("type") if isinstance(item.get("type"), str) else None, vocabulary
        )
        value = item.get(value_key)
        if not isinstance(value, str) or not value.strip():
            if kind:
                message = _(TYPED_ENTRY_WITHOUT_VALUE).format(field=field_name, type=repr(kind))
            else:
                message = _(UNTYPED_ENTRY_WITHOUT_VALUE).format(field=field_name)
            warn(event_id, message)
            continue
        if kind is None:
            warn(
                event_id,
                _(ENTRY_EMPTY_TYPE).format(field=field_name, value=repr(value.strip())),
            )
            kind = "unspecified"
        out.append((kind, value.strip()))
    return tuple(out)


def _with_units(elements: tuple[QuantityElement, ...], units: Any) -> tuple[QuantityElement, ...]:
    if not isinstance(units, dict) or not units:
        return elements
    return tuple(
        QuantityElement(e.epc_class, e.quantity, units[e.epc_class].strip())
        if e.quantity is not None
        and isinstance(units.get(e.epc_class), str)
        and units[e.epc_class].strip()
        else e
        for e in elements
    )


def _sensor_elements(raw: Any, warn: Warn, event_id: str) -> tuple[Any, ...]:
    if raw is None:
        return ()
    if isinstance(raw, Mapping):  # one element written without its list
        raw = [raw]
    if not isinstance(raw, list):
        warn(
            event_id,
            _(NOT_A_LIST).format(field="sensorElementList", type=type(raw).__name__),
        )
        return ()
    return tuple(raw)


def _location(raw: Any) -> str | None:
    if isinstance(raw, dict):
        raw = raw.get("id")
    if isinstance(raw, str) and raw.strip():
        return raw.strip()
    return None


def _text(raw: Any) -> str | None:
    if isinstance(raw, str):
        return raw.strip() or None
    return None


def normalise_event(
    raw: Mapping[str, Any],
    file: str,
    index: int,
    warn_in_file: Callable[[str | None, str], None],
    reported: set[str] | None = None,
) -> EpcisEvent | None:
    """Turn one raw event dict into an :class:`EpcisEvent`; ``None`` when it is unusable.

    ``warn_in_file(event_id, message)`` is called for every flaw (it raises
    :class:`~qualityflow.errors.InteropError` in strict mode). ``reported`` (one set per
    file) keeps a misplaced field from being reported again for every event of the file.
    """
    raw_id = raw.get("eventID")
    has_id = isinstance(raw_id, str) and bool(raw_id.strip())
    event_id = raw_id.strip() if isinstance(raw_id, str) and has_id else f"{file}#event-{index + 1}"
    label = event_id if has_id else f"#{index + 1} (no eventID)"
    kind = raw.get("type")
    if kind is None and "isA" in raw:  # the EPCIS 1.2 JSON draft binding named it ``isA``
        kind = raw.get("isA")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        warn_in_file(label, _(UNKNOWN_EVENT_TYPE).format(type=repr(kind)))
        return None
    _misplaced(raw, kind, warn_in_file, label, reported)
    if kind == "QuantityEvent":
        warn_in_file(label, _(QUANTITY_EVENT))
        raw = dict(raw)
        raw["quantityList"] = [{"epcClass": raw.get("epcClass"), "quantity": raw.get("quantity")}]
        kind = "ObjectEvent"
    when, problem = parse_time(raw.get("eventTime"), raw.get("eventTimeZoneOffset"))
    if when is None:
        warn_in_file(label, _(BAD_EVENT_TIME_SKIPPED).format(problem=problem))
        return None
    if problem:
        warn_in_file(label, _(BAD_EVENT_TIME).format(problem=problem))
    action = _text(raw.get("action"))
    if action is not None:
        action = action.upper()
    if kind != "TransformationEvent" and action not in ("ADD", "OBSERVE", "DELETE"):
        warn_in_file(label, _(BAD_ACTION).format(action=repr(raw.get("action"))))
        action = "OBSERVE"
    decl = raw.get("errorDeclaration")
    declaration = None
    if isinstance(decl, dict):
        decl_time, _problem = parse_time(decl.get("declarationTime"))
        corrective = decl.get("correctiveEventIDs") or []
        if isinstance(corrective, str):
            corrective = [corrective]
        declaration = ErrorDeclaration(
            decl_time,
            normalise_vocab(_text(decl.get("reason")), "er"),
            tuple(c.strip() for c in corrective if isinstance(c, str) and c.strip()),
        )
    elif decl is not None:
        warn_in_file(label, _(DECLARATION_NOT_AN_OBJECT))
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
    if isinstance(units, dict):
        # qualityflow's own exports name units that have no UN/ECE code here
        quantities = _with_units(quantities, units)
    get = raw.get
    input_epcs: tuple[str, ...] = ()
    output_epcs: tuple[str, ...] = ()
    input_quantities: tuple[QuantityElement, ...] = ()
    output_quantities: tuple[QuantityElement, ...] = ()
    if kind == "TransformationEvent":
        input_epcs = _identifier_list(get("inputEPCList"), "inputEPCList", warn_in_file, label)
        input_quantities = _with_units(
            _quantity_list(get("inputQuantityList"), "inputQuantityList", warn_in_file, label),
            units,
        )
        output_epcs = _identifier_list(get("outputEPCList"), "outputEPCList", warn_in_file, label)
        output_quantities = _with_units(
            _quantity_list(get("outputQuantityList"), "outputQuantityList", warn_in_file, label),
            units,
        )
    sources = get("sourceList")
    destinations = get("destinationList")
    transactions = get("bizTransactionList")
    event = EpcisEvent(
        kind,
        event_id,
        when,
        file,
        index,
        action,
        normalise_vocab(_text(get("bizStep")), "bizStep"),
        normalise_vocab(_text(get("disposition")), "disposition"),
        _location(get("readPoint")),
        _location(get("bizLocation")),
        epcs,
        quantities,
        _text(get("parentID")),
        input_epcs,
        input_quantities,
        output_epcs,
        output_quantities,
        _text(get("transformationID")),
        ()
        if sources is None
        else _pairs(sources, "sourceList", "source", "sdt", warn_in_file, label),
        ()
        if destinations is None
        else _pairs(destinations, "destinationList", "destination", "sdt", warn_in_file, label),
        ()
        if transactions is None
        else _pairs(
            transactions, "bizTransactionList", "bizTransaction", "btt", warn_in_file, label
        ),
        declaration,
        ilmd if isinstance(ilmd, dict) else _EMPTY,
        {k: v for k, v in raw.items() if k not in _KNOWN_KEYS}
        if raw.keys() - _KNOWN_KEYS
        else _EMPTY,
        has_id,
        _sensor_elements(get("sensorElementList"), warn_in_file, label),
    )
    if kind == "ObjectEvent" and not event.epcs and not event.quantities:
        warn_in_file(label, _(OBJECT_EVENT_EMPTY))
    if kind == "AggregationEvent" and event.parent_id is None and action != "OBSERVE":
        warn_in_file(label, _(AGGREGATION_WITHOUT_PARENT))
    if (
        kind == "TransformationEvent"
        and not (event.output_epcs or event.output_quantities)
        and not event.transformation_id
    ):
        warn_in_file(label, _(TRANSFORMATION_WITHOUT_OUTPUTS))
    return event
