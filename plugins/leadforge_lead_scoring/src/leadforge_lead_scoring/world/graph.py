"""The hidden causal graph: a typed networkx DAG that is *executed* to produce latent values.

Node values are computed in topological order as ``exogenous + sum(edge contributions) +
noise``; the simulation engine reads the sales-process and outcome nodes. Removing an edge or
changing its weight therefore changes the generated data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx
import numpy as np

from leadforge_core.errors import SimulationError
from leadforge_lead_scoring.world.motifs import (
    BASE_EDGES,
    BASE_NODES,
    CATEGORY_RANK,
    MOTIF_FAMILIES,
)

FORMS = ("linear", "tanh", "threshold", "product")
#: Nodes the engine reads; they must exist in every world.
REQUIRED = (
    "engagement",
    "followup_speed",
    "demo_momentum",
    "committee_friction",
    "final_approval",
    "deal_propensity",
    "deal_size",
    "lead_score_proxy",
    "fit_score_proxy",
)
BOTTLENECKS = ("demo_completed", "proposal_sent", "negotiation")


def _add_node(g: nx.DiGraph, name: str, category: str, noise: float, description: str) -> None:
    g.add_node(name, category=category, noise=noise, description=description)


def build_graph(
    family: str, rng: np.random.Generator, confounding: float, noise_scale: float = 1.0
) -> nx.DiGraph:
    """Apply ``family`` to the base graph, then rewire stochastically within constraints.

    ``noise_scale`` (the difficulty's latent noise) multiplies every node's noise.
    """
    if family not in MOTIF_FAMILIES:
        raise SimulationError(
            f"unknown motif family {family!r}; valid: {', '.join(MOTIF_FAMILIES)}"
        )
    story, multipliers, added, node_noise = MOTIF_FAMILIES[family]
    g = nx.DiGraph(motif_family=family, story=story)
    for name, (category, noise, description) in BASE_NODES.items():
        noise *= node_noise.get(name, 1.0)
        _add_node(g, name, category, noise * noise_scale, description)
    edges = dict(BASE_EDGES)
    edges.update(added)
    for (u, v), (w, form, partner) in edges.items():
        w *= multipliers.get((u, v), 1.0)
        if w != 0.0:
            g.add_edge(u, v, weight=w, form=form, partner=partner)
    rewiring: list[str] = []
    # Optional mediator: lead_quality may be bypassed (parents feed its children directly).
    if rng.random() < 0.3:
        parents = list(g.predecessors("lead_quality"))
        children = list(g.successors("lead_quality"))
        for p in parents:
            for c in children:
                w = g.edges[p, "lead_quality"]["weight"] * g.edges["lead_quality", c]["weight"]
                if g.has_edge(p, c):
                    g.edges[p, c]["weight"] += w
                else:
                    g.add_edge(p, c, weight=w, form="linear", partner="")
        g.remove_node("lead_quality")
        rewiring.append("mediator lead_quality bypassed")
    # Optional extra latent confounder of engagement and outcome.
    if confounding > 0 and rng.random() < 0.6:
        _add_node(g, "budget_shock", "account_latent", 1.0, "unrecorded budget event (confounder)")
        g.add_edge(
            "budget_shock", "engagement", weight=0.8 * confounding, form="linear", partner=""
        )
        g.add_edge("budget_shock", "deal_propensity", weight=confounding, form="linear", partner="")
        rewiring.append("confounder budget_shock added")
    # Edge-strength changes.
    for _, _, data in g.edges(data=True):
        data["weight"] = float(data["weight"] * rng.lognormal(0.0, 0.15))
    # Alternate measurement proxy for the marketing lead score.
    if rng.random() < 0.5:
        g.remove_edge("contact_intent", "lead_score_proxy")
        g.add_edge("account_fit", "lead_score_proxy", weight=0.4, form="linear", partner="")
        rewiring.append("lead score measures fit instead of intent")
    g.graph["bottleneck_stage"] = BOTTLENECKS[int(rng.integers(len(BOTTLENECKS)))]
    channel_targets = ["contact_intent"] + (["lead_quality"] if "lead_quality" in g else [])
    g.graph["channel_target"] = channel_targets[int(rng.integers(len(channel_targets)))]
    g.graph["rewiring"] = ";".join(rewiring)
    validate_graph(g)
    return g


def graph_problems(g: nx.DiGraph) -> list[str]:
    """Constraint violations of a graph (empty when valid)."""
    out: list[str] = []
    if not nx.is_directed_acyclic_graph(g):
        out.append("graph has a cycle")
    for name in REQUIRED:
        if name not in g:
            out.append(f"required node {name} missing")
    for name, data in g.nodes(data=True):
        if data.get("category") not in CATEGORY_RANK:
            out.append(f"node {name} has unknown category {data.get('category')}")
        elif not data.get("noise", 0.0) > 0.0:
            out.append(f"node {name} is noiseless (deterministic worlds are forbidden)")
    for u, v, data in g.edges(data=True):
        cu, cv = g.nodes[u].get("category"), g.nodes[v].get("category")
        if cu not in CATEGORY_RANK or cv not in CATEGORY_RANK:
            continue
        if CATEGORY_RANK[cu] > CATEGORY_RANK[cv]:
            out.append(f"edge {u}->{v} points back in time ({cu} -> {cv})")
        if cu in ("observable_feature_source", "post_conversion_state"):
            out.append(f"edge {u}->{v} leaves a {cu} node")
        if cv == "post_conversion_state" and cu not in ("account_latent", "outcome"):
            out.append(f"edge {u}->{v}: post-conversion state depends only on account and outcome")
        if data.get("form") not in FORMS:
            out.append(f"edge {u}->{v} has unknown form {data.get('form')}")
        if data.get("form") == "product" and data.get("partner") not in set(g.predecessors(v)):
            out.append(f"edge {u}->{v} interacts with {data.get('partner')}, not a cause of {v}")
    if "deal_propensity" in g and g.in_degree("deal_propensity") < 2:
        out.append("outcome node deal_propensity is orphaned (needs at least two causes)")
    return out


def validate_graph(g: nx.DiGraph) -> None:
    problems = graph_problems(g)
    if problems:
        raise SimulationError("invalid hidden graph: " + "; ".join(problems))


def _contribution(form: str, x: np.ndarray, partner: np.ndarray | None) -> np.ndarray:
    if form == "tanh":
        return np.asarray(np.tanh(x))
    if form == "threshold":
        return np.asarray((x > 0.25).astype(np.float32) * 2.0 - 0.6)
    if form == "product":
        assert partner is not None
        return np.asarray(x * partner)
    return x


def execute(
    g: nx.DiGraph,
    exogenous: Mapping[str, np.ndarray],
    rng: np.random.Generator,
    n: int,
    edge_scale: Mapping[str, float] | None = None,
    shared_noise: frozenset[str] = frozenset(),
) -> dict[str, np.ndarray]:
    """Node values for ``n`` leads in topological order (ties broken by name).

    ``edge_scale`` multiplies edges by form (the difficulty's interaction strength);
    nodes in ``shared_noise`` get their noise from ``exogenous`` (drawn per account/contact).
    """
    scale = dict(edge_scale or {})
    values: dict[str, np.ndarray] = {}
    for node in nx.lexicographical_topological_sort(g):
        data = g.nodes[node]
        v = rng.standard_normal(n, dtype=np.float32) * np.float32(data["noise"])
        if node in shared_noise:
            v[:] = 0.0
        if node in exogenous:
            v += exogenous[node].astype(np.float32)
        for parent in sorted(g.predecessors(node)):
            e = g.edges[parent, node]
            partner = values.get(e["partner"]) if e["form"] == "product" else None
            w = e["weight"] * scale.get(e["form"], 1.0)
            v += np.float32(w) * _contribution(e["form"], values[parent], partner)
        values[node] = v
    return values


def graph_to_json(g: nx.DiGraph) -> dict[str, Any]:
    return {
        "attributes": dict(g.graph),
        "nodes": [{"id": n, **g.nodes[n]} for n in sorted(g.nodes)],
        "edges": [{"source": u, "target": v, **g.edges[u, v]} for u, v in sorted(g.edges)],
    }


def graph_to_graphml(g: nx.DiGraph) -> str:
    return "\n".join(nx.generate_graphml(g, prettyprint=True)) + "\n"
