"""The hidden causal graph of a lifecycle world.

The graph is executable: the simulation reads every mechanism coefficient from its edge
weights (:meth:`HiddenGraph.weight`), so a rewired or missing edge changes the data.
"""

from __future__ import annotations

from typing import Any

import attrs
import networkx as nx
import numpy as np

from leadforge_lifecycle.params import Motif
from leadforge_lifecycle.world.motifs import EDGE_MULTIPLIERS

LATENTS = (
    "product_fit",
    "adoption_velocity",
    "budget_stability",
    "champion_strength",
    "organizational_stability",
)

NODE_CATEGORY: dict[str, str] = {
    **dict.fromkeys(LATENTS, "customer_latent"),
    "usage_depth": "usage_state",
    "active_users": "usage_state",
    "unrecovered_payment": "billing_state",
    "payment_failure": "billing_event",
    "payment_recovery": "billing_event",
    "expansion": "subscription_event",
    "downgrade": "subscription_event",
    "churn": "outcome",
    "mrr": "subscription_state",
    "revenue": "outcome",
    "obs_active_users": "observable_feature_source",
    "obs_feature_depth_score": "observable_feature_source",
    "obs_support_tickets": "observable_feature_source",
    "obs_nps_score": "observable_feature_source",
}

#: (source, target, base weight, optional). Optional edges may be absent in a world.
EDGES: tuple[tuple[str, str, float, bool], ...] = (
    ("product_fit", "usage_depth", 1.0, False),
    ("adoption_velocity", "usage_depth", 1.0, False),
    ("champion_strength", "usage_depth", 0.3, True),
    ("adoption_velocity", "active_users", 1.0, False),
    ("usage_depth", "active_users", 1.0, False),
    ("usage_depth", "churn", 1.0, False),
    ("product_fit", "churn", 0.6, False),
    ("champion_strength", "churn", 0.8, False),
    ("organizational_stability", "champion_strength", 1.0, False),
    ("organizational_stability", "churn", 0.3, True),
    ("unrecovered_payment", "churn", 1.0, False),
    ("budget_stability", "payment_failure", 1.0, False),
    ("budget_stability", "payment_recovery", 0.8, False),
    ("budget_stability", "downgrade", 0.6, False),
    ("budget_stability", "churn", 0.3, True),
    ("usage_depth", "downgrade", 0.6, False),
    ("usage_depth", "expansion", 0.8, False),
    ("adoption_velocity", "expansion", 0.6, False),
    ("active_users", "expansion", 1.0, False),
    ("payment_failure", "unrecovered_payment", 1.0, False),
    ("payment_recovery", "unrecovered_payment", 1.0, False),
    ("expansion", "mrr", 1.0, False),
    ("downgrade", "mrr", 1.0, False),
    ("mrr", "revenue", 1.0, False),
    ("churn", "revenue", 1.0, False),
    ("active_users", "obs_active_users", 1.0, False),
    ("usage_depth", "obs_feature_depth_score", 1.0, False),
    ("usage_depth", "obs_support_tickets", 0.6, False),
    ("product_fit", "obs_support_tickets", 0.4, True),
    ("product_fit", "obs_nps_score", 0.6, False),
    ("champion_strength", "obs_nps_score", 0.6, False),
)

#: Relative spread of the per-world edge-strength jitter, and the chance an optional edge exists.
JITTER_SD = 0.15
OPTIONAL_KEEP = 0.7


@attrs.define
class HiddenGraph:
    graph: nx.DiGraph
    motif: Motif

    def weight(self, source: str, target: str) -> float:
        """Edge weight, or 0 when the edge is absent from this world."""
        data = self.graph.get_edge_data(source, target)
        return float(data["weight"]) if data else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "motif_family": str(self.motif),
            "nodes": [
                {"id": n, "category": self.graph.nodes[n]["category"]} for n in self.graph.nodes
            ],
            "edges": [
                {
                    "source": s,
                    "target": t,
                    "weight": round(d["weight"], 6),
                    "base_weight": d["base_weight"],
                    "optional": d["optional"],
                }
                for s, t, d in self.graph.edges(data=True)
            ],
        }

    def to_graphml(self) -> str:
        return "\n".join(nx.generate_graphml(self.graph)) + "\n"


def build_graph(motif: Motif, rng: np.random.Generator) -> HiddenGraph:
    """Sample one world's graph: motif emphasis, edge-strength jitter, optional edges."""
    multipliers = EDGE_MULTIPLIERS[motif]
    jitter = rng.normal(0.0, JITTER_SD, size=len(EDGES))
    keep = rng.random(len(EDGES)) < OPTIONAL_KEEP
    graph = nx.DiGraph()
    for node, category in NODE_CATEGORY.items():
        graph.add_node(node, category=category)
    for (source, target, base, optional), eps, kept in zip(EDGES, jitter, keep, strict=True):
        if optional and not kept:
            continue
        weight = base * multipliers.get((source, target), 1.0) * float(np.exp(eps))
        graph.add_edge(source, target, weight=weight, base_weight=base, optional=optional)
    validate_graph(graph)
    return HiddenGraph(graph=graph, motif=motif)


def validate_graph(graph: nx.DiGraph) -> None:
    """Structural rules: acyclic, latents are roots, observables are sinks, outcomes are fed."""
    if not nx.is_directed_acyclic_graph(graph):
        raise ValueError("hidden graph has a cycle")
    for node, category in graph.nodes(data="category"):
        if category == "customer_latent" and node != "champion_strength" and graph.in_degree(node):
            raise ValueError(f"latent {node} has a parent")
        if category == "observable_feature_source" and graph.out_degree(node):
            raise ValueError(f"observable {node} has children")
        if category == "outcome" and not graph.in_degree(node):
            raise ValueError(f"outcome {node} is orphaned")
