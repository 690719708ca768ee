"""The executable causal graph and its interventions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np

from leadforge_core.causal.interventions import (
    CutEdge,
    Do,
    Intervention,
    NodeIntervention,
    ScaleEdge,
    Shift,
    parse_interventions,
)
from leadforge_core.causal.spec import EdgeSpec, GraphSchema, NodeSpec
from leadforge_core.errors import ConfigError, SimulationError

#: Where a ``threshold`` edge steps, and the values below / above it.
THRESHOLD_AT = 0.25


def contribution(form: str, x: np.ndarray, partner: np.ndarray | None) -> np.ndarray:
    """What a parent with values ``x`` adds (before weighting) under an edge's form."""
    if form == "tanh":
        return np.asarray(np.tanh(x))
    if form == "threshold":
        return np.asarray((x > THRESHOLD_AT).astype(np.float32) * 2.0 - 0.6)
    if form == "product":
        if partner is None:
            raise SimulationError("product edge evaluated before its partner node")
        return np.asarray(x * partner)
    return x


class CausalGraph:
    """A validated causal DAG of one world: typed nodes and weighted edges.

    Schemes either *execute* it (structural equations in topological order, see
    :meth:`execute`) or read mechanism coefficients from it (:meth:`weight`). Both see the
    effect of :meth:`intervene`.

    Args:
        nodes: the node specs, in declaration order.
        edges: the edge specs, in declaration order.
        schema: the rules the graph must satisfy; checked on construction, every problem
            is listed in one :class:`~leadforge_core.errors.SimulationError`.
        attributes: free, JSON-serialisable world attributes (motif family, story, ...).
        rewiring: human-readable notes of the rewiring this world went through.
        removed_nodes: node -> reason, for nodes the world's motif or rewiring removed.
        removed_edges: ``(source, target)`` -> reason, likewise for edges.
    """

    def __init__(
        self,
        nodes: Sequence[NodeSpec],
        edges: Sequence[EdgeSpec],
        schema: GraphSchema,
        *,
        attributes: Mapping[str, Any] | None = None,
        rewiring: Sequence[str] = (),
        removed_nodes: Mapping[str, str] | None = None,
        removed_edges: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        g = nx.DiGraph()
        for n in nodes:
            if n.name in g:
                raise SimulationError(f"invalid hidden graph: node {n.name} declared twice")
            g.add_node(n.name, category=n.category, noise=n.noise, description=n.description)
        missing = sorted({x for e in edges for x in e.key if x not in g})
        if missing:
            raise SimulationError(
                "invalid hidden graph: edges name unknown nodes " + ", ".join(missing)
            )
        for e in edges:
            g.add_edge(
                e.source,
                e.target,
                weight=float(e.weight),
                form=e.form,
                partner=e.partner,
                optional=e.optional,
                base_weight=float(e.weight if e.base_weight is None else e.base_weight),
            )
        problems = schema.problems(g)
        if problems:
            raise SimulationError("invalid hidden graph: " + "; ".join(problems))
        self._g = g
        self.schema = schema
        #: World attributes (networkx-style: ``graph.graph["motif_family"]`` also works).
        self.attributes: dict[str, Any] = dict(attributes or {})
        self.rewiring: tuple[str, ...] = tuple(rewiring)
        self.removed_nodes: dict[str, str] = dict(removed_nodes or {})
        self.removed_edges: dict[tuple[str, str], str] = dict(removed_edges or {})
        #: Execution order: topological, ties broken by name; kept by intervened copies so
        #: they consume random draws exactly as the natural world does.
        self.order: tuple[str, ...] = tuple(nx.lexicographical_topological_sort(g))
        self.interventions: tuple[Intervention, ...] = ()
        self._node_iv: dict[str, list[NodeIntervention]] = {}
        self._natural: CausalGraph = self

    # -- structure --------------------------------------------------------------------------

    @property
    def graph(self) -> dict[str, Any]:
        """The world attributes (same object as :attr:`attributes`, named as in networkx)."""
        return self.attributes

    @property
    def nx(self) -> nx.DiGraph:
        """A read-only networkx view (node attributes: category, noise, description; edge
        attributes: weight, form, partner, optional, base_weight)."""
        return nx.restricted_view(self._g, [], [])

    @property
    def natural(self) -> CausalGraph:
        """The graph before interventions (``self`` when there are none)."""
        return self._natural

    @property
    def nodes(self) -> list[str]:
        """Node names in declaration order."""
        return list(self._g.nodes)

    @property
    def edges(self) -> list[tuple[str, str]]:
        """``(source, target)`` of every edge, in networkx order."""
        return list(self._g.edges)

    def __contains__(self, node: object) -> bool:
        return node in self._g

    def node(self, name: str) -> NodeSpec:
        """The spec of node ``name``."""
        d = self._g.nodes[name]
        return NodeSpec(name, d["category"], d["noise"], d["description"])

    def edge(self, source: str, target: str) -> EdgeSpec | None:
        """The spec of edge ``source -> target``, or ``None`` when absent."""
        d = self._g.get_edge_data(source, target)
        if d is None:
            return None
        return EdgeSpec(
            source, target, d["weight"], d["form"], d["partner"], d["optional"], d["base_weight"]
        )

    def weight(self, source: str, target: str) -> float:
        """Edge weight, or 0.0 when the edge is absent from this world (or was cut)."""
        d = self._g.get_edge_data(source, target)
        return float(d["weight"]) if d else 0.0

    def parents(self, node: str) -> list[str]:
        """Parents of ``node``, sorted by name."""
        return sorted(self._g.predecessors(node))

    def descendants(self, node: str) -> set[str]:
        """Every node reachable from ``node`` (excluding it)."""
        return set(nx.descendants(self._g, node))

    def problems(self) -> list[str]:
        """Constraint violations under the graph's schema (empty when valid)."""
        return self.schema.problems(self._g)

    # -- interventions ----------------------------------------------------------------------

    def _check_node(self, name: str, intervention: Intervention) -> None:
        if name in self._g:
            return
        if name in self._natural.removed_nodes:
            raise ConfigError(
                f"intervention {intervention}: node {name} was removed by this world's "
                f"rewiring ({self._natural.removed_nodes[name]})"
            )
        raise ConfigError(
            f"intervention {intervention}: unknown node {name!r} "
            f"(nodes: {', '.join(sorted(self._g.nodes))})"
        )

    def intervene(
        self,
        interventions: Iterable[Intervention | str],
        *,
        node_targets: Iterable[str] | None = None,
        edge_targets: Iterable[tuple[str, str]] | None = None,
    ) -> CausalGraph:
        """The intervened world: a new graph; ``self`` is unchanged.

        Edge interventions change weights (a cut edge weighs 0 and is removed), so
        :meth:`weight` readers see them; node interventions are applied by :meth:`execute`
        and :meth:`apply_node`. ``node_targets`` limits node interventions to the nodes the
        scheme can apply them to, ``edge_targets`` edge interventions to the edges whose
        weight its mechanisms use (``None``: every node / edge). Unknown names, names this
        world's rewiring removed, and targets outside those sets raise
        :class:`~leadforge_core.errors.ConfigError`.
        """
        items = parse_interventions(interventions)
        allowed = None if node_targets is None else set(node_targets)
        weighted = None if edge_targets is None else {tuple(e) for e in edge_targets}
        out = CausalGraph.__new__(CausalGraph)
        out.__dict__.update(self.__dict__)
        out._g = self._g.copy()
        out.attributes = dict(self.attributes)
        out._node_iv = {k: list(v) for k, v in self._node_iv.items()}
        out.interventions = self.interventions + items
        for iv in items:
            if isinstance(iv, Do | Shift):
                out._check_node(iv.node, iv)
                if allowed is not None and iv.node not in allowed:
                    raise ConfigError(
                        f"intervention {iv}: this scheme cannot set node {iv.node} directly "
                        f"(nodes it can: {', '.join(sorted(allowed))})"
                    )
                out._node_iv.setdefault(iv.node, []).append(iv)
                continue
            out._check_node(iv.source, iv)
            out._check_node(iv.target, iv)
            data = out._g.get_edge_data(iv.source, iv.target)
            if data is None:
                key = (iv.source, iv.target)
                why = self._natural.removed_edges.get(key)
                detail = (
                    f"was removed by this world's rewiring ({why})"
                    if why
                    else "was cut by an earlier intervention"
                    if self._natural._g.has_edge(*key)
                    else "is not in this world's graph"
                )
                raise ConfigError(f"intervention {iv}: edge {iv.source}->{iv.target} {detail}")
            if weighted is not None and (iv.source, iv.target) not in weighted:
                raise ConfigError(
                    f"intervention {iv}: edge {iv.source}->{iv.target} is structural in this "
                    "scheme (its mechanisms do not weight it), so it cannot be scaled or cut"
                )
            if isinstance(iv, ScaleEdge):
                data["weight"] = float(data["weight"] * iv.factor)
            else:
                assert isinstance(iv, CutEdge)
                out._g.remove_edge(iv.source, iv.target)
        return out

    def node_interventions(self, name: str) -> tuple[NodeIntervention, ...]:
        """The node interventions on ``name``, in the order they apply."""
        return tuple(self._node_iv.get(name, ()))

    def apply_node(self, name: str, values: np.ndarray) -> np.ndarray:
        """``values`` of node ``name`` after its node interventions (``values`` itself when
        there are none). For schemes that draw or compute a node outside :meth:`execute`."""
        out = values
        for iv in self._node_iv.get(name, ()):
            out = iv.apply(out)
        return out

    # -- execution --------------------------------------------------------------------------

    def execute(
        self,
        exogenous: Mapping[str, np.ndarray],
        rng: np.random.Generator,
        n: int,
        edge_scale: Mapping[str, float] | None = None,
        shared_noise: frozenset[str] = frozenset(),
    ) -> dict[str, np.ndarray]:
        """Values (float32) of every node for ``n`` entities: the structural equations.

        In :attr:`order`, each node is ``noise + exogenous + sum(weight * form(parent))``:
        ``noise`` is a standard normal draw times the node's noise sd (zero for nodes in
        ``shared_noise``, whose noise arrives in ``exogenous``, drawn per account or contact);
        ``edge_scale`` multiplies edge weights by form (e.g. an interaction strength). Node
        interventions replace or shift a node's value after it is computed; the draws are
        the same with and without them.

        Args:
            exogenous: node -> array of ``n`` inputs added to that node.
            rng: the generator the node noise is drawn from (one draw of ``n`` per node).
            n: number of entities.
            edge_scale: form -> multiplier.
            shared_noise: nodes whose own draw is discarded.

        Returns:
            node -> float32 array of length ``n``.
        """
        scale = dict(edge_scale or {})
        g = self._g
        values: dict[str, np.ndarray] = {}
        for node in self.order:
            v = rng.standard_normal(n, dtype=np.float32) * np.float32(g.nodes[node]["noise"])
            if node in shared_noise:
                v[:] = 0.0
            if node in exogenous:
                v += exogenous[node].astype(np.float32)
            for parent in sorted(g.predecessors(node)):
                e = g.edges[parent, node]
                partner = values.get(e["partner"]) if e["form"] == "product" else None
                w = e["weight"] * scale.get(e["form"], 1.0)
                v += np.float32(w) * contribution(e["form"], values[parent], partner)
            values[node] = self.apply_node(node, v)
        return values

    # -- export -----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The graph as JSON-ready data: attributes, rewiring notes, nodes and edges sorted by
        name, and the nodes and edges this world's motif or rewiring removed (with why). An intervened graph exports its intervened weights (a cut
        edge is absent); the interventions themselves are recorded by the bundle manifest."""
        g = self._g
        out: dict[str, Any] = {
            "attributes": dict(self.attributes),
            "rewiring": list(self.rewiring),
            "nodes": [{"id": n, **g.nodes[n]} for n in sorted(g.nodes)],
            "edges": [{"source": u, "target": v, **g.edges[u, v]} for u, v in sorted(g.edges)],
            "removed_nodes": dict(sorted(self.removed_nodes.items())),
            "removed_edges": [
                {"source": u, "target": v, "reason": why}
                for (u, v), why in sorted(self.removed_edges.items())
            ],
        }
        return out

    def to_graphml(self) -> str:
        """GraphML text of the graph (list attributes joined with ``;``)."""
        g = self._g.copy()
        g.graph = {
            k: (";".join(map(str, v)) if isinstance(v, list | tuple) else v)
            for k, v in self.attributes.items()
            if isinstance(v, str | int | float | bool | list | tuple)
        }
        g.graph["rewiring"] = ";".join(self.rewiring)
        return "\n".join(nx.generate_graphml(g, prettyprint=True)) + "\n"
