"""EPCIS vocabulary, identifiers, units and times: the small rules every reader shares.

GS1 lets the same value be written several ways (a bare CBV word, a ``urn:epcglobal:cbv``
URN, a ``https://ref.gs1.org/cbv`` web URI, a ``cbv:`` CURIE) and the same lot be named by
an EPC URN or a GS1 Digital Link. These helpers turn every spelling into one, so that events
from different partners line up.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from urllib.parse import unquote

__all__ = [
    "CBV_TERMS",
    "UNIT_FROM_UNECE",
    "UNIT_TO_UNECE",
    "identifier_key",
    "is_uri",
    "normalise_vocab",
    "parse_decimal",
    "parse_signed_decimal",
    "parse_time",
    "product_class",
]

# Web-vocabulary and URN prefixes per CBV vocabulary; the bare word follows the prefix.
_VOCAB_PREFIXES: dict[str, tuple[str, ...]] = {
    "bizStep": (
        "urn:epcglobal:cbv:bizstep:",
        "https://ref.gs1.org/cbv/BizStep-",
        "http://ref.gs1.org/cbv/BizStep-",
        "https://gs1.org/voc/BizStep-",
        "cbv:BizStep-",
        "gs1:BizStep-",
    ),
    "disposition": (
        "urn:epcglobal:cbv:disp:",
        "https://ref.gs1.org/cbv/Disp-",
        "http://ref.gs1.org/cbv/Disp-",
        "https://gs1.org/voc/Disp-",
        "cbv:Disp-",
        "gs1:Disp-",
    ),
    "sdt": (
        "urn:epcglobal:cbv:sdt:",
        "https://ref.gs1.org/cbv/SDT-",
        "http://ref.gs1.org/cbv/SDT-",
        "https://gs1.org/voc/SDT-",
        "cbv:SDT-",
        "gs1:SDT-",
    ),
    "btt": (
        "urn:epcglobal:cbv:btt:",
        "https://ref.gs1.org/cbv/BTT-",
        "http://ref.gs1.org/cbv/BTT-",
        "https://gs1.org/voc/BTT-",
        "cbv:BTT-",
        "gs1:BTT-",
    ),
    "er": (
        "urn:epcglobal:cbv:er:",
        "https://ref.gs1.org/cbv/ER-",
        "http://ref.gs1.org/cbv/ER-",
        "https://gs1.org/voc/ER-",
        "cbv:ER-",
        "gs1:ER-",
    ),
}


# Pre-CBV spellings (EPCIS 1.0 and the EPCglobal FMCG and HLS drafts that came before the
# Core Business Vocabulary): ``urn:epcglobal:fmcg:bizstep:receiving``,
# ``urn:epcglobal:hls:disp:active``, ``urn:epcglobal:epcis:bizstep:fmcg:shipped``...
_PRE_CBV_PREFIXES: dict[str, tuple[str, ...]] = {
    "bizStep": (
        "urn:epcglobal:fmcg:bizstep:",
        "urn:epcglobal:hls:bizstep:",
        "urn:epcglobal:epcis:bizstep:fmcg:",
        "urn:epcglobal:epcis:bizstep:hls:",
        "urn:epcglobal:epcis:bizstep:",
    ),
    "disposition": (
        "urn:epcglobal:fmcg:disp:",
        "urn:epcglobal:hls:disp:",
        "urn:epcglobal:epcis:disp:fmcg:",
        "urn:epcglobal:epcis:disp:hls:",
        "urn:epcglobal:epcis:disp:",
        "urn:epcglobal:hls:",  # ``urn:epcglobal:hls:active``
    ),
    "sdt": ("urn:epcglobal:fmcg:sdt:", "urn:epcglobal:hls:sdt:"),
    "btt": ("urn:epcglobal:fmcg:btt:", "urn:epcglobal:hls:btt:"),
    "er": (),
}

# The CBV terms of each vocabulary (CBV 1.2 and 2.0), so that case variants and pre-CBV
# words can be recognised; anything else is an extension value and is kept as written.
CBV_TERMS: dict[str, frozenset[str]] = {
    "bizStep": frozenset(
        {
            "accepting",
            "arriving",
            "assembling",
            "collecting",
            "commissioning",
            "consigning",
            "creating_class_instance",
            "cycle_counting",
            "decommissioning",
            "departing",
            "destroying",
            "disassembling",
            "dispensing",
            "encoding",
            "entering_exiting",
            "holding",
            "inspecting",
            "installing",
            "killing",
            "loading",
            "other",
            "packing",
            "picking",
            "receiving",
            "removing",
            "repackaging",
            "repairing",
            "replacing",
            "reserving",
            "retail_selling",
            "sampling",
            "sensor_reporting",
            "shipping",
            "staging_outbound",
            "stock_taking",
            "stocking",
            "storing",
            "transporting",
            "unloading",
            "unpacking",
            "void_shipping",
        }
    ),
    "disposition": frozenset(
        {
            "active",
            "available",
            "completeness_inferred",
            "completeness_verified",
            "conformant",
            "container_closed",
            "container_open",
            "damaged",
            "destroyed",
            "dispensed",
            "disposed",
            "encoded",
            "expired",
            "in_progress",
            "in_transit",
            "inactive",
            "mismatch_instance",
            "mismatch_class",
            "mismatch_quantity",
            "needs_replacement",
            "no_pedigree_match",
            "non_conformant",
            "non_sellable_other",
            "partially_dispensed",
            "recalled",
            "reserved",
            "retail_sold",
            "returned",
            "sellable_accessible",
            "sellable_not_accessible",
            "stolen",
            "unavailable",
            "unknown",
        }
    ),
    "sdt": frozenset({"owning_party", "possessing_party", "location"}),
    "btt": frozenset(
        {
            "bol",
            "cert",
            "desadv",
            "inv",
            "pedigree",
            "po",
            "poc",
            "prodorder",
            "recadv",
            "rma",
            "testprd",
            "testres",
            "upevt",
        }
    ),
    "er": frozenset({"did_not_occur", "incorrect_data"}),
}

# Words of the pre-CBV drafts that the CBV renamed.
_PRE_CBV_WORDS: dict[str, dict[str, str]] = {
    "bizStep": {
        "shipped": "shipping",
        "ship": "shipping",
        "received": "receiving",
        "receive": "receiving",
        "packed": "packing",
        "picked": "picking",
        "loaded": "loading",
        "unloaded": "unloading",
        "commissioned": "commissioning",
        "decommissioned": "decommissioning",
        "destroyed": "destroying",
        "casetopalletaggregation": "packing",
        "pos": "retail_selling",
        "physinv": "cycle_counting",
    },
    "disposition": {"sold": "retail_sold"},
    "sdt": {},
    "btt": {},
    "er": {},
}


@lru_cache(maxsize=4096)
def normalise_vocab(value: str | None, vocabulary: str) -> str | None:
    """Return the bare CBV word for any standard spelling; keep extension values as given.

    ``vocabulary`` is one of ``bizStep``, ``disposition``, ``sdt`` (source/destination
    type), ``btt`` (business transaction type) or ``er`` (error reason). An empty value, or
    a standard prefix with nothing after it, gives ``None``. The pre-CBV forms of EPCIS
    1.0 (``urn:epcglobal:fmcg:bizstep:...``, ``urn:epcglobal:hls:...``,
    ``urn:epcglobal:epcis:bizstep:fmcg:...``) and bare words in another case give the CBV
    term when they name one; other values are kept as written.

    Examples
    --------
    >>> normalise_vocab("https://ref.gs1.org/cbv/BizStep-shipping", "bizStep")
    'shipping'
    >>> normalise_vocab("urn:epcglobal:fmcg:bizstep:receiving", "bizStep")
    'receiving'
    >>> normalise_vocab("urn:epcglobal:epcis:bizstep:fmcg:shipped", "bizStep")
    'shipping'
    >>> normalise_vocab("urn:epcglobal:hls:disp:active", "disposition")
    'active'
    >>> normalise_vocab("Receiving", "bizStep")
    'receiving'
    >>> normalise_vocab("urn:gdst:bizStep:farmHarvest", "bizStep")
    'urn:gdst:bizStep:farmHarvest'

    """
    if value is None:
        return None
    text = value.strip()
    lower = text.lower()
    for prefix in _VOCAB_PREFIXES[vocabulary]:
        if lower[: len(prefix)] == prefix.lower():
            word = text[len(prefix) :].strip()
            return word or None
    terms = CBV_TERMS[vocabulary]
    for prefix in _PRE_CBV_PREFIXES[vocabulary]:
        if lower.startswith(prefix):
            word = lower[len(prefix) :].strip()
            if not word:
                return None
            word = _PRE_CBV_WORDS[vocabulary].get(word, word)
            return word if word in terms else text
    if text and ":" not in text and text not in terms:
        word = lower.replace("-", "_").replace(" ", "_")
        if word in terms:
            return word
        if word in _PRE_CBV_WORDS[vocabulary]:
            return _PRE_CBV_WORDS[vocabulary][word]
    return text or None


# UN/ECE Recommendation 20 codes used by EPCIS ``uom`` and the plant-friendly units the
# rest of qualityflow writes; both directions so that an export reads back unchanged.
UNIT_FROM_UNECE: dict[str, str] = {
    "KGM": "kg",
    "GRM": "g",
    "TNE": "t",
    "LBR": "lb",
    "ONZ": "oz",
    "LTR": "l",
    "MLT": "ml",
    "MTR": "m",
    "MTK": "m2",
    "H87": "pc",
    "EA": "EA",
    "PK": "pack",
    "CT": "carton",
    "BX": "box",
    "BG": "bag",
    "BO": "bottle",
    "RO": "roll",
    "PR": "pair",
}
UNIT_TO_UNECE: dict[str, str] = {v: k for k, v in UNIT_FROM_UNECE.items()}

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")


def is_uri(value: str) -> bool:
    """Tell whether ``value`` looks like an absolute URI (a scheme, a colon, no blanks)."""
    return bool(_URI.match(value))


def _check_digit(digits: str) -> str:
    odd = sum(map(int, digits[-1::-2]))  # rightmost digit and every second one: weight 3
    even = sum(map(int, digits[-2::-2]))
    return str((10 - (3 * odd + even) % 10) % 10)


def _gtin_from_epc(company: str, item: str) -> str | None:
    if not (company.isdigit() and item.isdigit()) or len(company) + len(item) != 13:
        return None
    body = item[0] + company + item[1:]
    return body + _check_digit(body)


_DL = re.compile(r"^https?://[^/]+(?:/[^?#]*)?/(01|8006|00|414|417)/([^/?#]+)(?:/([^?#]*))?")


def identifier_key(identifier: str) -> str:
    """Return a spelling-independent key for a GS1 identifier, or the identifier itself.

    ``urn:epc:class:lgtin:0614141.077777.987`` and the Digital Link
    ``https://id.gs1.org/01/00614141777778/10/987`` name the same lot and get the same key.
    Identifiers outside the GS1 schemes (a partner's own lot URIs) are their own key.

    Examples
    --------
    >>> identifier_key("urn:epc:class:lgtin:0614141.077777.987")
    'gs1:01/00614141777778/10/987'
    >>> identifier_key("https://id.gs1.org/01/00614141777778/10/987")
    'gs1:01/00614141777778/10/987'

    """
    text = identifier.strip()
    head = text[:8].lower()
    if head != "urn:epc:" and not head.startswith("http"):
        return text  # not a GS1 key: a partner's own URI is its own key
    lower = text.lower()
    for scheme, ai_tail in (("urn:epc:class:lgtin:", "10"), ("urn:epc:id:sgtin:", "21")):
        if lower.startswith(scheme):
            parts = text[len(scheme) :].split(".", 2)
            if len(parts) == 3:
                gtin = _gtin_from_epc(parts[0], parts[1])
                if gtin is not None:
                    return f"gs1:01/{gtin}/{ai_tail}/{unquote(parts[2])}"
            return text
    if lower.startswith("urn:epc:id:sscc:"):
        parts = text[len("urn:epc:id:sscc:") :].split(".")
        if len(parts) == 2 and all(p.isdigit() for p in parts) and sum(map(len, parts)) == 17:
            body = parts[1][0] + parts[0] + parts[1][1:]
            return f"gs1:00/{body}{_check_digit(body)}"
        return text
    if lower.startswith("urn:epc:idpat:sgtin:"):
        parts = text[len("urn:epc:idpat:sgtin:") :].split(".")
        if len(parts) == 3 and parts[2] == "*":
            gtin = _gtin_from_epc(parts[0], parts[1])
            if gtin is not None:
                return f"gs1:01/{gtin}"
        return text
    match = _DL.match(text)
    if match:
        ai, value, rest = match.group(1), unquote(match.group(2)), match.group(3)
        if ai == "01" and value.isdigit():
            value = value.zfill(14)
        key = f"gs1:{ai}/{value}"
        if rest:
            segments = [unquote(s) for s in rest.split("/")]
            if len(segments) >= 2 and segments[0] in ("10", "21"):
                key += f"/{segments[0]}/{segments[1]}"
        return key
    return text


def product_class(identifier: str) -> str | None:
    """Return the product (class) a lot or instance identifier belongs to, when it says so.

    Examples
    --------
    >>> product_class("urn:epc:class:lgtin:4012345.012345.998877")
    'urn:epc:idpat:sgtin:4012345.012345.*'
    >>> product_class("urn:gdst:example.org:product:lot:class:processor.2u.v1-0122-2022")
    'urn:gdst:example.org:product:class:processor.2u'

    """
    lower = identifier.lower()
    for scheme in ("urn:epc:class:lgtin:", "urn:epc:id:sgtin:"):
        if lower.startswith(scheme):
            parts = identifier[len(scheme) :].split(".", 2)
            if len(parts) == 3:
                return f"urn:epc:idpat:sgtin:{parts[0]}.{parts[1]}.*"
            return None
    if ":product:lot:class:" in identifier:
        head, tail = identifier.split(":product:lot:class:", 1)
        if "." in tail:
            return f"{head}:product:class:{tail.rsplit('.', 1)[0]}"
        return None
    match = _DL.match(identifier)
    if match and match.group(1) == "01":
        return f"https://id.gs1.org/01/{match.group(2)}"
    return None


def parse_decimal(value: object) -> Decimal | None:
    """Read an EPCIS quantity; ``None`` when it is not a finite, non-negative number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, Decimal)):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount < 0:
        return None
    return amount


def parse_signed_decimal(value: object) -> Decimal | None:
    """Read any finite number (sensor values may be negative); ``None`` when not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, Decimal, str)):
        try:
            amount = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            return None
        return amount if amount.is_finite() else None
    return None


_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?$"
)
_JS_DATE = re.compile(
    r"^[A-Za-z]{3} ([A-Za-z]{3}) (\d{1,2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT([+-]\d{4})"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}


def _offset(text: str) -> timezone | None:
    if text in ("Z", "z"):
        return timezone.utc
    match = re.match(r"^([+-])(\d{2}):?(\d{2})$", text)
    if not match:
        return None
    hours, minutes = int(match.group(2)), int(match.group(3))
    if hours > 23 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if match.group(1) == "-" else delta)


def parse_time(value: object, zone_offset: object = None) -> tuple[datetime | None, str | None]:
    """Read an EPCIS time; return ``(time, problem)``.

    A well-formed ISO 8601 time gives ``(time, None)``. A time recoverable with a guess (no
    timezone, so ``eventTimeZoneOffset`` or UTC is used; a JavaScript ``Date.toString()``
    form) gives the time and a sentence saying what was assumed. An unreadable one gives
    ``(None, problem)``.

    Examples
    --------
    >>> parse_time("2022-01-28T08:00:00.0000000+00:00")[0].isoformat()
    '2022-01-28T08:00:00+00:00'

    """
    if not isinstance(value, str) or not value.strip():
        return None, f"missing or empty time {value!r}"
    text = value.strip()
    if (
        len(text) >= 20
        and text[4] == "-"
        and text[7] == "-"
        and text[10] in "Tt"
        and text[13] == ":"
        and text[-1] in "Zz0123456789"
    ):
        try:  # fast path for the common, well-formed extended-format case
            quick = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if quick.tzinfo is not None:
                return quick, None
    match = _ISO.match(text)
    if match:
        year, month, day, hour, minute = (int(match.group(i)) for i in range(1, 6))
        second = int(match.group(6) or 0)
        micro = int((match.group(7) or "0")[:6].ljust(6, "0"))
        problem = None
        if match.group(8):
            tz = _offset(match.group(8))
            if tz is None:
                return None, f"time {text!r} has an impossible timezone offset"
        else:
            tz = _offset(zone_offset.strip()) if isinstance(zone_offset, str) else None
            if tz is None:
                tz = timezone.utc
            problem = f"time {text!r} has no timezone; read as UTC{tz.tzname(None)[3:] or ''}"
        try:
            return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz), problem
        except ValueError:
            return None, f"time {text!r} is not a real date"
    match = _JS_DATE.match(text)
    if match and match.group(1).lower() in _MONTHS:
        tz = _offset(match.group(7))
        try:
            when = datetime(
                int(match.group(3)),
                _MONTHS[match.group(1).lower()],
                int(match.group(2)),
                int(match.group(4)),
                int(match.group(5)),
                int(match.group(6)),
                tzinfo=tz or timezone.utc,
            )
        except ValueError:
            return None, f"time {text!r} is not a real date"
        return when, (
            f"time {text!r} is in JavaScript Date.toString() form, not ISO 8601; "
            f"read as {when.isoformat()}"
        )
    return None, f"time {text!r} is not an ISO 8601 date-time (e.g. 2022-01-28T08:00:00Z)"
