"""The hidden causal graph of a lifecycle world, built on ``leadforge_core.causal``.

The graph is executable: the simulation reads every mechanism coefficient from its edge
weights (:meth:`~leadforge_core.causal.CausalGraph.weight`), so a rewired, cut or missing edge
changes the data. The latents are drawn with the population and the observable sources are
measured by the telemetry; node interventions on both are applied with
:meth:`~leadforge_core.causal.CausalGraph.apply_node`.
"""

from __future__ import annotations

from typing import Any, Final

import networkx as nx
import numpy as np

from leadforge_core.causal import (
    STANDARD_RULES,
    CausalGraph,
    EdgeSpec,
    GraphDraft,
    GraphSchema,
    JitterEdges,
    KeepOptionalEdges,
    MotifFamily,
    NodeSpec,
)
from leadforge_lifecycle.params import Motif
from leadforge_lifecycle.world.motifs import EDGE_MULTIPLIERS

LATENTS = (
    "product_fit",
    "adoption_velocity",
    "budget_stability",
    "champion_strength",
    "organizational_stability",
)
#: Observable sources: the health_signals column each one is measured as, and its range.
OBSERVABLES: Final[dict[str, tuple[str, float, float]]] = {
    "obs_active_users": ("active_users", 0.0, np.inf),
    "obs_feature_depth_score": ("feature_depth_score", 0.0, 100.0),
    "obs_support_tickets": ("support_tickets", 0.0, np.inf),
    "obs_nps_score": ("nps_score", 0.0, 10.0),
}

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
    **dict.fromkeys(OBSERVABLES, "observable_feature_source"),
}

#: What each node means (exported with the graph).
DESCRIPTIONS: Final[dict[str, str]] = {
    "product_fit": "how well the product matches the customer's processes",
    "adoption_velocity": "how fast usage spreads inside the customer",
    "budget_stability": "ability to keep paying",
    "champion_strength": "strength of the internal sponsor",
    "organizational_stability": "stability of the customer's organisation",
    "usage_depth": "depth of product usage (0 to 1), moving weekly toward its fit-driven level",
    "active_users": "users active in a week",
    "unrecovered_payment": "an open dunning episode",
    "payment_failure": "a failed invoice payment",
    "payment_recovery": "a failed payment recovered during dunning",
    "expansion": "an upgrade of the subscription",
    "downgrade": "a downgrade of the subscription",
    "churn": "the customer leaves (anniversary non-renewal, cancellation or write-off)",
    "mrr": "monthly recurring revenue",
    "revenue": "revenue collected (the lifetime-value targets)",
    "obs_active_users": "active users as measured in health_signals",
    "obs_feature_depth_score": "feature depth score as measured in health_signals",
    "obs_support_tickets": "support tickets counted in health_signals",
    "obs_nps_score": "quarterly NPS survey answer in health_signals",
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
#: The one latent with a cause: an unstable organisation loses its champion.
CAUSED_LATENT = "champion_strength"


def latents_are_roots(g: nx.DiGraph, schema: GraphSchema) -> list[str]:
    """Customer latents are drawn, not caused (except the champion, see ``CAUSED_LATENT``)."""
    return [
        f"latent {node} has a parent"
        for node, category in g.nodes(data="category")
        if category == "customer_latent" and node != CAUSED_LATENT and g.in_degree(node)
    ]


SCHEMA: Final = GraphSchema(
    categories=(
        "customer_latent",
        "usage_state",
        "billing_event",
        "billing_state",
        "subscription_event",
        "subscription_state",
        "outcome",
        "observable_feature_source",
    ),
    sinks=("observable_feature_source",),
    required=tuple(NODE_CATEGORY),
    outcomes=("outcome",),
    min_causes=1,
    noisy=False,
    rules=(*STANDARD_RULES, latents_are_roots),
)
#: Nodes whose values the scheme materializes itself, so node interventions can reach them.
NODE_TARGETS: Final = (*LATENTS, *OBSERVABLES)
#: Edges that are accounting or measurement identities: the mechanisms do not weight them
#: (MRR is the sum of its changes, a reading measures its state), so they cannot be intervened on.
STRUCTURAL_EDGES: Final = frozenset(
    {
        ("usage_depth", "active_users"),
        ("payment_failure", "unrecovered_payment"),
        ("payment_recovery", "unrecovered_payment"),
        ("expansion", "mrr"),
        ("downgrade", "mrr"),
        ("mrr", "revenue"),
        ("churn", "revenue"),
        ("active_users", "obs_active_users"),
        ("usage_depth", "obs_feature_depth_score"),
    }
)
#: Edges whose weights the mechanisms read: every one can be scaled or cut.
EDGE_TARGETS: Final = tuple((s, t) for s, t, _, _ in EDGES if (s, t) not in STRUCTURAL_EDGES)


def measure_observables(graph: CausalGraph, health: Any) -> None:
    """Apply node interventions on the observable sources to the measured health readings
    (in place): an intervened reading stays a whole number in its range; a missing reading
    stays missing."""
    for node, (column, lo, hi) in OBSERVABLES.items():
        raw = getattr(health, column)
        values = graph.apply_node(node, raw)
        if values is not raw:
            setattr(
                health, column, np.where(np.isnan(raw), np.nan, np.clip(np.rint(values), lo, hi))
            )


def build_graph(motif: Motif, rng: np.random.Generator) -> CausalGraph:
    """Sample one world's graph: motif emphasis, edge-strength jitter, optional edges."""
    draft = GraphDraft.from_specs(
        (
            NodeSpec(node, category, 0.0, DESCRIPTIONS[node])
            for node, category in NODE_CATEGORY.items()
        ),
        (EdgeSpec(s, t, base, optional=opt) for s, t, base, opt in EDGES),
    )
    draft.apply_motif(MotifFamily(str(motif), "", EDGE_MULTIPLIERS[motif]))
    draft.rewire(
        [JitterEdges(JITTER_SD, "exp_normal", "declared"), KeepOptionalEdges(OPTIONAL_KEEP)], rng
    )
    return draft.build(SCHEMA)
