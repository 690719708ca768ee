"""Motif families: which edges of the hidden graph dominate and how the rates shift.

Each family tells a different commercial story. Its edge multipliers scale the base weights of
:data:`leadforge_lifecycle.world.graph.EDGES`; its rate multipliers scale the difficulty
profile's churn, expansion and payment rates.
"""

from __future__ import annotations

from leadforge_lifecycle.params import Motif

EDGE_MULTIPLIERS: dict[Motif, dict[tuple[str, str], float]] = {
    Motif.PRODUCT_LED_RETENTION: {
        ("usage_depth", "churn"): 1.6,
        ("adoption_velocity", "usage_depth"): 1.4,
        ("champion_strength", "churn"): 0.5,
        ("active_users", "expansion"): 1.3,
    },
    Motif.RELATIONSHIP_LED_RETENTION: {
        ("champion_strength", "churn"): 1.8,
        ("organizational_stability", "champion_strength"): 1.5,
        ("usage_depth", "churn"): 0.6,
    },
    Motif.EXPANSION_LED_GROWTH: {
        ("active_users", "expansion"): 1.5,
        ("usage_depth", "expansion"): 1.4,
        ("adoption_velocity", "expansion"): 1.4,
    },
    Motif.PAYMENT_FRAGILE: {
        ("budget_stability", "payment_failure"): 1.6,
        ("budget_stability", "payment_recovery"): 1.4,
        ("unrecovered_payment", "churn"): 1.5,
    },
    Motif.CHURNER_DOMINATED: {
        ("product_fit", "churn"): 1.5,
        ("usage_depth", "churn"): 1.2,
    },
}

RATE_MULTIPLIERS: dict[Motif, dict[str, float]] = {
    Motif.PRODUCT_LED_RETENTION: {"weekly_churn": 0.9, "weekly_expansion": 1.1},
    Motif.RELATIONSHIP_LED_RETENTION: {"renewal_churn": 1.1},
    Motif.EXPANSION_LED_GROWTH: {"weekly_expansion": 1.6, "expansion_jump": 1.25},
    Motif.PAYMENT_FRAGILE: {"payment_failure": 1.3},
    Motif.CHURNER_DOMINATED: {
        "weekly_churn": 1.4,
        "renewal_churn": 1.3,
        "onboarding_multiplier": 1.2,
    },
}
