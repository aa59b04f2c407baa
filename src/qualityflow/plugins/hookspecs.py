"""The hook specifications: the contract between qualityflow and its plugins.

Every hook is prefixed ``qualityflow_``. A plugin is any object or module with functions
marked ``@qf.hookimpl`` whose names match these specifications; it is registered either
through the ``qualityflow`` entry-point group or with ``qf.QualityFlow(plugins=[...])``.
Each docstring below is the reference text for its hook (see ``docs/plugins.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qualityflow.lifecycle import Deadline
from qualityflow.models import Notification, TransitionRecord
from qualityflow.people import Actor
from qualityflow.plugins import hookspec
from qualityflow.prevention import SupplierPolicy

__all__ = [
    "qualityflow_authenticate",
    "qualityflow_authorize",
    "qualityflow_deadline_policy",
    "qualityflow_extra_guards",
    "qualityflow_notify",
    "qualityflow_register_blobstore",
    "qualityflow_register_publisher",
    "qualityflow_register_storage",
    "qualityflow_resolve_actor",
    "qualityflow_supplier_policy",
    "qualityflow_transitioned",
]


@hookspec
def qualityflow_register_storage(register: Callable[[str, Callable[[str], Any]], None]) -> None:
    """Register storage backends by URL scheme.

    Call ``register(scheme, factory)`` once per backend, where ``factory(url)`` returns an
    object satisfying :class:`qualityflow.storage.Storage`. The built-in backends
    (``memory``, ``sqlite``, ``postgresql``, ``mysql``) register through this same hook,
    last, so a plugin registering one of those schemes replaces the built-in.

    :param register: the host's callback; it checks the scheme and the factory.
    """


@hookspec
def qualityflow_register_publisher(
    register: Callable[[str, Callable[[str], Any]], None],
) -> None:
    """Register outbox relay publishers (message brokers) by URL scheme.

    Call ``register(scheme, factory)`` once per broker, where ``factory(url)`` returns a
    publisher: an object with ``publish(events) -> None`` (return only once the broker has
    acknowledged every event, raise otherwise: the relay then retries them all) and
    ``close() -> None``. Each event is a :class:`qualityflow.relay.RelayEvent` (``id``,
    ``type``, ``subject``, ``body``: the CloudEvents JSON bytes). The built-ins (``nats``,
    ``amqp``, ``redis``) register through this same hook, last, so a plugin registering
    one of those schemes replaces the built-in. Used by ``qualityflow relay --to URL``.

    :param register: the host's callback; it checks the scheme and the factory.
    """


@hookspec
def qualityflow_notify(notification: Notification) -> None:
    """Deliver one notification (e-mail, chat, webhook, log...).

    Called after the change that produced it has committed, in the calling thread, before
    the service call returns. Every implementation is called separately: an exception is
    recorded against this notifier only and the delivery retried later by
    ``QualityFlow.deliver_pending()``; it never rolls back the change and never stops the
    other notifiers.

    :param notification: what happened (``kind`` is ``transition``, ``recall``,
        ``overdue``, ``supplier_status`` or ``batch_status``), about which entity, for
        whom.
    """


@hookspec
def qualityflow_transitioned(entity: Any, record: TransitionRecord) -> None:
    """React to a lifecycle transition after it has committed.

    An exception is logged and ignored: the transition stands.

    :param entity: the incident or complaint as saved, its new state in ``status``.
    :param record: the transition's audit record (actor, trigger, source, dest, note).
    """


@hookspec
def qualityflow_extra_guards(lifecycle: Any, trigger: str, entity: Any) -> list[str]:
    """Add company rules to a lifecycle trigger.

    Return the reasons why ``trigger`` must not fire now (an empty list when it may); any
    reason from any plugin blocks the trigger and joins the built-in guards' reasons in
    the :class:`qualityflow.TransitionError`.

    :param lifecycle: ``qf.INCIDENT_LIFECYCLE`` or ``qf.COMPLAINT_LIFECYCLE``.
    :param trigger: the trigger asked for, e.g. ``"close"``.
    :param entity: the incident or complaint with the call's data already applied.
    :return: human-readable unmet conditions.
    """
    raise NotImplementedError  # pragma: no cover - specification only


@hookspec(firstresult=True)
def qualityflow_deadline_policy(entity: Any) -> list[Deadline] | None:
    """Give an open case's deadlines (incident, complaint, recall, SCAR), replacing the defaults.

    Stops at the first non-``None`` result; return ``None`` to leave the entity to the
    next plugin or to the built-in ``DefaultDeadlinePolicy`` (for a recall: the legal
    clocks stored with it, ``RecallDeadlinePolicy``).

    :param entity: an open incident, complaint, recall or supplier action (SCAR); check its
        type and return ``None`` for kinds the plugin does not handle.
    :return: its deadlines (``qf.Deadline``), or ``None``.
    """
    raise NotImplementedError  # pragma: no cover - specification only


@hookspec(firstresult=True)
def qualityflow_supplier_policy() -> SupplierPolicy | None:
    """Give the policy that recommends a supplier status from its evaluation.

    Stops at the first non-``None`` result; return ``None`` to leave the choice to the
    next plugin or to the built-in ``DefaultSupplierPolicy``. The policy is any object with
    ``recommend(evaluation, supplier) -> SupplierStatus``; it is asked by
    ``qms.suppliers.recommend(id)``. A recommendation is not a decision: the status still
    changes only through ``qms.suppliers.decide(...)``.

    :return: a ``qf.SupplierPolicy``, or ``None``.
    """
    raise NotImplementedError  # pragma: no cover - specification only


@hookspec(firstresult=True)
def qualityflow_resolve_actor(actor_id: str) -> Actor | None:
    """Turn an actor id given as a plain string into an :class:`qualityflow.Actor`.

    Asked for every string passed as ``actor=``; stops at the first non-``None`` result.
    The built-in implementation (asked last) looks the id up in the ``actors=`` given to
    ``qf.QualityFlow``; when nobody knows the id it becomes an actor with no roles whose
    id and name are the string.

    :param actor_id: the string passed as ``actor=``.
    :return: the application's user with its roles, or ``None``.
    """
    raise NotImplementedError  # pragma: no cover - specification only


@hookspec
def qualityflow_authorize(actor: Actor, action: str, subject: Any) -> list[str]:
    """Add refusals to the policy's, for ``actor`` performing ``action`` on ``subject``.

    Asked after the service's policy, before anything is written. Any reason from any
    plugin refuses the step with a :class:`qualityflow.PermissionDenied`, nothing written.

    :param actor: who acts (resolved, with roles).
    :param action: ``<kind>.<trigger or command>``, e.g. ``"incident.close"``,
        ``"supplier.decide"``, ``"batch.release"``, ``"incident.save"``.
    :param subject: the record acted on (for a trigger: with the call's data applied).
    :return: human-readable refusals (an empty list when the plugin has no objection).
    """
    raise NotImplementedError  # pragma: no cover - specification only


@hookspec
def qualityflow_authenticate(actor: Actor, credential: Any) -> bool | None:
    """Confirm that the person signing a step is ``actor`` (21 CFR 11.200).

    Asked before every signed step (``fire(..., signature=..., credential=...)``); a
    ``False`` from any plugin refuses the step with a :class:`qualityflow.PermissionDenied`,
    nothing written. Return ``None`` to leave the decision to other plugins. The
    application authenticates (password, token, badge): qualityflow never stores the
    credential. Without any implementation a signature is accepted as given.

    :param actor: the signer (resolved, with roles).
    :param credential: whatever the caller passed as ``credential=`` (``None`` if nothing).
    :return: ``True`` (authenticated), ``False`` (refused) or ``None`` (no opinion).
    """
    raise NotImplementedError  # pragma: no cover - specification only


@hookspec
def qualityflow_register_blobstore(register: Callable[[str, Callable[[str], Any]], None]) -> None:
    """Register blob stores for evidence files by URL scheme.

    Call ``register(scheme, factory)`` once per store, where ``factory(url)`` returns an
    object with ``put(data, sha256) -> uri`` and ``read(uri) -> bytes``
    (:class:`qualityflow.evidence.BlobStore`). The built-in ``file`` store registers
    through this hook too, last, so a plugin can replace it.

    :param register: the host's callback.
    """
