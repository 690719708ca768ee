"""Typed specifications of a causal graph: nodes, edges and the schema that constrains them.

A scheme describes its hidden world as :class:`NodeSpec` and :class:`EdgeSpec` values and a
:class:`GraphSchema` (ordered node categories, sinks, required nodes and constraint rules). The
standard rules below cover what every commercial world needs; a scheme may add its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Final

import attrs
import networkx as nx

#: Functional forms an edge may take (see :meth:`CausalGraph.execute`).
FORMS: Final[tuple[str, ...]] = ("linear", "tanh", "threshold", "product")


def _check_form(instance: EdgeSpec, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in FORMS:
        raise ValueError(f"edge form must be one of {', '.join(FORMS)}, got {value!r}")


@attrs.frozen
class NodeSpec:
    """One node of a causal graph.

    Args:
        name: unique node name (the name interventions use).
        category: one of the schema's categories; it fixes the node's place in time.
        noise: standard deviation of the node's own noise when the graph is executed
            (0 for nodes a scheme computes itself).
        description: one line saying what the node means in the world.
    """

    name: str
    category: str
    noise: float = 0.0
    description: str = ""


@attrs.frozen
class EdgeSpec:
    """One directed edge ``source -> target``.

    Args:
        source: parent node.
        target: child node.
        weight: the edge's coefficient in this world.
        form: how the parent enters the child: ``linear``, ``tanh``, ``threshold`` (a step at
            0.25) or ``product`` (parent times ``partner``).
        partner: for ``product`` edges, the node the parent is multiplied with; it must itself
            be a parent of ``target``.
        optional: whether a world may drop the edge (see :class:`KeepOptionalEdges`).
        base_weight: the declared weight before motif and rewiring; ``None`` means ``weight``.
    """

    source: str
    target: str
    weight: float
    form: str = attrs.field(default="linear", validator=_check_form)
    partner: str = ""
    optional: bool = False
    base_weight: float | None = None

    @property
    def key(self) -> tuple[str, str]:
        """``(source, target)``."""
        return (self.source, self.target)


#: A constraint rule: given the graph (node and edge attributes as in :class:`CausalGraph`)
#: and its schema, the list of violations (empty when the rule holds).
Rule = Callable[[nx.DiGraph, "GraphSchema"], list[str]]


def acyclic(g: nx.DiGraph, schema: GraphSchema) -> list[str]:
    """The graph has no directed cycle."""
    return [] if nx.is_directed_acyclic_graph(g) else ["graph has a cycle"]


def required_present(g: nx.DiGraph, schema: GraphSchema) -> list[str]:
    """Every node of ``schema.required`` exists."""
    return [f"required node {name} missing" for name in schema.required if name not in g]


def known_categories(g: nx.DiGraph, schema: GraphSchema) -> list[str]:
    """Every node's category is one of ``schema.categories``."""
    rank = schema.rank
    return [
        f"node {name} has unknown category {cat}"
        for name, cat in g.nodes(data="category")
        if cat not in rank
    ]


def noisy_nodes(g: nx.DiGraph, schema: GraphSchema) -> list[str]:
    """When ``schema.noisy``, every node has positive noise (no deterministic worlds)."""
    if not schema.noisy:
        return []
    return [
        f"node {name} is noiseless (deterministic worlds are forbidden)"
        for name, noise in g.nodes(data="noise", default=0.0)
        if not (isinstance(noise, float | int) and math.isfinite(noise) and noise > 0.0)
    ]


def forward_in_time(g: nx.DiGraph, schema: GraphSchema) -> list[str]:
    """No edge points from a later category to an earlier one."""
    rank, out = schema.rank, []
    for u, v in g.edges:
        cu, cv = g.nodes[u].get("category"), g.nodes[v].get("category")
        if cu in rank and cv in rank and rank[cu] > rank[cv]:
            out.append(f"edge {u}->{v} points back in time ({cu} -> {cv})")
    return out


def sinks_have_no_children(g: nx.DiGraph, schema: GraphSchema) -> list[str]:
    """Nodes of a sink category (``schema.sinks``) have no outgoing edge."""
    out = []
    for u, v in g.edges:
        cu = g.nodes[u].get("category")
        if cu in schema.sinks:
            out.append(f"edge {u}->{v} leaves a {cu} node")
    return out


def known_forms(g: nx.DiGraph, schema: GraphSchema) -> list[str]:
    """Every edge has a known functional form."""
    return [
        f"edge {u}->{v} has unknown form {form}"
        for u, v, form in g.edges(data="form")
        if form not in FORMS
    ]


def product_partner_is_parent(g: nx.DiGraph, schema: GraphSchema) -> list[str]:
    """A ``product`` edge's partner is itself a parent of the edge's target."""
    out = []
    for u, v, data in g.edges(data=True):
        if data.get("form") == "product" and data.get("partner") not in set(g.predecessors(v)):
            out.append(f"edge {u}->{v} interacts with {data.get('partner')}, not a cause of {v}")
    return out


def outcomes_fed(g: nx.DiGraph, schema: GraphSchema) -> list[str]:
    """Nodes of an outcome category have at least ``schema.min_causes`` parents."""
    k = schema.min_causes
    word = "cause" if k == 1 else "causes"
    return [
        f"outcome node {name} is orphaned (needs at least {k} {word})"
        for name, cat in g.nodes(data="category")
        if cat in schema.outcomes and g.in_degree(name) < k
    ]


#: The rules the core provides, in the order their problems are listed.
STANDARD_RULES: Final[tuple[Rule, ...]] = (
    acyclic,
    required_present,
    known_categories,
    noisy_nodes,
    forward_in_time,
    sinks_have_no_children,
    known_forms,
    product_partner_is_parent,
    outcomes_fed,
)


@attrs.frozen
class GraphSchema:
    """What a valid graph of one scheme looks like.

    Args:
        categories: node categories in chronological order (an edge may not point to an
            earlier category; equal categories are allowed).
        sinks: categories whose nodes may not have children (observable proxies,
            post-outcome states).
        required: nodes every world must keep (the ones the scheme's mechanisms read).
        outcomes: categories whose nodes must be fed by at least ``min_causes`` parents.
        min_causes: see ``outcomes``.
        noisy: whether every node must carry positive noise (for executed graphs).
        rules: the constraint rules checked; :data:`STANDARD_RULES` plus any of the scheme's.
    """

    categories: tuple[str, ...] = attrs.field(converter=tuple)
    sinks: frozenset[str] = attrs.field(default=frozenset(), converter=frozenset)
    required: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    outcomes: frozenset[str] = attrs.field(default=frozenset({"outcome"}), converter=frozenset)
    min_causes: int = 1
    noisy: bool = False
    rules: tuple[Rule, ...] = attrs.field(default=STANDARD_RULES, converter=tuple)

    @categories.validator
    def _check_categories(self, attribute: attrs.Attribute[object], value: Sequence[str]) -> None:
        if len(set(value)) != len(value):
            raise ValueError("graph schema categories must be unique")

    @property
    def rank(self) -> dict[str, int]:
        """Category -> chronological rank."""
        return {c: i for i, c in enumerate(self.categories)}

    def problems(self, g: nx.DiGraph) -> list[str]:
        """Every violation of every rule (empty when ``g`` is valid)."""
        return [p for rule in self.rules for p in rule(g, self)]
