"""The compiled CSR index kept beside the networkx graph for plant-wide traversals.

networkx stays the public graph. For traces that reach a large part of a plant, Python
dictionaries are slow, so the genealogy keeps integer adjacency arrays (compressed sparse
rows, the layout of ``scipy.sparse``) and per-node attribute arrays, built lazily and thrown
away on every change. Small traces never touch it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from qualityflow.models import Batch, BatchKind, BatchStatus, Shipment

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
    """Per-node arrays for vectorised recall impact (built on the first wide recall)."""

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
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, ids: Sequence[str], entities: Sequence[Batch | Shipment]) -> Attributes:
        """Extract kind, status, quantity, customer and region codes of every node."""
        n = len(ids)
        entity = np.empty(n, dtype=object)
        entity[:] = entities
        kind = np.empty(n, dtype=np.int8)
        status = np.full(n, -1, dtype=np.int8)
        unit = np.empty(n, dtype=np.int32)
        customer = np.full(n, -1, dtype=np.int32)
        region = np.full(n, -1, dtype=np.int32)
        amounts: list[Decimal] = [Decimal(0)] * n
        units: dict[str, int] = {}
        customers: dict[str, int] = {}
        regions: dict[str, int] = {}
        batch_pos: list[int] = []
        ship_batch: list[int] = []
        ship_pos: list[int] = []
        pos = {node: i for i, node in enumerate(ids)}
        for i, e in enumerate(entities):
            q = e.quantity
            amounts[i] = q.amount
            unit[i] = units.setdefault(q.unit, len(units))
            if isinstance(e, Shipment):
                kind[i] = SHIPMENT_KIND
                customer[i] = customers.setdefault(e.customer_id, len(customers))
                if e.region is not None:
                    region[i] = regions.setdefault(e.region, len(regions))
                ship_pos.append(i)
                ship_batch.append(pos[e.batch_id])
            else:
                kind[i] = KIND_CODES[e.kind.value]
                status[i] = STATUS_CODES[e.status.value]
                batch_pos.append(i)
        amount_exact = np.empty(n, dtype=object)
        amount_exact[:] = amounts
        # What is still in house per finished batch: its quantity minus what was shipped
        # from it in the same unit, never below zero.
        shipped_exact: dict[int, Decimal] = {}
        for s, b in zip(ship_pos, ship_batch, strict=True):
            if unit[s] == unit[b]:
                shipped_exact[b] = shipped_exact.get(b, Decimal(0)) + amounts[s]
        remaining_exact = np.zeros(n, dtype=object)
        for i in batch_pos:
            if kind[i] == FINISHED:
                left = amounts[i] - shipped_exact.get(i, Decimal(0))
                remaining_exact[i] = left if left > 0 else Decimal(0)
        scale, amount, remaining = _scaled(amounts, remaining_exact)
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


def _scaled(
    amounts: list[Decimal], remaining: ObjArray
) -> tuple[int, IntArray | None, IntArray | None]:
    """Scale decimal amounts to exact int64 so sums stay exact and vectorised.

    Returns ``(scale, None, None)`` when some amount has too many decimals or the plant's
    total would overflow int64; sums then fall back to Python decimals.
    """
    if not amounts:
        return 0, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    exponents = {a.as_tuple().exponent for a in set(amounts)}
    if any(not isinstance(e, int) for e in exponents):
        return 0, None, None
    scale = max(0, -min(e for e in exponents if isinstance(e, int)))
    if scale > _MAX_SCALE:
        return 0, None, None
    factor = Decimal(10) ** scale
    scaled = [int(a * factor) for a in amounts]
    if sum(scaled) >= 2**62:
        return 0, None, None
    amount = np.array(scaled, dtype=np.int64)
    rem = np.array([int(r * factor) for r in remaining.tolist()], dtype=np.int64)
    return scale, amount, rem
