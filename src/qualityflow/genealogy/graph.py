"""The batch genealogy: which lots went into which batches, and where they were shipped.

:class:`Genealogy` wraps a :class:`networkx.DiGraph` whose nodes are batch and shipment
ids and whose edges run from input to output. It answers the questions of a recall desk:
what is downstream of a suspect lot (:meth:`Genealogy.trace_forward`), what is upstream of
a complained batch (:meth:`Genealogy.trace_backward`), what a recall touches and how much
of it already left the plant (:meth:`Genealogy.recall_impact`), and which lot, supplier or
line a set of complained batches share (:meth:`Genealogy.common_causes`).

Small traces run on the networkx adjacency dictionaries; traces that reach a large part
of a big plant switch to a compiled CSR index kept beside the graph, built lazily and
dropped on every change. No I/O happens here: exports return text or write to a file-like
object the caller opened.
"""

from __future__ import annotations

import gc
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import IO, Any, ClassVar, TypeAlias

import networkx as nx
import numpy as np

from qualityflow.errors import GenealogyError
from qualityflow.genealogy import _index
from qualityflow.genealogy._index import Attributes, Topology
from qualityflow.genealogy.results import (
    CauseKind,
    CommonCause,
    DataIssue,
    Direction,
    MassBalance,
    RecallImpact,
    Trace,
    _quantities,
)
from qualityflow.models import Batch, BatchKind, Quantity, Shipment

__all__ = ["Genealogy", "Link"]

Link: TypeAlias = tuple[str, str, Quantity | None]
"""One link as ``(input_id, output_id, quantity_or_None)``."""

_MAX_LISTED = 10
_FREEZE_MIN_NODES = 50_000
_KIND_ORDER: dict[str, int] = {"lot": 0, "line": 1, "supplier": 2}


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    if len(items) > _MAX_LISTED:
        shown += f" ... and {len(items) - _MAX_LISTED} more"
    return shown


def _batch_attrs(batch: Batch) -> dict[str, Any]:
    return {
        "kind": batch.kind.value,
        "product": batch.product,
        "status": batch.status.value,
        "quantity": batch.quantity,
        "supplier": batch.supplier_id,
        "line": batch.line,
        "produced_at": batch.produced_at,
        "entity": batch,
    }


def _shipment_attrs(shipment: Shipment) -> dict[str, Any]:
    return {
        "kind": "shipment",
        "batch": shipment.batch_id,
        "customer": shipment.customer_id,
        "region": shipment.region,
        "quantity": shipment.quantity,
        "shipped_at": shipment.shipped_at,
        "entity": shipment,
    }


class _ShipmentEdge(dict):  # type: ignore[type-arg]
    """Edge data of a batch-to-shipment edge (a plain dict to networkx).

    Its type tells a forward trace that the target is a shipment, a leaf reached only
    through its batch, so the trace neither looks the shipment up nor deduplicates it;
    shipments are most of a plant's nodes.
    """

    __slots__ = ()


class _ShippingOut(dict):  # type: ignore[type-arg]
    """The successor dict of a batch that ships (a plain dict to networkx).

    Besides the usual ``{successor: edge data}`` entries it keeps ``links`` (the batches
    the batch went into) and ``ships`` (its shipments) as lists, so a forward trace reads
    shipment ids straight from a list, touching neither each edge's data nor each
    shipment id (cache misses on a plant-sized graph). Every batch with a shipment has
    one; :func:`_refresh_split` recomputes the lists after its edges change.
    """

    __slots__ = ("links", "ships")

    links: list[str]
    ships: list[str]


def _refresh_split(out: _ShippingOut) -> None:
    links: list[str] = []
    ships: list[str] = []
    for other, data in out.items():
        (ships if type(data) is _ShipmentEdge else links).append(other)
    out.links = links
    out.ships = ships


def _bfs(
    adj: dict[str, dict[str, Any]],
    starts: Sequence[str],
    depth: int | None,
    budget: int | None,
    forward: bool = True,
    shipment_starts: frozenset[str] = frozenset(),
) -> list[str] | None:
    """Breadth-first order of what ``adj`` reaches from distinct ``starts`` (excluded).

    Returns ``None`` as soon as more than ``budget`` ids are reached, so the caller can
    switch to the CSR index for a wide trace. A forward trace does not check reached
    shipments against ``seen`` (it reads them from :class:`_ShippingOut`), so
    ``shipment_starts`` names the starting ids that are shipments, to be left out of the
    result.
    """
    if depth is not None or not forward:
        return _bfs_levels(adj, starts, depth, budget)
    seen = set(starts)
    queue = list(starts)
    order: list[str] = []
    limit = budget if budget is not None else -1
    add = seen.add
    enqueue = queue.append
    reach = order.append
    extend = order.extend
    # Iterating a list while appending to it visits the appended ids too: a FIFO queue.
    for node in queue:
        out = adj[node]
        if type(out) is _ShippingOut:
            for other in out.links:
                if other not in seen:
                    add(other)
                    enqueue(other)
                    reach(other)
            extend(out.ships)
        else:  # ships nothing: every successor is a batch
            for other in out:
                if other not in seen:
                    add(other)
                    enqueue(other)
                    reach(other)
        if 0 <= limit < len(order):
            return None
    if shipment_starts:
        return [node for node in order if node not in shipment_starts]
    return order


def _bfs_levels(
    adj: dict[str, dict[str, Any]],
    starts: Sequence[str],
    depth: int | None,
    budget: int | None,
) -> list[str] | None:
    seen = set(starts)
    order: list[str] = []
    frontier = list(starts)
    level = 0
    while frontier and (depth is None or level < depth):
        nxt: list[str] = []
        for node in frontier:
            for other in adj[node]:
                if other not in seen:
                    seen.add(other)
                    nxt.append(other)
        order += nxt
        if budget is not None and len(order) > budget:
            return None
        frontier = nxt
        level += 1
    return order


def _add_quantity(old: Quantity | None, new: Quantity | None) -> Quantity | None:
    if old is None:
        return new
    if new is None:
        return old
    return old + new


class Genealogy:
    """A plant's batch genealogy: lots, batches and shipments linked input to output.

    Build it one record at a time with :meth:`add_batch`, :meth:`add_shipment` and
    :meth:`link`, or in bulk with :meth:`build`. Every refused call raises
    :class:`~qualityflow.errors.GenealogyError` naming the ids involved and leaves the
    genealogy exactly as it was.

    Examples
    --------
    >>> import qualityflow as qf
    >>> g = qf.Genealogy()
    >>> kg = lambda n: qf.Quantity(amount=n, unit="kg")
    >>> g.add_batch(qf.Batch(id="COCOA-7", kind="raw_material", product="cocoa powder",
    ...                      quantity=kg(500), supplier_id="SUP-COCOA"))
    >>> g.add_batch(qf.Batch(id="MIX-1", kind="intermediate", product="cocoa dough",
    ...                      quantity=kg(800), line="L1"))
    >>> g.link("COCOA-7", "MIX-1", kg(200))
    >>> sorted(g.trace_forward("COCOA-7").ids)
    ['MIX-1']

    """

    # Traces on graphs of at least _INDEX_MIN_NODES nodes that reach more than
    # _DICT_BUDGET ids move from the adjacency dictionaries to the CSR index.
    _DICT_BUDGET: ClassVar[int] = 2048
    _INDEX_MIN_NODES: ClassVar[int] = 20_000
    _dict_budget: int
    _index_min_nodes: int

    def __init__(self) -> None:
        self._graph: nx.DiGraph = nx.DiGraph()
        self._view: nx.DiGraph | None = None
        self._topology: Topology | None = None
        self._attributes: Attributes | None = None
        self._groups: dict[str, dict[str, list[str]]] | None = None
        self._dict_budget = self._DICT_BUDGET
        self._index_min_nodes = self._INDEX_MIN_NODES

    # ------------------------------------------------------------------ building

    def add_batch(self, batch: Batch) -> None:
        """Add a lot or batch as a node.

        Raises
        ------
        GenealogyError
            When the id is already in the genealogy (use :meth:`update_batch`).

        """
        if not isinstance(batch, Batch):
            raise GenealogyError(f"add_batch expects a Batch, got {type(batch).__name__}")
        if batch.id in self._graph:
            raise GenealogyError(
                f"batch {batch.id!r} is already in the genealogy; use update_batch() to "
                "replace its record"
            )
        self._graph.add_node(batch.id, **_batch_attrs(batch))
        self._changed()

    def update_batch(self, batch: Batch) -> None:
        """Replace the stored record of a batch already in the genealogy (same id).

        Use it after a status change (quarantine, release) so impacts see the new status.
        """
        self._require_batch(batch.id, "update_batch")
        node = self._graph._node[batch.id]
        node.clear()
        node.update(_batch_attrs(batch))
        self._attributes = None
        self._groups = None

    def add_shipment(self, shipment: Shipment) -> None:
        """Add a shipment and link it from the batch it ships (``shipment.batch_id``).

        Raises
        ------
        GenealogyError
            When the shipment id is taken or its batch is not in the genealogy.

        """
        if not isinstance(shipment, Shipment):
            raise GenealogyError(f"add_shipment expects a Shipment, got {type(shipment).__name__}")
        if shipment.id in self._graph:
            raise GenealogyError(f"id {shipment.id!r} is already in the genealogy")
        self._require_batch(shipment.batch_id, f"shipment {shipment.id!r}")
        self._graph.add_node(shipment.id, **_shipment_attrs(shipment))
        self._graph.add_edge(shipment.batch_id, shipment.id)
        data = _ShipmentEdge(quantity=shipment.quantity)
        self._graph._succ[shipment.batch_id][shipment.id] = data
        self._graph._pred[shipment.id][shipment.batch_id] = data
        out = self._graph._succ[shipment.batch_id]
        if type(out) is not _ShippingOut:
            # Same entries, same key: networkx's views look the inner dict up each time.
            out = self._graph._succ[shipment.batch_id] = _ShippingOut(out)
        _refresh_split(out)
        self._changed()

    def link(self, input_id: str, output_id: str, quantity: Quantity | None = None) -> None:
        """Record that ``quantity`` of ``input_id`` went into ``output_id``.

        Linking the same pair again adds the quantities (a second addition of the same
        lot into the same batch). ``None`` means the quantity is not known.

        Raises
        ------
        GenealogyError
            For unknown ids, a shipment used as input or output, or a link that would
            close a cycle (the path is named).

        Examples
        --------
        >>> import qualityflow as qf
        >>> g = qf.Genealogy.example()
        >>> g.link("BISC-1", "COCOA-7")  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        qualityflow.errors.GenealogyError: cannot link 'BISC-1' -> 'COCOA-7': it would close
        the cycle COCOA-7 -> MIX-1 -> BISC-1 -> COCOA-7; ...

        """
        self.link_many([(input_id, output_id, quantity)])

    def link_many(self, links: Iterable[Link]) -> None:
        """Add several links at once: all of them, or (on any error) none of them.

        Each link is ``(input_id, output_id, quantity_or_None)``; the checks are those of
        :meth:`link`, and every problem found is listed in one error.

        Examples
        --------
        >>> import qualityflow as qf
        >>> g = qf.Genealogy.example()
        >>> bad = [("FILM-2", "MIX-2", None), ("BISC-3", "FLOUR-3", None)]
        >>> g.link_many(bad)  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        qualityflow.errors.GenealogyError: cannot link 'BISC-3' -> 'FLOUR-3': it would close
        the cycle FLOUR-3 -> MIX-2 -> BISC-3 -> FLOUR-3; ...
        >>> g.graph.has_edge("FILM-2", "MIX-2")   # the good link was not kept either
        False

        """
        links = list(links)
        problems = self._link_problems(links)
        if problems:
            raise GenealogyError("; ".join(problems[:_MAX_LISTED]) + _more(problems))
        succ = self._graph._succ
        pred = self._graph._pred
        undo: list[tuple[str, str, dict[str, Any] | None]] = []
        try:
            for u, v, q in links:
                old = succ[u].get(v)
                undo.append((u, v, None if old is None else dict(old)))
                if old is None:
                    data: dict[str, Any] = {} if q is None else {"quantity": q}
                    succ[u][v] = data
                    pred[v][u] = data
                else:
                    try:
                        total = _add_quantity(old.get("quantity"), q)
                    except ValueError as exc:
                        raise GenealogyError(
                            f"link {u!r} -> {v!r} already carries {old.get('quantity')}; "
                            f"cannot add {q}: {exc}"
                        ) from None
                    if total is not None:
                        old["quantity"] = total
            self._check_new_links_acyclic(links)
        except BaseException:
            for u, v, before in reversed(undo):
                if before is None:
                    succ[u].pop(v, None)
                    pred[v].pop(u, None)
                else:
                    succ[u][v].clear()
                    succ[u][v].update(before)
            raise
        finally:
            nx._clear_cache(self._graph)
            for u in {u for u, _, _ in links if u in succ}:
                out = succ[u]
                if type(out) is _ShippingOut:  # a shipping batch: its lists follow the edges
                    _refresh_split(out)
        self._changed()

    def _link_problems(self, links: Sequence[Link]) -> list[str]:
        nodes = self._graph._node
        problems: list[str] = []
        for u, v, q in links:
            missing = [i for i in (u, v) if i not in nodes]
            if missing:
                problems.append(
                    f"cannot link {u!r} -> {v!r}: unknown id(s) {_listed(missing)}; add the "
                    "batch first"
                )
                continue
            if u == v:
                problems.append(f"cannot link {u!r} to itself")
            for end, role in ((u, "input"), (v, "output")):
                if nodes[end]["kind"] == "shipment":
                    problems.append(
                        f"cannot link {u!r} -> {v!r}: {end!r} is a shipment and cannot be an "
                        f"{role}; add_shipment() links a shipment from its batch"
                    )
            if q is not None and not isinstance(q, Quantity):
                problems.append(
                    f"link {u!r} -> {v!r}: quantity must be a Quantity or None, got {q!r}"
                )
        return problems

    def _check_new_links_acyclic(self, links: Sequence[Link]) -> None:
        succ = self._graph._succ
        targets = list(dict.fromkeys(v for _, v, _ in links))
        sources = {u for u, _, _ in links}
        downstream = _bfs(succ, targets, None, None) or []
        suspicious = sources.intersection(downstream).union(sources.intersection(targets))
        if not suspicious:
            return
        for u, v, _ in links:
            if u not in suspicious:
                continue
            order = _bfs(succ, [v], None, None) or []
            if u in order:
                trace = Trace(self, "forward", (v,), None, ids=order)
                cycle = [*trace.path_to(u), v]
                raise GenealogyError(
                    f"cannot link {u!r} -> {v!r}: it would close the cycle "
                    f"{' -> '.join(cycle)}; links run from input to output, check the direction"
                )

    @classmethod
    def build(
        cls,
        batches: Iterable[Batch],
        links: Iterable[Link],
        shipments: Iterable[Shipment] = (),
        *,
        freeze: bool | None = None,
    ) -> Genealogy:
        """Build a genealogy from a plant's history in one pass, validated once.

        ``links`` are ``(input_id, output_id, quantity_or_None)``; each shipment is linked
        from its batch. The errors are those of the one-by-one calls (all problems found
        are listed).

        The garbage collector is paused while loading, because scanning millions of fresh
        objects would otherwise cost a third of the load, and switched back on after.
        With ``freeze`` true (the default for 50,000 nodes or more) the loaded objects are
        then moved out of its way with ``gc.freeze()``, so later collections do not
        traverse them again. Frozen objects are still freed when no longer referenced,
        but ``gc.freeze()`` also freezes whatever else is alive at that moment, so an
        application that rebuilds large genealogies over and over should keep one
        instead, or pass ``freeze=False``.

        Examples
        --------
        >>> import qualityflow as qf
        >>> kg = lambda n: qf.Quantity(amount=n, unit="kg")
        >>> lots = [qf.Batch(id="SUGAR-1", kind="raw_material", product="sugar",
        ...                  quantity=kg(100)),
        ...         qf.Batch(id="MIX-9", kind="intermediate", product="dough",
        ...                  quantity=kg(300))]
        >>> g = qf.Genealogy.build(lots, [("SUGAR-1", "MIX-9", kg(40))])
        >>> g.mass_balance("SUGAR-1").remaining
        Quantity(amount=Decimal('60'), unit='kg')

        """
        enabled = gc.isenabled()
        gc.disable()
        built: Genealogy | None = None
        try:
            built = cls._build(batches, links, shipments)
            return built
        finally:
            if enabled:
                # A plant-sized load would otherwise be traversed again by the next
                # collections; freezing moves it (and whatever else is alive) out of
                # their way. Small loads are not worth it.
                if freeze is None:
                    freeze = built is not None and len(built) >= _FREEZE_MIN_NODES
                if freeze and built is not None:
                    gc.freeze()
                gc.enable()

    @classmethod
    def _build(
        cls,
        batches: Iterable[Batch],
        links: Iterable[Link],
        shipments: Iterable[Shipment],
    ) -> Genealogy:
        ids: list[str] = []
        attrs: list[dict[str, Any]] = []
        pos: dict[str, int] = {}
        problems: list[str] = []
        for b in batches:
            if not isinstance(b, Batch):
                problems.append(f"batches must be Batch objects, got {type(b).__name__}")
                continue
            if b.id in pos:
                problems.append(f"batch id {b.id!r} is given twice")
                continue
            pos[b.id] = len(ids)
            ids.append(b.id)
            attrs.append(_batch_attrs(b))
        n_batches = len(ids)
        # Integer endpoints in compact arrays: no int object kept per edge.
        edge_u = array("q")
        edge_v = array("q")
        edge_q: list[Quantity | None] = []
        for s in shipments:
            if not isinstance(s, Shipment):
                problems.append(f"shipments must be Shipment objects, got {type(s).__name__}")
                continue
            if s.id in pos:
                problems.append(f"id {s.id!r} is given twice")
                continue
            b_pos = pos.get(s.batch_id, n_batches)
            if b_pos >= n_batches:
                problems.append(f"shipment {s.id!r}: batch {s.batch_id!r} is not in the genealogy")
                continue
            pos[s.id] = len(ids)
            ids.append(s.id)
            attrs.append(_shipment_attrs(s))
            edge_u.append(b_pos)
            edge_v.append(pos[s.id])
            edge_q.append(s.quantity)
        get = pos.get
        for link in links:
            u, v, q = link
            iu = get(u, -1)
            iv = get(v, -1)
            if iu < 0 or iv < 0 or iu >= n_batches or iv >= n_batches or iu == iv:
                problems.extend(cls._build_link_problem(link, pos, n_batches))
                continue
            if q is not None and not isinstance(q, Quantity):
                problems.append(
                    f"link {u!r} -> {v!r}: quantity must be a Quantity or None, got {q!r}"
                )
                continue
            edge_u.append(iu)
            edge_v.append(iv)
            edge_q.append(q)
        if problems:
            raise GenealogyError(
                "genealogy not built: " + "; ".join(problems[:_MAX_LISTED]) + _more(problems)
            )
        n = len(ids)
        src = np.frombuffer(edge_u, dtype=np.int64) if n else np.zeros(0, dtype=np.int64)
        dst = np.frombuffer(edge_v, dtype=np.int64) if n else np.zeros(0, dtype=np.int64)
        topology = Topology.from_edges(ids, pos, src, dst)
        cls._refuse_cycles(topology)

        # Adjacency built by position (list indexing) and keyed by id only at the end.
        succ_at: list[dict[str, dict[str, Any]]] = [{} for _ in range(n)]
        pred_at: list[dict[str, dict[str, Any]]] = [{} for _ in range(n)]
        duplicates = False
        for iu, iv, q in zip(edge_u, edge_v, edge_q, strict=True):
            v = ids[iv]
            out = succ_at[iu]
            if v in out:
                duplicates = True
                data = out[v]
                total = _add_quantity(data.get("quantity"), q)
                if total is not None:
                    data["quantity"] = total
                continue
            if iv >= n_batches:
                data = _ShipmentEdge(quantity=q)
            else:
                data = {} if q is None else {"quantity": q}
            out[v] = data
            pred_at[iv][ids[iu]] = data
        for i in set(edge_u[: n - n_batches]):  # batches that ship
            shipping = succ_at[i] = _ShippingOut(succ_at[i])
            _refresh_split(shipping)
        succ = dict(zip(ids, succ_at, strict=True))
        pred = dict(zip(ids, pred_at, strict=True))
        del succ_at, pred_at
        g = cls()
        graph = g._graph
        graph._node = dict(zip(ids, attrs, strict=True))
        graph._adj = succ
        graph._pred = pred
        if duplicates:
            keys = np.unique(src * n + dst)
            topology = Topology.from_edges(ids, pos, keys // n, keys % n)
        g._topology = topology
        return g

    @staticmethod
    def _build_link_problem(link: Link, pos: dict[str, int], n_batches: int) -> list[str]:
        u, v, _ = link
        missing = [i for i in (u, v) if i not in pos]
        if missing:
            return [f"link {u!r} -> {v!r}: unknown id(s) {_listed(missing)}"]
        if u == v:
            return [f"cannot link {u!r} to itself"]
        return [
            f"cannot link {u!r} -> {v!r}: {end!r} is a shipment; shipments are linked from "
            "their batch automatically"
            for end in (u, v)
            if pos[end] >= n_batches
        ]

    @staticmethod
    def _refuse_cycles(topo: Topology) -> None:
        n = len(topo.ids)
        if n == 0 or topo.succ_idx.size == 0:
            return
        # scipy is imported here, on the first bulk build: `import qualityflow` (and the
        # pytest plugin, loaded in every test session) does not pay for it.
        from scipy.sparse import csr_array
        from scipy.sparse.csgraph import connected_components

        ones = np.ones(topo.succ_idx.size, dtype=np.int8)
        matrix = csr_array((ones, topo.succ_idx, topo.succ_ptr), shape=(n, n))
        count, labels = connected_components(matrix, directed=True, connection="strong")
        if count == n:
            return
        big = int(np.argmax(np.bincount(labels)))
        members = np.flatnonzero(labels == big).tolist()
        inside = set(members)
        ids = topo.ids
        sub = nx.DiGraph(
            (ids[a], ids[b])
            for a in members
            for b in topo.succ_idx[topo.succ_ptr[a] : topo.succ_ptr[a + 1]].tolist()
            if b in inside
        )
        cycle = [u for u, _ in nx.find_cycle(sub)]
        raise GenealogyError(
            "genealogy not built: the links close the cycle "
            f"{' -> '.join([*cycle, cycle[0]])}; links run from input to output, check the "
            "direction"
        )

    # ------------------------------------------------------------------ access

    @property
    def graph(self) -> nx.DiGraph:
        """A read-only view of the underlying :class:`networkx.DiGraph`.

        Nodes carry ``kind`` (a batch kind or ``"shipment"``), ``quantity``, ``entity``
        (the :class:`~qualityflow.models.Batch` or :class:`~qualityflow.models.Shipment`)
        and, for batches, ``product``, ``status``, ``supplier``, ``line``, ``produced_at``;
        for shipments ``batch``, ``customer``, ``region``, ``shipped_at``. Edges carry
        ``quantity`` when known. networkx algorithms (and installed networkx backends)
        work on it directly.

        Examples
        --------
        >>> import networkx as nx, qualityflow as qf
        >>> nx.is_directed_acyclic_graph(qf.Genealogy.example().graph)
        True

        """
        if self._view is None:
            self._view = nx.graphviews.generic_graph_view(self._graph)
        return self._view

    def __contains__(self, id: object) -> bool:
        return id in self._graph._node

    def __len__(self) -> int:
        return len(self._graph._node)

    def __iter__(self) -> Iterator[str]:
        return iter(self._graph._node)

    def __repr__(self) -> str:
        n_ship = sum(1 for d in self._graph._node.values() if d["kind"] == "shipment")
        return (
            f"Genealogy({len(self) - n_ship} batches, {n_ship} shipments, "
            f"{self._graph.number_of_edges() - n_ship} links)"
        )

    def entity(self, id: str) -> Batch | Shipment:
        """Return the batch or shipment record stored under ``id``."""
        try:
            entity: Batch | Shipment = self._graph._node[id]["entity"]
        except KeyError:
            raise GenealogyError(f"unknown id {id!r}: not in the genealogy") from None
        return entity

    def batch(self, id: str) -> Batch:
        """Return the :class:`~qualityflow.models.Batch` stored under ``id``."""
        return self._require_batch(id, "batch()")

    def shipment(self, id: str) -> Shipment:
        """Return the :class:`~qualityflow.models.Shipment` stored under ``id``."""
        entity = self.entity(id)
        if not isinstance(entity, Shipment):
            raise GenealogyError(f"{id!r} is a batch, not a shipment")
        return entity

    def batches(self) -> Iterator[Batch]:
        """Every batch and lot, in the order they were added."""
        for data in self._graph._node.values():
            entity = data["entity"]
            if isinstance(entity, Batch):
                yield entity

    def shipments(self) -> Iterator[Shipment]:
        """Every shipment, in the order they were added."""
        for data in self._graph._node.values():
            entity = data["entity"]
            if isinstance(entity, Shipment):
                yield entity

    def links(self) -> Iterator[Link]:
        """Every batch-to-batch link as ``(input_id, output_id, quantity_or_None)``.

        Shipment edges are left out (each shipment names its batch), so
        ``Genealogy.build(g.batches(), g.links(), g.shipments())`` rebuilds ``g``.
        """
        nodes = self._graph._node
        for u, nbrs in self._graph._succ.items():
            for v, data in nbrs.items():
                if nodes[v]["kind"] != "shipment":
                    yield (u, v, data.get("quantity"))

    def _require_batch(self, id: str, what: str) -> Batch:
        data = self._graph._node.get(id)
        if data is None:
            raise GenealogyError(f"{what}: batch {id!r} is not in the genealogy; add it first")
        entity = data["entity"]
        if not isinstance(entity, Batch):
            raise GenealogyError(f"{what}: {id!r} is a shipment, not a batch")
        return entity

    def _known(self, ids: Sequence[str], what: str) -> tuple[str, ...]:
        if len(ids) == 1 and ids[0] in self._graph._node:
            return tuple(ids)
        if not ids:
            raise GenealogyError(f"{what}: give at least one batch or shipment id")
        nodes = self._graph._node
        missing = [i for i in ids if i not in nodes]
        if missing:
            raise GenealogyError(
                f"{what}: unknown id(s) {_listed([repr(m) for m in missing])}; they are not "
                "in the genealogy"
            )
        return tuple(dict.fromkeys(ids))

    def _changed(self) -> None:
        self._topology = None
        self._attributes = None
        self._groups = None

    def _topo(self) -> Topology:
        if self._topology is None:
            self._topology = Topology.from_adjacency(self._graph._succ)
        return self._topology

    def _attrs(self) -> Attributes:
        if self._attributes is None:
            self._attributes = Attributes.build(self._topo(), self._graph._node)
        return self._attributes

    # ------------------------------------------------------------------ traces

    def trace_forward(self, *ids: str, depth: int | None = None) -> Trace:
        """Everything downstream of ``ids``: the batches they went into and the shipments.

        ``depth`` limits the number of steps (1: direct outputs only).

        Examples
        --------
        >>> import qualityflow as qf
        >>> g = qf.Genealogy.example()
        >>> sorted(g.trace_forward("FLOUR-3", depth=1).ids)
        ['MIX-1', 'MIX-2']

        """
        return self._trace("forward", ids, depth)

    def trace_backward(self, *ids: str, depth: int | None = None) -> Trace:
        """Everything upstream of ``ids``: the mixes and lots they were made from.

        Examples
        --------
        >>> import qualityflow as qf
        >>> g = qf.Genealogy.example()
        >>> sorted(g.trace_backward("SHIP-3").ids)
        ['BISC-3', 'FILM-2', 'FLOUR-3', 'MIX-2']

        """
        return self._trace("backward", ids, depth)

    def _trace(self, direction: Direction, ids: Sequence[str], depth: int | None) -> Trace:
        starts = self._known(ids, f"trace_{direction}")
        if depth is not None and depth < 0:
            raise GenealogyError(f"depth must be None or at least 0, got {depth}")
        adj = self._graph._succ if direction == "forward" else self._graph._pred
        wide = len(self._graph._node) >= self._index_min_nodes
        budget = self._dict_budget if wide else None
        forward = direction == "forward"
        shipment_starts: frozenset[str] = frozenset()
        if forward and len(starts) > 1:
            nodes = self._graph._node
            shipment_starts = frozenset(s for s in starts if nodes[s]["kind"] == "shipment")
        order = _bfs(adj, starts, depth, budget, forward, shipment_starts)
        if order is not None:
            return Trace(self, direction, starts, depth, ids=order)
        topo = self._topo()
        if direction == "forward":
            ptr, idx = topo.succ_ptr, topo.succ_idx
        else:
            ptr, idx = topo.pred_ptr, topo.pred_idx
        reached = _index.bfs(ptr, idx, topo.indices_of(starts), depth)
        return Trace(self, direction, starts, depth, indices=reached, names=topo.ids)

    # ------------------------------------------------------------------ recall

    def recall_impact(self, *suspect_ids: str) -> RecallImpact:
        """Assess what recalling ``suspect_ids`` touches: batches, shipments, customers.

        Shipped amounts sum every affected shipment; in-house amounts sum, for every
        affected finished batch, its quantity minus what was shipped from it in the same
        unit (never below zero), split by the batch's status.

        Examples
        --------
        >>> import qualityflow as qf
        >>> impact = qf.Genealogy.example().recall_impact("COCOA-7")
        >>> sorted(impact.customer_ids), impact.shipped["pack"].amount
        (['CUST-ALDA', 'CUST-BERG'], Decimal('2500'))
        >>> print(impact)  # doctest: +NORMALIZE_WHITESPACE
        Recall impact of COCOA-7: 4 batches (2 finished), 2 shipments to 2 customers in
        2 regions; shipped 2500 pack; in house 5500 pack (quarantined 3000 pack, still
        released 2500 pack)

        """
        trace = self._trace("forward", suspect_ids, None)
        if trace._ids is not None:
            return self._impact_small([*trace.starts, *trace._ids], trace.starts)
        return self._impact_wide(trace)

    def _impact_small(self, affected: list[str], suspects: tuple[str, ...]) -> RecallImpact:
        # Reads the node attributes (as the CSR arrays do), so both paths agree; a batch
        # changed in place is seen after update_batch().
        nodes = self._graph._node
        succ = self._graph._succ
        batches: list[Batch] = []
        shipments: list[Shipment] = []
        shipped: dict[str, Decimal] = defaultdict(Decimal)
        in_house: dict[str, Decimal] = defaultdict(Decimal)
        by_status: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        finished = BatchKind.FINISHED.value
        for node in affected:
            data = nodes[node]
            quantity: Quantity = data["quantity"]
            if data["kind"] == "shipment":
                shipments.append(data["entity"])
                shipped[quantity.unit] += quantity.amount
                continue
            batches.append(data["entity"])
            if data["kind"] != finished:
                continue
            unit = quantity.unit
            out = Decimal(0)
            for other in succ[node]:
                sent = nodes[other]
                if sent["kind"] == "shipment" and sent["quantity"].unit == unit:
                    out += sent["quantity"].amount
            left = max(quantity.amount - out, Decimal(0))
            in_house[unit] += left
            by_status[data["status"]][unit] += left
        return RecallImpact(
            suspect_ids=suspects,
            batches=batches,
            shipments=shipments,
            customer_ids=frozenset(nodes[s.id]["customer"] for s in shipments),
            regions=frozenset(
                r for r in (nodes[s.id]["region"] for s in shipments) if r is not None
            ),
            shipped=_quantities(shipped),
            in_house=_quantities(in_house),
            in_house_by_status={k: _quantities(v) for k, v in sorted(by_status.items())},
        )

    def _impact_wide(self, trace: Trace) -> RecallImpact:
        topo = self._topo()
        attrs = self._attrs()
        idx = np.concatenate([topo.indices_of(trace.starts), trace._indices])
        is_ship = attrs.kind[idx] == _index.SHIPMENT_KIND
        ship_idx = idx[is_ship]
        batch_idx = idx[~is_ship]
        units = attrs.units
        shipped: dict[str, Decimal] = {}
        ship_units = attrs.unit[ship_idx]
        for u in np.unique(ship_units).tolist():
            shipped[units[u]] = attrs.total(
                attrs.amount, attrs.amount_exact, ship_idx[ship_units == u]
            )
        fin_idx = batch_idx[attrs.kind[batch_idx] == _index.FINISHED]
        fin_units = attrs.unit[fin_idx]
        fin_status = attrs.status[fin_idx]
        in_house: dict[str, Decimal] = {}
        by_status: dict[str, dict[str, Decimal]] = {}
        for u in np.unique(fin_units).tolist():
            of_unit = fin_units == u
            in_house[units[u]] = attrs.total(
                attrs.remaining, attrs.remaining_exact, fin_idx[of_unit]
            )
            for st in np.unique(fin_status[of_unit]).tolist():
                chosen = fin_idx[of_unit & (fin_status == st)]
                by_status.setdefault(_index.STATUS_NAMES[st], {})[units[u]] = attrs.total(
                    attrs.remaining, attrs.remaining_exact, chosen
                )
        customers = np.unique(attrs.customer[ship_idx]).tolist()
        regions = np.unique(attrs.region[ship_idx]).tolist()
        return RecallImpact(
            suspect_ids=trace.starts,
            batches=attrs.entity[batch_idx].tolist(),
            shipments=attrs.entity[ship_idx].tolist(),
            customer_ids=frozenset(attrs.customers[c] for c in customers),
            regions=frozenset(attrs.regions[r] for r in regions if r >= 0),
            shipped=_quantities(shipped),
            in_house=_quantities(in_house),
            in_house_by_status={k: _quantities(v) for k, v in sorted(by_status.items())},
        )

    # ------------------------------------------------------------------ common causes

    def common_causes(self, *batch_ids: str, top: int = 10) -> list[CommonCause]:
        """Rank the lots, suppliers and lines that the given (complained) batches share.

        Candidates feed at least two of the given batches (or the one, when only one is
        given). They are ordered by reach (how many given batches they feed), then
        specificity (the fraction of their own downstream batches of the same kinds as the
        given ones that are among them), so a lot behind every complaint and little else
        ranks above water or a packaging film that feeds the whole plant.

        Examples
        --------
        >>> import qualityflow as qf
        >>> g = qf.Genealogy.example()
        >>> causes = g.common_causes("BISC-1", "BISC-2")
        >>> [(c.kind, c.id, c.reach, c.specificity) for c in causes][:3]
        [('lot', 'COCOA-7', 2, 1.0), ('lot', 'MIX-1', 2, 1.0), ('supplier', 'SUP-COCOA', 2, 1.0)]

        """
        given = self._known(batch_ids, "common_causes")
        if top < 1:
            raise GenealogyError(f"common_causes: top must be at least 1, got {top}")
        nodes = self._graph._node
        kinds = {nodes[b]["kind"] for b in given}
        lot_reach: dict[str, int] = defaultdict(int)
        supplier_reach: dict[str, int] = defaultdict(int)
        line_reach: dict[str, int] = defaultdict(int)
        for b in given:
            upstream = self._trace("backward", (b,), None)
            suppliers: set[str] = set()
            lines: set[str] = set()
            for node in (b, *upstream):
                data = nodes[node]
                if node != b:
                    lot_reach[node] += 1
                if data["kind"] == "shipment":
                    continue
                if data["supplier"] is not None:
                    suppliers.add(data["supplier"])
                if data["line"] is not None:
                    lines.add(data["line"])
            for s in suppliers:
                supplier_reach[s] += 1
            for line in lines:
                line_reach[line] += 1
        least = min(2, len(given))
        groups = self._group_index()
        causes: list[CommonCause] = []
        for kind, reach_of in (
            ("lot", lot_reach),
            ("supplier", supplier_reach),
            ("line", line_reach),
        ):
            for key, reach in reach_of.items():
                if reach < least:
                    continue
                sources = [key] if kind == "lot" else groups[kind][key]
                downstream = self._count_downstream(sources, kinds, include_sources=kind != "lot")
                causes.append(
                    CommonCause(
                        id=key,
                        reach=reach,
                        share=reach / len(given),
                        specificity=reach / downstream if downstream else 0.0,
                        kind=_cause_kind(kind),
                    )
                )
        causes.sort(key=lambda c: (-c.reach, -c.specificity, _KIND_ORDER[c.kind], c.id))
        return causes[:top]

    def _group_index(self) -> dict[str, dict[str, list[str]]]:
        if self._groups is None:
            groups: dict[str, dict[str, list[str]]] = {"supplier": {}, "line": {}}
            for node, data in self._graph._node.items():
                if data["kind"] == "shipment":
                    continue
                if data["supplier"] is not None:
                    groups["supplier"].setdefault(data["supplier"], []).append(node)
                if data["line"] is not None:
                    groups["line"].setdefault(data["line"], []).append(node)
            self._groups = groups
        return self._groups

    def _count_downstream(self, sources: list[str], kinds: set[str], include_sources: bool) -> int:
        trace = self._trace("forward", sources, None)
        if trace._ids is not None:
            nodes = self._graph._node
            reached: Iterable[str] = trace._ids
            if include_sources:
                reached = [*trace.starts, *trace._ids]
            return sum(1 for n in reached if nodes[n]["kind"] in kinds)
        topo = self._topo()
        attrs = self._attrs()
        idx = trace._indices
        if include_sources:
            idx = np.concatenate([topo.indices_of(trace.starts), idx])
        codes = [_index.KIND_CODES.get(k, _index.SHIPMENT_KIND) for k in kinds]
        return int(np.isin(attrs.kind[idx], codes).sum())

    # ------------------------------------------------------------------ data quality

    def mass_balance(self, id: str) -> MassBalance:
        """Compare what was taken from lot ``id`` (links and shipments) with its quantity.

        Examples
        --------
        >>> import qualityflow as qf
        >>> mb = qf.Genealogy.example().mass_balance("FLOUR-3")
        >>> str(mb.used), mb.ok
        ('1500 kg', True)

        """
        batch = self._require_batch(id, "mass_balance")
        unit = batch.quantity.unit
        used = Decimal(0)
        other: dict[str, Decimal] = defaultdict(Decimal)
        unmeasured: list[str] = []
        for out, data in self._graph._succ[id].items():
            q = data.get("quantity")
            if q is None:
                unmeasured.append(out)
            elif q.unit == unit:
                used += q.amount
            else:
                other[q.unit] += q.amount
        known = batch.attributes.get("quantity_known") is not False and not (
            batch.quantity.amount == 0 and unit == "unknown"
        )
        return MassBalance(
            id=id,
            quantity=batch.quantity,
            used=Quantity(amount=used, unit=unit),
            other_units=_quantities(other),
            unmeasured=tuple(unmeasured),
            known=known,
        )

    def orphan_shipments(self) -> list[Shipment]:
        """Shipments that cannot be traced back to any input lot.

        A shipment is an orphan when the batch it ships was made here (intermediate or
        finished) but has no recorded inputs, so a backward trace from it stops dead.
        """
        nodes = self._graph._node
        pred = self._graph._pred
        made_here = {BatchKind.INTERMEDIATE.value, BatchKind.FINISHED.value}
        return [
            data["entity"]
            for data in nodes.values()
            if data["kind"] == "shipment"
            and nodes[data["batch"]]["kind"] in made_here
            and not pred[data["batch"]]
        ]

    def consumed_before_produced(self) -> list[tuple[str, str]]:
        """Links ``(input_id, output_id)`` where the input was produced after the output.

        Only pairs where both dates are known are checked; a shipment counts as produced
        when shipped.
        """
        nodes = self._graph._node
        found: list[tuple[str, str]] = []
        for u, nbrs in self._graph._succ.items():
            made = nodes[u].get("produced_at")
            if made is None:
                continue
            for v in nbrs:
                data = nodes[v]
                used = data.get("produced_at") if data["kind"] != "shipment" else data["shipped_at"]
                if used is not None and made > used:
                    found.append((u, v))
        return found

    def check(self) -> list[DataIssue]:
        """Every data-quality finding: over-consumed lots, orphan shipments, date errors.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qf.Genealogy.example().check()
        []

        """
        issues: list[DataIssue] = []
        for batch in self.batches():
            balance = self.mass_balance(batch.id)
            if balance.over_by is not None:
                issues.append(
                    DataIssue(
                        "over_consumed",
                        (batch.id,),
                        f"{batch.id!r} holds {balance.quantity} but {balance.used} was taken "
                        f"from it ({balance.over_by} too much); check the link quantities",
                    )
                )
        for shipment in self.orphan_shipments():
            issues.append(
                DataIssue(
                    "orphan_shipment",
                    (shipment.id, shipment.batch_id),
                    f"shipment {shipment.id!r} ships {shipment.batch_id!r}, which has no "
                    "recorded inputs; link its lots so a recall can trace it",
                )
            )
        for u, v in self.consumed_before_produced():
            issues.append(
                DataIssue(
                    "consumed_before_produced",
                    (u, v),
                    f"{u!r} was produced after {v!r} that used it; check the dates",
                )
            )
        return issues

    # ------------------------------------------------------------------ export

    def to_mermaid(self, of: Trace | RecallImpact | Iterable[str] | None = None) -> str:
        """Mermaid flowchart text of the whole genealogy or of a trace or impact.

        Starting or suspect ids are highlighted.

        Examples
        --------
        >>> import qualityflow as qf
        >>> g = qf.Genealogy.example()
        >>> print(g.to_mermaid(g.trace_forward("COCOA-7", depth=1)))
        flowchart LR
          n0[/"COCOA-7<br/>cocoa powder"/]
          n1["MIX-1<br/>cocoa dough"]
          n0 -->|"200 kg"| n1
          classDef suspect fill:#f96,stroke:#c30
          class n0 suspect

        """
        from qualityflow.genealogy import export

        nodes, marked = self._export_selection(of)
        return export.mermaid(self._graph, nodes, marked)

    def to_dot(self, of: Trace | RecallImpact | Iterable[str] | None = None) -> str:
        """Graphviz DOT text of the whole genealogy or of a trace or impact."""
        from qualityflow.genealogy import export

        nodes, marked = self._export_selection(of)
        return export.dot(self._graph, nodes, marked)

    def to_csv(self, file: IO[str] | None = None) -> str:
        """Write the batch-to-batch links as CSV (``input_id,output_id,quantity,unit``).

        Returns the text; when ``file`` (an open text file) is given it is also written
        there.
        """
        from qualityflow.genealogy import export

        return export.write_links_csv(self.links(), file)

    @staticmethod
    def read_links_csv(source: str | IO[str]) -> list[Link]:
        """Parse a CSV edge list (``input_id,output_id[,quantity,unit]``) into links.

        ``source`` is CSV text or an open text file. Bad rows raise
        :class:`~qualityflow.errors.InteropError` naming the line.
        """
        from qualityflow.genealogy import export

        return export.read_links_csv(source)

    def link_csv(self, source: str | IO[str]) -> int:
        """Add the links of a CSV edge list, all or none; return how many were read."""
        links = self.read_links_csv(source)
        self.link_many(links)
        return len(links)

    def _export_selection(
        self, of: Trace | RecallImpact | Iterable[str] | None
    ) -> tuple[list[str], set[str]]:
        if of is None:
            return list(self._graph._node), set()
        if isinstance(of, Trace):
            return [*of.starts, *of.ordered_ids], set(of.starts)
        if isinstance(of, RecallImpact):
            return [*of.batch_ids, *of.shipment_ids], set(of.suspect_ids)
        chosen = list(dict.fromkeys(of))
        self._known(chosen, "export")
        return chosen, set()

    # ------------------------------------------------------------------ example

    @classmethod
    def example(cls) -> Genealogy:
        """Build the small biscuit plant used in the documentation's examples.

        Cocoa lot ``COCOA-7`` and flour lot ``FLOUR-3`` go into dough ``MIX-1``; flour
        alone into ``MIX-2``. ``MIX-1`` makes finished batches ``BISC-1`` and ``BISC-2``
        (quarantined), ``MIX-2`` makes ``BISC-3``; film ``FILM-2`` wraps all three.
        ``SHIP-1``..``SHIP-3`` ship them to two customers.
        """
        t0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)

        def q(amount: int, unit: str) -> Quantity:
            return Quantity(amount=Decimal(amount), unit=unit)

        def lot(id: str, kind: str, product: str, amount: int, unit: str, **extra: Any) -> Batch:
            return Batch.model_validate(
                {"id": id, "kind": kind, "product": product, "quantity": q(amount, unit), **extra}
            )

        batches = [
            lot("COCOA-7", "raw_material", "cocoa powder", 500, "kg", supplier_id="SUP-COCOA"),
            lot("FLOUR-3", "raw_material", "wheat flour", 2000, "kg", supplier_id="SUP-MILL"),
            lot("FILM-2", "packaging", "flow-wrap film", 10000, "m", supplier_id="SUP-FILM"),
            lot("MIX-1", "intermediate", "cocoa dough", 800, "kg", line="L1", produced_at=t0),
            lot("MIX-2", "intermediate", "plain dough", 900, "kg", line="L1", produced_at=t0),
            lot("BISC-1", "finished", "cocoa biscuits 200 g", 4000, "pack", line="L2",
                produced_at=t0 + timedelta(hours=4)),
            lot("BISC-2", "finished", "cocoa biscuits 200 g", 4000, "pack", line="L2",
                status="quarantined", produced_at=t0 + timedelta(hours=6)),
            lot("BISC-3", "finished", "butter biscuits 200 g", 4500, "pack", line="L2",
                produced_at=t0 + timedelta(hours=8)),
        ]  # fmt: skip
        links: list[Link] = [
            ("COCOA-7", "MIX-1", q(200, "kg")),
            ("FLOUR-3", "MIX-1", q(600, "kg")),
            ("FLOUR-3", "MIX-2", q(900, "kg")),
            ("MIX-1", "BISC-1", q(400, "kg")),
            ("MIX-1", "BISC-2", q(400, "kg")),
            ("MIX-2", "BISC-3", q(900, "kg")),
            ("FILM-2", "BISC-1", q(3000, "m")),
            ("FILM-2", "BISC-2", q(3000, "m")),
            ("FILM-2", "BISC-3", q(3000, "m")),
        ]

        def ship(id: str, batch: str, customer: str, amount: int, region: str) -> Shipment:
            return Shipment(
                id=id,
                batch_id=batch,
                customer_id=customer,
                quantity=q(amount, "pack"),
                shipped_at=t0 + timedelta(days=1),
                region=region,
            )

        shipments = [
            ship("SHIP-1", "BISC-1", "CUST-ALDA", 1500, "north"),
            ship("SHIP-2", "BISC-2", "CUST-BERG", 1000, "south"),
            ship("SHIP-3", "BISC-3", "CUST-ALDA", 2000, "north"),
        ]
        g = cls()
        for b in batches:
            g.add_batch(b)
        g.link_many(links)
        for s in shipments:
            g.add_shipment(s)
        return g


def _more(problems: Sequence[str]) -> str:
    return f" ... and {len(problems) - _MAX_LISTED} more" if len(problems) > _MAX_LISTED else ""


def _cause_kind(kind: str) -> CauseKind:
    if kind == "supplier":
        return "supplier"
    if kind == "line":
        return "line"
    return "lot"
