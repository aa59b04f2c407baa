"""Acceptance sampling by attributes: ISO 2859-1 (ANSI/ASQ Z1.4) single sampling plans.

The two tables of the standard are held here as data:

* Table 1 (Z1.4 Table I), *sample size code letters*: the lot size and the inspection level
  (general I, II, III; special S-1 to S-4) give a code letter;
* Table 2-A (Z1.4 Table II-A), *single sampling plans for normal inspection*: the code
  letter gives the sample size, and the code letter and the AQL give the acceptance number
  ``Ac`` and the rejection number ``Re``, or an arrow: use the first plan below (larger
  sample) or above (smaller sample) the arrow, *with that plan's sample size*.

Table 2-A follows a regular pattern, which this module encodes rather than copying the
cells one by one: along each row, the plans step through the series 0/1, 1/2, 2/3, 3/4,
5/6, 7/8, 10/11, 14/15, 21/22, 30/31, 44/45 one AQL column at a time, except that 0/1 and
1/2 are separated by an up arrow and a down arrow; one code letter down shifts the row one
AQL column to the left. The 0/1 plan of letter A sits at AQL 6.5 (2 x 6.5 % = 0.13
expected nonconformities, and every 0/1 cell of the table has n x AQL between 12 and 13
per hundred). Right of 21/22 the rows end in up arrows, except that code letters A to E
continue to 30/31 and 44/45 in the nonconformities-per-hundred-units columns (AQL 150 to
1000). Code letter R has no plan to the left of its 1/2 plan (AQL 0.025); its two cells
there (AQL 0.010 and 0.015) point up, to letter Q's 0/1 plan and to P's. Letter A has no row
above it: its cell at AQL 10 is a down arrow (to letter C's 1/2 plan, n = 5), as published.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from qualityflow.models import QFModel

__all__ = [
    "AQL_VALUES",
    "CODE_LETTERS",
    "INSPECTION_LEVELS",
    "SAMPLE_SIZES",
    "SamplingPlan",
    "code_letter",
    "sampling_plan",
]

InspectionLevel = Literal["I", "II", "III", "S-1", "S-2", "S-3", "S-4"]

INSPECTION_LEVELS: tuple[str, ...] = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")
"""The inspection levels of Table 1, special then general, in the table's column order."""

CODE_LETTERS: tuple[str, ...] = tuple("ABCDEFGHJKLMNPQR")
"""The sample size code letters (I and O are not used)."""

SAMPLE_SIZES: dict[str, int] = dict(
    zip(
        CODE_LETTERS,
        (2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1250, 2000),
        strict=True,
    )
)
"""Sample size of each code letter (Table 2-A)."""

_AQL_TEXT = (
    "0.010 0.015 0.025 0.040 0.065 0.10 0.15 0.25 0.40 0.65 1.0 1.5 2.5 4.0 6.5 "
    "10 15 25 40 65 100 150 250 400 650 1000"
)
AQL_VALUES: tuple[Decimal, ...] = tuple(Decimal(v) for v in _AQL_TEXT.split(" "))
"""The AQL columns of Table 2-A, percent nonconforming (up to 10) or nonconformities per
hundred units (all of them)."""

# Table 1: upper bound of each lot-size range, then the code letters for
# S-1, S-2, S-3, S-4, I, II, III.
_TABLE_1: tuple[tuple[int | None, str], ...] = (
    (8, "AAAAAAB"),
    (15, "AAAAABC"),
    (25, "AABBBCD"),
    (50, "ABBCCDE"),
    (90, "BBCCCEF"),
    (150, "BBCDDFG"),
    (280, "BCDEEGH"),
    (500, "BCDEFHJ"),
    (1200, "CCEFGJK"),
    (3200, "CDEGHKL"),
    (10000, "CDFGJLM"),
    (35000, "CDFHKMN"),
    (150000, "DEGJLNP"),
    (500000, "DEGJMPQ"),
    (None, "DEHKNQR"),
)

_AC_RE_SERIES: tuple[tuple[int, int], ...] = (
    (0, 1),
    (1, 2),
    (2, 3),
    (3, 4),
    (5, 6),
    (7, 8),
    (10, 11),
    (14, 15),
    (21, 22),
    (30, 31),
    (44, 45),
)

_UP = "up"
_DOWN = "down"
_Cell = tuple[int, int] | str


def _build_table_2a() -> dict[str, tuple[_Cell, ...]]:
    """Table 2-A as rows of cells: an ``(Ac, Re)`` pair or an arrow."""
    zero_one_col_of_a = AQL_VALUES.index(Decimal("6.5"))
    table: dict[str, tuple[_Cell, ...]] = {}
    for row, letter in enumerate(CODE_LETTERS):
        zero_one_col = zero_one_col_of_a - row
        # Rows A-E run on to 44/45; the others end after 21/22.
        last_step = 10 if row <= 4 else 8
        cells: list[_Cell] = []
        for col in range(len(AQL_VALUES)):
            offset = col - zero_one_col
            if offset < 0:
                cells.append(_DOWN)
            elif offset == 0:
                cells.append(_AC_RE_SERIES[0])
            elif offset == 1:
                # Row A has no row above: its cell right of 0/1 points down (to C's 1/2).
                cells.append(_DOWN if row == 0 else _UP)
            elif offset == 2:
                cells.append(_DOWN)
            elif offset - 2 <= last_step:
                cells.append(_AC_RE_SERIES[offset - 2])
            else:
                cells.append(_UP)
        if letter == "R":
            # Nothing lies below R: its cells left of 1/2 point up instead.
            first_plan = next(i for i, c in enumerate(cells) if isinstance(c, tuple))
            cells[:first_plan] = [_UP] * first_plan
        table[letter] = tuple(cells)
    return table


_TABLE_2A = _build_table_2a()


class SamplingPlan(QFModel):
    """A single sampling plan: inspect ``sample_size`` units, accept or reject the lot.

    The lot is accepted with at most ``accept`` nonconforming units (or nonconformities)
    in the sample and rejected with ``reject`` or more.
    ``code_letter`` is the letter of the plan actually used (after following the table's
    arrows); ``lot_code_letter`` the one Table 1 gave for the lot. ``full_inspection`` is
    true when the plan's sample would have been at least the lot size, so every unit of the
    lot is inspected and ``sample_size`` equals the lot size.
    """

    code_letter: str
    sample_size: int = Field(ge=1)
    accept: int = Field(ge=0)
    reject: int = Field(ge=1)
    lot_size: int = Field(ge=1)
    aql: Decimal
    level: str
    lot_code_letter: str
    full_inspection: bool = False

    def accepts(self, nonconforming: int) -> bool:
        """Whether a sample with ``nonconforming`` units (or nonconformities) is accepted."""
        return nonconforming <= self.accept


def _check_level(level: str) -> str:
    normalized = level.strip().upper()
    if normalized.startswith("S") and not normalized.startswith("S-"):
        normalized = "S-" + normalized[1:]
    if normalized not in INSPECTION_LEVELS:
        raise ValueError(
            f"inspection level {level!r} is unknown: use one of {', '.join(INSPECTION_LEVELS)} "
            "(general level II is the usual choice)"
        )
    return normalized


def code_letter(lot_size: int, level: str = "II") -> str:
    """Return the sample size code letter of Table 1 for a lot size and inspection level.

    Examples
    --------
    >>> code_letter(1000)
    'J'
    >>> code_letter(1000, "S-2")
    'C'

    """
    if isinstance(lot_size, bool) or not isinstance(lot_size, int) or lot_size < 1:
        raise ValueError(f"lot_size must be a whole number of units >= 1, got {lot_size!r}")
    column = INSPECTION_LEVELS.index(_check_level(level))
    for upper, letters in _TABLE_1:
        if upper is None or lot_size <= upper:
            return letters[column]
    raise AssertionError("unreachable: the last range of Table 1 is open-ended")


def _check_aql(aql: float | str | Decimal) -> Decimal:
    try:
        value = Decimal(str(aql))
    except ArithmeticError:
        value = Decimal(-1)
    for standard in AQL_VALUES:
        if value == standard:
            return standard
    raise ValueError(
        f"AQL {aql!r} is not one of the preferred AQLs of ISO 2859-1 Table 2-A: "
        f"{', '.join(str(v) for v in AQL_VALUES)}"
    )


def sampling_plan(lot_size: int, aql: float | str | Decimal, level: str = "II") -> SamplingPlan:
    """Return the ISO 2859-1 / ANSI Z1.4 single sampling plan for normal inspection.

    The lot size and inspection level give the code letter (Table 1); Table 2-A gives the
    plan for that letter and AQL, following the table's arrows to the first plan below or
    above (whose own sample size then applies). When that sample size is at least the lot
    size, the whole lot is inspected (``full_inspection``, ``sample_size == lot_size``) with
    the same acceptance and rejection numbers.

    Parameters
    ----------
    lot_size
        Units in the lot or batch (at least 1).
    aql
        Acceptance quality limit, one of :data:`AQL_VALUES` (``1.0``, ``"2.5"``...).
    level
        ``"II"`` (the default), ``"I"``, ``"III"`` or a special level ``"S-1"`` to ``"S-4"``.

    Raises
    ------
    ValueError
        For a lot size below 1, an AQL outside the table or an unknown level.

    Examples
    --------
    >>> plan = sampling_plan(1000, 2.5)
    >>> plan.code_letter, plan.sample_size, plan.accept, plan.reject
    ('J', 80, 5, 6)
    >>> sampling_plan(500, 0.065).sample_size  # H at 0.065 is an arrow down to L
    200

    """
    lot_letter = code_letter(lot_size, level)
    value = _check_aql(aql)
    col = AQL_VALUES.index(value)
    row = CODE_LETTERS.index(lot_letter)
    cell = _TABLE_2A[CODE_LETTERS[row]][col]
    while not isinstance(cell, tuple):
        row += 1 if cell == _DOWN else -1
        cell = _TABLE_2A[CODE_LETTERS[row]][col]
    letter = CODE_LETTERS[row]
    accept, reject = cell
    sample_size = SAMPLE_SIZES[letter]
    full = sample_size >= lot_size
    return SamplingPlan(
        code_letter=letter,
        sample_size=lot_size if full else sample_size,
        accept=accept,
        reject=reject,
        lot_size=lot_size,
        aql=value,
        level=_check_level(level),
        lot_code_letter=lot_letter,
        full_inspection=full,
    )
