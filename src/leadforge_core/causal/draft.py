"""Building one world's graph: a base graph, a motif family, then stochastic rewiring.

A scheme declares its base nodes and edges, applies one :class:`MotifFamily` to a
:class:`GraphDraft`, then a list of rewiring operations, each drawing from the generator it is
given; :meth:`GraphDraft.build` validates the result into a :class:`CausalGraph`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol

import attrs
import numpy as np

from leadforge_core.causal.graph import CausalGraph
from leadforge_core.causal.spec import EdgeSpec, GraphSchema, NodeSpec
from leadforge_core.errors import SimulationError

Key = tuple[str, str]


@attrs.define
class GraphDraft:
    """A mutable graph under construction (nodes and edges keep their insertion order).

    Attributes:
        nodes: name -> spec.
        edges: ``(source, target)`` -> spec.
        attributes: world attributes handed to the built graph.
        rewiring: notes of what rewiring did.
        removed_nodes / removed_edges: what the motif or rewiring removed, with the reason.
    """

    nodes: dict[str, NodeSpec] = attrs.field(factory=dict)
    edges: dict[Key, EdgeSpec] = attrs.field(factory=dict)
    attributes: dict[str, Any] = attrs.field(factory=dict)
    rewiring: list[str] = attrs.field(factory=list)
    removed_nodes: dict[str, str] = attrs.field(factory=dict)
    removed_edges: dict[Key, str] = attrs.field(factory=dict)

    @classmethod
    def from_specs(
        cls,
        nodes: Iterable[NodeSpec],
        edges: Iterable[EdgeSpec],
        attributes: Mapping[str, Any] | None = None,
    ) -> GraphDraft:
        """A draft holding the base graph (``base_weight`` defaults to each edge's weight)."""
        draft = cls(attributes=dict(attributes or {}))
        for n in nodes:
            draft.add_node(n)
        for e in edges:
            draft.add_edge(e)
        return draft

    def add_node(self, spec: NodeSpec) -> None:
        """Add (or replace, keeping its position) a node."""
        self.nodes[spec.name] = spec
        self.removed_nodes.pop(spec.name, None)

    def add_edge(self, spec: EdgeSpec) -> None:
        """Add an edge, or replace an existing one in place."""
        if spec.base_weight is None:
            spec = attrs.evolve(spec, base_weight=float(spec.weight))
        self.edges[spec.key] = spec
        self.removed_edges.pop(spec.key, None)

    def set_weight(self, source: str, target: str, weight: float) -> None:
        """Change one edge's weight."""
        self.edges[source, target] = attrs.evolve(self.edges[source, target], weight=weight)

    def remove_edge(self, source: str, target: str, reason: str) -> None:
        """Remove an edge, remembering why."""
        del self.edges[source, target]
        self.removed_edges[source, target] = reason

    def remove_node(self, name: str, reason: str) -> None:
        """Remove a node and its edges, remembering why."""
        for key in [k for k in self.edges if name in k]:
            self.remove_edge(*key, reason=reason)
        del self.nodes[name]
        self.removed_nodes[name] = reason

    def parents(self, node: str) -> list[str]:
        """Parents of ``node`` in the order their edges were added."""
        return [u for (u, v) in self.edges if v == node]

    def children(self, node: str) -> list[str]:
        """Children of ``node`` in the order their edges were added."""
        return [v for (u, v) in self.edges if u == node]

    def edge_keys(self, order: Literal["declared", "by_source"] = "declared") -> list[Key]:
        """Edge keys in insertion order, or grouped by source node in node order (the order
        networkx iterates a graph built from this draft)."""
        if order == "declared":
            return list(self.edges)
        rank = {n: i for i, n in enumerate(self.nodes)}
        return sorted(self.edges, key=lambda k: rank[k[0]])  # stable within a source

    def apply_motif(self, family: MotifFamily, noise_scale: float = 1.0) -> None:
        """Apply ``family`` (see :meth:`MotifFamily.apply`)."""
        family.apply(self, noise_scale)

    def rewire(self, operations: Sequence[Rewiring], rng: np.random.Generator) -> None:
        """Apply rewiring operations in order, each drawing from ``rng``."""
        for op in operations:
            op.apply(self, rng)

    def build(self, schema: GraphSchema) -> CausalGraph:
        """The validated graph (raises :class:`~leadforge_core.errors.SimulationError`
        listing every problem)."""
        return CausalGraph(
            list(self.nodes.values()),
            list(self.edges.values()),
            schema,
            attributes=self.attributes,
            rewiring=self.rewiring,
            removed_nodes=self.removed_nodes,
            removed_edges=self.removed_edges,
        )


@attrs.frozen
class MotifFamily:
    """A commercial story told by re-weighting a base graph.

    Args:
        name: family name (``fit_dominant``).
        story: one sentence a reader of the bundle sees.
        edge_multipliers: ``(source, target)`` -> factor; 0 removes the edge.
        added_edges: edges the family adds (or redefines) before the multipliers apply.
        node_noise: node -> factor on its noise sd.
    """

    name: str
    story: str
    edge_multipliers: Mapping[Key, float] = attrs.field(factory=dict)
    added_edges: Sequence[EdgeSpec] = ()
    node_noise: Mapping[str, float] = attrs.field(factory=dict)

    def apply(self, draft: GraphDraft, noise_scale: float = 1.0) -> None:
        """Scale node noise (``noise * factor * noise_scale``), add the family's edges, then
        multiply edge weights and drop edges whose weight became 0. Records ``motif_family``
        (and a non-empty ``story``) in the draft's attributes."""
        for name, spec in list(draft.nodes.items()):
            noise = spec.noise * self.node_noise.get(name, 1.0)
            draft.nodes[name] = attrs.evolve(spec, noise=noise * noise_scale)
        for e in self.added_edges:
            draft.add_edge(e)
        for key, edge in list(draft.edges.items()):
            w = edge.weight * self.edge_multipliers.get(key, 1.0)
            if w == 0.0:
                draft.remove_edge(*key, reason=f"absent in motif family {self.name}")
            else:
                draft.edges[key] = attrs.evolve(edge, weight=w)
        draft.attributes.setdefault("motif_family", self.name)
        if self.story:
            draft.attributes.setdefault("story", self.story)


class Rewiring(Protocol):
    """A constrained stochastic change to a draft, drawing only from the given generator."""

    def apply(self, draft: GraphDraft, rng: np.random.Generator) -> None:
        """Change ``draft`` in place."""


@attrs.frozen
class BypassMediator:
    """With probability ``p``, remove mediator ``node``: each parent feeds each child directly
    with the product of the two weights (added to an existing direct edge)."""

    node: str
    p: float
    note: str = ""

    def apply(self, draft: GraphDraft, rng: np.random.Generator) -> None:
        """One uniform draw decides."""
        if not rng.random() < self.p:
            return
        if self.node not in draft.nodes:
            raise SimulationError(f"rewiring: mediator {self.node} is not in the graph")
        note = self.note or f"mediator {self.node} bypassed"
        for p in draft.parents(self.node):
            for c in draft.children(self.node):
                w = draft.edges[p, self.node].weight * draft.edges[self.node, c].weight
                if (p, c) in draft.edges:
                    draft.set_weight(p, c, draft.edges[p, c].weight + w)
                else:
                    draft.add_edge(EdgeSpec(p, c, w))
        draft.remove_node(self.node, note)
        draft.rewiring.append(note)


@attrs.frozen
class AddConfounder:
    """With probability ``p``, add latent ``node`` and its ``edges`` (a common cause)."""

    node: NodeSpec
    edges: Sequence[EdgeSpec]
    p: float
    note: str = ""

    def apply(self, draft: GraphDraft, rng: np.random.Generator) -> None:
        """One uniform draw decides."""
        if not rng.random() < self.p:
            return
        draft.add_node(self.node)
        for e in self.edges:
            draft.add_edge(e)
        draft.rewiring.append(self.note or f"confounder {self.node.name} added")


@attrs.frozen
class JitterEdges:
    """Multiply every edge weight by a random factor of median 1.

    ``kind="lognormal"`` draws ``rng.lognormal(0, sd)`` once per edge; ``kind="exp_normal"``
    draws ``rng.normal(0, sd, size=n_edges)`` at once and multiplies by ``exp`` of each.
    ``order`` is the edge order the draws follow (see :meth:`GraphDraft.edge_keys`).
    """

    sd: float
    kind: Literal["lognormal", "exp_normal"] = "lognormal"
    order: Literal["declared", "by_source"] = "declared"

    def apply(self, draft: GraphDraft, rng: np.random.Generator) -> None:
        """One draw per edge."""
        keys = draft.edge_keys(self.order)
        if self.kind == "lognormal":
            for k in keys:
                draft.set_weight(*k, float(draft.edges[k].weight * rng.lognormal(0.0, self.sd)))
        else:
            eps = rng.normal(0.0, self.sd, size=len(keys))
            for k, e in zip(keys, eps, strict=True):
                draft.set_weight(*k, draft.edges[k].weight * float(np.exp(e)))


@attrs.frozen
class SwapProxy:
    """With probability ``p``, a measurement proxy measures something else: ``remove`` is
    replaced by ``add`` (same target)."""

    remove: Key
    add: EdgeSpec
    p: float
    note: str = ""

    def apply(self, draft: GraphDraft, rng: np.random.Generator) -> None:
        """One uniform draw decides."""
        if not rng.random() < self.p:
            return
        note = self.note or (
            f"{self.add.target} measures {self.add.source} instead of {self.remove[0]}"
        )
        if self.remove in draft.edges:
            draft.remove_edge(*self.remove, reason=note)
        draft.add_edge(self.add)
        draft.rewiring.append(note)


@attrs.frozen
class KeepOptionalEdges:
    """Keep each optional edge with probability ``p`` (one uniform per edge, in declaration
    order, drawn for every edge so the draw count does not depend on which are optional)."""

    p: float

    def apply(self, draft: GraphDraft, rng: np.random.Generator) -> None:
        """Drop optional edges whose draw is not below ``p``."""
        keys = draft.edge_keys("declared")
        kept = rng.random(len(keys)) < self.p
        dropped = [
            k for k, keep in zip(keys, kept, strict=True) if draft.edges[k].optional and not keep
        ]
        for k in dropped:
            draft.remove_edge(*k, reason="optional edge absent in this world")
        if dropped:
            draft.rewiring.append(
                "optional edges absent: " + ", ".join(f"{u}->{v}" for u, v in dropped)
            )
