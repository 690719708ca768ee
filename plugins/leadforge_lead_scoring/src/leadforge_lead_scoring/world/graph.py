"""The lead-scoring world's hidden causal graph, built and executed by ``leadforge_core.causal``.

This module holds only the story: which nodes and edges exist (``motifs.py``), the motif
families, the rewiring choices a world draws, and the two world attributes the mechanisms read
(the stage bottleneck and the node that acquisition channels influence). The engine executes
the graph as ``exogenous + sum(edge contributions) + noise``; removing an edge or changing its
weight therefore changes the generated data.
"""

from __future__ import annotations

from typing import Final

import networkx as nx
import numpy as np

from leadforge_core.causal import (
    STANDARD_RULES,
    AddConfounder,
    BypassMediator,
    CausalGraph,
    EdgeSpec,
    GraphDraft,
    GraphSchema,
    JitterEdges,
    MotifFamily,
    NodeSpec,
    Rewiring,
    SwapProxy,
)
from leadforge_core.errors import SimulationError
from leadforge_lead_scoring.world.motifs import (
    BASE_EDGES,
    BASE_NODES,
    CATEGORY_RANK,
    MOTIF_FAMILIES,
)

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
#: The only categories post-conversion state may depend on.
ALLOWED_POST = ("account_latent", "outcome")
BOTTLENECKS = ("demo_completed", "proposal_sent", "negotiation")


def post_conversion_inputs(g: nx.DiGraph, schema: GraphSchema) -> list[str]:
    """Post-conversion state (deal size) depends only on account latents and the outcome."""
    out = []
    for u, v in g.edges:
        cu, cv = g.nodes[u].get("category"), g.nodes[v].get("category")
        if cv == "post_conversion_state" and cu in schema.rank and cu not in ALLOWED_POST:
            out.append(f"edge {u}->{v}: post-conversion state depends only on account and outcome")
    return out


SCHEMA: Final = GraphSchema(
    categories=tuple(sorted(CATEGORY_RANK, key=CATEGORY_RANK.__getitem__)),
    sinks=("observable_feature_source", "post_conversion_state"),
    required=REQUIRED,
    outcomes=("outcome",),
    min_causes=2,
    noisy=True,
    rules=(*STANDARD_RULES, post_conversion_inputs),
)

NODES: Final = tuple(NodeSpec(name, *spec) for name, spec in BASE_NODES.items())
EDGES: Final = tuple(
    EdgeSpec(u, v, w, form, partner) for (u, v), (w, form, partner) in BASE_EDGES.items()
)
FAMILIES: Final = {
    name: MotifFamily(
        name,
        story,
        multipliers,
        tuple(EdgeSpec(u, v, w, form, partner) for (u, v), (w, form, partner) in added.items()),
        node_noise,
    )
    for name, (story, multipliers, added, node_noise) in MOTIF_FAMILIES.items()
}
#: Per-world spread of the edge strengths (lognormal sd).
JITTER_SD = 0.15


def rewiring(confounding: float) -> list[Rewiring]:
    """The rewiring a world may go through, in draw order."""
    ops: list[Rewiring] = [
        # Optional mediator: lead_quality may be bypassed (parents feed its children directly).
        BypassMediator("lead_quality", 0.3, "mediator lead_quality bypassed"),
    ]
    if confounding > 0:
        # Optional extra latent confounder of engagement and outcome.
        ops.append(
            AddConfounder(
                NodeSpec(
                    "budget_shock", "account_latent", 1.0, "unrecorded budget event (confounder)"
                ),
                (
                    EdgeSpec("budget_shock", "engagement", 0.8 * confounding),
                    EdgeSpec("budget_shock", "deal_propensity", confounding),
                ),
                0.6,
                "confounder budget_shock added",
            )
        )
    ops += [
        JitterEdges(JITTER_SD, "lognormal", "by_source"),
        # Alternate measurement proxy for the marketing lead score.
        SwapProxy(
            ("contact_intent", "lead_score_proxy"),
            EdgeSpec("account_fit", "lead_score_proxy", 0.4),
            0.5,
            "lead score measures fit instead of intent",
        ),
    ]
    return ops


def build_graph(
    family: str, rng: np.random.Generator, confounding: float, noise_scale: float = 1.0
) -> CausalGraph:
    """Apply ``family`` to the base graph, then rewire stochastically within constraints.

    ``noise_scale`` (the difficulty's latent noise) multiplies every node's noise.
    """
    if family not in FAMILIES:
        raise SimulationError(
            f"unknown motif family {family!r}; valid: {', '.join(MOTIF_FAMILIES)}"
        )
    draft = GraphDraft.from_specs(NODES, EDGES)
    draft.apply_motif(FAMILIES[family], noise_scale)
    draft.rewire(rewiring(confounding), rng)
    draft.attributes["bottleneck_stage"] = BOTTLENECKS[int(rng.integers(len(BOTTLENECKS)))]
    channel_targets = ["contact_intent"] + (
        ["lead_quality"] if "lead_quality" in draft.nodes else []
    )
    draft.attributes["channel_target"] = channel_targets[int(rng.integers(len(channel_targets)))]
    return draft.build(SCHEMA)
