"""Quantities: a non-negative decimal amount in one unit."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from qualityflow.errors import UnitMismatchError
from qualityflow.i18n import _
from qualityflow.models._base import NonEmpty

__all__ = ["Quantity"]


class Quantity(BaseModel):
    """A non-negative amount of something in one unit, such as ``Quantity(amount=250, unit="kg")``.

    Quantities are immutable and hashable. Adding, subtracting and comparing work within
    one unit; mixing units raises :class:`~qualityflow.errors.UnitMismatchError` naming
    both, because a plant that adds kilograms to cartons has a data problem to fix.

    Examples
    --------
    >>> Quantity(amount=2, unit="kg") + Quantity(amount="0.5", unit="kg")
    Quantity(amount=Decimal('2.5'), unit='kg')

    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
    unit: NonEmpty

    def _same_unit(self, other: object, op: str) -> Quantity:
        if not isinstance(other, Quantity):
            raise TypeError(f"cannot {op} Quantity and {type(other).__name__}")
        if other.unit != self.unit:
            raise UnitMismatchError(
                f"cannot {op} {self.unit!r} and {other.unit!r}: convert one quantity to the "
                "other's unit first"
            )
        return other

    def __add__(self, other: object) -> Quantity:
        other_q = self._same_unit(other, "add")
        return Quantity(amount=self.amount + other_q.amount, unit=self.unit)

    def __sub__(self, other: object) -> Quantity:
        other_q = self._same_unit(other, "subtract")
        if other_q.amount > self.amount:
            raise ValueError(
                _("{left} minus {right} would be negative; quantities cannot be negative").format(
                    left=self, right=other_q
                )
            )
        return Quantity(amount=self.amount - other_q.amount, unit=self.unit)

    def __lt__(self, other: object) -> bool:
        return self.amount < self._same_unit(other, "compare").amount

    def __le__(self, other: object) -> bool:
        return self.amount <= self._same_unit(other, "compare").amount

    def __gt__(self, other: object) -> bool:
        return self.amount > self._same_unit(other, "compare").amount

    def __ge__(self, other: object) -> bool:
        return self.amount >= self._same_unit(other, "compare").amount

    def __mul__(self, factor: int | Decimal) -> Quantity:
        return Quantity(amount=self.amount * Decimal(factor), unit=self.unit)

    __rmul__ = __mul__

    def __str__(self) -> str:
        return f"{self.amount.normalize():f} {self.unit}"

    @classmethod
    def zero(cls, unit: str) -> Quantity:
        """Return a zero quantity in ``unit`` (the start of a sum)."""
        return cls(amount=Decimal(0), unit=unit)
