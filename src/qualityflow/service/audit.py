"""``qms.audit``: verify every stored record against the database-wide ledger.

Each committed write of an entity and each genealogy edge appends a chained entry to the
storage's ledger in the same transaction (see :mod:`qualityflow.storage.base`). The head of
that chain (:meth:`Audit.head`) travels with every notification and is printed on the 8D
report, so it is also kept outside the database. :meth:`Audit.verify` walks every row and
the whole ledger and reports, each naming the entity, the record and what is wrong:

* a row whose stored JSON differs from what was committed (a field edited in the
  database), or whose version differs from its last ledger entry;
* a row deleted (the ledger has it, the table does not) or inserted without qualityflow
  (a row with no ledger entry);
* a ledger entry edited, removed or reordered (the chain breaks), or cut off at the end
  (the head record is ahead of the ledger);
* history, decision and amendment records edited, removed, reordered, truncated or
  transplanted, illegal transitions, a status that is not the last record's destination,
  a recorded state digest the fields no longer match
  (:func:`qualityflow.lifecycle.audit.history_problems`);
* for each head in ``known_heads`` that is no longer in the chain: the ledger was
  rewritten since that head was published.

Rows stored before the ledger existed (a database written by qualityflow 0.1) have no
entries; they are listed in :attr:`AuditReport.before_ledger`, not reported as tampering,
as long as they match the ledger's start marker (how many rows, and a digest of their keys,
kept in ``qf_meta`` and in the ledger's first entry).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from qualityflow.i18n import _
from qualityflow.lifecycle.audit import AuditProblem, history_problems
from qualityflow.models.evidence import Evidence
from qualityflow.people.signatures import verify as signature_problems
from qualityflow.storage.base import (
    ENTITY_KINDS,
    LEDGER_START,
    AuditSnapshot,
    LedgerEntry,
    LedgerStorage,
    edge_key,
    preledger_digest,
    row_digest,
    status_of,
)

if TYPE_CHECKING:
    from qualityflow.service.facade import QualityFlow

__all__ = ["Audit", "AuditProblem", "AuditReport", "evidence_in"]

_CHAINED = ("history", "decisions", "amendments")


@dataclass(frozen=True)
class AuditReport:
    """What :meth:`Audit.verify` found.

    ``ok`` is true when ``problems`` is empty. ``entities`` counts the entity rows walked,
    ``records`` their history, decision and amendment records, ``edges`` the genealogy
    edges and ``ledger`` the ledger entries; ``head`` is the ledger head the audit saw
    (publish it, and pass it back later as a known head). ``before_ledger`` lists the rows
    (``kind/id``) stored before the ledger started, which it cannot vouch for; ``notes``
    says anything else worth knowing.
    """

    url: str
    problems: list[AuditProblem] = field(default_factory=list)
    entities: int = 0
    records: int = 0
    edges: int = 0
    ledger: int = 0
    head: str = ""
    before_ledger: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems

    def __str__(self) -> str:
        """Say the report in the active locale (the findings keep the language they had)."""
        counts = _(
            "{entities} entities ({records} records), {edges} edges, {ledger} ledger entries"
        ).format(
            entities=f"{self.entities:,}",
            records=f"{self.records:,}",
            edges=f"{self.edges:,}",
            ledger=f"{self.ledger:,}",
        )
        verdict = _("OK") if self.ok else _("{n} problem(s) found").format(n=len(self.problems))
        lines = [
            _("Audit of {url}: {verdict}; {counts}").format(
                url=self.url, verdict=verdict, counts=counts
            )
        ]
        lines.extend(f"  - {problem}" for problem in self.problems)
        if self.before_ledger:
            shown = ", ".join(self.before_ledger[:10])
            extra = len(self.before_ledger) - 10
            more = _(" and {n} more").format(n=extra) if extra > 0 else ""
            lines.append(
                _("Written before the ledger started (not covered by it): {rows}").format(
                    rows=shown + more
                )
            )
        lines.extend(_("Note: {note}").format(note=note) for note in self.notes)
        lines.append(_("Audit head: {head}").format(head=self.head or _("(empty ledger)")))
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """Return the report as plain JSON data (what ``audit verify --json`` prints)."""
        return {
            "url": self.url,
            "ok": self.ok,
            "problems": [
                {"kind": p.kind, "id": p.id, "record": p.record, "what": p.what}
                for p in self.problems
            ],
            "entities": self.entities,
            "records": self.records,
            "edges": self.edges,
            "ledger": self.ledger,
            "head": self.head,
            "before_ledger": list(self.before_ledger),
            "notes": list(self.notes),
        }


class Audit:
    """The audit of one service's storage: ``qms.audit.head()`` and ``qms.audit.verify()``.

    Examples
    --------
    >>> import qualityflow as qf
    >>> qms = qf.QualityFlow()
    >>> qms.audit.head()
    ''
    >>> _ = qms.suppliers.add(qf.Supplier(id="SUP-MILL", name="Northfield Mill"))
    >>> head = qms.audit.head()
    >>> report = qms.audit.verify(known_heads=[head])
    >>> report.ok, report.entities, report.ledger, report.head == head
    (True, 1, 1, True)

    """

    def __init__(self, service: QualityFlow) -> None:
        self._service = service
        self._checked: tuple[object, LedgerStorage | None] | None = None

    def _ledger(self) -> LedgerStorage | None:
        """Return the storage if it keeps a ledger (checked once per storage object)."""
        storage = self._service.storage
        checked = self._checked
        if checked is None or checked[0] is not storage:
            checked = (storage, storage if isinstance(storage, LedgerStorage) else None)
            self._checked = checked
        return checked[1]

    def head(self) -> str:
        """Return the current ledger head (the last entry's hash; "" for an empty database).

        Publish it outside the database (notifications and the 8D report carry it); a
        later :meth:`verify` with it in ``known_heads`` then detects a ledger rewritten
        since.
        """
        ledgered = self._ledger()
        return "" if ledgered is None else ledgered.ledger_head()

    def evidence(self) -> list[tuple[str, str, Evidence]]:
        """Return every evidence reference stored, as ``(kind, id, evidence)``, by row."""
        ledgered = self._ledger()
        if ledgered is None:
            return []
        found: list[tuple[str, str, Evidence]] = []
        for row in ledgered.audit_snapshot().rows:
            model = ENTITY_KINDS.get(row.kind)
            if model is None:
                continue
            try:
                entity = model.model_validate_json(row.data)
            except ValidationError:
                continue  # audit.verify() reports the row
            found.extend((row.kind, row.id, e) for e in evidence_in(entity))
        return found

    def verify(self, known_heads: Iterable[str] = (), blobs: bool = False) -> AuditReport:
        """Walk every stored row and the whole ledger; return what is wrong.

        Parameters
        ----------
        known_heads
            Heads published earlier (from notifications, 8D reports, :meth:`head`); each
            must still be an entry of the chain, else the ledger was rewritten since.
        blobs
            Also check attached evidence files against their digests (needs an evidence
            store; without one this is noted in the report).

        Reads one consistent snapshot of the storage; writers are not blocked.

        """
        storage = self._service.storage
        heads = [h.strip().lower() for h in known_heads if h and h.strip()]
        ledgered = self._ledger()
        if ledgered is None:
            return AuditReport(
                url=storage.url,
                problems=[
                    AuditProblem(
                        "ledger",
                        "storage",
                        "",
                        _(
                            "the storage backend {backend} keeps no audit ledger: its records "
                            "cannot be verified (use a built-in backend)"
                        ).format(backend=type(storage).__name__),
                    )
                ],
            )
        # The lifecycle of each kind the service moves through one (incidents, complaints,
        # recalls, and any repository with a lifecycle added later), for the legality check.
        lifecycles = {
            repo.kind: repo.lifecycle
            for repo in vars(self._service).values()
            if isinstance(getattr(repo, "kind", None), str)
            and hasattr(getattr(repo, "lifecycle", None), "transitions")
        }
        snapshot = ledgered.audit_snapshot()
        referenced: list[tuple[str, str, Evidence]] | None = [] if blobs else None
        report = _verify(storage.url, snapshot, heads, lifecycles, referenced)
        if referenced is not None:
            store = self._service.evidence
            for kind, id, item in referenced:
                for what in store.verify([item]):
                    report.problems.append(AuditProblem(kind, id, "evidence", what))
            report.notes.append(
                _("blobs: {n} evidence file(s) re-hashed").format(n=len(referenced))
            )
        return report


def _entity_name(kind: str, id: str) -> tuple[str, str]:
    """How a ledger key is shown in a problem: edges as ``input -> output``."""
    if kind == "edge":
        try:
            pair = json.loads(id)
            return kind, f"{pair[0]} -> {pair[1]}"
        except (ValueError, IndexError, TypeError):
            return kind, id
    return kind, id


def evidence_in(entity: Any) -> list[Evidence]:
    """Every evidence reference in ``entity``'s data (any dict shaped like an Evidence).

    The parts' ``attachments`` and anything else holding one (a batch's attributes).
    """
    found: list[Evidence] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if {"sha256", "uri", "media_type", "size"} <= set(value):
                with contextlib.suppress(ValueError):
                    found.append(Evidence.model_validate(value))
                return
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(entity.model_dump(mode="json"))
    # An amendment's old and new values repeat the part's evidence: each file once.
    return list({(e.sha256, e.uri): e for e in found}.values())


def _verify(
    url: str,
    snap: AuditSnapshot,
    known_heads: list[str],
    lifecycles: dict[str, Any],
    evidence: list[tuple[str, str, Evidence]] | None = None,
) -> AuditReport:
    problems: list[AuditProblem] = []
    notes: list[str] = []

    # -- the ledger's own chain --------------------------------------------------------
    last: dict[tuple[str, str], LedgerEntry] = {}
    first: dict[tuple[str, str], LedgerEntry] = {}
    hashes: set[str] = set()
    prev = ""
    expected_seq = 1
    for entry in snap.ledger:
        kind, name = _entity_name(entry.kind, entry.id)
        where = f"ledger {entry.seq}"
        if entry.seq != expected_seq:
            if entry.seq == expected_seq + 1:
                gap = _("ledger out of sequence, entry {seq} is missing: removed").format(
                    seq=expected_seq
                )
            elif entry.seq > expected_seq:
                gap = _(
                    "ledger out of sequence, entries {first}..{last} are missing: removed"
                ).format(first=expected_seq, last=entry.seq - 1)
            else:
                gap = _(
                    "ledger out of sequence, it comes after entry {seq}: reordered or duplicated"
                ).format(seq=expected_seq - 1)
            problems.append(AuditProblem(kind, name, where, gap))
        if entry.prev_hash != prev:
            problems.append(
                AuditProblem(
                    kind,
                    name,
                    where,
                    _(
                        "the ledger entry does not chain onto the one before it (prev_hash "
                        "differs): an entry was removed, inserted or reordered"
                    ),
                )
            )
        if entry.hash != entry.expected_hash():
            problems.append(
                AuditProblem(
                    kind,
                    name,
                    where,
                    _("the ledger entry's fields do not match its hash: the entry was edited"),
                )
            )
        prev = entry.hash
        expected_seq = entry.seq + 1
        hashes.add(entry.hash)
        key = (entry.kind, entry.id)
        last[key] = entry
        first.setdefault(key, entry)
    last_seq = snap.ledger[-1].seq if snap.ledger else 0
    if snap.head_seq < 0:
        problems.append(
            AuditProblem("ledger", "head", "", _("the ledger's head record is missing"))
        )
    elif snap.head_seq != last_seq or snap.head_hash != prev:
        problems.append(
            AuditProblem(
                "ledger",
                "head",
                "",
                _(
                    "the head record says the last entry is {head_seq} ({head_hash}) but the "
                    "ledger ends at {last_seq} ({last_hash}): entries were removed from the "
                    "end, or the head was edited"
                ).format(
                    head_seq=snap.head_seq,
                    head_hash=snap.head_hash[:12] or _("empty"),
                    last_seq=last_seq,
                    last_hash=prev[:12] or _("empty"),
                ),
            )
        )
    for head in known_heads:
        if head not in hashes:
            problems.append(
                AuditProblem(
                    "ledger",
                    "head",
                    "",
                    _(
                        "ledger rewritten since head {head} was published: no entry of the "
                        "chain has that hash"
                    ).format(head=head),
                )
            )

    # -- the start marker --------------------------------------------------------------
    start = snap.start
    start_entry = first.get(LEDGER_START)
    if start is None:
        problems.append(
            AuditProblem(
                "ledger",
                "start",
                "",
                _("the ledger's start marker (qf_meta ledger_started) is missing or unreadable"),
            )
        )
    elif start.rows > 0:
        if (
            start_entry is None
            or start_entry.seq != 1
            or start_entry.version != start.rows
            or start_entry.digest != start.keys
        ):
            problems.append(
                AuditProblem(
                    "ledger",
                    "start",
                    "ledger 1",
                    _(
                        "the start marker says {rows} rows were stored before the ledger, but "
                        "the ledger's first entry does not confirm it: the marker or the entry "
                        "was edited"
                    ).format(rows=start.rows),
                )
            )
    elif start_entry is not None:
        problems.append(
            AuditProblem(
                "ledger",
                "start",
                f"ledger {start_entry.seq}",
                _(
                    "the ledger has a start entry for rows stored before it, but the start "
                    "marker says the database was empty: the marker was edited"
                ),
            )
        )
    preledger = start is not None and start.rows > 0

    # -- every entity row --------------------------------------------------------------
    records = 0
    seen: set[tuple[str, str]] = set()
    unledgered: list[tuple[str, str]] = []
    for row in snap.rows:
        key = (row.kind, row.id)
        seen.add(key)
        found = last.get(key)
        model = ENTITY_KINDS.get(row.kind)
        if model is None:
            problems.append(
                AuditProblem(
                    row.kind,
                    row.id,
                    "",
                    _("unknown entity kind {kind!r} stored").format(kind=row.kind),
                )
            )
            continue
        try:
            entity = model.model_validate_json(row.data)
        except ValidationError as exc:
            first_error = exc.errors()[0]
            problems.append(
                AuditProblem(
                    row.kind,
                    row.id,
                    "",
                    _(
                        "the stored JSON is not a valid {model} ({field}: {error}): edited "
                        "outside qualityflow"
                    ).format(
                        model=model.__name__,
                        field=".".join(str(p) for p in first_error["loc"]),
                        error=first_error["msg"],
                    ),
                )
            )
            entity = None
        if found is None:
            if preledger and (entity is None or not _recorded_after(entity, start)):
                unledgered.append(key)
            else:
                problems.append(
                    AuditProblem(
                        row.kind,
                        row.id,
                        "",
                        _(
                            "the row has no ledger entry: it was written outside qualityflow "
                            "(inserted by hand or by another program)"
                        ),
                    )
                )
        else:
            where = f"ledger {found.seq}"
            if found.version != row.version:
                problems.append(
                    AuditProblem(
                        row.kind,
                        row.id,
                        where,
                        _(
                            "stored at version {row} but the ledger's last entry for it is "
                            "version {ledger}: the row or the ledger was changed outside "
                            "qualityflow (a dropped entry, or a row put back)"
                        ).format(row=row.version, ledger=found.version),
                    )
                )
            if found.digest != row_digest(row.data):
                problems.append(
                    AuditProblem(
                        row.kind,
                        row.id,
                        where,
                        _(
                            "the stored row differs from what was committed: a field was "
                            "edited outside qualityflow"
                        ),
                    )
                )
        if entity is None:
            continue
        if entity.id != row.id:
            problems.append(
                AuditProblem(
                    row.kind,
                    row.id,
                    "",
                    _(
                        "the row is stored under id {row!r} but its data is {data!r}: moved or "
                        "copied outside qualityflow"
                    ).format(row=row.id, data=entity.id),
                )
            )
        if entity.version != row.version:
            problems.append(
                AuditProblem(
                    row.kind,
                    row.id,
                    "",
                    _(
                        "the version column says {column} but the data says {data}: edited "
                        "outside qualityflow"
                    ).format(column=row.version, data=entity.version),
                )
            )
        if status_of(entity) != row.status:
            problems.append(
                AuditProblem(
                    row.kind,
                    row.id,
                    "",
                    _(
                        "the status column says {column!r} but the data says {data!r}: edited "
                        "outside qualityflow"
                    ).format(column=row.status, data=status_of(entity)),
                )
            )
        if any(getattr(entity, name, None) is not None for name in _CHAINED):
            records += sum(len(getattr(entity, name, None) or ()) for name in _CHAINED)
            problems.extend(
                history_problems(entity, kind=row.kind, lifecycle=lifecycles.get(row.kind))
            )
            for name in ("history", "decisions"):
                for number, record in enumerate(getattr(entity, name, None) or []):
                    for what in signature_problems([record]):
                        problems.append(AuditProblem(row.kind, row.id, f"{name}[{number}]", what))
        if evidence is not None and entity is not None:
            evidence.extend((row.kind, row.id, e) for e in evidence_in(entity))

    # -- edges -------------------------------------------------------------------------
    for edge in snap.edges:
        key = ("edge", edge_key(edge.input_id, edge.output_id))
        seen.add(key)
        name = f"{edge.input_id} -> {edge.output_id}"
        link = last.get(key)
        if link is None:
            if preledger:
                unledgered.append(key)
            else:
                problems.append(
                    AuditProblem(
                        "edge",
                        name,
                        "",
                        _("the link has no ledger entry: it was written outside qualityflow"),
                    )
                )
        elif link.digest != edge.digest:
            problems.append(
                AuditProblem(
                    "edge",
                    name,
                    f"ledger {link.seq}",
                    _(
                        "the stored link differs from what was committed (quantity, kind or "
                        "override edited outside qualityflow)"
                    ),
                )
            )

    # -- rows the ledger knows but the tables lost -------------------------------------
    for key, entry in last.items():
        if key in seen or key == LEDGER_START:
            continue
        kind, name = _entity_name(*key)
        problems.append(
            AuditProblem(
                kind,
                name,
                f"ledger {entry.seq}",
                _(
                    "the ledger has it (version {version}) but its row is gone: deleted "
                    "outside qualityflow"
                ).format(version=entry.version),
            )
        )

    # -- rows from before the ledger ---------------------------------------------------
    before: list[str] = []
    if preledger and start is not None:
        # Those without an entry, plus those whose first entry was a later save.
        keys = {f"{k}/{i}" if k != "edge" else f"edge/{i}" for k, i in unledgered}
        for key, entry in first.items():
            if key != LEDGER_START and key[0] != "edge" and entry.version > 1:
                keys.add(f"{key[0]}/{key[1]}")
        if preledger_digest(keys) != start.keys:
            problems.append(
                AuditProblem(
                    "ledger",
                    "start",
                    "",
                    _(
                        "{rows} rows were stored before the ledger started, but the rows "
                        "without a first ledger entry ({now} now) no longer match them: a row "
                        "from before was deleted, or one was inserted outside qualityflow"
                    ).format(rows=start.rows, now=len(keys)),
                )
            )
        before = sorted(
            f"{kind}/{_entity_name(kind, id)[1]}" if kind == "edge" else f"{kind}/{id}"
            for kind, id in unledgered
        )
        notes.append(
            _(
                "the ledger started at {at} on a database holding {rows} rows; {before} of "
                "them have not been written since and are not covered by it"
            ).format(at=start.at, rows=start.rows, before=len(before))
        )

    return AuditReport(
        url=url,
        problems=problems,
        entities=len(snap.rows),
        records=records,
        edges=len(snap.edges),
        ledger=len(snap.ledger),
        head=prev,
        before_ledger=before,
        notes=notes,
    )


def _recorded_after(entity: Any, start: Any) -> bool:
    """Whether a record of ``entity`` was stamped after the ledger started."""
    try:
        started = datetime.fromisoformat(start.at)
    except (TypeError, ValueError):
        return False
    for name in _CHAINED:
        for record in getattr(entity, name, None) or ():
            at = getattr(record, "recorded_at", None)
            if at is not None and at > started:
                return True
    return False
