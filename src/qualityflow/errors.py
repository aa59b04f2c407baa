"""The library's exceptions.

Every error qualityflow raises on purpose derives from :class:`QualityFlowError`, so an
application can catch them all in one place. Messages say what is wrong and how to fix it.
This module imports nothing from the rest of the package and is importable from every layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ConcurrencyError",
    "GenealogyError",
    "InteropError",
    "LocaleError",
    "NotFoundError",
    "PermissionDenied",
    "ProtectedFieldError",
    "QualityFlowError",
    "RowProblem",
    "RowsRefused",
    "StorageError",
    "TransitionError",
    "UnitMismatchError",
]


class QualityFlowError(Exception):
    """Base class of every error raised by qualityflow."""


class TransitionError(QualityFlowError):
    """A lifecycle trigger was refused.

    ``trigger`` is the trigger asked for, ``state`` the entity's state at the time and
    ``reasons`` the unmet conditions, each a sentence a quality engineer understands.
    The entity is left exactly as it was.
    """

    def __init__(self, trigger: str, state: str, reasons: Sequence[str]) -> None:
        self.trigger = trigger
        self.state = state
        self.reasons: list[str] = list(reasons)
        from qualityflow.i18n import _  # late: the i18n module imports this one

        detail = _("; ").join(self.reasons) if self.reasons else _("not allowed")
        super().__init__(
            _("cannot {trigger!r} from state {state!r}: {detail}").format(
                trigger=trigger, state=state, detail=detail
            )
        )


class ProtectedFieldError(TransitionError):
    """``save()`` was asked to change a field that only a named command may change.

    A :class:`TransitionError` with trigger ``"save"``; ``fields`` names the refused fields
    and each reason says which command to use instead (``fire``, ``qms.batches.release``,
    ``qms.suppliers.decide``, ``qms.complaints.escalate``...). Nothing was written.
    """

    def __init__(self, state: str, fields: Sequence[str], reasons: Sequence[str]) -> None:
        self.fields: list[str] = list(fields)
        super().__init__("save", state, reasons)


class NotFoundError(QualityFlowError, KeyError):
    """An entity with the given id does not exist."""

    def __init__(self, kind: str, id: str) -> None:
        self.kind = kind
        self.id = id
        super().__init__(f"{kind} {id!r} not found")

    def __str__(self) -> str:  # KeyError would quote the message again
        return str(self.args[0])


class ConcurrencyError(QualityFlowError):
    """A save was based on a stale version; nothing was written. Reload and retry."""


class GenealogyError(QualityFlowError):
    """A genealogy operation was refused: an unknown id, a cycle, a blocked lot."""


class StorageError(QualityFlowError):
    """A storage backend failed or was misconfigured (passwords are masked)."""


class InteropError(QualityFlowError):
    """Bad EPCIS, CSV or other interchange input; the message names the file and place."""


class UnitMismatchError(QualityFlowError, ValueError):
    """Arithmetic or comparison between quantities of different units."""


class LocaleError(QualityFlowError, ValueError):
    """A locale name that is not a locale at all; the message lists the supported ones.

    A well-formed locale without a catalog (``de_DE``) falls back to English instead.
    """


class PermissionDenied(QualityFlowError):
    """The actor may not perform the action under the service's policy; nothing was written.

    ``actor`` is the actor's id, ``action`` the action asked for (``"incident.close"``,
    ``"supplier.decide"``...), ``roles`` the roles that may perform it (empty when the
    refusal is not about roles, e.g. segregation of duties) and ``reasons`` every refusal,
    each a sentence saying who, what and what to do instead.
    """

    def __init__(
        self, actor: str, action: str, reasons: Sequence[str], roles: Sequence[str] = ()
    ) -> None:
        self.actor = actor
        self.action = action
        self.roles: list[str] = sorted(roles)
        self.reasons: list[str] = list(reasons)
        from qualityflow.i18n import _  # late: the i18n module imports this one

        super().__init__(
            _("{actor!r} may not {action!r}: {reasons}").format(
                actor=actor, action=action, reasons=_("; ").join(self.reasons)
            )
        )


# ---- bulk writes (issue 19) ----------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    """One refused row of a bulk write: its position, the ids it names, what is wrong.

    ``row`` is the 0-based position in the iterable given (``rows[problem.row]``),
    ``ids`` the ids of that row (a link's input and output, a record's id), ``problem``
    a sentence saying what is wrong and how to fix it.
    """

    row: int
    ids: tuple[str, ...]
    problem: str

    def __str__(self) -> str:
        ids = " -> ".join(repr(i) for i in self.ids)
        return (
            f"rows[{self.row}] ({ids}): {self.problem}"
            if ids
            else f"rows[{self.row}]: {self.problem}"
        )


class RowsRefused(GenealogyError, StorageError):
    """A bulk write refused as a whole: nothing was written; every bad row is named.

    Raised by ``qms.batches.add_many``, ``qms.shipments.add_many``, ``qms.link_many`` and
    the storages' ``add_many``/``add_edges``. It is both a :class:`GenealogyError` (what the
    one-row ``link`` raises) and a :class:`StorageError` (what ``add`` raises for an id on
    file), so handlers written for the one-row calls catch it. ``problems`` lists every
    bad row (:class:`RowProblem`), ``total`` how many rows were given; the message names
    the first :data:`LISTED` of them.
    """

    LISTED = 100
    """How many problems the message itself lists (all are in ``problems``)."""

    def __init__(self, what: str, problems: Sequence[RowProblem], total: int) -> None:
        self.what = what
        self.problems: list[RowProblem] = sorted(problems, key=lambda p: p.row)
        self.total = total
        bad = len({p.row for p in self.problems})
        lines = [str(p) for p in self.problems[: self.LISTED]]
        more = len(self.problems) - len(lines)
        if more > 0:
            lines.append(f"... and {more} more (see .problems)")
        super().__init__(
            f"{what}: {bad} of {total} row(s) refused, nothing was written; fix or drop "
            "these rows and call it again:\n  " + "\n  ".join(lines)
        )
