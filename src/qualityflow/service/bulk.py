"""Bulk writes: ``qms.batches.add_many``, ``qms.shipments.add_many`` and ``qms.link_many``.

Each call checks the whole set with set-based queries and writes it in one transaction,
or refuses it as a whole with :class:`~qualityflow.errors.RowsRefused` naming every bad
row (its position, its ids, what is wrong and how to fix it); nothing is written then.
The rules are those of the one-row calls (``add``, ``ShipmentRepository.add``, ``link``):
a set succeeds exactly when adding its rows one by one, in any order, would.

On a backend that implements :class:`~qualityflow.storage.BulkStorage` (every built-in
one) the checks are one query per few thousand ids and the rows go in with
``executemany``. On any other backend the service falls back to the one-row calls inside
one transaction, collecting every refusal before rolling back: the same results, one
round trip per row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import networkx as nx

from qualityflow.errors import (
    GenealogyError,
    QualityFlowError,
    RowProblem,
    RowsRefused,
    StorageError,
)
from qualityflow.models import Batch, BatchStatus, Quantity, Shipment, Supplier
from qualityflow.prevention import BLOCKED_SUPPLIER_STATUSES, LinkOverride, link_blockers
from qualityflow.storage import BulkStorage, Edge, Entity, Storage
from qualityflow.storage.base import given_twice, linked_already, on_file

if TYPE_CHECKING:
    from qualityflow.service.facade import QualityFlow

__all__ = ["LinkRow", "add_batches", "add_shipments", "as_bulk", "link_many"]

LinkRow = tuple[str, str, Quantity | None] | tuple[str, str, Quantity | None, LinkOverride | None]
"""One row of :func:`link_many`: ``(input_id, output_id, quantity_or_None[, override])``."""

_BLOCKING = sorted(s.value for s in BLOCKED_SUPPLIER_STATUSES)
_CYCLES_NAMED = 100  # cycles named in one refusal (each names all its rows)
_PATH_SHOWN = 8  # links of a long cycle shown in its message (the rest are counted)


def add_batches(service: QualityFlow, rows: Iterable[Batch]) -> int:
    """Add new batches in one transaction; see :meth:`BatchRepository.add_many`."""
    given = list(rows)
    problems = _typed(given, Batch, "qms.batches")
    storage = service.storage
    if problems:
        problems += _duplicates(storage, "batch", Batch, given)
        raise RowsRefused("qms.batches.add_many", problems, len(given))
    with storage.transaction():
        return _add_all(storage, given, "qms.batches.add_many")


def add_shipments(service: QualityFlow, rows: Iterable[Shipment]) -> int:
    """Add new shipments and their ship edges; see :meth:`ShipmentRepository.add_many`."""
    given = list(rows)
    what = "qms.shipments.add_many"
    problems = _typed(given, Shipment, "qms.shipments")
    storage = service.storage
    bulk = as_bulk(storage)
    shipments = [s for s in given if isinstance(s, Shipment)]
    with storage.genealogy_lock():
        if bulk is None:
            first: dict[str, int] = {}
            for n, shipment in enumerate(given):
                if not isinstance(shipment, Shipment):
                    continue
                if first.setdefault(shipment.id, n) != n:
                    problems.append(
                        RowProblem(n, (shipment.id,), given_twice("shipment", first[shipment.id]))
                    )
                    continue
                try:
                    service.shipments.add(shipment)
                except (GenealogyError, StorageError) as exc:
                    text = str(exc).removeprefix(f"shipment {shipment.id!r}: ")
                    problems.append(RowProblem(n, (shipment.id,), text))
            if problems:
                raise RowsRefused(what, problems, len(given))
            return len(given)
        batches = bulk.lookup("batch", {s.batch_id for s in shipments})
        for n, shipment in enumerate(given):
            if not isinstance(shipment, Shipment):
                continue
            batch = batches.get(shipment.batch_id)
            if batch is None:
                problems.append(
                    RowProblem(
                        n,
                        (shipment.id,),
                        f"batch {shipment.batch_id!r} is not on file; add the batch first",
                    )
                )
            elif batch.status != BatchStatus.RELEASED.value:
                problems.append(
                    RowProblem(
                        n,
                        (shipment.id,),
                        f"batch {shipment.batch_id!r} is {batch.status} and may not be "
                        "shipped; release it first",
                    )
                )
        if problems:
            problems += _duplicates(storage, "shipment", Shipment, given)
            raise RowsRefused(what, problems, len(given))
        try:
            bulk.add_many(shipments)
            bulk.add_edges(Edge(s.batch_id, s.id, s.quantity, "ship") for s in shipments)
        except RowsRefused as refused:
            raise RowsRefused(what, refused.problems, len(given)) from None
    return len(given)


def link_many(service: QualityFlow, rows: Iterable[Any]) -> int:
    """Link every row or none; see :meth:`QualityFlow.link_many`."""
    given = list(rows)
    what = "qms.link_many"
    problems: list[RowProblem] = []
    links: list[tuple[int, str, str, Quantity | None, LinkOverride | None]] = []
    for n, row in enumerate(given):
        parsed = _link_row(n, row, problems)
        if parsed is not None:
            links.append((n, *parsed))
    storage = service.storage
    bulk = as_bulk(storage)
    with storage.genealogy_lock():
        if bulk is None:
            first: dict[tuple[str, str], int] = {}
            for n, u, v, quantity, override in links:
                if first.setdefault((u, v), n) != n:
                    problems.append(RowProblem(n, (u, v), _twice(first[u, v])))
                    continue
                try:
                    service.link(u, v, quantity, override=override)
                except (GenealogyError, StorageError) as exc:
                    text = str(exc).removeprefix(f"cannot link {u!r} into {v!r}: ")
                    problems.append(RowProblem(n, (u, v), text))
            if problems:
                raise RowsRefused(what, problems, len(given))
            return len(links)
        problems += _link_problems(bulk, links)
        if problems:
            stored = _stored_pairs(bulk, links, problems)
            problems += [RowProblem(n, (u, v), linked_already(u, v)) for n, u, v in stored]
            raise RowsRefused(what, problems, len(given))
        edges = (
            Edge(u, v, q, "link", None if o is None else o.model_dump(mode="json"))
            for _, u, v, q, o in links
        )
        try:
            bulk.add_edges(edges)
        except RowsRefused as refused:
            raise RowsRefused(
                what, [_renumbered(p, links) for p in refused.problems], len(given)
            ) from None
    return len(links)


# -- the checks ---------------------------------------------------------------------

_BULK_TYPES: dict[type, bool] = {}


def as_bulk(storage: Storage) -> BulkStorage | None:
    """Return ``storage`` if it implements :class:`BulkStorage`, else ``None``.

    The answer is kept per storage class: a protocol ``isinstance`` check looks up every
    member and costs more than a whole ``link`` statement.
    """
    cls = type(storage)
    known = _BULK_TYPES.get(cls)
    if known is None:
        known = _BULK_TYPES[cls] = isinstance(storage, BulkStorage)
    return storage if known else None  # type: ignore[return-value]


def _twice(first: int) -> str:
    return f"the same pair is given in rows[{first}] too; give each link once"


def _typed(given: Sequence[object], model: type, where: str) -> list[RowProblem]:
    return [
        RowProblem(
            n,
            (),
            f"{type(item).__name__} given; {where} stores {model.__name__} records only",
        )
        for n, item in enumerate(given)
        if not isinstance(item, model)
    ]


def _duplicates(
    storage: Storage, kind: str, model: type, given: Sequence[object]
) -> list[RowProblem]:
    """Name the rows given twice or already on file (for a refusal's complete list)."""
    first: dict[str, int] = {}
    problems: list[RowProblem] = []
    for n, item in enumerate(given):
        if not isinstance(item, model):
            continue
        id = str(getattr(item, "id", ""))
        if id in first:
            problems.append(RowProblem(n, (id,), given_twice(kind, first[id])))
        else:
            first[id] = n
    bulk = as_bulk(storage)
    if bulk is not None:
        stored = set(bulk.lookup(kind, first))
    else:
        stored = {e.id for e in storage.list(kind, ids=first)}
    problems += [RowProblem(n, (id,), on_file(kind)) for id, n in first.items() if id in stored]
    return problems


def _add_all(storage: Storage, given: Sequence[Entity], what: str) -> int:
    bulk = as_bulk(storage)
    if bulk is not None:
        try:
            return bulk.add_many(given)
        except RowsRefused as refused:
            raise RowsRefused(what, refused.problems, len(given)) from None
    problems: list[RowProblem] = []
    for n, entity in enumerate(given):
        try:
            storage.add(entity)
        except StorageError as exc:
            problems.append(RowProblem(n, (entity.id,), str(exc)))
    if problems:
        raise RowsRefused(what, problems, len(given))
    return len(given)


def _link_row(
    n: int, row: Any, problems: list[RowProblem]
) -> tuple[str, str, Quantity | None, LinkOverride | None] | None:
    if type(row) is tuple and len(row) == 3:  # the usual row, checked in one go
        u, v, quantity = row
        if (
            type(u) is str
            and type(v) is str
            and u != v
            and u.strip()
            and v.strip()
            and (quantity is None or isinstance(quantity, Quantity))
        ):
            return u, v, quantity, None
    shape = (
        "give (input_id, output_id, quantity_or_None) or (input_id, output_id, "
        "quantity_or_None, override_or_None)"
    )
    if not isinstance(row, (tuple, list)) or len(row) not in (3, 4):
        problems.append(RowProblem(n, (), f"{row!r} is not a link row: {shape}"))
        return None
    u, v, quantity = row[0], row[1], row[2]
    override = row[3] if len(row) == 4 else None
    if not isinstance(u, str) or not isinstance(v, str) or not u.strip() or not v.strip():
        problems.append(RowProblem(n, (), f"the ids must be non-empty strings: {shape}"))
        return None
    bad = False
    if quantity is not None and not isinstance(quantity, Quantity):
        problems.append(
            RowProblem(n, (u, v), f"the quantity must be a qf.Quantity or None, not {quantity!r}")
        )
        bad = True
    if override is not None and not isinstance(override, LinkOverride):
        problems.append(
            RowProblem(
                n, (u, v), f"the override must be a qf.LinkOverride or None, not {override!r}"
            )
        )
        bad = True
    if u == v:
        problems.append(
            RowProblem(n, (u, v), "a lot cannot be linked into itself; check the output id")
        )
        bad = True
    return None if bad else (u, v, quantity, override)


def _link_problems(
    storage: BulkStorage, links: Sequence[tuple[int, str, str, Quantity | None, Any]]
) -> list[RowProblem]:
    """Every rule of ``link`` for the whole set: ids, pairs, blocked lots, cycles."""
    problems: list[RowProblem] = []
    inputs = {link[1] for link in links}
    outputs = {link[2] for link in links}
    found = storage.lookup("batch", inputs | outputs)
    missing = (inputs | outputs) - found.keys()
    first: dict[tuple[str, str], int] = {}
    for n, u, v, _, _ in links:
        if missing and (u in missing or v in missing):
            for end in (u, v):
                if end in missing:
                    problems.append(
                        RowProblem(n, (u, v), f"batch {end!r} is not on file; add it first")
                    )
        pair = (u, v)
        if first.setdefault(pair, n) != n:
            problems.append(RowProblem(n, pair, _twice(first[pair])))
    problems += _blocked(storage, links, found)
    candidates = [
        (n, u, v)
        for n, u, v, _, _ in links
        if not missing or (u not in missing and v not in missing)
    ]
    cycles = _cycles(storage, candidates)
    if cycles:
        # A pair given again that is already stored is no new link: look the stored
        # pairs up (only now, on the way to a refusal) and check without them.
        stored = {(u, v) for _, u, v in _stored_pairs(storage, links, problems)}
        cycles = _cycles(storage, [(n, u, v) for n, u, v in candidates if (u, v) not in stored])
    return problems + cycles


def _blocked(
    storage: BulkStorage,
    links: Sequence[tuple[int, str, str, Quantity | None, Any]],
    found: dict[str, Any],
) -> list[RowProblem]:
    """Apply :func:`~qualityflow.prevention.link_blockers` to every input lot it may block.

    A lot can be blocked by its status (a column: no parsing) or by its supplier; the
    blocking suppliers are few, so the lots' supplier ids are read only when there are
    any, and only the lots actually blocked are loaded whole for the exact reasons.
    """
    blocking = {
        s.id: s for s in storage.list("supplier", status=_BLOCKING) if isinstance(s, Supplier)
    }
    inputs = {u for _, u, _, _, _ in links if u in found}
    flagged = {u for u in inputs if found[u].status != BatchStatus.RELEASED.value}
    lots: dict[str, Batch] = {}
    if blocking:
        for id, row in storage.lookup("batch", inputs - flagged, data=True).items():
            if json.loads(row.data).get("supplier_id") in blocking:
                flagged.add(id)
    if not flagged:
        return []
    for id, row in storage.lookup("batch", flagged, data=True).items():
        lots[id] = Batch.model_validate_json(row.data)
    problems: list[RowProblem] = []
    for n, u, v, _, override in links:
        lot = lots.get(u)
        if lot is None:
            continue
        supplier = blocking.get(lot.supplier_id or "")
        if supplier is None and lot.supplier_id:
            try:
                got = storage.get("supplier", lot.supplier_id)
                supplier = got if isinstance(got, Supplier) else None
            except QualityFlowError:
                supplier = None
        reasons = link_blockers(lot, supplier, override)
        if reasons:
            problems.append(RowProblem(n, (u, v), "; ".join(reasons)))
    return problems


def _cycles(storage: BulkStorage, links: Sequence[tuple[int, str, str]]) -> list[RowProblem]:
    """Name the rows that would close a cycle with each other and the stored links.

    One set-based look: the stored links reachable from the new outputs (one recursive
    query per few thousand ids). Only when a new input lies downstream of a new output
    through stored links are those stored paths looked up one by one (a rare case: it
    is how a cycle through the history starts). The new links and those paths then form
    a small graph; every node on a cycle has a link in and a link out there, so only that
    core goes to networkx's ``find_cycle``.
    """
    if not links:
        return []
    row_of: dict[tuple[str, str], int] = {}
    for n, u, v in links:
        row_of.setdefault((u, v), n)
    inputs = {u for u, _ in row_of}
    outputs = {v for _, v in row_of}
    hops: set[tuple[str, str]] = set()
    downstream = storage.reach_beyond(outputs, "forward") & inputs
    for x in sorted(downstream):
        for v in storage.reach_beyond([x], "backward") & outputs:
            if v != x:
                hops.add((v, x))
    edges = [*row_of, *hops]
    core = {a for a, _ in edges} & {b for _, b in edges}
    graph = nx.DiGraph()
    graph.add_edges_from((a, b) for a, b in edges if a in core and b in core)
    problems: list[RowProblem] = []
    named: set[int] = set()
    for _ in range(_CYCLES_NAMED):
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            break
        steps = [(a, b) for a, b, *_ in cycle]
        rows = [row_of[step] for step in steps if step in row_of]
        path = repr(steps[0][0])
        for k, (a, b) in enumerate(steps):
            if len(steps) > _PATH_SHOWN and _PATH_SHOWN // 2 <= k < len(steps) - _PATH_SHOWN // 2:
                if k == _PATH_SHOWN // 2:
                    path += f" -> ({len(steps) - _PATH_SHOWN} more links)"
                continue
            path += (" -> " if (a, b) in row_of else " -> ... -> ") + repr(b)
        through = " and links on file (-> ... ->)" if any(s not in row_of for s in steps) else ""
        for step in steps:
            if step not in row_of or row_of[step] in named:
                continue
            n = row_of[step]
            named.add(n)
            others = [f"rows[{m}]" for m in rows if m != n]
            if len(others) > _PATH_SHOWN:
                others[_PATH_SHOWN:] = [f"{len(others) - _PATH_SHOWN} more rows"]
            together = f" together with {', '.join(others)}" if others else ""
            problems.append(
                RowProblem(
                    n,
                    step,
                    f"would close the cycle {path}{together}{through}; links run from input "
                    "to output: check the direction, or drop one of these rows",
                )
            )
        graph.remove_edge(*next(step for step in reversed(steps) if step in row_of))
    return problems


def _stored_pairs(
    storage: BulkStorage,
    links: Sequence[tuple[int, str, str, Any, Any]],
    known: Sequence[RowProblem],
) -> list[tuple[int, str, str]]:
    """Return the rows whose pair is already stored (for a refusal's complete list)."""
    flagged = {p.row for p in known if "not on file" in p.problem}
    wanted = {(u, v): n for n, u, v, _, _ in reversed(links) if n not in flagged}
    if not wanted:
        return []
    nodes = {u for u, _ in wanted} | {v for _, v in wanted}
    stored = {(e.input_id, e.output_id) for e in storage.edges(among=nodes)}
    return sorted((n, u, v) for (u, v), n in wanted.items() if (u, v) in stored)


def _renumbered(problem: RowProblem, links: Sequence[tuple[int, str, str, Any, Any]]) -> RowProblem:
    """Map a storage row (a position among the valid links) back to the caller's row."""
    n = links[problem.row][0]
    text = problem.problem
    if "given in rows[" in text:
        start = text.index("rows[") + 5
        end = text.index("]", start)
        text = text[:start] + str(links[int(text[start:end])][0]) + text[end:]
    return RowProblem(n, problem.ids, text)
