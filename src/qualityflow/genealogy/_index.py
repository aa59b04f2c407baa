"""The genealogy's one traversal engine: an integer index kept beside the networkx graph.

networkx stays the public graph (built and changed through its public methods only). Every
trace, recall impact and common-cause question runs on this index instead: node ids mapped
to integers, both adjacency directions as compressed sparse rows (the layout of
``scipy.sparse``) and an append buffer for what was added since the rows were compiled.
A single :meth:`Index.add_node` or :meth:`Index.add_edge` costs a few list appends; the
buffer is merged into new rows lazily, when it has grown to a fraction of the graph, so
the cost of compiling is spread over many changes and no change rebuilds the index whole.

One breadth-first search serves every question. It walks small frontiers in plain Python
over memoryviews of the rows (a single lot's trace touches a few dozen nodes) and large
ones with a handful of numpy operations per level (a supplier-wide recall).

The per-node :class:`Attributes` arrays (kinds, statuses, amounts, customers) that a wide
recall impact sums are built on the first wide recall and then kept up to date by the same
calls, also without a rebuild.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from qualityflow.models import BatchKind, BatchStatus

__all__: list[str] = []

IntArray = npt.NDArray[np.int64]
ObjArray = npt.NDArray[np.object_]

KIND_CODES: dict[str, int] = {k.value: i for i, k in enumerate(BatchKind)}
SHIPMENT_KIND = len(KIND_CODES)
ALL_KIND_CODES: dict[str, int] = {**KIND_CODES, "shipment": SHIPMENT_KIND}
FINISHED = KIND_CODES[BatchKind.FINISHED.value]
STATUS_NAMES: list[str] = [s.value for s in BatchStatus]
STATUS_CODES: dict[str, int] = {s: i for i, s in enumerate(STATUS_NAMES)}
_MAX_SCALE = 12
_MERGE_MIN = 4096
_ROW_CACHE = 1 << 16
Row = tuple[tuple[int, ...], tuple[int, ...]]


def csr(
    n: int,
    src: IntArray,
    dst: IntArray,
    rows: IntArray | None = None,
    out: tuple[IntArray, npt.NDArray[np.int32]] | None = None,
) -> tuple[IntArray, npt.NDArray[np.int32]]:
    """Return ``(indptr, indices)`` of the rows ``src -> dst`` over ``n`` nodes.

    Rows keep the order the edges were given in (a stable sort). With ``rows`` given,
    ``src`` is only the sort key (rows ordered inside by it) and ``rows`` the row of each
    edge. Node numbers are stored as 32-bit integers, half the memory of numpy's default.
    ``out`` are the arrays to fill (allocated by the caller before any temporary, so the
    temporaries sit above them on the heap and go back to the system when freed).
    """
    indptr, indices = out if out is not None else _csr_arrays(n, src.size)
    order = np.argsort(src, kind="stable")
    indices[:] = dst[order]
    del order
    counts = np.bincount(src if rows is None else rows, minlength=n)
    indptr[0] = 0
    np.cumsum(counts, out=indptr[1:])
    return indptr, indices


def _csr_arrays(n: int, m: int) -> tuple[IntArray, npt.NDArray[np.int32]]:
    # Row offsets fit 32 bits too below 2**31 edges: half the memory again.
    ptr_type = np.int32 if m < 2**31 - 1 else np.int64
    return np.empty(n + 1, dtype=ptr_type), np.empty(m, dtype=np.int32)


class Index:
    """Integer ids and both adjacency directions of a genealogy.

    ``ids[i]`` is the id of node ``i`` (insertion order, as networkx keeps its nodes),
    ``pos`` the reverse map, ``kind`` one byte per node (:data:`ALL_KIND_CODES`). Edges
    among the first ``compiled`` nodes live in CSR rows; edges added since then live in
    ``extra_succ`` / ``extra_pred`` until :meth:`merge` folds them in.
    """

    __slots__ = (
        "_extra_keys",
        "_merge_at",
        "_rows",
        "_views",
        "compiled",
        "extra_pred",
        "extra_succ",
        "ids",
        "kind",
        "n_extra",
        "pos",
        "pred_idx",
        "pred_ptr",
        "succ_idx",
        "succ_ptr",
    )

    def __init__(
        self,
        ids: list[str],
        pos: dict[str, int],
        kind: bytearray,
        src: IntArray,
        dst: IntArray,
    ) -> None:
        self.ids = ids
        self.pos = pos
        self.kind = kind
        self._compile(src, dst)

    @classmethod
    def empty(cls) -> Index:
        """Return an index of no nodes."""
        none = np.zeros(0, dtype=np.int64)
        return cls([], {}, bytearray(), none, none)

    def _compile(self, src: IntArray, dst: IntArray) -> None:
        n = len(self.ids)
        self.compiled = n
        # Successor rows list a batch's shipments after the batches it went into (a stable
        # sort on the source and on whether the target is a shipment).
        succ = _csr_arrays(n, src.size)
        pred = _csr_arrays(n, src.size)
        shipment = np.frombuffer(bytes(self.kind), dtype=np.uint8)[dst] == SHIPMENT_KIND
        key = src * 2 + shipment
        del shipment
        self.succ_ptr, self.succ_idx = csr(n, key, dst, rows=src, out=succ)
        del key
        self.pred_ptr, self.pred_idx = csr(n, dst, src, out=pred)
        # memoryviews read single entries as Python ints at list speed (numpy scalars are
        # several times slower), for the plain-Python walk of small frontiers.
        self._views = (
            self.succ_ptr.data,
            self.succ_idx.data,
            self.pred_ptr.data,
            self.pred_idx.data,
        )
        self.extra_succ: dict[int, list[int]] = {}
        self.extra_pred: dict[int, list[int]] = {}
        self.n_extra = 0
        self._extra_keys: tuple[IntArray, IntArray] | None = None
        self._merge_at = max(_MERGE_MIN, self.succ_idx.size // 4)
        self._rows: tuple[dict[int, Row], dict[int, Row]] = ({}, {})

    # ------------------------------------------------------------------ changes

    def add_node(self, id: str, kind: int) -> int:
        """Append a node and return its integer id."""
        i = len(self.ids)
        self.pos[id] = i
        self.ids.append(id)
        self.kind.append(kind)
        return i

    def add_edge(self, u: int, v: int) -> None:
        """Add the edge ``u -> v`` (not already present) to the append buffer."""
        self.extra_succ.setdefault(u, []).append(v)
        self.extra_pred.setdefault(v, []).append(u)
        self._rows[0].pop(u, None)
        self._rows[1].pop(v, None)
        self.n_extra += 1
        self._extra_keys = None

    def n_edges(self) -> int:
        """How many edges the index holds."""
        return int(self.succ_idx.size) + self.n_extra

    def edges(self) -> tuple[IntArray, IntArray]:
        """Every edge as parallel ``(src, dst)`` arrays: compiled rows first, then the buffer."""
        counts = np.diff(self.succ_ptr)
        src = np.repeat(np.arange(self.compiled, dtype=np.int64), counts)
        dst = self.succ_idx.astype(np.int64)
        if self.n_extra:
            extra_src = np.fromiter(
                (u for u, vs in self.extra_succ.items() for _ in vs),
                dtype=np.int64,
                count=self.n_extra,
            )
            extra_dst = np.fromiter(
                (v for vs in self.extra_succ.values() for v in vs),
                dtype=np.int64,
                count=self.n_extra,
            )
            src = np.concatenate([src, extra_src])
            dst = np.concatenate([dst, extra_dst])
        return src, dst

    def merge(self, force: bool = False) -> None:
        """Fold the append buffer into new rows when it has grown large enough (or ``force``).

        The threshold is a quarter of the compiled edges (at least a few thousand), so the
        rows are recompiled once per that many changes: amortised, each change pays a
        constant share, and a query never walks a large buffer.
        """
        grown = len(self.ids) - self.compiled
        if not force and max(self.n_extra, grown) <= self._merge_at:
            return
        if not (self.n_extra or grown):
            return
        src, dst = self.edges()
        self._compile(src, dst)

    # ------------------------------------------------------------------ lookups

    def indices_of(self, ids: Iterable[str]) -> list[int]:
        """Integer ids of known ids."""
        pos = self.pos
        return [pos[i] for i in ids]

    def kinds(self) -> npt.NDArray[np.uint8]:
        """Return the kind codes as a numpy array (a copy: the byte array keeps growing)."""
        return np.frombuffer(bytes(self.kind), dtype=np.uint8)

    # ------------------------------------------------------------------ the search

    def reach(
        self,
        starts: Sequence[int],
        forward: bool,
        depth: int | None = None,
        vectorise_above: int | None = None,
    ) -> list[int] | IntArray:
        """Return what ``starts`` reach forward (successors) or backward, starts excluded.

        Breadth-first, level by level; within a level, nodes come in the order they are
        first met (a batch's shipments after the batches it went into). Searches are
        walked in plain Python and return a list; once more than ``vectorise_above``
        nodes have been reached, the search goes on with numpy operations per level and
        returns an array.
        """
        if self.n_extra > self._merge_at or len(self.ids) - self.compiled > self._merge_at:
            self.merge()
        limit = sys.maxsize if vectorise_above is None else vectorise_above
        if len(starts) > limit:
            return self._reach_wide(list(dict.fromkeys(starts)), set(starts), [], forward, depth, 0)
        if forward and depth is None:
            found = self._forward(starts, limit)
            if found is not None:
                return found
            return self._reach_wide(list(dict.fromkeys(starts)), set(starts), [], forward, depth, 0)
        seen: set[int] = set(starts)
        order: list[int] = []
        frontier: list[int] = list(dict.fromkeys(starts))
        level = 0
        cache = self._rows[0 if forward else 1]
        fill = self._fill_forward if forward else self._fill_backward
        while frontier and (depth is None or level < depth):
            if len(order) + len(frontier) > limit:
                return self._reach_wide(frontier, seen, order, forward, depth, level)
            nxt: list[int] = []
            push = nxt.append
            met = order.append
            add = seen.add
            for i in frontier:
                entry = cache.get(i)
                if entry is None:
                    entry = fill(i)
                links, ships = entry
                for j in links:
                    if j not in seen:
                        add(j)
                        met(j)
                        push(j)
                for j in ships:  # shipments have no successors: met, never expanded
                    if j not in seen:
                        add(j)
                        met(j)
                if len(order) > limit:  # a wide search: start again, vectorised
                    return self._reach_wide(
                        list(dict.fromkeys(starts)), set(starts), [], forward, depth, 0
                    )
            frontier = nxt
            level += 1
        return order

    def _forward(self, starts: Sequence[int], limit: int) -> list[int] | None:
        """Walk a whole forward trace in plain Python; ``None`` past ``limit`` reached nodes.

        Most of what a lot reaches are shipments: leaves reached only from the batch they
        ship, so they are copied from the batch's row in one call, neither checked against
        nor added to ``seen``. Queue order is breadth-first order. The size is checked
        where a trace grows most, after each copy of shipments, and once at the end (the
        limit only decides when a wide search is better walked with numpy).
        """
        cache = self._rows[0]
        get = cache.get
        fill = self._fill_forward
        if len(starts) == 1:
            queue: list[int] = [starts[0]]
            seen: set[int] = {starts[0]}
        else:
            queue = list(dict.fromkeys(starts))
            seen = set(starts)
        add = seen.add
        order: list[int] = []
        met = order.append
        copy = order.extend
        push = queue.append
        # Iterating a list while appending to it visits the appended ids too: a FIFO queue.
        for i in queue:
            entry = get(i)
            if entry is None:
                entry = fill(i)
            links, ships = entry
            for j in links:
                if j not in seen:
                    add(j)
                    met(j)
                    push(j)
            if ships:
                copy(ships)
                if len(order) > limit:
                    return None
        if len(order) > limit:
            return None
        if len(starts) > 1:
            # A starting shipment reached from its (also starting) batch is not listed.
            kind = self.kind
            first = {s for s in starts if kind[s] == SHIPMENT_KIND}
            if first:
                return [j for j in order if j not in first]
        return order

    def _fill_forward(self, i: int) -> Row:
        # Decoding a row from the arrays costs more than the walk itself (a memoryview
        # slice is a new object), so decoded rows are kept in a bounded cache: a warm trace
        # reads tuples only. A change to a node's edges drops its entry.
        entry: Row = _NO_ROW
        if i < self.compiled:
            ptr = self._views[0]
            start, end = ptr[i], ptr[i + 1]
            if start != end:
                row: list[int] = self._views[1][start:end].tolist()
                kind = self.kind
                # Compiled rows list shipments last.
                if kind[row[-1]] != SHIPMENT_KIND:
                    entry = (tuple(row), ())
                elif kind[row[0]] == SHIPMENT_KIND:
                    entry = ((), tuple(row))
                else:
                    entry = _split(row, kind)
        more = self.extra_succ.get(i)
        if more:
            entry = _split([*entry[0], *entry[1], *more], self.kind)
        cache = self._rows[0]
        if len(cache) >= _ROW_CACHE:
            cache.clear()
        cache[i] = entry
        return entry

    def _fill_backward(self, i: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        ptr, rows = self._views[2], self._views[3]
        row: list[int] = rows[ptr[i] : ptr[i + 1]].tolist() if i < self.compiled else []
        more = self.extra_pred.get(i)
        if more:
            row += more
        entry: tuple[tuple[int, ...], tuple[int, ...]] = (tuple(row), ())
        cache = self._rows[1]
        if len(cache) >= _ROW_CACHE:
            cache.clear()
        cache[i] = entry
        return entry

    def _reach_wide(
        self,
        frontier_list: list[int],
        seen_set: set[int],
        found_so_far: list[int],
        forward: bool,
        depth: int | None,
        level: int,
    ) -> IntArray:
        n = len(self.ids)
        if forward:
            ptr, idx, extra = self.succ_ptr, self.succ_idx, self.extra_succ
        else:
            ptr, idx, extra = self.pred_ptr, self.pred_idx, self.extra_pred
        compiled = self.compiled
        seen = np.zeros(n, dtype=np.bool_)
        seen[np.fromiter(seen_set, dtype=np.int64, count=len(seen_set))] = True
        found: list[npt.NDArray[Any]] = [np.asarray(found_so_far, dtype=np.int64)]
        frontier: npt.NDArray[Any] = np.asarray(frontier_list, dtype=np.int64)
        stamp: IntArray | None = None
        extra_keys = self._buffer_keys(forward) if extra else None
        while frontier.size and (depth is None or level < depth):
            base = frontier[frontier < compiled] if compiled < n else frontier
            starts = ptr[base]
            counts = ptr[base + 1] - starts
            total = int(counts.sum())
            ends = np.cumsum(counts)
            offsets = np.repeat(starts - (ends - counts), counts) + np.arange(total)
            nxt = idx[offsets]
            if extra_keys is not None:
                hits = frontier[np.isin(frontier, extra_keys)].tolist()
                if hits:
                    more = np.fromiter((j for i in hits for j in extra[i]), dtype=np.int64)
                    nxt = np.concatenate([nxt, more])
            nxt = nxt[~seen[nxt]]
            if nxt.size > 1:
                # Keep the first occurrence of each node: writing the ranks backwards
                # leaves the smallest rank of a repeated node in ``stamp``.
                if stamp is None:
                    stamp = np.empty(n, dtype=np.int64)
                rank = np.arange(nxt.size)
                stamp[nxt[::-1]] = rank[::-1]
                nxt = nxt[stamp[nxt] == rank]
            if not nxt.size:
                break
            seen[nxt] = True
            found.append(nxt)
            frontier = nxt
            level += 1
        return np.concatenate(found)

    def _buffer_keys(self, forward: bool) -> IntArray:
        if self._extra_keys is None:
            self._extra_keys = (
                np.fromiter(self.extra_succ, dtype=np.int64, count=len(self.extra_succ)),
                np.fromiter(self.extra_pred, dtype=np.int64, count=len(self.extra_pred)),
            )
        return self._extra_keys[0 if forward else 1]


_NO_ROW: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())


def _split(row: list[int], kind: bytearray) -> tuple[tuple[int, ...], tuple[int, ...]]:
    leaf = SHIPMENT_KIND
    return (
        tuple([j for j in row if kind[j] != leaf]),
        tuple([j for j in row if kind[j] == leaf]),
    )


class _Grow:
    """A numpy array with spare room at the end, so appends are amortised O(1)."""

    __slots__ = ("data", "fill")

    def __init__(self, data: npt.NDArray[Any], fill: Any) -> None:
        self.data = data
        self.fill = fill

    def ensure(self, n: int) -> None:
        if n > self.data.shape[0]:
            bigger = np.full(max(n, 2 * self.data.shape[0], 16), self.fill, dtype=self.data.dtype)
            bigger[: self.data.shape[0]] = self.data
            self.data = bigger


class Attributes:
    """Per-node arrays for vectorised recall impact, kept up to date after each change.

    Quantities, customers and regions are read for shipments and finished batches only,
    the nodes a recall impact sums; ``amount`` and ``remaining`` hold exact amounts scaled
    to integers (``amount / 10**scale``). A plant whose amounts cannot be scaled (too many
    decimals, or totals beyond int64) sums Python decimals instead (``exact`` true); an
    amount that no longer fits the scale makes :meth:`add` and :meth:`update` return
    ``False`` and the caller rebuilds.
    """

    _ARRAYS = (
        "entity",
        "kind",
        "status",
        "unit",
        "amount",
        "amount_exact",
        "out",
        "remaining",
        "remaining_exact",
        "customer",
        "region",
        "ship_batch",
    )

    def __init__(self, n: int, scale: int, exact: bool) -> None:
        zero = Decimal(0)
        cap = max(16, n + n // 8)
        self.n = n
        self.scale = scale
        self.exact = exact
        self._factor = Decimal(10) ** scale
        self.units: dict[str, int] = {}
        self.customers: dict[str, int] = {}
        self.regions: dict[str, int] = {}
        self._grow = {
            "entity": _Grow(np.full(cap, None, dtype=object), None),
            "kind": _Grow(np.full(cap, -1, dtype=np.int8), -1),
            "status": _Grow(np.full(cap, -1, dtype=np.int8), -1),
            "unit": _Grow(np.full(cap, -1, dtype=np.int32), -1),
            "amount": _Grow(np.zeros(cap, dtype=np.int64), 0),
            "amount_exact": _Grow(np.full(cap, zero, dtype=object), zero),
            "out": _Grow(np.zeros(cap, dtype=np.int64), 0),
            "remaining": _Grow(np.zeros(cap, dtype=np.int64), 0),
            "remaining_exact": _Grow(np.full(cap, zero, dtype=object), zero),
            "customer": _Grow(np.full(cap, -1, dtype=np.int32), -1),
            "region": _Grow(np.full(cap, -1, dtype=np.int32), -1),
            "ship_batch": _Grow(np.full(cap, -1, dtype=np.int64), -1),
        }

    def __getattr__(self, name: str) -> npt.NDArray[Any]:
        grow = self.__dict__.get("_grow")
        if grow is not None and name in grow:
            data: npt.NDArray[Any] = grow[name].data
            return data
        raise AttributeError(name)

    @classmethod
    def build(cls, index: Index, data: list[dict[str, Any]]) -> Attributes:
        """Extract the arrays from the node attributes, given in index order."""
        n = len(data)
        codes = ALL_KIND_CODES
        kind = np.fromiter((codes[d["kind"]] for d in data), dtype=np.int8, count=n)
        ship = np.flatnonzero(kind == SHIPMENT_KIND)
        fin = np.flatnonzero(kind == FINISHED)
        ship_list = ship.tolist()
        fin_list = fin.tolist()
        wanted = ship_list + fin_list
        quantities = [data[i]["quantity"] for i in wanted]
        amounts: list[Decimal] = [q.amount for q in quantities]
        scale, scaled = _scaled(amounts)
        self = cls(n, scale, scaled is None)
        self.entity[:n] = np.fromiter((d["entity"] for d in data), dtype=object, count=n)
        self.kind[:n] = kind
        units = self.units
        self.unit[wanted] = [units.setdefault(q.unit, len(units)) for q in quantities]
        customers = self.customers
        self.customer[ship] = [
            customers.setdefault(data[i]["customer"], len(customers)) for i in ship_list
        ]
        regions = self.regions
        self.region[ship] = [
            -1 if r is None else regions.setdefault(r, len(regions))
            for r in (data[i]["region"] for i in ship_list)
        ]
        self.status[fin] = [STATUS_CODES[data[i]["status"]] for i in fin_list]
        pos = index.pos
        ship_batch = np.fromiter(
            (pos[data[i]["batch"]] for i in ship_list), dtype=np.int64, count=len(ship_list)
        )
        self.ship_batch[ship] = ship_batch
        same_unit = self.unit[ship] == self.unit[ship_batch]
        self.amount_exact[wanted] = np.fromiter(amounts, dtype=object, count=len(amounts))
        if scaled is not None:
            amount = self.amount
            amount[wanted] = scaled
            np.add.at(self.out, ship_batch[same_unit], amount[ship[same_unit]])
            self.remaining[fin] = np.maximum(amount[fin] - self.out[fin], 0)
        else:
            zero = Decimal(0)
            out_exact: dict[int, Decimal] = {}
            for s, b in zip(ship[same_unit].tolist(), ship_batch[same_unit].tolist(), strict=True):
                out_exact[b] = out_exact.get(b, zero) + self.amount_exact[s]
            for i in fin_list:
                self.remaining_exact[i] = max(self.amount_exact[i] - out_exact.get(i, zero), zero)
        return self

    # ------------------------------------------------------------------ changes

    def _fits(self, amount: Decimal) -> int | None:
        if self.exact:
            return None
        exponent = amount.as_tuple().exponent
        if not isinstance(exponent, int) or -exponent > self.scale:
            return None
        scaled = int(amount * self._factor)
        if abs(scaled) >= 2**52:
            return None
        return scaled

    def add(self, i: int, data: dict[str, Any], batch: int | None) -> bool:
        """Append node ``i`` (``batch`` is a shipment's batch); ``False``: rebuild instead."""
        if self.exact or i != self.n:
            return False
        code = ALL_KIND_CODES[data["kind"]]
        scaled = 0
        if code in (SHIPMENT_KIND, FINISHED):
            fitted = self._fits(data["quantity"].amount)
            if fitted is None:
                return False
            scaled = fitted
        for grow in self._grow.values():
            grow.ensure(i + 1)
        self.n = i + 1
        self.entity[i] = data["entity"]
        self.kind[i] = code
        if code == FINISHED:
            self.status[i] = STATUS_CODES[data["status"]]
        if code in (SHIPMENT_KIND, FINISHED):
            q = data["quantity"]
            self.unit[i] = self.units.setdefault(q.unit, len(self.units))
            self.amount[i] = scaled
            self.amount_exact[i] = q.amount
        if code == FINISHED:
            self.remaining[i] = max(scaled, 0)
        if code == SHIPMENT_KIND and batch is not None:
            self.customer[i] = self.customers.setdefault(data["customer"], len(self.customers))
            region = data["region"]
            self.region[i] = (
                -1 if region is None else self.regions.setdefault(region, len(self.regions))
            )
            self.ship_batch[i] = batch
            if self.unit[batch] == self.unit[i]:
                self.out[batch] += scaled
                self._refresh_remaining(batch)
        return True

    def update(self, i: int, data: dict[str, Any], shipped: Iterable[int]) -> bool:
        """Re-read batch ``i`` (its ``shipped`` shipment nodes); ``False``: rebuild instead."""
        if self.exact or i >= self.n:
            return False
        code = ALL_KIND_CODES[data["kind"]]
        q = data["quantity"]
        scaled = self._fits(q.amount)
        if scaled is None:
            return False
        self.entity[i] = data["entity"]
        self.kind[i] = code
        self.status[i] = STATUS_CODES[data["status"]] if code == FINISHED else -1
        self.unit[i] = self.units.setdefault(q.unit, len(self.units))
        self.amount[i] = scaled
        self.amount_exact[i] = q.amount
        unit = self.unit[i]
        self.out[i] = sum(int(self.amount[s]) for s in shipped if self.unit[s] == unit)
        self._refresh_remaining(i)
        return True

    def _refresh_remaining(self, i: int) -> None:
        if self.kind[i] == FINISHED:
            self.remaining[i] = max(int(self.amount[i]) - int(self.out[i]), 0)
        else:
            self.remaining[i] = 0

    # ------------------------------------------------------------------ sums

    def total(self, which: str, idx: IntArray) -> Decimal:
        """Exact decimal sum of ``amount`` or ``remaining`` at ``idx``."""
        if not self.exact:
            values: IntArray = getattr(self, which)
            return Decimal(int(values[idx].sum())).scaleb(-self.scale)
        exact: ObjArray = getattr(self, which + "_exact")
        return sum(exact[idx].tolist(), Decimal(0))


def _scaled(amounts: list[Decimal]) -> tuple[int, list[int] | None]:
    """Scale decimal amounts to exact integers so sums stay exact and vectorised.

    Returns ``(scale, None)`` when some amount has too many decimals or the plant's total
    would overflow int64; sums then fall back to Python decimals.
    """
    distinct = set(amounts)
    exponents = [d.as_tuple().exponent for d in distinct]
    if not all(isinstance(e, int) for e in exponents):
        return 0, None
    scale = max(0, -min((e for e in exponents if isinstance(e, int)), default=0))
    if scale > _MAX_SCALE:
        return 0, None
    factor = Decimal(10) ** scale
    memo = {d: int(d * factor) for d in distinct}
    scaled = [memo[a] for a in amounts]
    if sum(abs(s) for s in scaled) >= 2**60:
        return 0, None
    return scale, scaled
