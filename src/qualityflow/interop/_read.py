"""Reading EPCIS documents: JSON-LD and XML into one event-dict shape, or a clear refusal.

Both formats end up as EPCIS 2.0 JSON-LD-shaped dictionaries (``epcList`` as a list,
``quantityList`` as ``[{"epcClass", "quantity", "uom"}]``, ``sourceList`` as
``[{"type", "source"}]``...), so a single normaliser reads them. EPCIS 1.2 ``extension``
and ``baseExtension`` wrappers are flattened. XML is parsed with :mod:`defusedxml`: no DTDs,
no external entities, no entity expansion.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from qualityflow.errors import InteropError
from qualityflow.i18n import _

__all__ = ["Document", "read_source"]

EVENT_TYPES = frozenset(
    {
        "ObjectEvent",
        "AggregationEvent",
        "TransactionEvent",
        "TransformationEvent",
        "AssociationEvent",
        "QuantityEvent",
    }
)
_EPC_LISTS = frozenset({"epcList", "childEPCs", "inputEPCList", "outputEPCList"})
_QTY_LISTS = frozenset(
    {"quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"}
)
_SIMPLE = frozenset(
    {
        "eventTime",
        "recordTime",
        "eventTimeZoneOffset",
        "eventID",
        "action",
        "bizStep",
        "disposition",
        "parentID",
        "transformationID",
        "epcClass",
        "quantity",
    }
)


@dataclass
class Document:
    """One EPCIS document read from a source: its name, raw events and master data."""

    name: str
    events: list[Mapping[str, Any]]
    # vocabulary element id -> attribute id -> value (product names, locations, parties)
    master_data: dict[str, dict[str, str]] = field(default_factory=dict)
    # document-level flaws (no @context...), reported as warnings by the importer
    problems: list[str] = field(default_factory=list)


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _text(elem: Element) -> str:
    return (elem.text or "").strip()


def _attributes(elem: Element) -> dict[str, Any]:
    """Return an element's XML attributes by local name (namespaced ones as ``{uri}name``)."""
    out: dict[str, Any] = {}
    for name, value in elem.attrib.items():
        ns, local = _local(name)
        if ns == "http://www.w3.org/2001/XMLSchema-instance":
            continue
        out[f"{{{ns}}}{local}" if ns else local] = value.strip()
    return out


def _generic(elem: Element) -> Any:
    children = [c for c in elem if isinstance(c.tag, str)]
    attributes = _attributes(elem) if elem.attrib else {}
    if not children:
        if attributes:  # keep what attributes say: two sensor reports differ by them
            if _text(elem):
                attributes["#text"] = _text(elem)
            return attributes
        return _text(elem)
    out: dict[str, Any] = dict(attributes)
    for child in children:
        key = _key(child.tag)
        value = _generic(child)
        if key in out:
            if not isinstance(out[key], list):
                out[key] = [out[key]]
            out[key].append(value)
        else:
            out[key] = value
    return out


def _key(tag: str) -> str:
    ns, name = _local(tag)
    return f"{{{ns}}}{name}" if ns else name


_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def _quantity_element(elem: Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in elem:
        if not isinstance(child.tag, str):
            continue
        _, name = _local(child.tag)
        if name == "quantity" and child.get(_XSI_NIL) == "true":
            continue
        out[name] = _text(child)
    return out


def _absorb(elem: Element, into: dict[str, Any]) -> None:
    for child in elem:
        if not isinstance(child.tag, str):  # comments, processing instructions
            continue
        ns, name = _local(child.tag)
        if not ns and name in ("extension", "baseExtension"):
            _absorb(child, into)
        elif ns:
            into[f"{{{ns}}}{name}"] = _generic(child)
        elif name in _EPC_LISTS:
            into[name] = [_text(e) for e in child if isinstance(e.tag, str)]
        elif name in _QTY_LISTS:
            into[name] = [_quantity_element(e) for e in child if isinstance(e.tag, str)]
        elif name in ("sourceList", "destinationList"):
            kind = name[: -len("List")]
            into[name] = [
                {"type": e.get("type", ""), kind: _text(e)} for e in child if isinstance(e.tag, str)
            ]
        elif name == "bizTransactionList":
            into[name] = [
                {"type": e.get("type", ""), "bizTransaction": _text(e)}
                for e in child
                if isinstance(e.tag, str)
            ]
        elif name in ("readPoint", "bizLocation"):
            place: dict[str, Any] = {"id": ""}
            # keep any other child (a misplaced field, an extension) for the reader to judge
            extra: dict[str, Any] = {}
            _absorb_place(child, place, extra)
            into[name] = {**place, **extra}
        elif name == "sensorElementList":
            into[name] = [_sensor_element(e) for e in child if isinstance(e.tag, str)]
        elif name == "errorDeclaration":
            decl: dict[str, Any] = {}
            for part in child:
                if not isinstance(part.tag, str):
                    continue
                pns, pname = _local(part.tag)
                if pname == "correctiveEventIDs" and not pns:
                    decl[pname] = [_text(e) for e in part if isinstance(e.tag, str)]
                elif not pns:
                    decl[pname] = _text(part)
            into[name] = decl
        elif name in _SIMPLE:
            into[name] = _text(child)
        else:
            into[name] = _generic(child)


def _absorb_place(elem: Element, place: dict[str, Any], extra: dict[str, Any]) -> None:
    for part in elem:
        if not isinstance(part.tag, str):
            continue
        ns, pname = _local(part.tag)
        if not ns and pname == "id":
            place["id"] = _text(part)
        elif not ns and pname == "extension":
            _absorb_place(part, place, extra)
        else:
            extra[f"{{{ns}}}{pname}" if ns else pname] = _generic(part)


def _sensor_element(elem: Element) -> dict[str, Any]:
    """Read a ``<sensorElement>`` into the JSON-LD shape (metadata, reports as dicts)."""
    out: dict[str, Any] = {}
    reports: list[Any] = []
    for part in elem:
        if not isinstance(part.tag, str):
            continue
        ns, pname = _local(part.tag)
        if not ns and pname == "sensorReport":
            reports.append(_generic(part) or {})
        elif not ns and pname == "sensorMetadata":
            out[pname] = _generic(part) or {}
        elif not ns and pname == "extension":
            out.update(_sensor_element(part))
        else:
            out[f"{{{ns}}}{pname}" if ns else pname] = _generic(part)
    if reports:
        out["sensorReport"] = reports
    return out


def _xml_events(container: Element, out: list[Mapping[str, Any]]) -> None:
    for child in container:
        if not isinstance(child.tag, str):
            continue
        _, name = _local(child.tag)
        if name == "extension":
            _xml_events(child, out)
        elif name in EVENT_TYPES:
            event: dict[str, Any] = {"type": name}
            _absorb(child, event)
            out.append(event)


def _find(elem: Element, *path: str) -> Element | None:
    current: Element | None = elem
    for name in path:
        if current is None:
            return None
        current = next(
            (c for c in current if isinstance(c.tag, str) and _local(c.tag)[1] == name), None
        )
    return current


def _xml_master_data(root: Element) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for elem in root.iter():
        if isinstance(elem.tag, str) and _local(elem.tag)[1] == "VocabularyElement":
            ident = elem.get("id")
            if not ident:
                continue
            attrs = out.setdefault(ident, {})
            for attr in elem:
                if (
                    isinstance(attr.tag, str)
                    and _local(attr.tag)[1] == "attribute"
                    and attr.get("id")
                    and _text(attr)
                ):
                    attrs[attr.get("id", "")] = _text(attr)
    return out


def _read_xml(name: str, data: str | bytes) -> Document:
    try:
        # A bare <!DOCTYPE> is tolerated (GS1's own examples carry one); entity declarations
        # and external references are refused.
        root = SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InteropError(
            _(
                "{name}: refused: the XML declares entities or external references "
                "({error}); EPCIS documents never need them, remove them and retry"
            ).format(name=name, error=type(exc).__name__)
        ) from exc
    except SafeET.ParseError as exc:
        raise InteropError(
            _("{name}: not well-formed XML ({error})").format(name=name, error=exc)
        ) from exc
    root_name = _local(root.tag)[1]
    if root_name == "EPCISMasterDataDocument":
        raise InteropError(
            _(
                "{name}: refused: this is an EPCIS master-data document (products, locations, "
                "parties) without events; load the event documents that go with it"
            ).format(name=name)
        )
    if root_name not in ("EPCISDocument", "EPCISQueryDocument"):
        raise InteropError(
            _(
                "{name}: refused: an XML document whose root element is <{root}>, not an "
                "EPCIS document (<EPCISDocument> or <EPCISQueryDocument>)"
            ).format(name=name, root=root_name)
        )
    body = _find(root, "EPCISBody")
    if body is None:
        raise InteropError(
            _("{name}: refused: an EPCIS XML document without <EPCISBody>").format(name=name)
        )
    events: list[Mapping[str, Any]] = []
    event_list = _find(body, "EventList")
    if event_list is None:
        event_list = _find(body, "QueryResults", "resultsBody", "EventList")
    if event_list is not None:
        _xml_events(event_list, events)
    master = _xml_master_data(root)
    problems = [] if events else [_no_events(master)]
    return Document(name, events, master, problems)


def _no_events(master: Mapping[str, Any]) -> str:
    """Return the one warning for an EPCIS document without events, whatever its form."""
    if master:
        return _(
            "the document holds no events, only master data ({n} vocabulary element(s), kept "
            "for the other documents loaded with it); nothing added to the genealogy from it"
        ).format(n=len(master))
    return _("the document holds no events; nothing added to the genealogy from it")


def _json_master_data(doc: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    header = doc.get("epcisHeader")
    if not isinstance(header, Mapping):
        return out
    master = header.get("epcisMasterData")
    vocabularies = master.get("vocabularyList") if isinstance(master, Mapping) else None
    if not isinstance(vocabularies, list):
        return out
    for vocabulary in vocabularies:
        elements = (
            vocabulary.get("vocabularyElementList") if isinstance(vocabulary, Mapping) else None
        )
        for element in elements if isinstance(elements, list) else []:
            if not isinstance(element, Mapping) or not isinstance(element.get("id"), str):
                continue
            attrs = out.setdefault(element["id"], {})
            listed = element.get("attributes")
            for attr in listed if isinstance(listed, list) else []:
                if isinstance(attr, Mapping) and isinstance(attr.get("id"), str):
                    value = attr.get("attribute")
                    if isinstance(value, (str, int, float)):
                        attrs[attr["id"]] = str(value)
    return out


def _describe_json(doc: Any) -> str | None:
    """Say what a JSON value is when it is not an EPCIS event document."""
    if not isinstance(doc, Mapping):
        return _("a JSON {type}, not an EPCIS document object").format(type=type(doc).__name__)
    if "$schema" in doc or ("definitions" in doc and "properties" in doc):
        title = doc.get("title") or doc.get("$id") or ""
        if not str(title).strip():
            return _("a JSON Schema, not an EPCIS event document")
        return _("a JSON Schema {title}, not an EPCIS event document").format(
            title=str(title).rstrip()
        )
    kind = doc.get("type", doc.get("isA"))
    if kind == "EPCISMasterDataDocument":
        return _("an EPCIS master-data document (no events); load the event documents")
    if "@context" in doc and not any(
        k in doc for k in ("type", "epcisBody", "eventList", "eventTime")
    ):
        return _("a JSON-LD @context definition, not an EPCIS event document")
    return None


def _read_json(name: str, text: str | None, parsed: Any = None) -> Document:
    if parsed is None:
        try:
            parsed = json.loads(text or "")
        except (ValueError, RecursionError) as exc:
            raise InteropError(
                _("{name}: not valid JSON ({error})").format(name=name, error=exc)
            ) from exc
    what = _describe_json(parsed)
    if what:
        raise InteropError(_("{name}: refused: {what}").format(name=name, what=what))
    kind = parsed.get("type", parsed.get("isA"))  # ``isA``: the EPCIS 1.2 JSON draft binding
    if not isinstance(kind, str):
        kind = None
    if kind in EVENT_TYPES:
        return Document(name, [parsed])
    body = parsed.get("epcisBody")
    events: Any = None
    if isinstance(body, Mapping):
        events = body.get("eventList")
        if events is None:
            results = body.get("queryResults")
            results_body = results.get("resultsBody") if isinstance(results, Mapping) else None
            if isinstance(results_body, Mapping):
                events = results_body.get("eventList")
    if kind not in ("EPCISDocument", "EPCISQueryDocument") and not isinstance(body, Mapping):
        raise InteropError(
            _(
                "{name}: refused: a JSON object with type {kind!r} and no epcisBody, not an "
                "EPCIS document (type EPCISDocument or EPCISQueryDocument)"
            ).format(name=name, kind=kind)
        )
    master = _json_master_data(parsed)
    if not isinstance(body, Mapping):
        what = (
            _("{name}: refused: an EPCIS JSON document without epcisBody")
            if body is None
            else _("{name}: refused: an EPCIS JSON document whose epcisBody is not an object")
        )
        raise InteropError(what.format(name=name))
    if events is None:
        events = []
    if not isinstance(events, list):
        raise InteropError(
            _("{name}: epcisBody.eventList is a {type}, not a list").format(
                name=name, type=type(events).__name__
            )
        )
    problems = []
    if not events:
        problems.append(_no_events(master))
    if "@context" not in parsed:
        problems.append(_("the document has no @context; read as plain EPCIS 2.0 JSON"))
    # ``type(e) is dict`` first: an isinstance check against an ABC costs more per event
    kept = [e for e in events if type(e) is dict or isinstance(e, Mapping)]
    skipped = len(events) - len(kept)
    if skipped:
        problems.append(
            _("{n} eventList entr(y/ies) are not JSON objects; skipped").format(n=skipped)
        )
    return Document(name, kept, master, problems)


def read_source(source: object, index: int) -> Document:
    """Read one source (path, text, bytes or parsed JSON) into a :class:`Document`.

    Raises :class:`~qualityflow.errors.InteropError` saying what the source is when it is
    not an EPCIS event document.
    """
    if isinstance(source, Mapping):
        name = f"<document {index}>"
        return _read_json(name, None, source)
    if isinstance(source, bytes):
        name = f"<bytes {index}>"
        head = source.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        if head == b"<":
            return _read_xml(name, source)
        text = source.decode("utf-8-sig", errors="replace")
        return _read_json(name, text)
    if isinstance(source, str):
        stripped = source.lstrip("\ufeff \t\r\n")
        if stripped[:1] in ("<", "{", "["):
            name = f"<text {index}>"
            if stripped[:1] == "<":
                return _read_xml(name, stripped)
            return _read_json(name, stripped)
        if "\n" in source or "\0" in source or len(source) > 4096:
            raise InteropError(
                _(
                    "{name}: refused: neither XML nor JSON (starts with {start!r}); EPCIS "
                    "documents are JSON-LD or XML"
                ).format(name=f"<text {index}>", start=source[:20])
            )
        source = Path(source)
    if isinstance(source, Path):
        name = str(source)
        try:
            raw = source.read_bytes()
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise InteropError(
                _("{name}: cannot read the file ({reason})").format(name=name, reason=reason)
            ) from exc
        head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        if head == b"<":
            return _read_xml(name, raw)
        if head in (b"{", b"["):
            return _read_json(name, raw.decode("utf-8-sig", errors="replace"))
        raise InteropError(
            _(
                "{name}: refused: neither XML nor JSON (starts with {start!r}); EPCIS "
                "documents are JSON-LD or XML"
            ).format(name=name, start=raw[:20])
        )
    raise InteropError(
        _(
            "source {index}: cannot read a {type}; give a path, text, bytes or a parsed JSON dict"
        ).format(index=index, type=type(source).__name__)
    )
