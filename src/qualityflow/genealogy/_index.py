"""The compiled CSR index kept beside the networkx graph for plant-wide traversals.

networkx stays the public graph. For traces that reach a large part of a plant, Python
dictionaries are slow, so the genealogy keeps integer adjacency arrays (compressed sparse
rows, the layout of ``scipy.sparse``) and per-node attribute arrays, built lazily and thrown
away on every change. Small traces never touch it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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
FINISHED = KIND_CODES[BatchKind.FINISHED.value]
STATUS_NAMES: list[str] = [s.value for s in BatchStatus]
STATUS_CODES: dict[str, int] = {s: i for i, s in enumerate(STATUS_NAMES)}
_MAX_SCALE = 12


def csr(n: int, src: IntArray, dst: IntArray) -> tuple[IntArray, IntArray]:
    """Return ``(indptr, indices)`` of the rows ``src -> dst`` over ``n`` nodes."""
    order = np.argsort(src, kind="stable")
    indices = dst[order]
    counts = np.bincount(src, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, indices.astype(np.int64, copy=False)


def bfs(
    indptr: IntArray,
    indices: IntArray,
    sources: IntArray,
    depth: int | None = None,
) -> IntArray:
    """Multi-source breadth-first search over CSR rows, one numpy pass per level.

    Returns the reached node indices, the sources excluded, in level order. A plant's
    genealogy is shallow (lot, mix, finished batch, shipment), so there are few levels and
    each is a handful of vectorised operations; no array the size of the graph is sorted.
    """
    n = indptr.shape[0] - 1
    seen = np.zeros(n, dtype=np.bool_)
    seen[sources] = True
    frontier = np.unique(sources)
    stamp: IntArray | None = None
    found: list[IntArray] = []
    level = 0
    while frontier.size and (depth is None or level < depth):
        starts = indptr[frontier]
        counts = indptr[frontier + 1] - starts
        total = int(counts.sum())
        if total == 0:
            break
        ends = np.cumsum(counts)
        offsets = np.repeat(starts - (ends - counts), counts) + np.arange(total)
        nxt = indices[offsets]
        nxt = nxt[~seen[nxt]]
        if nxt.size > 1:
            if stamp is None:
                stamp = np.empty(n, dtype=np.int64)
            rank = np.arange(nxt.size)
            stamp[nxt] = rank
            nxt = nxt[stamp[nxt] == rank]
        seen[nxt] = True
        found.append(nxt)
        frontier = nxt
        level += 1
    if not found:
        return np.empty(0, dtype=np.int64)
    return np.concatenate(found)


@dataclass
class Topology:
    """Node order and both adjacency directions as CSR arrays."""

    ids: list[str]
    pos: dict[str, int]
    succ_ptr: IntArray
    succ_idx: IntArray
    pred_ptr: IntArray
    pred_idx: IntArray

    @classmethod
    def from_edges(
        cls, ids: list[str], pos: dict[str, int], src: IntArray, dst: IntArray
    ) -> Topology:
        """Build both directions from parallel source and target index arrays."""
        n = len(ids)
        succ_ptr, succ_idx = csr(n, src, dst)
        pred_ptr, pred_idx = csr(n, dst, src)
        return cls(ids, pos, succ_ptr, succ_idx, pred_ptr, pred_idx)

    @classmethod
    def from_adjacency(cls, succ: dict[str, dict[str, Any]]) -> Topology:
        """Build from a networkx successor dictionary (the slow path after edits)."""
        ids = list(succ)
        pos = {node: i for i, node in enumerate(ids)}
        counts = np.fromiter((len(nbrs) for nbrs in succ.values()), dtype=np.int64, count=len(ids))
        total = int(counts.sum())
        src = np.repeat(np.arange(len(ids), dtype=np.int64), counts)
        dst = np.fromiter(
            (pos[v] for nbrs in succ.values() for v in nbrs), dtype=np.int64, count=total
        )
        return cls.from_edges(ids, pos, src, dst)

    def indices_of(self, ids: Iterable[str]) -> IntArray:
        """Index positions of known ids."""
        pos = self.pos
        return np.fromiter((pos[i] for i in ids), dtype=np.int64)


@dataclass
class Attributes:
    """Per-node arrays for vectorised recall impact (built on the first wide recall).

    Quantities, customers and regions are read for shipments and finished batches only,
    the nodes a recall impact sums; ``amount`` and ``remaining`` hold exact amounts scaled
    to integers (``amount / 10**scale``), or are ``None`` when that is not possible and the
    ``*_exact`` decimal arrays are summed instead.
    """

    entity: ObjArray
    kind: npt.NDArray[np.int8]
    status: npt.NDArray[np.int8]
    unit: npt.NDArray[np.int32]
    units: list[str]
    scale: int
    amount: IntArray | None
    amount_exact: ObjArray
    remaining: IntArray | None
    remaining_exact: ObjArray
    customer: npt.NDArray[np.int32]
    customers: list[str]
    region: npt.NDArray[np.int32]
    regions: list[str]

    @classmethod
    def build(cls, topo: Topology, nodes: dict[str, dict[str, Any]]) -> Attributes:
        """Extract the arrays from the networkx node attributes, in ``topo`` order."""
        n = len(topo.ids)
        # The topology lists nodes in insertion order, as networkx keeps them.
        in_order = list(nodes) == topo.ids
        data = list(nodes.values()) if in_order else [nodes[i] for i in topo.ids]
        codes = {**KIND_CODES, "shipment": SHIPMENT_KIND}
        kind = np.fromiter((codes[d["kind"]] for d in data), dtype=np.int8, count=n)
        entity = np.fromiter((d["entity"] for d in data), dtype=object, count=n)
        ship = np.flatnonzero(kind == SHIPMENT_KIND)
        fin = np.flatnonzero(kind == FINISHED)
        ship_list = ship.tolist()
        fin_list = fin.tolist()
        wanted = ship_list + fin_list

        units: dict[str, int] = {}
        unit = np.full(n, -1, dtype=np.int32)
        quantities = [data[i]["quantity"] for i in wanted]
        unit[wanted] = [units.setdefault(q.unit, len(units)) for q in quantities]
        amounts: list[Decimal] = [q.amount for q in quantities]

        customers: dict[str, int] = {}
        customer = np.full(n, -1, dtype=np.int32)
        customer[ship] = [
            customers.setdefault(data[i]["customer"], len(customers)) for i in ship_list
        ]
        regions: dict[str, int] = {}
        region = np.full(n, -1, dtype=np.int32)
        region[ship] = [
            -1 if r is None else regions.setdefault(r, len(regions))
            for r in (data[i]["region"] for i in ship_list)
        ]
        status = np.full(n, -1, dtype=np.int8)
        status[fin] = [STATUS_CODES[data[i]["status"]] for i in fin_list]

        # Each shipment has exactly one input: the batch it ships.
        ship_batch = topo.pred_idx[topo.pred_ptr[ship]]
        same_unit = unit[ship] == unit[ship_batch]
        zero = Decimal(0)
        amount_exact = np.full(n, zero, dtype=object)
        amount_exact[wanted] = np.fromiter(amounts, dtype=object, count=len(amounts))
        scale, scaled = _scaled(amounts)
        amount: IntArray | None = None
        remaining: IntArray | None = None
        remaining_exact = np.full(n, zero, dtype=object)
        if scaled is not None:
            amount = np.zeros(n, dtype=np.int64)
            amount[wanted] = scaled
            out = np.zeros(n, dtype=np.int64)
            np.add.at(out, ship_batch[same_unit], amount[ship[same_unit]])
            remaining = np.zeros(n, dtype=np.int64)
            remaining[fin] = np.maximum(amount[fin] - out[fin], 0)
        else:
            out_exact: dict[int, Decimal] = {}
            for s, b in zip(ship[same_unit].tolist(), ship_batch[same_unit].tolist(), strict=True):
                out_exact[b] = out_exact.get(b, zero) + amount_exact[s]
            for i in fin_list:
                remaining_exact[i] = max(amount_exact[i] - out_exact.get(i, zero), zero)
        return cls(
            entity=entity,
            kind=kind,
            status=status,
            unit=unit,
            units=list(units),
            scale=scale,
            amount=amount,
            amount_exact=amount_exact,
            remaining=remaining,
            remaining_exact=remaining_exact,
            customer=customer,
            customers=list(customers),
            region=region,
            regions=list(regions),
        )

    def total(self, values: IntArray | None, exact: ObjArray, idx: IntArray) -> Decimal:
        """Exact decimal sum of ``values`` at ``idx``."""
        if values is not None:
            return Decimal(int(values[idx].sum())).scaleb(-self.scale)
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
    if sum(scaled) >= 2**62:
        return 0, None
    return scale, scaled
