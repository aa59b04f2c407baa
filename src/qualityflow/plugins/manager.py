"""The plugin manager: one per ``QualityFlow``, behind a small typed facade.

:func:`make_plugins` builds a :class:`pluggy.PluginManager`, registers the built-ins given
by the caller (storage backends and notifiers are plugins like any other), loads the
``qualityflow`` entry-point group one entry point at a time (a broken one is logged and
skipped; ``QUALITYFLOW_DISABLE_PLUGINS=name,...`` blocks some), registers the objects or
modules passed in ``plugins=`` last, and calls ``check_pending()`` so that a misspelled
hook fails loudly. Callers use :class:`Plugins`, never the untyped ``pm.hook``.
"""

from __future__ import annotations

import logging
import os
import re
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import pluggy

from qualityflow.errors import QualityFlowError
from qualityflow.lifecycle import Deadline
from qualityflow.models import Notification, TransitionRecord
from qualityflow.people import Actor
from qualityflow.plugins import PROJECT_NAME, hookspecs
from qualityflow.prevention import SupplierPolicy

__all__ = [
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "NotifierResult",
    "Plugins",
    "StorageFactory",
    "make_plugins",
    "plugin_name",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = PROJECT_NAME
"""The entry-point group plugins declare: ``[project.entry-points.qualityflow]``."""
DISABLE_ENV = "QUALITYFLOW_DISABLE_PLUGINS"
"""Environment variable: comma-separated plugin names that must not be loaded."""

StorageFactory = Callable[[str], Any]
"""``factory(url) -> Storage``, as registered through ``qualityflow_register_storage``."""

_SCHEME = re.compile(r"^[a-z][a-z0-9.-]*$")


@dataclass(frozen=True)
class NotifierResult:
    """The outcome of handing one notification to one notifier.

    ``error`` is ``None`` on success, else the exception's type and message.
    """

    notifier: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the notifier accepted the notification."""
        return self.error is None


def plugin_name(plugin: object) -> str:
    """Give a plugin a name that is stable across processes.

    A ``name`` (or ``qualityflow_name``) string attribute wins, then a module's
    ``__name__``, then the class's dotted path. Delivery records are kept under this name,
    so a retried delivery reaches the same notifier after a restart.

    Examples
    --------
    >>> import logging
    >>> plugin_name(logging)
    'logging'

    """
    for attribute in ("qualityflow_name", "name"):
        value = getattr(plugin, attribute, None)
        if isinstance(value, str) and value:
            return value
    if isinstance(plugin, types.ModuleType):
        return plugin.__name__
    cls = plugin if isinstance(plugin, type) else type(plugin)
    return f"{cls.__module__}.{cls.__qualname__}"


def _disabled_names(environ: Mapping[str, str]) -> set[str]:
    raw = environ.get(DISABLE_ENV, "")
    return {name.strip() for name in raw.split(",") if name.strip()}


class Plugins:
    """Typed access to the hooks of one plugin manager.

    Build it with :func:`make_plugins`. ``pm`` is the underlying
    :class:`pluggy.PluginManager` for introspection (``pm.list_name_plugin()``).
    """

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    def names(self) -> list[str]:
        """List the names of the registered plugins, in registration order."""
        return [name for name, plugin in self.pm.list_name_plugin() if plugin is not None]

    def storage_factories(self) -> dict[str, StorageFactory]:
        """Collect ``scheme -> factory`` from ``qualityflow_register_storage``.

        Plugins are asked before the built-ins, and the first registration of a scheme
        wins, so a plugin can replace a built-in backend.
        """
        factories: dict[str, StorageFactory] = {}

        def register(scheme: str, factory: StorageFactory) -> None:
            if not isinstance(scheme, str) or not _SCHEME.match(scheme):
                raise QualityFlowError(
                    f"storage scheme {scheme!r} is not valid: use lower-case letters, "
                    "digits, '.' or '-', starting with a letter (e.g. 'sqlite')"
                )
            if not callable(factory):
                raise QualityFlowError(
                    f"storage scheme {scheme!r}: the factory must be callable as "
                    f"factory(url) -> Storage, got {factory!r}"
                )
            factories.setdefault(scheme, factory)

        self.pm.hook.qualityflow_register_storage(register=register)
        return factories

    def blobstore_factories(self) -> dict[str, StorageFactory]:
        """Collect ``scheme -> factory`` from ``qualityflow_register_blobstore``."""
        factories: dict[str, StorageFactory] = {}

        def register(scheme: str, factory: StorageFactory) -> None:
            if not isinstance(scheme, str) or not _SCHEME.match(scheme) or not callable(factory):
                raise QualityFlowError(
                    f"blob store scheme {scheme!r}: give a lower-case scheme and a "
                    "callable factory(url) -> BlobStore"
                )
            factories.setdefault(scheme, factory)

        self.pm.hook.qualityflow_register_blobstore(register=register)
        return factories

    def _plain_impls(self, hook_name: str) -> list[Any]:
        """List the non-wrapper implementations of ``hook_name``, in call order."""
        caller = getattr(self.pm.hook, hook_name)
        return [
            impl
            for impl in reversed(caller.get_hookimpls())
            if not (impl.wrapper or impl.hookwrapper)
        ]

    def _call_each(
        self, hook_name: str, impl: Any, plain: list[Any], kwargs: dict[str, Any]
    ) -> None:
        """Call ``hook_name`` through pluggy with ``impl`` as the only plain implementation.

        Every other non-wrapper implementation is left out with
        :meth:`pluggy.PluginManager.subset_hook_caller`, so wrappers (``wrapper=True``,
        ``hookwrapper=True``), tryfirst/trylast ordering and tracing all apply, while an
        exception is still attributable to ``impl`` alone.
        """
        others = [other.plugin for other in plain if other.plugin is not impl.plugin]
        caller = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
        caller(**kwargs)

    def notifiers(self) -> list[tuple[str, Callable[..., object]]]:
        """Every plain ``qualityflow_notify`` implementation as ``(plugin name, function)``.

        In registration order: built-ins, entry points, then ``plugins=``. Wrappers
        (``wrapper=True`` / ``hookwrapper=True``) are not notifiers: they run around each
        notifier's call instead.
        """
        return [
            (impl.plugin_name, impl.function)
            for impl in reversed(self._plain_impls("qualityflow_notify"))
        ]

    def notifiers_recorded_with_change(self) -> list[str] | None:
        """Return the notifiers' names when each records its delivery with the change, else None.

        A notifier's plugin declares ``qualityflow_record_with_change = True`` when its
        delivery may be recorded in the change's transaction, before it is called (an
        in-process notifier such as :class:`qualityflow.LoggingNotifier`: at most once,
        a crash right after the commit loses that call). With no notifiers at all the
        list is empty: nothing is left to deliver.
        """
        names = []
        for impl in reversed(self._plain_impls("qualityflow_notify")):
            if getattr(impl.plugin, "qualityflow_record_with_change", False) is not True:
                return None
            names.append(impl.plugin_name)
        return names

    def notify(
        self, notification: Notification, *, only: Iterable[str] | None = None
    ) -> list[NotifierResult]:
        """Hand ``notification`` to each notifier separately and report each outcome.

        Each notifier is called through pluggy on its own (wrappers see every call). A
        notifier that raises, or whose wrapper raises, is recorded as failed and does not
        stop the others. ``only`` restricts delivery to the named notifiers (for retries).
        """
        wanted = None if only is None else set(only)
        results: list[NotifierResult] = []
        plain = self._plain_impls("qualityflow_notify")
        for impl in reversed(plain):
            name = impl.plugin_name
            if wanted is not None and name not in wanted:
                continue
            try:
                self._call_each("qualityflow_notify", impl, plain, {"notification": notification})
            except Exception as exc:
                log.warning("notifier %s failed on %s: %s", name, notification.title, exc)
                results.append(NotifierResult(name, f"{type(exc).__name__}: {exc}"))
            else:
                results.append(NotifierResult(name))
        return results

    def transitioned(self, entity: Any, record: TransitionRecord) -> None:
        """Call ``qualityflow_transitioned``; a failing implementation is logged, not raised.

        Each implementation is called through pluggy on its own, so wrappers and
        tryfirst/trylast apply and one failure does not stop the others.
        """
        plain = self._plain_impls("qualityflow_transitioned")
        for impl in plain:
            try:
                self._call_each(
                    "qualityflow_transitioned", impl, plain, {"entity": entity, "record": record}
                )
            except Exception:
                log.exception("plugin %s failed in qualityflow_transitioned", impl.plugin_name)

    def extra_guards(self, lifecycle: Any, trigger: str, entity: Any) -> list[str]:
        """Collect the reasons every plugin gives against ``trigger`` on ``entity``."""
        results = self.pm.hook.qualityflow_extra_guards(
            lifecycle=lifecycle, trigger=trigger, entity=entity
        )
        reasons: list[str] = []
        for result in results:
            if isinstance(result, str):
                reasons.append(result)
            elif result:
                reasons.extend(str(reason) for reason in result)
        return reasons

    def resolve_actor(self, actor_id: str) -> Actor | None:
        """Return the first plugin's :class:`~qualityflow.Actor` for ``actor_id``, or ``None``."""
        result: object = self.pm.hook.qualityflow_resolve_actor(actor_id=actor_id)
        if result is None:
            return None
        if not isinstance(result, Actor):
            raise QualityFlowError(
                f"qualityflow_resolve_actor returned {result!r} for {actor_id!r}: return a "
                "qf.Actor(id, name, roles=...) or None"
            )
        return result

    def authenticate(self, actor: Actor, credential: Any) -> bool:
        """Return ``False`` if any ``qualityflow_authenticate`` plugin refuses the signer."""
        results = self.pm.hook.qualityflow_authenticate(actor=actor, credential=credential)
        return all(result is not False for result in results)

    def authorize(self, actor: Actor, action: str, subject: Any) -> list[str]:
        """Collect the refusals every plugin gives against ``actor`` performing ``action``."""
        results = self.pm.hook.qualityflow_authorize(actor=actor, action=action, subject=subject)
        reasons: list[str] = []
        for result in results:
            if isinstance(result, str):
                reasons.append(result)
            elif result:
                reasons.extend(str(reason) for reason in result)
        return reasons

    def deadline_policy(self, entity: Any) -> list[Deadline] | None:
        """Return the first plugin's deadlines for ``entity``, or ``None`` for the defaults."""
        result: list[Deadline] | None = self.pm.hook.qualityflow_deadline_policy(entity=entity)
        return None if result is None else list(result)

    def supplier_policy(self) -> SupplierPolicy | None:
        """Return the first plugin's supplier policy, or ``None`` for the default.

        Raises
        ------
        QualityFlowError
            When a plugin returns something without ``recommend(evaluation, supplier)``.

        """
        result: object = self.pm.hook.qualityflow_supplier_policy()
        if result is None:
            return None
        if not isinstance(result, SupplierPolicy):
            raise QualityFlowError(
                f"qualityflow_supplier_policy returned {result!r}, which has no "
                "recommend(evaluation, supplier) method; return a qf.SupplierPolicy or None"
            )
        return result


def _register(pm: pluggy.PluginManager, plugin: object, name: str | None = None) -> str | None:
    base = name or plugin_name(plugin)
    unique, n = base, 1
    while pm.has_plugin(unique) or pm.is_blocked(unique):
        if pm.is_blocked(unique):
            log.info("plugin %s is disabled by %s", unique, DISABLE_ENV)
            return None
        n += 1
        unique = f"{base}#{n}"
    pm.register(plugin, name=unique)
    return unique


def make_plugins(
    plugins: Iterable[object] = (),
    *,
    builtins: Iterable[object] = (),
    load_entry_points: bool = True,
    environ: Mapping[str, str] | None = None,
) -> Plugins:
    """Build a fresh plugin manager and wrap it in :class:`Plugins`.

    Parameters
    ----------
    plugins:
        Plugin objects or modules with ``@qf.hookimpl`` functions, registered last.
    builtins:
        The host's built-in plugins (storage backends, notifiers), registered first.
    load_entry_points:
        Load the installed ``qualityflow`` entry points (a broken one is logged and
        skipped).
    environ:
        Where to read ``QUALITYFLOW_DISABLE_PLUGINS`` (default ``os.environ``).

    Raises
    ------
    pluggy.PluginValidationError
        When a plugin implements a hook that does not exist (e.g. a typo).

    Examples
    --------
    >>> import qualityflow as qf
    >>> class Audit:
    ...     @qf.hookimpl
    ...     def qualityflow_extra_guards(self, lifecycle, trigger, entity):
    ...         return ["the plant manager must sign"] if trigger == "close" else []
    >>> make_plugins([Audit()], load_entry_points=False).extra_guards(None, "close", None)
    ['the plant manager must sign']

    """
    disabled = _disabled_names(os.environ if environ is None else environ)
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for name in disabled:
        pm.set_blocked(name)
    for plugin in builtins:
        _register(pm, plugin)
    if load_entry_points:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in disabled or pm.has_plugin(ep.name):
                continue
            try:
                loaded = ep.load()
                _register(pm, loaded, ep.name)
            except Exception as exc:
                log.warning(
                    "qualityflow plugin %r (%s) failed to load and is skipped: %s: %s",
                    ep.name,
                    ep.value,
                    type(exc).__name__,
                    exc,
                )
    for plugin in plugins:
        _register(pm, plugin)
    pm.check_pending()
    return Plugins(pm)
