"""Sampling plans for incoming and final inspection: ISO 2859-1 / ANSI/ASQ Z1.4.

Expected values are the published ones: code letters from ISO 2859-1:1999 Table 1
(= ANSI/ASQ Z1.4-2003 Table I, "Sample size code letters") and sample sizes and Ac/Re from
ISO 2859-1:1999 Table 2-A (= Z1.4 Table II-A, "Single sampling plans for normal
inspection (Master table)"), read off the tables row by row, arrows included.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import qualityflow as qf
from qualityflow.prevention import AQL_VALUES, INSPECTION_LEVELS, SAMPLE_SIZES, code_letter


@pytest.mark.parametrize(
    ("lot_size", "level", "letter"),
    [
        # Table 1, general level II, at both ends of several lot-size ranges.
        (2, "II", "A"),
        (8, "II", "A"),
        (9, "II", "B"),
        (50, "II", "D"),
        (51, "II", "E"),
        (500, "II", "H"),
        (501, "II", "J"),
        (1000, "II", "J"),
        (1200, "II", "J"),
        (3200, "II", "K"),
        (3201, "II", "L"),
        (10000, "II", "L"),
        (35001, "II", "N"),
        (500001, "II", "Q"),
        # Levels I and III, and the special levels, for a 1000-unit lot and a huge one.
        (1000, "I", "G"),
        (1000, "III", "K"),
        (1000, "S-1", "C"),
        (1000, "S-2", "C"),
        (1000, "S-3", "E"),
        (1000, "S-4", "F"),
        (600000, "III", "R"),
        (600000, "S-4", "K"),
        (20, "S-3", "B"),
    ],
)
def test_code_letters_follow_table_1(lot_size: int, level: str, letter: str) -> None:
    assert code_letter(lot_size, level) == letter


@pytest.mark.parametrize(
    ("lot_size", "aql", "letter", "n", "ac", "re"),
    [
        # A biscuit plant's 1000-pack lot: J, n = 80 (Table 2-A row J).
        (1000, "0.65", "J", 80, 1, 2),
        (1000, "1.0", "J", 80, 2, 3),
        (1000, "2.5", "J", 80, 5, 6),
        (1000, "4.0", "J", 80, 7, 8),
        (1000, "6.5", "J", 80, 10, 11),
        (1000, "0.15", "J", 80, 0, 1),
        # Lot 1000, AQL 0.25: J shows an up arrow -> H, n = 50, Ac 0 Re 1.
        (1000, "0.25", "H", 50, 0, 1),
        # Lot 1000, AQL 0.40: J shows a down arrow -> K, n = 125, Ac 1 Re 2.
        (1000, "0.40", "K", 125, 1, 2),
        # Lot 50 (D, n = 8).
        (50, "6.5", "D", 8, 1, 2),
        (50, "10", "D", 8, 2, 3),
        (50, "2.5", "C", 5, 0, 1),  # up arrow
        (50, "4.0", "E", 13, 1, 2),  # down arrow
        # Lot 500 (H, n = 50).
        (500, "1.0", "H", 50, 1, 2),
        (500, "4.0", "H", 50, 5, 6),
        (500, "0.065", "L", 200, 0, 1),  # down arrow, four rows
        (500, "0.40", "G", 32, 0, 1),  # up arrow
        # Lot 5000 (L, n = 200): the sofeast / ISO example, 2.5 -> Ac 10, 4.0 -> Ac 14.
        (5000, "2.5", "L", 200, 10, 11),
        (5000, "4.0", "L", 200, 14, 15),
        (5000, "10", "K", 125, 21, 22),  # right of 21/22 the row points up
        # Nonconformities per hundred units, small samples: rows A-E reach 44/45.
        (20, "250", "C", 5, 21, 22),
        (20, "1000", "B", 3, 44, 45),  # C's cell is an up arrow
        (50, "400", "D", 8, 44, 45),
        # Huge lots, level II (Q, n = 1250).
        (600000, "0.010", "Q", 1250, 0, 1),
        (600000, "0.65", "Q", 1250, 14, 15),
        (600000, "1.5", "P", 800, 21, 22),  # up arrow
    ],
)
def test_single_sampling_plans_follow_table_2a(
    lot_size: int, aql: str, letter: str, n: int, ac: int, re: int
) -> None:
    plan = qf.sampling_plan(lot_size, aql)
    assert (plan.code_letter, plan.sample_size, plan.accept, plan.reject) == (letter, n, ac, re)
    assert plan.lot_code_letter == code_letter(lot_size)
    assert not plan.full_inspection


def test_level_iii_and_special_levels_change_the_sample() -> None:
    # Lot 1000, level III -> K (n = 125), AQL 1.0 -> Ac 3 Re 4.
    plan = qf.sampling_plan(1000, 1.0, level="III")
    assert (plan.code_letter, plan.sample_size, plan.accept, plan.reject) == ("K", 125, 3, 4)
    # Lot 1000, S-2 -> C (n = 5); AQL 2.5 on row C is 0/1.
    plan = qf.sampling_plan(1000, 2.5, level="S-2")
    assert (plan.code_letter, plan.sample_size, plan.accept, plan.reject) == ("C", 5, 0, 1)


def test_whole_lot_inspected_when_the_sample_would_exceed_it() -> None:
    # A 40-roll lot of tissue paper at AQL 0.10: D's arrow leads down to K, n = 125 > 40.
    plan = qf.sampling_plan(40, "0.10")
    assert plan.full_inspection
    assert plan.sample_size == 40
    assert (plan.code_letter, plan.accept, plan.reject) == ("K", 0, 1)


def test_plan_decides_on_the_number_of_nonconforming_units() -> None:
    plan = qf.sampling_plan(1000, 2.5)
    assert plan.accepts(5)
    assert not plan.accepts(6)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"lot_size": 0, "aql": 1.0}, "lot_size"),
        ({"lot_size": 100, "aql": 3.0}, "AQL 3.0 is not one of"),
        ({"lot_size": 100, "aql": 1.0, "level": "IV"}, "inspection level 'IV'"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    kwargs: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ValueError, match=fragment):
        qf.sampling_plan(**kwargs)  # type: ignore[arg-type]


lot_sizes = st.integers(min_value=1, max_value=2_000_000)
aqls = st.sampled_from(AQL_VALUES)
levels = st.sampled_from(INSPECTION_LEVELS)


@given(lot_sizes, lot_sizes, aqls, levels)
def test_sample_size_never_decreases_as_the_lot_grows(
    a: int, b: int, aql: Decimal, level: str
) -> None:
    small, large = sorted((a, b))
    assert (
        qf.sampling_plan(small, aql, level).sample_size
        <= qf.sampling_plan(large, aql, level).sample_size
    )


@given(lot_sizes, aqls, levels)
def test_every_plan_is_well_formed(lot_size: int, aql: Decimal, level: str) -> None:
    plan = qf.sampling_plan(lot_size, aql, level)
    assert plan.accept < plan.reject
    assert 1 <= plan.sample_size <= lot_size
    assert plan.full_inspection == (SAMPLE_SIZES[plan.code_letter] >= lot_size)
    if not plan.full_inspection:
        assert plan.sample_size == SAMPLE_SIZES[plan.code_letter]
    # Ac never exceeds what the sample can hold, except for nonconformities per hundred.
    if aql <= 10:
        assert plan.accept < max(plan.sample_size, 2)


@given(lot_sizes, levels, st.integers(min_value=0, max_value=len(AQL_VALUES) - 2))
def test_a_looser_aql_never_tightens_the_acceptance_ratio(
    lot_size: int, level: str, index: int
) -> None:
    tight = qf.sampling_plan(lot_size, AQL_VALUES[index], level)
    loose = qf.sampling_plan(lot_size, AQL_VALUES[index + 1], level)
    # Acceptance number per sampled unit grows (or stays) with the AQL.
    assert (
        tight.accept * SAMPLE_SIZES[loose.code_letter]
        <= (loose.accept * SAMPLE_SIZES[tight.code_letter])
        or tight.accept == 0
    )


# ISO 2859-1 Table 2-A (ANSI/ASQ Z1.4 Table II-A), transcribed cell by cell from the
# published table: code letter, sample size, then the AQL columns 0.010-0.40, 0.65-10 and
# 15-1000. "v" = use the first plan below the arrow, "^" = the first plan above.
# Typed from memory; every cell is proofread against two independent public copies below
# (MIL-STD-105E's text and the NIBS level II table). R at 0.010 and 0.015 are up arrows:
# the MIL-STD-105E row R has no plan 0/1 and there is no row below R.
_PUBLISHED_TABLE_2A = (
    (
        "A",
        2,
        "     v     v     v     v     v     v     v     v     v",
        "     v     v     v     v     v   0/1     v",
        "     v   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22 30/31",
    ),
    (
        "B",
        3,
        "     v     v     v     v     v     v     v     v     v",
        "     v     v     v     v   0/1     ^     v",
        "   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22 30/31 44/45",
    ),
    (
        "C",
        5,
        "     v     v     v     v     v     v     v     v     v",
        "     v     v     v   0/1     ^     v   1/2",
        "   2/3   3/4   5/6   7/8 10/11 14/15 21/22 30/31 44/45     ^",
    ),
    (
        "D",
        8,
        "     v     v     v     v     v     v     v     v     v",
        "     v     v   0/1     ^     v   1/2   2/3",
        "   3/4   5/6   7/8 10/11 14/15 21/22 30/31 44/45     ^     ^",
    ),
    (
        "E",
        13,
        "     v     v     v     v     v     v     v     v     v",
        "     v   0/1     ^     v   1/2   2/3   3/4",
        "   5/6   7/8 10/11 14/15 21/22 30/31 44/45     ^     ^     ^",
    ),
    (
        "F",
        20,
        "     v     v     v     v     v     v     v     v     v",
        "   0/1     ^     v   1/2   2/3   3/4   5/6",
        "   7/8 10/11 14/15 21/22     ^     ^     ^     ^     ^     ^",
    ),
    (
        "G",
        32,
        "     v     v     v     v     v     v     v     v   0/1",
        "     ^     v   1/2   2/3   3/4   5/6   7/8",
        " 10/11 14/15 21/22     ^     ^     ^     ^     ^     ^     ^",
    ),
    (
        "H",
        50,
        "     v     v     v     v     v     v     v   0/1     ^",
        "     v   1/2   2/3   3/4   5/6   7/8 10/11",
        " 14/15 21/22     ^     ^     ^     ^     ^     ^     ^     ^",
    ),
    (
        "J",
        80,
        "     v     v     v     v     v     v   0/1     ^     v",
        "   1/2   2/3   3/4   5/6   7/8 10/11 14/15",
        " 21/22     ^     ^     ^     ^     ^     ^     ^     ^     ^",
    ),
    (
        "K",
        125,
        "     v     v     v     v     v   0/1     ^     v   1/2",
        "   2/3   3/4   5/6   7/8 10/11 14/15 21/22",
        "     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^",
    ),
    (
        "L",
        200,
        "     v     v     v     v   0/1     ^     v   1/2   2/3",
        "   3/4   5/6   7/8 10/11 14/15 21/22     ^",
        "     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^",
    ),
    (
        "M",
        315,
        "     v     v     v   0/1     ^     v   1/2   2/3   3/4",
        "   5/6   7/8 10/11 14/15 21/22     ^     ^",
        "     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^",
    ),
    (
        "N",
        500,
        "     v     v   0/1     ^     v   1/2   2/3   3/4   5/6",
        "   7/8 10/11 14/15 21/22     ^     ^     ^",
        "     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^",
    ),
    (
        "P",
        800,
        "     v   0/1     ^     v   1/2   2/3   3/4   5/6   7/8",
        " 10/11 14/15 21/22     ^     ^     ^     ^",
        "     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^",
    ),
    (
        "Q",
        1250,
        "   0/1     ^     v   1/2   2/3   3/4   5/6   7/8 10/11",
        " 14/15 21/22     ^     ^     ^     ^     ^",
        "     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^",
    ),
    (
        "R",
        2000,
        "     ^     ^   1/2   2/3   3/4   5/6   7/8 10/11 14/15",
        " 21/22     ^     ^     ^     ^     ^     ^",
        "     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^",
    ),
)


def _published_plan(letter: str, col: int) -> tuple[str, int, int]:
    letters = [row[0] for row in _PUBLISHED_TABLE_2A]
    row = letters.index(letter)
    while True:
        cell = " ".join(_PUBLISHED_TABLE_2A[row][2:]).split()[col]  # type: ignore[arg-type]
        if cell == "v":
            row += 1
        elif cell == "^":
            row -= 1
        else:
            ac, re = cell.split("/")
            return letters[row], int(ac), int(re)


def test_every_cell_of_table_2a_matches_the_published_table() -> None:
    # A quality engineer checks the library's plans against the printed standard, cell by
    # cell: for each code letter's smallest lot (level II or another level) and every AQL.
    for letter, n, *_ in _PUBLISHED_TABLE_2A:
        assert SAMPLE_SIZES[str(letter)] == n
    lots = {"A": 8, "B": 15, "C": 25, "D": 50, "E": 90, "F": 150, "G": 280, "H": 500}
    lots |= {"J": 1200, "K": 3200, "L": 10000, "M": 35000, "N": 150000, "P": 500000}
    lots |= {"Q": 600000}
    for letter, lot in lots.items():
        for col, aql in enumerate(AQL_VALUES):
            plan = qf.sampling_plan(lot, aql)
            expected = _published_plan(letter, col)
            assert (plan.code_letter, plan.accept, plan.reject) == expected, (letter, aql)
    for col, aql in enumerate(AQL_VALUES):
        plan = qf.sampling_plan(600000, aql, level="III")
        assert (plan.code_letter, plan.accept, plan.reject) == _published_plan("R", col)


def test_code_letter_a_at_aql_10_points_down_to_c() -> None:
    # An 8-carton lot of gloves at AQL 10: A's arrow points down to C (n 5, Ac 1, Re 2).
    plan = qf.sampling_plan(8, 10)
    assert (plan.code_letter, plan.sample_size, plan.accept, plan.reject) == ("C", 5, 1, 2)
    # Lots of 2 to 5 units: the sample covers the lot, every unit inspected, Ac 1 Re 2.
    for lot in range(2, 6):
        small = qf.sampling_plan(lot, 10)
        assert small.full_inspection and small.sample_size == lot
        assert (small.accept, small.reject) == (1, 2)


# A second, independent published transcription of part of Table II-A: the U.S. National
# Institute of Building Sciences' "TABLE 1-A, General Level II, Single Normal" (nibs.org,
# FMOC/DPW_AC/AC-TABLE.ASC, "developed from MIL-STD-105E ... TABLE II-A"), which prints
# the rejection number Re (Ac = Re - 1) for AQL 0.65 to 15 and letters A to Q. "v" is its
# "\/" (use the first plan below), "^" its "/\" (the first plan above), "|" an arrow's
# shaft. One cell is knowingly different: it prints an up arrow at A / 10, where there is
# no plan above A; the standard's cell is a down arrow (issue 18), checked below.
_NIBS_AQLS = ("0.65", "1.0", "1.5", "2.5", "4.0", "6.5", "10", "15")
_NIBS_LEVEL_II = {
    "A": "| | | | v 1 ^ v",
    "B": "| | | v 1 ^ v 2",
    "C": "| | v 1 ^ v 2 3",
    "D": "| v 1 ^ v 2 3 4",
    "E": "v 1 ^ v 2 3 4 6",
    "F": "1 ^ v 2 3 4 6 8",
    "G": "^ v 2 3 4 6 8 11",
    "H": "v 2 3 4 6 8 11 15",
    "J": "2 3 4 6 8 11 15 22",
    "K": "3 4 6 8 11 15 22 ^",
    "L": "4 6 8 11 15 22 ^ |",
    "M": "6 8 11 15 22 ^ | |",
    "N": "8 11 15 22 ^ | | |",
    "P": "11 15 22 ^ | | | |",
    "Q": "15 22 ^ | | | | |",
}
_NIBS_KNOWN_DIFFERENCE = {("A", "10")}


def _nibs_plan(letter: str, col: int) -> tuple[str, int, int] | None:
    """Follow the arrows of the NIBS table from ``letter`` in column ``col``."""
    letters = list(_NIBS_LEVEL_II)
    cells = [_NIBS_LEVEL_II[x].split() for x in letters]
    row = letters.index(letter)
    # A shaft points the way of the arrow head it leads to (the nearest head in the column).
    step = 0
    while True:
        if not 0 <= row < len(letters):
            return None  # an arrow that leaves the table
        cell = cells[row][col]
        if cell.isdigit():
            return letters[row], int(cell) - 1, int(cell)
        if cell == "v":
            step = 1
        elif cell == "^":
            step = -1
        elif step == 0:  # a shaft before any head: find the head's direction
            below = [c[col] for c in cells[row:] if not c[col].isdigit() and c[col] != "|"]
            step = 1 if below and below[0] == "v" else -1
        row += step


def test_level_ii_plans_match_a_second_published_transcription() -> None:
    # Proofreading the library against another printed copy of the table, cell by cell.
    lots = {"A": 8, "B": 15, "C": 25, "D": 50, "E": 90, "F": 150, "G": 280, "H": 500}
    lots |= {"J": 1200, "K": 3200, "L": 10000, "M": 35000, "N": 150000, "P": 500000}
    lots |= {"Q": 600000}
    checked = 0
    for letter, lot in lots.items():
        for col, aql in enumerate(_NIBS_AQLS):
            if (letter, aql) in _NIBS_KNOWN_DIFFERENCE:
                assert _nibs_plan(letter, col) is None  # its up arrow leaves the table
                continue
            plan = qf.sampling_plan(lot, aql, "II")
            assert (plan.code_letter, plan.accept, plan.reject) == _nibs_plan(letter, col), (
                letter,
                aql,
            )
            checked += 1
    assert checked == 15 * 8 - 1


# The whole of Table II-A against MIL-STD-105E (10 May 1989, "Distribution Statement A.
# Approved for public release"), the U.S. standard ISO 2859-1 and Z1.4 descend from, as its
# Table II-A is printed in the text of the public copy at scribd.com/document/563507790
# ("TABLE II-A - Single sampling plans for normal inspection (Master table)"). That text
# keeps each row's sample size and its plans (Ac Re) left to right but loses the arrows and
# the columns; it misprints "44 45" as "44 65" in rows B-E (read as 44 45 here).
_MIL_STD_105E_ROWS = {
    "A": (2, "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22 30 31"),
    "B": (3, "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22 30 31 44 45"),
    "C": (5, "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22 30 31 44 45"),
    "D": (8, "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22 30 31 44 45"),
    "E": (13, "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22 30 31 44 45"),
    "F": (20, "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22"),
    "G": (32, "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22"),
    "H": (50, "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22"),
    "J": (80, "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22"),
    "K": (125, "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22"),
    "L": (200, "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22"),
    "M": (315, "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22"),
    "N": (500, "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22"),
    "P": (800, "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22"),
    "Q": (1250, "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22"),
    "R": (2000, "1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22"),
}
# The smallest lot of each code letter at general level II (R only exists at level III).
_LETTER_LOTS = {"A": 8, "B": 15, "C": 25, "D": 50, "E": 90, "F": 150, "G": 280, "H": 500}
_LETTER_LOTS |= {"J": 1200, "K": 3200, "L": 10000, "M": 35000, "N": 150000, "P": 500000}
_LETTER_LOTS |= {"Q": 600000}


def _independent_table() -> dict[str, list[str]]:
    """Every cell of Table II-A, from the two independent copies and nothing of the module.

    The MIL-STD-105E text gives each row's plans in order; the NIBS table pins where they
    stand (every row A-Q has a plan between AQL 0.65 and 15 there). In the printed table a
    row's plans stand in adjacent columns, but for the two arrow cells that separate 0/1 from
    1/2 (an up arrow, then a down arrow); to the left of a row's plans every cell is a down
    arrow and to the right an up arrow. Where that arrow would point out of the table, at A's
    cell after 0/1 and at R's cell before 1/2, the printed arrow points the only way a plan
    lies (issue 18: A at AQL 10 is a down arrow).
    """
    aqls = [str(a) for a in AQL_VALUES]
    letters = list(_MIL_STD_105E_ROWS)
    table: dict[str, list[str]] = {}
    for row, letter in enumerate(letters):
        numbers = _MIL_STD_105E_ROWS[letter][1].split()
        plans = [f"{numbers[i]}/{numbers[i + 1]}" for i in range(0, len(numbers), 2)]
        # the columns the plans occupy relative to the first, with the gap after 0/1
        offsets = [0] + [i + (2 if plans[0] == "0/1" else 0) for i in range(1, len(plans))]
        if letter == "R":  # beyond the NIBS table: R's 21/22 is where Q's 14/15 stands
            anchor_col = _independent_col("Q", "14/15", table)
            start = anchor_col - offsets[plans.index("21/22")]
        else:
            nibs = _NIBS_LEVEL_II[letter].split()
            col, re = next((i, c) for i, c in enumerate(nibs) if c.isdigit())
            at = aqls.index(_NIBS_AQLS[col])
            k = next(i for i, p in enumerate(plans) if p.endswith(f"/{re}"))
            start = at - offsets[k]
        cells = ["v"] * len(aqls)
        for plan, offset in zip(plans, offsets, strict=True):
            cells[start + offset] = plan
        last = start + offsets[-1]
        cells[last + 1 :] = ["^"] * (len(aqls) - last - 1)
        if plans[0] == "0/1":
            up, down = start + 1, start + 2
            cells[up] = "v" if row == 0 else "^"
            cells[down] = "v"
        elif letter == "R":  # no plan 0/1 in R: the cells left of 1/2 point up
            cells[:start] = ["^"] * start
        table[letter] = cells
    return table


def _independent_col(letter: str, plan: str, table: dict[str, list[str]]) -> int:
    return table[letter].index(plan)


def _follow(table: dict[str, list[str]], letter: str, col: int) -> tuple[str, int, int]:
    letters = list(table)
    row = letters.index(letter)
    while table[letters[row]][col] in ("v", "^"):
        row += 1 if table[letters[row]][col] == "v" else -1
    ac, re = table[letters[row]][col].split("/")
    return letters[row], int(ac), int(re)


def test_every_letter_at_every_aql_matches_mil_std_105e_and_nibs() -> None:
    # A supplier-quality engineer proofreads all 416 cells of the master table against two
    # independent public copies, arrows followed, before the plant trusts the plans.
    table = _independent_table()
    # the two copies agree with each other where both print a cell (level II, 0.65-15)
    for letter in _NIBS_LEVEL_II:
        for col, aql in enumerate(_NIBS_AQLS):
            if (letter, aql) in _NIBS_KNOWN_DIFFERENCE:
                continue
            assert _follow(table, letter, AQL_VALUES.index(Decimal(aql))) == _nibs_plan(letter, col)
    checked = 0
    for letter, (n, _) in _MIL_STD_105E_ROWS.items():
        assert SAMPLE_SIZES[letter] == n
        for col, aql in enumerate(AQL_VALUES):
            lot = 600000 if letter == "R" else _LETTER_LOTS[letter]
            plan = qf.sampling_plan(lot, aql, level="III" if letter == "R" else "II")
            expected = _follow(table, letter, col)
            assert (plan.code_letter, plan.accept, plan.reject) == expected, (letter, str(aql))
            # a sample as large as the lot means every unit is inspected
            assert plan.sample_size == min(SAMPLE_SIZES[expected[0]], lot)
            assert plan.full_inspection == (SAMPLE_SIZES[expected[0]] >= lot)
            checked += 1
    assert checked == 16 * 26
