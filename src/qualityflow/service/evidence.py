"""``qms.evidence``: store evidence files in a blob store and check them later."""

from __future__ import annotations

import builtins
import mimetypes
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from pydantic import BaseModel

from qualityflow.errors import NotFoundError, QualityFlowError
from qualityflow.evidence import sha256_of
from qualityflow.i18n import N_, _
from qualityflow.models.evidence import Evidence
from qualityflow.people import ActorLike

if TYPE_CHECKING:
    from qualityflow.service.facade import QualityFlow

__all__ = ["PARTS", "EvidenceStore", "default_blobs_url"]

PARTS: dict[str, dict[str, str]] = {
    "incident": {
        "verification": "verification",
        "root-cause": "root_cause",
        "containment": "containment",
    },
    "complaint": {"contact": "contacts"},
    "recall": {"return": "consignees"},
    "inspection": {"inspection": ""},
}
"""The parts evidence is attached to, per kind: part name -> the entity field holding it.

The first part of each kind is its default. ``containment``, ``contact`` and ``return``
are lists: ``item`` picks the entry (1-based; the last by default).
"""

_KINDS = ("incident", "complaint", "recall", "inspection")

NO_SUCH_PART = N_("{kind} {id!r} has no part {part!r}: attach to {parts}")
PART_NOT_RECORDED = N_(
    "{kind} {id!r} has no {part} recorded yet: record it with its command first, with the "
    "evidence in its attachments, or attach once it is recorded"
)
NO_SUCH_ITEM = N_("{kind} {id!r}: {part} has no item {item}: give an item from 1 to {count}")
NO_RECORD = N_("no incident, complaint, recall or inspection {id!r} is on file")
AMBIGUOUS = N_("{id!r} is on file as {kinds}: say which with kind=... (--kind)")
NAME_CONSIGNEE = N_(
    "recall {id!r}: returns are recorded for {consignees}: say which consignee's return "
    "(consignee=..., --consignee)"
)
ATTACHED_REASON = N_("evidence {files} attached to {part}")


def default_blobs_url(storage_url: str) -> str | None:
    """Return the default blob store beside a SQLite file (``<db>.evidence``), else None.

    Examples
    --------
    >>> default_blobs_url("sqlite:////srv/qms/plant.db")
    'file:///srv/qms/plant.db.evidence'
    >>> default_blobs_url("postgresql://db/qms") is None
    True

    """
    parsed = urlparse(storage_url)
    if parsed.scheme == "sqlite" and parsed.path not in ("", "/", "/:memory:"):
        path = Path(parsed.path[1:] if storage_url.startswith("sqlite:///") else parsed.path)
        return Path(str(path.resolve()) + ".evidence").as_uri()
    if parsed.scheme == "memory":
        return Path(tempfile.mkdtemp(prefix="qualityflow-evidence-")).as_uri()
    return None


class EvidenceStore:
    """Put files into the service's blob store and re-hash them (``qms.evidence``)."""

    def __init__(self, service: QualityFlow, url: str | None) -> None:
        self._service = service
        self._url = url
        self._store: Any = None

    @property
    def url(self) -> str:
        """The blob store's URL (``blobs=``, else beside the SQLite file, else a temp dir)."""
        if self._url is None:
            self._url = default_blobs_url(self._service.storage.url)
        if self._url is None:
            raise QualityFlowError(
                f"no blob store for evidence files beside {self._service.storage.url!r}: "
                "give qf.QualityFlow(url, blobs='file:///dir') or a plugin's store"
            )
        return self._url

    def _blobs(self) -> Any:
        if self._store is None:
            url = self.url
            scheme = urlparse(url).scheme
            factories = self._service.plugins.blobstore_factories()
            if scheme not in factories:
                raise QualityFlowError(
                    f"no blob store for scheme {scheme!r} ({url!r}): use file:///dir or "
                    f"install a plugin for it (known: {', '.join(sorted(factories))})"
                )
            self._store = factories[scheme](url)
        return self._store

    def put(
        self,
        path_or_bytes: str | Path | bytes,
        *,
        media_type: str | None = None,
        by: ActorLike = "",
        filename: str | None = None,
    ) -> Evidence:
        """Store a file (or bytes) and return the :class:`Evidence` that references it.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> ev = qms.evidence.put(b"no chips", media_type="text/plain", by="QA Lena")
        >>> ev.size, ev.by, qms.evidence.verify([ev])
        (8, 'QA Lena', [])

        """
        if isinstance(path_or_bytes, bytes):
            data, name = path_or_bytes, filename or ""
        else:
            path = Path(path_or_bytes)
            data, name = path.read_bytes(), filename or path.name
        kind = media_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        who = "" if isinstance(by, str) and not by.strip() else self._service.resolve_actor(by).name
        digest = sha256_of(data)
        uri = self._blobs().put(data, digest)
        return Evidence(
            sha256=digest,
            media_type=kind,
            filename=name,
            size=len(data),
            uri=uri,
            captured_at=self._service.now(),
            by=who,
        )

    def attach(
        self,
        to: str,
        evidence: Evidence | Iterable[Evidence],
        *,
        actor: ActorLike,
        part: str | None = None,
        kind: str | None = None,
        item: int | None = None,
        consignee: str | None = None,
        reason: str = "",
        at: datetime | None = None,
        approved_by: ActorLike | None = None,
    ) -> BaseModel:
        """Attach stored evidence to a part already recorded; return the saved record.

        ``to`` is the id of an incident, complaint, recall or inspection (``kind`` says
        which when the id is on file as several). ``part`` is one of :data:`PARTS`
        (default: the kind's first): an incident's ``verification``, ``root-cause`` or
        ``containment``, a complaint's ``contact``, a recall's ``return`` (of
        ``consignee``), an inspection itself. The evidence is appended to the part's
        ``attachments`` through the record's ``save()``: for an incident, complaint or
        recall an :class:`~qualityflow.Amendment` (who, when, ``reason``), hash-chained
        and sealing the new state, accepted even on a part a transition relied on and in
        a closed case, since only the attachments grow; the policy is asked about
        ``<kind>.save`` (``inspection.save`` for an inspection, stored with its ledger
        entry). Evidence given with the command that records a part
        (``Verification(..., attachments=[...])``) needs no amendment. In a closed case
        a policy with the ``closed_amendment_approved`` rule (STRICT) asks for
        ``approved_by``, a second person, as for any amendment of a closed record.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> _ = qms.batches.add(qf.Batch(id="FLOUR-7", kind="raw_material", product="flour",
        ...     quantity=qf.Quantity(amount=1000, unit="kg")))
        >>> _ = qms.inspections.add(qf.Inspection(id="IQC-7", batch_id="FLOUR-7",
        ...                                       stage="incoming", result="pass"))
        >>> coa = qms.evidence.put(b"COA", media_type="text/plain", filename="coa.txt")
        >>> qms.evidence.attach("IQC-7", coa, actor="QA Lena").attachments[0].filename
        'coa.txt'

        """
        service = self._service
        items = [evidence] if isinstance(evidence, Evidence) else list(evidence)
        with service.storage.transaction():
            found_kind, entity = self._target(to, kind)
            chosen = self._part_name(found_kind, to, part)
            updated = entity.model_copy(deep=True)
            target = self._part(updated, found_kind, chosen, item, consignee)
            target.attachments = [*target.attachments, *items]
            repo = getattr(service, f"{found_kind}s")
            files = ", ".join(repr(e.filename or e.sha256[:12]) for e in items)
            why = reason or _(ATTACHED_REASON).format(files=files, part=chosen)
            if found_kind == "inspection":
                service.authorize(actor, "inspection.save", updated)
                saved: BaseModel = repo.save(updated)
            else:
                saved = repo.save(updated, actor=actor, reason=why, at=at, approved_by=approved_by)
        return saved

    def locate(
        self,
        to: str,
        *,
        part: str | None = None,
        kind: str | None = None,
        item: int | None = None,
        consignee: str | None = None,
    ) -> tuple[str, str]:
        """Return ``(kind, part)`` that :meth:`attach` would attach to; raise as it would.

        Lets a caller refuse a wrong id or part before it stores any bytes.
        """
        found_kind, entity = self._target(to, kind)
        chosen = self._part_name(found_kind, to, part)
        self._part(entity.model_copy(deep=True), found_kind, chosen, item, consignee)
        return found_kind, chosen

    def target(self, to: str, kind: str | None = None) -> BaseModel:
        """Return the incident, complaint, recall or inspection ``to`` (``kind``: which)."""
        return self._target(to, kind)[1]

    @staticmethod
    def _part_name(kind: str, to: str, part: str | None) -> str:
        parts = PARTS[kind]
        chosen = (part if part is not None else next(iter(parts))).replace("_", "-")
        if chosen not in parts:
            raise QualityFlowError(
                _(NO_SUCH_PART).format(kind=kind, id=to, part=part, parts=", ".join(parts))
            )
        return chosen

    def _target(self, to: str, kind: str | None) -> tuple[str, BaseModel]:
        service = self._service
        kinds = _KINDS if kind is None else (kind,)
        found: builtins.list[tuple[str, BaseModel]] = []
        for name in kinds:
            if name not in PARTS:
                raise QualityFlowError(
                    _(NO_SUCH_PART).format(kind=name, id=to, part="", parts=", ".join(_KINDS))
                )
            try:
                found.append((name, getattr(service, f"{name}s").get(to)))
            except NotFoundError:
                continue
        if not found:
            if kind is not None:
                raise NotFoundError(kind, to)
            error = NotFoundError("record", to)
            error.args = (_(NO_RECORD).format(id=to),)
            raise error
        if len(found) > 1:
            raise QualityFlowError(
                _(AMBIGUOUS).format(id=to, kinds=", ".join(name for name, _e in found))
            )
        return found[0]

    @staticmethod
    def _part(entity: Any, kind: str, part: str, item: int | None, consignee: str | None) -> Any:
        """Return the (mutable) part of ``entity`` whose attachments grow."""
        field = PARTS[kind][part]
        if not field:
            return entity
        if kind == "recall":
            with_returns = [c for c in entity.consignees if c.returns]
            if consignee is not None:
                try:
                    with_returns = [entity.consignee(consignee)]
                except KeyError as exc:
                    error = NotFoundError("consignee", consignee)
                    error.args = (str(exc.args[0]),)
                    raise error from None
            elif len(with_returns) > 1:
                raise QualityFlowError(
                    _(NAME_CONSIGNEE).format(
                        id=entity.id, consignees=", ".join(c.id for c in with_returns)
                    )
                )
            value: Any = with_returns[0].returns if with_returns else []
        else:
            value = getattr(entity, field)
        if value is None or value == []:
            raise QualityFlowError(_(PART_NOT_RECORDED).format(kind=kind, id=entity.id, part=part))
        if not isinstance(value, list):
            return value
        index = len(value) if item is None else item
        if not 1 <= index <= len(value):
            raise QualityFlowError(
                _(NO_SUCH_ITEM).format(
                    kind=kind, id=entity.id, count=len(value), part=part, item=index
                )
            )
        return value[index - 1]

    def read(self, evidence: Evidence) -> bytes:
        """Return the evidence's bytes, checked against its hash."""
        data = self._blobs().read(evidence.uri)
        if sha256_of(data) != evidence.sha256:
            raise QualityFlowError(
                f"evidence {evidence.filename or evidence.uri!r} was altered: its SHA-256 no "
                "longer matches the one recorded"
            )
        return bytes(data)

    def read_verified(self, evidence: Evidence) -> bytes | None:
        """Return the evidence's bytes if they are there and match its hash, else ``None``.

        What a report shows (``eight_d(..., evidence=qms.evidence.read_verified)``): a
        missing or altered file is not shown as evidence; ``verify`` says which.
        """
        try:
            return self.read(evidence)
        except (QualityFlowError, OSError):
            return None

    def verify(self, evidence: Iterable[Evidence]) -> builtins.list[str]:
        """Re-hash every referenced file; return a problem for each missing or altered one."""
        problems: builtins.list[str] = []
        for item in evidence:
            name = item.filename or item.uri
            try:
                data = self._blobs().read(item.uri)
            except (NotFoundError, OSError):
                problems.append(f"evidence file {name!r} ({item.uri}) is missing")
                continue
            if sha256_of(data) != item.sha256 or len(data) != item.size:
                problems.append(
                    f"evidence file {name!r} ({item.uri}) was altered: its SHA-256 is no "
                    f"longer {item.sha256[:12]}..."
                )
        return problems
