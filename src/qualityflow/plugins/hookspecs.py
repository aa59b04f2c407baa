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
from qualityflow.plugins import hookspec
from qualityflow.prevention import SupplierPolicy

__all__ = [
    "qualityflow_deadline_policy",
    "qualityflow_extra_guards",
    "qualityflow_notify",
    "qualityflow_register_publisher",
    "qualityflow_register_storage",
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
