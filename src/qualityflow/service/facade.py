"""``qf.QualityFlow``: the application facade over storage, plugins and the lifecycles."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import Any

from qualityflow.errors import (
    ConcurrencyError,
    GenealogyError,
    NotFoundError,
    PermissionDenied,
    QualityFlowError,
    TransitionError,
)
from qualityflow.evidence import builtin as builtin_blobstores
from qualityflow.genealogy import CommonCause, Genealogy, RecallImpact, Trace
from qualityflow.i18n import N_, _, normalize, using
from qualityflow.lifecycle import (
    COMPLAINT_LIFECYCLE,
    INCIDENT_LIFECYCLE,
    Deadline,
    DeadlinePolicy,
    DefaultDeadlinePolicy,
)
from qualityflow.lifecycle import overdue as find_overdue
from qualityflow.lifecycle.acknowledgement import AcknowledgementTemplates
from qualityflow.models import (
    Batch,
    BatchStatus,
    Complaint,
    ComplaintStatus,
    ContainmentKind,
    Incident,
    IncidentStatus,
    Inspection,
    Notification,
    Quantity,
    Shipment,
    Signature,
    Supplier,
    TransitionRecord,
)
from qualityflow.models.nonconformance import SupplierAction
from qualityflow.notify import builtin_notifiers
from qualityflow.people import OPEN, Actor, ActorLike, Policy
from qualityflow.people.signatures import SIGNATURE_NEEDED, SIGNATURE_REFUSED, SIGNATURE_TYPE
from qualityflow.plugins import hookimpl
from qualityflow.plugins.manager import Plugins, make_plugins
from qualityflow.prevention import (
    LinkOverride,
    OpenTraining,
    RetainedSample,
    TrainingRecord,
    TrainingRequirement,
    lesson_open,
    link_blockers,
    open_training,
    samples_due_for_disposal,
    samples_for,
)
from qualityflow.service import notices
from qualityflow.service._base import (
    _STRICTNESS,
    CONTAINMENT_STATUS,
    STATUS_CHANGES,
    Repository,
    field_changes,
)
from qualityflow.service.audit import Audit
from qualityflow.service.batches import (
    BatchRepository,
    InspectionRepository,
    RetainedSampleRepository,
    ShipmentRepository,
)
from qualityflow.service.bulk import LinkRow, as_bulk
from qualityflow.service.cases import ComplaintRepository, LifecycleRepository
from qualityflow.service.evidence import EvidenceStore
from qualityflow.service.nonconformances import (
    OPEN_SCAR_STATUSES,
    NonconformanceRepository,
    SupplierActionRepository,
)
from qualityflow.service.outbox import Outbox, Queued
from qualityflow.service.recalls import RecallRepository
from qualityflow.service.suppliers import SupplierRepository
from qualityflow.storage import Edge, IncrementalStorage, ListingStorage, Storage, open_storage
from qualityflow.storage import builtin as builtin_storage

log = logging.getLogger(__name__)


class ConfiguredActors:
    """The built-in ``qualityflow_resolve_actor``: the ``actors=`` given to the service."""

    name = "qualityflow.actors"

    def __init__(self, actors: Mapping[str, Actor] | Iterable[Actor] | None) -> None:
        if actors is None:
            self.actors: dict[str, Actor] = {}
        elif isinstance(actors, Mapping):
            self.actors = dict(actors)
        else:
            self.actors = {a.id: a for a in actors}
        for key, value in self.actors.items():
            if not isinstance(value, Actor):
                raise QualityFlowError(
                    f"actors[{key!r}] is {value!r}: give qf.Actor(id, name, roles=...) values"
                )

    @hookimpl
    def qualityflow_resolve_actor(self, actor_id: str) -> Actor | None:
        """Look the id up in the configured actors."""
        return self.actors.get(actor_id)


class QualityFlow(Outbox):
    """The quality-management service: repositories, genealogy and notifications.

    Parameters
    ----------
    url:
        Where records live: ``memory://`` (default), ``sqlite:///plant.db``,
        ``postgresql://...``, ``mysql://...`` or a plugin's scheme.
    plugins:
        Plugin objects or modules with ``@qf.hookimpl`` functions, registered after the
        built-ins and the installed entry points.
    settings:
        Notifier settings (see :data:`qualityflow.notify.SETTINGS`; default: the
        environment) and the plant's rules: ``require_final_inspection`` (default
        ``True``; ``False``/``"false"``/``"0"``/``"no"`` turn it off) makes a passed final
        inspection a condition for releasing a finished batch.
    load_entry_points:
        Load the installed ``qualityflow`` entry points (on by default).
    clock:
        The service's clock: a function returning an aware datetime (default: now in
        UTC). It stamps ``recorded_at`` on every history record and amendment; tests and
        the demo inject :class:`qualityflow.testing.Clock`.
    clock_tolerance:
        How far a caller's ``at`` may lie ahead of the clock (default 5 minutes, for
        machines whose clocks drift a little); anything later is refused.
    policy:
        Who may do what (:class:`qualityflow.RolePolicy`, ``qf.policies.STRICT``); default
        the open policy: every action is open to everyone.
    actors:
        The plant's people, ``{id: qf.Actor(...)}`` or a list of actors: a string
        ``actor="dana"`` is looked up here (after the ``qualityflow_resolve_actor``
        plugins).
    blobs:
        Where evidence files go (``file:///dir`` or a plugin's scheme); default beside
        the SQLite file (``plant.db.evidence``), a temporary directory for ``memory://``.
    upgrade:
        Migrate an SQL database whose schema is older than this qualityflow to the
        current one before opening it (as ``qualityflow db upgrade`` does); without it
        such a database is refused with a :class:`~qualityflow.errors.StorageError`
        naming that command, and nothing is written.
    locale:
        The language the notifications and the service's refusals (lifecycle guards,
        permissions) are written in (``"zh_CN"``, ``"en"``; default the active locale,
        see :mod:`qualityflow.i18n`). Each notification also keeps its text
        language-neutral, so a notifier given its own ``locale=`` writes it in that one.
    acknowledgements:
        The plant's acknowledgement templates (``{"zh_CN": "...", "en": "..."}`` or a
        :class:`qualityflow.lifecycle.acknowledgement.AcknowledgementTemplates`) that
        ``qms.complaints.acknowledge(...)`` writes the first answer to a complaint with;
        default the built-in texts. Editable later through :attr:`acknowledgements`.

    Examples
    --------
    >>> import qualityflow as qf
    >>> with qf.QualityFlow() as qms:
    ...     lot = qms.batches.add(qf.Batch(id="FLOUR-0412", kind="raw_material",
    ...         product="wheat flour", quantity=qf.Quantity(amount=1000, unit="kg")))
    ...     qms.batches.get("FLOUR-0412").version
    1

    """

    def __init__(
        self,
        url: str = "memory://",
        plugins: Iterable[object] = (),
        *,
        settings: Mapping[str, str | bool] | None = None,
        load_entry_points: bool = True,
        clock: Callable[[], datetime] | None = None,
        clock_tolerance: timedelta = timedelta(minutes=5),
        policy: Policy | None = None,
        actors: Mapping[str, Actor] | Iterable[Actor] | None = None,
        blobs: str | None = None,
        upgrade: bool = False,
        locale: str | None = None,
        acknowledgements: AcknowledgementTemplates | Mapping[str, str] | None = None,
    ) -> None:
        if policy is not None and not callable(getattr(policy, "check", None)):
            raise QualityFlowError(
                f"policy={policy!r} has no check(actor, action, subject): give a "
                "qf.RolePolicy({...}) or qf.policies.STRICT"
            )
        self.policy: Policy = OPEN if policy is None else policy
        """Who may do what (the open policy unless ``policy=`` was given)."""
        self.locale: str | None = None if locale is None else normalize(locale)
        """The language of the notifications' titles and bodies (``None``: the active one)."""
        self.acknowledgements: AcknowledgementTemplates = (
            acknowledgements
            if isinstance(acknowledgements, AcknowledgementTemplates)
            else AcknowledgementTemplates(acknowledgements)
        )
        """The acknowledgement templates: ``qms.acknowledgements.set("zh_CN", text)``."""
        self._clock: Callable[[], datetime] = clock or _utcnow
        self._collector = threading.local()
        self.clock_tolerance: timedelta = clock_tolerance
        """How far a caller's ``at`` may lie ahead of :meth:`now`."""
        self.require_final_inspection: bool = _flag(settings, "require_final_inspection", True)
        """The plant's setting: a finished batch is released only after a final inspection."""
        notifier_settings = (
            None if settings is None else {k: v for k, v in settings.items() if isinstance(v, str)}
        )
        self.plugins: Plugins = make_plugins(
            plugins,
            builtins=[
                builtin_storage,
                *builtin_notifiers(notifier_settings),
                ConfiguredActors(actors),
                builtin_blobstores,
            ],
            load_entry_points=load_entry_points,
        )
        if upgrade:
            from qualityflow.storage.migrations import is_sql_url
            from qualityflow.storage.migrations import upgrade as upgrade_schema

            if is_sql_url(url):
                upgrade_schema(url)
        self.storage: Storage = open_storage(url, self.plugins.storage_factories())
        self.suppliers = SupplierRepository(self, "supplier", Supplier)
        self.batches = BatchRepository(self, "batch", Batch)
        self.shipments = ShipmentRepository(self, "shipment", Shipment)
        self.inspections = InspectionRepository(self, "inspection", Inspection)
        self.samples = RetainedSampleRepository(self, "retained_sample", RetainedSample)
        self.training_requirements: Repository[TrainingRequirement] = Repository(
            self, "training_requirement", TrainingRequirement
        )
        self.training_records: Repository[TrainingRecord] = Repository(
            self, "training_record", TrainingRecord
        )
        self.incidents: LifecycleRepository[Incident] = LifecycleRepository(
            self, "incident", Incident, INCIDENT_LIFECYCLE
        )
        self.complaints: ComplaintRepository = ComplaintRepository(
            self, "complaint", Complaint, COMPLAINT_LIFECYCLE
        )
        self.recalls = RecallRepository(self)
        self.nonconformances = NonconformanceRepository(self)
        self.supplier_actions = SupplierActionRepository(self)
        self.evidence = EvidenceStore(self, blobs)
        """Evidence files: ``qms.evidence.put(path, media_type=..., by=...)``."""
        self.audit = Audit(self)
        """The audit: ``head()`` of the ledger and ``verify(known_heads=...)``."""

    def __repr__(self) -> str:
        return f"QualityFlow({self.storage.url!r})"

    def resolve_actor(self, actor: ActorLike) -> Actor:
        """Return ``actor`` as an :class:`~qualityflow.Actor`.

        An Actor is returned as is; a string is offered to ``qualityflow_resolve_actor``
        (plugins first, then the ``actors=`` given to the service) and otherwise becomes an
        actor with no roles whose id and name are the string.

        Examples
        --------
        >>> import qualityflow as qf
        >>> from qualityflow.people import Actor
        >>> qms = qf.QualityFlow(actors=[Actor(id="dana", name="Dana Weber")])
        >>> qms.resolve_actor("dana").name, qms.resolve_actor("Tom").roles
        ('Dana Weber', frozenset())

        """
        if isinstance(actor, Actor):
            return actor
        if not isinstance(actor, str):
            raise QualityFlowError(
                f"actor={actor!r}: give a qf.Actor(id, name, roles=...) or a name string"
            )
        found = self.plugins.resolve_actor(actor)
        return found if found is not None else Actor(id=actor, name=actor)

    def authorize(self, actor: ActorLike, action: str, subject: Any = None) -> str:
        """Check that ``actor`` may perform ``action``; return the name to record.

        The service's policy and every ``qualityflow_authorize`` plugin are asked; any
        refusal raises :class:`~qualityflow.PermissionDenied` naming the actor, the action
        and the roles that may perform it. A blank string is returned as is (the
        command's own check refuses it).

        Examples
        --------
        >>> import qualityflow as qf
        >>> from qualityflow.people import Actor, RolePolicy
        >>> qms = qf.QualityFlow(policy=RolePolicy({"batch.release": {"qa_manager"}}))
        >>> qms.authorize(Actor(id="dana", roles={"qa_manager"}), "batch.release")
        'dana'
        >>> qms.authorize("Tom", "batch.release")
        Traceback (most recent call last):
        ...
        qualityflow.errors.PermissionDenied: 'Tom' may not 'batch.release': 'Tom' does not \
have a role that may 'batch.release' (one of: qa_manager; Tom has: no roles)

        """
        if isinstance(actor, str) and not actor.strip():
            return actor
        return self._authorized(actor, action, subject).name

    def _authorized(self, actor: ActorLike, action: str, subject: Any) -> Actor:
        """Check ``actor`` against the policy and the plugins; return the resolved actor."""
        who = self.resolve_actor(actor)
        with using(self.locale):  # refusals in the service's language (None: the active one)
            reasons = list(self.policy.check(who, action, subject))
            reasons += self.plugins.authorize(who, action, subject)
            if reasons:
                roles_for = getattr(self.policy, "roles_for", None)
                roles = roles_for(action) if callable(roles_for) else None
                raise PermissionDenied(who.id, action, reasons, sorted(roles or ()))
        return who

    def requires_signature(self, action: str) -> bool:
        """Return whether the policy asks for an electronic signature on ``action``."""
        needs = getattr(self.policy, "requires_signature", None)
        return bool(needs(action)) if callable(needs) else False

    def _signer(
        self,
        actor: ActorLike,
        action: str,
        subject: Any,
        signature: object,
        credential: object,
        *,
        what: str,
        trigger: str,
        state: str,
        steps: Iterable[str] = (),
    ) -> Actor | None:
        """Authorize ``actor`` for ``action``; check the signature the policy may ask for.

        The one check of every signed step (incidents, complaints, recalls, supplier
        decisions): the policy and plugins authorize ``action``; a signature is needed
        when the policy names ``action`` or one of ``steps`` (``supplier.disqualify``);
        a given one must be a :class:`~qualityflow.models.Signature`, and the
        ``qualityflow_authenticate`` plugins are asked about ``credential`` before it is
        accepted. Returns the resolved signer (``None`` for a blank actor, which the
        command refuses itself).
        """
        if isinstance(actor, str) and not actor.strip():
            return None  # the command refuses a blank actor
        who = self._authorized(actor, action, subject)
        for step in steps:  # a finer step of the action (supplier.reapprove) is asked too
            if step != action:
                self._authorized(who, step, subject)
        if signature is not None and not isinstance(signature, Signature):
            raise TransitionError(
                trigger,
                state,
                [_(SIGNATURE_TYPE).format(signature=repr(signature))],
            )
        named = [action, *steps]
        if signature is None:
            needed = next((a for a in named if self.requires_signature(a)), None)
            if needed is not None:
                raise TransitionError(
                    trigger,
                    state,
                    [_(SIGNATURE_NEEDED).format(what=what, action=needed, name=who.name)],
                )
            return who
        if not self.plugins.authenticate(who, credential):
            raise PermissionDenied(
                who.id,
                action,
                [_(SIGNATURE_REFUSED).format(name=who.name, action=action)],
            )
        return who

    def now(self) -> datetime:
        """Return the service clock's reading (aware): what ``recorded_at`` is stamped from.

        Examples
        --------
        >>> import qualityflow as qf
        >>> from qualityflow.testing import Clock
        >>> qf.QualityFlow(clock=Clock()).now().isoformat()
        '2026-03-02T06:00:00+00:00'

        """
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise QualityFlowError(
                f"the service clock returned {now.isoformat()} without a time zone: give "
                "QualityFlow(clock=...) a function returning aware datetimes"
            )
        return now

    # -- lifetime ----------------------------------------------------------------------

    def relay(
        self,
        to: str,
        *,
        batch: int = 500,
        once: bool = False,
        stop: Any = None,
        **options: Any,
    ) -> Any:
        """Publish every committed change and notification to the broker at ``to``.

        Runs until ``stop`` (a ``threading.Event`` or a callable) is set, or with
        ``once=True`` until nothing is left; returns a :class:`qualityflow.relay.RelayStats`.
        ``options`` are :func:`qualityflow.relay.run`'s (target, source, lease, backoff,
        retries...). Needs the ``relay`` extra; see ``docs/relay.md``.
        """
        from qualityflow.relay import run

        return run(self, to, batch=batch, once=once, stop=stop, **options)

    def close(self) -> None:
        """Release the storage's connections."""
        self.storage.close()

    def __enter__(self) -> QualityFlow:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- genealogy ---------------------------------------------------------------------

    def link(
        self,
        input_id: str,
        output_id: str,
        quantity: Quantity | None = None,
        *,
        override: LinkOverride | None = None,
    ) -> None:
        """Record that lot ``input_id`` was consumed into batch ``output_id``.

        A lot that is on hold, quarantined, recalled or scrapped, or whose supplier is
        suspended or disqualified, is refused with a :class:`qualityflow.GenealogyError`
        naming the supplier and its status; an ``override`` with reason and approver lifts
        the supplier block and is stored with the link. Unknown ids, a self-link and a
        link that would close a cycle are refused too; nothing is written. Links are
        serialised across every instance on the same storage
        (:meth:`~qualityflow.storage.Storage.genealogy_lock`), so of two racing links
        that together would close a cycle, one commits and the other is refused.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> kg = lambda n: qf.Quantity(amount=n, unit="kg")
        >>> _ = qms.batches.add(qf.Batch(id="SUGAR-1", kind="raw_material", product="sugar",
        ...                              quantity=kg(100)))
        >>> _ = qms.batches.add(qf.Batch(id="MIX-9", kind="intermediate", product="dough",
        ...                              quantity=kg(300)))
        >>> qms.link("SUGAR-1", "MIX-9", kg(40))
        >>> sorted(qms.trace_forward("SUGAR-1").ids)
        ['MIX-9']

        """
        storage = self.storage
        # The genealogy lock makes the cycle check and the insert one atomic step across
        # instances: racing link(A, B) and link(B, A) never both commit.
        with storage.genealogy_lock():
            bulk = as_bulk(storage)
            if bulk is not None:  # both ends in one round trip
                ends = bulk.lookup("batch", (input_id, output_id), data=True)
                for end in (input_id, output_id):
                    if end not in ends:
                        raise _not_on_file(end, input_id, output_id)
                lot = Batch.model_validate_json(ends[input_id].data)
            else:
                lot = self._batch_for_link(input_id, input_id, output_id)
                self._batch_for_link(output_id, input_id, output_id)
            blockers = link_blockers(lot, self._supplier_of(lot), override)
            if blockers:
                raise GenealogyError(
                    f"cannot link {input_id!r} into {output_id!r}: " + "; ".join(blockers)
                )
            if input_id == output_id or input_id in storage.reach([output_id], "forward"):
                raise GenealogyError(
                    f"cannot link {input_id!r} into {output_id!r}: {output_id!r} already "
                    f"goes into {input_id!r}, so the link would make a cycle"
                )
            storage.add_edge(
                Edge(
                    input_id,
                    output_id,
                    quantity,
                    "link",
                    None if override is None else override.model_dump(mode="json"),
                )
            )

    def _batch_for_link(self, id: str, input_id: str, output_id: str) -> Batch:
        try:
            found = self.storage.get("batch", id)
        except NotFoundError:
            raise _not_on_file(id, input_id, output_id) from None
        assert isinstance(found, Batch)
        return found

    def link_many(self, rows: Iterable[LinkRow]) -> int:
        """Record many links at once: all of them, or (on any bad row) none.

        Each row is ``(input_id, output_id, quantity_or_None)`` or ``(input_id,
        output_id, quantity_or_None, override_or_None)``. The rules are :meth:`link`'s:
        both ends are batches on file, the input lot is not held or from a blocked
        supplier (unless the row's :class:`~qualityflow.LinkOverride` lifts that), no
        self-links, no pair given twice or already linked, and no cycle made by the set
        together with the stored genealogy. The set succeeds exactly when linking its
        rows one by one, in any order, would. The checks are set-based (one query per
        few thousand ids, one recursive query for the cycle check) and the links go in
        with ``executemany`` under the genealogy lock, one ledger entry each.

        Returns how many links were recorded.

        Raises
        ------
        RowsRefused
            (a :class:`~qualityflow.GenealogyError`) naming every bad row: its position
            ``rows[n]``, its ids, what is wrong and how to fix it; nothing was written.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> kg = qf.Quantity(amount=50, unit="kg")
        >>> _ = qms.batches.add_many(
        ...     qf.Batch(id=i, kind=k, product=i.lower(), quantity=kg)
        ...     for i, k in [("FLOUR-1", "raw_material"), ("MIX-1", "intermediate"),
        ...                  ("BISC-1", "finished")])
        >>> qms.link_many([("FLOUR-1", "MIX-1", kg), ("MIX-1", "BISC-1", None)])
        2
        >>> try:
        ...     qms.link_many([("BISC-1", "FLOUR-1", None), ("MIX-1", "GHOST-7", None)])
        ... except qf.GenealogyError as refused:
        ...     print(refused)  # doctest: +NORMALIZE_WHITESPACE
        qms.link_many: 2 of 2 row(s) refused, nothing was written; fix or drop these rows
        and call it again:
          rows[0] ('BISC-1' -> 'FLOUR-1'): would close the cycle 'BISC-1' -> 'FLOUR-1'
          -> ... -> 'BISC-1' and links on file (-> ... ->); links run from input to
          output: check the direction, or drop one of these rows
          rows[1] ('MIX-1' -> 'GHOST-7'): batch 'GHOST-7' is not on file; add it first

        """
        from qualityflow.service.bulk import link_many

        return link_many(self, rows)

    @property
    def genealogy(self) -> Genealogy:
        """The whole stored genealogy as a :class:`qualityflow.Genealogy` (loads it all).

        For one lot's questions use :meth:`trace_forward`, :meth:`trace_backward`,
        :meth:`recall_impact`, :meth:`common_causes` or :meth:`local_genealogy`, which
        load only what the lots reach and give the same answers.
        """
        return self._genealogy_of(None)

    # -- answers from the database -----------------------------------------------------
    # The storage answers which ids a question reaches (a recursive, indexed query on the
    # SQL backends) and only those records are loaded into a Genealogy. Links are loaded
    # in one canonical order (by input id, then output id) for the whole genealogy and for
    # every part of it, so that a trace's breadth-first order and ``path_to`` are the same
    # whichever part was loaded (and on every backend).

    def _genealogy_of(
        self, nodes: set[str] | None, every_batch: list[Batch] | None = None
    ) -> Genealogy:
        """Load ``nodes`` (None: everything) and the links among them.

        ``every_batch`` is every stored batch, ordered by id, when the caller has read
        them already (they are then not read again).
        """
        storage = self.storage
        ids = None if nodes is None else sorted(nodes)
        if ids is not None and not ids:
            return Genealogy()
        shipments = [s for s in storage.list("shipment", ids=ids) if isinstance(s, Shipment)]
        wanted = nodes
        if nodes is not None:
            # A shipment comes with the batch it ships (a forward trace from a shipment
            # reaches nothing, but the genealogy holds a shipment only beside its batch).
            wanted = nodes.union(s.batch_id for s in shipments)
            ids = sorted(wanted)
        if every_batch is None:
            batches = [b for b in storage.list("batch", ids=ids) if isinstance(b, Batch)]
        elif wanted is None:
            batches = every_batch
        else:
            batches = [b for b in every_batch if b.id in wanted]
        links = [
            (e.input_id, e.output_id, e.quantity)
            for e in storage.edges(among=nodes)
            if e.kind == "link"
        ]
        links.sort(key=_link_key)
        if nodes is not None and len(batches) + len(shipments) + len(links) <= _SMALL_PART:
            # A lot's trace: built one record at a time, whose cycle checks are a few
            # steps of networkx each, instead of the bulk build's, which imports scipy
            # (a third of a second in a fresh process, for a dozen nodes).
            part = Genealogy()
            for batch in batches:
                part.add_batch(batch)
            for shipment in shipments:
                part.add_shipment(shipment)
            part.link_many(links)
            return part
        # No gc.freeze() here: a long-running application rebuilds genealogies again and
        # again, and freezing would keep every one of them (and its garbage) alive.
        return Genealogy.build(batches, links, shipments, freeze=False)

    def known(self, *ids: str) -> frozenset[str]:
        """Return which of ``ids`` are stored batches or shipments (genealogy nodes).

        One indexed look-up per kind on the SQL backends; nothing else is loaded. The
        command line uses it to name unknown ids before tracing.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> _ = qms.batches.add(qf.Batch(id="SUGAR-1", kind="raw_material", product="sugar",
        ...                              quantity=qf.Quantity(amount=100, unit="kg")))
        >>> sorted(qms.known("SUGAR-1", "SALT-9"))
        ['SUGAR-1']

        """
        wanted = set(ids)
        if not wanted:
            return frozenset()
        storage = self.storage
        found = {e.id for e in storage.list("batch", ids=wanted)}
        found.update(e.id for e in storage.list("shipment", ids=wanted - found))
        return frozenset(found)

    def local_genealogy(
        self,
        *ids: str,
        downstream: bool = True,
        upstream: bool = False,
        inputs: bool = False,
    ) -> Genealogy:
        """Load the part of the stored genealogy that questions about ``ids`` need.

        ``downstream`` loads everything downstream of ``ids``, ``upstream`` everything
        upstream of them, and ``inputs`` also everything upstream of what was reached, so
        that every loaded batch has all its inputs (what the FSMA 204 sheet's
        transformation rows list). The stored ids among ``ids`` are included; unknown ids
        are not (the genealogy's own questions then name them). Traces, recall impacts
        and exports asked of the result about ``ids`` equal those asked of the whole
        :attr:`genealogy`: same ids, same order, same paths.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> kg = lambda n: qf.Quantity(amount=n, unit="kg")
        >>> for id, kind in [("SUGAR-1", "raw_material"), ("SALT-1", "raw_material"),
        ...                  ("MIX-9", "intermediate")]:
        ...     _ = qms.batches.add(qf.Batch(id=id, kind=kind, product=id.lower(),
        ...                                  quantity=kg(100)))
        >>> qms.link("SUGAR-1", "MIX-9"); qms.link("SALT-1", "MIX-9")
        >>> sorted(qms.local_genealogy("SUGAR-1"))
        ['MIX-9', 'SUGAR-1']
        >>> sorted(qms.local_genealogy("SUGAR-1", inputs=True))
        ['MIX-9', 'SALT-1', 'SUGAR-1']

        """
        storage = self.storage
        nodes: set[str] = set()
        if downstream:
            nodes |= storage.reach(ids, "forward")
        if upstream:
            nodes |= storage.reach(ids, "backward")
        if not (downstream or upstream):
            nodes |= self.known(*ids)
        if inputs and nodes:
            nodes |= storage.reach(nodes, "backward")
        return self._genealogy_of(nodes)

    def trace_forward(self, *ids: str, depth: int | None = None) -> Trace:
        """Everything downstream of ``ids``, loading only what they reach.

        The storage answers which ids are reached (a recursive SQL query on the SQL
        backends), and only those records are loaded into a :class:`~qualityflow.Genealogy`.
        The answer equals ``qms.genealogy.trace_forward(*ids, depth=depth)``: the same ids
        in the same order, the same :meth:`~qualityflow.Trace.path_to`, the same error for
        unknown ids. The trace's :attr:`~qualityflow.Trace.subgraph` holds the records of
        the starting and reached ids (kind, product, status, customer, region, ...).
        ``depth`` limits the steps as in :meth:`qualityflow.Genealogy.trace_forward` (what
        is loaded is still the whole downstream).
        """
        nodes = self.storage.reach(ids, "forward")
        return self._genealogy_of(nodes).trace_forward(*ids, depth=depth)

    def trace_backward(self, *ids: str, depth: int | None = None) -> Trace:
        """Everything upstream of ``ids``, loading only what they reach.

        Equal to ``qms.genealogy.trace_backward(*ids, depth=depth)``; see
        :meth:`trace_forward`.
        """
        nodes = self.storage.reach(ids, "backward")
        return self._genealogy_of(nodes).trace_backward(*ids, depth=depth)

    def recall_impact(self, *suspect_ids: str) -> RecallImpact:
        """Find the batches, shipments, customers and quantities a recall of the suspects hits.

        Loads only what the suspects reach; equal to ``qms.genealogy.recall_impact(...)``.
        """
        nodes = self.storage.reach(suspect_ids, "forward")
        return self._genealogy_of(nodes).recall_impact(*suspect_ids)

    def common_causes(self, *batch_ids: str, top: int = 10) -> list[CommonCause]:
        """Upstream lots, suppliers and lines shared by the given batches, best first.

        Equal to ``qms.genealogy.common_causes(...)``, but only the part of the genealogy
        the answer depends on is loaded: the upstream of the given batches, and for the
        specificity of each candidate, the downstream of the candidate lots and of every
        lot of a candidate supplier or line.
        """
        storage = self.storage
        upstream = storage.reach(batch_ids, "backward")
        near = self._genealogy_of(upstream)
        if top < 1 or not batch_ids or any(b not in near for b in batch_ids):
            return near.common_causes(*batch_ids, top=top)  # raises the genealogy's error
        given = set(batch_ids)
        least = min(2, len(given))
        lot_reach: dict[str, int] = {}
        supplier_reach: dict[str, int] = {}
        line_reach: dict[str, int] = {}
        for b in given:
            seen = near.trace_backward(b).ids
            for lot in seen:
                lot_reach[lot] = lot_reach.get(lot, 0) + 1
            records = [near.entity(node) for node in (b, *seen)]
            found = [r for r in records if isinstance(r, Batch)]
            for key in {r.supplier_id for r in found if r.supplier_id is not None}:
                supplier_reach[key] = supplier_reach.get(key, 0) + 1
            for key in {r.line for r in found if r.line is not None}:
                line_reach[key] = line_reach.get(key, 0) + 1
        sources = {lot for lot, n in lot_reach.items() if n >= least}
        suppliers = {key for key, n in supplier_reach.items() if n >= least}
        lines = {key for key, n in line_reach.items() if n >= least}
        every: list[Batch] | None = None
        if suppliers or lines:
            # Every lot of a candidate supplier or line counts towards its specificity:
            # found through the field index (one query per supplier and line) where the
            # storage has one, else by reading every batch once.
            if isinstance(storage, ListingStorage):
                wheres = [{"supplier_id": key} for key in sorted(suppliers)]
                wheres += [{"line": key} for key in sorted(lines)]
                for where in wheres:
                    sources.update(b.id for b in storage.iter_list("batch", where=where))
                total = storage.count("batch")
            else:
                every = [b for b in storage.list("batch") if isinstance(b, Batch)]
                sources.update(b.id for b in every if b.supplier_id in suppliers or b.line in lines)
                total = len(every)
            if _WHOLE_PLANT * len(sources) > total:
                # A candidate feeds much of the plant (a utility lot, the one supplier of
                # a raw material, the main line): its downstream is most of the genealogy,
                # and one load of the whole costs less than tracing from every source.
                return self._genealogy_of(None, every).common_causes(*batch_ids, top=top)
        nodes = upstream | storage.reach(sources, "forward") if sources else upstream
        if nodes == upstream:
            return near.common_causes(*batch_ids, top=top)
        return self._genealogy_of(nodes, every).common_causes(*batch_ids, top=top)

    # -- release rules -----------------------------------------------------------------

    def _batch_on_file(self, id: str, what: str) -> Batch:
        try:
            found = self.storage.get("batch", id)
        except NotFoundError as exc:
            exc.args = (f"{what}: batch {id!r} is not on file; add it first (qms.batches.add)",)
            raise
        assert isinstance(found, Batch)
        return found

    def _supplier_of(self, batch: Batch) -> Supplier | None:
        if not batch.supplier_id:
            return None
        try:
            found = self.storage.get("supplier", batch.supplier_id)
        except NotFoundError:
            return None
        return found if isinstance(found, Supplier) else None

    def _containing_incidents(self, batch_id: str) -> list[str]:
        """Why an open incident keeps ``batch_id`` held (empty when none does)."""
        reasons = []
        for incident in self.incidents.list(status=_OPEN_INCIDENT):
            held = {a.batch_id for a in incident.containment}
            if incident.recall is not None:
                held.update(incident.recall.batch_ids)
            if batch_id in held:
                reasons.append(
                    f"batch {batch_id} is contained by open incident {incident.id}; it stays "
                    "held until that incident is closed or cancelled"
                )
        return reasons

    def _status_changed(
        self, batch: Batch, before: BatchStatus, *, by: str, reason: str, at: datetime, **extra: Any
    ) -> tuple[Batch, list[Queued]]:
        """Record a hold or release on the batch, save it and queue ``batch_status``."""
        previous = batch.attributes.get(STATUS_CHANGES)
        entries = list(previous) if isinstance(previous, list) else []
        entry: dict[str, Any] = {
            "at": at.isoformat(),
            "by": by,
            "from": before.value,
            "to": batch.status.value,
            "reason": reason,
            **extra,
        }
        batch.attributes = {**batch.attributes, STATUS_CHANGES: [*entries, entry]}
        saved = self.storage.save(batch)
        assert isinstance(saved, Batch)
        notice = notices.notice(
            self.locale,
            notices.message(
                N_("Batch {batch} ({product}): {before} -> {after}"),
                labels=("before", "after"),
                batch=batch.id,
                product=batch.product,
                before=before.value,
                after=batch.status.value,
            ),
            [
                notices.line(reason),
                notices.message(N_("by {by} at {at}"), by=by, at=at.isoformat()),
            ],
            kind="batch_status",
            subject_kind="batch",
            subject_id=batch.id,
            at=at,
            id=f"batch_status:{batch.id}:{saved.version}",
            audit_head=self.audit.head(),
        )
        return saved, [self._enqueue(notice)]

    # -- retained samples and training -------------------------------------------------

    def samples_for(
        self,
        subject: Incident | Complaint | str | Iterable[str],
        *,
        include_disposed: bool = False,
    ) -> list[RetainedSample]:
        """Find the retained samples of a case's batches and of every lot upstream of them.

        ``subject`` is an incident or complaint (its ``batch_ids``), a batch id or batch
        ids. The stored genealogy is followed upstream, so the samples of the flour and
        packaging lots that went into a complained batch are found too.

        Examples
        --------
        >>> from datetime import datetime, timezone
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> t = datetime(2026, 3, 2, tzinfo=timezone.utc)
        >>> for id, kind in [("FLOUR-1", "raw_material"), ("BISC-1", "finished")]:
        ...     _ = qms.batches.add(qf.Batch(id=id, kind=kind, product=id.lower(),
        ...                                  quantity=qf.Quantity(amount=10, unit="kg")))
        ...     _ = qms.samples.add(qf.RetainedSample(id=f"RS-{id}", batch_id=id,
        ...         location="retain room", taken_at=t, retain_until=t,
        ...         quantity=qf.Quantity(amount=1, unit="kg")))
        >>> qms.link("FLOUR-1", "BISC-1")
        >>> [s.id for s in qms.samples_for("BISC-1")]
        ['RS-BISC-1', 'RS-FLOUR-1']

        """
        if isinstance(subject, (Incident, Complaint)):
            ids = set(subject.batch_ids)
        elif isinstance(subject, str):
            ids = {subject}
        else:
            ids = set(subject)
        wanted = ids | self.storage.reach(ids, "backward") if ids else set()
        return samples_for(wanted, self.samples.list(), include_disposed=include_disposed)

    def samples_due(self, now: datetime | None = None) -> list[RetainedSample]:
        """List retained samples past retention, not disposed and not needed by an open case.

        Samples of the batches of open incidents and complaints, and of the lots upstream
        of them, are kept off the list whatever their date (:meth:`samples_for` of an
        open case would still find them).
        """
        when = now or datetime.now(timezone.utc)
        open_cases: list[Incident | Complaint] = [
            *self.incidents.list(status=_OPEN_INCIDENT),
            *self.complaints.list(status=_OPEN_COMPLAINT),
        ]
        held = {batch_id for case in open_cases for batch_id in case.batch_ids}
        keep = held | self.storage.reach(held, "backward") if held else set()
        return samples_due_for_disposal(self.samples.list(), when, keep_batch_ids=keep)

    def open_training(self, incident: Incident | str | None = None) -> list[OpenTraining]:
        """List who is still to be trained, for every stored requirement or one incident's.

        With ``incident`` (an :class:`~qualityflow.Incident` or its id), only the
        requirements of its corrective and preventive actions count.
        """
        requirements = self.training_requirements.list()
        if incident is not None:
            case = self.incidents.get(incident) if isinstance(incident, str) else incident
            action_ids = {a.id for a in case.actions}
            requirements = [r for r in requirements if r.action_id in action_ids]
        return open_training(requirements, self.training_records.list())

    def lesson_open(self, incident: Incident | str) -> bool:
        """Tell whether an incident's lesson is open (somebody its actions require is untrained)."""
        case = self.incidents.get(incident) if isinstance(incident, str) else incident
        return lesson_open(case, self.training_requirements.list(), self.training_records.list())

    # -- containment -------------------------------------------------------------------

    def _contain(
        self,
        incident: Incident,
        trigger: str,
        record: TransitionRecord,
        before_actions: set[tuple[str, ContainmentKind]],
        before_recall: object,
    ) -> None:
        targets: dict[str, BatchStatus] = {}

        def demand(batch_id: str, status: BatchStatus) -> None:
            current = targets.get(batch_id)
            if current is None or _STRICTNESS[status] > _STRICTNESS[current]:
                targets[batch_id] = status

        for action in incident.containment:
            if trigger == "contain" or (action.batch_id, action.action) not in before_actions:
                demand(action.batch_id, CONTAINMENT_STATUS[action.action])
        if incident.recall is not None and (
            trigger == "contain" or incident.recall != before_recall
        ):
            for batch_id in incident.recall.batch_ids:
                demand(batch_id, BatchStatus.RECALLED)
        if not targets:
            return
        batches = {b.id: b for b in self.batches.list(ids=targets)}
        missing = sorted(set(targets) - set(batches))
        if missing:
            raise TransitionError(
                trigger,
                record.source,
                [
                    f"containment names batch(es) {', '.join(missing)}, which are not on "
                    "file: add them (qms.batches.add) so their status can be set"
                ],
            )
        recalled = set(incident.recall.batch_ids) if incident.recall is not None else set()
        queued: list[Queued] = []
        for batch_id, status in sorted(targets.items()):
            batch = batches[batch_id]
            before = batch.status
            if _STRICTNESS[status] > _STRICTNESS[before]:
                batch.status = status
                why = (
                    f"recall decided by incident {incident.id}"
                    if status is BatchStatus.RECALLED and batch_id in recalled
                    else f"contained by incident {incident.id} ({trigger})"
                )
                _, notices = self._status_changed(
                    batch,
                    before,
                    by=record.actor,
                    reason=why,
                    at=record.at,
                    incident=incident.id,
                    trigger=trigger,
                )
                queued += notices
        collected = getattr(self._collector, "queued", None)
        if collected is not None:
            collected.extend(queued)
        # else: left in the outbox for deliver_pending()

    def _link_complaint(self, complaint: Complaint, trigger: str, record: TransitionRecord) -> None:
        """Close the loop both ways: the incident lists the complaint escalated to it."""
        assert complaint.incident_id is not None
        try:
            incident = self.incidents.get(complaint.incident_id)
        except NotFoundError:
            raise TransitionError(
                trigger,
                record.source,
                [
                    f"incident {complaint.incident_id!r} is not on file: add it first "
                    "(qms.incidents.add), then escalate the complaint to it"
                ],
            ) from None
        if complaint.id not in incident.complaint_ids:
            stored = incident.model_copy()
            incident.complaint_ids = [*incident.complaint_ids, complaint.id]
            changes = field_changes(stored, incident)
            amended = self.incidents._amended(
                stored,
                incident,
                changes,
                actor=record.actor,
                reason=f"complaint {complaint.id} escalated to it",
                at=record.at,
            )
            self.storage.save(amended)

    # -- notifications -----------------------------------------------------------------

    def _transition_notice(
        self, kind: str, entity: Incident | Complaint, record: TransitionRecord
    ) -> Notification:
        title, body = notices.transition_lines(kind, entity.id, record)
        return notices.notice(
            self.locale,
            title,
            body,
            kind="transition",
            subject_kind=kind,
            subject_id=entity.id,
            severity=entity.severity,
            at=record.at,
            id=f"transition:{kind}:{entity.id}:{len(entity.history)}",
            audit_head=self.audit.head(),
        )

    def _recall_notice(self, incident: Incident, record: TransitionRecord) -> Notification:
        recall = incident.recall
        assert recall is not None
        batches = ", ".join(recall.batch_ids)
        return notices.notice(
            self.locale,
            notices.message(
                N_("Recall decided for incident {id}: {batches}"), id=incident.id, batches=batches
            ),
            [
                notices.message(N_("Reason: {reason}"), reason=recall.reason),
                notices.message(N_("Batches: {batches}"), batches=batches),
                notices.message(
                    N_("Customers: {customers}"), customers=", ".join(recall.customer_ids)
                )
                if recall.customer_ids
                else None,
            ],
            kind="recall",
            subject_kind="incident",
            subject_id=incident.id,
            severity=incident.severity,
            at=record.at,
            id=f"recall:{incident.id}:{len(incident.history)}",
            audit_head=self.audit.head(),
        )

    # -- deadlines ---------------------------------------------------------------------

    def _deadline_policy(self) -> DeadlinePolicy:
        """Return the deadline policy: the plugins' hook, else the defaults."""
        return _HookPolicy(self.plugins)

    _overdue_deadlines: _DeadlineCache | None = None

    def overdue(self, now: datetime | None = None) -> list[Deadline]:
        """List the breached deadlines of open incidents, complaints, recalls and SCARs.

        Deadlines come from the ``qualityflow_deadline_policy`` hook, else
        :class:`qualityflow.DefaultDeadlinePolicy`. Each breached deadline is notified
        (``overdue``) once, however often this is called, and by however many instances
        at the same time: the outbox insert is idempotent on every backend, and a breach
        already queued is neither queued nor delivered again.

        Repeat calls cost about the comparison with ``now``: the instance keeps each open
        incident's, complaint's and SCAR's deadlines per stored version and, on storages
        that can say which versions are stored (every built-in one), loads and asks the
        policy again only for entities added or changed since. The comparison with
        ``now`` is made on every call, so a clock moving on finds the new breaches. The
        kept deadlines are dropped when a ``qualityflow_deadline_policy`` plugin is
        registered or unregistered; a plugin whose deadlines depend on anything but the
        entity (a calendar it reloads, say) should be registered anew when that changes.

        Examples
        --------
        >>> import qualityflow as qf
        >>> from datetime import datetime, timedelta, timezone
        >>> t0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
        >>> qms = qf.QualityFlow()
        >>> _ = qms.incidents.add(qf.Incident(id="INC-3", title="Loose eyes on teddy bears",
        ...                                   severity="major", reported_at=t0))
        >>> [d.what for d in qms.overdue(t0 + timedelta(hours=30))]
        ['assess']

        """
        when = now or datetime.now(timezone.utc)
        find_overdue([], when)  # the same clear refusal of a naive ``now``
        cache = self._overdue_deadlines
        if cache is None:
            with _OVERDUE_CACHE_LOCK:
                cache = self._overdue_deadlines
                if cache is None:
                    cache = self._overdue_deadlines = _DeadlineCache()
        session = getattr(self.storage, "session", None)  # SQL: one connection for all
        with nullcontext() if session is None else session():
            found = cache.breaches(self.storage, self.plugins, when)
            # recalls: their legal clocks (the hook first, see qms.recalls)
            found.extend((d, _overdue_id(d)) for d in self.recalls.overdue(when))
            found.sort(key=lambda p: (-(p[0].late_by or timedelta(0)), p[0].subject_id, p[0].what))
            self._queue_overdue(found, when)
        return [breach for breach, _ in found]

    def _queue_overdue(self, breaches: list[tuple[Deadline, str]], when: datetime) -> None:
        """Queue and deliver the notices of the breaches not queued before (set-based).

        ``breaches`` pairs each breach with its notice id (:func:`_overdue_id`).
        """
        storage = self.storage
        known: set[str] = set()
        if breaches and isinstance(storage, IncrementalStorage):
            known = storage.queued([id for _, id in breaches])
        fresh = [breach for breach, id in breaches if id not in known]
        if not fresh:
            return  # nothing new: no write, no delivery
        head = self.audit.head()  # overdue notices change nothing: the head stays
        overdue_notices = [_overdue_notice(breach, when, head, self.locale) for breach in fresh]
        queued: list[Queued] = []
        for attempt in range(_OVERDUE_ATTEMPTS):
            try:
                queued = self._enqueue_many(overdue_notices)
                break
            except ConcurrencyError:
                # Another instance queued the same notices at the same moment and the
                # database broke the tie by undoing this transaction (MariaDB's unique
                # key locks can deadlock). Queueing is idempotent: run it again, and
                # what the other committed is skipped.
                if attempt == _OVERDUE_ATTEMPTS - 1:
                    raise
                time.sleep(0.01 * (attempt + 1))
        self._deliver_new(queued)


_OVERDUE_ATTEMPTS = 5
_WHOLE_PLANT = 4  # common_causes loads the whole genealogy when 1/4 of the lots feed it
# A loaded part of at most this many records and links is built one by one (see
# _genealogy_of); below the genealogy index's merge threshold, so both builds order alike.
_SMALL_PART = 1000
_OVERDUE_CACHE_LOCK = threading.Lock()


def _not_on_file(id: str, input_id: str, output_id: str) -> GenealogyError:
    return GenealogyError(
        f"cannot link {input_id!r} into {output_id!r}: batch {id!r} is not on file; add it first"
    )


class _HookPolicy:
    """Deadlines from the ``qualityflow_deadline_policy`` hook, else the defaults."""

    def __init__(self, plugins: Plugins) -> None:
        self._plugins = plugins
        self._default = DefaultDeadlinePolicy()

    def deadlines(self, entity: Incident | Complaint | SupplierAction) -> list[Deadline]:
        chosen = self._plugins.deadline_policy(entity)
        return self._default.deadlines(entity) if chosen is None else chosen


_OPEN_INCIDENT = [s.value for s in IncidentStatus if s.value not in ("closed", "cancelled")]
_OPEN_COMPLAINT = [s.value for s in ComplaintStatus if s.value not in ("closed", "rejected")]
_OPEN_KINDS: tuple[tuple[str, list[str]], ...] = (
    ("incident", _OPEN_INCIDENT),
    ("complaint", _OPEN_COMPLAINT),
    ("supplier_action", list(OPEN_SCAR_STATUSES)),
)
_NOT_LATE = timedelta(0)

# (stored version, its deadlines, each with its notice id)
_Cached = tuple[int, tuple[tuple[Deadline, str], ...]]


class _DeadlineCache:
    """One service instance's deadlines of the open incidents, complaints and SCARs.

    A deadline depends only on the entity's content and the policy, so the deadlines are
    kept per ``(kind, id)`` with the version they were computed for. Each call asks the
    storage for the open entities' versions (an index read), reuses what is kept for an
    unchanged version and loads and computes the rest; entities no longer open are
    forgotten, so the cache never holds more than the open set. Everything kept is
    dropped when the hook's implementations change (a plugin registered or removed).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._policy_key: tuple[object, ...] | None = None
        self._kept: dict[tuple[str, str], _Cached] = {}

    def breaches(
        self, storage: Storage, plugins: Plugins, now: datetime
    ) -> list[tuple[Deadline, str]]:
        """Return the breaches at ``now`` (``late_by`` set, unsorted) with their notice ids."""
        policy_key = tuple(
            impl.function for impl in plugins.pm.hook.qualityflow_deadline_policy.get_hookimpls()
        )
        with self._lock:
            kept = self._kept if policy_key == self._policy_key else {}
        policy = _HookPolicy(plugins)
        current: dict[tuple[str, str], _Cached] = {}
        for kind, statuses in _OPEN_KINDS:
            if isinstance(storage, IncrementalStorage):
                stale: list[str] = []
                stored = storage.versions(kind, status=statuses)
                for id, version in stored.items():
                    hit = kept.get((kind, id))
                    if hit is not None and hit[0] == version:
                        current[(kind, id)] = hit
                    else:
                        stale.append(id)
                if len(stale) * 2 > len(stored):  # mostly new (a first call): one scan
                    loaded = storage.list(kind, status=statuses)
                else:
                    loaded = storage.list(kind, status=statuses, ids=stale) if stale else []
            else:  # a backend that cannot say: load everything, compute what changed
                loaded = storage.list(kind, status=statuses)
            for entity in loaded:
                key = (kind, entity.id)
                hit = kept.get(key)
                if hit is None or hit[0] != entity.version:
                    assert isinstance(entity, Incident | Complaint | SupplierAction)
                    hit = (
                        entity.version,
                        tuple((d, _overdue_id(d)) for d in policy.deadlines(entity)),
                    )
                current[key] = hit
        with self._lock:
            self._kept, self._policy_key = current, policy_key
        late: list[tuple[Deadline, str]] = []
        for _key, deadlines in current.values():
            for deadline, id in deadlines:
                late_by = (deadline.met_at or now) - deadline.due
                if late_by > _NOT_LATE:
                    late.append((deadline.model_copy(update={"late_by": late_by}), id))
        return late


def _overdue_id(deadline: Deadline) -> str:
    """Return the notice's logical key: one per entity, step and due time."""
    due = deadline.due.isoformat()
    return f"overdue:{deadline.subject_kind}:{deadline.subject_id}:{deadline.what}:{due}"


_OVERDUE_TITLES = {
    "incident": N_("Incident {id}: {what} overdue (due {due})"),
    "complaint": N_("Complaint {id}: {what} overdue (due {due})"),
    "supplier_action": N_("Supplier action {id}: {what} overdue (due {due})"),
    "recall": N_("Recall {id}: {what} overdue (due {due})"),
}


def _overdue_notice(
    deadline: Deadline, now: datetime, audit_head: str = "", locale: str | None = None
) -> Notification:
    kind = deadline.subject_kind
    due = deadline.due.isoformat()
    title = notices.message(
        _OVERDUE_TITLES[kind],
        labels=("what",),
        id=deadline.subject_id,
        what=deadline.what,
        due=due,
    )
    with using(locale):
        body = str(deadline)
    return notices.notice(
        locale,
        title,
        [notices.line(body)],
        kind="overdue",
        subject_kind=kind,
        subject_id=deadline.subject_id,
        severity=deadline.severity,
        at=now,
        id=_overdue_id(deadline),
        audit_head=audit_head,
    )


_FALSE = frozenset({"false", "0", "no", "off"})
_TRUE = frozenset({"true", "1", "yes", "on"})


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _link_key(link: tuple[str, str, Quantity | None]) -> tuple[str, str]:
    """Return the sort key of a loaded link: its input id, then its output id."""
    return link[0], link[1]


def _flag(settings: Mapping[str, str | bool] | None, key: str, default: bool) -> bool:
    """Read a yes/no setting; anything unclear is refused rather than guessed."""
    if settings is None or key not in settings:
        return default
    value = settings[key]
    if isinstance(value, bool):
        return value
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise QualityFlowError(
        f"setting {key}={value!r} is not a yes/no value: use true or false (1/0, yes/no)"
    )
