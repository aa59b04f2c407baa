"""The batch genealogy: which lots went into which batches, and where they were shipped.

:class:`Genealogy` wraps a :class:`networkx.DiGraph` whose nodes are batch and shipment
ids and whose edges run from input to output. It answers the questions of a recall desk:
what is downstream of a suspect lot (:meth:`Genealogy.trace_forward`), what is upstream of
a complained batch (:meth:`Genealogy.trace_backward`), what a recall touches and how much
of it already left the plant (:meth:`Genealogy.recall_impact`), and which lot, supplier or
line a set of complained batches share (:meth:`Genealogy.common_causes`).

The networkx graph is built and changed through its public methods only. Every trace
runs on one integer index kept beside it (:mod:`qualityflow.genealogy._index`), updated by
each change without a rebuild. No I/O happens here: the exports (:mod:`qualityflow.interop.
graphs`) return text or write to a file-like object the caller opened.
"""

from __future__ import annotations

import gc
import warnings
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any, ClassVar, TypeAlias

import networkx as nx
import numpy as np

from qualityflow.errors import GenealogyError
from qualityflow.genealogy import _index
from qualityflow.genealogy._index import Attributes, Index
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

    # On graphs of at least _INDEX_MIN_NODES nodes, a trace that has reached more than
    # _DICT_BUDGET ids goes on with numpy operations per level instead of plain Python.
    _DICT_BUDGET: ClassVar[int] = 2048
    _INDEX_MIN_NODES: ClassVar[int] = 20_000
    _dict_budget: int
    _index_min_nodes: int

    def __init__(self) -> None:
        self._graph: nx.DiGraph = nx.DiGraph()
        self._nodes: Any = self._graph.nodes  # networkx's NodeView: id -> attribute dict
        self._view: nx.DiGraph | None = None
        self._index: Index = Index.empty()
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
        if batch.id in self._index.pos:
            raise GenealogyError(
                f"batch {batch.id!r} is already in the genealogy; use update_batch() to "
                "replace its record"
            )
        attrs = _batch_attrs(batch)
        self._graph.add_node(batch.id, **attrs)
        i = self._index.add_node(batch.id, _index.KIND_CODES[attrs["kind"]])
        if self._attributes is not None and not self._attributes.add(
            i, self._nodes[batch.id], None
        ):
            self._attributes = None
        if self._groups is not None:
            _group(self._groups, batch.id, attrs)

    def update_batch(self, batch: Batch) -> None:
        """Replace the stored record of a batch already in the genealogy (same id).

        Use it after a status change (quarantine, release) so impacts see the new status.
        """
        self._require_batch(batch.id, "update_batch")
        node = self._nodes[batch.id]
        node.clear()
        node.update(_batch_attrs(batch))
        index = self._index
        i = index.pos[batch.id]
        index.kind[i] = _index.KIND_CODES[node["kind"]]
        if self._attributes is not None:
            shipped = [index.pos[s] for s in self._graph.succ[batch.id] if s in index.pos]
            shipped = [s for s in shipped if index.kind[s] == _index.SHIPMENT_KIND]
            if not self._attributes.update(i, node, shipped):
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
        if shipment.id in self._index.pos:
            raise GenealogyError(f"id {shipment.id!r} is already in the genealogy")
        self._require_batch(shipment.batch_id, f"shipment {shipment.id!r}")
        self._graph.add_node(shipment.id, **_shipment_attrs(shipment))
        self._graph.add_edge(shipment.batch_id, shipment.id, quantity=shipment.quantity)
        index = self._index
        i = index.add_node(shipment.id, _index.SHIPMENT_KIND)
        b = index.pos[shipment.batch_id]
        index.add_edge(b, i)
        if self._attributes is not None and not self._attributes.add(
            i, self._nodes[shipment.id], b
        ):
            self._attributes = None

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
        >>> from qualityflow.testing import example_genealogy
        >>> g = example_genealogy()
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
        >>> from qualityflow.testing import example_genealogy
        >>> g = example_genealogy()
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
        graph = self._graph
        # Work out every edge's new data first: a refused addition changes nothing.
        totals: dict[tuple[str, str], Quantity | None] = {}
        new: set[tuple[str, str]] = set()
        for u, v, q in links:
            key = (u, v)
            if key in totals:
                old = totals[key]
            elif graph.has_edge(u, v):
                old = graph.edges[u, v].get("quantity")
            else:
                new.add(key)
                old = None
                totals[key] = q
                continue
            try:
                totals[key] = _add_quantity(old, q)
            except ValueError as exc:
                raise GenealogyError(
                    f"link {u!r} -> {v!r} already carries {old}; cannot add {q}: {exc}"
                ) from None
        added = [key for key in totals if key in new]
        graph.add_edges_from((u, v) for u, v in added)
        try:
            self._check_new_links_acyclic(added)
        except BaseException:
            graph.remove_edges_from(added)
            raise
        for (u, v), total in totals.items():
            if total is not None:
                graph.edges[u, v]["quantity"] = total
        pos = self._index.pos
        for u, v in added:
            self._index.add_edge(pos[u], pos[v])

    def _link_problems(self, links: Sequence[Link]) -> list[str]:
        nodes = self._nodes
        pos = self._index.pos
        problems: list[str] = []
        for u, v, q in links:
            missing = [i for i in (u, v) if i not in pos]
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

    def _check_new_links_acyclic(self, added: Sequence[tuple[str, str]]) -> None:
        # The new edges are in the networkx graph already (not yet in the index). Any
        # cycle runs through a new edge u -> v, so it is found as a path back from v to u;
        # networkx's bidirectional search stops at once for the usual link into a batch
        # made from lots that nothing feeds.
        for u, v in added:
            if nx.has_path(self._graph, v, u):
                cycle = [*nx.shortest_path(self._graph, v, u), v]
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
        objects would otherwise cost a third of the load, and is switched back on after
        (on every path, errors included). ``freeze`` is deprecated and ignored: the
        library no longer calls ``gc.freeze()`` (``freeze=True`` warns).

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
        if freeze:
            warnings.warn(
                "Genealogy.build(freeze=...) is deprecated and ignored: the genealogy no "
                "longer calls gc.freeze(); leave the argument out",
                DeprecationWarning,
                stacklevel=2,
            )
        enabled = gc.isenabled()
        gc.disable()
        try:
            return cls._build(batches, links, shipments)
        finally:
            if enabled:
                gc.enable()

    @classmethod
    def _build(
        cls,
        batches: Iterable[Batch],
        links: Iterable[Link],
        shipments: Iterable[Shipment],
    ) -> Genealogy:
        ids: list[str] = []
        entities: list[Batch | Shipment] = []
        kind = bytearray()
        pos: dict[str, int] = {}
        problems: list[str] = []
        codes = _index.KIND_CODES
        for b in batches:
            if not isinstance(b, Batch):
                problems.append(f"batches must be Batch objects, got {type(b).__name__}")
                continue
            if b.id in pos:
                problems.append(f"batch id {b.id!r} is given twice")
                continue
            pos[b.id] = len(ids)
            ids.append(b.id)
            entities.append(b)
            kind.append(codes[b.kind.value])
        n_batches = len(ids)
        # Integer endpoints in compact arrays: no int object kept per edge.
        edge_u = array("q")
        edge_v = array("q")
        edge_q: list[Quantity | None] = []
        ship_code = _index.SHIPMENT_KIND
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
            entities.append(s)
            kind.append(ship_code)
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
        src = np.frombuffer(edge_u, dtype=np.int64) if edge_u else np.zeros(0, dtype=np.int64)
        dst = np.frombuffer(edge_v, dtype=np.int64) if edge_v else np.zeros(0, dtype=np.int64)
        # The index first: the heap space its temporary arrays leave behind is reused by
        # the networkx graph's tables, allocated after.
        index = Index(ids, pos, kind, src, dst)
        cls._refuse_cycles(index)
        g = cls()
        graph = g._graph
        graph.add_nodes_from(
            (e.id, _batch_attrs(e) if isinstance(e, Batch) else _shipment_attrs(e))
            for e in entities
        )
        del entities
        graph.add_edges_from(_edge_rows(ids, edge_u, edge_v, edge_q))
        if graph.number_of_edges() < len(edge_u):
            # A lot added twice to the same batch is one edge whose quantities add up.
            keys = src * max(n, 1) + dst
            _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
            summed = cls._summed_duplicates(ids, edge_u, edge_v, edge_q, first, inverse)
            for e in first[np.bincount(inverse) > 1].tolist():
                data = graph.edges[ids[edge_u[e]], ids[edge_v[e]]]
                data.pop("quantity", None)
                if summed[e] is not None:
                    data["quantity"] = summed[e]
            keep = np.sort(first)
            index = Index(ids, pos, kind, src[keep], dst[keep])
        g._index = index
        return g

    @staticmethod
    def _summed_duplicates(
        ids: list[str],
        edge_u: array[int],
        edge_v: array[int],
        edge_q: list[Quantity | None],
        first: Any,
        inverse: Any,
    ) -> list[Quantity | None]:
        counts = np.bincount(inverse)
        repeated = np.flatnonzero(counts[inverse] > 1).tolist()
        summed = list(edge_q)
        firsts = first.tolist()
        inv = inverse.tolist()
        for e in repeated:
            head = firsts[inv[e]]
            if head == e:
                continue
            try:
                summed[head] = _add_quantity(summed[head], edge_q[e])
            except ValueError as exc:
                u, v = ids[edge_u[e]], ids[edge_v[e]]
                raise GenealogyError(
                    f"genealogy not built: link {u!r} -> {v!r} is given twice with "
                    f"quantities that cannot be added ({summed[head]}, {edge_q[e]}): {exc}"
                ) from None
        return summed

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
    def _refuse_cycles(index: Index) -> None:
        n = len(index.ids)
        if n == 0 or index.succ_idx.size == 0:
            return
        # scipy is imported here, on the first bulk build: `import qualityflow` (and the
        # pytest plugin, loaded in every test session) does not pay for it.
        from scipy.sparse import csr_array
        from scipy.sparse.csgraph import connected_components

        ones = np.ones(index.succ_idx.size, dtype=np.int8)
        matrix = csr_array((ones, index.succ_idx, index.succ_ptr), shape=(n, n))
        count, labels = connected_components(matrix, directed=True, connection="strong")
        if count == n:
            return
        big = int(np.argmax(np.bincount(labels)))
        members = np.flatnonzero(labels == big).tolist()
        inside = set(members)
        ids = index.ids
        ptr, idx = index.succ_ptr, index.succ_idx
        sub = nx.DiGraph(
            (ids[a], ids[b])
            for a in members
            for b in idx[ptr[a] : ptr[a + 1]].tolist()
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
        work on it directly; changing it raises :class:`networkx.NetworkXError` (change
        the genealogy through its methods).

        Examples
        --------
        >>> import networkx as nx
        >>> from qualityflow.testing import example_genealogy
        >>> g = example_genealogy()
        >>> nx.is_directed_acyclic_graph(g.graph)
        True
        >>> sorted(nx.descendants(g.graph, "MIX-2"))
        ['BISC-3', 'SHIP-3']

        """
        if self._view is None:
            self._view = self._graph.copy(as_view=True)  # a frozen networkx view
        return self._view

    def __contains__(self, id: object) -> bool:
        return id in self._index.pos

    def __len__(self) -> int:
        return len(self._index.ids)

    def __iter__(self) -> Iterator[str]:
        return iter(self._graph)

    def __repr__(self) -> str:
        n_ship = self._index.kind.count(_index.SHIPMENT_KIND)
        return (
            f"Genealogy({len(self) - n_ship} batches, {n_ship} shipments, "
            f"{self._graph.number_of_edges() - n_ship} links)"
        )

    def entity(self, id: str) -> Batch | Shipment:
        """Return the batch or shipment record stored under ``id``."""
        if id not in self._index.pos:
            raise GenealogyError(f"unknown id {id!r}: not in the genealogy")
        entity: Batch | Shipment = self._nodes[id]["entity"]
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
        for _, entity in self._graph.nodes(data="entity"):
            if isinstance(entity, Batch):
                yield entity

    def shipments(self) -> Iterator[Shipment]:
        """Every shipment, in the order they were added."""
        for _, entity in self._graph.nodes(data="entity"):
            if isinstance(entity, Shipment):
                yield entity

    def links(self) -> Iterator[Link]:
        """Every batch-to-batch link as ``(input_id, output_id, quantity_or_None)``.

        Shipment edges are left out (each shipment names its batch), so
        ``Genealogy.build(g.batches(), g.links(), g.shipments())`` rebuilds ``g``.
        """
        pos = self._index.pos
        kind = self._index.kind
        ship = _index.SHIPMENT_KIND
        for u, v, q in self._graph.edges(data="quantity"):
            if kind[pos[v]] != ship:
                yield (u, v, q)

    def _require_batch(self, id: str, what: str) -> Batch:
        if id not in self._index.pos:
            raise GenealogyError(f"{what}: batch {id!r} is not in the genealogy; add it first")
        entity = self._nodes[id]["entity"]
        if not isinstance(entity, Batch):
            raise GenealogyError(f"{what}: {id!r} is a shipment, not a batch")
        return entity

    def _known(self, ids: Sequence[str], what: str) -> tuple[str, ...]:
        pos = self._index.pos
        if len(ids) == 1 and ids[0] in pos:
            return tuple(ids)
        if not ids:
            raise GenealogyError(f"{what}: give at least one batch or shipment id")
        missing = [i for i in ids if i not in pos]
        if missing:
            raise GenealogyError(
                f"{what}: unknown id(s) {_listed([repr(m) for m in missing])}; they are not "
                "in the genealogy"
            )
        return tuple(dict.fromkeys(ids))

    def _attrs(self) -> Attributes:
        if self._attributes is None:
            data = [d for _, d in self._graph.nodes(data=True)]
            self._attributes = Attributes.build(self._index, data)
        return self._attributes

    # ------------------------------------------------------------------ traces

    def trace_forward(self, *ids: str, depth: int | None = None) -> Trace:
        """Everything downstream of ``ids``: the batches they went into and the shipments.

        ``depth`` limits the number of steps (1: direct outputs only).

        Examples
        --------
        >>> from qualityflow.testing import example_genealogy
        >>> g = example_genealogy()
        >>> sorted(g.trace_forward("FLOUR-3", depth=1).ids)
        ['MIX-1', 'MIX-2']

        """
        return self._trace("forward", ids, depth)

    def trace_backward(self, *ids: str, depth: int | None = None) -> Trace:
        """Everything upstream of ``ids``: the mixes and lots they were made from.

        Examples
        --------
        >>> from qualityflow.testing import example_genealogy
        >>> g = example_genealogy()
        >>> sorted(g.trace_backward("SHIP-3").ids)
        ['BISC-3', 'FILM-2', 'FLOUR-3', 'MIX-2']

        """
        return self._trace("backward", ids, depth)

    def _trace(self, direction: Direction, ids: Sequence[str], depth: int | None) -> Trace:
        starts = self._known(ids, f"trace_{direction}")
        if depth is not None and depth < 0:
            raise GenealogyError(f"depth must be None or at least 0, got {depth}")
        index = self._index
        wide = len(index.ids) >= self._index_min_nodes
        reached = index.reach(
            index.indices_of(starts),
            direction == "forward",
            depth,
            self._dict_budget if wide else None,
        )
        return Trace(self, direction, starts, depth, reached, index.ids)

    # ------------------------------------------------------------------ recall

    def recall_impact(self, *suspect_ids: str) -> RecallImpact:
        """Assess what recalling ``suspect_ids`` touches: batches, shipments, customers.

        Shipped amounts sum every affected shipment; in-house amounts sum, for every
        affected finished batch, its quantity minus what was shipped from it in the same
        unit (never below zero), split by the batch's status.

        Examples
        --------
        >>> from qualityflow.testing import example_genealogy
        >>> impact = example_genealogy().recall_impact("COCOA-7")
        >>> sorted(impact.customer_ids), impact.shipped["pack"].amount
        (['CUST-ALDA', 'CUST-BERG'], Decimal('2500'))
        >>> print(impact)  # doctest: +NORMALIZE_WHITESPACE
        Recall impact of COCOA-7: 4 batches (2 finished), 2 shipments to 2 customers in
        2 regions; shipped 2500 pack; in house 5500 pack (quarantined 3000 pack, still
        released 2500 pack)

        """
        trace = self._trace("forward", suspect_ids, None)
        if isinstance(trace._indices, list):
            return self._impact_small([*trace.starts, *trace.ordered_ids], trace.starts)
        return self._impact_wide(trace)

    def _impact_small(self, affected: list[str], suspects: tuple[str, ...]) -> RecallImpact:
        # Reads the node attributes (as the attribute arrays do), so both paths agree; a
        # batch changed in place is seen after update_batch().
        nodes = self._nodes
        succ = self._graph.succ
        batches: list[Batch] = []
        shipments: list[Shipment] = []
        customers: set[str] = set()
        regions: set[str] = set()
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
                customers.add(data["customer"])
                if data["region"] is not None:
                    regions.add(data["region"])
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
            customer_ids=frozenset(customers),
            regions=frozenset(regions),
            shipped=_quantities(shipped),
            in_house=_quantities(in_house),
            in_house_by_status={k: _quantities(v) for k, v in sorted(by_status.items())},
        )

    def _impact_wide(self, trace: Trace) -> RecallImpact:
        # Vectorised sums over the attribute arrays; groups (units, statuses, customers,
        # regions) are small integer codes, counted with bincount rather than sorted.
        index = self._index
        attrs = self._attrs()
        idx = np.concatenate(
            [np.asarray(index.indices_of(trace.starts), dtype=np.int64), trace._indices]
        )
        is_ship = attrs.kind[idx] == _index.SHIPMENT_KIND
        ship_idx = idx[is_ship]
        batch_idx = idx[~is_ship]
        units = list(attrs.units)
        shipped: dict[str, Decimal] = {}
        ship_units = attrs.unit[ship_idx]
        for u in _present(ship_units, len(units)):
            chosen = ship_idx if len(units) == 1 else ship_idx[ship_units == u]
            shipped[units[u]] = attrs.total("amount", chosen)
        fin_idx = batch_idx[attrs.kind[batch_idx] == _index.FINISHED]
        fin_units = attrs.unit[fin_idx]
        fin_status = attrs.status[fin_idx]
        in_house: dict[str, Decimal] = {}
        by_status: dict[str, dict[str, Decimal]] = {}
        for u in _present(fin_units, len(units)):
            of_unit = fin_units == u
            in_house[units[u]] = attrs.total("remaining", fin_idx[of_unit])
            for st in _present(fin_status[of_unit], len(_index.STATUS_NAMES)):
                chosen = fin_idx[of_unit & (fin_status == st)]
                by_status.setdefault(_index.STATUS_NAMES[st], {})[units[u]] = attrs.total(
                    "remaining", chosen
                )
        customer_names = list(attrs.customers)
        region_names = list(attrs.regions)
        customers = _present(attrs.customer[ship_idx], len(customer_names))
        regions = _present(attrs.region[ship_idx], len(region_names))
        return RecallImpact(
            suspect_ids=trace.starts,
            batches=attrs.entity[batch_idx].tolist(),
            shipments=attrs.entity[ship_idx].tolist(),
            customer_ids=frozenset(map(customer_names.__getitem__, customers)),
            regions=frozenset(map(region_names.__getitem__, regions)),
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
        >>> from qualityflow.testing import example_genealogy
        >>> g = example_genealogy()
        >>> causes = g.common_causes("BISC-1", "BISC-2")
        >>> [(c.kind, c.id, c.reach, c.specificity) for c in causes][:3]
        [('lot', 'COCOA-7', 2, 1.0), ('lot', 'MIX-1', 2, 1.0), ('supplier', 'SUP-COCOA', 2, 1.0)]

        """
        given = self._known(batch_ids, "common_causes")
        if top < 1:
            raise GenealogyError(f"common_causes: top must be at least 1, got {top}")
        nodes = self._nodes
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
        groups: dict[str, dict[str, list[str]]] | None = None
        causes: list[CommonCause] = []
        for kind, reach_of in (
            ("lot", lot_reach),
            ("supplier", supplier_reach),
            ("line", line_reach),
        ):
            for key, reach in reach_of.items():
                if reach < least:
                    continue
                if kind == "lot":
                    sources = [key]
                else:
                    groups = groups or self._group_index()
                    sources = groups[kind][key]
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
        # Built on the first supplier or line cause, then kept up to date by add_batch.
        if self._groups is None:
            groups: dict[str, dict[str, list[str]]] = {"supplier": {}, "line": {}}
            for node, data in self._graph.nodes(data=True):
                _group(groups, node, data)
            self._groups = groups
        return self._groups

    def _count_downstream(self, sources: list[str], kinds: set[str], include_sources: bool) -> int:
        trace = self._trace("forward", sources, None)
        index = self._index
        codes = [_index.ALL_KIND_CODES[k] for k in kinds]
        reached = trace._indices
        if include_sources:
            reached = [*index.indices_of(trace.starts), *reached]
        if isinstance(reached, list) and len(reached) < 4096:
            kind = index.kind
            wanted = set(codes)
            return sum(1 for i in reached if kind[i] in wanted)
        idx = np.asarray(reached, dtype=np.int64)
        return int(np.isin(index.kinds()[idx], codes).sum())

    # ------------------------------------------------------------------ data quality

    def mass_balance(self, id: str) -> MassBalance:
        """Compare what was taken from lot ``id`` (links and shipments) with its quantity.

        Examples
        --------
        >>> from qualityflow.testing import example_genealogy
        >>> mb = example_genealogy().mass_balance("FLOUR-3")
        >>> str(mb.used), mb.ok
        ('1500 kg', True)

        """
        batch = self._require_batch(id, "mass_balance")
        unit = batch.quantity.unit
        used = Decimal(0)
        other: dict[str, Decimal] = defaultdict(Decimal)
        unmeasured: list[str] = []
        for out, data in self._graph.succ[id].items():
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
        nodes = self._nodes
        graph = self._graph
        made_here = {BatchKind.INTERMEDIATE.value, BatchKind.FINISHED.value}
        return [
            data["entity"]
            for _, data in graph.nodes(data=True)
            if data["kind"] == "shipment"
            and nodes[data["batch"]]["kind"] in made_here
            and graph.in_degree(data["batch"]) == 0
        ]

    def consumed_before_produced(self) -> list[tuple[str, str]]:
        """Links ``(input_id, output_id)`` where the input was produced after the output.

        Only pairs where both dates are known are checked; a shipment counts as produced
        when shipped.
        """
        nodes = self._nodes
        found: list[tuple[str, str]] = []
        for u, nbrs in self._graph.succ.items():
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
        >>> from qualityflow.testing import example_genealogy
        >>> example_genealogy().check()
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
        >>> from qualityflow.testing import example_genealogy
        >>> g = example_genealogy()
        >>> print(g.to_mermaid(g.trace_forward("COCOA-7", depth=1)))
        flowchart LR
          n0[/"COCOA-7<br/>cocoa powder"/]
          n1["MIX-1<br/>cocoa dough"]
          n0 -->|"200 kg"| n1
          classDef suspect fill:#f96,stroke:#c30
          class n0 suspect

        """
        from qualityflow.interop import graphs as export

        nodes, marked = self._export_selection(of)
        return export.mermaid(self._graph, nodes, marked)

    def to_dot(self, of: Trace | RecallImpact | Iterable[str] | None = None) -> str:
        """Graphviz DOT text of the whole genealogy or of a trace or impact."""
        from qualityflow.interop import graphs as export

        nodes, marked = self._export_selection(of)
        return export.dot(self._graph, nodes, marked)

    def to_csv(self, file: IO[str] | None = None) -> str:
        """Write the batch-to-batch links as CSV (``input_id,output_id,quantity,unit``).

        Returns the text; when ``file`` (an open text file) is given it is also written
        there.
        """
        from qualityflow.interop import graphs as export

        return export.write_links_csv(self.links(), file)

    @staticmethod
    def read_links_csv(source: str | IO[str]) -> list[Link]:
        """Parse a CSV edge list (``input_id,output_id[,quantity,unit]``) into links.

        ``source`` is CSV text or an open text file. Bad rows raise
        :class:`~qualityflow.errors.InteropError` naming the line.
        """
        from qualityflow.interop import graphs as export

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
            return list(self._graph), set()
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
        """Build the small biscuit plant of the documentation's examples (deprecated).

        Use :func:`qualityflow.testing.example_genealogy` instead.
        """
        warnings.warn(
            "Genealogy.example() moved to qualityflow.testing.example_genealogy()",
            DeprecationWarning,
            stacklevel=2,
        )
        from qualityflow.testing.plants import example_genealogy

        return example_genealogy()


def _more(problems: Sequence[str]) -> str:
    return f" ... and {len(problems) - _MAX_LISTED} more" if len(problems) > _MAX_LISTED else ""


def _cause_kind(kind: str) -> CauseKind:
    if kind == "supplier":
        return "supplier"
    if kind == "line":
        return "line"
    return "lot"


def _present(codes: Any, size: int) -> list[int]:
    """Return the distinct codes ``0..size-1`` in a code array (``-1``, none, left out)."""
    if not codes.size:
        return []
    counts = np.bincount(codes[codes >= 0] if codes.min() < 0 else codes, minlength=size)
    present: list[int] = np.flatnonzero(counts).tolist()
    return present


def _group(groups: dict[str, dict[str, list[str]]], node: str, data: dict[str, Any]) -> None:
    if data["kind"] == "shipment":
        return
    if data["supplier"] is not None:
        groups["supplier"].setdefault(data["supplier"], []).append(node)
    if data["line"] is not None:
        groups["line"].setdefault(data["line"], []).append(node)


def _edge_rows(
    ids: list[str],
    edge_u: array[int],
    edge_v: array[int],
    edge_q: list[Quantity | None],
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield the edges for ``add_edges_from``, in the order given.

    networkx copies each data dict into its own, so one dict is refilled for every edge.
    """
    empty: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for u, v, q in zip(edge_u, edge_v, edge_q, strict=True):
        if q is None:
            yield ids[u], ids[v], empty
        else:
            data["quantity"] = q
            yield ids[u], ids[v], data
