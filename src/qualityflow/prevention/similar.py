"""Learn from one case, fix similar ones: rank past cases, spread a lesson.

:func:`similar_incidents` ranks past incidents *and* complaints against a new incident (or
complaint) by what they share, each with a weight:

=========================  ======  ==============================================
shared                      weight  from
=========================  ======  ==============================================
root-cause category (6M)    3       ``root_cause.category``; a complaint's ``category``
                                    when it names one of the six Ms
product                     2       ``product``, or the products of its batches
supplier                    2       suppliers of its batches and, with a genealogy,
                                    of every lot upstream of them
line                        1.5     lines of its batches
defect words                0-3     Jaccard overlap of the words of title,
                                    description and root cause (stopwords removed)
=========================  ======  ==============================================

:func:`spread_lesson` turns a lesson into preventive actions for other lines and products.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Literal

from qualityflow.models import (
    ActionKind,
    Batch,
    Complaint,
    CorrectiveAction,
    Incident,
    QFModel,
    SixM,
)
from qualityflow.prevention._protocols import (
    BatchLookup,
    TracesBackward,
    batch_index,
    upstream_ids,
)

__all__ = ["Similar", "defect_words", "similar_incidents", "spread_lesson"]

Case = Incident | Complaint

WEIGHT_CATEGORY = 3.0
WEIGHT_PRODUCT = 2.0
WEIGHT_SUPPLIER = 2.0
WEIGHT_LINE = 1.5
WEIGHT_WORDS = 3.0

_STOPWORD_TEXT = """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers him his how i if in into is
    it its itself just me more most my no nor not now of off on once only or other our
    out over own same she should so some such than that the their them then there these
    they this those through to too under until up very was we were what when where which
    while who whom why will with would you your found customer customers product products
    batch batches lot lots complaint complaints incident incidents reported report said
    one two three per pack packs g kg
    """
_STOPWORDS = frozenset(_STOPWORD_TEXT.split(None))

_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


class Similar(QFModel):
    """A past case ranked by :func:`similar_incidents`, with why it is similar."""

    id: str
    kind: Literal["incident", "complaint"]
    score: float
    reasons: list[str]


def _stem(word: str) -> str:
    # Light plural folding, so "chips" meets "chip" and "biscuits" meets "biscuit".
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def defect_words(text: str) -> set[str]:
    """Return the meaningful words of ``text``: lower-cased, stopwords dropped, plurals folded.

    Examples
    --------
    >>> sorted(defect_words("Metal chips found in butter biscuits"))
    ['biscuit', 'butter', 'chip', 'metal']

    """
    return {
        _stem(w) for w in (m.group(0).lower() for m in _WORD.finditer(text)) if w not in _STOPWORDS
    }


def _text(case: Case) -> str:
    if isinstance(case, Incident):
        parts = [case.title, case.description]
        if case.root_cause is not None:
            parts += [case.root_cause.problem, case.root_cause.root_cause]
        return " ".join(parts)
    return " ".join([case.description, case.category or ""])


def _category(case: Case) -> SixM | None:
    if isinstance(case, Incident):
        return case.root_cause.category if case.root_cause is not None else None
    try:
        return SixM((case.category or "").strip().lower())
    except ValueError:
        return None


class _Profile:
    __slots__ = ("category", "lines", "products", "suppliers", "words")

    def __init__(
        self, case: Case, batches: dict[str, Batch], genealogy: TracesBackward | None
    ) -> None:
        own = [batches[b] for b in case.batch_ids if b in batches]
        upstream = [batches[b] for b in upstream_ids(case.batch_ids, genealogy) if b in batches]
        self.category = _category(case)
        self.products = {p.strip().lower() for p in [case.product] if p} or {
            b.product.strip().lower() for b in own
        }
        self.suppliers = {b.supplier_id for b in upstream if b.supplier_id}
        self.lines = {b.line for b in own if b.line}
        self.words = defect_words(_text(case))


def _kind(case: Case) -> Literal["incident", "complaint"]:
    return "incident" if isinstance(case, Incident) else "complaint"


def _when(case: Case) -> datetime:
    return case.reported_at if isinstance(case, Incident) else case.received_at


def similar_incidents(
    incident: Case,
    candidates: Iterable[Case],
    top: int = 5,
    *,
    batches: BatchLookup | None = None,
    genealogy: TracesBackward | None = None,
) -> list[Similar]:
    """Rank past incidents and complaints by what they share with ``incident``.

    Parameters
    ----------
    incident
        The new case (an incident, or a complaint).
    candidates
        Past incidents and complaints; the case itself and cases sharing nothing are left
        out.
    top
        How many to return (the best first; ties go to the more recent case).
    batches
        The plant's batches (mapping or iterable), to know each case's products, lines and
        suppliers; defaults to the genealogy's batches.
    genealogy
        A :class:`~qualityflow.Genealogy`: suppliers of upstream lots count too.

    Examples
    --------
    >>> import qualityflow as qf
    >>> new = qf.Incident(id="INC-9", title="Metal chip in butter biscuits",
    ...                   severity="critical", product="butter biscuits")
    >>> old = qf.Incident(id="INC-2", title="Metal fragment in butter biscuits",
    ...                   severity="major", product="butter biscuits")
    >>> other = qf.Incident(id="INC-3", title="Torn film on tissue rolls", severity="minor")
    >>> [(s.id, s.reasons[0]) for s in similar_incidents(new, [old, other])]
    [('INC-2', 'same product: butter biscuits')]

    """
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    index = batch_index(batches, genealogy)
    subject = _Profile(incident, index, genealogy)
    ranked: list[tuple[float, datetime, Similar]] = []
    for case in candidates:
        if case.id == incident.id and _kind(case) == _kind(incident):
            continue
        other = _Profile(case, index, genealogy)
        score = 0.0
        reasons: list[str] = []
        if subject.category is not None and subject.category == other.category:
            score += WEIGHT_CATEGORY
            reasons.append(f"same root-cause category: {subject.category.value}")
        if shared := sorted(subject.products & other.products):
            score += WEIGHT_PRODUCT
            reasons.append("same product: " + ", ".join(shared))
        if shared := sorted(subject.suppliers & other.suppliers):
            score += WEIGHT_SUPPLIER
            reasons.append("same supplier: " + ", ".join(shared))
        if shared := sorted(subject.lines & other.lines):
            score += WEIGHT_LINE
            reasons.append("same line: " + ", ".join(shared))
        common = subject.words & other.words
        if common:
            overlap = len(common) / len(subject.words | other.words)
            score += WEIGHT_WORDS * overlap
            reasons.append("shared words: " + ", ".join(sorted(common)))
        if score > 0:
            item = Similar(id=case.id, kind=_kind(case), score=round(score, 3), reasons=reasons)
            ranked.append((score, _when(case), item))
    ranked.sort(key=lambda r: (-r[0], -r[1].timestamp(), r[2].id))
    return [r[2] for r in ranked[:top]]


def spread_lesson(
    incident: Incident,
    lesson: str,
    targets: Sequence[str],
    *,
    owner: str,
    department: str,
    due: date,
) -> list[CorrectiveAction]:
    """Turn ``lesson`` into one preventive action per target line or product.

    The actions are numbered after the incident's existing ones (``INC-7-PA-1``...) and
    returned, not added: append them to ``incident.actions`` (the service does it in its
    transaction).

    Raises
    ------
    ValueError
        When the lesson, owner or department is empty, or no target is given.

    Examples
    --------
    >>> from datetime import date
    >>> import qualityflow as qf
    >>> inc = qf.Incident(id="INC-7", title="Metal chip", severity="critical")
    >>> actions = spread_lesson(inc, "Check the sieve mesh at every shift start",
    ...     ["line L1", "line L3"], owner="Maintenance lead", department="maintenance",
    ...     due=date(2026, 4, 30))
    >>> [(a.id, a.kind.value) for a in actions]
    [('INC-7-PA-1', 'preventive'), ('INC-7-PA-2', 'preventive')]

    """
    problems = [
        f"{name} is empty"
        for name, value in (("lesson", lesson), ("owner", owner), ("department", department))
        if not value.strip()
    ]
    cleaned = [t.strip() for t in targets if t.strip()]
    if not cleaned:
        problems.append("no target line or product given")
    if problems:
        raise ValueError(f"cannot spread the lesson of {incident.id}: " + "; ".join(problems))
    prefix = f"{incident.id}-PA-"
    taken = [
        int(a.id[len(prefix) :])
        for a in incident.actions
        if a.id.startswith(prefix) and a.id[len(prefix) :].isdigit()
    ]
    start = max(taken, default=0) + 1
    return [
        CorrectiveAction(
            id=f"{prefix}{start + n}",
            description=f"Lesson from {incident.id} ({incident.title}) for {target}: {lesson}",
            owner=owner,
            department=department,
            due=due,
            kind=ActionKind.PREVENTIVE,
        )
        for n, target in enumerate(dict.fromkeys(cleaned))
    ]
